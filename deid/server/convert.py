"""Conversions between the library's types and the wire messages, and policy overrides."""

from __future__ import annotations

import dataclasses
from typing import Any

import yaml

from deid.core.errors import InputError
from deid.core.policy import Policy
from deid.core.report import Finding, Report
from deid.server.stubs import load

pb2, _ = load()

# How a call may change each policy field when overrides are enabled. Only changes that
# make scrubbing stricter (or that only format the output) are accepted; anything else
# is INVALID_ARGUMENT "override_not_stricter". A field missing here must stay equal to
# the server's value (fail closed: a new policy field is locked until it gets a rule).
#   any       - output formatting only (all choices remove the value)
#   lower     - the value may go down, never up (thresholds, size limits)
#   higher    - the value may go up, never down
#   on        - a boolean may be switched on, never off (verification, cleaning)
#   off       - a boolean may be switched off, never on (the retain_* options)
#   subset    - a list may shrink, never grow (keep-lists, allow-lists)
#   superset  - a list may grow, never shrink (deny-lists, burned-in modalities)
#   order:a<b<c - an ordered choice that may only move right (stricter)
OVERRIDE_RULES: dict[str, str] = {
    "text.operator": "any",
    "text.dates": "order:shift<tag<redact",
    "text.score_threshold": "lower",
    "text.keep_kinds": "subset",
    "text.allow_list": "subset",
    "text.deny_list": "superset",
    "text.verify": "on",
    "text.max_chars": "lower",
    "text.chunk_chars": "lower",
    "dicom.retain_safe_private": "off",
    "dicom.retain_uids": "off",
    "dicom.retain_device_identity": "off",
    "dicom.retain_institution_identity": "off",
    "dicom.retain_patient_characteristics": "off",
    "dicom.retain_longitudinal_full_dates": "off",
    "dicom.retain_longitudinal_modified_dates": "off",
    "dicom.clean_descriptors": "on",
    "dicom.clean_structured_content": "on",
    "dicom.clean_graphics": "on",
    "dicom.clean_pixels": "order:never<auto<always",
    "dicom.max_file_bytes": "lower",
    "image.photo_text": "order:phi<annotation<all",
    "image.dicom_text": "order:phi<annotation<all",
    "image.burned_in_modalities": "superset",
    "image.faces": "on",
    "image.face_operator": "order:blur<pixelate<fill",
    "image.face_threshold": "lower",
    "image.contrast_pass": "on",
    "image.face_margin": "higher",
    "image.max_pixels": "lower",
    "image.max_frames": "lower",
    "image.jpeg_quality": "any",
    "image.verify": "on",
    "image.series_full_read": "on",
    "image.ocr_min_score": "lower",
    "image.photo_format": "any",
    "limits.timeout_s": "lower",
}


def _allowed(rule: str, base: Any, new: Any) -> bool:
    if new == base or rule == "any":
        return True
    if rule == "lower":
        return bool(new < base)
    if rule == "higher":
        return bool(new > base)
    if rule == "on":
        return new is True
    if rule == "off":
        return new is False
    if rule == "subset":
        return set(new) <= set(base)
    if rule == "superset":
        return set(new) >= set(base)
    if rule.startswith("order:"):
        order = rule[len("order:"):].split("<")
        return new in order and base in order and order.index(new) >= order.index(base)
    return False  # "equal" and unknown rules


def stricter_only(base: Policy, merged: Policy) -> None:
    """Raise InputError unless every field of ``merged`` is as strict as ``base``'s."""
    for section in dataclasses.fields(base):
        b_sec, m_sec = getattr(base, section.name), getattr(merged, section.name)
        for f in dataclasses.fields(b_sec):
            path = f"{section.name}.{f.name}"
            b, m = getattr(b_sec, f.name), getattr(m_sec, f.name)
            if path == "limits.timeout_s" and (b <= 0 or m <= 0):
                m_ok = m == b or (b <= 0 < m)  # 0 means "no time-out": setting one is stricter
            else:
                m_ok = _allowed(OVERRIDE_RULES.get(path, "equal"), b, m)
            if not m_ok:
                raise InputError(
                    f"policy override of {path} is refused: a call may only make scrubbing stricter "
                    f"(rule: {OVERRIDE_RULES.get(path, 'equal to the server policy')})",
                    reason="override_not_stricter",
                )


def parse_overrides(raw: str) -> dict[str, Any] | None:
    """A JSON or YAML mapping (the shape of a policy file), or None when empty."""
    if not raw.strip():
        return None
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError:
        raise InputError("policy overrides are not valid JSON or YAML", reason="bad_policy") from None
    if data is None:
        return None
    if not isinstance(data, dict):
        raise InputError("policy overrides must be a mapping", reason="bad_policy")
    return data


def effective_policy(base: Policy, raw: str, *, allow_overrides: bool) -> Policy:
    """``base`` with the call's overrides applied, if they only make scrubbing stricter.

    With overrides disabled (the default), a call may still send a policy equal to the
    server's (the CLI sends its whole policy); any difference is refused.
    """
    overrides = parse_overrides(raw)
    if overrides is None:
        return base
    merged = base.merged(overrides)
    if merged == base:
        return base
    if not allow_overrides:
        raise InputError("this server does not accept policy overrides", reason="overrides_disabled")
    stricter_only(base, merged)
    return merged


def finding_to_proto(f: Finding) -> Any:
    msg = pb2.Finding(kind=f.kind, action=f.action, score=float(f.score), source=f.source or "",
                      tag=f.tag or "", part=f.part or "")
    if f.span is not None:
        msg.span.start, msg.span.end = int(f.span[0]), int(f.span[1])
    if f.box is not None:
        x, y, w, h = (int(v) for v in f.box)
        msg.box.x, msg.box.y, msg.box.width, msg.box.height = x, y, w, h
    if f.frame is not None:
        msg.frame = int(f.frame)
    return msg


def report_to_proto(report: Report, *, part: str = "", key_id: str = "") -> Any:
    """The wire form of a Report (kinds, locations, counts; never values)."""
    msg = pb2.Report(
        key_id=key_id or report.key_id or "",
        input_kind=report.input_kind,
        outcome=report.outcome,
        findings=[finding_to_proto(f) for f in report.findings],
        withheld_reason=report.withheld_reason or "",
        withheld_detail=report.withheld_detail or "",
        notes=list(report.notes),
        residual_risk=list(report.residual_risk),
        part=part,
    )
    msg.counts_by_kind.update(report.counts_by_kind())
    msg.timings.update({k: float(v) for k, v in report.timings.items()})
    if report.verification is not None:
        v = report.verification
        msg.verification.CopyFrom(pb2.Verification(ran=v.ran, passed=v.passed, detail=v.detail or "",
                                                   residual=int(v.residual)))
    for sub in report.parts:
        sub_part = next((f.part for f in sub.findings if f.part), "")
        msg.parts.append(report_to_proto(sub, part=sub_part))
    return msg


def file_info_to_proto(info: dict[str, Any]) -> Any:
    fields = {f.name for f in pb2.FileInfo.DESCRIPTOR.fields}
    return pb2.FileInfo(**{k: v for k, v in info.items() if k in fields and v is not None})
