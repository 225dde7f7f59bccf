"""DICOM objects of many kinds with identifying values planted where archives hide them.

Synthetic values only (made-up names, dates, UIDs), built with pydicom's Dataset API,
some on pydicom's own test files as bases (RT plan/dose/struct, ECG waveform, SR,
overlay). Each :class:`Kind` carries its planted values, the clinical attributes that
must survive, and whether the object is to be withheld. The check is independent of the
scrubber: a byte search of the output for every planted value in its plain, upper, lower
and DICOM caret forms (dates in DA/ISO/US/EU forms, times in TM and HH:MM:SS forms,
person names in every component order, non-Latin names in the object's character set),
plus a pydicom re-read of every element and of the pixel data.

Used by ``bench/dicom_kinds.py`` (through ``deid scrub``) and ``tests/dicom/test_kinds.py``.
"""

from __future__ import annotations

import copy
import io
import random
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pydicom
from pydicom.data import get_testdata_file
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    RLELossless,
)

UID_ROOT = "1.2.826.0.1.3680043.10.9911"

# ---- planted values -----------------------------------------------------------------------
_SYLLABLES = (
    "zor vak quel thrin bax mor dru vel kix han pex lom yrr gav tuz nib "
    "orf wex jul sep dax min qua rho fyn gel bri cot").split()


@dataclass
class Plant:
    label: str  # "<place>" e.g. "GraphicAnnotation/UnformattedTextValue"
    value: str
    kind: str  # name | text | date | time | datetime | uid | id | nonlatin
    forms: tuple[bytes, ...] = ()


@dataclass
class Kind:
    """One object of a kind, its plants, clinical attributes and expectation."""

    name: str
    case: str  # sub-folder: objects of one case share it
    ds: Dataset
    plants: list[Plant]
    clinical: dict[str, str] = field(default_factory=dict)  # path -> value as written
    withhold: str = ""  # expected reason when the object must not come out
    transfer_syntax: str = ExplicitVRLittleEndian
    raw: bytes | None = None  # a pre-encoded file (bad inputs, test files as they are)
    patches: list[tuple[bytes, bytes]] = field(default_factory=list)  # byte edits after encoding

    def encode(self) -> bytes:
        if self.raw is not None:
            return self.raw
        buf = io.BytesIO()
        ds = copy.deepcopy(self.ds)
        ds.file_meta.TransferSyntaxUID = self.transfer_syntax
        if self.transfer_syntax == RLELossless and "PixelData" in ds and not ds["PixelData"].is_undefined_length:
            ds.compress(RLELossless)
        pydicom.dcmwrite(buf, ds, enforce_file_format=True)
        data = buf.getvalue()
        for before, after in self.patches:
            assert data.count(before) == 1, before
            data = data.replace(before, after)
        return data


class Planter:
    """Makes unique made-up values and records where each was planted."""

    def __init__(self, seed: int = 15) -> None:
        self.rng = random.Random(seed)
        self.used: set[str] = set()
        self.plants: list[Plant] = []
        self.uid_n = 0

    def word(self) -> str:
        while True:
            w = "".join(self.rng.choice(_SYLLABLES) for _ in range(3)).capitalize()
            if w not in self.used and len(w) >= 7:
                self.used.add(w)
                return w

    def reset(self) -> list[Plant]:
        out, self.plants = self.plants, []
        return out

    def name(self, label: str) -> str:
        """A PN value Family^Given; both parts are searched for in every form."""
        family, given = self.word(), self.word()
        self.plants.append(Plant(label, f"{family}^{given}", "name"))
        return f"{family}^{given}"

    def surname(self, label: str) -> str:
        w = self.word()
        self.plants.append(Plant(label, w, "text"))
        return w

    def text(self, label: str, template: str) -> str:
        """Free text with a made-up surname in it ("{}" marks where)."""
        return template.format(self.surname(label))

    def ident(self, label: str, prefix: str = "") -> str:
        v = prefix + "".join(self.rng.choice("0123456789") for _ in range(8))
        self.plants.append(Plant(label, v, "id"))
        return v

    def literal(self, label: str, value: str, kind: str = "text") -> str:
        self.plants.append(Plant(label, value, kind))
        return value

    def date(self, label: str) -> str:
        while True:
            v = f"{self.rng.randint(1931, 1986)}{self.rng.randint(1, 12):02d}{self.rng.randint(1, 28):02d}"
            if v not in self.used:
                self.used.add(v)
                self.plants.append(Plant(label, v, "date"))
                return v

    def time(self, label: str) -> str:
        while True:
            v = f"{self.rng.randint(0, 23):02d}{self.rng.randint(0, 59):02d}{self.rng.randint(10, 59):02d}"
            if v not in self.used and not v.startswith("00"):
                self.used.add(v)
                self.plants.append(Plant(label, v, "time"))
                return v

    def datetime(self, label: str) -> str:
        d, t = self.date(label + "#date"), self.time(label + "#time")
        return d + t

    def uid(self, label: str = "") -> str:
        self.uid_n += 1
        return f"{UID_ROOT}.{self.uid_n}"

    def nonlatin(self, label: str, value: str, charset: list[str]) -> str:
        """A non-Latin name part; searched for as encoded in ``charset``."""
        from pydicom.charset import convert_encodings, encode_string

        forms = {value.encode("utf-8")}
        try:
            enc = encode_string(value, convert_encodings(charset))
            forms.add(enc)
            stripped = re.sub(rb"\x1b[\$\(\)][@A-Z]?[@A-Z]?", b"", enc)  # bare JIS bytes
            if len(stripped) >= 4:
                forms.add(stripped)
        except Exception:
            pass
        self.plants.append(Plant(label, value, "nonlatin", tuple(forms)))
        return value


def plant_forms(p: Plant) -> set[bytes]:
    """Every byte form a planted value can take in an output (searched case-insensitively
    for Latin values: the haystack is lower-cased)."""
    if p.kind == "nonlatin":
        return set(p.forms)
    v = p.value
    out: set[str] = set()
    if p.kind == "name":
        family, given = v.split("^")
        out |= {family, given, f"{family}^{given}", f"{given} {family}", f"{family}, {given}"}
    elif p.kind == "date":
        y, m, d = v[:4], v[4:6], v[6:8]
        out |= {v, f"{y}-{m}-{d}", f"{y}.{m}.{d}", f"{m}/{d}/{y}", f"{d}/{m}/{y}", f"{d}.{m}.{y}"}
    elif p.kind == "time":
        out |= {v, f"{v[:2]}:{v[2:4]}:{v[4:6]}"}
    else:
        out |= {v, v.replace(" ", "^")}
    return {s.lower().encode("latin-1", "ignore") for s in out if s}


# ---- building blocks -----------------------------------------------------------------------
def _meta(ds: Dataset, p: Planter | None = None) -> None:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    if p is not None:
        meta.SourceApplicationEntityTitle = p.literal("meta/SourceApplicationEntityTitle", p.word().upper()[:16])
        meta.PrivateInformationCreatorUID = p.uid()
        meta.PrivateInformation = p.text("meta/PrivateInformation", "owner {} ward 4").encode()
    ds.file_meta = meta


@dataclass
class Study:
    study: str
    series: str
    frame_of_ref: str
    images: list[str]


def _patient(ds: Dataset, p: Planter, *, full: bool = True) -> None:
    ds.PatientName = p.name("PatientName")
    ds.PatientID = p.ident("PatientID", "MRN")
    ds.PatientBirthDate = p.date("PatientBirthDate")
    ds.PatientSex = "F"
    ds.PatientAge = "047Y"
    ds.AccessionNumber = p.ident("AccessionNumber", "ACC")
    ds.StudyID = p.ident("StudyID", "S")
    ds.ReferringPhysicianName = p.name("ReferringPhysicianName")
    ds.InstitutionName = p.text("InstitutionName", "{} General Hospital")
    ds.StudyDate = p.date("StudyDate")
    ds.StudyTime = p.time("StudyTime")
    ds.ContentDate = p.date("ContentDate")
    ds.ContentTime = p.time("ContentTime")
    ds.InstanceCreationDate = p.date("InstanceCreationDate")
    ds.InstanceCreationTime = p.time("InstanceCreationTime")
    if full:
        ds.SeriesDate = p.date("SeriesDate")
        ds.SeriesTime = p.time("SeriesTime")
        ds.OperatorsName = p.name("OperatorsName")
        ds.StationName = p.literal("StationName", p.word().upper()[:16])
        ds.DeviceSerialNumber = p.ident("DeviceSerialNumber", "SN")
        ds.InstitutionAddress = p.text("InstitutionAddress", "41 {} Road")


def _base(sop_class: str, modality: str, p: Planter, st: Study, *, number: int = 1,
          sop: str | None = None, full: bool = True) -> Dataset:
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop or p.uid()
    ds.StudyInstanceUID = st.study
    ds.SeriesInstanceUID = st.series if sop in st.images else p.uid()
    ds.Modality = modality
    ds.SeriesNumber = number
    ds.InstanceNumber = 1
    ds.Manufacturer = "ACME"
    ds.StudyDescription = "CT CHEST W CONTRAST"
    _patient(ds, p, full=full)
    _meta(ds, p)
    return ds


def _pixels(ds: Dataset, rows: int = 32, cols: int = 32, frames: int = 1, bits: int = 16) -> None:
    rng = np.random.default_rng(rows * cols + frames)
    ds.Rows, ds.Columns = rows, cols
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = bits
    ds.BitsStored = bits if bits == 8 else 12
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 0
    if frames > 1:
        ds.NumberOfFrames = frames
    dtype = np.uint8 if bits == 8 else np.uint16
    arr = rng.integers(0, 200, size=(frames, rows, cols)).astype(dtype)
    ds.PixelData = arr.tobytes()


