"""Known-safe vocabulary: is a word known to be no name and no place?

"Safe by construction" for text: a word where a name or a place can stand is kept only
when it is known to be safe. This module answers that question with set lookups over
data files built by ``scripts/build_vocabulary.py`` (sources and licences are recorded
in the files' headers and in ``deid/text/data/README.md``):

* ``vocab_safe.txt.gz``        SAFE: English words, medical terms, drugs, abbreviations,
                               units that are in no name or place list;
* ``vocab_openmedspel.txt.gz`` SAFE words known only from OpenMedSpel (GPL-3+); optional -
                               the module works without it;
* ``vocab_ambiguous.txt``      AMBIGUOUS: in a name/place list *and* an everyday or
                               medical word ("bill", "rose", "baker"): context decides;
* ``vocab_names.txt.gz``       the person-name lists behind :func:`is_name_like`;
* ``clinical_abbreviations.txt`` curated shorthand with punctuation ("w/", "c/o", "s/p").

Everything else is UNKNOWN. The data load once per process, lazily, on first use; the
module imports nothing heavy (no spaCy, no Presidio) and no other part of ``deid.text``.
"""

from __future__ import annotations

import enum
import gzip
import re
from collections.abc import Iterator
from functools import cache, lru_cache
from pathlib import Path

__all__ = ["WordClass", "all_safe", "classify", "is_derived", "is_name_like", "is_safe", "is_shorthand", "is_truncation", "word_tokens"]

_DATA = Path(__file__).parent / "data"


class WordClass(enum.Enum):
    """How much a word is known to be no name and no place."""

    SAFE = "safe"
    AMBIGUOUS = "ambiguous"
    UNKNOWN = "unknown"


_RANK = {WordClass.SAFE: 0, WordClass.AMBIGUOUS: 1, WordClass.UNKNOWN: 2}

# Numbers with an optional unit or sequence letters ("5", "3.0T", "10mg", "T2", "b1000",
# "L4-5", "C5-C6", "x3"). At most 4 digits in a row: longer runs are identifiers, phone
# numbers or ZIP codes, never "safe vocabulary".
_NUMERIC = re.compile(
    r"^(?:[a-z]{0,4}\d{1,4}(?:[.,]\d{1,3})?[a-z%°*+]{0,5})(?:-[a-z]{0,2}\d{1,4}[a-z]{0,3})?$"
)
# Digits joined by / . - (dates, ratios, phone fragments): never safe by vocabulary.
_DATE_LIKE = re.compile(r"(?<![\w.])\d{1,4}\s*[/.\-]\s*\d{1,4}(?:\s*[/.\-]\s*\d{1,4})?")
_DECIMAL = re.compile(r"^\d{1,4}\.\d{1,3}$")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})
# DICOM descriptors join words with "_" ("t1_mprage_sag") and "^" (code meanings)
_DESCRIPTOR_SEPARATORS = str.maketrans({"_": " ", "^": " "})
# Word tokens for all_safe(): letters/digits with inner ' . - * + % and a trailing '/';
# separators are everything else.
_TOKEN = re.compile(r"[^\W_][\w'.*+%°]*(?:[-/][\w'.*+%°]+)*/?|[^\W\d_]/", re.UNICODE)


@cache
def _load_gz(name: str) -> frozenset[str]:
    path = _DATA / name
    if not path.exists():
        return frozenset()
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return frozenset(ln.strip() for ln in fh if ln.strip() and not ln.startswith("#"))


@cache
def _load_txt(name: str) -> frozenset[str]:
    path = _DATA / name
    text = path.read_text(encoding="utf-8")
    return frozenset(ln.strip().casefold() for ln in text.splitlines() if ln.strip() and not ln.startswith("#"))


@cache
def _safe_words() -> frozenset[str]:
    return _load_gz("vocab_safe.txt.gz") | _load_gz("vocab_openmedspel.txt.gz")


def _ambiguous_words() -> frozenset[str]:
    return _load_txt("vocab_ambiguous.txt")


def _names() -> frozenset[str]:
    return _load_gz("vocab_names.txt.gz")


def _shorthand() -> frozenset[str]:
    return _load_txt("clinical_abbreviations.txt")


def _lookup(word: str) -> WordClass:
    if word in _safe_words():
        return WordClass.SAFE
    if word in _ambiguous_words():
        return WordClass.AMBIGUOUS
    return WordClass.UNKNOWN


