"""pydicom's own test files: each is scrubbed with no PHI left, or withheld with a reason."""

from __future__ import annotations

import io
import os

import pydicom
import pytest
from pydicom.data import get_testdata_files

from deid.core.context import CaseContext
from deid.core.errors import DeidError

from .dicom_synth import KEY

FILES = [f for f in get_testdata_files() if os.path.isfile(f)]
_GENERIC = {"anonymized", "anonymous", "test", "name", "patient", "unknown", "phantom", "none"}


def _name_parts(path: str) -> list[bytes]:
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)
        name = str(ds.get("PatientName", "") or "")
    except Exception:
        return []
    parts = [p for p in name.replace("^", " ").replace("=", " ").split() if len(p) >= 5]
    return [p.lower().encode() for p in parts if p.lower() not in _GENERIC]


@pytest.mark.parametrize("path", FILES, ids=[os.path.basename(f) for f in FILES])
def test_pydicom_file(path, header_policy):
    try:
        result = scrub_dicom_safe(path, header_policy)
    except DeidError as err:
        assert err.reason
        return
    ds = pydicom.dcmread(io.BytesIO(result.data))
    assert ds.PatientIdentityRemoved == "YES"
    assert not any(e.tag.is_private for e in ds.iterall())
    head = result.data
    if "PixelData" in ds:
        head = result.data.replace(ds.PixelData, b"")
    for part in _name_parts(path):
        assert part not in head.lower()


def scrub_dicom_safe(path, policy):
    from deid.dicom import scrub_dicom

    return scrub_dicom(path, policy, CaseContext(KEY))
