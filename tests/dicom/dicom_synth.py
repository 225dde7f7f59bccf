"""Synthetic DICOM objects with planted PHI, built in code (no real patient data)."""

from __future__ import annotations

import io
import zlib

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

from tests.support.dicom_build import attach_file_meta, ct12_pixel_module

KEY = b"test-key-for-dicom-0123456789abcdef"

# Every value here must be gone from every output (searched in the raw bytes).
PLANTED = {
    "name_family": "Zanzibarova",
    "name_given": "Quenthorpe",
    "mrn": "MRN4471923",
    "other_id": "OTH778899Q",
    "birth": "19520314",
    "institution": "Wexfordshire Memorial",
    "referring": "Okonkwodu",
    "operator": "Pembertonix",
    "performing": "Villanuevo",
    "accession": "ACC99887766",
    "phone": "555-867-5309",
    "station": "WEXCT01XY",
    "serial": "SN123456789Q",
    "address": "12 Harbourview Road",
    "inst_address": "77 Quaysidelane",
    "private": "PRIVNOTEZX",
    "preamble": "PREAMBLEZANZI",
    "source_ae": "WEXFORDPACS",
    "padding": "PADDINGZANZI",
    "nested_person": "Thistlewaite",
    "sr_person": "Marchbankso",
    "study_date": "20240315",
    "study_time": "101517",
    "late_time": "231742",
    "curve_label": "CURVELABELZANZI",
    "comment_surname": "Brackenwolde",  # named only in ImageComments: no header learns it
    "uid_root": "1.2.826.0.1.3680043.9.7777",
}

STUDY_UID = PLANTED["uid_root"] + ".1"
SERIES_UID = PLANTED["uid_root"] + ".2"
FOR_UID = PLANTED["uid_root"] + ".3"

SOP_CLASSES = {
    "CT": "1.2.840.10008.5.1.4.1.1.2",
    "MR": "1.2.840.10008.5.1.4.1.1.4",
    "CR": "1.2.840.10008.5.1.4.1.1.1",
    "DX": "1.2.840.10008.5.1.4.1.1.1.1",
    "US": "1.2.840.10008.5.1.4.1.1.3.1",
    "OT": "1.2.840.10008.5.1.4.1.1.7",  # secondary capture
    "SR": "1.2.840.10008.5.1.4.1.1.88.22",
    "XC": "1.2.840.10008.5.1.4.1.1.77.1.4",  # VL photographic
    "RTSTRUCT": "1.2.840.10008.5.1.4.1.1.481.3",
}


def planted_bytes() -> list[bytes]:
    values = [v for k, v in PLANTED.items()]
    out = []
    for v in values:
        out += [v.encode(), v.upper().encode(), v.lower().encode()]
    return out


def leaks(data: bytes) -> list[str]:
    """Planted values found in ``data`` (and in the inflated dataset of a deflated file)."""
    hay = data
    ds = pydicom.dcmread(io.BytesIO(data))
    if ds.file_meta.TransferSyntaxUID == DeflatedExplicitVRLittleEndian:
        meta_end = data.index(b"\x02\x00\x10\x00") + 8  # locate dataset after meta
        ds_start = _dataset_start(data)
        hay = data + zlib.decompress(data[ds_start:], -zlib.MAX_WBITS)
        del meta_end
    found = []
    for key, value in PLANTED.items():
        for form in {value, value.upper(), value.lower()}:
            if form.encode() in hay:
                found.append(key)
    return sorted(set(found))


def _dataset_start(data: bytes) -> int:
    import struct

    pos = 132
    while struct.unpack_from("<H", data, pos)[0] == 0x0002:
        vr = data[pos + 4 : pos + 6]
        if vr in (b"OB", b"OW", b"SQ", b"UN", b"UT", b"UC", b"UR"):
            pos += 12 + struct.unpack_from("<I", data, pos + 8)[0]
        else:
            pos += 8 + struct.unpack_from("<H", data, pos + 6)[0]
    return pos


def _person_item(name: str) -> Dataset:
    item = Dataset()
    item.PersonName = name
    return item


