"""Names: trimming, expansion, propagation and case learning of PERSON detections.

The steps of the engine's post-processing (:mod:`deid.text.engine`) that shape a name
span after the filters (:mod:`deid.text.filters`) have kept it: a field label or a
credential swallowed at its end is cut, known-safe words are cut out of a guess, a name
grows over its initials and particles, a name found once is searched for in the rest of
the text, and confident identifiers are learned into the case's deny-list
(:class:`deid.core.context.CaseContext`) for its other parts.
"""

from __future__ import annotations

import regex

from deid.core.context import CaseContext
from deid.text.types import Detection

# A name part learned from a confident detection is searched for in the rest of the text.
PROPAGATE_MIN_SCORE = 0.6
# Identifiers this confident are learned into the CaseContext deny-list.
LEARN_MIN_SCORE = 0.85
LEARN_KINDS = frozenset({"PERSON", "MRN", "SSN", "HEALTH_PLAN", "ACCOUNT"})
# Only precise sources teach the deny-list: a spaCy or gazetteer guess must not spread.
LEARN_SOURCES = frozenset({"name_title", "name_context", "NameSlotRecognizer", "mrn", "ssn", "health_plan", "account"})
_CREDENTIALS = frozenset(
    "md do rn np pa pa-c phd dds dmd dpm fnp cnm crna mbbs mbchb frcs frcp facs facp lpn cna "
    "pharmd aprn dnp msn bsn lcsw pt dpt ot rt rrt ma jr sr ii iii iv esq".split()
)
PARTICLES = frozenset("de la del della di da du des le van von der den ter ten bin ibn al el y e dos das do mac mc ó o' ní nic ua st".split())
INSTITUTION_WORDS = frozenset(
    "hospital infirmary medical center centre clinic health system family practice group surgical assisted living "
    "retirement village home care nursing rehabilitation rehab hospice of the".split()
)
# credentials that are never a surname ("Do", "Ma", "Pa" are)
_TRIM_CREDENTIALS = frozenset(
    "md rn np phd dds dmd crna mbbs mbchb frcs frcp facs facp lpn cna aprn dnp msn bsn lcsw dpt rrt pharmd fnp cnm dpm".split()
)
_TRAILING_CREDENTIAL = regex.compile(r",?\s+([A-Za-z][A-Za-z.\-]*)\.?$")
_FIELD_LABEL = regex.compile(r"(?i)\b(?:date|time|name|number|no|id|dob|address|phone|tel|signature|physician|provider|unit|ward|bed|room)\.?:?$")
_AND_NAME = regex.compile(r"[ \t]+(?:and|AND|&)[ \t]+(\p{L}[\p{L}'’\-]+)(?![\p{L}\d])")
WORD_TOKEN = regex.compile(r"[\p{L}][\p{L}'’\-]*")
_NEXT_TOKEN = regex.compile(r"[ \t]+([\p{L}][\p{L}'’\-]*\.?)")
_PREV_TOKEN = regex.compile(r"([\p{L}][\p{L}'’\-]*\.?)[ \t]+$")
_NAME_SPLIT = regex.compile(r"[\s,]+")
_NAME_SPLIT_HYPHEN = regex.compile(r"[\s,\-]+")
# guesses whose known-safe words are cut out (see trim_safe_words)
_TRIMMED_SOURCES = frozenset({
    "SpacyRecognizer", "NameGazetteerRecognizer", "CityGazetteerRecognizer", "NameSlotRecognizer",
    "institution_context", "location_context", "city_state_zip",
})

STOPWORDS = frozenset(
    "a an the and or but is was are were has had have with without for from to of in on at by as "
    "this that these those he she it they his her their its who whom which what when where how "
    "dr doctor mr mrs ms miss mx prof patient pt nurse re subject dear hi hello regards thanks "
    "today yesterday tomorrow now am pm".split()
)


