"""Burned-in text across the slices of one series: full reads first, then differences.

A CT or MR series is hundreds of single-frame objects whose burned-in text (a name, a
date, a slice position line) sits in the same place on every slice, like the overlay of
an ultrasound clip. Running the text detector on every slice costs ~0.2 s each; this
module applies the clip logic of :mod:`deid.image.pixels` across slices instead:

1. **Full reads.** The first slices of a series are read in full (detector on the whole
   frame, judged, filled, verified). They teach the *static* mask: pixels that did not
   change (within ``_TOL`` grey levels) in any transition between them, on a 5x5-mean
   rendering (noise averaged out), kept as whole ``_BLOCK`` x
   ``_BLOCK`` blocks: padding outside the reconstruction circle, air, burned-in text and
   tissue that did not move. ``FULL_READS`` slices are read in full.
2. **Later slices.** Rendered with the series' own window, compared with the states
   already read (the full reads and the latest slices read by crops) on the *monitored*
   pixels: the static mask plus every text box ever detected in the series (a slice
   position line changes on every slice and must stay watched). Any change there (more
   than ``_CHANGE`` levels on the smoothed rendering, in glyph-sized groups) outside
   the series' fills is cropped (per changed area, widened along the text line) and read
   exactly as a clip frame's changed overlay is; changed pixels where no text was found
   become live (anatomy). The union of the series' fills is applied to every slice.
3. **Verification** rings re-read what was filled whenever a slice brings new fills or
   its pixels around the fills differ from a slice already verified.

Residual risk, reported in the file's Report (kinds, no values): text drawn inside the
changing (anatomy) area of a slice that was not read in full. ``image.series_full_read``
reads every slice in full (widen only). A memory is keyed per case by series UID,
geometry, photometric, bit depth, rescale and window (the DICOM layer builds the key
from a keyed digest of the original study and series UIDs, never the UIDs themselves);
a slice whose key differs starts a new memory. Memories live in a :class:`SeriesBook`:
``deid.case.scrub_case`` creates one per case unless its caller hands one over; the
batch worker hands each case the book of its worker process for the run (bounded, least
recently used out), so loose slices of one series, each a case of its own, share a
memory. A memory holds renderings and fill polygons only: the fills of one case applied
to a slice of another case of the same series (the same patient) only remove more.
Slices of one series scrubbed in another process get their own memory: safe, slower.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field

import numpy as np

from deid.core.context import CaseContext
from deid.core.policy import Policy
from deid.core.report import Report, Verification
from deid.image.ocr import OcrEngine, TextBox
from deid.image.pipeline import (
    TEXT_PAD,
    TextMode,
    TextRegion,
    check_deadline,
    fill_frames,
    find_text,
    frame_window,
    merge_rects,
    redact_and_verify,
    texty,
    to_rgb8,
)
from deid.image.redact import expand_polygon, polygons_mask

log = logging.getLogger(__name__)

# Slices read in full before later ones are compared (two transitions for the static
# mask). Measured on the CT phantom (tests/support/ct_series.py, 512 px, smoothed
# rendering): the mask covers ~95 % of the frame after 2 reads and then loses 0.7-4 % per
# further read at 18 HU of noise (0.02-4 % at 8 HU, 6-10 % at 30 HU) as anatomy moves: it
# never settles, so more full reads only postpone what the crops of later slices learn
# (changed areas without text turn live). 3 reads: the fewest that see two transitions.
FULL_READS = 3
# A pixel is unchanged between two renderings within this many grey levels (lossy coding).
_TOL = 3
# A later slice differs from a state where its smoothed rendering moved by more than this:
# above the smoothed noise of tissue and air (sigma ~1.5 levels: no false change), below
# a 1 px stroke of 40 grey levels of contrast (a 5x5 mean keeps a fifth of it).
_CHANGE = 8
_SMOOTH = 5
# Pixels around an area that changed without text become live too: anatomy edges move a
# pixel or two per slice, and the next slices' motion falls inside the grown area.
_LIVE_GROW = 31
_BLOCK = 4
# Fewer changed monitored pixels than this (outside fills) is no glyph.
_MIN_CHANGED = 4
# Latest crop-read slices kept as states (a position line adds one per slice).
_RECENT = 8
# Changed areas covering more than this fraction of the frame are read as a whole frame.
_CROP_MAX_FRACTION = 0.35


@dataclass(slots=True)
class _State:
    view: np.ndarray  # smoothed rendering (H, W) or (H, W, 3), uint8, before fills
    verified_fills: int = -1  # number of series fills when this state was verified


@dataclass
class SeriesMemory:
    """What one series has taught so far (one per key in a :class:`SeriesBook`)."""

    lo: float = 0.0
    hi: float = 255.0
    shape: tuple[int, ...] | None = None
    dtype: np.dtype | None = None
    full_reads: int = 0
    slices: int = 0
    crops: int = 0
    trusted: bool = False
    unchanged: np.ndarray | None = None  # no change in any transition between full reads
    static: np.ndarray | None = None
    text_mask: np.ndarray | None = None
    text_rects: list[tuple[int, int, int, int]] = field(default_factory=list)
    regions: list[TextRegion] = field(default_factory=list)
    fill_mask: np.ndarray | None = None
    ring_mask: np.ndarray | None = None
    states: list[_State] = field(default_factory=list)
    last: int = 0
    _prev: np.ndarray | None = None
    _lut: np.ndarray | None = None
    notes: set[str] = field(default_factory=set)

    def nbytes(self) -> int:
        """Bytes held in arrays (renderings of the kept states, masks, the window table)."""
        arrays = [self.unchanged, self.static, self.text_mask, self.fill_mask, self.ring_mask, self._lut]
        return sum(a.nbytes for a in arrays if a is not None) + sum(st.view.nbytes for st in self.states)

    # ---- rendering -------------------------------------------------------------------
    def start(self, frames: np.ndarray) -> None:
        self.shape, self.dtype = frames.shape[1:], frames.dtype
        self.lo, self.hi = frame_window(frames, [0])
        if frames.dtype != np.uint8:
            # One table for the series: the same window renders every slice, so the
            # comparison of static pixels between slices is exact.
            codes = np.arange(65536, dtype=np.uint16)
            values = codes.view(np.int16) if frames.dtype == np.int16 else codes
            self._lut = np.clip((values.astype(np.float32) - self.lo) * (255.0 / (self.hi - self.lo)), 0, 255).astype(np.uint8)
        h, w = self.shape[:2]
        self.text_mask = np.zeros((h, w), bool)
        self.fill_mask = np.zeros((h, w), bool)
        self.ring_mask = np.zeros((h, w), bool)

    def render(self, frame: np.ndarray) -> np.ndarray:
        if self._lut is None:
            return np.ascontiguousarray(frame)
        # np.take without bounds checks: a uint16 index is always inside the 65536-entry
        # table (0.27 ms against 0.67 ms for lut[frame] on a 512x512 slice).
        return np.take(self._lut, frame.view(np.uint16), mode="clip")

    @staticmethod
    def smooth(view: np.ndarray) -> np.ndarray:
        """The rendering compared between slices: a 5x5 mean takes the noise of air and
        tissue (a few grey levels) to about one level, while a 1 px stroke of 40+ levels
        of contrast stays above ``_CHANGE``."""
        import cv2

        return cv2.blur(view, (_SMOOTH, _SMOOTH))

    # ---- learning ----------------------------------------------------------------------
    def _add_text(self, boxes: list[TextBox], policy: Policy) -> None:
        assert self.text_mask is not None
        shape = self.text_mask.shape
        # Detector boxes that are no text line (a body outline "read" as one glyph) are
        # not watched: they would make the whole frame "text".
        polys = [expand_polygon(b.polygon, TEXT_PAD) for b in boxes if texty(b, policy, shape)]
        if polys:
            self.text_mask |= polygons_mask(self.text_mask.shape, polys)
            h, w = self.text_mask.shape
            for p in polys:
                x0, y0 = np.floor(p.min(axis=0)).astype(int)
                x1, y1 = np.ceil(p.max(axis=0)).astype(int)
                self.text_rects.append((max(0, x0), max(0, y0), min(w, x1), min(h, y1)))

    def _add_regions(self, regions: list[TextRegion]) -> None:
        assert self.fill_mask is not None and self.ring_mask is not None
        fresh = []
        for r in regions:
            # A region already filled by the series (the same line found again) adds nothing.
            m = polygons_mask(self.fill_mask.shape, [r.polygon])
            if np.count_nonzero(m & ~self.fill_mask) > 0.02 * max(1, int(np.count_nonzero(m))):
                fresh.append(r)
                self.fill_mask |= m
        regions = fresh
        if not regions:
            return
        self.regions.extend(regions)
        h, w = self.fill_mask.shape
        for r in regions:
            # The ring verification re-reads: 0.8 text heights around each fill.
            x0, y0 = (float(v) for v in r.polygon.min(axis=0))
            x1, y1 = (float(v) for v in r.polygon.max(axis=0))
            margin = max(4.0, 0.8 * _poly_height(r.polygon))
            xa, ya = max(0, int(x0 - margin)), max(0, int(y0 - margin))
            xb, yb = min(w, int(np.ceil(x1 + margin))), min(h, int(np.ceil(y1 + margin)))
            self.ring_mask[ya:yb, xa:xb] = True

    def learn_full(self, view: np.ndarray, boxes: list[TextBox], regions: list[TextRegion], policy: Policy) -> _State:
        self._add_text(boxes, policy)
        self._add_regions(regions)
        h, w = view.shape[:2]
        if self._prev is None:
            self.unchanged = np.ones((h, w), bool)
        else:
            assert self.unchanged is not None
            self.unchanged &= _diff(view, self._prev) <= _TOL
        self._prev = view
        self.full_reads += 1
        if self.full_reads >= 2:
            assert self.unchanged is not None
            hb, wb = h // _BLOCK, w // _BLOCK
            blocks = self.unchanged[: hb * _BLOCK, : wb * _BLOCK].reshape(hb, _BLOCK, wb, _BLOCK).all(axis=(1, 3))
            static = np.zeros((h, w), bool)
            static[: hb * _BLOCK, : wb * _BLOCK] = np.repeat(np.repeat(blocks, _BLOCK, axis=0), _BLOCK, axis=1)
            self.static = static
            self.trusted = self.full_reads >= FULL_READS
        state = _State(view)
        self.states.append(state)
        self.last = len(self.states) - 1
        return state

    def learn_crop(
        self, view: np.ndarray, changed: np.ndarray, boxes: list[TextBox], regions: list[TextRegion], policy: Policy
    ) -> _State:
        assert self.static is not None and self.text_mask is not None
        self._add_text(boxes, policy)
        self._add_regions(regions)
        # Changed pixels where no text was found are live (anatomy) from now on.
        import cv2

        grown = cv2.dilate(changed.astype(np.uint8), np.ones((_LIVE_GROW, _LIVE_GROW), np.uint8)).astype(bool)
        self.static &= ~(grown & ~self.text_mask)
        state = _State(view)
        n_full = self.full_reads
        self.states.append(state)
        if len(self.states) > n_full + _RECENT:
            del self.states[n_full]
        self.last = len(self.states) - 1
        return state

    def monitored(self) -> np.ndarray:
        assert self.static is not None and self.text_mask is not None
        return self.static | self.text_mask

    def best_state(self, view: np.ndarray) -> tuple[_State, np.ndarray, np.ndarray]:
        """(state, pixels that differ from it, monitored pixels that differ outside fills)."""
        assert self.fill_mask is not None
        watch = self.monitored() & ~self.fill_mask
        order = [self.last] + [i for i in range(len(self.states)) if i != self.last]
        best: tuple[int, _State, np.ndarray, np.ndarray] | None = None
        for i in order:
            st = self.states[i]
            diff = _diff(view, st.view) > _CHANGE
            changed = diff & watch
            count = int(np.count_nonzero(changed))
            if best is None or count < best[0]:
                best = (count, st, diff, changed)
                self.last = i
            if count < _MIN_CHANGED:
                break
        assert best is not None
        return best[1], best[2], best[3]

    def crop_rects(self, changed: np.ndarray) -> list[tuple[int, int, int, int]]:
        """Rectangles to read around the changed areas, widened along a text line."""
        import cv2

        h, w = changed.shape
        grown = cv2.dilate(changed.astype(np.uint8), np.ones((5, 9), np.uint8))
        n, _lab, stats, _ = cv2.connectedComponentsWithStats(grown, connectivity=8)
        rects = []
        for i in range(1, n):
            x, y, bw, bh, _area = (int(v) for v in stats[i])
            # Along a line of text: three text heights each side (a changed digit is read
            # with its neighbours); a tall area (anatomy, a block of lines) is not a line.
            py = max(12, min(bh, 48) // 2)
            px = max(32, 3 * min(bh, 24))
            rects.append([max(0, x - px), max(0, y - py), min(w, x + bw + px), min(h, y + bh + py)])
        # The whole text line a change belongs to (known boxes it touches) is read with it.
        for r in rects:
            for t in self.text_rects:
                if r[0] <= t[2] and t[0] <= r[2] and r[1] <= t[3] and t[1] <= r[3]:
                    r[0], r[1], r[2], r[3] = min(r[0], t[0]), min(r[1], t[1]), max(r[2], t[2]), max(r[3], t[3])
        return merge_rects([(a, b, c, d) for a, b, c, d in rects])


class SeriesBook:
    """Series memories by key (built by the DICOM layer), least recently used first out.

    ``scrub_case`` makes one per case (unbounded: a case is bounded by its own size).
    The batch worker keeps one per worker process for a run (:mod:`deid.batch.worker`),
    bounded by ``max_series`` memories and ``max_bytes`` of arrays: past either, the
    least recently used memory is dropped (its series, if seen again, starts over with
    full reads: slower, never less safe). Not thread-safe: one book per thread of work,
    and one policy per book (what a memory learned depends on the text mode).
    """

    def __init__(self, *, max_series: int | None = None, max_bytes: int | None = None) -> None:
        self._memories: OrderedDict[Hashable, SeriesMemory] = OrderedDict()
        self.max_series = max_series
        self.max_bytes = max_bytes
        self.evicted = 0

    def memory(self, key: Hashable) -> SeriesMemory:
        mem = self._memories.get(key)
        if mem is None:
            self._trim(reserve=1)
            mem = self._memories[key] = SeriesMemory()
        else:
            self._memories.move_to_end(key)
        return mem

    def _trim(self, reserve: int = 0) -> None:
        """Drop least recently used memories beyond the caps (the newest is kept)."""
        if self.max_series is not None:
            while self._memories and len(self._memories) + reserve > self.max_series:
                self._memories.popitem(last=False)
                self.evicted += 1
        if self.max_bytes is not None:
            while len(self._memories) > 1 - reserve and self.nbytes() > self.max_bytes:
                self._memories.popitem(last=False)
                self.evicted += 1

    def trim(self) -> None:
        """Apply the memory cap after a slice taught its memory (states, masks) more."""
        self._trim()

    def nbytes(self) -> int:
        return sum(m.nbytes() for m in self._memories.values())

    def clear(self) -> None:
        self._memories.clear()

    def __len__(self) -> int:
        return len(self._memories)

    def __repr__(self) -> str:  # keys are digests, but counts only all the same
        return f"SeriesBook(series={len(self._memories)})"


def scrub_slice(
    frames: np.ndarray,
    memory: SeriesMemory,
    *,
    policy: Policy,
    context: CaseContext,
    text_mode: TextMode,
    engine: OcrEngine,
    part: str | None = None,
) -> tuple[np.ndarray, Report]:
    """One single-frame slice of a series: full read or static-area comparison.

    ``frames`` has shape (1, rows, cols[, 3]). Returns the filled frames and the Report.
    """
    t0 = time.perf_counter()
    if memory.shape is None:
        memory.start(frames)
    out = frames.copy()
    mono = out.ndim == 3
    report = Report(input_kind="pixels")
    memory.slices += 1
    view = memory.render(frames[0])
    smooth = memory.smooth(view)
    full = policy.image.series_full_read or not memory.trusted
    new_regions: list[TextRegion] = []
    tt = time.perf_counter()
    verify_needed = False
    if full:
        rgb = to_rgb8(view)
        new_regions, boxes, note = find_text(rgb, text_mode, policy, context, engine=engine)
        if note:
            memory.notes.add(note)
        state = memory.learn_full(smooth, boxes, new_regions, policy)
        verify_needed = True
        how = f"read in full (slice {memory.full_reads} read in full of {memory.slices} in its series)"
    else:
        best, diff, changed = memory.best_state(smooth)
        assert memory.ring_mask is not None and memory.fill_mask is not None
        assert memory.static is not None and memory.text_mask is not None
        # Around the fills, what verification would re-read: a change on the monitored
        # pixels there (a glyph growing out of a fill) is verified again; changes of the
        # live anatomy next to a fill are the residual risk named below.
        ring_changed = bool(_glyph_sized(diff & memory.ring_mask & ~memory.fill_mask & memory.monitored()).any())
        n_regions = len(memory.regions)
        glyphs = _glyph_sized(changed)
        # Static pixels that changed alone (no glyph-sized group: noise of air or tissue
        # near the window's edge) are live from now on, as pixels that change are in clips.
        memory.static &= ~(changed & ~glyphs & ~memory.text_mask)
        changed = glyphs
        state = best
        if changed.any():
            rects = memory.crop_rects(changed)
            h, w = view.shape[:2]
            area = sum((r[2] - r[0]) * (r[3] - r[1]) for r in rects)
            if area > _CROP_MAX_FRACTION * h * w:
                rects = [(0, 0, w, h)]
            boxes_all: list[TextBox] = []
            for x0, y0, x1, y1 in rects:
                crop = to_rgb8(np.ascontiguousarray(view[y0:y1, x0:x1]))
                found, boxes, _n = find_text(crop, text_mode, policy, context, engine=engine)
                shift = np.array([x0, y0], dtype=np.float32)
                for tr in found:
                    tr.polygon = tr.polygon + shift
                for b in boxes:
                    b.polygon = b.polygon + shift
                new_regions.extend(found)
                boxes_all.extend(boxes)
            memory.crops += len(rects)
            state = memory.learn_crop(smooth, changed, boxes_all, new_regions, policy)
            how = f"static area compared with its series: {len(rects)} changed area(s) read"
        else:
            how = "static area identical to a slice already read in its series"
        # Verification is needed where the pixels it would re-read differ from a slice
        # already verified with the same fills.
        verify_needed = bool(memory.regions) and (
            len(memory.regions) != n_regions or ring_changed or best.verified_fills != len(memory.regions)
        )
        if not verify_needed:
            state.verified_fills = best.verified_fills
        report.residual_risk.append(
            f"text inside the changing (anatomy) area of this slice was not read: {memory.full_reads} "
            "slices of its series were read in full and this one compared with them on its static "
            "area (image.series_full_read reads every slice)"
        )
    report.timings["text"] = time.perf_counter() - tt
    check_deadline(t0, policy, "text")

    assert memory.fill_mask is not None
    fill_frames(out, memory.fill_mask, mono)
    for region in memory.regions:
        report.add(region.finding(part=part))

    verification = Verification(ran=True, passed=True, detail="identical to a verified slice of its series around every fill", residual=0)
    if not policy.image.verify:
        verification = Verification(ran=False, passed=False, detail="verification disabled by policy")
    elif verify_needed and memory.regions:
        tv = time.perf_counter()
        check = to_rgb8(view.copy())
        check[memory.fill_mask] = 0

        def fill(m: np.ndarray) -> None:
            fill_frames(out, m, mono)
            check[m] = 0

        filled = [TextRegion(r.polygon, "PIXEL_TEXT", 0.0, engine.name, "fill", None) for r in memory.regions]
        added, verification = redact_and_verify(check, filled, text_mode, policy, context, fill, engine=engine)
        memory._add_regions(added)
        for tr in added:
            report.add(tr.finding(part=part))
        report.timings["verify"] = time.perf_counter() - tv
        check_deadline(t0, policy, "verify")
        state.verified_fills = len(memory.regions)
    elif not memory.regions:
        verification = Verification(ran=True, passed=True, detail="nothing filled", residual=0)
    report.verification = verification
    report.notes.append(f"pixel text mode {text_mode}: series slice {how}; {len(memory.regions)} series regions filled")
    report.residual_risk.extend(sorted(memory.notes))
    report.timings["total"] = time.perf_counter() - t0
    return out, report


def _glyph_sized(changed: np.ndarray) -> np.ndarray:
    """Changed pixels in connected groups of at least ``_MIN_CHANGED`` (a glyph stroke);
    isolated pixels are noise of the rendering (air near the window's edge), not text."""
    import cv2

    if np.count_nonzero(changed) < _MIN_CHANGED:
        return np.zeros_like(changed)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(changed.astype(np.uint8), connectivity=8)
    keep = np.zeros(n, bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= _MIN_CHANGED
    return keep[labels]


def _diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    import cv2

    d = cv2.absdiff(a, b)
    return d.max(axis=2) if d.ndim == 3 else d


def _poly_height(p: np.ndarray) -> float:
    a = float(np.linalg.norm(p[1] - p[0]))
    b = float(np.linalg.norm(p[3] - p[0])) if len(p) > 3 else a
    return max(1.0, min(a, b) / (1 + 2 * TEXT_PAD))
