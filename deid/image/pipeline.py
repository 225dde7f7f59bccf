"""The detection -> redaction -> verification core shared by photos and DICOM pixels.

Detection runs on an 8-bit RGB *view* of the image (a windowed rendering for 12/16-bit
data); the regions it returns are applied by the caller to the original array, in its
own dtype. Verification re-runs OCR on the redacted view around every filled region
(see :func:`verify_text`).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np

from deid.core.context import CaseContext
from deid.core.errors import DeadlineExceeded, WithheldError
from deid.core.policy import Policy
from deid.core.report import Finding, Verification
from deid.image.faces import FaceBox, get_face_detector
from deid.image.judge import annotation_safe, judge_boxes
from deid.image.ocr import DET_TEXT_PX, OcrEngine, OcrOptions, TextBox, get_ocr_engine
from deid.image.redact import expand_polygon, face_region, obscure_face, polygons_mask

log = logging.getLogger(__name__)

TextMode = Literal["phi", "all", "annotation"]


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


# Padding of a text fill, as a fraction of the text height, on every side: detector
# quads hug the x-height band of a line; ascenders, descenders, accents and anti-aliased
# edges reach about a quarter of the height beyond it.
TEXT_PAD = 0.3
# Safe annotation is short ("LT KIDNEY TRANSVERSE", "Gain 54 FR 28Hz"): in "annotation"
# mode a box longer than this many text heights is filled unread.
ANNOTATION_MAX_ASPECT = 24.0
# ... and when one detector call finds more boxes than this, none is read (see OcrOptions).
ANNOTATION_MAX_BOXES = 60


def readable(b: TextBox, policy: Policy) -> bool:
    """Did recognition read something (two letters or digits at the minimum score)?"""
    return sum(ch.isalnum() for ch in b.text) >= 2 and b.score >= policy.image.ocr_min_score


def _read_one(b: TextBox, policy: Policy) -> bool:
    return any(ch.isalnum() for ch in b.text) and b.score >= policy.image.ocr_min_score


# A box neither read (2+ characters) nor text-sized is no text line: CenterFace-pixelated
# faces, skin and fabric make the detector return boxes as tall as a third of the image
# that "read" one character. Text-sized: at most this fraction of the image's short side
# (corner labels on a 2330 px radiograph are ~2-4 %), or this many pixels.
_TEXT_MAX_HEIGHT = 0.1
_TEXT_MAX_PX = 48.0


def texty(b: TextBox, policy: Policy, shape: tuple[int, ...]) -> bool:
    """Is this detector box plausibly a line of text (read, or text-sized)?"""
    if readable(b, policy):
        return True
    limit = max(_TEXT_MAX_PX, _TEXT_MAX_HEIGHT * min(shape[:2]))
    return b.height <= limit and b.det_score >= 0.5


# A read is whole when its letters and digits could fill the box: at most this many box
# heights of box length per character (a glyph is about 0.4 box heights wide, a space
# or a colon between them adds little). Two characters' worth is always allowed.
_READ_MAX_HEIGHTS_PER_CHAR = 2.0


def read_whole(b: TextBox) -> bool:
    """Does the text read plausibly span the box, or did recognition skip glyphs?

    Measured: a 305x15 px line "NAME NAME [F] date DOB: date" on an MR localiser, at a
    detector scale that put its box a pixel off, read back as "ED  - D D 961" at 0.69
    confidence, and every token of that is annotation vocabulary or a number. What was
    not read cannot be known safe.
    """
    n = sum(ch.isalnum() for ch in b.text)
    p = b.polygon
    length = max(float(np.linalg.norm(p[1] - p[0])), float(np.linalg.norm(p[3] - p[0])))
    return length <= _READ_MAX_HEIGHTS_PER_CHAR * b.height * max(2, n)


def kept_annotation(b: TextBox, policy: Policy) -> bool:
    """A box that may stay in "annotation" mode: read whole, every token safe annotation."""
    return _read_one(b, policy) and annotation_safe(b.text) and read_whole(b)


def judge_text(
    boxes: list[TextBox],
    mode: TextMode,
    policy: Policy,
    context: CaseContext | None,
    shape: tuple[int, ...],
) -> list[tuple[int, str, float, str]]:
    """(box index, kind, score, source) for every box that must be filled under ``mode``.

    "all": every box. "annotation": every box that is not known-safe annotation (an
    unreadable box is not known safe), and any box the deny-list, label or pattern rules
    flag. "phi": boxes judged PHI (analyzer, deny-list, rules). Boxes that are no text
    line (:func:`texty`) are left alone in every mode.
    """
    if mode == "all":
        return [(i, "PIXEL_TEXT", b.det_score, "all") for i, b in enumerate(boxes) if texty(b, policy, shape)]
    if mode == "phi":
        return [(v.index, v.kind, v.score, v.source) for v in judge_boxes(boxes, policy, context)]
    flagged = {v.index: v for v in judge_boxes(boxes, policy, context, use_analyzer=False)}
    out = []
    for i, b in enumerate(boxes):
        v = flagged.get(i)
        if v is not None:
            out.append((i, v.kind, v.score, v.source))
        elif not kept_annotation(b, policy) and texty(b, policy, shape):
            out.append((i, "PIXEL_TEXT", b.det_score, "annotation"))
    return out


def frame_window(frames: np.ndarray, sample: list[int]) -> tuple[float, float]:
    """(low, high) grey window of 12/16-bit frames from the sampled ones (0.5 / 99.5 percentiles).

    The scrubber and ``deid verify`` render frames with this same window.
    """
    if frames.dtype == np.uint8:
        return 0.0, 255.0
    vals = np.concatenate([frames[i].ravel()[:: max(1, frames[i].size // 200_000)] for i in sample])
    lo, hi = np.percentile(vals, [0.5, 99.5])
    if hi <= lo:
        lo, hi = float(vals.min()), float(vals.max())
    if hi <= lo:
        hi = lo + 1.0
    return float(lo), float(hi)


def frame_view(frame: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """An RGB uint8 rendering of one frame for detection."""
    if frame.dtype == np.uint8:
        v = frame
    else:
        v = np.clip((frame.astype(np.float32) - lo) * (255.0 / (hi - lo)), 0, 255).astype(np.uint8)
    return to_rgb8(v)


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
    ann = mode == "annotation"
    boxes, note = detect_text_boxes(
        view,
        policy,
        engine,
        recognize=(mode != "all"),
        read_max_aspect=ANNOTATION_MAX_ASPECT if ann else 0.0,
        read_max_boxes=ANNOTATION_MAX_BOXES if ann else 0,
    )
    regions = [
        TextRegion(expand_polygon(boxes[i].polygon, TEXT_PAD), kind, score, engine.name, source, frame)
        for i, kind, score, source in judge_text(boxes, mode, policy, context, view.shape)
    ]
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


def fill_frames(out: np.ndarray, mask: np.ndarray, mono: bool) -> None:
    """Fill ``mask`` on every frame of ``out`` (each frame's minimum for greyscale, black for colour)."""
    if not mask.any():
        return
    for i in range(out.shape[0]):
        out[i][mask] = out[i].min() if mono else 0


def merge_rects(rects: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Overlapping (x0, y0, x1, y1) rectangles merged into their bounding rectangles."""
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
    view: np.ndarray,
    policy: Policy,
    engine: OcrEngine,
    *,
    recognize: bool,
    read_max_aspect: float = 0.0,
    read_max_boxes: int = 0,
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
        rects = merge_rects(text_candidates(view, want))
        area = sum((r[2] - r[0]) * (r[3] - r[1]) for r in rects)
        if area <= _TILE_MAX_FRACTION * h * w and area * want * want <= policy.image.ocr_max_pixels:
            opts = OcrOptions(
                scale=want, recognize=recognize, read_max_aspect=read_max_aspect, read_max_boxes=read_max_boxes, box_thresh=LOW_BOX_SCORE
            )
            boxes: list[TextBox] = []
            for x0, y0, x1, y1 in rects:
                crop = np.ascontiguousarray(view[y0:y1, x0:x1])
                for b in _faint_read(engine.detect(crop, opts), policy):
                    b.polygon = b.polygon + np.array([x0, y0], dtype=np.float32)
                    boxes.append(b)
            log.debug("text detector on %d tiles (%.0f%% of the image)", len(rects), 100.0 * area / (h * w))
            return boxes, None
    opts, note = ocr_options(view.shape, policy, recognize=recognize)
    opts = OcrOptions(
        scale=opts.scale, recognize=recognize, read_max_aspect=read_max_aspect, read_max_boxes=read_max_boxes, box_thresh=LOW_BOX_SCORE
    )
    raw = engine.detect(view, opts)
    boxes = _faint_read(raw, policy)
    boxes += _split_blocks(view, boxes, opts, policy, engine)
    boxes += _weak_reads(view, boxes, opts, policy, engine)
    boxes += _inverted_pass(view, boxes, opts, policy, engine, swallowed=_swallowed(raw, policy, view.shape))
    if policy.image.contrast_pass and h * w * opts.scale**2 <= _CONTRAST_PASS_PIXELS and _light(view):
        boxes += _contrast_pass(view, [b for b in boxes if texty(b, policy, view.shape)], opts, engine)
    return boxes, note


# The first pass asks the detector for boxes down to this mean text probability (RapidOCR
# keeps 0.5 and up). Grey 8-10 px names on ultrasound speckle came out at 0.33-0.44 at
# the 0.75 detector scale (and at 0.57-0.76 at 0.6 or 1.0: the score of faint small text
# swings with the scale). A box below 0.5 is kept only when it reads as text.
LOW_BOX_SCORE = 0.3
_BOX_SCORE = 0.5


def _faint_read(boxes: list[TextBox], policy: Policy) -> list[TextBox]:
    """Drop faint detector boxes (below the usual 0.5 score) that do not read as text."""
    return [b for b in boxes if b.det_score >= _BOX_SCORE or readable(b, policy)]


# At most this many unread blocks per image are searched again, each at most this
# fraction of the image (larger ones are skin, fabric or a pixelated face).
_MAX_BLOCKS = 6
_BLOCK_MAX_FRACTION = 0.2


def _split_blocks(view: np.ndarray, boxes: list[TextBox], opts: OcrOptions, policy: Policy, engine: OcrEngine) -> list[TextBox]:
    """Lines inside detector boxes too tall to be one line, found on a crop of each.

    On a low-contrast label the detector can merge three lines into one box that reads
    nothing and is no text line (:func:`texty`); on a crop around that box alone it
    separates the lines (measured: a pale sticker whose three lines came back as one
    418x153 box at 0.75 scale, and as three read lines on the crop at the same scale).
    """
    h, w = view.shape[:2]
    blocks = [
        b for b in boxes
        if b.det_score >= _BOX_SCORE and not texty(b, policy, view.shape) and b.box[2] * b.box[3] <= _BLOCK_MAX_FRACTION * h * w
    ]
    if not blocks or len(blocks) > _MAX_BLOCKS or not opts.recognize:
        return []
    lines = [b for b in boxes if texty(b, policy, view.shape)]
    have = polygons_mask((h, w), [b.polygon for b in lines]) if lines else np.zeros((h, w), bool)
    out: list[TextBox] = []
    for b in _read_around(view, blocks, 8, opts, policy, engine):
        bm, win = _local_mask(b.polygon, view.shape)
        if texty(b, policy, view.shape) and (bm & have[win]).sum() < 0.5 * max(1, int(bm.sum())):
            out.append(b)
    return out


def _read_around(
    view: np.ndarray, boxes: list[TextBox], margin_div: int, opts: OcrOptions, policy: Policy, engine: OcrEngine
) -> Iterator[TextBox]:
    """Text found and read on a crop around each box (margin: box height // ``margin_div``,
    at least 8 px), with ``_faint_read``'s cut, in full-frame coordinates."""
    h, w = view.shape[:2]
    for blk in boxes:
        x, y, bw, bh = blk.box
        m = max(8, bh // margin_div)
        x0, y0, x1, y1 = max(0, x - m), max(0, y - m), min(w, x + bw + m), min(h, y + bh + m)
        if x1 - x0 < 8 or y1 - y0 < 8:
            continue
        crop = np.ascontiguousarray(view[y0:y1, x0:x1])
        for b in _faint_read(engine.detect(crop, opts), policy):
            b.polygon = b.polygon + np.array([x0, y0], dtype=np.float32)
            yield b


# A line kept as annotation on a read below this score is looked at again (see _weak_reads).
_WEAK_READ = 0.8
# ... on a crop at this detector scale.
_WEAK_READ_SCALE = 1.5


def _weak_reads(view: np.ndarray, boxes: list[TextBox], opts: OcrOptions, policy: Policy, engine: OcrEngine) -> list[TextBox]:
    """Lines inside boxes kept as annotation on a weak read, found on a crop of each.

    On a speckle frame the detector can return one box 40-55 px tall around a grey 9 px
    name and the speckle beside it, which the recogniser reads as one or two letters of
    annotation ("S", "S 4") at 0.6; kept, the name stays. On a crop around such a box at
    1.5x the name is its own box and reads whole (measured on tuning frames: 2 of 2).
    Dark frames up to ``_INVERTED_PASS_PIXELS`` only (ultrasound, CT), at most
    ``_MAX_BLOCKS`` boxes; the boxes found are judged like any other.
    """
    h, w = view.shape[:2]
    if not opts.recognize or h * w > _INVERTED_PASS_PIXELS or _light(view):
        return []
    weak = [b for b in boxes if b.score < _WEAK_READ and kept_annotation(b, policy) and b.box[2] * b.box[3] <= _BLOCK_MAX_FRACTION * h * w]
    if not weak or len(weak) > _MAX_BLOCKS:
        return []
    scaled = dataclasses.replace(opts, scale=_WEAK_READ_SCALE)
    return [b for b in _read_around(view, weak, 2, scaled, policy, engine) if texty(b, policy, view.shape)]


# A detector box covering more than this fraction of the image that is no text line is
# texture the detector took for text (ultrasound speckle, fabric); text inside it is lost,
# and the inverted pass runs at full scale. Measured on 213 tuning speckle frames with a
# readable grey name: at 0.5 one name in 120 more was left (its texture box covered 0.29
# of the frame), at 0.25 none, same CPU per frame within 0.01 s.
_SWALLOWED_FRACTION = 0.25
# The inverted pass runs on images up to this size (an ultrasound frame, a CT slice).
_INVERTED_PASS_PIXELS = 800_000


# The inverted map is also binarised at these levels (see OcrOptions.extra_bin_thresh).
# Measured on 353 tuning speckle frames with a readable grey 10-12 px name (after the
# texture-fraction and weak-read changes): names left 7 at 0.7 alone, 4 with 0.5 and 0.7,
# 3 with 0.5, 0.7 and 0.8 (the name stands apart from the speckle at a level that varies
# with the speckle's brightness); post-processing only, ~0.01 s more per frame for the reads.
_INVERTED_EXTRA_BIN = (0.5, 0.7, 0.8)
# Detector scale of the inverted pass on dark frames where the first pass saw no texture
# box (at 1.0 where it did). Measured on 60 fresh random speckle frames with a readable grey
# 10-12 px name: names left readable 3 of 41 (18 of 41 with the pass only behind a texture
# box); running it at 1.0 on every dark frame also left 3, at 0.875 14, and cost
# 0.05 s more per 640x480 frame than at 0.75.
_INVERTED_SCALE = 0.75
# ... and where it did.
_INVERTED_SWALLOWED_SCALES: tuple[float, ...] = (1.0,)


def _swallowed(boxes: list[TextBox], policy: Policy, shape: tuple[int, ...]) -> bool:
    """Did the detector take a texture covering most of the image for one text box?

    Judged on every box the detector returned down to ``LOW_BOX_SCORE``, before faint
    unread boxes are dropped: on speckle frames the sector-sized box often scores
    0.4-0.5, and a name inside it is then lost just the same.
    """
    h, w = shape[:2]
    return any(b.box[2] * b.box[3] > _SWALLOWED_FRACTION * h * w and not texty(b, policy, shape) for b in boxes)


def _inverted_pass(
    view: np.ndarray, boxes: list[TextBox], opts: OcrOptions, policy: Policy, engine: OcrEngine, *, swallowed: bool | None = None
) -> list[TextBox]:
    """Text inside a texture (ultrasound speckle), found on the inverted image.

    On a 640x480 ultrasound frame whose speckle band carries a grey 11 px name, the first
    pass often returns one frame-sized box that reads nothing, or nothing at all, and the
    name is lost at every scale, blurred or not; on the inverted frame (dark text on a
    light, noisy ground) the detector finds it far more often, and more again when its
    map is also binarised at 0.7 (the name stands apart from the speckle there). It runs
    on every dark frame up to ``_INVERTED_PASS_PIXELS`` (at ``_INVERTED_SCALE``; at full
    scale where the first pass, faint boxes included, saw texture covering more than
    ``_SWALLOWED_FRACTION`` of the image) and on light ones with such a texture box. One
    more detector run (0.05-0.09 s on such a frame). Only boxes that are not lines of the
    first pass are read (when there are more than ``read_max_boxes``, the line-shaped
    ones); a box found only at a stricter level (``_INVERTED_EXTRA_BIN``) counts when it
    reads as text, the others as usual (:func:`texty`), and all are judged like any
    other (the judge removes what it cannot read as safe annotation).
    """
    h, w = view.shape[:2]
    if h * w > _INVERTED_PASS_PIXELS:
        return []
    if swallowed is None:
        swallowed = _swallowed(boxes, policy, view.shape)
    if _light(view) and not swallowed:
        return []
    scales = _INVERTED_SWALLOWED_SCALES if swallowed else (_INVERTED_SCALE,)
    lines = [b for b in boxes if texty(b, policy, view.shape)]
    have = polygons_mask((h, w), [b.polygon for b in lines]) if lines else np.zeros((h, w), bool)
    # The inverted map binarised at 0.7 as well: measured on 19 random speckle frames with
    # a readable grey 10-12 px name, 16 names stood apart at 0.7, 12 at 0.3 alone.
    inv = np.ascontiguousarray(255 - view)
    found: list[TextBox] = []
    for scale in scales:
        found += engine.detect(inv, dataclasses.replace(opts, scale=scale, recognize=False, extra_bin_thresh=_INVERTED_EXTRA_BIN))
    # Only boxes that are not lines the first pass has are read (the inverted frame finds
    # the same annotation again: reading it twice was most of this pass's cost).
    new = []
    for b in found:
        bm, win = _local_mask(b.polygon, view.shape)
        if (bm & have[win]).sum() < 0.5 * max(1, int(bm.sum())):
            new.append(b)
    if opts.recognize:
        todo = [b for b in new if not opts.read_max_aspect or _aspect_ratio(b) <= opts.read_max_aspect]
        if opts.read_max_boxes and len(todo) > opts.read_max_boxes:
            # The inverted speckle at full scale can come back as a hundred blobs; the
            # name among them is a line-shaped box. Read those (the others stay unread:
            # faint or strict ones are dropped, the rest filled as unread text).
            todo = sorted((b for b in todo if _line_shaped(b)), key=lambda b: -b.det_score)[: opts.read_max_boxes]
        engine.read(inv, todo)
    out: list[TextBox] = []
    for b in new:
        if not b.text:
            b.score = 0.0  # unread: the detector score stays in det_score
    for b in _faint_read(new, policy):
        if readable(b, policy) if b.strict else texty(b, policy, view.shape):
            out.append(b)
    return out


# A box is line-shaped when it is text-sized and at least this many heights long.
_LINE_MIN_ASPECT = 2.0


def _line_shaped(b: TextBox) -> bool:
    return b.height <= _TEXT_MAX_PX and _aspect_ratio(b) >= _LINE_MIN_ASPECT


def _aspect_ratio(b: TextBox) -> float:
    p = b.polygon
    a = float(np.linalg.norm(p[1] - p[0]))
    c = float(np.linalg.norm(p[3] - p[0]))
    return max(a, c) / max(1.0, min(a, c))


# The contrast-normalised pass runs when the detector input is at most this large (a
# second pass over a 12 MP photo would double its cost; such photos go through tiles).
_CONTRAST_PASS_PIXELS = 1_300_000


def _local_mask(poly: np.ndarray, shape: tuple[int, ...]) -> tuple[np.ndarray, tuple[slice, slice]]:
    """The polygon's mask within its own bounding window (not a full-image array)."""
    h, w = shape[:2]
    x0, y0 = np.floor(poly.min(axis=0)).astype(int)
    x1, y1 = np.ceil(poly.max(axis=0)).astype(int) + 1
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 <= x0 or y1 <= y0:
        return np.zeros((0, 0), bool), (slice(0, 0), slice(0, 0))
    m = polygons_mask((y1 - y0, x1 - x0), [poly - np.array([x0, y0], dtype=np.float32)])
    return m, (slice(y0, y1), slice(x0, x1))


def _light(view: np.ndarray) -> bool:
    """Mid or light image (labels, screens, photos), where faint text hides.

    On dark frames (ultrasound, CT, radiograph backgrounds) burned-in text is light on
    dark and found by the plain pass, and CLAHE amplifies speckle into false text: the
    second pass is skipped there (it was a third of an ultrasound frame's cost).
    """
    return float(np.median(view[::8, ::8])) >= 90.0


def _contrast_pass(view: np.ndarray, found: list[TextBox], opts: OcrOptions, engine: OcrEngine) -> list[TextBox]:
    """Text the plain pass missed, found on a CLAHE-normalised copy of ``view``.

    Measured on rendered text: light-on-light labels (12-20 grey levels of contrast) were
    found in 9 of 12 cases after CLAHE, 0 of 12 without; on ultrasound speckle CLAHE
    amplifies the speckle and finds less, which is why it is a second pass, not the only
    one. New boxes are read on the normalised copy (crops around each).
    """
    import cv2

    lab = cv2.cvtColor(view, cv2.COLOR_RGB2LAB)
    lab[:, :, 0] = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8)).apply(np.ascontiguousarray(lab[:, :, 0]))
    norm = cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)
    extra = engine.detect(norm, OcrOptions(scale=opts.scale, recognize=False))
    h, w = view.shape[:2]
    out: list[TextBox] = []
    have = polygons_mask((h, w), [b.polygon for b in found]) if found else np.zeros((h, w), bool)
    new = []
    for b in extra:
        bm, win = _local_mask(b.polygon, view.shape)
        if (bm & have[win]).sum() < 0.5 * max(1, int(bm.sum())):
            new.append(b)
    if not opts.recognize or (opts.read_max_boxes and len(new) > opts.read_max_boxes):
        return new
    for b in new:
        x, y, bw, bh = b.box
        m = max(4, bh // 2)
        x0, y0 = max(0, x - m), max(0, y - m)
        crop = np.ascontiguousarray(norm[y0 : min(h, y + bh + m), x0 : min(w, x + bw + m)])
        reads = engine.detect(crop, OcrOptions(scale=1.0, recognize=True, read_max_aspect=opts.read_max_aspect)) if crop.size else []
        best = max(reads, key=lambda r: r.score, default=None)
        if best is not None:
            b.text, b.score = best.text, best.score
        out.append(b)
    return out


def _rings(polys: list[np.ndarray], shape: tuple[int, ...], reach: float = 0.8) -> list[tuple[int, int, int, int, float]]:
    """(x0, y0, x1, y1, text height) of a tight ring around each fill.

    The ring reaches ``reach`` text heights (0.8 by default) beyond the fill: fragments
    left at its edges and the neighbouring glyphs of a partly covered word lie there.
    Rings of fills on one line that overlap are merged (one crop per line, not per word).
    """
    h, w = shape[:2]
    rings: list[list[float]] = []
    for p in polys:
        th = _poly_height(p)
        # A wide reach is for blocks of small lines; a tall box (texture, a big label)
        # keeps the tight ring (its ring would otherwise span the whole image).
        m = max(4.0, (reach if th <= _TEXT_MAX_PX else min(reach, 0.8)) * th)
        x0, y0 = p.min(axis=0)
        x1, y1 = p.max(axis=0)
        rings.append([max(0.0, x0 - m), max(0.0, y0 - m), min(float(w), x1 + m), min(float(h), y1 + m), th, 0.0])
    for r in rings:
        r[5] = (r[2] - r[0]) * (r[3] - r[1])
    # Merge overlapping rings when the merged crop is not much larger than the two (lines
    # of a page become one crop: one detector call instead of one per line).
    merged = True
    while merged:
        merged = False
        out: list[list[float]] = []
        for r in rings:
            for o in out:
                if r[0] <= o[2] and o[0] <= r[2] and r[1] <= o[3] and o[1] <= r[3]:
                    box = [min(o[0], r[0]), min(o[1], r[1]), max(o[2], r[2]), max(o[3], r[3])]
                    area = (box[2] - box[0]) * (box[3] - box[1])
                    if area <= 1.3 * (o[5] + r[5]) and max(o[4], r[4]) <= 2 * min(o[4], r[4]):
                        o[:] = [*box, min(o[4], r[4]), o[5] + r[5]]
                        merged = True
                        break
            else:
                out.append(r)
        rings = out
    if len(rings) > _MAX_RINGS:
        # A page or a texture: one crop around every fill (bounded by the pixel budget).
        box = [min(r[0] for r in rings), min(r[1] for r in rings), max(r[2] for r in rings), max(r[3] for r in rings)]
        rings = [[*box, min(r[4] for r in rings), 0.0]]
    return [(int(r[0]), int(r[1]), int(math.ceil(r[2])), int(math.ceil(r[3])), r[4]) for r in rings]


# Rings of later verification rounds reach this many text heights beyond a new fill: two
# lines below and above at ordinary line spacing (1.2-1.5 heights).
_BLOCK_REACH = 3.0

# More rings than this are read as one crop (one detector call instead of dozens).
_MAX_RINGS = 40


# Verification reads each ring so that a fragment (about 1/5 of the text height) is
# detector-sized: scale = _FRAGMENT_PX / (0.2 * text height), at most 3x (small text is
# read upscaled), at least 0.5x, within this many detector input pixels per ring.
_FRAGMENT_PX = 6.0
_VERIFY_MAX_UP = 3.0
_VERIFY_RING_PIXELS = 600_000
# A fragment is a strip left at the edge of a fill: its height, against the text the
# fill covered, is below this fraction (a whole neighbouring line is as tall as text).
_FRAGMENT_HEIGHT = 0.65


def verify_text(
    redacted_view: np.ndarray,
    filled: list[np.ndarray],
    mode: TextMode,
    policy: Policy,
    context: CaseContext | None,
    *,
    engine: OcrEngine | None = None,
    around: list[np.ndarray] | None = None,
    reach: float = 0.8,
    missed: list[TextBox] | None = None,
) -> list[TextBox]:
    """Text still there that must go: boxes found by re-reading a ring around each fill.

    ``around``: read rings around these fills only (default: every fill in ``filled``),
    reaching ``reach`` text heights beyond each. ``missed`` (if given) receives the
    residual boxes that are whole lines (not fragments at a fill's edge): text the first
    pass did not find.

    Each ring is read at the scale that makes the tops and bottoms of glyphs left at a
    fill's edge detector-sized (small text upscaled up to 3x). Residual:
    * any detector box touching a fill that is a fragment (shorter than the text under
      the fill), read or not: tops and bottoms of letters count;
    * in "phi" mode, any readable box touching a fill;
    * any other box the mode would fill (text the first pass missed or a fill revealed).
    Only rings are re-read: the detector is convolutional with a bounded receptive field,
    so pixels far from any change give the same boxes as in the first pass.
    """
    import cv2

    if not filled:
        return []
    engine = engine or ocr_engine(policy)
    fill_mask = polygons_mask(redacted_view.shape[:2], filled)
    near = cv2.dilate(fill_mask.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    residual: list[TextBox] = []
    for x0, y0, x1, y1, text_h in _rings(filled if around is None else around, redacted_view.shape, reach):
        crop = np.ascontiguousarray(redacted_view[y0:y1, x0:x1])
        if min(crop.shape[:2]) < 4:
            continue
        scale = min(_VERIFY_MAX_UP, max(0.5, _FRAGMENT_PX / (0.2 * text_h)))
        scale = min(scale, math.sqrt(_VERIFY_RING_PIXELS / float(crop.shape[0] * crop.shape[1])))
        ann = mode == "annotation"
        opts = OcrOptions(
            scale=scale,
            read_max_aspect=ANNOTATION_MAX_ASPECT if ann else 0.0,
            read_max_boxes=ANNOTATION_MAX_BOXES if ann else 0,
        )
        boxes = engine.detect(crop, opts)
        for b in boxes:
            b.polygon = b.polygon + np.array([x0, y0], dtype=np.float32)
        shape = redacted_view.shape
        must = {i for i, *_ in judge_text(boxes, mode, policy, context, shape)} if boxes else set()
        for i, b in enumerate(boxes):
            bmask, win = _local_mask(b.polygon, shape)
            touches = bool((bmask & near[win]).any())
            # A box mostly over the fill that reads nothing is the detector on the fill's
            # own edges (black blocks between lines), not text left behind.
            on_fill = float((bmask & fill_mask[win]).sum()) >= 0.5 * max(1, int(bmask.sum()))
            if on_fill and not readable(b, policy):
                continue
            fragment = touches and b.height < _FRAGMENT_HEIGHT * text_h
            # Kept annotation next to a fill stays (it was read whole); in "phi" mode any
            # readable line touching a fill goes (it may be the rest of a PHI line).
            line = touches and mode == "phi" and readable(b, policy)
            if i in must or fragment or line:
                residual.append(b)
                if missed is not None and not fragment and b.height >= _FRAGMENT_HEIGHT * text_h:
                    missed.append(b)
    return residual


def _dedupe(boxes: list[TextBox]) -> list[TextBox]:
    """Boxes of the same text read at two scales: keep one (the better read)."""
    out: list[TextBox] = []
    for b in sorted(boxes, key=lambda t: -t.score):
        bx0, by0, bw, bh = b.box
        dup = False
        for k in out:
            kx0, ky0, kw, kh = k.box
            ix = max(0, min(bx0 + bw, kx0 + kw) - max(bx0, kx0))
            iy = max(0, min(by0 + bh, ky0 + kh) - max(by0, ky0))
            if ix * iy >= 0.8 * min(bw * bh, kw * kh):
                dup = True
                break
        if not dup:
            out.append(b)
    return out


def _poly_height(p: np.ndarray) -> float:
    """Short side of a filled (expanded) rectangle, less its padding."""
    a = float(np.linalg.norm(p[1] - p[0]))
    b = float(np.linalg.norm(p[3] - p[0])) if len(p) > 3 else a
    return max(1.0, min(a, b) / (1 + 2 * TEXT_PAD))


Fill = Callable[[np.ndarray], None]


def redact_and_verify(
    view: np.ndarray,
    regions: list[TextRegion],
    mode: TextMode,
    policy: Policy,
    context: CaseContext | None,
    fill: Fill,
    *,
    engine: OcrEngine | None = None,
    frame: int | None = None,
) -> tuple[list[TextRegion], Verification]:
    """The one redact-then-verify loop (photos and DICOM frames).

    ``regions`` are already filled (``fill(mask)`` fills the caller's image(s) and must
    fill ``view`` too). Rings around fills are re-read (:func:`verify_text`); residual
    text is filled with a wider pad and the rings read again, up to
    ``policy.image.verify_rounds`` times. Returns the regions added. Raises WithheldError
    ("verification_failed") when text is still there after the last round.
    """
    if not policy.image.verify:
        return [], Verification(ran=False, passed=False, detail="verification disabled by policy")
    engine = engine or ocr_engine(policy)
    polys = [r.polygon for r in regions]
    added: list[TextRegion] = []
    rounds = policy.image.verify_rounds
    around: list[np.ndarray] | None = None  # first round: rings around every fill
    for round_no in range(rounds + 1):
        # Later rounds re-read only around the fills the previous round added: no other
        # pixel changed, and the detector's receptive field is bounded (see verify_text).
        # Their rings reach further: residual text that is a whole line, not a fragment,
        # is text the first pass missed (smaller than min_text_px), and such lines come
        # in blocks; a 0.8-height ring found one more line of a five-line block per round.
        reach = 0.8 if around is None else _BLOCK_REACH
        missed: list[TextBox] = []
        residual = verify_text(view, polys, mode, policy, context, engine=engine, around=around, reach=reach, missed=missed)
        if not residual:
            break
        if round_no == rounds:
            raise withhold_verification(f"text still readable after {rounds} redaction rounds")
        # Each round pads more: a glyph partly covered twice is a wide one (bold, italic).
        pad = TEXT_PAD + 0.2 * (round_no + 1)
        extra = [TextRegion(expand_polygon(b.polygon, pad), "PIXEL_TEXT", b.score, engine.name, "verify", frame) for b in residual]
        if missed:
            # Whole lines the first pass missed: search their neighbourhood again, sized
            # for their height (a block of small text is found at once, not a line a round).
            extra += _rescan_block(view, missed, mode, policy, context, engine, frame)
        fill(polygons_mask(view.shape[:2], [r.polygon for r in extra]))
        polys.extend(r.polygon for r in extra)
        around = [r.polygon for r in extra]
        added.extend(extra)
    detail = f"rings around {len(regions)} fills re-read (small text up to {_VERIFY_MAX_UP:g}x); {len(added)} residual boxes filled"
    return added, Verification(ran=True, passed=True, detail=detail, residual=0)


# The block searched again around missed lines: this many text heights on every side.
_BLOCK_GROW = 10.0


def _rescan_block(
    view: np.ndarray,
    lines: list[TextBox],
    mode: TextMode,
    policy: Policy,
    context: CaseContext | None,
    engine: OcrEngine,
    frame: int | None,
) -> list[TextRegion]:
    """Regions to fill found by a first pass, sized for ``lines``, around ``lines``."""
    h, w = view.shape[:2]
    th = min(b.height for b in lines)
    # A detector box is about 1.4 glyph heights (DB's unclip margin). The block is read
    # as verification reads (upscaled, so such glyphs are twice the detector's minimum),
    # within the ring pixel budget; where the budget cannot give full resolution the
    # block shrinks, and where even two text heights around the lines do not fit, a
    # coarser read than the first pass would add nothing: the rounds go on as before.
    glyph_px = max(1.0, th / 1.4)
    scale = min(_VERIFY_MAX_UP, max(1.0, 2.0 * DET_TEXT_PX / glyph_px))
    grow = _BLOCK_GROW * th
    while True:
        x0 = max(0, int(min(float(b.polygon[:, 0].min()) for b in lines) - grow))
        y0 = max(0, int(min(float(b.polygon[:, 1].min()) for b in lines) - grow))
        x1 = min(w, int(math.ceil(max(float(b.polygon[:, 0].max()) for b in lines) + grow)))
        y1 = min(h, int(math.ceil(max(float(b.polygon[:, 1].max()) for b in lines) + grow)))
        fit = math.sqrt(_VERIFY_RING_PIXELS / float(max(1, (x1 - x0) * (y1 - y0))))
        if fit >= 1.0 or grow <= 2 * th:
            break
        grow /= 2
    scale = min(scale, fit)
    if x1 - x0 < 8 or y1 - y0 < 8 or scale < 1.0:
        return []
    crop = np.ascontiguousarray(view[y0:y1, x0:x1])
    ann = mode == "annotation"
    opts = OcrOptions(
        scale=scale,
        recognize=mode != "all",
        read_max_aspect=ANNOTATION_MAX_ASPECT if ann else 0.0,
        read_max_boxes=ANNOTATION_MAX_BOXES if ann else 0,
    )
    boxes = engine.detect(crop, opts)
    shift = np.array([x0, y0], dtype=np.float32)
    for bx in boxes:
        bx.polygon = bx.polygon + shift
    return [
        TextRegion(expand_polygon(boxes[i].polygon, TEXT_PAD), kind, score, engine.name, "verify", frame)
        for i, kind, score, _source in judge_text(boxes, mode, policy, context, view.shape)
    ]


def residual_text(
    view: np.ndarray,
    mode: TextMode,
    policy: Policy,
    context: CaseContext | None = None,
    *,
    engine: OcrEngine | None = None,
) -> list[TextBox]:
    """Public check for an output image (``deid verify``): text that ``mode`` would fill.

    The whole image is read as the scrubber reads it (same detector sizing and
    contrast pass); an empty list means nothing readable remains that must go.
    """
    engine = engine or ocr_engine(policy)
    boxes, _note = detect_text_boxes(view, policy, engine, recognize=True)
    if mode == "all":
        return [b for b in boxes if readable(b, policy)]
    return [boxes[i] for i, *_ in judge_text(boxes, mode, policy, context, view.shape)]


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
