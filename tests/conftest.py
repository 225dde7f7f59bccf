"""Shared fixtures. Engines are real (spaCy, Presidio, OCR); they load once per session."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

TEST_KEY = b"test-key-0123456789abcdef-not-secret"


@pytest.fixture(scope="session")
def text_engine():
    from deid.text.engine import get_engine

    return get_engine()


@pytest.fixture()
def context():
    from deid.core import CaseContext

    return CaseContext(TEST_KEY, case_id="case-1")