def _item(**kw: object) -> Dataset:
    item = Dataset()
    for k, v in kw.items():
        setattr(item, k, v)
    return item


def _code(value: str, scheme: str, meaning: str) -> Dataset:
    return _item(CodeValue=value, CodingSchemeDesignator=scheme, CodeMeaning=meaning)


def _ref(sop_class: str, sop: str) -> Dataset:
    return _item(ReferencedSOPClassUID=sop_class, ReferencedSOPInstanceUID=sop)


def _evidence(st: Study, sop_class: str) -> Sequence:
    series = _item(SeriesInstanceUID=st.series,
                   ReferencedSOPSequence=Sequence([_ref(sop_class, u) for u in st.images]))
    return Sequence([_item(StudyInstanceUID=st.study, ReferencedSeriesSequence=Sequence([series]))])


CT = "1.2.840.10008.5.1.4.1.1.2"
ENH_CT = "1.2.840.10008.5.1.4.1.1.2.1"
ENH_MR = "1.2.840.10008.5.1.4.1.1.4.1"
MR = "1.2.840.10008.5.1.4.1.1.4"
GSPS = "1.2.840.10008.5.1.4.1.1.11.1"
KOS = "1.2.840.10008.5.1.4.1.1.88.59"
SEG = "1.2.840.10008.5.1.4.1.1.66.4"
COMP_SR = "1.2.840.10008.5.1.4.1.1.88.33"
PDF = "1.2.840.10008.5.1.4.1.1.104.1"
CDA = "1.2.840.10008.5.1.4.1.1.104.2"
SC = "1.2.840.10008.5.1.4.1.1.7"


# ---- kinds ----------------------------------------------------------------------------------
def enhanced_ct(p: Planter, st: Study) -> Kind:
    ds = _base(ENH_CT, "CT", p, st, sop=st.images[0])
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.FrameOfReferenceUID = st.frame_of_ref
    ds.BodyPartExamined = "CHEST"
    ds.ProtocolName = "CT CHEST ABDOMEN PELVIS W CONTRAST"
    ds.SeriesDescription = "AXIAL 2.5MM SOFT TISSUE"
    ds.AcquisitionDateTime = p.datetime("AcquisitionDateTime")
    _pixels(ds, frames=2)
    shared = _item(
        PixelMeasuresSequence=Sequence([_item(PixelSpacing=["0.7", "0.7"], SliceThickness="2.5")]),
        CTXRayDetailsSequence=Sequence([_item(KVP="120", FilterType="BODY")]),
        PlaneOrientationSequence=Sequence([_item(ImageOrientationPatient=[1, 0, 0, 0, 1, 0])]),
    )
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    frames = []
    for i in range(2):
        frames.append(_item(
            FrameContentSequence=Sequence([_item(
                FrameAcquisitionDateTime=p.datetime(f"PerFrame[{i}]/FrameAcquisitionDateTime"),
                FrameReferenceDateTime=p.datetime(f"PerFrame[{i}]/FrameReferenceDateTime"),
                FrameAcquisitionNumber=i + 1,
                FrameComments=p.text(f"PerFrame[{i}]/FrameComments", "frame checked by {}"),
            )]),
            PlanePositionSequence=Sequence([_item(ImagePositionPatient=[-100, -100, -50 + 2.5 * i])]),
            FrameVOILUTSequence=Sequence([_item(WindowCenter="40", WindowWidth="400")]),
        ))
    ds.PerFrameFunctionalGroupsSequence = Sequence(frames)
    ds.NumberOfFrames = 2
    return Kind("enhanced CT multi-frame", "studyA", ds, p.reset(), {
        "Modality": "CT", "BodyPartExamined": "CHEST",
        "SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0].PixelSpacing": "[0.7, 0.7]",
        "SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0].SliceThickness": "2.5",
        "SharedFunctionalGroupsSequence[0].CTXRayDetailsSequence[0].KVP": "120",
        "PerFrameFunctionalGroupsSequence[1].PlanePositionSequence[0].ImagePositionPatient": "[-100, -100, -45.0]",
        "PerFrameFunctionalGroupsSequence[0].FrameVOILUTSequence[0].WindowCenter": "40",
        "ProtocolName": "CT CHEST ABDOMEN PELVIS W CONTRAST",
        "SeriesDescription": "AXIAL 2.5MM SOFT TISSUE", "StudyDescription": "CT CHEST W CONTRAST",
    })


def enhanced_mr(p: Planter, st: Study) -> Kind:
    ds = _base(ENH_MR, "MR", p, st)
    ds.ImageType = ["ORIGINAL", "PRIMARY", "M", "NONE"]
    ds.StudyDescription = "MRI BRAIN W WO CONTRAST"
    ds.SeriesDescription = "AX T2 FLAIR"
    ds.ProtocolName = "BRAIN ROUTINE"
    ds.BodyPartExamined = "HEAD"
    ds.MagneticFieldStrength = "3"
    ds.AcquisitionDateTime = p.datetime("AcquisitionDateTime")
    _pixels(ds, frames=2)
    ds.ContributingEquipmentSequence = Sequence([_item(
        Manufacturer="ACME", InstitutionName=p.text("ContributingEquipment/InstitutionName", "{} Imaging"),
        OperatorsName=p.name("ContributingEquipment/OperatorsName"),
        ContributionDateTime=p.datetime("ContributingEquipment/ContributionDateTime"),
        ContributionDescription=p.text("ContributingEquipment/ContributionDescription", "edited by {}"),
        StationName=p.literal("ContributingEquipment/StationName", p.word().upper()[:16]),
        PurposeOfReferenceCodeSequence=Sequence([_code("109103", "DCM", "Modifying Equipment")]),
    )])
    ds.SharedFunctionalGroupsSequence = Sequence([_item(
        MRTimingAndRelatedParametersSequence=Sequence([_item(RepetitionTime=9000.0, FlipAngle="150")]),
        MREchoSequence=Sequence([_item(EffectiveEchoTime=81.0)]),
        PixelMeasuresSequence=Sequence([_item(PixelSpacing=["0.9", "0.9"], SliceThickness="5")]),
    )])
    ds.PerFrameFunctionalGroupsSequence = Sequence([_item(
        FrameContentSequence=Sequence([_item(
            FrameAcquisitionDateTime=p.datetime(f"PerFrame[{i}]/FrameAcquisitionDateTime"),
            FrameComments=p.text(f"PerFrame[{i}]/FrameComments", "motion, repeated for {}"),
        )]),
        FrameVOILUTSequence=Sequence([_item(WindowCenter="600", WindowWidth="1200")]),
    ) for i in range(2)])
    return Kind("enhanced MR multi-frame", "studyB", ds, p.reset(), {
        "Modality": "MR", "BodyPartExamined": "HEAD", "MagneticFieldStrength": "3",
        "SeriesDescription": "AX T2 FLAIR", "StudyDescription": "MRI BRAIN W WO CONTRAST",
        "SharedFunctionalGroupsSequence[0].MRTimingAndRelatedParametersSequence[0].RepetitionTime": "9000.0",
        "SharedFunctionalGroupsSequence[0].MREchoSequence[0].EffectiveEchoTime": "81.0",
        "PerFrameFunctionalGroupsSequence[1].FrameVOILUTSequence[0].WindowCenter": "600",
    })


def gsps(p: Planter, st: Study) -> Kind:
    ds = _base(GSPS, "PR", p, st, full=False)
    ds.ContentLabel = p.surname("ContentLabel (CS)").upper()
    ds.ContentDescription = p.text("ContentDescription", "measurements for {}")
    ds.ContentCreatorName = p.name("ContentCreatorName")
    ds.PresentationCreationDate = p.date("PresentationCreationDate")
    ds.PresentationCreationTime = p.time("PresentationCreationTime")
    ds.ReferencedSeriesSequence = Sequence([_item(
        SeriesInstanceUID=st.series, ReferencedImageSequence=Sequence([_ref(ENH_CT, st.images[0])]))])
    ds.GraphicLayerSequence = Sequence([_item(
        GraphicLayer="LAYER1", GraphicLayerOrder=1,
        GraphicLayerDescription=p.text("GraphicLayer/GraphicLayerDescription", "notes of Dr {}"))])
    text_obj = _item(
        UnformattedTextValue=p.text("GraphicAnnotation/TextObject/UnformattedTextValue", "pt {} R lower lobe nodule"),
        BoundingBoxAnnotationUnits="PIXEL", BoundingBoxTopLeftHandCorner=[1.0, 1.0],
        BoundingBoxBottomRightHandCorner=[20.0, 8.0], BoundingBoxTextHorizontalJustification="LEFT")
    ds.GraphicAnnotationSequence = Sequence([_item(
        GraphicLayer="LAYER1",
        ReferencedImageSequence=Sequence([_ref(ENH_CT, st.images[0])]),
        TextObjectSequence=Sequence([text_obj]))])
    ds.SoftcopyVOILUTSequence = Sequence([_item(WindowCenter="-600", WindowWidth="1500")])
    ds.PresentationLUTShape = "IDENTITY"
    return Kind("GSPS presentation state", "studyA", ds, p.reset(), {
        "Modality": "PR", "SoftcopyVOILUTSequence[0].WindowCenter": "-600", "PresentationLUTShape": "IDENTITY",
    })


