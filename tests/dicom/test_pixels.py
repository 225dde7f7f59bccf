"""Pixel plumbing with the real image core: decode, clean, store back uncompressed."""

from __future__ import annotations

import io

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.uid import ExplicitVRLittleEndian, RLELossless

from deid.core.policy import Policy
from deid.dicom import scrub_dicom
from deid.dicom.pixels import pixels_need_cleaning

from .dicom_synth import build, leaks


def _read(data):
    return pydicom.dcmread(io.BytesIO(data))


def test_decision_follows_policy():
    ds = _read(build("CT"))
    assert pixels_need_cleaning(ds, Policy())  # every modality: CT scouts carry names too
    ds.BurnedInAnnotation = "NO"
    assert pixels_need_cleaning(ds, Policy())  # the flag cannot narrow the search
    assert not pixels_need_cleaning(ds, Policy.from_dict({"dicom": {"clean_pixels": "never"}}))
    assert pixels_need_cleaning(ds, Policy.from_dict({"dicom": {"clean_pixels": "always"}}))
    ds.BurnedInAnnotation = "YES"
    assert pixels_need_cleaning(ds, Policy())
    us = _read(build("US", frames=2))
    assert pixels_need_cleaning(us, Policy())
    assert not pixels_need_cleaning(us, Policy.from_dict({"dicom": {"clean_pixels": "never"}}))


def test_us_multiframe_cleaned_and_marked(context):
    result = scrub_dicom(build("US", frames=3, rows=64, columns=64), Policy(), context)
    ds = _read(result.data)
    assert ds.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert ds.BurnedInAnnotation == "NO"
    assert ds.pixel_array.shape == (3, 64, 64)
    assert "113101" in [i.CodeValue for i in ds.DeidentificationMethodCodeSequence]
    assert any("copied as it came" in n for n in result.report.notes)
    assert leaks(result.data) == []


def test_untouched_compressed_pixels_copied_byte_for_byte(context):
    ds = _read(build("OT", rows=64, columns=64))
    ds.compress(RLELossless)
    out = io.BytesIO()
    ds.save_as(out)
    result = scrub_dicom(out.getvalue(), Policy(), context)  # noise: no text to redact
    back = _read(result.data)
    assert back.file_meta.TransferSyntaxUID == RLELossless
    assert back.PixelData == ds.PixelData
    assert back.BurnedInAnnotation == "NO"


def _text_frame(colour: bool) -> np.ndarray:
    import cv2

    shape = (240, 320, 3) if colour else (240, 320)
    frame = np.full(shape, 90, dtype=np.uint8)
    cv2.rectangle(frame, (40, 80), (280, 220), (160, 160, 160) if colour else 160, -1)
    ink = (255, 255, 255) if colour else 255
    cv2.putText(frame, "ZANZIBAROVA 19520314", (8, 40), cv2.FONT_HERSHEY_SIMPLEX, 0.8, ink, 2)
    return frame


def _encoded_input(frame: np.ndarray, syntax: str) -> bytes:
    """A US object holding ``frame``, encoded in ``syntax`` (JPEG baseline via Pillow)."""
    from PIL import Image
    from pydicom.encaps import encapsulate
    from pydicom.uid import JPEGBaseline8Bit

    ds = _read(build("US", rows=frame.shape[0], columns=frame.shape[1]))
    if frame.ndim == 3:
        ds.SamplesPerPixel = 3
        ds.PhotometricInterpretation = "RGB"
        ds.PlanarConfiguration = 0
    if syntax == JPEGBaseline8Bit:
        buf = io.BytesIO()
        mode = "RGB" if frame.ndim == 3 else "L"
        Image.fromarray(frame, mode).save(buf, "JPEG", quality=90, subsampling=1)
        ds.PixelData = encapsulate([buf.getvalue()])
        ds["PixelData"].VR = "OB"
        ds["PixelData"].is_undefined_length = True
        ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
        if frame.ndim == 3:
            ds.PhotometricInterpretation = "YBR_FULL_422"
        ds.LossyImageCompression = "01"
    else:
        ds.PixelData = frame.tobytes()
        ds.compress(syntax, frame, generate_instance_uid=False)
    out = io.BytesIO()
    ds.save_as(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "syntax,colour",
    [
        ("1.2.840.10008.1.2.5", False),  # RLE Lossless
        ("1.2.840.10008.1.2.5", True),
        ("1.2.840.10008.1.2.4.90", True),  # JPEG 2000 lossless
        ("1.2.840.10008.1.2.4.80", False),  # JPEG-LS lossless
        ("1.2.840.10008.1.2.4.50", True),  # JPEG baseline (lossy, YBR_FULL_422)
        ("1.2.840.10008.1.2.4.50", False),
    ],
)
def test_redacted_pixels_reencoded_in_their_syntax(syntax, colour, context):
    frame = _text_frame(colour)
    src = _encoded_input(frame, syntax)
    result = scrub_dicom(src, Policy(), context)
    back = _read(result.data)
    assert back.file_meta.TransferSyntaxUID == syntax
    assert len(result.data) <= 1.2 * len(src)
    arr = back.pixel_array  # decodable
    text_region = (slice(15, 50), slice(8, 300))
    assert (frame[text_region] > 200).sum() > 300
    assert (arr[text_region] > 200).sum() == 0  # the text is filled
    body = arr[150, 160].astype(int)
    lossy = syntax.endswith(".50")
    assert np.abs(body - 160).max() <= (6 if lossy else 0)  # grey stays grey: no YBR twice
    if lossy:
        assert back.LossyImageCompression == "01"
        methods = back.LossyImageCompressionMethod
        methods = [methods] if isinstance(methods, str) else list(methods)
        assert methods[-1] == "ISO_10918_1"
        assert back.PhotometricInterpretation == ("YBR_FULL_422" if colour else "MONOCHROME2")
    elif colour and syntax.endswith(".90"):
        assert back.PhotometricInterpretation == "YBR_RCT"
    assert leaks(result.data) == []


