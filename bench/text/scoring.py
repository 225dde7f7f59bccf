"""Span scoring, the one copy used by the text benchmark, the held-out evaluator and the
tests.

A planted PHI span counts as caught only when every letter and digit of it lies inside
some detection (of any kind): a half-caught "John [NAME]" is a miss. A must-keep term
counts as kept only when no detection touches it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from bench.text.types import Note


def covered(n: int, spans: Iterable[tuple[int, int]]) -> bytearray:
    """A mask of ``n`` bytes, 1 where some (start, end) span lies (clipped to ``n``)."""
    mask = bytearray(n)
    for s, e in spans:
        s, e = max(0, s), min(n, e)
        if e > s:
            mask[s:e] = b"\x01" * (e - s)
    return mask


def caught(text: str, mask: bytearray, start: int, end: int) -> bool:
    """Every letter and digit of ``text[start:end]`` is covered."""
    return all(mask[i] for i in range(start, end) if text[i].isalnum())


def touched(text: str, mask: bytearray, start: int, end: int, *, alnum_only: bool = True) -> bool:
    """Some letter or digit of ``text[start:end]`` (any character if not ``alnum_only``)
    is covered."""
    if not alnum_only:
        return any(mask[start:end])
    return any(mask[i] for i in range(start, end) if text[i].isalnum())


def score(notes: Sequence[Note], detections: Sequence[list[tuple[int, int]]]) -> tuple[dict, dict, float]:
    """Recall per PHI kind (``{kind: [caught, n]}``, held-out names counted again under
    "PERSON (held-out names)"), the micro total ``{"all": [caught, n]}`` without that extra
    row, and the fraction of must-keep terms left untouched (no character covered)."""
    hits: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    kept = [0, 0]
    for note, dets in zip(notes, detections, strict=True):
        mask = covered(len(note.text), dets)
        for sp in note.phi:
            ok = caught(note.text, mask, sp.start, sp.end)
            keys = [sp.kind] + (["PERSON (held-out names)"] if sp.held_out else [])
            for k in keys:
                hits[k][0] += ok
                hits[k][1] += 1
        for sp in note.keep:
            kept[0] += not touched(note.text, mask, sp.start, sp.end, alnum_only=False)
            kept[1] += 1
    total = [sum(v[0] for k, v in hits.items() if "held-out" not in k), sum(v[1] for k, v in hits.items() if "held-out" not in k)]
    return dict(hits), {"all": total}, kept[0] / max(1, kept[1])