def _text_item(rel: str, meaning: str, value: str, children: list[Dataset] | None = None) -> Dataset:
    item = _item(RelationshipType=rel, ValueType="TEXT",
                 ConceptNameCodeSequence=Sequence([_code("121071", "DCM", meaning)]), TextValue=value)
    if children:
        item.ContentSequence = Sequence(children)
    return item


def kos(p: Planter, st: Study) -> Kind:
    ds = _base(KOS, "KO", p, st, full=False)
    ds.ValueType = "CONTAINER"
    ds.ConceptNameCodeSequence = Sequence([_code("113000", "DCM", "Of Interest")])
    ds.ContinuityOfContent = "SEPARATE"
    ds.CurrentRequestedProcedureEvidenceSequence = _evidence(st, ENH_CT)
    ds.ContentTemplateSequence = Sequence([_item(MappingResource="DCMR", TemplateIdentifier="2010")])
    ds.ContentSequence = Sequence([
        _text_item("CONTAINS", "Key Object Description",
                   p.text("KOS/ContentSequence/TextValue", "images selected for {} tumour board")),
        _item(RelationshipType="CONTAINS", ValueType="IMAGE",
              ReferencedSOPSequence=Sequence([_ref(ENH_CT, st.images[0])])),
    ])
    return Kind("key object selection", "studyA", ds, p.reset(), {
        "Modality": "KO", "ConceptNameCodeSequence[0].CodeMeaning": "Of Interest",
    })


def segmentation(p: Planter, st: Study) -> Kind:
    ds = _base(SEG, "SEG", p, st, full=False)
    ds.SegmentationType = "BINARY"
    ds.ContentLabel = "SEGMENTATION"
    ds.ContentCreatorName = p.name("ContentCreatorName")
    ds.FrameOfReferenceUID = st.frame_of_ref
    ds.ImageType = ["DERIVED", "PRIMARY"]
    ds.Rows = ds.Columns = 16
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 1
    ds.HighBit = 0
    ds.PixelRepresentation = 0
    ds.NumberOfFrames = 1
    ds.PixelData = np.packbits(np.eye(16, dtype=np.uint8).ravel(), bitorder="little").tobytes()
    ds.SegmentSequence = Sequence([_item(
        SegmentNumber=1,
        SegmentLabel=p.text("Segment/SegmentLabel", "lesion {}"),
        SegmentDescription=p.text("Segment/SegmentDescription", "drawn by {} on review"),
        SegmentAlgorithmType="MANUAL",
        SegmentedPropertyCategoryCodeSequence=Sequence([_code("49755003", "SCT", "Morphologically Altered Structure")]),
        SegmentedPropertyTypeCodeSequence=Sequence([_code("4147007", "SCT", "Mass")]),
    )])
    ds.ReferencedSeriesSequence = Sequence([_item(
        SeriesInstanceUID=st.series, ReferencedInstanceSequence=Sequence([_ref(ENH_CT, st.images[0])]))])
    ds.SharedFunctionalGroupsSequence = Sequence([_item(
        PixelMeasuresSequence=Sequence([_item(PixelSpacing=["0.7", "0.7"], SliceThickness="2.5")]))])
    ds.PerFrameFunctionalGroupsSequence = Sequence([_item(
        SegmentIdentificationSequence=Sequence([_item(ReferencedSegmentNumber=1)]),
        DerivationImageSequence=Sequence([_item(SourceImageSequence=Sequence([_ref(ENH_CT, st.images[0])]))]),
        FrameContentSequence=Sequence([_item(FrameAcquisitionDateTime=p.datetime("PerFrame/FrameAcquisitionDateTime"))]),
    )])
    return Kind("segmentation", "studyA", ds, p.reset(), {
        "Modality": "SEG", "SegmentationType": "BINARY", "SegmentSequence[0].SegmentLabel": "*",
        "SegmentSequence[0].SegmentedPropertyTypeCodeSequence[0].CodeMeaning": "Mass",
        "SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0].PixelSpacing": "[0.7, 0.7]",
    })


def structured_report(p: Planter, st: Study) -> Kind:
    ds = _base(COMP_SR, "SR", p, st, full=False)
    ds.ValueType = "CONTAINER"
    ds.ContinuityOfContent = "SEPARATE"
    ds.CompletionFlag = "COMPLETE"
    ds.VerificationFlag = "VERIFIED"
    ds.ConceptNameCodeSequence = Sequence([_code("18748-4", "LN", "Diagnostic Imaging Report")])
    ds.VerifyingObserverSequence = Sequence([_item(
        VerifyingObserverName=p.name("VerifyingObserver/VerifyingObserverName"),
        VerifyingOrganization=p.text("VerifyingObserver/VerifyingOrganization", "{} Radiology Group"),
        VerificationDateTime=p.datetime("VerifyingObserver/VerificationDateTime"),
        VerifyingObserverIdentificationCodeSequence=Sequence([]))])
    ds.AuthorObserverSequence = Sequence([_item(
        ObserverType="PSN", PersonName=p.name("AuthorObserver/PersonName"),
        InstitutionName=p.text("AuthorObserver/InstitutionName", "{} Clinic"))])
    ds.PredecessorDocumentsSequence = Sequence([_item(
        StudyInstanceUID=p.uid(), ReferencedSeriesSequence=Sequence([_item(
            SeriesInstanceUID=p.uid(), ReferencedSOPSequence=Sequence([_ref(COMP_SR, p.uid())]))]))])
    ds.CurrentRequestedProcedureEvidenceSequence = _evidence(st, ENH_CT)
    ds.ReferencedRequestSequence = Sequence([_item(
        StudyInstanceUID=st.study,
        AccessionNumber=p.ident("ReferencedRequest/AccessionNumber", "ACC"),
        PlacerOrderNumberImagingServiceRequest=p.ident("ReferencedRequest/PlacerOrderNumber", "PO"),
        FillerOrderNumberImagingServiceRequest=p.ident("ReferencedRequest/FillerOrderNumber", "FO"),
        RequestedProcedureID=p.ident("ReferencedRequest/RequestedProcedureID", "RP"),
        RequestedProcedureDescription=p.text("ReferencedRequest/RequestedProcedureDescription", "CT chest for {}"),
        RequestedProcedureCodeSequence=Sequence([_code("24627-2", "LN", "CT Chest")]),
    )])
    deep = _text_item("HAS PROPERTIES", "Comment",
                      p.text("SR/depth4/TextValue", "discussed with {} by phone"))
    level3 = _text_item("INFERRED FROM", "Finding", "Mild cardiomegaly.", [
        deep,
        _item(RelationshipType="HAS OBS CONTEXT", ValueType="PNAME",
              ConceptNameCodeSequence=Sequence([_code("121008", "DCM", "Person Observer Name")]),
              PersonName=p.name("SR/depth3/PNAME")),
        _item(RelationshipType="HAS PROPERTIES", ValueType="DATETIME",
              ConceptNameCodeSequence=Sequence([_code("111526", "DCM", "DateTime Started")]),
              DateTime=p.datetime("SR/depth3/DATETIME")),
        _item(RelationshipType="HAS PROPERTIES", ValueType="DATE",
              ConceptNameCodeSequence=Sequence([_code("111536", "DCM", "Date")]),
              Date=p.date("SR/depth3/DATE")),
        _item(RelationshipType="HAS PROPERTIES", ValueType="TIME",
              ConceptNameCodeSequence=Sequence([_code("111537", "DCM", "Time")]),
              Time=p.time("SR/depth3/TIME")),
        _item(RelationshipType="HAS PROPERTIES", ValueType="UIDREF",
              ConceptNameCodeSequence=Sequence([_code("121039", "DCM", "Study Instance UID")]),
              UID=p.uid()),
        _item(RelationshipType="CONTAINS", ValueType="NUM",
              ConceptNameCodeSequence=Sequence([_code("410668003", "SCT", "Length")]),
              MeasuredValueSequence=Sequence([_item(
                  NumericValue="12.5",
                  MeasurementUnitsCodeSequence=Sequence([_code("mm", "UCUM", "millimeter")]))])),
    ])
    level2 = _item(RelationshipType="CONTAINS", ValueType="CONTAINER", ContinuityOfContent="SEPARATE",
                   ConceptNameCodeSequence=Sequence([_code("121070", "DCM", "Findings")]),
                   ContentSequence=Sequence([
                       level3,
                       _text_item("CONTAINS", "Impression",
                                  p.text("SR/depth2/TextValue", "Dr {} agrees, no acute findings")),
                       _item(RelationshipType="CONTAINS", ValueType="IMAGE",
                             ReferencedSOPSequence=Sequence([_ref(ENH_CT, st.images[0])])),
                   ]))
    ds.ContentSequence = Sequence([
        _item(RelationshipType="HAS OBS CONTEXT", ValueType="PNAME",
              ConceptNameCodeSequence=Sequence([_code("121008", "DCM", "Person Observer Name")]),
              PersonName=p.name("SR/depth1/PNAME")),
        level2,
    ])
    return Kind("comprehensive SR (deep tree)", "studyA", ds, p.reset(), {
        "Modality": "SR", "ConceptNameCodeSequence[0].CodeMeaning": "Diagnostic Imaging Report",
        "ContentSequence[1].ContentSequence[0].TextValue": "Mild cardiomegaly.",
        "ContentSequence[1].ContentSequence[0].ContentSequence[6].MeasuredValueSequence[0].NumericValue": "12.5",
        "CompletionFlag": "COMPLETE", "VerifyingObserverSequence[0].VerifyingObserverName": "*",
    })


def _from_testfile(name: str) -> Dataset:
    return pydicom.dcmread(get_testdata_file(name), force=True)


