"""Object kinds of a real archive (tests/support/dicom_kinds.py) come out clean.

Every kind is scrubbed with the default policy (pixels searched) under one context per
case; the check is the generator's own byte search (planted values in every form), a
pydicom re-read, the clinical attributes, overlays, and references between objects.
Then the regressions found with the generator, each on a small dataset of its own.
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, RLELossless

from deid.core.context import CaseContext
from deid.core.errors import WithheldError
from deid.core.policy import Policy
from deid.dicom import scrub_dicom
from deid.dicom.api import _encodings
from tests.support.dicom_kinds import (
    UID_ROOT,
    Kind,
    all_kinds,
    check_references,
    clinical_kept,
    leaked,
    overlay_left,
    reread,
    write_tree,
)

from .dicom_synth import KEY

KINDS = all_kinds()


def _scrub(kind: Kind, contexts: dict[str, CaseContext]) -> bytes:
    context = contexts.setdefault(kind.case, CaseContext(KEY, case_id=kind.case))
    return scrub_dicom(kind.encode(), Policy(), context).data


@pytest.fixture(scope="module")
def outputs() -> dict[str, bytes | str]:
    """name -> output bytes, or the withheld reason."""
    contexts: dict[str, CaseContext] = {}
    out: dict[str, bytes | str] = {}
    for kind in KINDS:
        try:
            out[kind.name] = _scrub(kind, contexts)
        except WithheldError as exc:
            out[kind.name] = exc.reason
    return out


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_the_check_sees_every_planted_value_in_the_input(kind):
    # The byte search must find each value where it was planted, or a clean output
    # would prove nothing.
    found = set(leaked(kind, kind.encode()))
    if kind.withhold == "*":
        return  # a broken copy: its values may sit past the cut
    assert {p.label for p in kind.plants} <= found
    assert reread(kind.encode()) == ""


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_every_kind_comes_out_clean(kind, outputs):
    result = outputs[kind.name]
    if kind.withhold:
        assert isinstance(result, str) and kind.withhold in ("*", result)
        return
    assert isinstance(result, bytes), f"withheld: {result}"
    assert leaked(kind, result) == []
    assert reread(result) == ""
    assert not overlay_left(result)
    kept, missing = clinical_kept(kind, result)
    assert missing == [] and kept == len(kind.clinical)


def test_references_between_objects_resolve(outputs):
    pairs = [
        (pydicom.dcmread(io.BytesIO(k.encode())), pydicom.dcmread(io.BytesIO(outputs[k.name])))
        for k in KINDS
        if isinstance(outputs[k.name], bytes)
    ]
    resolved, total, bad = check_references(pairs)
    assert total >= 20 and resolved == total, bad


def test_kinds_through_the_command_line(tmp_path):
    """The studies with references (multi-frame, GSPS, KOS, SEG, SR, RT) through
    ``deid scrub``: outputs clean, re-readable, references resolved."""
    chosen = [k for k in KINDS if k.case in ("studyA", "rt", "japanese")]
    written = write_tree(chosen, str(tmp_path / "src"))
    env = dict(os.environ, DEID_KEY="0123456789abcdef" * 4)
    done = subprocess.run(
        [sys.executable, "-m", "deid.cli.main", "scrub", str(tmp_path / "src"), str(tmp_path / "out"), "-q", "--json"],
        env=env, capture_output=True, check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-400:]
    assert json.loads(done.stdout)["scrubbed"] == len(chosen)
    manifest = [json.loads(line) for line in (tmp_path / "out" / "manifest.jsonl").read_text().splitlines()]
    pairs = []
    for rec in manifest:
        kind = written[rec["input"]]
        data = (tmp_path / "out" / rec["output"]).read_bytes()
        assert leaked(kind, data) == [] and reread(data) == ""
        pairs.append((pydicom.dcmread(io.BytesIO(kind.encode())), pydicom.dcmread(io.BytesIO(data))))
    resolved, total, bad = check_references(pairs)
    assert total >= 20 and resolved == total, bad
    # deid verify re-detects on the fresh outputs: device make/model and SNOMED code
    # values (kept on purpose) and known-safe descriptors are no findings.
    verify = subprocess.run(
        [sys.executable, "-m", "deid.cli.main", "verify", str(tmp_path / "out"), "--json"],
        env=env, capture_output=True, check=False,
    )
    assert verify.returncode == 0, [o["found"] for o in json.loads(verify.stdout)["outputs"] if not o["ok"]]
    raw = subprocess.run(
        [sys.executable, "-m", "deid.cli.main", "verify", str(tmp_path / "src"), "--json"],
        env=env, capture_output=True, check=False,
    )
    assert raw.returncode != 0  # and it still sees the names in the inputs


# ---- regressions, each on a dataset of its own -------------------------------------------
def _image(**attrs: object) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = UID_ROOT + ".900"
    ds.StudyInstanceUID = UID_ROOT + ".901"
    ds.SeriesInstanceUID = UID_ROOT + ".902"
    ds.PatientName = "Quorvandel^Ysolde"
    ds.PatientID = "MRN5550123"
    ds.Modality = "OT"
    for key, value in attrs.items():
        setattr(ds, key, value)
    return ds


def _encode(ds: Dataset, syntax: str = ExplicitVRLittleEndian) -> bytes:
    from tests.support.dicom_build import attach_file_meta

    attach_file_meta(ds, syntax)
    buf = io.BytesIO()
    pydicom.dcmwrite(buf, ds, enforce_file_format=True)
    return buf.getvalue()


def _header(ds: Dataset, context: CaseContext | None = None) -> Dataset:
    policy = Policy.from_dict({"dicom": {"clean_pixels": "never"}})
    result = scrub_dicom(_encode(ds), policy, context or CaseContext(KEY, case_id="r"))
    return pydicom.dcmread(io.BytesIO(result.data))


def test_non_latin_names_in_free_text_are_replaced():
    # The vocabulary's word tokens skipped other scripts, so "高橋先生" passed as
    # known-safe text, and "欧阳娜娜" after a safe word too.
    ds = _image(SpecificCharacterSet="ISO_IR 192", ImageComments="复查 欧阳娜娜", StudyDescription="CT 高橋")
    out = _header(ds)
    assert "欧阳" not in str(out.get("ImageComments", "")) and "高橋" not in str(out.get("StudyDescription", ""))


def test_accented_capitalised_name_in_a_comment_is_replaced():
    ds = _image(SpecificCharacterSet="ISO_IR 100", ImageComments="reviewed with Dr Brüggenthal today")
    assert "Brüggenthal" not in str(_header(ds).ImageComments)


def test_non_latin_patient_name_does_not_withhold_the_file():
    # The leak check encoded a non-Latin name as Latin-1 with errors ignored: " " or
    # "^" was left and matched everywhere (verification_failed on every such file).
    ds = _image(SpecificCharacterSet=["", "ISO 2022 IR 87"], PatientName="Washio^Kanata=鷲尾^奏多=わしお^かなた")
    data = scrub_dicom(_encode(ds), Policy.from_dict({"dicom": {"clean_pixels": "never"}}),
                       CaseContext(KEY, case_id="j")).data
    assert b"Washio" not in data and "鷲尾".encode("iso2022_jp")[3:7] not in data


def test_leak_check_encodings_never_reduce_to_separators():
    assert all(e.strip(b" ^") for e in _encodings("鷲尾 奏多", ["iso2022_jp"]))
    forms = _encodings("鷲尾", ["iso2022_jp"])
    assert b"oihx" in forms  # the two JIS X 0208 codes without their escapes (lower-cased)
    assert "鷲尾".encode() in forms
    assert "ЖИГУНОВА".encode().lower() in _encodings("Жигунова", [])


def test_verifying_observer_keeps_its_item_with_a_pseudonym():
    ds = _image(SOPClassUID="1.2.840.10008.5.1.4.1.1.88.33", Modality="SR", VerificationFlag="VERIFIED")
    ds.VerifyingObserverSequence = Sequence([Dataset()])
    ds.VerifyingObserverSequence[0].VerifyingObserverName = "Hallorvane^Tess"
    ds.VerifyingObserverSequence[0].VerifyingOrganization = "Hallorvane Imaging"
    ds.VerifyingObserverSequence[0].VerificationDateTime = "19610304101500"
    out = _header(ds)
    item = out.VerifyingObserverSequence[0]  # Type 1C for a VERIFIED report
    assert "Hallorvane" not in str(item.VerifyingObserverName) and str(item.VerifyingObserverName)
    assert "Hallorvane" not in str(item.get("VerifyingOrganization", ""))
    assert item.VerificationDateTime != "19610304101500"


def test_waveform_annotation_keeps_measurements_and_dummies_text():
    ds = _image(Modality="ECG")
    text, hr = Dataset(), Dataset()
    text.UnformattedTextValue = "confirmed by Hallorvane"
    hr.NumericValue = "72"
    ds.WaveformAnnotationSequence = Sequence([text, hr])
    out = _header(ds)
    assert out.WaveformAnnotationSequence[1].NumericValue == 72
    assert "Hallorvane" not in str(out.WaveformAnnotationSequence[0].get("UnformattedTextValue", ""))


def test_user_typed_code_string_labels():
    ds = _image(SOPClassUID="1.2.840.10008.5.1.4.1.1.11.1", Modality="PR", ContentLabel="QUORVANDEL")
    layer, ann = Dataset(), Dataset()
    layer.GraphicLayer = "HALLORVANE NOTES"
    layer.GraphicLayerOrder = 1
    ann.GraphicLayer = "HALLORVANE NOTES"
    ds.GraphicLayerSequence = Sequence([layer])
    ds.GraphicAnnotationSequence = Sequence([ann])
    out = _header(ds)
    assert out.ContentLabel.startswith("LABEL_") and len(out.ContentLabel) <= 16
    new_layer = out.GraphicLayerSequence[0].GraphicLayer
    assert new_layer.startswith("LABEL_") and out.GraphicAnnotationSequence[0].GraphicLayer == new_layer
    safe = _header(_image(ContentLabel="ANNOTATIONS"))
    assert safe.ContentLabel == "ANNOTATIONS"
    # A short label is a code ("AP", "CT") unless it is a name of the case.
    assert _header(_image(ContentLabel="AP")).ContentLabel == "AP"
    assert _header(_image(PatientName="Lee^Ann", ContentLabel="LEE")).ContentLabel.startswith("LABEL_")


def test_local_code_meanings_are_cleaned_published_ones_kept():
    local, published = Dataset(), Dataset()
    local.CodeValue, local.CodingSchemeDesignator = "L12", "99LOCAL"
    local.CodeMeaning = "head CT per Dr Hallorvane protocol"
    published.CodeValue, published.CodingSchemeDesignator, published.CodeMeaning = "69536005", "SCT", "Head"
    ds = _image(ProcedureCodeSequence=Sequence([local]), AnatomicRegionSequence=Sequence([published]))
    out = _header(ds)
    assert "Hallorvane" not in out.ProcedureCodeSequence[0].CodeMeaning
    assert out.ProcedureCodeSequence[0].CodeValue == "L12"
    assert out.AnatomicRegionSequence[0].CodeMeaning == "Head"


def test_uid_typed_into_free_text_is_remapped():
    context = CaseContext(KEY, case_id="u")
    uid = UID_ROOT + ".77"
    out = _header(_image(ImageComments=f"prior study {uid} compared"), context)
    assert UID_ROOT not in out.ImageComments
    assert context.new_uid(uid) in out.ImageComments
    assert "1.5" in _header(_image(ImageComments="slice 1.5 mm")).ImageComments


def test_segment_label_is_cleaned_not_removed():
    seg = Dataset()
    seg.SegmentNumber = 1
    seg.SegmentLabel = "lesion Hallorvane"
    out = _header(_image(SegmentSequence=Sequence([seg])))
    assert "Hallorvane" not in out.SegmentSequence[0].SegmentLabel  # Type 1: still there
    assert out.SegmentSequence[0].SegmentLabel.startswith("lesion")


@pytest.mark.parametrize("syntax", [ExplicitVRLittleEndian, RLELossless])
def test_overlay_embedded_above_bits_stored_is_cleared(syntax):
    # pydicom clears unused bits when it decodes: the frames looked unchanged and the
    # pixel data went out byte for byte with the bitmap in bit 15.
    ds = _image(Modality="CT", Rows=32, Columns=32, SamplesPerPixel=1, PhotometricInterpretation="MONOCHROME2",
                BitsAllocated=16, BitsStored=12, HighBit=11, PixelRepresentation=0)
    arr = (np.arange(32 * 32).reshape(32, 32) % 200).astype(np.uint16)
    arr[10:14, 4:28] |= 1 << 15
    ds.PixelData = arr.tobytes()
    if syntax == RLELossless:
        from tests.support.dicom_build import attach_file_meta

        attach_file_meta(ds)
        ds.compress(RLELossless)
    data = _encode(ds, syntax)
    out = pydicom.dcmread(io.BytesIO(scrub_dicom(data, Policy(), CaseContext(KEY, case_id="o")).data))
    from pydicom.pixels import get_decoder

    raw, _ = get_decoder(out.file_meta.TransferSyntaxUID).as_array(out, correct_unused_bits=False)
    assert not (raw.astype(np.uint16) >> 12).any()
    assert np.array_equal(out.pixel_array, arr & 0x0FFF)


def test_un_encoded_public_sequence_is_walked():
    ds = _image()
    name = b"Hallorvane^Tess "
    body = struct.pack("<HHI", 0x0040, 0x0006, len(name)) + name
    item = struct.pack("<HHI", 0xFFFE, 0xE000, len(body)) + body
    ds.add_new(0x00400100, "OB", item)
    data = _encode(ds).replace(b"\x40\x00\x00\x01OB", b"\x40\x00\x00\x01UN")
    out = scrub_dicom(data, Policy.from_dict({"dicom": {"clean_pixels": "never"}}), CaseContext(KEY, case_id="n")).data
    assert b"hallorvane" not in out.lower()
    assert pydicom.dcmread(io.BytesIO(out)) is not None


def test_bench_module_imports():
    # bench/dicom_kinds.py runs the same generator through the command line.
    import bench.dicom_kinds as bench

    assert callable(bench.main) and Path(bench.__file__).exists()
