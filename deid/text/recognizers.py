"""Recognizers for clinical text, built from the data files in ``deid/text/data``.

All of them are Presidio ``EntityRecognizer`` subclasses, so they plug into a Presidio
``AnalyzerEngine`` like its own. The rules live in data files:

* ``patterns.yaml``           regexes with a ``phi`` group marking the span to replace;
* ``street_suffixes.txt``,
  ``institution_suffixes.txt`` spliced into the address and institution patterns;
* ``first_names.tsv``, ``surnames.tsv``, ``cities.tsv`` gazetteers (with an ambiguity
  flag for entries that are also common English words);
* ``medical_terms.txt``       words never PHI alone (eponyms, drugs, abbreviations).
"""

from __future__ import annotations

import functools
import re as _re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import regex
import yaml
from presidio_analyzer import EntityRecognizer, RecognizerResult

DATA = resources.files("deid.text") / "data"

_FLAG_DEFAULT = regex.IGNORECASE | regex.MULTILINE
_FLAG_CASE = regex.MULTILINE


def _read_lines(name: str) -> list[str]:
    text = (DATA / name).read_text(encoding="utf-8")
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


@functools.cache
def medical_terms() -> frozenset[str]:
    return frozenset(t.casefold() for t in _read_lines("medical_terms.txt"))


@dataclass(frozen=True)
class Gazetteer:
    """Lower-cased entries; ``ambiguous`` are also common English words."""

    clear: frozenset[str]
    ambiguous: frozenset[str]

    def __contains__(self, word: str) -> bool:
        w = word.casefold()
        return w in self.clear or w in self.ambiguous

    def is_clear(self, word: str) -> bool:
        return word.casefold() in self.clear


@functools.cache
def gazetteer(name: str) -> Gazetteer:
    clear: set[str] = set()
    amb: set[str] = set()
    for line in _read_lines(name):
        word, _, flag = line.partition("\t")
        (amb if flag.strip() == "1" else clear).add(word)
    return Gazetteer(frozenset(clear), frozenset(amb))


@dataclass(frozen=True)
class PatternSpec:
    name: str
    entity: str
    score: float
    regexes: tuple[Any, ...]  # compiled `re`/`regex` patterns
    # per regex: lower-case substrings of which one must occur for it to be tried
    # (a cheap prefilter; empty = always try)
    requires: tuple[tuple[str, ...], ...] = ()
    # per regex: the zero-width assertion split off its start (see _split_lead), or None
    leads: tuple[Any, ...] = ()
    sources: tuple[str, ...] = ()  # the full pattern texts, macros spliced in
    flags: int = 0


def _alternation(words: Iterable[str]) -> str:
    """Longest first, grouped by first character ("S(?:treet|t)|A(?:venue|ve)"): the
    regex engine then tries one group per position instead of every word (a flat list
    of 400 street types cost more than the rest of the pattern)."""
    groups: dict[str, list[str]] = {}
    for w in sorted(set(words), key=lambda w: (-len(w), w)):
        groups.setdefault(w[0], []).append(w[1:])

    def esc(w: str) -> str:
        return regex.escape(w).replace("\\ ", r"\s+")

    parts = []
    for head, tails in groups.items():
        body = "|".join(esc(t) for t in tails)
        parts.append(esc(head) + ("(?:" + body + ")" if body != "" else ""))
    return "(?:" + "|".join(parts) + ")"


def _compile(pat: str, flags: int) -> Any:
    """Compile with the standard ``re`` when it can (about twice as fast on these
    patterns), else with ``regex`` (Unicode properties such as \\p{Lu})."""
    try:
        return _re.compile(pat, int(flags))
    except _re.error:
        return regex.compile(pat, flags)