def _replant_patient(ds: Dataset, p: Planter) -> None:
    """Overwrite the test file's patient/study identity with planted values."""
    for kw in ("PatientName", "PatientID", "PatientBirthDate", "ReferringPhysicianName",
               "AccessionNumber", "StudyID", "StudyDate", "StudyTime", "InstanceCreationDate",
               "InstanceCreationTime", "OperatorsName", "InstitutionName", "StationName"):
        if kw in ds:
            del ds[kw]
    _patient(ds, p)


def rt_set(p: Planter) -> list[Kind]:
    """RT image (CT), structure set, plan and dose on pydicom's RT test files,
    with references between them rebuilt to the planted UIDs."""
    st = Study(p.uid(), p.uid(), p.uid(), [p.uid()])
    ct = _base(CT, "CT", p, st, sop=st.images[0])
    ct.FrameOfReferenceUID = st.frame_of_ref
    ct.BodyPartExamined = "PELVIS"
    ct.SliceThickness = "3"
    ct.PixelSpacing = ["0.98", "0.98"]
    ct.ImagePositionPatient = [-250, -250, 10]
    ct.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ct.WindowCenter = "40"
    ct.WindowWidth = "350"
    ct.KVP = "120"
    ct.RescaleIntercept = "-1024"
    ct.RescaleSlope = "1"
    ct.ProtocolName = "PELVIS RT PLANNING"
    ct.SeriesDescription = "CT PELVIS PLANNING"
    _pixels(ct)
    ct_kind = Kind("CT image (RT planning)", "rt", ct, p.reset(), {
        "Modality": "CT", "BodyPartExamined": "PELVIS", "SliceThickness": "3", "PixelSpacing": "[0.98, 0.98]",
        "ImagePositionPatient": "[-250, -250, 10]", "WindowCenter": "40", "KVP": "120",
        "ProtocolName": "PELVIS RT PLANNING", "SeriesDescription": "CT PELVIS PLANNING",
    })

    rs = _from_testfile("rtstruct.dcm")
    _replant_patient(rs, p)
    rs.SOPInstanceUID = p.uid()
    rs.StudyInstanceUID, rs.SeriesInstanceUID = st.study, p.uid()
    rs.StructureSetLabel = p.text("StructureSetLabel", "{} prostate")
    rs.StructureSetName = p.text("StructureSetName", "plan of {}")
    rs.StructureSetDescription = p.text("StructureSetDescription", "contoured by {}")
    rs.StructureSetDate = p.date("StructureSetDate")
    rs.StructureSetTime = p.time("StructureSetTime")
    rs.ReviewerName = p.name("ReviewerName")
    rs.ReviewDate = p.date("ReviewDate")
    rs.ReviewTime = p.time("ReviewTime")
    rs.ApprovalStatus = "APPROVED"
    for_item = rs.ReferencedFrameOfReferenceSequence[0]
    for_item.FrameOfReferenceUID = st.frame_of_ref
    study_item = for_item.RTReferencedStudySequence[0]
    study_item.ReferencedSOPInstanceUID = st.study
    series_item = study_item.RTReferencedSeriesSequence[0]
    series_item.SeriesInstanceUID = st.series
    series_item.ContourImageSequence = Sequence([_ref(CT, st.images[0])])
    for roi in rs.StructureSetROISequence:
        roi.ReferencedFrameOfReferenceUID = st.frame_of_ref
    rs.StructureSetROISequence[0].ROIName = p.text("StructureSetROI[0]/ROIName", "GTV {}")
    rs.StructureSetROISequence[0].ROIDescription = p.text("StructureSetROI[0]/ROIDescription", "per {}")
    rs.StructureSetROISequence[0].ROIGenerationAlgorithm = "MANUAL"
    rs.RTROIObservationsSequence[0].ROIInterpreter = p.name("RTROIObservations/ROIInterpreter")
    rs.RTROIObservationsSequence[0].ROIObservationLabel = p.text("RTROIObservations/ROIObservationLabel", "{} obs")
    for contour_roi in rs.ROIContourSequence:
        for c in contour_roi.get("ContourSequence", []):
            if "ContourImageSequence" in c:
                c.ContourImageSequence = Sequence([_ref(CT, st.images[0])])
    _meta(rs, p)
    rs_kind = Kind("RT structure set", "rt", rs, p.reset(), {
        "Modality": "RTSTRUCT",
        "StructureSetROISequence[1].ROINumber": str(rs.StructureSetROISequence[1].ROINumber),
        "RTROIObservationsSequence[0].RTROIInterpretedType": str(rs.RTROIObservationsSequence[0].RTROIInterpretedType),
        "ROIContourSequence[0].ContourSequence[0].ContourData": str(rs.ROIContourSequence[0].ContourSequence[0].ContourData),
    })

    plan = _from_testfile("rtplan.dcm")
    _replant_patient(plan, p)
    plan.SOPInstanceUID = p.uid()
    plan.StudyInstanceUID, plan.SeriesInstanceUID = st.study, p.uid()
    plan.FrameOfReferenceUID = st.frame_of_ref
    plan.RTPlanLabel = p.text("RTPlanLabel", "{} pelvis")
    plan.RTPlanName = p.text("RTPlanName", "plan {}")
    plan.RTPlanDescription = p.text("RTPlanDescription", "approved by Dr {}")
    plan.RTPlanDate = p.date("RTPlanDate")
    plan.RTPlanTime = p.time("RTPlanTime")
    plan.ReviewerName = p.name("ReviewerName")
    plan.PrescriptionDescription = p.text("PrescriptionDescription", "{} 70 Gy in 35 fractions")
    plan.ReferencedStructureSetSequence = Sequence([_ref(rs.SOPClassUID, rs.SOPInstanceUID)])
    plan.BeamSequence[0].BeamDescription = p.text("Beam[0]/BeamDescription", "setup checked by {}")
    plan.BeamSequence[0].TreatmentMachineName = p.literal("Beam[0]/TreatmentMachineName", p.word().upper()[:16])
    _meta(plan, p)
    plan_kind = Kind("RT plan", "rt", plan, p.reset(), {
        "Modality": "RTPLAN",
        "BeamSequence[0].BeamType": str(plan.BeamSequence[0].BeamType),
        "BeamSequence[0].RadiationType": str(plan.BeamSequence[0].RadiationType),
        "FractionGroupSequence[0].NumberOfFractionsPlanned": str(plan.FractionGroupSequence[0].NumberOfFractionsPlanned),
        "BeamSequence[0].ControlPointSequence[0].NominalBeamEnergy": str(plan.BeamSequence[0].ControlPointSequence[0].NominalBeamEnergy),
    })

    dose = _from_testfile("rtdose.dcm")
    _replant_patient(dose, p)
    dose.SOPInstanceUID = p.uid()
    dose.StudyInstanceUID, dose.SeriesInstanceUID = st.study, p.uid()
    dose.FrameOfReferenceUID = st.frame_of_ref
    dose.ReferencedRTPlanSequence = Sequence([_ref(plan.SOPClassUID, plan.SOPInstanceUID)])
    dose.DoseComment = p.text("DoseComment", "calculated for {}")
    _meta(dose, p)
    dose_kind = Kind("RT dose", "rt", dose, p.reset(), {
        "Modality": "RTDOSE", "DoseUnits": str(dose.DoseUnits), "DoseType": str(dose.DoseType),
        "DoseGridScaling": str(dose.DoseGridScaling), "GridFrameOffsetVector": str(dose.GridFrameOffsetVector),
        "PixelSpacing": str(dose.PixelSpacing),
    })
    return [ct_kind, rs_kind, plan_kind, dose_kind]


def waveform(p: Planter) -> Kind:
    ds = _from_testfile("waveform_ecg.dcm")
    _replant_patient(ds, p)
    ds.SOPInstanceUID = p.uid()
    ds.StudyInstanceUID, ds.SeriesInstanceUID = p.uid(), p.uid()
    ds.AcquisitionDateTime = p.datetime("AcquisitionDateTime")
    ds.WaveformAnnotationSequence = Sequence([
        _item(UnformattedTextValue=p.text("WaveformAnnotation[0]/UnformattedTextValue", "confirmed by {}"),
              AnnotationGroupNumber=1),
        _item(ConceptNameCodeSequence=Sequence([_code("8867-4", "LN", "Heart rate")]),
              NumericValue="72", MeasurementUnitsCodeSequence=Sequence([_code("/min", "UCUM", "per minute")]),
              AnnotationGroupNumber=1),
    ])
    ch = ds.WaveformSequence[0].ChannelDefinitionSequence[0]
    ch.ChannelLabel = p.text("Channel[0]/ChannelLabel", "lead {}")
    _meta(ds, p)
    return Kind("ECG waveform", "ecg", ds, p.reset(), {
        "Modality": "ECG",
        "WaveformSequence[0].ChannelDefinitionSequence[0].ChannelSourceSequence[0].CodeMeaning":
            str(ds.WaveformSequence[0].ChannelDefinitionSequence[0].ChannelSourceSequence[0].CodeMeaning),
        "WaveformSequence[0].SamplingFrequency": str(ds.WaveformSequence[0].SamplingFrequency),
        "WaveformSequence[0].NumberOfWaveformSamples": str(ds.WaveformSequence[0].NumberOfWaveformSamples),
        "WaveformAnnotationSequence[1].NumericValue": "72",
    })


