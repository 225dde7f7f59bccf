"""Pixel operators: fill text regions solid, pixelate/blur/fill faces.

Operators work on any dtype and on (H, W) or (H, W, C) arrays in place.
"""

from __future__ import annotations

import math

import numpy as np

from deid.core.policy import FaceOperator
from deid.image.faces import FaceBox


def expand_polygon(polygon: np.ndarray, pad_frac: float = 0.2, min_pad: float = 2.0) -> np.ndarray:
    """The polygon's rotated bounding rectangle grown on every side.

    The pad scales with the text height: detector quads hug the glyphs, and ascenders,
    descenders and anti-aliased edges left outside the fill stay legible.
    """
    import cv2

    (cx, cy), (w, h), angle = cv2.minAreaRect(polygon.astype(np.float32))
    pad = max(min_pad, pad_frac * max(1.0, min(w, h)))
    pts = cv2.boxPoints(((cx, cy), (w + 2 * pad, h + 2 * pad), angle))
    return np.asarray(pts, dtype=np.float32)


def polygons_mask(shape: tuple[int, int], polygons: list[np.ndarray]) -> np.ndarray:
    """A boolean (H, W) mask covering ``polygons`` (already expanded)."""
    import cv2

    mask = np.zeros(shape, dtype=np.uint8)
    for p in polygons:
        # One call per polygon: cv2.fillPoly given several polygons fills by parity, so
        # where two padded text boxes overlap (adjacent lines) the overlap stays UNFILLED
        # and the glyphs there stay legible.
        pts = np.round(p).astype(np.int32).reshape(1, -1, 1, 2)
        cv2.fillPoly(mask, list(pts), 1)
    return mask.astype(bool)


def face_region(face: FaceBox, margin: float, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of a face grown by ``margin`` of its size on each side, clipped."""
    h, w = shape[:2]
    mx, my = face.w * margin, face.h * margin
    x0 = max(0, int(math.floor(face.x - mx)))
    y0 = max(0, int(math.floor(face.y - my * 1.4)))  # more above: hair and forehead
    x1 = min(w, int(math.ceil(face.x + face.w + mx)))
    y1 = min(h, int(math.ceil(face.y + face.h + my)))
    return x0, y0, x1, y1


def obscure_face(image: np.ndarray, region: tuple[int, int, int, int], operator: FaceOperator) -> None:
    """Make one face region unrecognisable, in place, with strength scaled to its size.

    A fixed Gaussian blur leaves a 250 px face recognisable (SSIM ~0.5), so the block
    size and blur radius are fractions of the face: about 5 blocks across the region
    (about 3 across the face itself) for pixelation.
    """
    import cv2

    x0, y0, x1, y1 = region
    if x1 - x0 < 2 or y1 - y0 < 2:
        return
    roi = image[y0:y1, x0:x1]
    rh, rw = roi.shape[:2]
    if operator == "fill":
        roi[...] = 0
        return
    if operator == "blur":
        sigma = max(rw, rh) / 6.0
        k = int(2 * math.ceil(3 * sigma) + 1)
        blurred = cv2.GaussianBlur(roi, (k, k), sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_REPLICATE)
        # Twice: one pass of a kernel this large still leaves the face's low frequencies.
        roi[...] = cv2.GaussianBlur(blurred, (k, k), sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_REPLICATE)
        return
    block = max(2, math.ceil(max(rw, rh) / 5))
    small = cv2.resize(roi, (max(1, math.ceil(rw / block)), max(1, math.ceil(rh / block))), interpolation=cv2.INTER_AREA)
    roi[...] = cv2.resize(small, (rw, rh), interpolation=cv2.INTER_NEAREST)