def _structure(pat: str, start: int = 0) -> Iterable[tuple[int, str, int]]:
    """(index, character, group depth before it) of each group bracket and "|" in a
    pattern, skipping escapes and character classes."""
    depth, in_class, i = 0, False, start
    while i < len(pat):
        ch = pat[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if pat[i + 1 : i + 2] == "^":
                i += 1
            if pat[i + 1 : i + 2] == "]":
                i += 1  # a literal "]" first in a class
        elif ch in "()|":
            yield i, ch, depth
            depth += 1 if ch == "(" else -1 if ch == ")" else 0
        i += 1


def _closing(pat: str, i: int) -> int:
    """Index just past the group that opens at ``pat[i]``."""
    for k, ch, depth in _structure(pat, i):
        if ch == ")" and depth == 1:
            return k + 1
    raise ValueError("unbalanced group")


def _has_top_level_bar(pat: str) -> bool:
    return any(ch == "|" and depth == 0 for _k, ch, depth in _structure(pat))


_LEAD = _re.compile(r"\\b|\(\?<[!=]")


def _split_lead(pat: str) -> tuple[str, str, str] | None:
    """Split a leading zero-width assertion off a pattern: ``\\b...`` or ``(?<![\\w])...``,
    also inside a leading ``(?i:`` group. Returns (rest, assertion, flags prefix).

    Why: a pattern that starts with an assertion gets none of the regex engine's
    first-character scanning, so it is tried at every position of the text; without the
    assertion it runs 3-10x faster. ``_iter_matches`` then checks the assertion at each
    match start, which finds exactly the matches of the original pattern (an assertion
    at the start constrains only the start position). Tested against the originals.
    """
    prefix = ""
    body = pat
    if body.startswith("(?i:"):
        prefix, body = "(?i:", body[4:]
    m = _LEAD.match(body)
    if not m:
        return None
    end = 2 if m.group() == "\\b" else _closing(body, 0)
    assertion, rest = body[:end], body[end:]
    if rest.startswith(("*", "+", "?", "{", "|")) or rest.startswith(")") and not prefix:
        return None
    if prefix:
        # the (?i: group must close after an alternation-free body: "(?i:\\bA|B)" is not ours to split
        close = _closing("(" + rest, 0) - 1
        inner = rest[: close - 1]
        if _has_top_level_bar(inner):
            return None
    elif _has_top_level_bar(rest):
        return None
    return prefix + rest, assertion, prefix


def _compile_fast(pat: str, flags: int) -> tuple[Any, Any]:
    """(pattern, leading assertion or None); both compiled by the same module."""
    split = _split_lead(pat)
    full = _compile(pat, flags)
    if split is None:
        return full, None
    rest, assertion, prefix = split
    if not isinstance(full, _re.Pattern) or not _scans_fast(rest, flags):
        return full, None
    try:
        fast = _re.compile(rest, flags)
        lead = _re.compile(prefix + assertion + (")" if prefix else ""), flags)
    except _re.error:
        return full, None
    return fast, lead


def _scans_fast(pat: str, flags: int) -> bool:
    """Whether ``re`` can skip ahead to candidate starts of ``pat``: it begins with one
    character or class, a run of two or more digits, or the compiler found a
    literal/charset prefix. Measured on the bench corpora: such patterns run 1.2-20x
    faster split; patterns that begin with an alternation of words, an optional part or
    a run of letters run 1.5-2.7x slower split, so they stay whole. Reads the compiled program through ``re``'s private compiler: when that is
    not available (another Python), nothing is split, which is only slower.
    """
    try:
        from re import _compiler, _constants, _parser  # type: ignore[attr-defined]

        code = _compiler._code(_parser.parse(pat, flags), flags)
        if code[0] != _constants.INFO:
            return False
        if code[2] & (_constants.SRE_INFO_PREFIX | _constants.SRE_INFO_CHARSET):
            return True
        i = code[1] + 1
        while code[i] == _constants.MARK:
            i += 2
        op = code[i]
        if op in (_constants.LITERAL, _constants.LITERAL_IGNORE, _constants.LITERAL_UNI_IGNORE,
                  _constants.IN, _constants.IN_IGNORE, _constants.IN_UNI_IGNORE):
            return True
        # a run of at least two digits ("\\d{3}-\\d{2}"); runs of letters or of one digit
        # start almost everywhere, and split they ran slower
        return (
            op in (_constants.REPEAT_ONE, _constants.MIN_REPEAT_ONE)
            and code[i + 2] >= 2
            and code[i + 4] == _constants.IN
            and code[i + 6] == _constants.CATEGORY
            and code[i + 7] == _constants.CATEGORY_UNI_DIGIT
        )
    except Exception:  # noqa: BLE001 - a private API; any surprise means "do not split"
        return False


def iter_matches(rx: Any, lead: Any, text: str) -> Iterable[Any]:
    """``rx.finditer(text)`` for a pattern whose leading assertion ``lead`` was split off."""
    if lead is None:
        yield from rx.finditer(text)
        return
    pos, n = 0, len(text)
    while pos <= n:
        m = rx.search(text, pos)
        if m is None:
            return
        s, e = m.span()
        if lead.match(text, s) is None:
            pos = s + 1
            continue
        yield m
        pos = e if e > s else s + 1


@functools.cache
def load_patterns() -> tuple[PatternSpec, ...]:
    """Compile ``patterns.yaml`` once per process."""
    spec = yaml.safe_load((DATA / "patterns.yaml").read_text(encoding="utf-8"))
    macros: dict[str, str] = dict(spec.get("macros", {}))
    macros["STREET_SUFFIX"] = _alternation(_read_lines("street_suffixes.txt"))
    macros["INSTITUTION_SUFFIX"] = _alternation(_read_lines("institution_suffixes.txt"))
    macros["STREET_SUFFIX_UPPER"] = _alternation(w.upper() for w in _read_lines("street_suffixes.txt"))
    macros["STREET_SUFFIX_LOWER"] = _alternation(w.lower() for w in _read_lines("street_suffixes.txt"))
    macros["INSTITUTION_SUFFIX_UPPER"] = _alternation(w.upper() for w in _read_lines("institution_suffixes.txt"))
    out = []
    for rec in spec["recognizers"]:
        flags = _FLAG_CASE if rec.get("case_sensitive") else _FLAG_DEFAULT
        compiled, requires, leads, sources = [], [], [], []
        for item in rec["patterns"]:
            pat = item["re"] if isinstance(item, dict) else item
            need = tuple(str(r).lower() for r in item.get("requires", ())) if isinstance(item, dict) else ()
            need = need or tuple(str(r).lower() for r in rec.get("requires", ()))
            for key, val in macros.items():
                pat = pat.replace("{" + key + "}", val)
            fast, lead = _compile_fast(pat, flags)
            compiled.append(fast)
            leads.append(lead)
            requires.append(need)
            sources.append(pat)
        out.append(PatternSpec(rec["name"], rec["entity"], float(rec["score"]), tuple(compiled),
                               tuple(requires), tuple(leads), tuple(sources), int(flags)))
    return tuple(out)


def _result(entity: str, start: int, end: int, score: float, name: str) -> RecognizerResult:
    return RecognizerResult(
        entity_type=entity,
        start=start,
        end=end,
        score=score,
        # Only the name: Presidio adds the recognizer's id, which it uses to route results.
        recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: name},
    )


