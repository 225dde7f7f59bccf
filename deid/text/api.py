"""Public text API: detection (``find_phi``) and scrubbing (``scrub_text``)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from deid.core.context import CaseContext
from deid.core.errors import InputError, LimitExceeded
from deid.core.policy import DEFAULT_POLICY, Policy
from deid.core.report import Finding, Report, Verification
from deid.text.types import Detection

__all__ = ["Detection", "TextResult", "find_phi", "find_phi_many", "scrub_text", "scrub_texts", "warm_up"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class TextResult:
    text: str
    report: Report


def _as_text(text: str | bytes, policy: Policy) -> str:
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"text is not valid UTF-8 (bad byte at offset {exc.start})", reason="bad_encoding"
            ) from None
    if not isinstance(text, str):
        raise InputError("text must be str or UTF-8 bytes", reason="invalid_input")
    if not text.strip():
        # Nothing to publish: refused with a reason rather than echoed back, so a caller
        # can tell an empty part from a scrubbed one.
        raise InputError("text is empty", reason="empty_text")
    if len(text) > policy.text.max_chars:
        raise LimitExceeded(
            f"text of {len(text)} characters exceeds the limit of {policy.text.max_chars}",
            reason="text_too_long",
        )
    return text


def warm_up() -> None:
    """Load the NLP engine now (worker start-up), not on the first request."""
    from deid.text.engine import get_engine

    get_engine()


def find_phi(
    text: str, policy: Policy | None = None, context: CaseContext | None = None
) -> list[Detection]:
    """Detect PHI spans in ``text`` (kinds, spans, scores), without changing it."""
    return find_phi_many([text], policy, context)[0]


def find_phi_many(
    texts: Sequence[str], policy: Policy | None = None, context: CaseContext | None = None
) -> list[list[Detection]]:
    """Detect PHI in many texts with one batched NLP pass."""
    from deid.text.engine import get_engine

    policy = policy or DEFAULT_POLICY
    texts = [_as_text(t, policy) for t in texts]
    return get_engine().detect_many(texts, policy, context)


def scrub_text(
    text: str | bytes, policy: Policy | None = None, context: CaseContext | None = None
) -> TextResult:
    """Scrub one text. Raises InputError / LimitExceeded for bad input (nothing written)."""
    return scrub_texts([text], policy, context)[0]


def scrub_texts(
    texts: Sequence[str | bytes],
    policy: Policy | None = None,
    context: CaseContext | None = None,
) -> list[TextResult]:
    """Scrub many texts of one case (one CaseContext) with a batched NLP pass."""
    from deid.text.engine import get_engine
    from deid.text.operators import apply_operators

    policy = policy or DEFAULT_POLICY
    context = context or CaseContext.ephemeral()
    decoded = [_as_text(t, policy) for t in texts]
    engine = get_engine()
    t0 = time.perf_counter()
    all_dets = engine.detect_many(decoded, policy, context)
    t_detect = time.perf_counter() - t0
    results: list[TextResult] = []
    for text, dets in zip(decoded, all_dets, strict=True):
        t1 = time.perf_counter()
        out, findings = apply_operators(text, dets, policy, context)
        report = Report(input_kind="text", findings=findings)
        report.timings["detect"] = t_detect / max(1, len(decoded))
        if policy.text.verify and findings:
            from deid.text.normalize import strip_invisible

            replaced = {(d.kind, strip_invisible(text[d.start : d.end])) for d in dets}
            out, verification = _verify(out, replaced, policy, context, report)
            report.verification = verification
        report.timings["transform"] = time.perf_counter() - t1
        results.append(TextResult(out, report))
    log.debug("scrubbed %d texts: %d findings", len(results), sum(len(r.report.findings) for r in results))
    return results


def _verify(
    text: str, replaced: set[tuple[str, str]], policy: Policy, context: CaseContext, report: Report
) -> tuple[str, Verification]:
    """Re-check the output: no value we replaced, and no deny-listed identifier of the
    case (some are learned from a later text of the same batch), may still be in it.

    Deterministic checks only: surrogates are realistic names and dates on purpose, so
    re-running NER would flag our own output; the patterns already ran on these exact
    characters, so re-running them finds nothing new.
    """
    from deid.text.engine import get_engine
    from deid.text.operators import mask_residual

    residual = get_engine().detect_residual(text, policy, context, replaced)
    if not residual:
        return text, Verification(ran=True, passed=True)
    text = mask_residual(text, residual)
    for d in residual:
        report.add(Finding(kind=d.kind, action="redacted", score=d.score, source="verify", span=(d.start, d.end)))
    again = get_engine().detect_residual(text, policy, context, replaced)
    return text, Verification(
        ran=True,
        passed=not again,
        detail=f"{len(residual)} residual spans masked",
        residual=len(again),
    )
