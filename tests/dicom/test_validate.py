"""Structure checks: damaged and hostile files are refused with a reason, never copied."""

from __future__ import annotations

import struct

import pytest

from deid.core.errors import DeidError, InputError, LimitExceeded, WithheldError
from deid.core.policy import Policy
from deid.dicom import is_dicom, scrub_dicom

from .dicom_synth import PLANTED, build


def _fails(data, policy, context, exc_type, reason=None):
    with pytest.raises(exc_type) as info:
        scrub_dicom(data, policy, context)
    err = info.value
    assert err.reason and (reason is None or err.reason == reason)
    for value in PLANTED.values():
        assert value not in str(err)
    return err


def test_truncated_in_pixel_data(header_policy, context):
    src = build("CT", rows=64, columns=64)
    _fails(src[:-500], header_policy, context, WithheldError, "truncated")


def test_truncated_in_header(header_policy, context):
    src = build("CT")
    cut = src.index(b"Wexfordshire") + 4
    _fails(src[:cut], header_policy, context, WithheldError, "truncated")


def test_two_gigabyte_declared_length(header_policy, context):
    src = bytearray(build("CT"))
    # Institution Name (0008,0080) LO: make its 2-byte length huge is not possible; use
    # the pixel data's 4-byte length instead, declaring ~2 GB.
    pos = src.rindex(b"\xe0\x7f\x10\x00")
    struct.pack_into("<I", src, pos + 8, 0x7FFFFFF0)
    _fails(bytes(src), header_policy, context, WithheldError, "truncated")


def test_native_pixel_data_shorter_than_image(header_policy, context):
    import io

    import pydicom

    ds = pydicom.dcmread(io.BytesIO(build("CT")))
    ds.PixelData = ds.PixelData[:-200]
    out = io.BytesIO()
    ds.save_as(out)
    _fails(out.getvalue(), header_policy, context, WithheldError, "truncated_pixel_data")


def test_non_dicom_with_dcm_name(tmp_path, header_policy, context):
    path = tmp_path / "SMITH_JOHN_MRN4471923.dcm"
    path.write_text("Patient: John Smith, MRN4471923\n" * 20)
    err = _fails(path, header_policy, context, InputError, "not_dicom")
    assert "SMITH" not in str(err)


def test_garbage_after_dataset(header_policy, context):
    _fails(build("CT") + b"SECRET TRAILER DATA", header_policy, context, WithheldError)


def test_size_limit(context):
    pol = Policy.from_dict({"dicom": {"clean_pixels": "never", "max_file_bytes": 1000}})
    _fails(build("CT"), pol, context, LimitExceeded, "file_too_large")


def test_dicomdir_withheld(header_policy, context):
    import io

    import pydicom
    from pydicom.data import get_testdata_file

    path = get_testdata_file("DICOMDIR")
    _fails(path, header_policy, context, WithheldError, "dicomdir")
    del io, pydicom


def test_is_dicom():
    src = build("CT")
    assert is_dicom(src[:132])
    assert is_dicom(build("CT", with_meta=False)[:64])
    assert not is_dicom(b"%PDF-1.7 hello world, this is not dicom at all" * 4)
    assert not is_dicom(b"")


def test_every_error_is_a_deid_error(header_policy, context):
    src = build("MR")
    for cut in range(0, len(src), max(1, len(src) // 40)):
        try:
            scrub_dicom(src[:cut], header_policy, context)
        except DeidError:
            pass