class ClinicalPatternRecognizer(EntityRecognizer):
    """All regex rules of ``patterns.yaml`` in one recognizer (one pass per rule)."""

    def __init__(self) -> None:
        self.specs = load_patterns()
        entities = sorted({s.entity for s in self.specs})
        super().__init__(supported_entities=entities, name="ClinicalPatternRecognizer")

    def load(self) -> None:  # patterns are compiled in __init__
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        wanted = set(entities) if entities else None
        results: list[RecognizerResult] = []
        lowered = text.lower()
        for spec in self.specs:
            if wanted is not None and spec.entity not in wanted:
                continue
            for rx, need, lead in zip(spec.regexes, spec.requires, spec.leads, strict=True):
                if need and not any(n in lowered for n in need):
                    continue
                has_group = "phi" in rx.groupindex
                for m in iter_matches(rx, lead, text):
                    start, end = m.span("phi") if has_group else m.span()
                    if start < 0:
                        continue
                    # trim trailing punctuation the pattern may have swallowed
                    while end > start and text[end - 1] in " .,;:":
                        end -= 1
                    if end > start:
                        results.append(_result(spec.entity, start, end, spec.score, spec.name))
        return results


_WORD = _re.compile(r"[^\W\d_](?:[^\W\d_]|['’\-])*")
_TITLES = frozenset(
    "dr doctor mr mrs ms miss mx prof nurse the a an and or of in on at to for with by from "
    "patient pt he she his her they their was is has had no not yes".split()
)


