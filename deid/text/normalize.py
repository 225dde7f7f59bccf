"""The normalised view of a text that detection runs on, with a map back to the input.

An attacker (or a copy-paste from a PDF) can hide a name from a detector without
changing what a reader sees: a format character before it (U+200E, U+FEFF, U+202E)
switches case and word tests off, a zero-width space or a soft hyphen inside it splits
it into fragments no list knows, a hyphenated line wrap ("Quex-\\nwright") cuts it in
two. Detection therefore runs on a view in which

* invisible characters are gone: every format character (Unicode category Cf: soft
  hyphen, zero-width space/joiners, direction marks and overrides, BOM, word joiner)
  and the invisible fillers that are letters by category (Hangul fillers, CGJ);
* each character (with its combining marks) is NFKC-normalised: full-width letters,
  ligatures, no-break spaces become what they look like;
* a hyphen at a line end between two letters is joined ("Quex-\\nwright" ->
  "Quexwright").

Each view character remembers the input range it came from, so a span found in the
view maps back to the input span that covers it (invisible characters inside a name
are inside the mapped span). The scrubbed output drops every invisible character
(:func:`strip_invisible`), so none survives next to a replacement either.

ASCII text without a line-wrap hyphen is its own view (no arrays built): most notes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import regex

# letters and marks by category that render as nothing
_INVISIBLE_EXTRA = frozenset("\u034f\u115f\u1160\u3164\uffa0\u17b4\u17b5")
_INVISIBLE = regex.compile(r"[\p{Cf}\u034f\u115f\u1160\u3164\uffa0\u17b4\u17b5]")
_WRAP = re.compile(r"(?<=[^\W\d_])-[ \t]*\r?\n[ \t]*(?=[^\W\d_])")


def is_invisible(ch: str) -> bool:
    """A character that renders as nothing: category Cf or an invisible filler."""
    return ch in _INVISIBLE_EXTRA or (ch >= "\u00ad" and unicodedata.category(ch) == "Cf")


def strip_invisible(text: str) -> str:
    """``text`` without invisible characters (the output never carries them)."""
    if text.isascii() or _INVISIBLE.search(text) is None:
        return text
    return _INVISIBLE.sub("", text)


@dataclass(frozen=True, slots=True)
class View:
    """The normalised view of ``original``; ``starts[i]:ends[i]`` is the input range of
    view character ``i`` (empty lists: the view is the input itself)."""

    original: str
    text: str
    starts: tuple[int, ...] = ()
    ends: tuple[int, ...] = ()

    @property
    def identity(self) -> bool:
        return not self.starts

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The input span covering view span ``[start, end)``."""
        if self.identity:
            return start, end
        if end <= start:
            pos = self.starts[start] if start < len(self.starts) else len(self.original)
            return pos, pos
        return self.starts[start], self.ends[end - 1]


def normalized_view(text: str) -> View:
    """Build the view (see the module docstring)."""
    wraps = [m.span() for m in _WRAP.finditer(text)] if "-" in text else []
    if not wraps and (text.isascii() or (
            unicodedata.is_normalized("NFKC", text) and _INVISIBLE.search(text) is None)):
        return View(text, text)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    wrap_at = {s: e for s, e in wraps}
    i, n = 0, len(text)
    while i < n:
        skip = wrap_at.get(i)
        if skip is not None:
            i = skip
            continue
        ch = text[i]
        if is_invisible(ch):
            i += 1
            continue
        j = i + 1
        # a base character with its combining marks normalises as one cluster
        while j < n and not text[j].isascii() and unicodedata.category(text[j]).startswith("M") and not is_invisible(text[j]):
            j += 1
        cluster = text[i:j]
        norm = cluster if cluster.isascii() else unicodedata.normalize("NFKC", cluster)
        for c in norm:
            if is_invisible(c):
                continue
            out.append(c)
            starts.append(i)
            ends.append(j)
        i = j
    # a name split by an invisible character: the view joins its parts, and the input
    # range of the joined span runs over the invisible character (starts/ends above)
    return View(text, "".join(out), tuple(starts), tuple(ends))
