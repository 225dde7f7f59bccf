"""Types shared by the text modules (api, engine, filters, names, operators).

Kept apart so that those modules import this one instead of each other.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Detection:
    """One PHI span found in a text. ``text[start:end]`` is the PHI: never log it."""

    kind: str
    start: int
    end: int
    score: float
    source: str = ""