class NameGazetteerRecognizer(EntityRecognizer):
    """Names from first-name and surname lists, where NER often misses them.

    * "John Smith" (first + surname, capitalised)        -> 0.8
    * "john smith" (both unambiguous, lower case)        -> 0.6
    * "Smith, John"                                      -> 0.8
    * "Jane" alone (unambiguous first name, capitalised) -> 0.5
    * "Okafor" alone (unambiguous surname, capitalised)  -> 0.4
    Entries that are also common English words ("Hope", "Will", "Brown") only count
    when the other half of the pair is a known name.
    """

    def __init__(self) -> None:
        self.first = gazetteer("first_names.tsv")
        self.last = gazetteer("surnames.tsv")
        self.vocab = medical_terms()
        super().__init__(supported_entities=["PERSON"], name="NameGazetteerRecognizer")

    def load(self) -> None:
        pass

    def _clean(self, w: str) -> str:
        w = w.rstrip("'’")
        if w.endswith(("'s", "’s")):
            w = w[:-2]
        return w

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        if entities and "PERSON" not in entities:
            return []
        words = [(m.start(), m.end(), self._clean(m.group())) for m in _WORD.finditer(text)]
        out: list[RecognizerResult] = []
        first, last, vocab = self.first, self.last, self.vocab
        n = len(words)
        i = 0
        while i < n:
            s, e, w = words[i]
            lw = w.casefold()
            if lw in vocab and lw in last and i + 1 < n and text[e : words[i + 1][0]] in (", ", ",") and (
                w[:1].isupper() and first.is_clear(words[i + 1][2].casefold()) and words[i + 1][2][:1].isupper()
            ):
                # "Johnson, Michael", "Wilson, Irene": an eponym surname before a listed first name
                out.append(_result("PERSON", s, words[i + 1][1], 0.8, type(self).__name__))
                i += 2
                continue
            if lw in _TITLES or lw in vocab or len(w) < 2:
                i += 1
                continue
            # Capitalised, or ALL CAPS (triage notes, headers) when long enough not to be
            # an abbreviation: "ROBERTS, TANYA".
            cap = w[0].isupper() and (not w.isupper() or len(w) >= 3)
            nxt = words[i + 1] if i + 1 < n and words[i + 1][0] - e <= 2 else None
            if nxt is not None:
                s2, e2, w2 = nxt
                gap = text[e:s2]
                cap2 = w2[0].isupper() and (not w2.isupper() or len(w2) >= 3)
                lw2 = w2.casefold()
                # (not over a line break in capitals: "KIND REGARDS - LORENZA\nHANDOVER ...")
                if gap.strip() == "" and lw2 not in vocab and lw2 not in _TITLES and not ("\n" in gap and w2.isupper()):
                    if cap and cap2 and lw in first and (lw2 in last or first.is_clear(lw) and lw2 not in first.ambiguous):
                        # First Last (also First Unknown-capitalised when the first is clear)
                        out.append(_result("PERSON", s, e2, 0.8, type(self).__name__))
                        i += 2
                        continue
                    if (not cap and not cap2 and w.islower() and w2.islower()
                            and first.is_clear(lw) and last.is_clear(lw2)):
                        out.append(_result("PERSON", s, e2, 0.6, type(self).__name__))
                        i += 2
                        continue
                if gap.strip() == "," and cap and cap2 and (last.is_clear(lw) or lw in last and first.is_clear(lw2)) and lw2 in first:
                    out.append(_result("PERSON", s, e2, 0.8, type(self).__name__))
                    i += 2
                    continue
            if cap:
                if first.is_clear(lw):
                    out.append(_result("PERSON", s, e, 0.5, type(self).__name__))
                elif last.is_clear(lw) and lw not in first.ambiguous:
                    out.append(_result("PERSON", s, e, 0.4, type(self).__name__))
            i += 1
        return out


