"""Findings and Reports: what was found and done, never the values themselves."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Outcome = Literal["scrubbed", "withheld"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected identifier. Positions and kinds only: no value, no excerpt.

    ``kind`` is an entity kind (``PERSON``, ``DATE``, ``MRN``, ``FACE``, ``PIXEL_TEXT``,
    ``DICOM_ATTRIBUTE`` ...); ``action`` what was done (``replaced``, ``tagged``,
    ``shifted``, ``redacted``, ``blurred``, ``removed``, ``emptied``, ``remapped``,
    ``cleaned``, ``kept``). Exactly one of the location fields is normally set.
    """

    kind: str
    action: str
    score: float = 1.0
    source: str = ""
    span: tuple[int, int] | None = None  # [start, end) character offsets in the input text
    box: tuple[int, int, int, int] | None = None  # x, y, width, height in pixels
    frame: int | None = None  # frame index for multi-frame pixel data
    tag: str | None = None  # DICOM attribute path, e.g. "(0008,1115)[0]/(0008,1155)"
    part: str | None = None  # which part of a case ("text:0", "dicom:3", "image:1")

    def to_dict(self) -> dict[str, Any]:
        # Not dataclasses.asdict: it deep-copies field by field, and a CT series carries
        # thousands of findings (measured: 14% of a `deid scrub` run). Same output.
        out = {}
        for k in _FINDING_FIELDS:
            v = getattr(self, k)
            if v is not None and v != "":
                out[k] = v
        return out


_FINDING_FIELDS = tuple(Finding.__dataclass_fields__)


@dataclass(slots=True)
class Verification:
    """Result of re-detecting on the output (text re-analysis, OCR of redacted pixels)."""

    ran: bool
    passed: bool
    detail: str = ""  # kinds and counts only
    residual: int = 0  # number of identifiers still detected after the last pass

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Report:
    """What a scrubber found and did for one input.

    Safe to log, store and return to a client: it holds kinds, positions, scores,
    counts, timings and reason codes, never a PHI value or an input file name.
    """

    input_kind: str  # "text" | "image" | "dicom" | "case"
    outcome: Outcome = "scrubbed"
    findings: list[Finding] = field(default_factory=list)
    withheld_reason: str | None = None
    withheld_detail: str | None = None
    verification: Verification | None = None
    notes: list[str] = field(default_factory=list)  # e.g. "pixel data re-encoded as RLE Lossless"
    residual_risk: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    parts: list[Report] = field(default_factory=list)  # sub-reports of a case
    key_id: str | None = None  # public fingerprint of the key used (deid.core.context.key_id)

    @property
    def withheld(self) -> bool:
        return self.outcome == "withheld"

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)

    def withhold(self, reason: str, detail: str = "") -> None:
        self.outcome = "withheld"
        self.withheld_reason = reason
        self.withheld_detail = detail or None

    def counts_by_kind(self) -> dict[str, int]:
        counts: Counter[str] = Counter(f.kind for f in self.findings)
        for part in self.parts:
            counts.update(part.counts_by_kind())
        return dict(sorted(counts.items()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "input_kind": self.input_kind,
            "outcome": self.outcome,
            "withheld_reason": self.withheld_reason,
            "withheld_detail": self.withheld_detail,
            "counts_by_kind": self.counts_by_kind(),
            "findings": [f.to_dict() for f in self.findings],
            "verification": self.verification.to_dict() if self.verification else None,
            "notes": list(self.notes),
            "residual_risk": list(self.residual_risk),
            "timings": {k: round(v, 6) for k, v in self.timings.items()},
            "parts": [p.to_dict() for p in self.parts],
            **({"key_id": self.key_id} if self.key_id else {}),
        }
