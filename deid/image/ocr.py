"""OCR engines behind one interface, chosen by name (pydicom-handler style registry).

``OcrEngine.detect(image)`` returns text boxes (a quadrilateral in image coordinates,
the recognised text, a score). Engines are created once per process by
:func:`get_ocr_engine` (cached) and never at import time. A missing or broken engine
raises :class:`~deid.core.errors.EngineUnavailable`: callers withhold, never skip OCR.

Detector sizing (measured on this project's synthetic frames, one core, PP-OCRv6 small):
the detector costs ~0.3 s for 640x480 at full size, ~0.16 s at 0.75 scale, and finds
9-14 px text on noisy grey backgrounds at 0.75 scale as well as or better than at full
size (downscaling averages out noise); at 0.6 scale 9 px grey text starts to vanish.
So the detector runs at ``DET_TEXT_PX / policy.min_text_px`` (about 0.75 for 10 px
text), never larger than full size, and within a pixel budget; recognition always reads
crops of the full-resolution image, so small text is read at its real size.
"""

from __future__ import annotations

import functools
import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from deid.core.errors import EngineUnavailable

log = logging.getLogger(__name__)

# The smallest text height (px, detector input scale) the PP-OCR detector finds reliably.
DET_TEXT_PX = 7.5


@dataclass(slots=True)
class TextBox:
    """One line or word of text found in an image. ``text`` is content: never log it."""

    polygon: np.ndarray  # (4, 2) float32, x/y corners in image pixels, clockwise from top-left
    text: str = ""
    score: float = 0.0  # recognition confidence (detection score if not recognised)
    engine: str = ""
    det_score: float = 0.0
    # Found only at a stricter binarisation of the probability map (OcrOptions.
    # extra_bin_thresh): speckle blobs stand apart there too, so such a box counts as
    # text only when it reads as text.
    strict: bool = False

    @property
    def box(self) -> tuple[int, int, int, int]:
        """Axis-aligned (x, y, width, height) bounding box."""
        x0, y0 = np.floor(self.polygon.min(axis=0)).astype(int)
        x1, y1 = np.ceil(self.polygon.max(axis=0)).astype(int)
        return int(x0), int(y0), int(x1 - x0), int(y1 - y0)

    @property
    def height(self) -> float:
        """Text height: the short side of the (possibly rotated) box."""
        p = self.polygon
        a = float(np.linalg.norm(p[1] - p[0]))
        b = float(np.linalg.norm(p[3] - p[0]))
        return max(1.0, min(a, b))

    def __repr__(self) -> str:  # never show the text
        return f"TextBox(box={self.box}, score={self.score:.2f}, engine={self.engine!r})"


@dataclass(frozen=True, slots=True)
class OcrOptions:
    """How to run an engine on one image."""

    scale: float = 1.0  # detector input scale (recognition reads the full-size image)
    recognize: bool = True
    # Contrast-normalise the detector input (CLAHE on lightness): grey text on speckle,
    # light on light. Recognition still reads the original pixels.
    normalize: bool = False
    # Boxes longer than this many text heights are returned unread (text "", score 0):
    # in "annotation" mode a line that long is never kept, so reading it is wasted time
    # (a photographed page: recognition was 60 % of the cost). 0 reads every box.
    read_max_aspect: float = 0.0
    # More boxes than this in one call: none is read (0: no limit). An image with that
    # much text is a document or a texture, never annotation; in "annotation" mode its
    # boxes are filled unread (a 12 MP photo of fabric: hundreds of crops to read).
    read_max_boxes: int = 0
    # Detector boxes whose mean text probability is below this are dropped (RapidOCR's
    # default 0.5). The scrubber's first pass asks for fainter boxes (see
    # deid.image.pipeline.LOW_BOX_SCORE) and keeps them only when they read as text.
    box_thresh: float = 0.5
    # Also binarise the detector's probability map at these levels (RapidOCR: 0.3 only)
    # and add the boxes that no box of the 0.3 map already gives. Text inside speckle is
    # often joined to the speckle at 0.3 and stands apart at 0.7 (see
    # deid.image.pipeline._inverted_pass). Costs post-processing only, no detector run.
    extra_bin_thresh: tuple[float, ...] = ()
    extra: dict[str, object] = field(default_factory=dict)