class CityGazetteerRecognizer(EntityRecognizer):
    """Capitalised city and state names from GeoNames (unambiguous entries only).

    Multi-word names are looked up as word n-grams in a set: an alternation of
    thousands of names cost 3 ms per note.
    """

    def __init__(self) -> None:
        gz = gazetteer("cities.tsv")
        self.names = gz.clear
        self.max_words = max(len(c.split()) for c in gz.clear)
        # first word -> the most words of a name that starts with it (most are 1)
        self.lengths: dict[str, int] = {}
        for c in gz.clear:
            parts = c.split(" ")
            self.lengths[parts[0]] = max(self.lengths.get(parts[0], 0), len(parts))
        self.vocab = medical_terms()
        super().__init__(supported_entities=["LOCATION"], name="CityGazetteerRecognizer")

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        if entities and "LOCATION" not in entities:
            return []
        out = []
        words = [m for m in _WORD.finditer(text)]
        i = 0
        while i < len(words):
            w = words[i].group()
            if not (w[0].isupper() and not w.isupper()):
                i += 1
                continue
            hit = 0
            for n in range(min(self.lengths.get(w.casefold(), 0), len(words) - i), 0, -1):
                group = words[i : i + n]
                if any(not g.group()[0].isupper() for g in group):
                    continue
                # words must be separated by single spaces
                if any(text[group[k].end() : group[k + 1].start()] != " " for k in range(n - 1)):
                    continue
                name = " ".join(g.group() for g in group).casefold()
                if name in self.names and (n > 1 or name not in self.vocab):
                    out.append(_result("LOCATION", group[0].start(), group[-1].end(), 0.6 if n > 1 else 0.5, type(self).__name__))
                    hit = n
                    break
            i += hit or 1
        return out


_ALNUM = _re.compile(r"[^\W_]+")
_KNOWN_SEPARATOR = _re.compile(r"[ \t.\-'’&]*")


class KnownInstitutionRecognizer(EntityRecognizer):
    """Hospitals known by a name without "Hospital" ("Cedars-Sinai", "Addenbrooke's"),
    from ``known_institutions.txt``, looked up as word sequences in a dict keyed by the
    first word (an alternation of the names cost 0.15 ms a note), then grown over a
    campus word and an institution suffix ("Mt. Sinai West", "Mass General Hospital").
    """

    def __init__(self) -> None:
        self.names: dict[str, list[tuple[str, ...]]] = {}
        for name in _read_lines("known_institutions.txt"):
            toks = tuple(t.casefold() for t in _ALNUM.findall(name))
            if toks:
                self.names.setdefault(toks[0], []).append(toks)
        for seqs in self.names.values():
            seqs.sort(key=len, reverse=True)
        suffixes = _alternation(_read_lines("institution_suffixes.txt"))
        self.tail = _re.compile(
            r"(?:[ \t]+(?:West|East|North|South|Downtown|Midtown|Morningside|Queens|Brooklyn))?"
            r"(?:[ \t]+" + suffixes + r")?(?![\w\-])",
            _re.IGNORECASE,
        )
        super().__init__(supported_entities=["ORGANIZATION"], name="KnownInstitutionRecognizer")

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        if entities and "ORGANIZATION" not in entities:
            return []
        words = list(_ALNUM.finditer(text))
        folded = [w.group().casefold() for w in words]
        out = []
        i = 0
        while i < len(words):
            hit = 0
            for seq in self.names.get(folded[i], ()):
                n = len(seq)
                if tuple(folded[i : i + n]) != seq:
                    continue
                # whole words, joined only by spaces and name punctuation on one line
                if any(_KNOWN_SEPARATOR.fullmatch(text, words[k].end(), words[k + 1].start()) is None for k in range(i, i + n - 1)):
                    continue
                start = words[i].start()
                if start and (text[start - 1].isalnum() or text[start - 1] == "-"):
                    continue
                end = words[i + n - 1].end()
                if end < len(text) and text[end] == "-":
                    continue
                m = self.tail.match(text, end)
                end = m.end() if m else end
                if end < len(text) and text[end] in "'’" and text[end + 1 : end + 2] in ("", " ", "\n", ",", ".", ")"):
                    end += 1  # "St Thomas'"
                out.append(_result("ORGANIZATION", start, end, 0.85, "institution_known"))
                hit = n
                break
            i += hit or 1
        return out