def strip_field_label(text: str, d: Detection, vocab: frozenset[str]) -> Detection | None:
    """A name-like span that runs into the next field's label: "TRUB HT UNIT NO:" is
    "TRUB HT"; "Admission Date:" is nothing. Label words and everyday words are cut
    from the end back to the first word that is neither."""
    if d.kind not in ("PERSON", "ORGANIZATION", "LOCATION") or d.source in ("name_title", "deny_list"):
        return d
    if not text[d.end : d.end + 2].lstrip(" ").startswith(":") or not _FIELD_LABEL.search(text, d.start, d.end):
        return d
    from deid.text.recognizers import common_words, gazetteer

    first, last, common = gazetteer("first_names.tsv"), gazetteer("surnames.tsv"), common_words()
    toks = list(WORD_TOKEN.finditer(text, d.start, d.end))
    while toks and _FIELD_LABEL.fullmatch(toks[-1].group()):
        toks.pop()
    while toks:  # then everyday words ("Admission"), but not short capitals ("HT" is an initial pair)
        w = toks[-1].group().casefold()
        if len(w) > 3 and (w in common or w in vocab) and w not in first and w not in last:
            toks.pop()
            continue
        break
    if not toks:
        return None
    return Detection(d.kind, d.start, toks[-1].end(), d.score, d.source) if toks[-1].end() != d.end else d


def name_token(tok: str, caps: bool, vocab: frozenset[str]) -> bool:
    from deid.text.recognizers import common_words, gazetteer

    t = tok.rstrip(".")
    low = t.casefold()
    if len(t) == 1:
        return t.isupper()  # an initial ("SAGER A", "J. PARK")
    if low in _CREDENTIALS or low in vocab or low in STOPWORDS:
        return False
    if not t[:1].isupper() and low not in PARTICLES:
        return False
    if caps != t.isupper() and len(t) > 1 and low not in PARTICLES:
        return False
    first, last = gazetteer("first_names.tsv"), gazetteer("surnames.tsv")
    return low in first or low in last or low not in common_words()


def trim_names(text: str, dets: list[Detection]) -> list[Detection]:
    """Cut words a pattern swallowed in front of a name: in capitals, "HANDOVER GIVEN
    BY YEWANDE RN" is "YEWANDE": a function word ends any name before it. (Learned
    names are trimmed too, so "GIVEN" is never propagated as a name.) Everyday words
    alone are not cut: "Singer", "Baker" are surnames."""
    out = []
    for d in dets:
        if d.kind == "PERSON":
            d = trim_credentials(text, d)
        if d.kind != "PERSON" or d.source not in ("name_title", "name_context", "NameSlotRecognizer"):
            out.append(d)
            continue
        caps = text[d.start : d.end].isupper()
        toks = [(m.start(), m.end(), m.group().casefold()) for m in WORD_TOKEN.finditer(text, d.start, d.end)]
        cut = 0
        stops = [len(w) > 1 and w in STOPWORDS and w not in PARTICLES and (caps or text[s].islower()) for s, _e, w in toks]
        for k in range(len(toks) - 1):
            # "by" or "BY" in capitals; a capitalised "An" in mixed case may be a name
            if stops[k]:
                cut = k + 1
        first = stops.index(True) if True in stops else -1
        if first > 0 and all(stops[first:]):
            # function words swallowed after the name: "PT: <LAST>, <FIRST> IN HER 90S";
            # a two-letter one right after it stays in ("He", "An", "To" are names too)
            keep = first + 1 if len(toks[first][2]) <= 2 else first
            out.append(Detection(d.kind, d.start, toks[keep - 1][1], d.score, d.source))
        elif cut and cut < len(toks):
            out.append(Detection(d.kind, toks[cut][0], d.end, d.score, d.source))
        else:
            out.append(d)
    return out


def trim_credentials(text: str, d: Detection) -> Detection:
    """"YEWANDE RN" -> "YEWANDE": a trailing credential is not part of the name."""
    m = _TRAILING_CREDENTIAL.search(text, d.start, d.end)
    if m and m.start() > d.start and m.group(1).isupper() and m.group(1).casefold().replace(".", "") in _TRIM_CREDENTIALS:
        return Detection(d.kind, d.start, m.start(), d.score, d.source)
    return d


