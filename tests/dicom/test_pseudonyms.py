"""The scrubber's own pseudonyms and placeholders are recognised as such (not as leaks)."""

from __future__ import annotations

import io

import pydicom

from deid.dicom import scrub_dicom
from deid.dicom.pseudonyms import is_scrubber_value

from .dicom_synth import build


def test_every_person_name_written_is_a_recognised_pseudonym(header_policy, context):
    ds = pydicom.dcmread(io.BytesIO(scrub_dicom(build("CT"), header_policy, context).data))
    names = [
        str(v)
        for e in ds.iterall()
        if e.VR == "PN"
        for v in (e.value if e.VM > 1 else [e.value])
        if str(v)
    ]
    assert {n.split("-")[0] for n in names} == {"PAT", "PERSON"}
    assert all(is_scrubber_value(n) for n in names)


def test_real_names_and_near_misses_are_not_pseudonyms():
    for text in (
        "Zanzibarova^Quenthorpe",
        "PERSON-ZANZI",
        "PAT-1234",
        "DR-ABCDEFGHJK",
        "PERSONX-0123456789",
    ):
        assert not is_scrubber_value(text)
    assert is_scrubber_value("ANONYMIZED")