@functools.cache
def countries() -> frozenset[str]:
    return frozenset(c.casefold() for c in _read_lines("countries.txt"))


@functools.cache
def common_words() -> frozenset[str]:
    return frozenset(_read_lines("common_words.txt"))


# A sign-off line: "-- jane doe", "- X.Z."
_SIGNOFF = _re.compile(r"(?m)^[ \t]*(?:--|—|–)[ \t]*")  # not "- ": that is a list bullet
_SLOT_CUES = _re.compile(
    r"\b(?:"
    # words that introduce a person
    r"(?:pt\.?\s+name|patient\s+name|name|pt|patient|spoke\s+with|spoke\s+to|talked\s+(?:to|with)|"
    r"discussed\s+with|seen\s+by|seen\s+with|referred\s+by|wife|husband|spouse|partner|son|daughter|"
    r"mother|father|sister|brother|mr|mrs|ms|miss|dr|caregiver|guardian|contact|we\s+saw|saw|"
    r"niece|nephew|aunt|uncle|cousin|grandson|granddaughter|grandmother|grandfather|poa|friend|"
    r"neighbou?r|carer|referring|ordering|requesting|reported\s+by|dictated\s+by|read\s+by|"
    r"dear|hi|hello|handover\s+(?:given\s+)?(?:by|to)|given\s+by|handed\s+over\s+to|"
    r"nurse|pcp|gp|attending|resident|surgeon|consultant|registrar|signed|author|caller|called\s+by|"
    # ward and dictation shorthand: "call reg dora", "CPN Cliff", "copy to miles parsons",
    # "letter for thomas hodgkin", "dear doctor kristoffersen"
    r"reg|sho|cpn|fy1|fy2|copy\s+to|cc|letter\s+(?:for|to|regarding|re)|dear\s+(?:doctor|dr\.?|mr\.?|mrs\.?|ms\.?|prof\.?|professor)|"
    r"(?:doctor|professor|prof))\b"
    # only abbreviations take a full stop: "patient." ends a sentence, "pt." does not
    r"(?:(?<=pt|mr|dr|ms)\.|(?<=mrs)\.)?\s*[:,\-]?"
    # sign-offs, only with punctuation before the name: "Kind regards, Jane"
    r"|(?:regards|kind\s+regards|best\s+regards|best|thanks|thank\s+you|cheers|sincerely|yours)\s*[,:\-\n]"
    # headers and bed lists, only with a colon: "From: ...", "Bed 4: ..."
    r"|(?:from|to|cc|attn|re|subject|bed\s+\d+|room\s+\d+)\s*:"
    # bed and bay lists with a dash: "pt in bay 3 - pierre-yves le corre"
    r"|(?:bed|bay|room|rm|cubicle|side\s*room)\s*\d+[a-z]?\s*[\-–—]"
    r")\s*",
    _re.IGNORECASE,
)
_BLANKS = _re.compile(r"[ \t]+")
# word endings of procedures, conditions and specialties: never a name after a cue
# (only endings no name has: not "-oma" (Paloma), "-gram" (Ingram), "-itis" (Politis), "-emia")
_MEDICAL_SUFFIXES = (
    "graphy", "scopy", "ectomy", "otomy", "ostomy", "plasty", "pathy", "ology", "ologist", "iatric", "iatry",
    "penia", "plegia", "paresis",
)
# endings of English words a name (outside the name lists) almost never has
def _misspelt(word: str) -> bool:
    """A misspelt or prefixed safe word ("recieved", "apetite"): no name."""
    from deid.text.vocabulary import is_derived

    return is_derived(word)