def mr_worklist(p: Planter) -> Kind:
    """An MR image carrying worklist/request attributes, the patient module in full,
    private text and sequences, UN-VR text, overlay planes and file-meta text."""
    st = Study(p.uid(), p.uid(), p.uid(), [p.uid()])
    ds = _base(MR, "MR", p, st, sop=st.images[0])
    ds.StudyDescription = "MRI KNEE WO CONTRAST"
    ds.SeriesDescription = "SAG PD FS"
    ds.ProtocolName = "KNEE ROUTINE LEFT"
    ds.BodyPartExamined = "KNEE"
    ds.SliceThickness = "3"
    ds.PixelSpacing = ["0.4", "0.4"]
    ds.RepetitionTime = "3000"
    ds.EchoTime = "30"
    ds.MagneticFieldStrength = "1.5"
    ds.WindowCenter = "500"
    ds.WindowWidth = "1000"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "M", "NONE"]
    ds.FrameOfReferenceUID = st.frame_of_ref
    ds.PerformingPhysicianName = p.name("PerformingPhysicianName")
    ds.NameOfPhysiciansReadingStudy = p.name("NameOfPhysiciansReadingStudy")
    ds.PhysiciansOfRecord = p.name("PhysiciansOfRecord")
    ds.ReferringPhysicianAddress = p.text("ReferringPhysicianAddress", "9 {} Lane")
    ds.ReferringPhysicianTelephoneNumbers = p.literal("ReferringPhysicianTelephoneNumbers", "555-014-7782")
    ds.OtherPatientNames = p.name("OtherPatientNames")
    ds.PatientBirthName = p.name("PatientBirthName")
    ds.PatientMotherBirthName = p.name("PatientMotherBirthName")
    ds.ResponsiblePerson = p.name("ResponsiblePerson")
    ds.ResponsiblePersonRole = "MOTHER"
    ds.PatientAddress = p.text("PatientAddress", "17 {} Street")
    ds.PatientTelephoneNumbers = p.literal("PatientTelephoneNumbers", "555-019-3344")
    ds.RegionOfResidence = p.text("RegionOfResidence", "{}shire")
    ds.CountryOfResidence = p.text("CountryOfResidence", "{}land")
    ds.PatientComments = p.text("PatientComments", "daughter {} is the contact")
    ds.AdditionalPatientHistory = p.text("AdditionalPatientHistory", "fall at {} farm, knee pain")
    ds.AdmittingDiagnosesDescription = p.text("AdmittingDiagnosesDescription", "knee injury, seen by {}")
    ds.Occupation = p.text("Occupation", "works for {}")
    ds.MilitaryRank = p.text("MilitaryRank", "Captain {}")
    ds.BranchOfService = p.text("BranchOfService", "{} Regiment")
    ds.EthnicGroup = p.literal("EthnicGroup", p.word())
    ds.IssuerOfPatientID = p.text("IssuerOfPatientID", "{} Health")
    ds.IssuerOfPatientIDQualifiersSequence = Sequence([_item(
        UniversalEntityID=p.literal("IssuerQualifiers/UniversalEntityID", p.word() + ".example"),
        UniversalEntityIDType="DNS",
        IdentifierTypeCode="MR",
        AssigningFacilitySequence=Sequence([_item(
            LocalNamespaceEntityID=p.text("IssuerQualifiers/AssigningFacility", "{} Hospital"))]))])
    ds.OtherPatientIDsSequence = Sequence([_item(
        PatientID=p.ident("OtherPatientIDs[0]/PatientID", "OID"),
        IssuerOfPatientID=p.text("OtherPatientIDs[0]/IssuerOfPatientID", "{} Clinic"),
        TypeOfPatientID="TEXT")])
    ds.RequestAttributesSequence = Sequence([_item(
        RequestedProcedureID=p.ident("RequestAttributes/RequestedProcedureID", "RP"),
        ScheduledProcedureStepID=p.ident("RequestAttributes/ScheduledProcedureStepID", "SPS"),
        ScheduledProcedureStepDescription=p.text("RequestAttributes/ScheduledProcedureStepDescription",
                                                 "knee MRI for {}"),
        RequestedProcedureDescription="MRI KNEE LEFT",
        ReasonForTheRequestedProcedure=p.text("RequestAttributes/ReasonForTheRequestedProcedure",
                                              "meniscal tear? referred by Dr {}"),
    )])
    ds.RequestedProcedureDescription = p.text("RequestedProcedureDescription", "MRI knee ({})")
    ds.ReasonForTheRequestedProcedure = p.text("ReasonForTheRequestedProcedure", "pain after fall, Dr {}")
    ds.PerformedProcedureStepDescription = p.text("PerformedProcedureStepDescription", "knee MRI done by {}")
    ds.PerformedProcedureStepStartDate = p.date("PerformedProcedureStepStartDate")
    ds.PerformedProcedureStepStartTime = p.time("PerformedProcedureStepStartTime")
    ds.PerformedProcedureStepID = p.ident("PerformedProcedureStepID", "PPS")
    ds.ScheduledPerformingPhysicianName = p.name("ScheduledPerformingPhysicianName")
    ds.RequestingPhysician = p.name("RequestingPhysician")
    ds.ImageComments = p.text("ImageComments", "repeat for {}")
    # Private block with text, a private sequence, and a UN-VR private element.
    block = ds.private_block(0x0029, "ACME PRIVATE 1.0", create=True)
    block.add_new(0x10, "LO", p.text("private/(0029,xx10) LO", "tech {}"))
    block.add_new(0x11, "SQ", Sequence([_item(
        PatientName=p.name("private/(0029,xx11) SQ/PatientName"),
        ImageComments=p.text("private/(0029,xx11) SQ/ImageComments", "note of {}"))]))
    block.add_new(0x12, "UN", p.text("private/(0029,xx12) UN", "owner {}").encode())
    # A public element stored as UN (explicit), carrying text.
    ds.add(DataElement(0x00081040, "UN", p.text("UN/InstitutionalDepartmentName", "{} ward").encode()))
    # Overlay plane with a bitmap and text.
    ov = np.zeros((32, 32), dtype=np.uint8)
    ov[4:8, 4:28] = 1
    ds.add_new(0x60000010, "US", 32)
    ds.add_new(0x60000011, "US", 32)
    ds.add_new(0x60000040, "CS", "G")
    ds.add_new(0x60000050, "SS", [1, 1])
    ds.add_new(0x60000100, "US", 1)
    ds.add_new(0x60000102, "US", 0)
    ds.add_new(0x60000022, "LO", p.text("overlay/OverlayDescription", "{} marker"))
    ds.add_new(0x60001500, "LO", p.text("overlay/OverlayLabel", "{}"))
    ds.add_new(0x60003000, "OW", np.packbits(ov.ravel(), bitorder="little").tobytes())
    _pixels(ds)
    return Kind("MR with worklist, patient module, private, UN, overlay", "mr", ds, p.reset(), {
        "Modality": "MR", "BodyPartExamined": "KNEE", "SliceThickness": "3", "PixelSpacing": "[0.4, 0.4]",
        "RepetitionTime": "3000", "EchoTime": "30", "WindowCenter": "500", "MagneticFieldStrength": "1.5",
        "ProtocolName": "KNEE ROUTINE LEFT", "SeriesDescription": "SAG PD FS",
        "StudyDescription": "MRI KNEE WO CONTRAST",
        "RequestAttributesSequence[0].RequestedProcedureDescription": "MRI KNEE LEFT",
    })


def implicit_un(p: Planter) -> Kind:
    """Implicit VR file: private elements arrive as UN, with text and a private SQ."""
    st = Study(p.uid(), p.uid(), p.uid(), [p.uid()])
    ds = _base(CT, "CT", p, st, sop=st.images[0])
    ds.BodyPartExamined = "ABDOMEN"
    ds.SliceThickness = "5"
    ds.KVP = "100"
    _pixels(ds)
    block = ds.private_block(0x0019, "OTHERVENDOR 2", create=True)
    block.add_new(0x01, "LO", p.text("private implicit/(0019,xx01)", "scan by {}"))
    block.add_new(0x02, "SQ", Sequence([_item(
        OperatorsName=p.name("private implicit/(0019,xx02) SQ/OperatorsName"))]))
    ds.add_new(0x00321032, "PN", p.name("RequestingPhysician"))
    k = Kind("CT implicit VR, private as UN", "implicit", ds, p.reset(), {
        "Modality": "CT", "BodyPartExamined": "ABDOMEN", "SliceThickness": "5", "KVP": "100",
    }, transfer_syntax=ImplicitVRLittleEndian)
    return k


