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
    assert any("stored uncompressed" in n for n in result.report.notes)
    assert leaks(result.data) == []


def test_rle_input_decoded_and_stored_uncompressed(context):
    ds = _read(build("OT", rows=64, columns=64))
    ds.compress(RLELossless)
    out = io.BytesIO()
    ds.save_as(out)
    result = scrub_dicom(out.getvalue(), Policy(), context)
    back = _read(result.data)
    assert back.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert back.pixel_array.shape == (64, 64)


def test_ybr_jpeg_becomes_rgb(context):
    path = get_testdata_file("SC_rgb_jpeg_dcmtk.dcm")
    if path is None:
        pytest.skip("pydicom test file not present")
    src = _read(open(path, "rb").read())
    assert src.PhotometricInterpretation.startswith("YBR")
    ds = _read(scrub_dicom(path, Policy(), context).data)
    assert ds.PhotometricInterpretation == "RGB"
    assert ds.PlanarConfiguration == 0
    arr = ds.pixel_array
    assert arr.shape == (100, 100, 3) and arr.dtype == np.uint8


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
    assert ds.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
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
