"""End-to-end header de-identification of synthetic objects with planted PHI."""

from __future__ import annotations

import io
import json
import logging

import pydicom
import pytest
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

from deid.core.context import CaseContext
from deid.core.policy import Policy
from deid.dicom import scrub_dicom

from .dicom_synth import FOR_UID, KEY, PLANTED, build, leaks

MODALITIES = ["CT", "MR", "CR", "DX", "US", "OT", "SR", "XC", "RTSTRUCT"]


def _read(data: bytes) -> pydicom.Dataset:
    return pydicom.dcmread(io.BytesIO(data))


@pytest.mark.parametrize("modality", MODALITIES)
def test_no_planted_value_survives(modality, header_policy, context):
    frames = 3 if modality == "US" else 1
    src = build(modality, frames=frames)
    assert leaks(src), "the fixture must actually carry PHI"
    result = scrub_dicom(src, header_policy, context)
    assert leaks(result.data) == []
    ds = _read(result.data)
    assert result.data[:128] == b"\x00" * 128
    assert ds.PatientIdentityRemoved == "YES"
    codes = [item.CodeValue for item in ds.DeidentificationMethodCodeSequence]
    assert codes[0] == "113100" and "113107" in codes
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID == result.sop_instance_uid
    assert ds.SOPInstanceUID.startswith("2.25.")
    assert ds.StudyInstanceUID == result.study_instance_uid
    assert ds.LongitudinalTemporalInformationModified == "MODIFIED"
    assert str(ds.PatientName).startswith("PAT-") and ds.PatientID.startswith("ID-")
    assert not any(elem.tag.is_private for elem in ds.iterall())
    assert not any(elem.tag.group == 0x6000 for elem in ds.iterall())
    assert 0xFFFCFFFC not in ds
    if "PixelData" in ds:
        arr = ds.pixel_array
        assert (32, 32) in (arr.shape[-2:], arr.shape[-3:-1])
        if modality == "US":
            assert arr.shape[0] == 3
    assert result.modality == ds.Modality


def test_report_and_logs_carry_no_values(header_policy, context, caplog):
    caplog.set_level(logging.DEBUG)
    result = scrub_dicom(build("CT"), header_policy, context)
    blob = json.dumps(result.report.to_dict()) + caplog.text
    for value in PLANTED.values():
        assert value.lower() not in blob.lower()
    assert result.report.findings
    assert all(f.tag for f in result.report.findings)


def _moved(date: str, time: str, context: CaseContext) -> tuple[str, str]:
    """(date, time) of an instant moved by the case offset (the expected output)."""
    import datetime as dt

    instant = dt.datetime.strptime(date + time, "%Y%m%d%H%M%S") + dt.timedelta(
        days=context.date_shift_days, seconds=context.time_shift_seconds
    )
    return instant.strftime("%Y%m%d"), instant.strftime("%H%M%S")


def test_dates_and_times_move_together(header_policy, context):
    ds = _read(scrub_dicom(build("CT"), header_policy, context).data)
    assert context.time_shift_seconds > 0
    study_date, study_time = _moved(PLANTED["study_date"], PLANTED["study_time"], context)
    series_date, series_time = _moved(PLANTED["study_date"], PLANTED["late_time"], context)
    assert ds.StudyDate == study_date and ds.StudyTime == study_time
    assert ds.SeriesDate == series_date and ds.SeriesTime == series_time
    assert ds.AcquisitionDateTime == study_date + study_time + ".000000"
    assert ds.ContentTime == study_time + ".250"  # the fraction is kept
    assert ds.InstanceCreationTime == series_time
    assert ds.PatientBirthDate == ""


def test_time_shift_crossing_midnight_changes_the_date(header_policy):
    # Find a key whose offset pushes 23:17:42 past midnight, and one that does not.
    crossed = {}
    for i in range(40):
        ctx = CaseContext(KEY + bytes([i]), case_id="x")
        ds = _read(scrub_dicom(build("CT"), header_policy, ctx).data)
        date, _ = _moved(PLANTED["study_date"], PLANTED["late_time"], ctx)
        assert ds.SeriesDate == date
        same_day = date == _moved(PLANTED["study_date"], "000000", ctx)[0]
        crossed[same_day] = True
        if len(crossed) == 2:
            break
    assert len(crossed) == 2


