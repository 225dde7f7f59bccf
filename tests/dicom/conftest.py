"""Fixtures for the DICOM tests; builders live in dicom_synth.py."""

from __future__ import annotations

import pytest

from deid.core.context import CaseContext
from deid.core.policy import Policy

from .dicom_synth import KEY


@pytest.fixture
def context() -> CaseContext:
    return CaseContext(KEY, case_id="case-1")


@pytest.fixture
def header_policy() -> Policy:
    """Header-only work: pixel cleaning off (tests of pixel cleaning opt in)."""
    return Policy.from_dict({"dicom": {"clean_pixels": "never"}})