def expand_names(text: str, dets: list[Detection], vocab: frozenset[str]) -> list[Detection]:
    """Grow a name over adjacent name tokens: initials, particles, unlisted parts
    ("SAGER A", "JUAN CARLOS FERNÁNDEZ DE LA CRUZ", "Ó SMOLÁIN")."""
    out = []
    for d in dets:
        if d.kind != "PERSON" or d.score < 0.5:
            out.append(d)
            continue
        start, end = d.start, d.end
        caps = text[start:end].isupper()
        for _ in range(4):
            m = _NEXT_TOKEN.match(text, end)
            if not m or not name_token(m.group(1), caps, vocab):
                break
            tok = m.group(1)
            if tok.casefold() in PARTICLES:  # a particle only with a name after it
                m2 = _NEXT_TOKEN.match(text, m.end())
                if not m2 or not name_token(m2.group(1), caps, vocab) or m2.group(1).casefold() in PARTICLES:
                    break
            end = m.end() - (1 if tok.endswith(".") and len(tok) > 2 else 0)
        for _ in range(3):
            m = _PREV_TOKEN.search(text, max(0, start - 40), start)
            if not m or not name_token(m.group(1), caps, vocab) or len(m.group(1).rstrip(".")) == 1 and not caps:
                break
            start = m.start()
        out.append(Detection(d.kind, start, end, d.score, d.source) if (start, end) != (d.start, d.end) else d)
    return out


# particles that open a surname and are no everyday English word, so a lower-case one
# before a name is taken with it ("ó súilleabháin", "zu Stolberg"); "al", "el", "y",
# "do", "mac" join a name only when capitalised or between two names
_OPENING_PARTICLES = frozenset("ó ní nic ua van von der den ter ten bin ibn dos das zu della del di du des".split())
_PARTICLE_RUN = regex.compile(r"[ \t]+(?:(?:" + "|".join(sorted(map(regex.escape, PARTICLES | {"zu"}), key=len, reverse=True)) + r")[ \t]+){1,3}", regex.I)
_PREV_PARTICLES = regex.compile(
    r"(?<![\p{L}'’\-])((?:(?:" + "|".join(sorted(map(regex.escape, PARTICLES | {"zu"}), key=len, reverse=True)) + r")[ \t]+){1,2})$", regex.I
)
_NEXT_PARTICLE = regex.compile(r"[ \t]+(\p{L}+)[ \t]+(\p{L}[\p{L}'’\-]*\p{L})")
_TRAILING_INITIALS = regex.compile(r"[ \t]+(\p{Lu}{1,3})[ \t]*(?=\n|$)")
_LABEL_BEFORE = regex.compile(r"(?:^|\n)[^\n:]{1,40}:[ \t]*$")
_PREV_INITIAL = regex.compile(r"(?<![\p{L}.])\p{Lu}\.[ \t]+$")


def bridge_particles(text: str, dets: list[Detection]) -> list[Detection]:
    """Name parts joined by particles: two names with only particles between them are one
    ("Ana Pérez y Gómez", "abdul bin rashid", "Karl-Heinz zu Stolberg"); a particle
    in front of a name belongs to it when capitalised or one that is no English word
    ("Dr Ó Súilleabháin", "mr ó súilleabháin"), and so does an initial with a full stop
    ("L. von Essen"). Initials after a surname that fills a labelled field are the
    name's too ("Submitting physician: <Last> QX")."""
    from deid.text.slots import word_class
    from deid.text.vocabulary import WordClass

    names = sorted((d for d in dets if d.kind == "PERSON" and d.score >= 0.5), key=lambda d: d.start)
    out = list(dets)
    for a, b in zip(names, names[1:], strict=False):
        if a.end < b.start and _PARTICLE_RUN.fullmatch(text, a.end, b.start):
            out.append(Detection("PERSON", a.start, b.end, min(a.score, b.score), "particle_bridge"))
    for d in names:
        # a name, an opening particle, then a word the vocabulary does not know as safe:
        # "<first> bin <last>" when only the first part was found
        m = _NEXT_PARTICLE.match(text, d.end)
        if m and m.group(1).casefold() in _OPENING_PARTICLES and word_class(m.group(2)) is not WordClass.SAFE:
            out.append(Detection("PERSON", d.start, m.end(), d.score, "particle_bridge"))
        # a labelled field holding a surname and initials: "Submitting physician: <Last> QX"
        m = _TRAILING_INITIALS.match(text, d.end)
        if m and m.group(1).casefold() not in _CREDENTIALS and _LABEL_BEFORE.search(text, max(0, d.start - 40), d.start):
            out.append(Detection("PERSON", d.start, m.end(1), d.score, "particle_bridge"))
        start = d.start
        m = _PREV_PARTICLES.search(text, max(0, start - 20), start)
        if m:
            first = m.group(1).split()[0]
            if first[:1].isupper() or first.casefold() in _OPENING_PARTICLES:
                start = m.start(1)
        m = _PREV_INITIAL.search(text, max(0, start - 4), start) if d.score >= 0.8 else None
        if m:
            start = m.start()
        if start != d.start:
            out.append(Detection("PERSON", start, d.end, d.score, "particle_bridge"))
    return out


