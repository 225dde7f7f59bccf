"""The detection -> redaction -> verification core shared by photos and DICOM pixels.

Detection runs on an 8-bit RGB *view* of the image (a windowed rendering for 12/16-bit
data); the regions it returns are applied by the caller to the original array, in its
own dtype. Verification re-runs OCR on the redacted view around every filled region
(see :func:`verify_text`).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from deid.core.context import CaseContext
from deid.core.errors import DeadlineExceeded, WithheldError
from deid.core.policy import Policy
from deid.core.report import Finding
from deid.image.faces import FaceBox, get_face_detector
from deid.image.judge import judge_boxes
from deid.image.ocr import DET_TEXT_PX, OcrEngine, OcrOptions, TextBox, get_ocr_engine
from deid.image.redact import expand_polygon, face_region, obscure_face, polygons_mask

log = logging.getLogger(__name__)

TextMode = Literal["phi", "all"]


@dataclass(slots=True)
class TextRegion:
    """A region to fill: the expanded polygon, and what it held (kind, score, engine)."""

    polygon: np.ndarray
    kind: str
    score: float
    engine: str
    source: str
    frame: int | None = None

    def finding(self, action: str = "redacted", part: str | None = None) -> Finding:
        x0, y0 = np.floor(self.polygon.min(axis=0)).astype(int)
        x1, y1 = np.ceil(self.polygon.max(axis=0)).astype(int)
        return Finding(
            kind=self.kind,
            action=action,
            score=round(float(self.score), 4),
            source=f"ocr:{self.engine}:{self.source}",
            box=(int(max(0, x0)), int(max(0, y0)), int(x1 - max(0, x0)), int(y1 - max(0, y0))),
            frame=self.frame,
            part=part,
        )


def ocr_engine(policy: Policy) -> OcrEngine:
    return get_ocr_engine(policy.image.ocr_engine, policy.image.engine_threads)


def ocr_options(shape: tuple[int, ...], policy: Policy, *, recognize: bool) -> tuple[OcrOptions, str | None]:
    """Detector scale for an image: keep ``min_text_px`` text readable, within budget."""
    h, w = shape[:2]
    want = min(1.0, DET_TEXT_PX / max(1.0, float(policy.image.min_text_px)))
    budget = math.sqrt(policy.image.ocr_max_pixels / float(max(1, h * w)))
    scale = min(want, budget)
    note = None
    if budget < want:
        note = f"text smaller than {math.ceil(DET_TEXT_PX / scale)} px may be missed (OCR pixel budget)"
    return OcrOptions(scale=scale, recognize=recognize), note


def to_rgb8(view: np.ndarray) -> np.ndarray:
    if view.ndim == 2:
        return np.ascontiguousarray(np.repeat(view[:, :, None], 3, axis=2))
    if view.shape[2] == 4:
        return np.ascontiguousarray(view[:, :, :3])
    return np.ascontiguousarray(view)


def find_text(
    view: np.ndarray,
    mode: TextMode,
    policy: Policy,
    context: CaseContext | None,
    *,
    frame: int | None = None,
    engine: OcrEngine | None = None,
) -> tuple[list[TextRegion], list[TextBox], str | None]:
    """Text regions to fill in an RGB uint8 view; also every box read and a scale note."""
    engine = engine or ocr_engine(policy)
    boxes, note = detect_text_boxes(view, policy, engine, recognize=(mode == "phi"))
    regions: list[TextRegion] = []
    if mode == "all":
        # Every text box is filled: no recognition needed to decide (and none is run).
        for b in boxes:
            regions.append(TextRegion(expand_polygon(b.polygon), "PIXEL_TEXT", b.det_score, engine.name, "all", frame))
        return regions, boxes, note
    for v in judge_boxes(boxes, policy, context):
        b = boxes[v.index]
        regions.append(TextRegion(expand_polygon(b.polygon), v.kind, v.score, engine.name, v.source, frame))
    return regions, boxes, note


# Images whose detector input would exceed this many pixels are searched in tiles around
# text candidates first (see detect_text_boxes).
_TILE_ABOVE_PIXELS = 1_000_000
# Tiles may cover at most this fraction of the image; beyond it the whole image is run.
_TILE_MAX_FRACTION = 0.35


def text_candidates(view: np.ndarray, scale: float) -> list[tuple[int, int, int, int]]:
    """Rectangles (full-size x0, y0, x1, y1) that may hold text: a cheap classical pass.

    Morphological gradient -> threshold -> horizontal closing joins the strokes of a
    line into one blob; blobs of text-like size survive. It only chooses where the
    neural detector runs: it over-reports on texture (which then falls back to the whole
    image), and a line it misses entirely is one with almost no contrast.
    """
    import cv2

    grey = cv2.cvtColor(view, cv2.COLOR_RGB2GRAY)
    h, w = grey.shape
    small = cv2.resize(grey, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    grad = cv2.morphologyEx(small, cv2.MORPH_GRADIENT, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)))
    otsu, _ = cv2.threshold(grad, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    _, bw = cv2.threshold(grad, max(float(otsu), 24.0), 255, cv2.THRESH_BINARY)
    bw = cv2.morphologyEx(bw, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 3)))
    n, _labels, stats, _ = cv2.connectedComponentsWithStats(bw, connectivity=8)
    out = []
    for i in range(1, n):
        x, y, bw_, bh, area = (int(v) for v in stats[i])
        if bh < 4 or area < 12 or bh > 300:
            continue
        m = 24 + bh
        out.append((
            max(0, int((x - m) / scale)), max(0, int((y - m) / scale)),
            min(w, int((x + bw_ + m) / scale)), min(h, int((y + bh + m) / scale)),
        ))
    return out


def _merge_rects(rects: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    boxes = [list(r) for r in rects]
    merged = True
    while merged:
        merged = False
        out: list[list[int]] = []
        for r in boxes:
            for o in out:
                if r[0] <= o[2] and o[0] <= r[2] and r[1] <= o[3] and o[1] <= r[3]:
                    o[:] = [min(o[0], r[0]), min(o[1], r[1]), max(o[2], r[2]), max(o[3], r[3])]
                    merged = True
                    break
            else:
                out.append(r)
        boxes = out
    return [(r[0], r[1], r[2], r[3]) for r in boxes]


def detect_text_boxes(
    view: np.ndarray, policy: Policy, engine: OcrEngine, *, recognize: bool
) -> tuple[list[TextBox], str | None]:
    """Every text box in ``view``, sized per ``ocr_options``; large images go in tiles.

    The detector's cost grows with its input (about 0.9 s per megapixel on one core):
    a 12 MP photo at the scale that keeps 10 px text findable would take seconds. When
    the text candidates cover a small part of a large image, only tiles around them
    are run, at that full scale (so small text there is found); otherwise the whole
    image is run at the budget scale and the report says which text size may be missed.
    """
    h, w = view.shape[:2]
    want = min(1.0, DET_TEXT_PX / max(1.0, float(policy.image.min_text_px)))
    if h * w * want * want > _TILE_ABOVE_PIXELS:
        rects = _merge_rects(text_candidates(view, want))
        area = sum((r[2] - r[0]) * (r[3] - r[1]) for r in rects)
        if area <= _TILE_MAX_FRACTION * h * w and area * want * want <= policy.image.ocr_max_pixels:
            opts = OcrOptions(scale=want, recognize=recognize)
            boxes: list[TextBox] = []
            for x0, y0, x1, y1 in rects:
                crop = np.ascontiguousarray(view[y0:y1, x0:x1])
                for b in engine.detect(crop, opts):
                    b.polygon = b.polygon + np.array([x0, y0], dtype=np.float32)
                    boxes.append(b)
            log.debug("text detector on %d tiles (%.0f%% of the image)", len(rects), 100.0 * area / (h * w))
            return boxes, None
    opts, note = ocr_options(view.shape, policy, recognize=recognize)
    return engine.detect(view, opts), note


def _readable(b: TextBox, policy: Policy) -> bool:
    alnum = sum(ch.isalnum() for ch in b.text)
    return alnum >= 2 and b.score >= policy.image.ocr_min_score


def _crop_rects(polys: list[np.ndarray], shape: tuple[int, ...]) -> list[tuple[int, int, int, int]]:
    """Rectangles around filled polygons (grown by a margin), merged when they overlap."""
    h, w = shape[:2]
    rects = []
    for p in polys:
        x0, y0 = p.min(axis=0)
        x1, y1 = p.max(axis=0)
        th = max(8.0, min(x1 - x0, y1 - y0))
        m = max(24.0, 1.5 * th)
        rects.append([max(0, int(x0 - 2 * m)), max(0, int(y0 - m)), min(w, int(x1 + 2 * m)), min(h, int(y1 + m))])
    merged = True
    while merged:
        merged = False
        out: list[list[int]] = []
        for r in rects:
            for o in out:
                if r[0] <= o[2] and o[0] <= r[2] and r[1] <= o[3] and o[1] <= r[3]:
                    o[:] = [min(o[0], r[0]), min(o[1], r[1]), max(o[2], r[2]), max(o[3], r[3])]
                    merged = True
                    break
            else:
                out.append(list(r))
        rects = out
    return [(r[0], r[1], r[2], r[3]) for r in rects]


def verify_text(
    redacted_view: np.ndarray,
    filled: list[np.ndarray],
    mode: TextMode,
    policy: Policy,
    context: CaseContext | None,
    *,
    engine: OcrEngine | None = None,
) -> list[TextBox]:
    """Text still readable that must go: boxes found by re-OCR around filled regions.

    Only regions around fills are re-read: the detector is convolutional with a bounded
    receptive field, so pixels far from any change give the same boxes and text as in
    the first pass, where every box was already judged (deny-list included). Near a fill
    we look for glyph fragments left at its edges and for text the fill uncovered.
    In "all" mode any readable text there is residual; in "phi" mode text that overlaps
    a fill or is judged PHI is.
    """
    if not filled:
        return []
    engine = engine or ocr_engine(policy)
    want = min(1.0, DET_TEXT_PX / max(1.0, float(policy.image.min_text_px)))
    heights = [(p, _poly_height(p)) for p in filled]
    fill_mask = polygons_mask(redacted_view.shape[:2], filled)
    residual: list[TextBox] = []
    for x0, y0, x1, y1 in _crop_rects(filled, redacted_view.shape):
        crop = np.ascontiguousarray(redacted_view[y0:y1, x0:x1])
        # Fragments left by a fill are as tall as the text it covered: run the detector at
        # the scale that makes the smallest covered text ~16 px, not at the 10 px scale
        # (text away from fills was read in the first pass, at that scale).
        inside = [hgt for p, hgt in heights if x0 <= p[:, 0].mean() <= x1 and y0 <= p[:, 1].mean() <= y1]
        scale = min(want, 16.0 / max(1.0, min(inside))) if inside else want
        boxes = engine.detect(crop, OcrOptions(scale=scale, recognize=True))
        for b in boxes:
            b.polygon = b.polygon + np.array([x0, y0], dtype=np.float32)
        readable = [b for b in boxes if _readable(b, policy)]
        if mode == "all":
            residual.extend(readable)
            continue
        judged = {v.index for v in judge_boxes(readable, policy, context)} if readable else set()
        for i, b in enumerate(readable):
            touches = polygons_mask(redacted_view.shape[:2], [b.polygon]) & fill_mask
            if i in judged or touches.any():
                residual.append(b)
    return residual


def _poly_height(p: np.ndarray) -> float:
    """Short side of a filled (expanded) rectangle, less its padding (about 1.4x text)."""
    a = float(np.linalg.norm(p[1] - p[0]))
    b = float(np.linalg.norm(p[3] - p[0])) if len(p) > 3 else a
    return max(1.0, min(a, b) / 1.4)


def find_faces(view: np.ndarray, policy: Policy) -> list[FaceBox]:
    detector = get_face_detector(policy.image.face_detector, policy.image.engine_threads)
    return detector.detect(
        view,
        threshold=policy.image.face_threshold,
        min_face_px=policy.image.face_min_px,
        max_pixels=policy.image.face_max_pixels,
    )


def face_findings(faces: list[FaceBox], regions: list[tuple[int, int, int, int]], policy: Policy, *, frame: int | None, part: str | None) -> list[Finding]:
    action = {"pixelate": "pixelated", "blur": "blurred", "fill": "redacted"}[policy.image.face_operator]
    return [
        Finding(
            kind="FACE",
            action=action,
            score=round(f.score, 4),
            source=f"face:{policy.image.face_detector}",
            box=(r[0], r[1], r[2] - r[0], r[3] - r[1]),
            frame=frame,
            part=part,
        )
        for f, r in zip(faces, regions, strict=True)
    ]


def obscure_faces(image: np.ndarray, view: np.ndarray, faces: list[FaceBox], policy: Policy) -> list[tuple[int, int, int, int]]:
    """Obscure faces in ``image`` (and mirror it on ``view`` when it is another array)."""
    regions = [face_region(f, policy.image.face_margin, image.shape) for f in faces]
    for r in regions:
        obscure_face(image, r, policy.image.face_operator)
        if view is not image:
            obscure_face(view, r, policy.image.face_operator)
    return regions


def verify_faces(view: np.ndarray, regions: list[tuple[int, int, int, int]], policy: Policy) -> list[tuple[int, int, int, int]]:
    """Face regions in which the detector still finds a face after obscuring."""
    if not regions:
        return []
    detector = get_face_detector(policy.image.face_detector, policy.image.engine_threads)
    still = []
    for x0, y0, x1, y1 in regions:
        crop = np.ascontiguousarray(view[y0:y1, x0:x1])
        if min(crop.shape[:2]) < 16:
            continue
        hits = detector.detect(crop, threshold=policy.image.face_threshold, min_face_px=15, max_pixels=policy.image.face_max_pixels)
        # A hit must cover a good part of the region to be the same face, not texture.
        if any(f.size >= 0.3 * max(x1 - x0, y1 - y0) for f in hits):
            still.append((x0, y0, x1, y1))
    return still


def check_deadline(t0: float, policy: Policy, stage: str) -> None:
    """Withhold (DeadlineExceeded) once ``policy.limits.timeout_s`` has passed since t0.

    Checked between stages: an engine call is not interrupted, so the overrun is at most
    one stage.
    """
    import time

    limit = policy.limits.timeout_s
    if limit > 0 and time.perf_counter() - t0 > limit:
        raise DeadlineExceeded(f"image scrub exceeded {limit:g} s (after {stage})")


def withhold_verification(detail: str) -> WithheldError:
    return WithheldError(f"verification failed: {detail}", reason="verification_failed")