class OcrEngine(ABC):
    """Finds text in an RGB uint8 image (H, W, 3)."""

    name: str = ""

    @abstractmethod
    def detect(self, image: np.ndarray, options: OcrOptions | None = None) -> list[TextBox]:
        """Text boxes in ``image`` coordinates; empty list when there is no text."""

    def read(self, image: np.ndarray, boxes: list[TextBox]) -> None:
        """Recognise ``boxes`` (found earlier, e.g. with ``recognize=False``) in place.

        Default: each box not read yet has its neighbourhood run through :meth:`detect` at
        full scale and every line read there is kept, in reading order, with the best score
        (a box with text keeps it): a safe neighbouring line read more surely never hides
        the box's own text from the judge. Engines that can read a given quad override this.
        """
        h, w = image.shape[:2]
        for b in boxes:
            if b.text:
                continue  # read by detect already (Tesseract always reads): a crop re-read is worse
            x, y, bw, bh = b.box
            m = max(4, bh // 2)
            x0, y0 = max(0, x - m), max(0, y - m)
            crop = np.ascontiguousarray(image[y0 : min(h, y + bh + m), x0 : min(w, x + bw + m)])
            reads = self.detect(crop, OcrOptions(scale=1.0)) if crop.size else []
            reads = sorted((r for r in reads if r.text), key=lambda r: (r.box[1], r.box[0]))
            b.text = " ".join(r.text for r in reads)
            b.score = max((r.score for r in reads), default=0.0)


_REGISTRY: dict[str, Callable[[int], OcrEngine]] = {}


def register_ocr_engine(name: str, factory: Callable[[int], OcrEngine]) -> None:
    """Register an engine factory ``factory(threads) -> OcrEngine`` under ``name``."""
    _REGISTRY[name] = factory


def ocr_engine_names() -> list[str]:
    return sorted(_REGISTRY)


@functools.lru_cache(maxsize=8)
def get_ocr_engine(name: str, threads: int = 1) -> OcrEngine:
    """The process-wide engine ``name`` (created on first use). EngineUnavailable if absent."""
    factory = _REGISTRY.get(name)
    if factory is None:
        raise EngineUnavailable(f"unknown OCR engine {name!r}; known: {', '.join(ocr_engine_names())}")
    try:
        engine = factory(threads)
    except EngineUnavailable:
        raise
    except Exception as exc:  # an import error, a missing model file, a broken binary
        raise EngineUnavailable(f"OCR engine {name!r} cannot start ({type(exc).__name__})") from None
    log.info("OCR engine %s ready (threads=%d)", name, threads)
    return engine


def _aspect(polygon: np.ndarray) -> float:
    a = float(np.linalg.norm(polygon[1] - polygon[0]))
    b = float(np.linalg.norm(polygon[3] - polygon[0]))
    return max(a, b) / max(1.0, min(a, b))


def normalize_contrast(image: np.ndarray) -> np.ndarray:
    """CLAHE on the lightness of a BGR/RGB uint8 image (channel order kept).

    Local histogram equalisation lifts text that differs from its surroundings by a few
    grey levels (annotation on ultrasound speckle, pale labels) to the contrast the
    detector was trained on; uniform areas stay flat (clip limit 3).
    """
    import cv2

    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB)
    clahe = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8))
    lab[:, :, 0] = clahe.apply(np.ascontiguousarray(lab[:, :, 0]))
    return cv2.cvtColor(lab, cv2.COLOR_LAB2BGR)


def _resize(image: np.ndarray, scale: float) -> np.ndarray:
    import cv2

    if abs(scale - 1.0) < 1e-3:
        return image
    h, w = image.shape[:2]
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)


