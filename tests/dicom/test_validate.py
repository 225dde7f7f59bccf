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


def test_garbage_after_pixel_data_is_dropped(header_policy, context):
    result = scrub_dicom(build("CT") + b"SECRET TRAILER ZANZIBAROVA", header_policy, context)
    assert b"ZANZIBAROVA" not in result.data.upper()
    assert any("dropped" in n for n in result.report.notes)


def test_garbage_after_a_dataset_without_pixels_is_refused(header_policy, context):
    _fails(build("SR") + b"SECRET TRAILER DATA", header_policy, context, WithheldError)


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


def test_un_encoded_elements(header_policy, context):
    import io

    import pydicom

    from .dicom_synth import leaks

    src = build("CT")
    # Re-encode identifying public elements as UN (as a converter without a dictionary
    # would): the profile must still recognise them by tag.
    for head in (b"\x10\x00\x10\x00PN", b"\x08\x00\x80\x00LO", b"\x08\x00\x30\x10LO"):
        pos = src.index(head)
        (length,) = struct.unpack_from("<H", src, pos + 6)
        src = src[:pos] + head[:4] + b"UN\x00\x00" + struct.pack("<I", length) + src[pos + 8 :]
    assert pydicom.dcmread(io.BytesIO(src)).PatientName  # still readable
    result = scrub_dicom(src, header_policy, context)
    assert leaks(result.data) == []


def test_encapsulated_document_withheld(header_policy, context):
    import io

    import pydicom

    ds = pydicom.dcmread(io.BytesIO(build("OT")))
    ds.EncapsulatedDocument = b"%PDF-1.4 Zanzibarova report " + b" " * 3
    out = io.BytesIO()
    ds.save_as(out)
    _fails(out.getvalue(), header_policy, context, WithheldError, "encapsulated_document")


def test_uid_with_trailing_null_and_multivalued_names(header_policy, context):
    import io

    import pydicom

    from .dicom_synth import leaks

    a = scrub_dicom(build("CT"), header_policy, context)
    ds = pydicom.dcmread(io.BytesIO(build("CT")))
    ds.StudyInstanceUID = PLANTED["uid_root"] + ".1\x00"
    ds.OtherPatientNames = ["Zanzibarova^Q", "Quenthorpe^Zed"]
    out = io.BytesIO()
    ds.save_as(out)
    b = scrub_dicom(out.getvalue(), header_policy, context)
    assert a.study_instance_uid == b.study_instance_uid
    assert leaks(b.data) == []


def test_undecodable_pixels_withheld(context):
    import io

    import pydicom
    from pydicom.encaps import encapsulate
    from pydicom.uid import JPEGBaseline8Bit

    ds = pydicom.dcmread(io.BytesIO(build("OT", rows=64, columns=64)))
    ds.PixelData = encapsulate([b"\xff\xd8\xff\xe0 this is not a jpeg stream at all" + b"\x00" * 7])
    ds["PixelData"].VR = "OB"
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    out = io.BytesIO()
    ds.save_as(out)
    err = _fails(out.getvalue(), Policy(), context, WithheldError)
    assert err.reason in ("undecodable_pixels", "engine_unavailable")


def test_deflated_output_is_checked_inflated(header_policy, context):
    """The leak check runs on the inflated dataset of a deflated output."""
    import io
    import zlib

    import pydicom
    from pydicom.uid import DeflatedExplicitVRLittleEndian

    from deid.dicom.validate import check_structure

    result = scrub_dicom(
        build("MR", transfer_syntax=DeflatedExplicitVRLittleEndian), header_policy, context
    )
    structure = check_structure(result.data, max_bytes=10**8)
    assert structure.deflated and structure.dataset_bytes
    inflated = zlib.decompress(result.data[structure.dataset_offset :], -zlib.MAX_WBITS)
    for value in PLANTED.values():
        assert value.encode() not in inflated
    assert pydicom.dcmread(io.BytesIO(result.data)).PatientIdentityRemoved == "YES"


def test_float_pixel_data_kept(header_policy, context):
    import io

    import numpy as np
    import pydicom

    ds = pydicom.dcmread(io.BytesIO(build("MR")))
    del ds.PixelData
    del ds.BitsStored, ds.HighBit, ds.PixelRepresentation
    ds.BitsAllocated = 32
    ds.FloatPixelData = np.arange(32 * 32, dtype="<f4").tobytes()
    out = io.BytesIO()
    ds.save_as(out)
    back = pydicom.dcmread(io.BytesIO(scrub_dicom(out.getvalue(), header_policy, context).data))
    assert len(back.FloatPixelData) == 32 * 32 * 4