_WORD_ENDINGS = ("ing", "tion", "sion", "ment", "ness", "ance", "ence", "ity", "ous", "ive", "ated", "ized", "ised", "ally")
# a cue that says a name follows: "pt name", "patient name:", "name -"
_NAME_CUE = _re.compile(r"(?i)\bname\b\s*[:,\-]?\s*$")
_SLOT_PARTICLES = frozenset("van von de da di du del della der den ter la le dos das bin ibn al el ó ní nic mac mc".split())
# a cue that is a title: "strong" (dr, mrs, prof, "Mr.") or "weak" (a bare mr/ms, which
# are also MR imaging and multiple sclerosis)
_TITLE_CUE = _re.compile(r"(?i)\b(mr|mrs|ms|miss|dr|doctor|prof|professor)\b(\.?)\s*$")


def _title_strength(cue: str) -> str:
    m = _TITLE_CUE.search(cue)
    if not m:
        return ""
    if m.group(1) in ("MR", "MS") and not m.group(2):
        return "caps"  # "MR perfusion", "MS exacerbation": most often not a title at all
    return "weak" if m.group(1).casefold() in ("mr", "ms") and not m.group(2) else "strong"
# what follows "dr"/"my doctor" in forum posts when no name does
_AFTER_TITLE_NOT_NAMES = frozenset(
    "said says say told tells thinks thought wants wanted recommended recommends ordered orders prescribed "
    "prescribes referred refers suggested suggests gave gives put puts called calls sent sends appointment appt "
    "appointments visit visits office offices note notes letter letters will would could should can may might "
    "is was has had does did just also then who which that and or but if when said. here there today "
    "yesterday tomorrow again now visit. advised advises explained explains wrote writes asked asks mentioned "
    "noted notes diagnosed diagnoses started starts stopped stops changed changes increased decreased upped".split()
)
_INITIALS = _re.compile(r"(?!(?:e\.g|i\.e|a\.m|p\.m)\.)(?:[^\W\d_]\.\s?){1,3}(?![^\W\d_])", _re.IGNORECASE)
# Capitalised words after a cue that are not names ("Hi All", "Dear Colleague").
_NOT_NAMES = frozenset("all team everyone colleague colleagues sir madam doctor doctors nurse nurses there folks guys friends ward".split())
_STOP = frozenset(
    "md rn np pa phd dds dmd crna mbbs frcs frcp lpn cna aprn dnp msn bsn lcsw dpt rrt esq "
    "pgr pager bleep ext tel ph fax cell mob "
    "dr mr mrs ms prof doctor a an the and or but is was are were has had have with without for from to of in on at by "
    "this that these those he she it they his her their its who whom which what when where "
    "today yesterday tomorrow now re results am pm".split()
)