# ---------------------------------------------------------------------------------
# RapidOCR (PP-OCR ONNX models shipped in the wheel, run with onnxruntime)
# ---------------------------------------------------------------------------------
class RapidOcrEngine(OcrEngine):
    """PP-OCRv6 detection + recognition from the ``rapidocr`` wheel, offline.

    We call its detector, angle classifier and recogniser directly instead of the
    ``RapidOCR()`` pipeline so that (a) the detector input size is ours (its default
    upscales small crops to a 736 px short side: seconds per crop), (b) recognition
    reads crops of the full-resolution image, (c) thread counts are explicit.
    """

    name = "rapidocr"

    def __init__(self, threads: int = 1) -> None:
        from pathlib import Path

        import rapidocr
        from rapidocr import RapidOCR

        models = Path(rapidocr.__file__).resolve().parent / "models"
        det = models / "PP-OCRv6_det_small.onnx"
        rec = models / "PP-OCRv6_rec_small.onnx"
        cls = models / "ch_ppocr_mobile_v2.0_cls_mobile.onnx"
        for path in (det, rec, cls):
            # Explicit model paths: rapidocr downloads a model it cannot find; we never do.
            if not path.is_file():
                raise EngineUnavailable(f"RapidOCR model file missing: {path.name}")
        params = {
            "Global.log_level": "error",
            "Det.model_path": str(det),
            "Rec.model_path": str(rec),
            "Cls.model_path": str(cls),
            # The detector input is sized by us (see module doc): "max" never upscales.
            "Det.limit_type": "max",
            "Det.limit_side_len": 100_000,
            # Recognition pads every crop of a batch to at least this width (RapidOCR's
            # default 320 px at height 48): burned-in labels are short, and the padding
            # was most of the recogniser's work on ultrasound frames. Same text read.
            "Rec.rec_img_shape": [3, 48, 120],
            "EngineConfig.onnxruntime.intra_op_num_threads": int(threads),
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
        self._ocr = RapidOCR(params=params)
        self._det = self._ocr._load_det_model()
        self._cls = self._ocr._load_cls_model()
        self._rec = self._ocr._load_rec_model()
        # The same models with their denormal weights set to zero: the detector runs ~3x
        # faster on one core, outputs unchanged (see deid.image._onnx_shapes.flush_denormals).
        self._det.session.session = _flushed_session(det, threads)
        self._rec.session.session = _flushed_session(rec, threads)
        # One onnxruntime session per model; serialise calls from threads of one process.
        self._lock = threading.Lock()

    def _detector_input(self, small: np.ndarray) -> np.ndarray | None:
        """RapidOCR's detector pre-processing, done without its copies.

        Same pixels as ``rapidocr``'s ``DetPreProcess`` (resize to multiples of 32,
        ``(x / 255 - 0.5) / 0.5``, BGR channel order, NCHW), but computed per channel
        straight into one contiguous float32 array from the RGB image: its version
        normalises in float64 and transposes a BGR copy of the image (0.19 s of a
        2.5 MP detector input on one core, against 0.01 s here).
        """
        import cv2

        h, w = small.shape[:2]
        rh, rw = int(round(h / 32) * 32), int(round(w / 32) * 32)
        if rh <= 0 or rw <= 0:
            return None
        if (rh, rw) != (h, w):
            small = cv2.resize(small, (rw, rh))
        blob = np.empty((1, 3, rh, rw), dtype=np.float32)
        for c in range(3):  # BGR: channel c of the model is RGB channel 2 - c
            np.multiply(small[:, :, 2 - c], np.float32(2.0 / 255.0), out=blob[0, c], casting="unsafe")
        blob -= np.float32(1.0)
        return blob

    def _detect_quads(
        self, small: np.ndarray, box_thresh: float = 0.5, extra_bin_thresh: tuple[float, ...] = ()
    ) -> tuple[np.ndarray, list[float], list[bool]]:
        """Detector quads (in ``small`` pixels), their scores and whether each was found
        only at an extra binarisation level, in reading order."""
        blob = self._detector_input(small)
        if blob is None:
            return np.zeros((0, 4, 2), np.float32), [], []
        preds = self._det.session(blob)
        post = self._det.postprocess_op
        post.box_thresh = float(box_thresh)  # under self._lock: one caller at a time
        boxes, scores = post(preds, small.shape[:2])
        strict = [False] * len(boxes)
        if extra_bin_thresh:
            boxes, scores = list(boxes), list(scores)
            base = post.thresh
            try:
                for t in extra_bin_thresh:
                    post.thresh = float(t)
                    more, more_scores = post(preds, small.shape[:2])
                    for q, sc in zip(more, more_scores, strict=True):
                        if not any(_iou(q, o) >= 0.5 for o in boxes):
                            boxes.append(q)
                            scores.append(sc)
                            strict.append(True)
            finally:
                post.thresh = base
        if len(boxes) < 1:
            return np.zeros((0, 4, 2), np.float32), [], []
        # RapidOCR's reading order (top to bottom, then left to right within a line),
        # with the scores kept beside their boxes (its pipeline sorts the boxes only).
        order = _reading_order(np.asarray(boxes))
        quads = np.asarray(boxes, dtype=np.float32)[order]
        return quads, [float(scores[i]) for i in order], [strict[i] for i in order]

    def detect(self, image: np.ndarray, options: OcrOptions | None = None) -> list[TextBox]:
        opts = options or OcrOptions()
        # RGB throughout: resizing and cropping work per channel, so flipping to the
        # models' BGR order on the detector input and on each crop gives the same pixels
        # as flipping the whole image first (a 12 MP copy saved).
        rgb = np.ascontiguousarray(image[:, :, :3])
        small = _resize(rgb, opts.scale)
        sy = rgb.shape[0] / small.shape[0]
        sx = rgb.shape[1] / small.shape[1]
        if min(small.shape[:2]) < 8:
            return []
        det_in = _normalize_contrast_rgb(small) if opts.normalize else small
        with self._lock:
            quads, scores, stricts = self._detect_quads(det_in, opts.box_thresh, opts.extra_bin_thresh)
            if len(quads) == 0:
                return []
            quads[:, :, 0] *= sx
            quads[:, :, 1] *= sy
            if not opts.recognize:
                return [TextBox(q, "", s, self.name, s, st) for q, s, st in zip(quads, scores, stricts, strict=True)]
            out = [TextBox(q, "", 0.0, self.name, s, st) for q, s, st in zip(quads, scores, stricts, strict=True)]
            todo = [i for i, b in enumerate(out) if not opts.read_max_aspect or _aspect(b.polygon) <= opts.read_max_aspect]
            if opts.read_max_boxes and len(todo) > opts.read_max_boxes:
                todo = []
            if todo:
                self._recognise(rgb, [out[i] for i in todo])
        return out

    def read(self, image: np.ndarray, boxes: list[TextBox]) -> None:
        if not boxes:
            return
        with self._lock:
            self._recognise(np.ascontiguousarray(image[:, :, :3]), boxes)

    def _recognise(self, rgb: np.ndarray, boxes: list[TextBox]) -> None:
        """Angle classifier + recogniser on crops of ``rgb`` (caller holds the lock)."""
        from rapidocr.ch_ppocr_rec import TextRecInput

        crops = [np.ascontiguousarray(_rotate_crop(rgb, b.polygon)[:, :, ::-1]) for b in boxes]
        cls = self._cls(crops)
        crops = cls.img_list if cls.img_list is not None else crops
        rec = self._rec(TextRecInput(img=crops, return_word_box=False))
        txts = rec.txts or ("",) * len(boxes)
        rscores = rec.scores or (0.0,) * len(boxes)
        for b, t, rs in zip(boxes, txts, rscores, strict=True):
            b.text = str(t)
            b.score = float(rs)


# Recognition reads crops 48 px tall (the model's input height). A crop whose short side
# is above this is cut out at reduced size (short side this many px) instead of at full
# resolution and shrunk by the recogniser: a detector box spanning a texture photo was
# warped as a 2500x4000 crop (0.2 s) to be read at 48 px. Text up to this height is cut
# as RapidOCR cuts it.
_CROP_MAX_SHORT_SIDE = 192


def _rotate_crop(img: np.ndarray, points: np.ndarray) -> np.ndarray:
    """RapidOCR's ``get_rotate_crop_image`` (perspective crop of a quad, turned upright
    when tall), with the output short side bounded by ``_CROP_MAX_SHORT_SIDE``."""
    import cv2

    pts = np.asarray(points, dtype=np.float32)
    cw = int(max(np.linalg.norm(pts[0] - pts[1]), np.linalg.norm(pts[2] - pts[3])))
    ch = int(max(np.linalg.norm(pts[0] - pts[3]), np.linalg.norm(pts[1] - pts[2])))
    short = min(cw, ch)
    if short > _CROP_MAX_SHORT_SIDE:
        k = _CROP_MAX_SHORT_SIDE / short
        cw, ch = max(1, int(cw * k)), max(1, int(ch * k))
    std = np.array([[0, 0], [cw, 0], [cw, ch], [0, ch]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(pts, std)
    out = cv2.warpPerspective(img, m, (cw, ch), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC)
    if out.shape[0] * 1.0 / out.shape[1] >= 1.5:
        out = np.rot90(out)
    return out


def _flushed_session(path: object, threads: int) -> object:
    """An onnxruntime session for the model file at ``path``, denormal weights flushed.

    Session options as RapidOCR sets them (all graph optimisations, explicit threads).
    """
    from pathlib import Path

    import onnxruntime as ort

    from deid.image._onnx_shapes import flush_denormals

    model, flushed = flush_denormals(Path(str(path)).read_bytes())
    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = max(1, int(threads))
    so.inter_op_num_threads = 1
    log.debug("%s: %d denormal weights set to zero", Path(str(path)).name, flushed)
    return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of the axis-aligned boxes around two quads."""
    ax0, ay0 = np.min(a, axis=0)
    ax1, ay1 = np.max(a, axis=0)
    bx0, by0 = np.min(b, axis=0)
    bx1, by1 = np.max(b, axis=0)
    ix = max(0.0, float(min(ax1, bx1) - max(ax0, bx0)))
    iy = max(0.0, float(min(ay1, by1) - max(ay0, by0)))
    inter = ix * iy
    union = float((ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0)) - inter
    return inter / union if union > 0 else 0.0


def _reading_order(boxes: np.ndarray) -> np.ndarray:
    """The permutation RapidOCR's ``sorted_boxes`` applies (rows by top-left y, 10 px apart)."""
    y = boxes[:, 0, 1]
    by_y = np.argsort(y, kind="stable")
    ys = y[by_y]
    line = np.concatenate([[0], np.cumsum(np.diff(ys) >= 10)])
    return by_y[np.lexsort((boxes[by_y, 0, 0], line))]


def _normalize_contrast_rgb(image: np.ndarray) -> np.ndarray:
    """:func:`normalize_contrast` for an RGB image."""
    return np.ascontiguousarray(normalize_contrast(np.ascontiguousarray(image[:, :, ::-1]))[:, :, ::-1])


# ---------------------------------------------------------------------------------
# Tesseract (pytesseract + the Debian tesseract-ocr binary)
# ---------------------------------------------------------------------------------
class TesseractEngine(OcrEngine):
    """Tesseract 5 via pytesseract, sparse-text page segmentation (``--psm 11``).

    Weaker than RapidOCR on burned-in text: it reads axis-aligned text only (lines
    rotated more than ~5 degrees are mostly missed; we do not try rotations because
    each costs a full pass), and text on mid-grey bars. Inverting dark images first
    (light-on-dark text) was measured and made it worse on the bench (0.67 -> 0.58 of
    PHI boxes on ultrasound/X-ray frames), so it is not done. Words are grouped into
    lines by Tesseract's own block/paragraph/line numbers.
    """

    name = "tesseract"

    def __init__(self, threads: int = 1) -> None:
        import os

        import pytesseract

        # Tesseract's OpenMP threads: one per worker, like the other engines.
        os.environ.setdefault("OMP_THREAD_LIMIT", str(max(1, threads)))
        try:
            pytesseract.get_tesseract_version()
        except Exception as exc:
            raise EngineUnavailable(f"tesseract binary not usable ({type(exc).__name__})") from None
        self._tess = pytesseract

    def detect(self, image: np.ndarray, options: OcrOptions | None = None) -> list[TextBox]:
        import cv2

        opts = options or OcrOptions()
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        # Tesseract wants ~20-30 px text: upscale when the caller asks for small text.
        up = max(1.0, min(2.0, 1.0 / max(opts.scale, 1e-3)))
        work = _resize(grey, up)
        data = self._tess.image_to_data(
            work, config="--psm 11 --oem 1", output_type=self._tess.Output.DICT
        )
        lines: dict[tuple[int, int, int], list[int]] = {}
        for i, word in enumerate(data["text"]):
            if not str(word).strip():
                continue
            key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
            lines.setdefault(key, []).append(i)
        out: list[TextBox] = []
        for idx in lines.values():
            x0 = min(data["left"][i] for i in idx) / up
            y0 = min(data["top"][i] for i in idx) / up
            x1 = max(data["left"][i] + data["width"][i] for i in idx) / up
            y1 = max(data["top"][i] + data["height"][i] for i in idx) / up
            text = " ".join(str(data["text"][i]) for i in idx)
            confs = [float(data["conf"][i]) for i in idx if float(data["conf"][i]) >= 0]
            score = (sum(confs) / len(confs) / 100.0) if confs else 0.0
            poly = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)
            out.append(TextBox(poly, text, score, self.name, score))
        return out


register_ocr_engine("rapidocr", RapidOcrEngine)
register_ocr_engine("tesseract", TesseractEngine)
