"""`deid verify` on fresh DICOM outputs: the scrubber's own pseudonyms are no leak."""

from __future__ import annotations

from deid.cli.verify import verify_outputs
from deid.core.policy import Policy
from deid.dicom import scrub_dicom

from .dicom_synth import build


def test_verify_passes_on_fresh_dicom_with_person_names(tmp_path, context):
    policy = Policy.from_dict({"dicom": {"clean_pixels": "never"}})
    case = tmp_path / "out" / "case-1"
    case.mkdir(parents=True)
    for modality in ("CT", "SR"):  # PatientName, other PN attributes, SR PersonName
        result = scrub_dicom(build(modality), policy, context)
        (case / f"{result.sop_instance_uid}.dcm").write_bytes(result.data)
    assert verify_outputs(tmp_path / "out", policy, quiet=True)
