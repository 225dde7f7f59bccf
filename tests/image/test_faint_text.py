"""Issue 13: faint small text (grey on ultrasound speckle) and misread lines are not kept."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from deid.core import Policy
from deid.image import scrub_pixels
from deid.image.judge import deny_match
from deid.image.ocr import OcrOptions, TextBox
from deid.image.pipeline import _faint_read, kept_annotation, read_whole


def _box(w: float, h: float, text: str, score: float = 0.9, det: float = 0.7) -> TextBox:
    poly = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    return TextBox(poly, text, score, "test", det)


def test_a_read_that_cannot_fill_its_box_is_not_kept():
    policy = Policy()
    # A 305 px name line read back as vocabulary and a number: recognition skipped glyphs.
    assert not read_whole(_box(305, 15, "ED  - D D 961"))
    assert not kept_annotation(_box(305, 15, "ED  - D D 961"), policy)
    for w, h, text in [(41, 16, "SCOUT"), (27, 17, "LAT"), (14, 15, "4"), (70, 16, "LT KIDNEY"), (60, 16, "5.2 cm")]:
        assert read_whole(_box(w, h, text)), text
        assert kept_annotation(_box(w, h, text), policy), text


def test_faint_boxes_stay_only_when_read():
    policy = Policy()
    kept = _faint_read([_box(80, 12, "", 0.0, 0.4), _box(80, 12, "WILLH", 0.8, 0.33), _box(80, 12, "", 0.0, 0.6)], policy)
    assert [b.text for b in kept] == ["WILLH", ""]
    assert kept[1].det_score == 0.6


def test_grey_name_on_speckle_is_filled(engines, context, read_text):
    # bench/image_hard.py seed 909, image 7: an 8 px grey name on the speckle band that
    # the detector scored 0.33 at the 0.75 scale (below RapidOCR's 0.5 box threshold).
    from bench.image_hard import dataset

    sample = dataset(909)[7]
    assert sample.kind == "us_speckle"
    name = sample.texts[0]
    x, y, w, h = name.box

    def around(a: np.ndarray) -> str:
        crop = np.repeat(a[max(0, y - 12) : y + h + 12, max(0, x - 12) : x + w + 12, None], 3, axis=2)
        return read_text(crop) + "\n" + read_text(cv2.resize(crop, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC))

    tokens = name.text.split()
    assert any(deny_match(t, around(sample.image)) for t in tokens)  # readable before
    out = scrub_pixels(sample.image[None], policy=Policy(), context=context, text_mode="annotation").frames[0]
    read = around(out)
    assert not any(deny_match(t, read) for t in tokens)


def _speckle_frame_with_name(seed: int, name: str) -> np.ndarray:
    """A 640x480 ultrasound-like frame: a Rayleigh speckle sector on black, an 11 px grey
    name drawn over the speckle (the detector swallows the whole sector as one box)."""
    from PIL import Image, ImageDraw, ImageFont

    rng = np.random.default_rng(seed)
    h, w = 480, 640
    yy, xx = np.mgrid[:h, :w]
    ang = np.arctan2(xx - 320, yy + 60)
    r = np.hypot(xx - 320, yy + 60)
    sector = (np.abs(ang) < 0.7) & (r > 90) & (r < 520)
    arr = np.where(sector, rng.rayleigh(38, (h, w)), rng.normal(8, 3, (h, w))).clip(0, 255)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf", 11)
    layer = Image.new("L", (w, h), 0)
    ImageDraw.Draw(layer).text((214, 204), name, font=font, fill=255)
    a = np.asarray(layer, np.float32) / 255.0
    return (arr * (1 - a) + 130 * a).astype(np.uint8)


def test_name_inside_speckle_the_detector_swallowed_is_filled(engines, context):
    # Without the inverted pass the first detector pass returns one frame-sized box that
    # reads nothing and the name is left as it came (measured: 0 of 12 such frames touched).
    frame = _speckle_frame_with_name(100, "QUORVAL BENTISH")
    out = scrub_pixels(frame[None], policy=Policy(), context=context, text_mode="annotation").frames[0]
    region = (slice(196, 224), slice(210, 320))
    assert (out[region] != frame[region]).mean() > 0.3


@pytest.mark.parametrize(("seed", "name"), [(3, "HALLORAN WESTBY"), (5, "QUORVAL BENTISH"), (10, "QUORVAL BENTISH"), (11, "MARVELLO TRASK")])
def test_name_inside_speckle_without_a_texture_box_is_filled(engines, context, seed, name):
    # Speckle fields where the first pass returns no frame-sized box (so the inverted pass
    # used to be skipped) and the name stays readable: the inverted pass now runs on every
    # dark frame and its map is also binarised at 0.7 (before: name area untouched).
    frame = _speckle_frame_with_name(seed, name)
    out = scrub_pixels(frame[None], policy=Policy(), context=context, text_mode="annotation").frames[0]
    region = (slice(200, 220), slice(210, 330))
    assert (out[region] != frame[region]).mean() > 0.3


def test_boxes_found_only_at_the_strict_level_need_a_read(ocr):
    # The inverted frame binarised at 0.7 as well: more boxes, each marked strict unless
    # the 0.3 map gives it too.
    frame = np.ascontiguousarray(255 - np.repeat(_speckle_frame_with_name(7, "DOVINGER PAXTON")[:, :, None], 3, axis=2))
    plain = ocr.detect(frame, OcrOptions(scale=1.0, recognize=False, box_thresh=0.3))
    both = ocr.detect(frame, OcrOptions(scale=1.0, recognize=False, box_thresh=0.3, extra_bin_thresh=(0.7,)))
    assert not any(b.strict for b in plain)
    assert len(both) > len(plain) and any(b.strict for b in both)
    assert sum(not b.strict for b in both) == len(plain)


@pytest.mark.parametrize("seed", [2226, 2249, 3387, 4502])
def test_name_in_speckle_behind_a_faint_texture_box_is_not_readable(engines, context, read_text, seed):
    # bench/image_hard.py --faint frames (tuning seeds). 2226: the first pass's sector-sized
    # box scores 0.47, below the 0.5 at which it counted as texture, so the inverted pass
    # ran at 0.75 and missed the 9 px name (found at full scale). 2249: the inverted frame
    # at full scale gives 91 boxes, more than are read, so the name's box was never read
    # and was dropped. 3387: a 120x53 box around the name and speckle read "S" at 0.62 and
    # was kept as annotation. 4502: the first pass's texture box covered 0.29 of the frame
    # (under the 0.5 that ran the inverted pass at full scale). Before: all read back.
    from bench.image_hard import faint_frame

    frame, (x, y, w, h), name = faint_frame(seed)

    def around(a: np.ndarray) -> str:
        crop = np.repeat(a[max(0, y - 12) : y + h + 12, max(0, x - 12) : x + w + 12, None], 3, axis=2)
        return read_text(crop) + "\n" + read_text(cv2.resize(crop, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC))

    tokens = name.split()
    assert any(deny_match(t, around(frame)) for t in tokens)  # readable before
    out = scrub_pixels(frame[None], policy=Policy(), context=context, text_mode="annotation").frames[0]
    assert not any(deny_match(t, around(out)) for t in tokens)