def test_times_removed_or_zeroed_without_date_options(context):
    pol = _opts(retain_longitudinal_modified_dates=False)
    ds = _read(scrub_dicom(build("CT"), pol, context).data)
    # Table E.1-1: Study Time Z, Series Time X/D, Content Time Z/D, Acquisition DateTime X/Z/D.
    assert ds.get("StudyTime", "") == ""
    assert ds.get("SeriesTime", "000000") == "000000"
    assert ds.get("ContentTime", "000000") == "000000"
    assert ds.get("AcquisitionDateTime", "") in ("", "19000101000000")
    assert ds.get("InstanceCreationTime", "000000") == "000000"


def test_comment_with_unknown_surname_loses_it(header_policy, context):
    ds = _read(scrub_dicom(build("CT"), header_policy, context).data)
    assert PLANTED["comment_surname"] not in ds.ImageComments
    assert "discussed with" in ds.ImageComments  # the rest of the comment is kept


def test_known_safe_descriptors_load_no_model(tmp_path):
    """A series whose descriptors are all known vocabulary never imports the NLP stack."""
    import subprocess
    import sys

    src = _read(build("CT"))
    src.StudyDescription = "CT CHEST W CONTRAST"
    src.SeriesDescription = "AX T2 FLAIR"
    del src.ImageComments
    del src.RequestAttributesSequence
    path = tmp_path / "in.dcm"
    src.save_as(path)
    code = (
        "import sys, io, pydicom\n"
        "from deid.core.policy import Policy\n"
        "from deid.core.context import CaseContext\n"
        "from deid.dicom import scrub_dicom\n"
        "pol = Policy.from_dict({'dicom': {'clean_pixels': 'never'}})\n"
        f"r = scrub_dicom({str(path)!r}, pol, CaseContext(b'k' * 32))\n"
        "ds = pydicom.dcmread(io.BytesIO(r.data))\n"
        "print(ds.StudyDescription, '|', ds.SeriesDescription)\n"
        "print(sorted(m for m in ('spacy', 'presidio_analyzer') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    ).stdout.splitlines()
    assert out[0] == "CT CHEST W CONTRAST | AX T2 FLAIR"
    assert out[1] == "[]"


def test_curve_groups_removed(header_policy, context):
    ds = _read(scrub_dicom(build("MR"), header_policy, context).data)
    assert not any(elem.tag.group == 0x5000 for elem in ds.iterall())


def test_identifiers_learned_into_context(header_policy, context):
    scrub_dicom(build("CT"), header_policy, context)
    terms = {term for _, term in context.deny_terms()}
    for key in (
        "name_family",
        "name_given",
        "mrn",
        "other_id",
        "institution",
        "referring",
        "nested_person",
    ):
        assert any(PLANTED[key] in t for t in terms), key
    assert any(kind == "DATE" and PLANTED["birth"] in t for kind, t in context.deny_terms())


def test_study_grouping_and_references_survive(header_policy, context):
    first = scrub_dicom(build("CT", instance=1), header_policy, context)
    second_src = build("CT", instance=2, references=[f"{PLANTED['uid_root']}.100.1"])
    second = scrub_dicom(second_src, header_policy, context)
    a, b = _read(first.data), _read(second.data)
    assert a.StudyInstanceUID == b.StudyInstanceUID != ""
    assert a.SeriesInstanceUID == b.SeriesInstanceUID
    assert a.FrameOfReferenceUID == b.FrameOfReferenceUID != FOR_UID
    assert a.SOPInstanceUID != b.SOPInstanceUID
    assert b.ReferencedImageSequence[0].ReferencedSOPInstanceUID == a.SOPInstanceUID
    assert b.ReferencedImageSequence[0].ReferencedSOPClassUID == a.SOPClassUID  # registry UID kept
    assert a.PatientName == b.PatientName and a.PatientID == b.PatientID


def test_rt_frame_of_reference_consistent(header_policy, context):
    ds = _read(scrub_dicom(build("RTSTRUCT"), header_policy, context).data)
    assert (
        ds.StructureSetROISequence[0].ReferencedFrameOfReferenceUID
        == ds.ReferencedFrameOfReferenceSequence[0].FrameOfReferenceUID
    )


def test_deterministic_under_one_key(header_policy):
    src = build("MR")
    one = scrub_dicom(src, header_policy, CaseContext(KEY, case_id="a")).data
    two = scrub_dicom(src, header_policy, CaseContext(KEY, case_id="a")).data
    other = scrub_dicom(src, header_policy, CaseContext(KEY[::-1], case_id="a")).data
    assert one == two
    assert one != other


def test_sr_text_cleaned_not_deleted(header_policy, context):
    ds = _read(scrub_dicom(build("SR"), header_policy, context).data)
    items = ds.ContentSequence
    assert len(items) == 3
    assert "Nodule" in items[0].TextValue
    assert items[0].ConceptNameCodeSequence[0].CodeMeaning == "Finding"
    assert PLANTED["sr_person"] not in str(items[1].PersonName)


def test_descriptors_scrubbed_keep_clinical_words(header_policy, context):
    ds = _read(scrub_dicom(build("CT"), header_policy, context).data)
    assert "Follow-up" in ds.StudyDescription
    assert ds.SeriesDescription == "AXIAL 5mm"
    assert ds.AnatomicRegionSequence[0].CodeMeaning == "Chest"
    assert ds.Manufacturer == "ACME Imaging"
    assert float(ds.SliceThickness) == 5.0


@pytest.mark.parametrize(
    "syntax",
    [
        ImplicitVRLittleEndian,
        ExplicitVRLittleEndian,
        ExplicitVRBigEndian,
        DeflatedExplicitVRLittleEndian,
    ],
)
def test_transfer_syntax_passes_through(syntax, header_policy, context):
    src = build("CT", transfer_syntax=syntax)
    result = scrub_dicom(src, header_policy, context)
    ds = _read(result.data)
    assert ds.file_meta.TransferSyntaxUID == syntax
    assert leaks(result.data) == []
    assert ds.pixel_array.shape == (32, 32)
    assert (ds.pixel_array == _read(src).pixel_array).all()


@pytest.mark.parametrize("syntax", [ImplicitVRLittleEndian, ExplicitVRLittleEndian])
def test_file_without_preamble_or_meta(syntax, header_policy, context):
    src = build("CT", with_meta=False, transfer_syntax=syntax)
    assert b"DICM" not in src[:200]
    result = scrub_dicom(src, header_policy, context)
    assert result.data[128:132] == b"DICM"
    assert leaks(result.data) == []


# ---- options ------------------------------------------------------------------------------
def _opts(**dicom):
    return Policy.from_dict({"dicom": {"clean_pixels": "never", **dicom}})


def test_retain_uids(context):
    ds = _read(scrub_dicom(build("CT"), _opts(retain_uids=True), context).data)
    assert ds.StudyInstanceUID == PLANTED["uid_root"] + ".1"
    assert "113110" in [i.CodeValue for i in ds.DeidentificationMethodCodeSequence]


def test_retain_safe_private(context):
    ds = _read(scrub_dicom(build("CT"), _opts(retain_safe_private=True), context).data)
    block = ds.private_block(0x0019, "SIEMENS MR HEADER")
    assert block[0x0C].value in ("1000", 1000, b"1000")
    assert 0x00191010 not in ds
    assert 0x00111010 not in ds


def test_patient_characteristics_and_age_cap(context):
    ds = _read(
        scrub_dicom(
            build("CT", age="095Y"), _opts(retain_patient_characteristics=True), context
        ).data
    )
    assert ds.PatientAge == "090Y"
    assert ds.PatientSex == "F"
    plain = _read(scrub_dicom(build("CT"), _opts(), context).data)
    assert "PatientAge" not in plain


def test_basic_profile_without_date_options(context):
    pol = _opts(retain_longitudinal_modified_dates=False, clean_descriptors=False)
    ds = _read(scrub_dicom(build("CT"), pol, context).data)
    assert ds.LongitudinalTemporalInformationModified == "REMOVED"
    assert ds.get("StudyDate", "") == ""
    assert "StudyDescription" not in ds
    assert "ImageComments" not in ds


def test_full_dates_kept(context):
    ds = _read(scrub_dicom(build("CT"), _opts(retain_longitudinal_full_dates=True), context).data)
    assert ds.StudyDate == PLANTED["study_date"]
    assert ds.LongitudinalTemporalInformationModified == "UNMODIFIED"


def test_institution_identity_option(context):
    ds = _read(scrub_dicom(build("CT"), _opts(retain_institution_identity=True), context).data)
    assert ds.InstitutionName == PLANTED["institution"]


def test_unknown_public_tag_removed_known_numbers_kept(header_policy, context):
    ds = _read(build("CT"))
    ds.add_new(0x00089999, "US", 7)  # not in the data dictionary
    ds.add_new(0x00089998, "LO", "unknown text")
    out = io.BytesIO()
    ds.save_as(out)
    back = _read(scrub_dicom(out.getvalue(), header_policy, context).data)
    assert 0x00089999 not in back and 0x00089998 not in back
    assert back.Rows == 32 and back.BitsStored == 12 and back.RescaleIntercept == -1024


def test_text_hidden_in_numeric_elements_is_dropped(header_policy, context):
    ds = _read(build("CT"))
    ds.add_new(0x00181150, "IS", "12")  # ExposureTime, a kept number
    ds.add_new(0x00280106, "LO", "ZANZIBAROVA!")  # SmallestImagePixelValue (VM 1), made US below
    ds.add_new(0x00181151, "LO", "Zanzibarova")  # X-Ray Tube Current, made IS below
    out = io.BytesIO()
    ds.save_as(out)
    src = out.getvalue().replace(b"\x18\x00\x51\x11LO", b"\x18\x00\x51\x11IS")
    src = src.replace(b"\x28\x00\x06\x01LO", b"\x28\x00\x06\x01US")
    result = scrub_dicom(src, header_policy, context)
    back = _read(result.data)
    assert back.ExposureTime == 12
    assert 0x00280106 not in back and 0x00181151 not in back
    assert b"zanzibarova" not in result.data.lower()


def test_structured_report_content_tree_scrubbed_not_withheld(header_policy, context):
    """SR: text, names, times and UIDs at any depth cleaned; a numeric PatientID that
    turns up inside a new random UID is not a leak (it is part of a longer number)."""
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    ref_uid = PLANTED["uid_root"] + ".555"
    digits = context.new_uid(ref_uid).split(".")[-1]
    src = _read(build("SR"))
    src.PatientID = digits[10:17]  # 7 digits that the new UID will contain
    ref = Dataset()
    ref.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ref.ReferencedSOPInstanceUID = ref_uid
    image = Dataset()
    image.RelationshipType = "CONTAINS"
    image.ValueType = "IMAGE"
    image.ReferencedSOPSequence = Sequence([ref])
    when = Dataset()
    when.RelationshipType = "HAS OBS CONTEXT"
    when.ValueType = "TIME"
    when.Time = PLANTED["late_time"]
    container = Dataset()
    container.RelationshipType = "CONTAINS"
    container.ValueType = "CONTAINER"
    container.ContentSequence = Sequence([image, when, *src.ContentSequence])
    src.ContentSequence = Sequence([container])
    out = io.BytesIO()
    src.save_as(out)
    result = scrub_dicom(out.getvalue(), header_policy, context)
    assert leaks(result.data) == []
    ds = _read(result.data)
    inner = ds.ContentSequence[0].ContentSequence
    assert inner[0].ReferencedSOPSequence[0].ReferencedSOPInstanceUID == context.new_uid(ref_uid)
    assert inner[1].Time == _moved(PLANTED["study_date"], PLANTED["late_time"], context)[1]
    assert "Nodule" in inner[2].TextValue and PLANTED["sr_person"] not in inner[2].TextValue
    assert str(inner[3].PersonName).startswith("PERSON-")
