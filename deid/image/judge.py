"""Judge OCR'd text boxes: which ones hold PHI.

Three detectors vote (any one suffices, recall first):

1. :func:`deid.text.find_phi` on the OCR'd text, with boxes joined into lines in
   reading order (``"Name:"`` and ``"DOE JOHN"`` detected as two boxes are judged as
   one line ``"Name: DOE JOHN"``) and lines joined by newlines;
2. the case deny-list (``context.deny_terms()``: the patient's name and IDs learned from
   the DICOM header or the case text), matched fuzzily to absorb OCR errors
   (``J0HN`` for ``JOHN``, a dropped letter);
3. the label/pattern rules in ``data/pixel_text_rules.yaml`` (``DOB 03/12/1961``).

No text value leaves this module: results are kinds and scores per box index.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import yaml

from deid.core.context import CaseContext
from deid.core.errors import EngineUnavailable
from deid.core.policy import Policy
from deid.image.ocr import TextBox


@dataclass(frozen=True, slots=True)
class BoxVerdict:
    index: int  # index into the boxes judged
    kind: str
    score: float
    source: str  # "analyzer" | "deny_list" | "label" | "pattern"


@dataclass(frozen=True)
class _Rules:
    label_re: list[tuple[str, re.Pattern[str], re.Pattern[str]]]  # kind, label+value, label only
    patterns: list[tuple[str, re.Pattern[str]]]


@functools.lru_cache(maxsize=1)
def _rules() -> _Rules:
    raw = yaml.safe_load(
        resources.files("deid.image").joinpath("data/pixel_text_rules.yaml").read_text("utf-8")
    )
    labels = []
    for kind, words in raw["labels"].items():
        alt = "|".join(re.escape(str(w)) for w in sorted(words, key=len, reverse=True))
        with_value = re.compile(rf"(?:^|\b)(?:{alt})\s*[:#.=\-]?\s*\w{{2,}}", re.IGNORECASE)
        alone = re.compile(rf"^\W*(?:{alt})\W*$", re.IGNORECASE)
        labels.append((str(kind), with_value, alone))
    patterns = [
        (str(kind), re.compile(p, re.IGNORECASE)) for kind, ps in raw["patterns"].items() for p in ps
    ]
    return _Rules(labels, patterns)


# ---- deny-list fuzzy matching -----------------------------------------------------
_OCR_CONFUSABLE = str.maketrans({"0": "O", "1": "I", "L": "I", "|": "I", "5": "S", "8": "B", "$": "S"})


def _norm(s: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", s.upper())


def _norm_letters(s: str) -> str:
    return _norm(s).translate(_OCR_CONFUSABLE)


def _max_edits(n: int) -> int:
    # Names of 3-4 letters must match exactly (after confusable folding); longer ones
    # tolerate one OCR error per 5 characters.
    return 0 if n <= 4 else max(1, n // 5)


def _substring_distance(term: str, text: str) -> int:
    """Smallest edit distance between ``term`` and any substring of ``text`` (Sellers)."""
    if not term:
        return 0
    prev = [0] * (len(text) + 1)
    for i, tc in enumerate(term, 1):
        cur = [i] + [0] * len(text)
        for j, xc in enumerate(text, 1):
            cur[j] = min(prev[j - 1] + (tc != xc), prev[j] + 1, cur[j - 1] + 1)
        prev = cur
    return min(prev)


def deny_match(term: str, text: str) -> bool:
    """Does ``text`` contain ``term`` up to OCR noise? Case, spaces, punctuation ignored."""
    t, x = _norm(term), _norm(text)
    if len(t) < 3 or not x:
        return False
    if t in x:
        return True
    if t.isdigit():
        # Identifiers: digits must match exactly, but OCR may drop separators or read O/0.
        return t in _norm(text.upper().replace("O", "0").replace("I", "1").replace("L", "1"))
    tl, xl = _norm_letters(term), _norm_letters(text)
    if tl in xl:
        return True
    k = _max_edits(len(tl))
    if k == 0 or len(xl) < len(tl) - k:
        return False
    return _substring_distance(tl, xl) <= k


# ---- lines ------------------------------------------------------------------------
def group_lines(boxes: Sequence[TextBox]) -> list[list[int]]:
    """Indices of ``boxes`` grouped into lines (top to bottom, left to right)."""
    items = []
    for i, b in enumerate(boxes):
        ys = b.polygon[:, 1]
        items.append((float(ys.min()), float(ys.max()), float(b.polygon[:, 0].min()), i))
    items.sort(key=lambda t: (t[0] + t[1]) / 2)
    lines: list[list[tuple[float, float, float, int]]] = []
    for it in items:
        cy = (it[0] + it[1]) / 2
        for line in lines:
            top = min(t[0] for t in line)
            bot = max(t[1] for t in line)
            if top <= cy <= bot and (it[1] - it[0]) < 2.5 * (bot - top) + 1:
                line.append(it)
                break
        else:
            lines.append([it])
    return [[t[3] for t in sorted(line, key=lambda t: t[2])] for line in lines]


def judge_boxes(
    boxes: Sequence[TextBox],
    policy: Policy,
    context: CaseContext | None,
    *,
    use_analyzer: bool = True,
) -> list[BoxVerdict]:
    """Verdicts for the boxes that hold PHI (at most one per box: the strongest)."""
    min_score = policy.image.ocr_min_score
    usable = [i for i, b in enumerate(boxes) if b.text.strip() and b.score >= min_score]
    verdicts: dict[int, BoxVerdict] = {}

    def vote(i: int, kind: str, score: float, source: str) -> None:
        old = verdicts.get(i)
        if old is None or score > old.score:
            verdicts[i] = BoxVerdict(i, kind, score, source)

    # 1. deny-list (the strongest evidence: we know this value belongs to the patient)
    terms = context.deny_terms() if context is not None else []
    terms = terms + [("PERSON", t) for t in policy.text.deny_list]
    for i in usable:
        for kind, term in terms:
            if deny_match(term, boxes[i].text):
                vote(i, kind, 1.0, "deny_list")
                break

    # 2. labels and patterns, line by line
    rules = _rules()
    lines = group_lines([boxes[i] for i in usable])
    lines = [[usable[j] for j in line] for line in lines]
    for line in lines:
        for pos, i in enumerate(line):
            text = boxes[i].text
            for kind, pat in rules.patterns:
                if pat.search(text):
                    vote(i, kind, 0.9, "pattern")
            for kind, with_value, alone in rules.label_re:
                if alone.match(text):
                    if pos + 1 < len(line):
                        vote(line[pos + 1], kind, 0.8, "label")
                elif with_value.search(text):
                    vote(i, kind, 0.8, "label")

    # 3. the text analyzer on the lines, with span -> box mapping
    if use_analyzer and lines:
        doc_parts: list[str] = []
        spans: list[tuple[int, int, int]] = []  # start, end, box index
        pos = 0
        for line in lines:
            for k, i in enumerate(line):
                if k:
                    doc_parts.append(" ")
                    pos += 1
                t = " ".join(boxes[i].text.split())
                spans.append((pos, pos + len(t), i))
                doc_parts.append(t)
                pos += len(t)
            doc_parts.append("\n")
            pos += 1
        doc = "".join(doc_parts)
        try:
            from deid.text import find_phi

            detections = find_phi(doc, policy, context)
        except EngineUnavailable:
            raise
        except Exception as exc:  # the analyzer is required: no silent fallback
            raise EngineUnavailable(f"text analyzer unavailable for OCR text ({type(exc).__name__})") from None
        for d in detections:
            if d.kind in policy.text.keep_kinds:
                continue
            for start, end, i in spans:
                if start < d.end and d.start < end:
                    vote(i, d.kind, float(d.score), "analyzer")
    return sorted(verdicts.values(), key=lambda v: v.index)


# ---- safe annotation (kept vocabulary) ---------------------------------------------
@dataclass(frozen=True)
class _Annotation:
    words: frozenset[str]
    measurement: re.Pattern[str]


@functools.lru_cache(maxsize=1)
def _annotation() -> _Annotation:
    raw = yaml.safe_load(
        resources.files("deid.image").joinpath("data/annotation_vocabulary.yaml").read_text("utf-8")
    )
    words: set[str] = set()
    for key, values in raw.items():
        if key in ("edition", "measurement"):
            continue
        words.update(str(v).lower() for v in values)
    measurement = re.compile("|".join(f"(?:{p})" for p in raw["measurement"]), re.IGNORECASE)
    return _Annotation(frozenset(words), measurement)


_STRIP = ".,:;()[]{}'\"<>"
# Bare digits a kept box may hold in all (scale numbers, a measurement or two): more
# than this is an identifier split by spaces ("123 45 6789").
_MAX_BARE_DIGITS = 6


def annotation_safe(text: str) -> bool:
    """Is every token of ``text`` safe annotation (kept vocabulary or a measurement)?

    Empty or unreadable text is not safe: what cannot be read cannot be known safe.
    """
    rules = _annotation()
    tokens = [t.strip(_STRIP) for t in text.split()]
    tokens = [t for t in tokens if t]
    if not tokens or not any(ch.isalnum() for ch in text):
        return False
    digits = 0
    for tok in tokens:
        low = tok.lower()
        if low in rules.words:
            continue
        if rules.measurement.fullmatch(low):
            if low.isdigit():
                digits += len(low)
            continue
        return False
    return digits <= _MAX_BARE_DIGITS
