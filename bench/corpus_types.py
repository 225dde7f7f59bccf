"""Data types shared by the synthetic text corpora (B, C, D): the corpora differ in what
they write, not in how a planted value is recorded."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    kind: str
    start: int
    end: int
    tag: str = ""


@dataclass
class Note:
    text: str
    style: str
    phi: list[Span] = field(default_factory=list)
    keep: list[Span] = field(default_factory=list)


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
