"""``scrub_pixels``: burned-in text (and optionally faces) in decoded DICOM frames.

The DICOM scrubber owns decoding/encoding; this module gets frames as an array of shape
``(n, rows, cols)`` (monochrome) or ``(n, rows, cols, 3)`` (RGB), dtype uint8, uint16 or
int16, and returns the same shape and dtype with PHI regions filled.

12/16-bit frames are windowed to 8 bits for OCR only (robust percentiles of the sampled
frames: burned-in text sits at the extremes of the range and saturates, anatomy keeps
contrast); fills are written into the original values (the frame minimum for monochrome,
black for RGB).

Multi-frame (ultrasound clips, XA runs): burned-in text is mostly static. We OCR a few
sampled frames in full (first, middle, last), fill the union of their regions on every
frame, and run a cheap frame-difference test on the *static* pixels (those that rarely
change between consecutive frames: the overlay, not the moving anatomy). A frame whose static pixels
changed (a clock, a new annotation) gets OCR on the changed area only. A 100-frame clip
thus costs a few OCR passes, not 100.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from deid.core.context import CaseContext
from deid.core.errors import InputError, LimitExceeded
from deid.core.policy import Policy
from deid.core.report import Report, Verification
from deid.image.pipeline import (
    TextMode,
    TextRegion,
    check_deadline,
    face_findings,
    fill_frames,
    find_faces,
    find_text,
    frame_view,
    frame_window,
    obscure_faces,
    ocr_engine,
    redact_and_verify,
    verify_faces,
)
from deid.image.redact import polygons_mask

if TYPE_CHECKING:
    from deid.image.series import SeriesMemory

log = logging.getLogger(__name__)

# Frame-difference test (on 1/4-size grey views): a static pixel changes when it moves by
# more than this many grey levels; this many changed pixels (~ one 10 px glyph) mark a frame.
_DIFF_LEVEL = 24
_DIFF_PIXELS = 6
_SMALL = 4
_STATIC_FLIP_RATE = 0.2
# A transition flips a pixel at a much lower level than a change: noise in live anatomy
# moves most 4x4 means by a few levels every frame, an overlay's do not move at all.
_FLIP_LEVEL = 6


@dataclass(slots=True)
class PixelResult:
    """Frames with PHI filled (same shape and dtype as given) and the Report."""

    frames: np.ndarray
    report: Report = field(default_factory=lambda: Report(input_kind="pixels"))


def _check(frames: np.ndarray, policy: Policy) -> None:
    if not isinstance(frames, np.ndarray):
        raise InputError("frames must be a numpy array", reason="invalid_input")
    if frames.ndim not in (3, 4) or (frames.ndim == 4 and frames.shape[3] != 3):
        raise InputError("frames must have shape (n, rows, cols) or (n, rows, cols, 3)", reason="invalid_input")
    if frames.dtype not in (np.uint8, np.uint16, np.int16):
        raise InputError(f"unsupported pixel dtype {frames.dtype}", reason="unsupported_pixels")
    n, rows, cols = frames.shape[:3]
    if n < 1 or rows < 1 or cols < 1:
        raise InputError("frames array is empty", reason="invalid_input")
    if n > policy.image.max_frames:
        raise LimitExceeded(f"{n} frames exceed the limit of {policy.image.max_frames}", reason="too_many_frames")
    if rows * cols > policy.image.max_pixels:
        raise LimitExceeded(f"{rows}x{cols} pixels exceed the limit of {policy.image.max_pixels}", reason="too_many_pixels")


def _grey_small(view: np.ndarray) -> np.ndarray:
    import cv2

    g = view[:, :, 1] if view.ndim == 3 else view
    h, w = g.shape[:2]
    return cv2.resize(g, (max(1, w // _SMALL), max(1, h // _SMALL)), interpolation=cv2.INTER_AREA).astype(np.int16)


def _grey_small_frame(frame: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """``_grey_small(frame_view(frame, lo, hi))`` without building the RGB view of a
    monochrome frame (three-channel copies were a sixth of a 100-frame clip's cost)."""
    if frame.ndim == 3:
        return _grey_small(frame_view(frame, lo, hi))
    return _grey_small(frame_view(frame[:, :, None], lo, hi)[:, :, 0])


def _sample(n: int, k: int) -> list[int]:
    if n <= k:
        return list(range(n))
    return sorted({round(i * (n - 1) / (k - 1)) for i in range(k)}) if k > 1 else [0]


def scrub_pixels(
    frames: np.ndarray,
    *,
    policy: Policy,
    context: CaseContext,
    text_mode: TextMode,
    faces: bool = False,
    part: str | None = None,
    series: SeriesMemory | None = None,
) -> PixelResult:
    """Fill PHI text (and faces if asked) in decoded frames; see the module doc.

    Raises EngineUnavailable if OCR (or the face model, when ``faces``) cannot run,
    WithheldError("verification_failed") if text stays readable after the extra rounds,
    InputError/LimitExceeded for arrays we do not accept.

    ``series``: the memory of the series a single-frame slice belongs to
    (:mod:`deid.image.series`): its first slices are read in full, later ones on the
    areas that changed.
    """
    t0 = time.perf_counter()
    _check(frames, policy)
    engine = ocr_engine(policy)  # fail closed before any work
    if series is not None and frames.shape[0] == 1 and not faces:
        from deid.image.series import scrub_slice

        cleaned, slice_report = scrub_slice(
            frames, series, policy=policy, context=context, text_mode=text_mode, engine=engine, part=part
        )
        return PixelResult(cleaned, slice_report)
    out = frames.copy()
    n = out.shape[0]
    mono = out.ndim == 3
    report = Report(input_kind="pixels")
    sample = _sample(n, max(1, policy.image.sampled_frames))
    lo, hi = frame_window(out, sample)

    # Faces first, frame by frame (they move); text detection then sees obscured faces.
    if faces:
        tf = time.perf_counter()
        for i in range(n):
            view = frame_view(out[i], lo, hi)
            found_faces = find_faces(view, policy)
            if not found_faces:
                continue
            face_regions = obscure_faces(out[i], view, found_faces, policy)
            if verify_faces(view, face_regions, policy):
                for r in face_regions:  # pixelation not enough for the detector: fill
                    out[i][r[1] : r[3], r[0] : r[2]] = 0
            report.findings.extend(face_findings(found_faces, face_regions, policy, frame=i, part=part))
        report.timings["faces"] = time.perf_counter() - tf
        check_deadline(t0, policy, "faces")

    # Text on the sampled frames.
    tt = time.perf_counter()
    regions: list[TextRegion] = []
    notes: set[str] = set()
    views = {i: frame_view(out[i], lo, hi) for i in sample}
    for i in sample:
        found, _boxes, note = find_text(views[i], text_mode, policy, context, frame=i if n > 1 else None, engine=engine)
        regions.extend(found)
        if note:
            notes.add(note)

    # Frame-difference test on the static pixels of the other frames.
    extra_frames = 0
    if n > len(sample):
        # Two streaming passes (memory stays one small frame, whatever the frame count).
        flips = np.zeros(_grey_small(views[sample[0]]).shape, dtype=np.int32)
        prev = None
        for i in range(n):
            cur = _grey_small_frame(out[i], lo, hi)
            if prev is not None:
                flips += np.abs(cur - prev) > _FLIP_LEVEL
            prev = cur
        # Live anatomy changes in most transitions; an overlay changes rarely (a new
        # annotation, a clock). Pixels that change in at most 1 of 5 transitions are static.
        static = flips <= _STATIC_FLIP_RATE * (n - 1)
        states = [_grey_small(views[i]) for i in sample]  # overlay states already OCR'd
        for i in range(n):
            if i in sample:
                continue
            small_i = _grey_small_frame(out[i], lo, hi)
            # Against the sampled states and the latest few (a clock adds one per second).
            recent = states[: len(sample)] + states[len(sample) :][-8:]
            diffs = [(np.abs(small_i - st) > _DIFF_LEVEL) & static for st in recent]
            counts = [int(d.sum()) for d in diffs]
            best = int(np.argmin(counts))
            if counts[best] < _DIFF_PIXELS:
                continue  # this frame's overlay equals one already read
            view_i = frame_view(out[i], lo, hi)
            ys, xs = np.nonzero(diffs[best])
            pad = 4
            y0, y1 = max(0, (ys.min() - pad) * _SMALL), min(view_i.shape[0], (ys.max() + 1 + pad) * _SMALL)
            x0, x1 = max(0, (xs.min() - 2 * pad) * _SMALL), min(view_i.shape[1], (xs.max() + 1 + 2 * pad) * _SMALL)
            crop = np.ascontiguousarray(view_i[y0:y1, x0:x1])
            found_crop, _b, _n = find_text(crop, text_mode, policy, context, frame=i, engine=engine)
            for tr in found_crop:
                tr.polygon = tr.polygon + np.array([x0, y0], dtype=np.float32)
            regions.extend(found_crop)
            states.append(small_i)
            extra_frames += 1
    report.timings["text"] = time.perf_counter() - tt
    check_deadline(t0, policy, "text")

    # Fill the union of regions on every frame (burned-in text is static).
    polys = [r.polygon for r in regions]
    mask = polygons_mask(out.shape[1:3], polys)
    fill_frames(out, mask, mono)
    for region in regions:
        report.add(region.finding(part=part))

    # Verification: rings around the fills re-read on the sampled frames (one loop, shared
    # with photos); residual text is filled on every frame.
    verification = Verification(ran=False, passed=False, detail="verification disabled by policy")
    if policy.image.verify:
        tv = time.perf_counter()
        added_total = 0
        for i in sample:
            view = frame_view(out[i], lo, hi)
            view[mask] = 0

            def fill(m: np.ndarray, view: np.ndarray = view) -> None:
                fill_frames(out, m, mono)
                view[m] = 0

            filled = [TextRegion(p, "PIXEL_TEXT", 0.0, engine.name, "fill", None) for p in polys]
            added, verification = redact_and_verify(
                view, filled, text_mode, policy, context, fill, engine=engine, frame=i if n > 1 else None
            )
            for tr in added:
                report.add(tr.finding(part=part))
            polys.extend(tr.polygon for tr in added)
            added_total += len(added)
        verification.detail = (
            f"rings around {len(polys)} fills re-read on {len(sample)} frames; {added_total} residual boxes filled"
        )
        report.timings["verify"] = time.perf_counter() - tv
        check_deadline(t0, policy, "verify")
    report.verification = verification
    report.notes.append(
        f"pixel text mode {text_mode}: {len(regions)} regions filled on {n} frames; "
        f"{len(sample)} frames OCR'd in full, {extra_frames} by frame difference"
    )
    if n > 1:
        report.residual_risk.append("text that changes inside the moving image area of a clip is checked only on sampled frames")
    report.residual_risk.extend(sorted(notes))
    report.timings["total"] = time.perf_counter() - t0
    log.info("pixels: %d frames, %d text regions, %d findings", n, len(regions), len(report.findings))
    return PixelResult(out, report)
