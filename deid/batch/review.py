"""Material for the HTML review report: before/after thumbnails, boxes, marked-up text.

This material holds PHI (the "before" thumbnails): it exists only when a report is
asked for, travels from the worker to the writer in memory, and is never logged.
"""

from __future__ import annotations

import base64
import difflib
import io
import logging
import re
from typing import Any

import numpy as np

from deid.case.scrub import PartResult
from deid.core.errors import reason_of
from deid.core.policy import Policy

log = logging.getLogger(__name__)

THUMB_PX = 360


def _to_uint8(frame: np.ndarray) -> np.ndarray:
    arr = frame.astype(np.float64)
    lo, hi = float(np.min(arr)), float(np.max(arr))
    if hi <= lo:
        return np.zeros(arr.shape, dtype=np.uint8)
    return ((arr - lo) * (255.0 / (hi - lo))).clip(0, 255).astype(np.uint8)


def _dicom_first_frame(data: bytes) -> np.ndarray | None:
    import pydicom

    ds = pydicom.dcmread(io.BytesIO(data), force=True)
    if "PixelData" not in ds:
        return None
    arr = ds.pixel_array
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    samples = int(getattr(ds, "SamplesPerPixel", 1) or 1)
    if frames > 1:
        arr = arr[0]
    if samples == 1 and str(getattr(ds, "PhotometricInterpretation", "")) == "MONOCHROME1":
        arr = arr.max() - arr
    return _to_uint8(arr) if arr.dtype != np.uint8 else arr


def _thumb(img: Any) -> tuple[str, float]:
    """A base64 JPEG data URI of ``img`` (PIL image) and the scale applied."""
    from PIL import Image

    img = img.convert("RGB")
    scale = min(1.0, THUMB_PX / max(img.width, img.height))
    if scale < 1.0:
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.Resampling.BILINEAR)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii"), scale


def _pil_of(kind: str, data: bytes) -> Any:
    from PIL import Image

    if kind == "dicom":
        arr = _dicom_first_frame(data)
        return None if arr is None else Image.fromarray(arr)
    try:
        import pillow_heif  # noqa: F401

        pillow_heif.register_heif_opener()
    except ImportError:
        pass
    img = Image.open(io.BytesIO(data))
    img.load()
    # Findings are in the stored pixel orientation: no EXIF rotation on "before".
    return img


_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")


def text_segments(before: str, after: str) -> list[tuple[str, bool]]:
    """Split ``after`` into (text, changed) runs where it differs from ``before``.

    Compared word by word (a character diff would leave stray letters of the original
    unmarked inside a replacement); a lone punctuation mark between two changed runs
    (the "/" of a shifted date) is folded into one highlighted span.
    """
    a, b = _TOKEN.findall(before), _TOKEN.findall(after)
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    segs: list[tuple[str, bool]] = []
    for op, _i1, _i2, j1, j2 in sm.get_opcodes():
        if j2 > j1:
            segs.append(("".join(b[j1:j2]), op != "equal"))
    merged: list[tuple[str, bool]] = []
    for i, (text, changed) in enumerate(segs):
        if (
            not changed and 0 < i < len(segs) - 1 and len(text) == 1 and not text.isspace()
            and segs[i - 1][1] and segs[i + 1][1]
        ):
            changed = True
        if merged and merged[-1][1] == changed:
            merged[-1] = (merged[-1][0] + text, changed)
        else:
            merged.append((text, changed))
    return merged


def part_review(part: PartResult, data: bytes, policy: Policy) -> dict[str, Any]:
    """The review entry for one part (kinds, boxes, thumbnails or marked-up text)."""
    rev: dict[str, Any] = {
        "part": part.part_id,
        "kind": part.kind,
        "output": part.name,
        "withheld": part.withheld,
        "reason": part.report.withheld_reason,
        "counts": part.report.counts_by_kind(),
        "residual_risk": list(part.report.residual_risk),
        "verification": (
            None if part.report.verification is None
            else {"ran": part.report.verification.ran, "passed": part.report.verification.passed,
                  "residual": part.report.verification.residual}
        ),
        "notes": list(part.report.notes),
    }
    if part.withheld:
        return rev
    try:
        if part.kind == "text":
            before = data.decode("utf-8-sig", errors="replace")
            rev["segments"] = text_segments(before, part.text or "")
        elif part.kind in ("image", "dicom"):
            before_img = _pil_of(part.kind, data)
            after_img = _pil_of(part.kind, part.data or b"")
            if before_img is not None:
                rev["before"], scale = _thumb(before_img)
                rev["size"] = [before_img.width, before_img.height]
                rev["boxes"] = [
                    {
                        "kind": f.kind,
                        "x": round(f.box[0] * scale), "y": round(f.box[1] * scale),
                        "w": max(1, round(f.box[2] * scale)), "h": max(1, round(f.box[3] * scale)),
                    }
                    for f in part.report.findings
                    if f.box is not None and (f.frame in (None, 0))
                ]
            if after_img is not None:
                rev["after"], _ = _thumb(after_img)
    except Exception as exc:  # noqa: BLE001 - a preview failure never fails the scrub
        log.info("no preview for a %s part (%s)", part.kind, reason_of(exc))
        rev["preview_error"] = reason_of(exc)
    return rev