class NameSlotRecognizer(EntityRecognizer):
    """Names right after a name cue ("pt tapio hietanen", "spoke with jane doe").

    Catches lower-case names and names in no list: a word after a cue counts as a
    name part when it is a known name, or is no common English word, no clinical term
    and no stop word. Ambiguous list names ("hope") count only after another part.
    """

    def __init__(self) -> None:
        self.first = gazetteer("first_names.tsv")
        self.last = gazetteer("surnames.tsv")
        self.vocab = medical_terms()
        self.common = common_words()
        super().__init__(supported_entities=["PERSON"], name="NameSlotRecognizer")

    def load(self) -> None:
        pass

    def _name_like(self, word: str, position: int, nxt: str = "", titled: str = "", named: bool = False) -> bool:
        w = word.casefold().rstrip("'’")
        n = nxt.casefold()
        if named and position == 0 and len(w) >= 2 and w not in _STOP and not any(ch.isdigit() for ch in w):
            return True  # "pt name rune ruud": the cue says a name follows
        if (w in self.first or w in self.last) and w not in _STOP and w not in _AFTER_TITLE_NOT_NAMES and (
            position > 0 or n in self.last or n in self.first or n in _SLOT_PARTICLES
        ) and not (word.isupper() and w in self.common):
            return True  # "ludwig franke", "amber wilson": listed names together, eponyms or not
        if (titled and position == 0 and (w in self.first or w in self.last) and w not in _STOP
                and w not in _AFTER_TITLE_NOT_NAMES and not (word.isupper() and w in self.common)
                and (titled == "strong" or w not in self.common)):
            # "dr. bell", "ms ludwig": a listed name after a title is a person, eponym or not;
            # after a bare "mr"/"ms" (also MR imaging, multiple sclerosis) only a name that is
            # no everyday word ("MR brain", "ms flare" stay)
            return True
        if len(w) < 2 or w in _STOP or w in self.vocab or w.endswith(_MEDICAL_SUFFIXES):
            return False
        if titled == "caps" and position == 0 and not word[:1].isupper() and w not in self.first and w not in self.last:
            return False  # "MR perfusion", "MS exacerbation"
        if self.first.is_clear(w) or self.last.is_clear(w):
            return True
        if (w in self.first.ambiguous or w in self.last.ambiguous) and w not in self.common:
            return True  # frequent as a word in some corpus ("ludwig") but no English word
        if word[:1].isupper() and not word.isupper() and w not in _NOT_NAMES and w not in self.common:
            return True  # a capitalised non-word right after a name cue is a name ("Hi Oisín")
        if w in self.first.ambiguous or w in self.last.ambiguous:
            # "Hope", "Will": a name after a cue when capitalised, after another name
            # part, or when the next word is a surname ("hope young", "faith brown")
            return position > 0 or word[:1].isupper() or n in self.last or n in _SLOT_PARTICLES
        if len(w) >= 7 and w.endswith(_WORD_ENDINGS):
            return False  # "ambulating", "perfusion", "exacerbation": words, whatever the list lacks
        if w.endswith(("'t", "’t")) or _misspelt(w):
            return False  # "pt con't", "pt recieved": a contraction or a misspelt word, no name
        return w not in self.common and not any(ch.isdigit() for ch in w)

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        if entities and "PERSON" not in entities:
            return []
        out = []
        cues = [(m.end(), _title_strength(m.group()), bool(_NAME_CUE.search(m.group())))
                for m in _SLOT_CUES.finditer(text)]
        cues += [(m.end(), "", False) for m in _SIGNOFF.finditer(text)]
        for pos, titled, named in cues:
            start = end = -1
            count = tokens = 0
            while count < 3 and tokens < 6:
                ini = _INITIALS.match(text, pos)
                m = ini or _WORD.match(text, pos)
                if m and ini is None:
                    after = _BLANKS.match(text, m.end())
                    nxt_m = _WORD.match(text, after.end()) if after else None
                    if not self._name_like(m.group(), count, nxt_m.group() if nxt_m else "", titled, named):
                        break
                if not m:
                    break
                tokens += 1
                particle = m.group().casefold() in _SLOT_PARTICLES
                if particle and start < 0 and not titled:
                    break  # a name does not start with "de" (but "mr van den heuvel" does)
                if start < 0:
                    start = m.start()
                if not particle:  # "juan de la torre": particles count only inside a name
                    end = m.end()
                    count += 1
                nxt = _BLANKS.match(text, m.end())
                if not nxt:
                    break
                pos = nxt.end()
            if count:
                score = 0.75 if count >= 2 else 0.6
                out.append(_result("PERSON", start, end, score, type(self).__name__))
        return out
