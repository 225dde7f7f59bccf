import io
import logging

import numpy as np
import pytest
import synth
from PIL import Image, PngImagePlugin

from deid.core import Policy
from deid.core.errors import EngineUnavailable, LimitExceeded, WithheldError
from deid.image import scrub_image

PLANTED = ["GPSJOHNDOE", "MAKERSERIAL77", "XMPSECRETNAME", "COMMENTMRN", "PNGTEXTNAME", "ICCDESCNAME"]


def _exif_with_gps(orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "MAKERSERIAL77"  # Make
    exif[0x0131] = "GPSJOHNDOE"  # Software
    exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (52.0, 13.0, 7.5)
    gps[27] = "GPSJOHNDOE"
    return exif.tobytes()


def _assert_clean(data: bytes):
    for v in PLANTED:
        assert v.encode() not in data
    im = Image.open(io.BytesIO(data))
    structural = {256, 257, 258, 259, 262, 273, 277, 278, 279, 284, 317, 338}  # TIFF image layout only
    assert not set(im.getexif()) - structural
    assert "icc_profile" not in im.info and "comment" not in im.info and "xmp" not in im.info
    assert not [k for k in im.info if k not in ("jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "compression", "resolution", "loop", "background")]  # decoder defaults, not stored


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "TIFF", "WEBP"])
def test_metadata_blocks_are_dropped(engines, policy, context, fmt):
    arr = synth.wound_photo(240, 320)
    kw: dict = {"exif": _exif_with_gps()}
    if fmt == "JPEG":
        kw.update(comment=b"COMMENTMRN", xmp=b"<x:xmpmeta>XMPSECRETNAME</x:xmpmeta>")
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_text("Author", "PNGTEXTNAME")
        info.add_itxt("Comment", "PNGTEXTNAME")
        kw["pnginfo"] = info
    src = synth.encode(arr, fmt, **kw)
    assert b"GPSJOHNDOE" in src or fmt == "WEBP"
    res = scrub_image(src, policy, context)
    assert res.format == fmt
    _assert_clean(res.data)
    assert res.report.outcome == "scrubbed"


def test_icc_profile_converted_and_not_written(engines, policy, context):
    from PIL import ImageCms

    prof = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    src = synth.encode(synth.wound_photo(120, 160), "JPEG", icc_profile=prof)
    res = scrub_image(src, policy, context)
    assert "icc_profile" not in Image.open(io.BytesIO(res.data)).info


def test_exif_orientation_applied_to_pixels(engines, policy, context):
    arr = synth.wound_photo(200, 300)
    src = synth.encode(arr, "PNG", exif=_exif_with_gps(orientation=6))  # rotate 90 CW on display
    res = scrub_image(src, policy, context)
    assert (res.width, res.height) == (200, 300)


def test_faces_pixelated_faceless_untouched(engines, policy, context):
    canvas = synth.wound_photo(700, 900)
    heads = []
    x = 40
    for px in (36, 60, 140):
        head = synth.astronaut_head(px)
        canvas[100 : 100 + head.shape[0], x : x + head.shape[1]] = head
        heads.append((x, 100, head.shape[1], head.shape[0]))
        x += head.shape[1] + 60
    res = scrub_image(synth.encode(canvas, "PNG"), policy, context)
    out = np.array(Image.open(io.BytesIO(res.data)).convert("RGB"))
    faces = [f for f in res.report.findings if f.kind == "FACE"]
    assert len(faces) == 3 and all(f.action == "pixelated" for f in faces)
    for hx, hy, hw, hh in heads:
        face = (slice(hy + hh // 8, hy + hh // 2), slice(hx + hw // 3, hx + 2 * hw // 3))
        assert np.abs(out[face].astype(int) - canvas[face].astype(int)).mean() > 3
    # No change far from the faces.
    assert np.array_equal(out[500:, :], canvas[500:, :])

    plain = synth.wound_photo(700, 900)
    res2 = scrub_image(synth.encode(plain, "PNG"), policy, context)
    out2 = np.array(Image.open(io.BytesIO(res2.data)).convert("RGB"))
    assert (out2 != plain).any(axis=2).mean() <= 0.005
    assert not res2.report.findings


def test_wristband_name_deny_listed_is_unreadable(engines, policy, context, read_text):
    context.add_identifier("PERSON", "Hendricks Maribel", source="dicom:(0010,0010)")
    img = Image.fromarray(synth.wound_photo(600, 800))
    synth.draw_text(img, (180, 420), "HENDRICKS MARIBEL", 26, (20, 20, 60), angle=12)
    synth.draw_text(img, (450, 80), "Left forearm", 22, (20, 20, 20))
    res = scrub_image(synth.encode(np.array(img), "JPEG", quality=95), policy, context)
    out = np.array(Image.open(io.BytesIO(res.data)))
    left = read_text(out).upper()
    assert "HENDRICKS" not in left and "MARIBEL" not in left
    assert "FOREARM" in left  # phi mode keeps clinical words
    assert res.report.verification.ran and res.report.verification.passed


def test_all_text_mode(engines, context, read_text):
    policy = Policy.from_dict({"image": {"photo_text": "all"}})
    img = Image.fromarray(synth.wound_photo(400, 600))
    synth.draw_text(img, (50, 50), "Left forearm", 22, (20, 20, 20))
    res = scrub_image(synth.encode(np.array(img), "PNG"), policy, context)
    assert "FOREARM" not in read_text(np.array(Image.open(io.BytesIO(res.data)))).upper()


def test_decompression_bomb_refused(policy, context):
    big = Policy.from_dict({"image": {"max_pixels": 10_000}})
    with pytest.raises(LimitExceeded):
        scrub_image(synth.encode(synth.wound_photo(200, 300), "PNG"), big, context)


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_truncated_or_corrupt_image_withheld(engines, policy, context, cut):
    data = synth.encode(synth.wound_photo(200, 300), "JPEG")
    with pytest.raises(WithheldError) as exc:
        scrub_image(data[: int(len(data) * cut)], policy, context)
    assert exc.value.reason == "corrupt_image"
    with pytest.raises(WithheldError):
        scrub_image(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, policy, context)


def test_missing_engine_withholds(context):
    for over in ({"ocr_engine": "missing-ocr"}, {"face_detector": "missing-faces"}):
        with pytest.raises(EngineUnavailable):
            scrub_image(synth.encode(synth.wound_photo(100, 100), "PNG"), Policy.from_dict({"image": over}), context)


def test_heic_input_if_encoder_available(engines, policy, context):
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    buf = io.BytesIO()
    try:
        Image.fromarray(synth.wound_photo(128, 128)).save(buf, "HEIF", exif=_exif_with_gps())
    except Exception:
        pytest.skip("no HEIF encoder in this pillow-heif build")
    res = scrub_image(buf.getvalue(), policy, context)
    assert res.format == "JPEG"
    _assert_clean(res.data)


def test_no_planted_value_in_logs_or_report(engines, policy, context, caplog):
    context.add_identifier("PERSON", "Vandersloot Imogen")
    img = Image.fromarray(synth.wound_photo(300, 500))
    synth.draw_text(img, (40, 40), "VANDERSLOOT IMOGEN", 24, (10, 10, 10))
    with caplog.at_level(logging.DEBUG):
        res = scrub_image(synth.encode(np.array(img), "PNG"), policy, context)
    blob = (caplog.text + repr(res.report.to_dict())).upper()
    assert "VANDERSLOOT" not in blob and "IMOGEN" not in blob


def test_small_text_in_large_photo_found_in_tiles(engines, policy, context, read_text):
    # 2400x1800: the detector runs on tiles around text candidates at the full 10 px scale.
    context.add_identifier("PERSON", "Thistlewood Agnes")
    img = Image.fromarray(synth.wound_photo(1800, 2400))
    synth.draw_text(img, (1500, 1500), "THISTLEWOOD AGNES", 12, (15, 15, 15))
    res = scrub_image(synth.encode(np.array(img), "PNG"), policy, context)
    out = np.array(Image.open(io.BytesIO(res.data)))
    assert "THISTLEWOOD" not in read_text(out[1400:1600, 1400:1900]).upper()
    assert not res.report.residual_risk


@pytest.mark.parametrize("mode", ["L", "P", "RGBA", "LA", "CMYK", "I;16"])
def test_pixel_modes_decode(engines, policy, context, mode):
    arr = synth.wound_photo(120, 160)
    if mode == "I;16":
        img = Image.fromarray(arr[:, :, 0].astype(np.uint16) * 200)
    else:
        img = Image.fromarray(arr).convert(mode)
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    res = scrub_image(_enc(img, fmt), policy, context)
    out = np.array(Image.open(io.BytesIO(res.data)).convert("L"))
    assert out.std() > 5  # not clipped to a flat image


def _enc(img, fmt):
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def test_unsupported_format_withheld(policy, context):
    with pytest.raises(WithheldError) as exc:
        scrub_image(_enc(Image.fromarray(synth.wound_photo(50, 50)), "GIF"), policy, context)
    assert exc.value.reason == "unsupported_format"