_AGE_AFTER_NAME = regex.compile(r"[ \t]*\(\(?(9\d|1[01]\d|12[0-5])\)(?![ \t]*(?:mg|ml|mcg|%|/|x10|k\b))")


def ages_after_names(text: str, dets: list[Detection]) -> list[Detection]:
    """An age over 89 in brackets right after a name is the person's age: in a ward list,
    "Bed 2: <Last> (96) <diagnosis>" (HIPAA: ages over 89 are identifiers)."""
    out = []
    for d in dets:
        if d.kind == "PERSON" and d.score >= 0.5:
            m = _AGE_AFTER_NAME.match(text, d.end)
            if m:
                out.append(Detection("AGE", m.start(1), m.end(1), 0.85, "age_after_name"))
    return out


def trim_safe_words(text: str, dets: list[Detection]) -> list[Detection]:
    """Cut known-safe words (deid/text/vocabulary.py) out of guesses: spaCy reads an
    all-capitals note as one long entity ("FEMALE ADMITTED IN TRANSFER FROM <place>
    HOSPITAL FOR ..."), a name cue takes "pt tol captopril" for a name. What is left
    are the runs of words the vocabulary does not know, and capitalised words in
    mixed-case writing when two or more of them stand together ("Sacred Heart").
    A span naming an institution ("... Hospital") is left whole."""
    from deid.text.slots import text_style, word_class
    from deid.text.vocabulary import WordClass

    style = ""
    out: list[Detection] = []
    for d in dets:
        if d.source not in _TRIMMED_SOURCES or d.kind not in ("PERSON", "LOCATION", "ORGANIZATION"):
            out.append(d)
            continue
        toks = list(WORD_TOKEN.finditer(text, d.start, d.end))
        if not toks or any(t.group().casefold() in INSTITUTION_WORDS and t.group().casefold() not in ("of", "the") for t in toks):
            out.append(d)
            continue
        if d.source == "NameSlotRecognizer":
            # a name cue's guess is dropped when every word is known-safe ("pt tol
            # captopril"), never cut: "Cheers, Pat Hand" stays whole
            if all(word_class(t.group()) is WordClass.SAFE for t in toks):
                continue
            out.append(d)
            continue
        style = style or text_style(text)
        caps = [t for t in toks if style == "mixed" and t.group()[:1].isupper() and not t.group().isupper()]
        # without capitals to go by (all-capitals or all-lower-case writing) a guess
        # keeps only words the vocabulary does not know: "NEO WEANED" is no name
        floor = WordClass.SAFE if style == "mixed" else WordClass.AMBIGUOUS
        keep = [word_class(t.group()) not in (WordClass.SAFE, floor) or (len(caps) >= 2 and t in caps) for t in toks]
        for k in range(1, len(toks)):  # "John Smith III", "Smith Jr"
            if keep[k - 1] and toks[k].group().casefold().rstrip(".") in ("jr", "sr", "ii", "iii", "iv"):
                keep[k] = True
        if all(keep):
            out.append(d)
            continue
        i = 0
        while i < len(toks):
            if not keep[i]:
                i += 1
                continue
            j = i
            while j + 1 < len(toks) and keep[j + 1]:
                j += 1
            out.append(Detection(d.kind, toks[i].start(), toks[j].end(), d.score, d.source))
            i = j + 1
    return out