def build(
    modality: str = "CT",
    *,
    instance: int = 1,
    transfer_syntax: str = ExplicitVRLittleEndian,
    frames: int = 1,
    rows: int = 32,
    columns: int = 32,
    references: list[str] | None = None,
    with_meta: bool = True,
    age: str = "045Y",
) -> bytes:
    """One DICOM file of ``modality`` with PHI planted in standard, nested and private tags."""
    P = PLANTED
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = SOP_CLASSES[modality]
    ds.SOPInstanceUID = f"{P['uid_root']}.100.{instance}"
    ds.StudyInstanceUID = STUDY_UID
    ds.SeriesInstanceUID = SERIES_UID
    ds.FrameOfReferenceUID = FOR_UID
    ds.Modality = "OT" if modality == "OT" else ("RTSTRUCT" if modality == "RTSTRUCT" else modality)
    ds.StudyDate = P["study_date"]
    ds.SeriesDate = P["study_date"]
    ds.ContentDate = P["study_date"]
    ds.StudyTime = P["study_time"]
    ds.SeriesTime = P["late_time"]  # late in the evening: a shift may cross midnight
    ds.ContentTime = P["study_time"] + ".250"
    ds.InstanceCreationTime = P["late_time"]
    ds.AcquisitionDateTime = P["study_date"] + P["study_time"] + ".000000"
    ds.AccessionNumber = P["accession"]
    ds.PatientName = f"{P['name_family']}^{P['name_given']}"
    ds.PatientID = P["mrn"]
    ds.PatientBirthDate = P["birth"]
    ds.PatientSex = "F"
    ds.PatientAge = age
    ds.PatientWeight = "71.5"
    ds.OtherPatientIDs = P["other_id"]
    ds.PatientAddress = P["address"]
    ds.PatientTelephoneNumbers = P["phone"]
    ds.InstitutionName = P["institution"]
    ds.InstitutionAddress = P["inst_address"]
    ds.ReferringPhysicianName = f"{P['referring']}^Adaeze"
    ds.OperatorsName = f"{P['operator']}^Lysander"
    ds.PerformingPhysicianName = [f"{P['performing']}^Ana", "Doe^John"]
    ds.StationName = P["station"]
    ds.DeviceSerialNumber = P["serial"]
    ds.Manufacturer = "ACME Imaging"
    ds.StudyDescription = f"Follow-up for {P['name_given']} {P['name_family']} {P['mrn']}"
    ds.SeriesDescription = "AXIAL 5mm"
    ds.ImageComments = (
        f"Call {P['phone']} re {P['name_family']}; discussed with {P['comment_surname']}"
    )
    ds.StudyID = "STUDY42"
    ds.SeriesNumber = 3
    ds.InstanceNumber = instance
    # Nested sequences: a request with a person three levels down.
    inner = Dataset()
    inner.ScheduledPerformingPhysicianName = f"{P['nested_person']}^Ivo"
    inner.ScheduledProcedureStepDescription = f"Protocol by {P['nested_person']}"
    req = Dataset()
    req.RequestedProcedureID = "RP" + P["accession"]
    req.ScheduledProcedureStepSequence = Sequence([inner])
    ds.RequestAttributesSequence = Sequence([req])
    code = Dataset()
    code.CodeValue = "T-D3000"
    code.CodingSchemeDesignator = "SRT"
    code.CodeMeaning = "Chest"
    ds.AnatomicRegionSequence = Sequence([code])
    if references:
        items = []
        for uid in references:
            ref = Dataset()
            ref.ReferencedSOPClassUID = SOP_CLASSES[modality if modality in SOP_CLASSES else "CT"]
            ref.ReferencedSOPInstanceUID = uid
            items.append(ref)
        ds.ReferencedImageSequence = Sequence(items)
    # A private block with an identifying value, and a SIEMENS-style safe one.
    block = ds.private_block(0x0011, "ACME PRIVATE", create=True)
    block.add_new(0x10, "LO", P["private"])
    safe = ds.private_block(0x0019, "SIEMENS MR HEADER", create=True)
    safe.add_new(0x0C, "IS", "1000")
    safe.add_new(0x10, "LO", P["private"] + "2")
    # Overlay plane with a bitmap, and trailing padding carrying text.
    ds.add_new(0x60000010, "US", rows)
    ds.add_new(0x60000011, "US", columns)
    ds.add_new(0x60000040, "CS", "G")
    ds.add_new(0x60000050, "SS", [1, 1])
    ds.add_new(0x60000100, "US", 1)
    ds.add_new(0x60000102, "US", 0)
    ds.add_new(0x60003000, "OW", b"\x00" * (rows * columns // 8))
    # A retired curve (group 5000) with a label.
    ds.add_new(0x50000005, "US", 2)
    ds.add_new(0x50000010, "US", 2)
    ds.add_new(0x50002500, "LO", P["curve_label"])
    ds.add_new(0x50003000, "OW", b"\x00\x01\x00\x02")
    if modality == "SR":
        _add_sr(ds)
    elif modality == "RTSTRUCT":
        _add_rt(ds)
    else:
        _add_pixels(ds, modality, frames, rows, columns)
    ds.add_new(0xFFFCFFFC, "OB", P["padding"].encode() + b"\x00" * 2)

    out = io.BytesIO()
    if with_meta:
        attach_file_meta(ds, transfer_syntax, SourceApplicationEntityTitle=P["source_ae"])
        ds.preamble = P["preamble"].encode().ljust(128, b"\x00")
        ds.save_as(out, enforce_file_format=True)
    else:
        ds.save_as(
            out,
            implicit_vr=transfer_syntax == ImplicitVRLittleEndian,
            little_endian=transfer_syntax != ExplicitVRBigEndian,
        )
    return out.getvalue()


def _add_pixels(ds: Dataset, modality: str, frames: int, rows: int, columns: int) -> None:
    rng = np.random.default_rng(7)
    ds.Rows = rows
    ds.Columns = columns
    if modality == "XC":
        ds.SamplesPerPixel = 3
        ds.PhotometricInterpretation = "RGB"
        ds.PlanarConfiguration = 0
        ds.BitsAllocated = 8
        ds.BitsStored = 8
        ds.HighBit = 7
        ds.PixelRepresentation = 0
        ds.PixelData = rng.integers(0, 255, (rows, columns, 3), dtype=np.uint8).tobytes()
        return
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    if modality in ("US", "OT"):
        ds.BitsAllocated = 8
        ds.BitsStored = 8
        ds.HighBit = 7
        ds.PixelRepresentation = 0
        shape = (frames, rows, columns) if frames > 1 else (rows, columns)
        ds.PixelData = rng.integers(0, 255, shape, dtype=np.uint8).tobytes()
    else:
        ct12_pixel_module(ds)
        ds.PixelSpacing = [0.7, 0.7]
        ds.SliceThickness = "5"
        ds.ImagePositionPatient = [0, 0, 5]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.PixelData = rng.integers(0, 4095, (rows, columns), dtype=np.uint16).tobytes()
    if frames > 1:
        ds.NumberOfFrames = frames
        ds.FrameTime = "33.3"


def _add_sr(ds: Dataset) -> None:
    P = PLANTED
    ds.CompletionFlag = "COMPLETE"
    ds.VerificationFlag = "UNVERIFIED"
    ds.ValueType = "CONTAINER"
    text = Dataset()
    text.RelationshipType = "CONTAINS"
    text.ValueType = "TEXT"
    concept = Dataset()
    concept.CodeValue = "121071"
    concept.CodingSchemeDesignator = "DCM"
    concept.CodeMeaning = "Finding"
    text.ConceptNameCodeSequence = Sequence([concept])
    text.TextValue = f"Nodule seen; discussed with {P['sr_person']} on phone {P['phone']}."
    pname = Dataset()
    pname.RelationshipType = "HAS OBS CONTEXT"
    pname.ValueType = "PNAME"
    pname.PersonName = f"{P['sr_person']}^Kit"
    date = Dataset()
    date.RelationshipType = "HAS OBS CONTEXT"
    date.ValueType = "DATE"
    date.Date = P["study_date"]
    ds.ContentSequence = Sequence([text, pname, date])


def _add_rt(ds: Dataset) -> None:
    P = PLANTED
    ds.StructureSetLabel = f"{P['name_family']} plan"
    ds.StructureSetDate = P["study_date"]
    roi = Dataset()
    roi.ROINumber = 1
    roi.ReferencedFrameOfReferenceUID = FOR_UID
    roi.ROIName = f"PTV {P['name_family']}"
    roi.ROIGenerationAlgorithm = "MANUAL"
    ds.StructureSetROISequence = Sequence([roi])
    ref = Dataset()
    ref.FrameOfReferenceUID = FOR_UID
    ds.ReferencedFrameOfReferenceSequence = Sequence([ref])