def charsets(p: Planter) -> list[Kind]:
    out = []
    # ISO_IR 100 (Latin-1) accented name.
    st = Study(p.uid(), p.uid(), p.uid(), [p.uid()])
    ds = _base(SC, "OT", p, st, sop=st.images[0])
    ds.SpecificCharacterSet = "ISO_IR 100"
    fam = p.word()[:-1] + "ö"
    given = "Jür" + p.word().lower()
    ds.PatientName = f"{fam}^{given}"
    p.plants = [x for x in p.plants if x.label != "PatientName"]
    p.plants.append(Plant("PatientName latin-1", fam, "nonlatin", (fam.encode("latin-1"), fam.encode("utf-8"),
                                                                    fam.lower().encode("latin-1"))))
    p.plants.append(Plant("PatientName latin-1 given", given, "nonlatin", (given.encode("latin-1"),)))
    ds.ImageComments = "Überweisung von " + p.nonlatin("ImageComments latin-1", "Dr " + p.word()[:-1] + "ä", ["ISO_IR 100"])
    ds.ConversionType = "WSD"
    _pixels(ds, bits=8)
    out.append(Kind("SC, ISO_IR 100 accented names", "latin1", ds, p.reset(), {"Modality": "OT"}))

    # ISO 2022 IR 87 (Japanese): alphabetic=ideographic=phonetic.
    st = Study(p.uid(), p.uid(), p.uid(), [p.uid()])
    ds = _base(SC, "OT", p, st, sop=st.images[0])
    cs = ["", "ISO 2022 IR 87"]
    ds.SpecificCharacterSet = cs
    alpha = p.word()
    kanji_f, kanji_g = p.nonlatin("PatientName ideographic family", "鷲尾", cs), p.nonlatin("PatientName ideographic given", "奏多", cs)
    kana = p.nonlatin("PatientName phonetic", "わしお", cs)
    ds.PatientName = f"{alpha}^Kanata={kanji_f}^{kanji_g}={kana}^かなた"
    p.plants = [x for x in p.plants if x.label != "PatientName"]
    p.plants.append(Plant("PatientName alphabetic", alpha, "text"))
    ds.ReferringPhysicianName = f"{p.surname('ReferringPhysicianName alphabetic')}={p.nonlatin('ReferringPhysicianName ideographic', '榊原', cs)}"
    p.plants = [x for x in p.plants if x.label != "ReferringPhysicianName"]
    ds.ImageComments = p.nonlatin("ImageComments japanese", "高橋", cs) + "先生"
    ds.ConversionType = "WSD"
    _pixels(ds, bits=8)
    out.append(Kind("SC, ISO 2022 IR 87 Japanese PN groups", "japanese", ds, p.reset(), {"Modality": "OT"}))

    # ISO_IR 192 (UTF-8): Cyrillic, Greek, Chinese.
    st = Study(p.uid(), p.uid(), p.uid(), [p.uid()])
    ds = _base(SC, "OT", p, st, sop=st.images[0])
    cs = ["ISO_IR 192"]
    ds.SpecificCharacterSet = "ISO_IR 192"
    cyr = p.nonlatin("PatientName cyrillic", "Жигунова", cs)
    ds.PatientName = f"{cyr}^{p.nonlatin('PatientName cyrillic given', 'Ладислава', cs)}"
    p.plants = [x for x in p.plants if x.label != "PatientName"]
    ds.OperatorsName = p.nonlatin("OperatorsName greek", "Παπαδάκης", cs)
    p.plants = [x for x in p.plants if x.label != "OperatorsName"]
    ds.ImageComments = "复查 " + p.nonlatin("ImageComments chinese", "欧阳娜娜", cs)
    ds.InstitutionName = p.nonlatin("InstitutionName cyrillic", "Больница Староминская", cs)
    p.plants = [x for x in p.plants if x.label != "InstitutionName"]
    ds.ConversionType = "WSD"
    _pixels(ds, bits=8)
    out.append(Kind("SC, ISO_IR 192 UTF-8 non-Latin names", "utf8", ds, p.reset(), {"Modality": "OT"}))
    return out


def encapsulated(p: Planter) -> list[Kind]:
    out = []
    for sop, mime, body, label in (
        (PDF, "application/pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n(Patient {})Tj\n%%EOF\n", "PDF"),
        (CDA, "text/XML", b"<ClinicalDocument><patient><name>{}</name></patient></ClinicalDocument>", "CDA"),
    ):
        st = Study(p.uid(), p.uid(), p.uid(), [])
        ds = _base(sop, "DOC", p, st, full=False)
        ds.MIMETypeOfEncapsulatedDocument = mime
        ds.DocumentTitle = p.text("DocumentTitle", "letter about {}")
        text = body.replace(b"{}", p.surname("EncapsulatedDocument body").encode())
        ds.EncapsulatedDocument = text + (b"\x00" if len(text) % 2 else b"")
        ds.EncapsulatedDocumentLength = len(text)
        ds.BurnedInAnnotation = "YES"
        ds.ConceptNameCodeSequence = Sequence([_code("18748-4", "LN", "Diagnostic Imaging Report")])
        out.append(Kind(f"encapsulated {label}", f"doc{label}", ds, p.reset(), withhold="encapsulated_document"))
    return out


def overlay_testfile(p: Planter) -> Kind:
    """pydicom's overlay test file, with planted identity: the overlay must go."""
    ds = _from_testfile("examples_overlay.dcm")
    _replant_patient(ds, p)
    ds.SOPInstanceUID = p.uid()
    ds.StudyInstanceUID, ds.SeriesInstanceUID = p.uid(), p.uid()
    ds.add_new(0x60000022, "LO", p.text("overlay/OverlayDescription", "{} marker"))
    _meta(ds, p)
    return Kind("overlay test file (60xx,3000)", "overlay", ds, p.reset(), {
        "Modality": str(ds.Modality), "Rows": str(ds.Rows)})


def dicomdir(p: Planter) -> Kind:
    """A DICOMDIR-like object: directory records naming the patient."""
    ds = Dataset()
    ds.FileSetID = "SET1"
    rec = _item(DirectoryRecordType="PATIENT", PatientName=p.name("DirectoryRecord/PatientName"),
                PatientID=p.ident("DirectoryRecord/PatientID", "MRN"))
    ds.DirectoryRecordSequence = Sequence([rec])
    ds.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity = 0
    ds.OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity = 0
    ds.FileSetConsistencyFlag = 0
    ds.SOPClassUID = "1.2.840.10008.1.3.10"
    ds.SOPInstanceUID = p.uid()
    _meta(ds)
    return Kind("DICOMDIR-like record set", "dir", ds, p.reset(), withhold="dicomdir")


def deflated_sr(p: Planter) -> Kind:
    """pydicom's SR test file with planted identity, written deflated."""
    ds = _from_testfile("test-SR.dcm")
    _replant_patient(ds, p)
    ds.SOPInstanceUID = p.uid()
    ds.StudyInstanceUID, ds.SeriesInstanceUID = p.uid(), p.uid()
    ds.VerifyingObserverSequence = Sequence([_item(
        VerifyingObserverName=p.name("VerifyingObserverName"), VerifyingOrganization="X",
        VerificationDateTime=p.datetime("VerificationDateTime"))])
    _meta(ds, p)
    return Kind("SR test file, deflated", "srdfl", ds, p.reset(), {"Modality": "SR"},
                transfer_syntax=DeflatedExplicitVRLittleEndian)


def rle_mr(p: Planter) -> Kind:
    """pydicom's RLE MR with planted identity (compressed pixel data path)."""
    ds = _from_testfile("MR_small_RLE.dcm")
    _replant_patient(ds, p)
    ds.SOPInstanceUID = p.uid()
    ds.StudyInstanceUID, ds.SeriesInstanceUID = p.uid(), p.uid()
    ds.ProtocolName = "AX T1 SE"
    _meta(ds, p)
    k = Kind("MR RLE (pydicom test file)", "rle", ds, p.reset(), {
        "Modality": "MR", "SliceThickness": str(ds.SliceThickness), "PixelSpacing": str(ds.PixelSpacing),
        "ProtocolName": "AX T1 SE"}, transfer_syntax=RLELossless)
    return k


