"""Synthetic images for the image tests: rendered text and public-domain faces only."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

_FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/liberation")]


def font(size: int, bold: bool = False) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    names = ["DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf", "LiberationSans-Regular.ttf"]
    for d in _FONT_DIRS:
        for n in names:
            if (d / n).is_file():
                return ImageFont.truetype(str(d / n), size)
    return ImageFont.load_default(size)


def noisy(h: int, w: int, mean: float, sd: float, seed: int = 0, channels: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = (h, w, channels) if channels else (h, w)
    return rng.normal(mean, sd, shape).clip(0, 255).astype(np.uint8)


def draw_text(img: Image.Image, xy: tuple[int, int], text: str, size: int, fill, angle: float = 0.0) -> tuple[int, int, int, int]:
    """Draw text (rotated about its centre by ``angle`` degrees); return its bounding box."""
    f = font(size)
    left, t, r, b = f.getbbox(text)
    pad = 4
    layer = Image.new("L", (r - left + 2 * pad, b - t + 2 * pad), 0)
    ImageDraw.Draw(layer).text((pad - left, pad - t), text, font=f, fill=255)
    if angle:
        layer = layer.rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
    color = Image.new(img.mode, layer.size, fill)
    img.paste(color, xy, layer)
    bb = layer.getbbox() or (0, 0, 0, 0)
    return xy[0] + bb[0], xy[1] + bb[1], bb[2] - bb[0], bb[3] - bb[1]


def ultrasound_frame(name: str = "DOE JOHN", mrn: str = "4471923", seed: int = 0) -> np.ndarray:
    """640x480 grey frame: a dark sector image with a light-on-dark header bar."""
    img = Image.fromarray(noisy(480, 640, 30, 12, seed))
    d = ImageDraw.Draw(img)
    d.pieslice([120, -200, 520, 420], 60, 120, fill=90)
    d.rectangle([0, 0, 639, 30], fill=45)
    draw_text(img, (6, 8), f"{name}  ID {mrn}", 14, 230)
    draw_text(img, (420, 8), "12/03/2024 10:41", 12, 210)
    draw_text(img, (8, 455), "LIVER", 10, 220)
    return np.array(img)


def xray16(name: str = "SMITH JANE") -> np.ndarray:
    """512x512 uint16 (12 bits stored) frame with bright corner labels."""
    rng = np.random.default_rng(3)
    base = (rng.normal(1500, 200, (512, 512))).clip(0, 4095)
    yy, xx = np.mgrid[:512, :512]
    base += 1200 * np.exp(-(((yy - 260) / 150) ** 2 + ((xx - 256) / 110) ** 2))
    img8 = Image.new("L", (512, 512), 0)
    draw_text(img8, (10, 10), name, 16, 255)
    draw_text(img8, (10, 34), "DOB 03/12/1961", 14, 255)
    draw_text(img8, (420, 480), "L", 20, 255)
    lab = np.array(img8).astype(np.float64) / 255.0
    out = base * (1 - lab) + 4095 * lab
    return out.clip(0, 4095).astype(np.uint16)


def astronaut_head(face_px: int) -> np.ndarray:
    """The skimage astronaut's head and shoulders, scaled so the face is ~face_px wide."""
    import cv2
    from skimage import data

    crop = data.astronaut()[0:260, 110:340]  # face is ~100 px wide in this crop
    k = face_px / 100.0
    return cv2.resize(crop, (max(1, int(230 * k)), max(1, int(260 * k))), interpolation=cv2.INTER_AREA)


def wound_photo(h: int = 600, w: int = 800, seed: int = 5) -> np.ndarray:
    """A faceless clinical-like photo: skin tone, a reddish lesion, soft texture."""
    import cv2

    rng = np.random.default_rng(seed)
    img = np.zeros((h, w, 3), np.float32)
    img[:] = (205, 160, 135)
    img += rng.normal(0, 6, (h, w, 3))
    cv2.ellipse(img, (w // 2, h // 2), (w // 6, h // 7), 20, 0, 360, (170, 70, 60), -1)
    img = cv2.GaussianBlur(img, (0, 0), 2)
    return img.clip(0, 255).astype(np.uint8)


def encode(arr: np.ndarray, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, fmt, **kw)
    return buf.getvalue()