def _stems(word: str) -> Iterator[str]:
    """Candidate stems of an inflected form (plural, -ed, -ing), most specific first."""
    if len(word) < 4:
        return
    if word.endswith("ies"):
        yield word[:-3] + "y"
    if word.endswith("es"):
        yield word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        yield word[:-1]
    for suffix in ("ed", "ing"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            yield stem
            yield stem + "e"
            if len(stem) >= 2 and stem[-1] == stem[-2]:
                yield stem[:-1]  # "stopped" -> "stop"
            if stem.endswith("i"):
                yield stem[:-1] + "y"  # "carried" -> "carry"


# Prefixes of clinical word formation ("retaped", "nonpurposeful", "overbreathing").
_PREFIXES = ("non", "re", "un", "pre", "post", "over", "under", "sub", "hyper", "hypo", "anti", "de", "dis",
             "mis", "semi", "multi", "inter", "intra", "peri", "trans", "extra", "self", "co", "bi")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_APOSTROPHE_SUFFIXES = ("'s", "'d", "'ed", "'ing", "'ng", "'t")


def _edits1(word: str, substitute: bool = True) -> Iterator[str]:
    """Every string one deletion, transposition, substitution or insertion away."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    for a, b in splits:
        if b:
            yield a + b[1:]
        if len(b) > 1:
            yield a + b[1] + b[0] + b[2:]
        for c in _LETTERS:
            if b and substitute:
                yield a + c + b[1:]
            yield a + c + b


# A misspelling is recognised only in words of at least this many letters: on the real
# development notes one edit from a SAFE word of >= 6 letters also reached 17 of 148
# unknown name/place tokens (surnames one letter from a word), >= 7 reached 8, >= 8 none,
# while still recovering 1,226 of 2,886 unknown clinical tokens.
_TYPO_MIN_LEN = 8
# Without substitutions (a letter left out, added or swapped) words of >= 6 letters: on
# the same notes this reached 4 of 198 unknown name/place tokens of >= 5 letters that are
# in no name list, and 283 of 892 unknown non-PHI tokens.
_TYPO_SHORT_MIN_LEN = 6


def _derived(word: str) -> bool:
    """A prefix + SAFE word ("retaped"), or a misspelling: one edit from a SAFE word
    ("recieved"), for words of >= ``_TYPO_MIN_LEN`` letters.

    Only for words of >= 6 letters that are in no name list; such a word is AMBIGUOUS,
    never SAFE: it is probably clinical writing, but not known to be.
    """
    if len(word) < 6 or not word.isalpha() or word in _names():
        return False
    safe = _safe_words()
    for prefix in _PREFIXES:
        rest = word[len(prefix):]
        if word.startswith(prefix) and len(rest) >= 4 and (rest in safe or any(s in safe for s in _stems(rest))):
            return True
    if len(word) < _TYPO_MIN_LEN:
        # shorter words: a letter left out, doubled or swapped ("apetite", "fetanyl"),
        # never a letter changed (most one-letter changes of a word are some surname)
        return any(len(cand) >= _TYPO_SHORT_MIN_LEN and cand in safe for cand in _edits1(word, substitute=False))
    return any(len(cand) >= _TYPO_MIN_LEN and cand in safe for cand in _edits1(word))


def _known(word: str) -> WordClass | None:
    """The class of a word listed as it stands (or empty), else None."""
    if not word:
        return WordClass.SAFE
    found = _lookup(word)
    if found is not WordClass.UNKNOWN:
        return found
    return WordClass.SAFE if word in _shorthand() else None


def _classify_word(word: str) -> WordClass:
    """One lower-case token without hyphens."""
    known = _known(word)
    if known is not None:
        return known
    if any(ch.isdigit() for ch in word):
        if word.endswith("'s"):  # "70's", "80's"
            word = word[:-2]
        return WordClass.SAFE if _NUMERIC.match(word) else WordClass.UNKNOWN
    if word.endswith("s'"):
        return _classify_word(word[:-1])
    if "'" in word:
        # "patient's", "sxn'd", "x's", "con't": the part before an inflection, or the
        # word without its apostrophe; "o'brien" is neither
        for suffix in _APOSTROPHE_SUFFIXES:
            if word.endswith(suffix) and len(word) > len(suffix):
                found = classify(word[: -len(suffix)])
                if found is not WordClass.UNKNOWN:
                    return found
        joined = word.replace("'", "")
        found = _lookup(joined) if joined not in _names() else WordClass.UNKNOWN
        if found is not WordClass.UNKNOWN or joined in _shorthand():
            return found if found is not WordClass.UNKNOWN else WordClass.SAFE
        return WordClass.UNKNOWN
    word = word.strip(".")
    if word in _names():
        # a listed name never becomes safe by looking like an inflected word
        return WordClass.UNKNOWN
    for stem in _stems(word):
        found = _lookup(stem)
        if found is not WordClass.UNKNOWN:
            return found
    return WordClass.AMBIGUOUS if _derived(word) else WordClass.UNKNOWN


@lru_cache(maxsize=65536)
def classify(token: str) -> WordClass:
    """Classify one word token (case-insensitive).

    Handles possessives ("Foley's"), hyphenated compounds (every part safe -> SAFE; the
    worst part decides otherwise), numbers with units ("10mg", "3.0T", "T2"), and plural,
    -ed and -ing forms of known stems. A word in a person-name list is never promoted by
    stripping a suffix ("Williams" is not "william" + s, "Banks" is AMBIGUOUS at best).
    A single letter is AMBIGUOUS: it may be an initial; context decides. A word in no
    name list that is a prefix plus a SAFE word ("retaped") or, with eight or more
    letters, one edit away from a SAFE word ("extremeties") is AMBIGUOUS.
    """
    word = token.translate(_APOSTROPHES).casefold().strip()
    word = word.strip(".,;:!?()[]{}\"")
    known = _known(word)
    if known is not None:
        return known
    if len(word) == 1:
        return WordClass.SAFE if word.isdigit() else WordClass.AMBIGUOUS
    if _DECIMAL.match(word):
        return WordClass.SAFE
    if "-" in word or "/" in word:
        parts = [p for p in re.split(r"[-/]", word) if p]
        if not parts:
            return WordClass.SAFE
        worst = WordClass.SAFE
        for part in parts:
            # a letter inside a compound is shorthand ("u/o", "a/c", "p-7a"), not an initial
            c = WordClass.SAFE if len(part) == 1 else _classify_word(part)
            if _RANK[c] > _RANK[worst]:
                worst = c
        return worst
    return _classify_word(word)


def is_safe(token: str) -> bool:
    """True when the token is SAFE or AMBIGUOUS (a known word; context may still make it a name)."""
    return classify(token) is not WordClass.UNKNOWN


@cache
def _sorted_safe() -> list[str]:
    return sorted(_safe_words())


@lru_cache(maxsize=16384)
def is_truncation(token: str) -> bool:
    """True when the token, in no name list, is the start of a longer SAFE word: nursing
    shorthand cut from a word ("ceft", "zarox", "expir", "antb"). On the real development
    notes no unknown word after a weak person cue ("with", "to", "and") that was PHI had
    this shape; 39 that were not PHI had."""
    import bisect

    word = token.translate(_APOSTROPHES).casefold().strip(".,;:!?()[]{}\"' ")
    if len(word) < 3 or not word.isalpha() or word in _names():
        return False
    words = _sorted_safe()
    i = bisect.bisect_left(words, word)
    while i < len(words) and words[i].startswith(word):
        if len(words[i]) >= len(word) + 2:
            return True
        i += 1
    return False


def is_shorthand(token: str) -> bool:
    """True when the token is in the curated clinical abbreviations (``clinical_abbreviations.txt``)."""
    return token.translate(_APOSTROPHES).casefold().strip(".,;:!?()[]{}\"' ") in _shorthand()


def is_derived(token: str) -> bool:
    """True when the token is AMBIGUOUS only because it looks like a misspelt or prefixed
    SAFE word ("recieved", "apetite", "retaped"), not because a name or place list holds it."""
    word = token.translate(_APOSTROPHES).casefold().strip(".,;:!?()[]{}\"' ")
    return (classify(word) is WordClass.AMBIGUOUS and word not in _ambiguous_words() and word not in _names()
            and _derived(word))


def is_name_like(token: str) -> bool:
    """True when the token (possessive stripped, case-insensitive) is in a person-name list."""
    word = token.translate(_APOSTROPHES).casefold().strip(".,;:!?()[]{}\"' ")
    if word.endswith("'s"):
        word = word[:-2]
    return word in _names()


def word_tokens(text: str) -> list[str]:
    """The word tokens of a short text as :func:`all_safe` sees them."""
    return _TOKEN.findall(text.translate(_APOSTROPHES).translate(_DESCRIPTOR_SEPARATORS))


def all_safe(text: str) -> bool:
    """True when every word of a short text (a DICOM descriptor) is SAFE.

    Meant for texts such as "CT CHEST W CONTRAST", "AX T2 FLAIR", "MR BRAIN WO/W
    CONTRAST": words must be SAFE (not AMBIGUOUS, not UNKNOWN); numbers, units, sequence
    names and single letters (laterality "L"/"R", "W" for with) are accepted. Anything
    shaped like a date or a long number makes the text not safe, so that it goes through
    the full text engine instead.
    """
    folded = text.translate(_APOSTROPHES).translate(_DESCRIPTOR_SEPARATORS)
    for match in _DATE_LIKE.finditer(folded):
        if not _DECIMAL.match(match.group(0)):
            return False
    for tok in word_tokens(folded):
        low = tok.casefold().rstrip(".")
        if low in _shorthand() or classify(low) is WordClass.SAFE:
            continue
        # "WO/W", "PA/LAT", "W-WO": every part safe; single letters ("W", "L", "R") are fine
        parts = [p for p in re.split(r"[-/]", low) if p]
        if not parts or not all(len(p) == 1 or classify(p) is WordClass.SAFE for p in parts):
            return False
    return True
