"""Fixtures for CLI tests: the key in the environment (or none)."""

from __future__ import annotations

import pytest
from cli_cases import KEY


@pytest.fixture
def key_env(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DEID_KEY", KEY)
    monkeypatch.delenv("DEID_KEY_FILE", raising=False)
    return KEY


@pytest.fixture
def no_key_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEID_KEY", raising=False)
    monkeypatch.delenv("DEID_KEY_FILE", raising=False)