def coordinated_names(text: str, dets: list[Detection]) -> list[Detection]:
    """A name joined to a found name by "and"/"&" ("Both <name> and <first name> are
    his proxies"): a word in a person-name list, or one the vocabulary does not know,
    written in the same case as the found name."""
    from deid.text.slots import word_class
    from deid.text.vocabulary import WordClass, is_name_like

    out = []
    for d in dets:
        if d.kind != "PERSON" or d.score < PROPAGATE_MIN_SCORE:
            continue
        m = _AND_NAME.match(text, d.end)
        if m is None:
            continue
        word, found = m.group(1), text[d.start : d.end]
        if word[:1].isupper() != found[:1].isupper() or word.isupper() != found.isupper():
            continue
        cls = word_class(word)
        if cls is WordClass.UNKNOWN or (cls is WordClass.AMBIGUOUS and is_name_like(word) and word[:1].isupper()
                                        and not word.isupper()):
            out.append(Detection("PERSON", m.start(1), m.end(1), 0.6, "coordinated_name"))
    return out


def propagate(text: str, dets: list[Detection], vocab: frozenset[str]) -> list[Detection]:
    from deid.text.recognizers import gazetteer
    from deid.text.slots import word_class
    from deid.text.vocabulary import WordClass, is_derived

    first, last = gazetteer("first_names.tsv"), gazetteer("surnames.tsv")
    names: set[str] = set()
    for d in dets:
        if d.kind == "PERSON" and d.score >= PROPAGATE_MIN_SCORE:
            span = text[d.start : d.end]
            for part in _NAME_SPLIT.split(span) + _NAME_SPLIT_HYPHEN.split(span):
                part = part.strip(".'’")
                if part.endswith(("'s", "’s")):
                    part = part[:-2]
                cls = word_class(part)
                if len(part) >= 3 and part[0].isupper() and part.casefold() not in vocab and (
                        cls is WordClass.UNKNOWN or cls is WordClass.AMBIGUOUS and not is_derived(part)):
                    # an AMBIGUOUS word in no name list is a misspelling or a derived
                    # word ("Apetite", "Retaped"): found where it stands, not searched for
                    names.add(part)
    out = []
    folded = text.casefold() if len(text.casefold()) == len(text) else None
    for name in names:
        ambiguous = (name.casefold() in first.ambiguous or name.casefold() in last.ambiguous
                     or word_class(name) is WordClass.AMBIGUOUS)
        # plain substring search with word-boundary checks: no regex compile per name
        hay, needle = (text, name) if ambiguous or folded is None else (folded, name.casefold())
        pos = hay.find(needle)
        while pos >= 0:
            end = pos + len(needle)
            before = text[pos - 1] if pos else " "
            after = text[end] if end < len(text) else " "
            if not before.isalnum() and not after.isalnum():
                out.append(Detection("PERSON", pos, end, 0.8, "propagation"))
            pos = hay.find(needle, end)
    return out


def learnable_name_parts(value: str) -> list[str]:
    """The runs of a detected name that may be searched for in the rest of the case.

    A word the vocabulary knows as safe ("and", "care", "continue") is never learned:
    a cue's guess that swallowed one would otherwise cut that word from every part of
    the case. The detection itself still covers it where it stands. Runs of two
    letters or less ("CP", "Ra") are not learned either."""
    from deid.text.slots import word_class
    from deid.text.vocabulary import WordClass

    runs: list[list[str]] = [[]]
    for tok in _NAME_SPLIT.split(value):
        word = tok.strip(".,'’")
        if word and (any(ch.isalpha() for ch in word) and word_class(word) is not WordClass.SAFE
                     or len(word) == 1 and runs[-1]):
            runs[-1].append(tok)
        elif runs[-1]:
            runs.append([])
    # a run of words the vocabulary knows as everyday words too ("Per", "Good", "D, C")
    # is not searched for: the deny-list matches without regard to case
    return [" ".join(r) for r in runs if r and len(" ".join(r).strip()) > 2
            and any(word_class(t.strip(".,'’")) is WordClass.UNKNOWN for t in r)]


def learn_identifiers(text: str, dets: list[Detection], context: CaseContext) -> None:
    """Learn confident identifiers of precise sources into the case's deny-list."""
    # learn from the precise detections themselves, before a wider NER span
    # merged over them hides their source
    for d in dets:
        if d.kind in LEARN_KINDS and d.score >= LEARN_MIN_SCORE and d.source in LEARN_SOURCES:
            value = text[d.start : d.end]
            if d.kind == "PERSON":
                for part in learnable_name_parts(value):
                    context.add_identifier(d.kind, part, source="text")
                continue
            context.add_identifier(d.kind, value, source="text")