def hiding_places(p: Planter) -> Kind:
    """A CT image with identifying values in the less travelled places of a header."""
    st = Study(p.uid(), p.uid(), p.uid(), [p.uid()])
    ds = _base(CT, "CT", p, st, sop=st.images[0])
    ds.FrameOfReferenceUID = st.frame_of_ref
    ds.BodyPartExamined = "HEAD"
    ds.SliceThickness = "5"
    ds.KVP = "120"
    ds.WindowCenter = ["40", "600"]
    ds.WindowWidth = ["80", "2800"]
    ds.ProtocolName = "HEAD WO CONTRAST"
    ds.SeriesDescription = "AXIAL 5MM BRAIN"
    ds.ConvolutionKernel = "H30s"
    ds.OtherPatientNames = [p.name("OtherPatientNames[0]"), p.name("OtherPatientNames[1]")]
    ds.PatientTelecomInformation = p.text("PatientTelecomInformation", "{}@example.org")
    ds.StudyComments = p.text("StudyComments", "ordered by {}")
    ds.CurrentPatientLocation = p.text("CurrentPatientLocation", "{} ward bed 4")
    ds.PatientInstitutionResidence = p.text("PatientInstitutionResidence", "{} House")
    ds.AdmissionID = p.ident("AdmissionID", "ADM")
    ds.AdmittingDate = p.date("AdmittingDate")
    ds.AdmittingTime = p.time("AdmittingTime")
    ds.PatientBirthTime = p.time("PatientBirthTime")
    ds.LastMenstrualDate = p.date("LastMenstrualDate")
    ds.PatientReligiousPreference = p.text("PatientReligiousPreference", "{} chapel")
    ds.MedicalAlerts = p.text("MedicalAlerts", "allergic, call {}")
    ds.Allergies = p.text("Allergies", "penicillin ({})")
    ds.SpecialNeeds = p.text("SpecialNeeds", "interpreter {}")
    ds.PatientState = p.text("PatientState", "sedated by {}")
    ds.AcquisitionDate = p.date("AcquisitionDate")
    ds.AcquisitionTime = p.time("AcquisitionTime") + ".123456"
    p.plants = [x for x in p.plants if x.label != "SeriesDate"]
    ds.SeriesDate = p.date("SeriesDate (ACR-NEMA form)")
    ds.SeriesDate = f"{ds.SeriesDate[:4]}.{ds.SeriesDate[4:6]}.{ds.SeriesDate[6:]}"
    ds.DateOfLastCalibration = [p.date("DateOfLastCalibration[0]"), p.date("DateOfLastCalibration[1]")]
    ds.TimeOfLastCalibration = [p.time("TimeOfLastCalibration[0]"), p.time("TimeOfLastCalibration[1]")]
    ds.TimezoneOffsetFromUTC = "+0100"
    ds.IrradiationEventUID = p.uid()
    ds.InstanceCreatorUID = p.uid()
    ds.SynchronizationFrameOfReferenceUID = p.uid()
    ds.ConcatenationUID = p.uid()
    ds.DimensionOrganizationSequence = Sequence([_item(DimensionOrganizationUID=p.uid())])
    ds.RetrieveAETitle = p.literal("RetrieveAETitle", p.word().upper()[:16])
    ds.RetrieveURL = p.text("RetrieveURL", "https://pacs.{}.example/wado")
    ds.ReferencedPatientSequence = Sequence([_ref("1.2.840.10008.3.1.2.1.1", p.uid())])
    ds.ProcedureCodeSequence = Sequence([_code("L1234", "99LOCAL",
                                               p.text("ProcedureCode/CodeMeaning", "head CT per Dr {} protocol"))])
    ds.AnatomicRegionSequence = Sequence([_code("69536005", "SCT", "Head")])
    ds.ImageComments = p.text("ImageComments (capitals)", "SEEN BY DR {} IN ED").upper() + " " + UID_ROOT + ".77"
    ds.OriginalAttributesSequence = Sequence([_item(
        ModifiedAttributesSequence=Sequence([_item(
            PatientName=p.name("OriginalAttributes/PatientName"),
            PatientID=p.ident("OriginalAttributes/PatientID", "MRN"))]),
        AttributeModificationDateTime=p.datetime("OriginalAttributes/AttributeModificationDateTime"),
        ModifyingSystem=p.text("OriginalAttributes/ModifyingSystem", "{} PACS"),
        SourceOfPreviousValues=p.text("OriginalAttributes/SourceOfPreviousValues", "{} RIS"),
        ReasonForTheAttributeModification="CORRECT")])
    block = ds.private_block(0x0009, p.text("private creator", "{} CUSTOM").upper(), create=True)
    block.add_new(0x01, "DS", "1.5")
    ds.DigitalSignaturesSequence = Sequence([_item(
        MACIDNumber=1, DigitalSignatureUID=p.uid(),
        DigitalSignatureDateTime=p.datetime("DigitalSignature/DateTime"),
        CertificateType="X509_1993_SIG", CertificateOfSigner=p.text("DigitalSignature/Certificate", "CN={}").encode(),
        Signature=b"\x01\x02")])
    ds.ClinicalTrialSponsorName = p.text("ClinicalTrialSponsorName", "{} Pharma")
    ds.ClinicalTrialSiteName = p.text("ClinicalTrialSiteName", "{} site")
    ds.ClinicalTrialSubjectID = p.ident("ClinicalTrialSubjectID", "SUBJ")
    ds.ClinicalTrialProtocolName = p.text("ClinicalTrialProtocolName", "{} trial")
    staff_code = _code(p.ident("ReferringPhysicianIdentification/PersonIdentificationCode", "STF"), "99STAFF",
                       p.text("ReferringPhysicianIdentification/PersonIdentificationCode meaning", "Dr {}"))
    ds.ReferringPhysicianIdentificationSequence = Sequence([_item(
        PersonIdentificationCodeSequence=Sequence([staff_code]),
        PersonAddress=p.text("ReferringPhysicianIdentification/PersonAddress", "3 {} Close"),
        PersonTelephoneNumbers=p.literal("ReferringPhysicianIdentification/PersonTelephoneNumbers", "555-013-9911"),
        InstitutionName=p.text("ReferringPhysicianIdentification/InstitutionName", "{} Practice"),
        InstitutionCodeSequence=Sequence([_code("INST1", "99INST",
                                                p.text("ReferringPhysicianIdentification/InstitutionCode meaning", "{} Surgery"))]),
    )])
    ds.DataSetTrailingPadding = p.text("DataSetTrailingPadding", "pad {} pad").encode()
    _pixels(ds)
    kind = Kind("CT, less travelled header places", "hiding", ds, p.reset(), {
        "Modality": "CT", "BodyPartExamined": "HEAD", "SliceThickness": "5", "KVP": "120",
        "WindowCenter": "", "WindowWidth": "", "ProtocolName": "", "SeriesDescription": "",
        "ConvolutionKernel": "", "AnatomicRegionSequence[0].CodeMeaning": "", "TimezoneOffsetFromUTC": "",
    })
    preamble = p.text("preamble", "preamble of {} ").encode().ljust(128, b" ")[:128]
    kind.plants.extend(p.reset())
    kind.raw = preamble + kind.encode()[128:]
    return kind


def testfile_syntaxes(p: Planter) -> list[Kind]:
    """pydicom test files in other transfer syntaxes, their identity replanted."""
    out = []
    for name, label in (("MR_small_bigendian.dcm", "MR explicit big endian"),
                        ("JPEG2000.dcm", "JPEG 2000 (pydicom test file)"),
                        ("SC_rgb_jpeg_dcmtk.dcm", "SC JPEG baseline RGB"),
                        ("MR_small_jpeg_ls_lossless.dcm", "MR JPEG-LS lossless")):
        ds = _from_testfile(name)
        syntax = ds.file_meta.TransferSyntaxUID
        _replant_patient(ds, p)
        ds.SOPInstanceUID = p.uid()
        ds.StudyInstanceUID, ds.SeriesInstanceUID = p.uid(), p.uid()
        _meta(ds, p)
        clinical = {"Modality": ""}
        for kw in ("PixelSpacing", "SliceThickness", "Rows", "Columns", "WindowCenter", "BodyPartExamined"):
            if kw in ds and ds[kw].value not in (None, ""):
                clinical[kw] = ""
        out.append(Kind(label, "ts" + str(len(out)), ds, p.reset(), clinical, transfer_syntax=syntax))
    return out


VL_PHOTO = "1.2.840.10008.5.1.4.1.1.77.1.4"


def vl_specimen(p: Planter) -> Kind:
    """A VL photograph with a specimen module: identifiers and preparation steps typed
    at the bench (SR-like content items with text, names and dates)."""
    st = Study(p.uid(), p.uid(), p.uid(), [p.uid()])
    ds = _base(VL_PHOTO, "XC", p, st, sop=st.images[0])
    ds.BodyPartExamined = "SKIN"
    ds.ContainerIdentifier = p.ident("ContainerIdentifier", "CT-")
    ds.IssuerOfTheContainerIdentifierSequence = Sequence([_item(
        LocalNamespaceEntityID=p.text("IssuerOfContainer/LocalNamespaceEntityID", "{} Lab"))])
    step = _item(
        ValueType="TEXT", ConceptNameCodeSequence=Sequence([_code("121106", "DCM", "Comment")]),
        TextValue=p.text("SpecimenPreparation/TextValue", "grossed by {}"))
    who = _item(
        ValueType="PNAME", ConceptNameCodeSequence=Sequence([_code("121008", "DCM", "Person Observer Name")]),
        PersonName=p.name("SpecimenPreparation/PersonName"))
    when = _item(
        ValueType="DATETIME", ConceptNameCodeSequence=Sequence([_code("111526", "DCM", "DateTime Started")]),
        DateTime=p.datetime("SpecimenPreparation/DateTime"))
    ds.SpecimenDescriptionSequence = Sequence([_item(
        SpecimenIdentifier=p.text("SpecimenIdentifier", "{}-S1"),
        SpecimenUID=p.uid(),
        SpecimenShortDescription=p.text("SpecimenShortDescription", "shave biopsy from {}"),
        IssuerOfTheSpecimenIdentifierSequence=Sequence([_item(
            LocalNamespaceEntityID=p.text("IssuerOfSpecimen/LocalNamespaceEntityID", "{} Pathology"))]),
        SpecimenPreparationSequence=Sequence([_item(
            SpecimenPreparationStepContentItemSequence=Sequence([step, who, when]))]),
    )])
    ds.Rows = ds.Columns = 32
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = "RGB"
    ds.PlanarConfiguration = 0
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelData = (np.arange(32 * 32 * 3) % 200).astype(np.uint8).tobytes()
    return Kind("VL photo with specimen module", "vl", ds, p.reset(), {
        "Modality": "XC", "BodyPartExamined": "SKIN", "SpecimenDescriptionSequence[0].SpecimenUID": "*"})


def _implicit_items(elements: list[tuple[int, bytes]]) -> bytes:
    """One defined-length item of implicit VR little endian elements."""
    import struct

    body = b"".join(struct.pack("<HHI", t >> 16, t & 0xFFFF, len(v)) + v for t, v in elements)
    return struct.pack("<HHI", 0xFFFE, 0xE000, len(body)) + body


