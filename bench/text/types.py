"""Data types shared by the synthetic text corpora (A, B, C, D): the corpora differ in what
they write, not in how a planted value is recorded."""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    kind: str
    start: int
    end: int
    tag: str = ""
    held_out: bool = False  # corpus A: a name from a locale our lists never saw


@dataclass
class Note:
    text: str
    style: str
    phi: list[Span] = field(default_factory=list)
    keep: list[Span] = field(default_factory=list)


class Picks:
    """Random draws shared by the corpus generators (``self.rng`` set by the subclass)."""

    rng: random.Random

    def pick(self, seq):
        return self.rng.choice(seq)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def dig(self, n: int) -> str:
        return "".join(self.rng.choice(string.digits) for _ in range(n))

    def up(self, n: int) -> str:
        return "".join(self.rng.choice(string.ascii_uppercase) for _ in range(n))

    def an(self, n: int) -> str:
        return "".join(self.rng.choice(string.ascii_uppercase + string.digits) for _ in range(n))


class P:
    """A planted PHI value (kind, literal text, sub-format tag)."""

    __slots__ = ("kind", "val", "tag")

    def __init__(self, kind: str, val: str, tag: str = "") -> None:
        self.kind, self.val, self.tag = kind, val, tag


class K:
    """A must-keep clinical term (category, literal text)."""

    __slots__ = ("cat", "val")

    def __init__(self, cat: str, val: str) -> None:
        self.cat, self.val = cat, val


class Doc:
    """Collects text pieces, planted PHI (P) and must-keep terms (K) in order, and renders
    them into a Note whose spans point at the planted values."""

    def __init__(self) -> None:
        self.parts: list[str | P | K] = []

    def __call__(self, *items: object) -> None:
        for it in items:
            if isinstance(it, tuple | list):
                self(*it)
            elif it is not None and it != "":
                self.parts.append(it)  # type: ignore[arg-type]

    def render(self, *, case: str = "", mangle: Callable[[str], str] | None = None) -> Note:
        """``case``: "" | "lower" | "upper" for everything; ``mangle``: applied to the
        plain text pieces only (typos, dropped punctuation), never to planted values."""
        out: list[str] = []
        phi: list[Span] = []
        keep: list[Span] = []
        pos = 0
        for it in self.parts:
            if isinstance(it, P | K):
                s = it.val
            else:
                s = mangle(it) if mangle else it
            if case == "lower":
                s = s.lower()
            elif case == "upper":
                s = s.upper()
            if isinstance(it, P):
                phi.append(Span(it.kind, pos, pos + len(s), it.tag))
            elif isinstance(it, K):
                keep.append(Span(it.cat, pos, pos + len(s), it.val))
            out.append(s)
            pos += len(s)
        return Note(text="".join(out), style="", phi=phi, keep=keep)


def build_notes(
    n: int,
    styles: dict[str, Callable[..., dict]],
    gen: object,
    new_doc: Callable[[], Doc],
    render: Callable[[Doc, dict], Note],
) -> list[Note]:
    """``n`` notes, the styles taken in turn; each style function fills a Doc and returns
    its render options ("case", ...), and the note's style records the case."""
    names = list(styles)
    notes: list[Note] = []
    for i in range(n):
        style = names[i % len(names)]
        d = new_doc()
        opts = styles[style](gen, d)
        note = render(d, opts)
        note.style = style + (f"/{opts['case']}" if opts.get("case") else "")
        notes.append(note)
    return notes
