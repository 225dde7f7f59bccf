"""Conversions between the library's types and the wire messages, and policy overrides."""

from __future__ import annotations

import dataclasses
from typing import Any

import yaml

from deid.core.errors import InputError
from deid.core.policy import Policy
from deid.core.report import Finding, Report
from server.stubs import load

pb2, _ = load()

# Limits a client may lower but never raise above the server's policy.
_CEILINGS: tuple[tuple[str, str], ...] = (
    ("text", "max_chars"),
    ("text", "chunk_chars"),
    ("dicom", "max_file_bytes"),
    ("image", "max_pixels"),
    ("image", "max_frames"),
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
    """``base`` with the call's overrides applied; limits clamped to the base's values."""
    overrides = parse_overrides(raw)
    if overrides is None:
        return base
    merged = base.merged(overrides)
    if not allow_overrides:
        # A client that always sends its whole policy (the CLI does) is fine as long as
        # it asks for nothing different.
        if merged != base:
            raise InputError("this server does not accept policy overrides", reason="overrides_disabled")
        return base
    for section, name in _CEILINGS:
        ceiling = getattr(getattr(base, section), name)
        sec = getattr(merged, section)
        if getattr(sec, name) > ceiling:
            merged = dataclasses.replace(merged, **{section: dataclasses.replace(sec, **{name: ceiling})})
    base_timeout = base.limits.timeout_s
    if base_timeout > 0 and (merged.limits.timeout_s <= 0 or merged.limits.timeout_s > base_timeout):
        merged = dataclasses.replace(merged, limits=dataclasses.replace(merged.limits, timeout_s=base_timeout))
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


def report_to_proto(report: Report, *, part: str = "") -> Any:
    """The wire form of a Report (kinds, locations, counts; never values)."""
    msg = pb2.Report(
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