def un_sequences(p: Planter) -> Kind:
    """Sequences written with VR UN (a public one and a private one), as archives that
    passed through a node without the dictionary store them, and embedded overlay bits
    above BitsStored in the pixel data (retired practice)."""
    st = Study(p.uid(), p.uid(), p.uid(), [p.uid()])
    ds = _base(CT, "CT", p, st, sop=st.images[0])
    ds.BodyPartExamined = "NECK"
    ds.SliceThickness = "1"
    name = p.name("UN public SQ/ScheduledPerformingPhysicianName").encode()
    text = p.text("UN public SQ/ScheduledProcedureStepDescription", "neck CT for {}").encode()
    items = _implicit_items([(0x00400006, name + b" " * (len(name) % 2)),
                             (0x00400007, text + b" " * (len(text) % 2))])
    # pydicom turns a known sequence tag written as UN back into SQ: write it as OB and
    # patch the VR bytes to UN (same explicit header layout) after encoding.
    ds.add(DataElement(0x00400100, "OB", items))
    block = ds.private_block(0x0043, "VENDOR UN SQ", create=True)
    pname = p.name("UN private SQ/PatientName").encode()
    pitems = _implicit_items([(0x00100010, pname + b" " * (len(pname) % 2))])
    block.add_new(0x01, "UN", pitems)
    _pixels(ds)
    arr = np.frombuffer(ds.PixelData, dtype=np.uint16).reshape(32, 32).copy()
    arr[10:14, 4:28] |= 1 << 15  # an overlay plane in bit 15 (BitsStored 12)
    ds.PixelData = arr.tobytes()
    ds.add_new(0x60000010, "US", 32)
    ds.add_new(0x60000011, "US", 32)
    ds.add_new(0x60000040, "CS", "G")
    ds.add_new(0x60000050, "SS", [1, 1])
    ds.add_new(0x60000100, "US", 1)
    ds.add_new(0x60000102, "US", 15)
    kind = Kind("CT with UN-VR sequences, overlay in bit 15", "un", ds, p.reset(), {
        "Modality": "CT", "BodyPartExamined": "NECK", "SliceThickness": "1"})
    kind.patches.append((b"\x40\x00\x00\x01OB", b"\x40\x00\x00\x01UN"))
    return kind


def bad_inputs(kinds: list[Kind]) -> list[Kind]:
    """Broken copies of good kinds: each must be withheld (any reason), never written."""
    by_name = {k.name: k for k in kinds}
    out: list[Kind] = []

    def broken(source: str, label: str, data: bytes) -> None:
        base = by_name[source]
        out.append(Kind(f"bad: {label}", "bad" + str(len(out)), base.ds, list(base.plants),
                        withhold="*", raw=data))

    ct = by_name["enhanced CT multi-frame"].encode()
    broken("enhanced CT multi-frame", "enhanced CT cut inside its pixel data", ct[:-700])
    sr = by_name["comprehensive SR (deep tree)"].encode()
    broken("comprehensive SR (deep tree)", "SR cut inside its content tree", sr[: len(sr) * 2 // 3])
    mr = by_name["MR with worklist, patient module, private, UN, overlay"].encode()
    at = mr.find(b"\x20\x00\x00\x40LT")  # ImageComments (0020,4000)
    assert at > 0
    broken("MR with worklist, patient module, private, UN, overlay", "MR with a text length past the end",
           mr[: at + 6] + b"\xff\x7f" + mr[at + 8:])
    dfl = by_name["SR test file, deflated"].encode()
    broken("SR test file, deflated", "deflated SR with a corrupt stream", dfl[:-200] + b"\x00" * 200)
    return out


def all_kinds(seed: int = 15) -> list[Kind]:
    """Every kind, built fresh (values are deterministic for ``seed``)."""
    p = Planter(seed)
    st = Study(p.uid(), p.uid(), p.uid(), [p.uid()])
    kinds: list[Kind] = [enhanced_ct(p, st), gsps(p, st), kos(p, st), segmentation(p, st),
                         structured_report(p, st), enhanced_mr(p, st)]
    kinds += rt_set(p)
    kinds += [waveform(p), mr_worklist(p), implicit_un(p)]
    kinds += charsets(p)
    kinds += encapsulated(p)
    kinds += [overlay_testfile(p), dicomdir(p), deflated_sr(p), rle_mr(p), hiding_places(p)]
    kinds += testfile_syntaxes(p)
    kinds += [vl_specimen(p), un_sequences(p)]
    kinds += bad_inputs(kinds)
    return kinds


# ---- the independent check ---------------------------------------------------------------
def _inflated(data: bytes) -> bytes:
    """The file bytes, plus the inflated dataset of a deflated file."""
    try:
        ds = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True)
        if ds.file_meta.TransferSyntaxUID == DeflatedExplicitVRLittleEndian:
            meta_len = int(ds.file_meta.get("FileMetaInformationGroupLength", 0))
            start = 132 + 12 + meta_len
            return data + zlib.decompress(data[start:], -zlib.MAX_WBITS)
    except Exception:
        pass
    return data


def leaked(kind: Kind, data: bytes) -> list[str]:
    """Labels of planted values still in ``data``: the whole file (pixel samples of
    these objects are noise and cannot spell a planted value), inflated if deflated."""
    hay = _inflated(data)
    low = hay.lower()
    out = []
    for plant in kind.plants:
        for form in plant_forms(plant):
            target = low if plant.kind != "nonlatin" else hay
            if form and form in target:
                out.append(plant.label)
                break
    uid_root = UID_ROOT.encode()
    if uid_root in hay:
        out.append("original UID")
    return out


def overlay_left(data: bytes) -> bool:
    """True when an overlay plane survives: a 60xx group, or set bits above BitsStored
    in native unsigned pixel data (an embedded overlay)."""
    ds = pydicom.dcmread(io.BytesIO(data))
    if any(0x6000 <= (int(t) >> 16) <= 0x60FF for t in ds.keys()):
        return True
    if "PixelData" not in ds or ds.file_meta.TransferSyntaxUID.is_compressed:
        return False
    bits, stored = int(ds.get("BitsAllocated", 0) or 0), int(ds.get("BitsStored", 0) or 0)
    if bits != 16 or not 0 < stored < 16 or int(ds.get("PixelRepresentation", 0) or 0):
        return False
    arr = np.frombuffer(ds.PixelData, dtype="<u2" if not ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.2" else ">u2")
    return bool((arr >> stored).any())


def reread(data: bytes) -> str:
    """'' when pydicom reads every element (and the pixel data) back; else why not."""
    try:
        ds = pydicom.dcmread(io.BytesIO(data))
        for elem in ds.iterall():
            _ = elem.value
        if "PixelData" in ds:
            _ = ds.pixel_array
        return ""
    except Exception as exc:  # pragma: no cover - reported by the bench
        return type(exc).__name__


def get_path(ds: Dataset, path: str) -> str | None:
    cur: object = ds
    for part in path.split("."):
        m = re.fullmatch(r"(\w+)(?:\[(\d+)\])?", part)
        if m is None or not isinstance(cur, Dataset) or m.group(1) not in cur:
            return None
        cur = cur[m.group(1)].value
        if m.group(2) is not None:
            idx = int(m.group(2))
            if not isinstance(cur, Sequence | list) or idx >= len(cur):
                return None
            cur = cur[idx]
    if cur is None:
        return None
    return str(cur)


def clinical_kept(kind: Kind, data: bytes) -> tuple[int, list[str]]:
    """(kept count, missing paths) of the kind's clinical attributes in ``data``: each
    must read back as it reads in the input."""
    try:
        ds = pydicom.dcmread(io.BytesIO(data))
    except Exception:
        return 0, list(kind.clinical)
    source = dataset_of(kind)
    missing = [
        path
        for path, want in kind.clinical.items()
        if (get_path(ds, path) in (None, "") if want == "*" else get_path(ds, path) != get_path(source, path))
    ]
    assert all(get_path(source, path) is not None for path in kind.clinical), kind.name
    return len(kind.clinical) - len(missing), missing


def identity(ds: Dataset) -> dict[str, str]:
    out = {}
    for kw in ("SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID", "FrameOfReferenceUID"):
        if kw in ds:
            out[kw] = str(ds[kw].value)
    return out


def reference_paths(ds: Dataset, known: set[str], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(path, uid) of every UI element below the top level whose value is in ``known``."""
    for elem in ds:
        name = elem.keyword or f"{elem.tag:08X}"
        if elem.VR == "SQ":
            for i, item in enumerate(elem.value):
                yield from reference_paths(item, known, f"{prefix}{name}[{i}].")
        elif elem.VR == "UI" and prefix and str(elem.value) in known:
            yield prefix + name, str(elem.value)
        elif elem.VR == "UI" and not prefix and name in ("FrameOfReferenceUID", "StudyInstanceUID") and str(elem.value) in known:
            continue


def check_references(pairs: list[tuple[Dataset, Dataset]]) -> tuple[int, int, list[str]]:
    """(resolved, total, unresolved paths): references inside objects of the set to other
    objects of the set, followed through the original->new UID mapping of the outputs."""
    mapping: dict[str, str] = {}
    for src, out in pairs:
        a, b = identity(src), identity(out)
        for kw, uid in a.items():
            if kw in b:
                mapping[uid] = b[kw]
    total = resolved = 0
    bad: list[str] = []
    for src, out in pairs:
        for path, uid in reference_paths(src, set(mapping)):
            total += 1
            if get_path(out, path) == mapping[uid]:
                resolved += 1
            else:
                bad.append(f"{src.get('Modality', '?')}:{path}")
    return resolved, total, bad


def write_tree(kinds: list[Kind], root: str) -> dict[str, Kind]:
    """Write every kind as <root>/<case>/<n>.dcm; returns relative path -> kind."""
    import os

    out: dict[str, Kind] = {}
    for i, kind in enumerate(kinds):
        folder = os.path.join(root, kind.case)
        os.makedirs(folder, exist_ok=True)
        rel = f"{kind.case}/obj{i:02d}.dcm"
        with open(os.path.join(root, rel), "wb") as fh:
            fh.write(kind.encode())
        out[rel] = kind
    return out


def dataset_of(kind: Kind) -> Dataset:
    return pydicom.dcmread(io.BytesIO(kind.encode()), force=True)


__all__ = [
    "Kind", "Plant", "Planter", "all_kinds", "check_references", "clinical_kept", "dataset_of",
    "leaked", "overlay_left", "plant_forms", "reread", "write_tree",
]