def test_header_only_keeps_compressed_pixels(context):
    path = get_testdata_file("MR_small_RLE.dcm")
    src = _read(open(path, "rb").read())
    header_only = Policy.from_dict({"dicom": {"clean_pixels": "never"}})
    ds = _read(scrub_dicom(path, header_only, context).data)  # pixels not looked at
    assert ds.file_meta.TransferSyntaxUID == RLELossless
    assert ds.PixelData == src.PixelData
    assert "BurnedInAnnotation" not in ds or ds.BurnedInAnnotation != "NO"


def test_overlay_removed_with_pixels(context):
    ds = _read(scrub_dicom(build("US", frames=2), Policy(), context).data)
    assert not any(e.tag.group == 0x6000 for e in ds.iterall())


@pytest.mark.parametrize("syntax", ["1.2.840.10008.1.2", "1.2.840.10008.1.2.2"])
def test_pixel_path_from_implicit_and_big_endian(syntax, context):
    src = build("US", frames=2, rows=64, columns=64, transfer_syntax=syntax)
    result = scrub_dicom(src, Policy(), context)
    ds = _read(result.data)
    assert ds.file_meta.TransferSyntaxUID == syntax  # nothing redacted: as it came
    assert (ds.pixel_array == _read(src).pixel_array).all()  # noise has no text: unchanged
    assert leaks(result.data) == []


def test_burned_in_text_is_redacted(context):
    import cv2

    frame = np.zeros((240, 320), dtype=np.uint8)
    cv2.putText(frame, "ZANZIBAROVA 19520314", (8, 40), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 2)
    ds = _read(build("US", rows=240, columns=320))
    ds.PixelData = frame.tobytes()
    out = io.BytesIO()
    ds.save_as(out)
    result = scrub_dicom(out.getvalue(), Policy(), context)
    cleaned = _read(result.data).pixel_array
    text_region = (slice(15, 50), slice(8, 300))
    assert (frame[text_region] > 0).sum() > 200
    assert (cleaned[text_region] != frame[text_region]).sum() > 0.5 * (frame[text_region] > 0).sum()
    assert any(f.box for f in result.report.findings)
    assert result.report.verification is not None and result.report.verification.ran


def test_pixels_not_cleaned_is_reported(context):
    pol = Policy.from_dict({"dicom": {"clean_pixels": "never"}})
    result = scrub_dicom(build("US", frames=2), pol, context)
    assert any("pixel data not cleaned" in r for r in result.report.residual_risk)
    assert "113101" not in [
        i.CodeValue for i in _read(result.data).DeidentificationMethodCodeSequence
    ]


def test_vl_photo_face_is_cleaned(context):
    from skimage import data as skdata

    photo = skdata.astronaut()  # public-domain NASA portrait
    ds = _read(build("XC", rows=photo.shape[0], columns=photo.shape[1]))
    ds.PixelData = photo.tobytes()
    out = io.BytesIO()
    ds.save_as(out)
    result = scrub_dicom(out.getvalue(), Policy(), context)
    back = _read(result.data)
    assert back.RecognizableVisualFeatures == "NO"
    assert "113102" in [i.CodeValue for i in back.DeidentificationMethodCodeSequence]
    face = (slice(60, 200), slice(150, 290))  # the astronaut's face
    changed = (back.pixel_array[face] != photo[face]).any(axis=-1).mean()
    assert changed > 0.5


def test_32bit_rgb_rle_redacted_and_kept_lossless(context):
    """32-bit RGB (no encoder takes it): cleaned through a 16-bit rendering, written
    losslessly and smaller than uncompressed (deflated)."""
    import cv2
    from pydicom.encaps import encapsulate

    rle = pytest.importorskip("rle")  # pylibjpeg-rle encodes 32-bit RGB

    base = np.full((120, 320, 3), 90 << 24, dtype=np.uint32)
    ink = np.zeros((120, 320), np.uint8)
    cv2.putText(ink, "ZANZIBAROVA 19520314", (8, 40), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 2)
    base[ink > 0] = np.uint32(0xFFFFFFFF)
    ds = _read(build("XC", rows=120, columns=320))
    ds.BitsAllocated = ds.BitsStored = 32
    ds.HighBit = 31
    frames = []
    frames.append(
        rle.encode_pixel_data(
            base.tobytes(),
            rows=120,
            columns=320,
            samples_per_pixel=3,
            bits_allocated=32,
            byteorder="<",
        )
    )
    ds.PixelData = encapsulate(frames)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    ds.file_meta.TransferSyntaxUID = RLELossless
    out = io.BytesIO()
    ds.save_as(out)
    pol = Policy.from_dict({"image": {"faces": False}})
    result = scrub_dicom(out.getvalue(), pol, context)
    back = _read(result.data)
    arr = back.pixel_array
    assert arr.dtype == np.uint32 and arr.shape == (120, 320, 3)
    assert (arr[ink > 0] == 0xFFFFFFFF).mean() < 0.05  # the text is filled
    assert len(result.data) < base.nbytes / 4
    assert back.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1.99"  # deflated, lossless
