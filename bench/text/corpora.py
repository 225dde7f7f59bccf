"""The one entry point to the synthetic text corpora: ``generate(corpus, n, seed)``.

Corpus A (``corpus_a``) is the benchmark's own; B, C and D were written apart from the
recognizers and are the held-out corpora. All four record planted PHI and must-keep terms
with the shared types of ``bench.text.types``; the same seed gives the same notes.
"""

from __future__ import annotations

import importlib

from bench.text.types import Note

CORPORA = {c: f"bench.text.corpus_{c}" for c in "abcd"}
HELD_OUT = ("b", "c", "d")


def generate(corpus: str, n: int, seed: int) -> list[Note]:
    """``n`` notes of corpus ``corpus`` ("a" | "b" | "c" | "d") from ``seed``."""
    if corpus not in CORPORA:
        raise ValueError(f"unknown corpus {corpus!r}; one of {sorted(CORPORA)}")
    return importlib.import_module(CORPORA[corpus]).generate(n, seed)  # type: ignore[no-any-return]
