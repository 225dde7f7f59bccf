"""Filters: which detections of which recognizers are kept (the engine's ``keep`` step).

A recognizer's hit can have the shape of PHI and still be a clinical word, an eponym, a
reading or a count. The checks for that are the named predicates below (each returns
True when its case is present); ``data/filters.yaml`` declares WHICH predicate applies to
WHICH recognizer sources and kinds, in WHICH order, and with which verdict:

* ``drop``: the detection is thrown away (a clinical value, not an identifier);
* ``keep``: the detection is kept at once, and no later rule is consulted.

The rules are tried in file order; the first predicate that holds decides. A detection no
rule decides is kept. The order is part of the meaning (a ``keep`` rule shields its
detections from every rule after it), as in the chain of checks it replaces.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

import regex
import yaml

from deid.text.names import INSTITUTION_WORDS, PARTICLES, WORD_TOKEN
from deid.text.types import Detection

Predicate = Callable[[str, Detection], bool]
DATA = resources.files("deid.text") / "data"
FILTERS_FILE = "filters.yaml"
VERDICTS = {"drop": False, "keep": True}

_EPONYM_FOLLOWERS = regex.compile(
    # (a line break only into a lower-case word: "Dr. <name>\nPROCEDURE:" is a heading)
    r"^(?:'s|’s|')?(?:[ \t]+|[ \t]*\n[ \t]*(?=(?-i:\p{Ll})))(?:disease|syndrome|sign|signs|test|reflex|maneuver|manoeuvre|phenomenon|"
    r"lymphoma|sarcoma|palsy|tumou?r|ulcer|node|nodes|triad|criteria|score|scale|classification|"
    r"fracture|procedure|operation|repair|incision|disorder|law|rule|method|technique|position|"
    r"line|lines|body|bodies|cell|cells|nodule|nodules|block|catheter|tube|ratio|index|type|"
    r"thyroiditis|encephalopathy|anomaly|contracture|aneurysm|esophagus|oesophagus|hernia|"
    r"membrane|capsule|duct|space|area|gland|glands|sarcoidosis|dystrophy|atrophy|gangrene|pupil|pupils|"
    r"pouch|level|levels|class|grade|stage|stool|point|points|triangle|canal|pattern|vaccine|neuroma|drain|drains|"
    r"respiration|respirations|breathing|stand|bag|performance|agitation|retractor|forceps|clamp|stitch|suture|"
    r"electrocautery|cautery|valve|valves|fall\s+(?:risk\s+)?scale)\b",
    regex.IGNORECASE,
)
_CHAT_STAMP_BEFORE = regex.compile(r"\d{1,2}:\d{2}(?::\d{2})?(?:[ \t]?[AaPp][Mm])?\][ \t]*$")
_LAB_ELEMENTS = frozenset("li na k ca mg fe cu zn pb hb po2 pco2 ph cr ck alt ast".split())
_NUMBER_AFTER = regex.compile(r"\s*[:=]?\s*[<>]?\d")
_COUNT_BEFORE = regex.compile(r"(?i)\b(?:pod|hd|day|cycle|dose|grade|stage|step|no|number|x|bed|room|rm|fraction|visit|session|attempt|trial|gravida|para)\.?\s*$")
_CRED_AFTER = ("RN", "MD", "PA-C", "NP", "DO", "PharmD", "LCSW", "DPM", "CRNA", "APRN", "DNP", "FNP", "CNM", "LPN", "MBBS", "PhD")
_ROMAN_AFTER = regex.compile(r"[ \t]+(?:II|III|IV|VI|V)(?![\w'])")
_TITLE_BEFORE = regex.compile(r"(?i)\b(?:mr|mrs|ms|miss|mx|dr|doctor|prof|professor|sister|brother|nurse|father|mother)\.?\s+$")
_HONORIFIC_BEFORE = regex.compile(r"(?i)\b(?:mr|mrs|ms|miss|mx|mister|dr|doctor|prof|professor)\.?\s+$")
MONTHS_DAYS = frozenset(
    "january february march april may june july august september october november december jan feb mar apr jun jul aug "
    "sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday spring summer autumn fall winter "
    "christmas easter".split()
)
_STREET_WORDS = frozenset("road rd street st lane ln avenue ave way drive dr close crescent green park place square hill row terrace grove gardens court".split())
_OF_EPONYM = regex.compile(
    r"(?i)\b(?:pouch|sign|triangle|canal|space|ligament|circle|loop|ampulla|islets|crypts|organ|node|duct|tetralogy|"
    r"bundle|foramen|angle|manoeuvre|maneuver|test|law|line|point|nodule|cells?|bodies|body|syndrome|disease|"
    r"phenomenon|reflex|fracture|classification|criteria|triad)\s+of\s+(?:the\s+)?$"
)
# street suffixes that notes use as shorthand or everyday words (see _clinical_street)
# Street suffixes that are far more often clinical shorthand ("2 PT", "IS", "CV", "A LINE")
# than street names. Real street suffixes (Way, Place, Dr, Ave, Run, Loop, ...) are not
# here: "12 Oak Pl" must stay an address, whatever collateral that costs in notes.
_CLINICAL_SUFFIXES = frozenset({"pt", "cv", "is", "av", "well", "line"})
# words that join a sentence and are in no street's name ("of" and "the" are: "1 The Green")
_SENTENCE_WORDS = frozenset("and in with to per for at via after as on is was from by or but then".split())
_ADDRESS_ABBREVIATIONS = frozenset(
    "blvd bldg apt apts ste expy expwy pkwy hwy frwy tpke ctr cntr plz sq st rd dr ln ct ave av pl cir ter terr trl "
    "mt ft rte no ne nw se sw fl rm".split()
)
_VENT_BEFORE = regex.compile(r"\d[xX*]\s*$")
_DECADE_RANGE_BEFORE = regex.compile(r"(?i)\bthe\s+(?:(?:high|low|mid|upper|lower|very\s+high|very\s+low)[\s\-]+)?$")
_UNITS_REG_BEFORE = regex.compile(r"(?i)\d\s*(?:u|units?)\s+reg\.?\s*[:#]?\s*$")
_REG_BEFORE = regex.compile(r"(?i)\breg\.?\s*[:#]?\s*$")


def _date_not_date(text: str, start: int, end: int) -> bool:
    """"700x10/10/40%", "5.6/67", "28-30/24": vent settings, decimals and ranges. A date
    keeps one separator ("3/14/25", "3-14-25") and is no percentage or setting."""
    span = text[start:end]
    seps = [ch for ch in span if ch in "/-."]
    # "11/21.93" is a date typed loosely; "5.6/67" (a decimal) and "28-30/24" (a range) are not
    return (len(set(seps)) > 1 and seps[0] in ".-") or text[end : end + 1] == "%" or _VENT_BEFORE.search(text, max(0, start - 6), start) is not None


def _phone_not_phone(text: str, start: int, end: int) -> bool:
    """"+4701", "+3300 at midnight": a fluid balance; "575-1000", "900-1300": a range. An
    international number has 8 digits or more; a local one is no rising range of round
    figures."""
    span = text[start:end]
    digits = sum(ch.isdigit() for ch in span)
    if span.startswith("+") and digits < 8:
        return True
    m = regex.fullmatch(r"(\d{3})-(\d{4})", span)
    return m is not None and m.group(2).endswith("00") and m.group(1)[-1] in "05" and int(m.group(1)) < int(m.group(2))


def _via_not_street(text: str, start: int, end: int) -> bool:
    """"VIA FOLEY 50", "via TLC 11", "VIA ART LINE 107": "via" + device + a reading is
    English, not an Italian street: every word after "via" is vocabulary or shorthand."""
    from deid.text.slots import word_class
    from deid.text.vocabulary import WordClass

    words = WORD_TOKEN.findall(text, start, end)
    if not words or words[0].casefold() != "via":
        return False
    rest = [w for w in words[1:] if w.casefold() not in PARTICLES]
    # "Via Roma 3" is a street; "via"/"VIA" in a sentence also takes an eponym ("VIA FOLEY")
    floor = WordClass.SAFE if words[0] == "Via" else WordClass.AMBIGUOUS
    return bool(rest) and all(word_class(w) in (WordClass.SAFE, floor) or (w.isupper() and len(w) <= 4) for w in rest)


def _age_not_age(text: str, start: int, end: int) -> bool:
    """"sats in the 90's", "SBP in the high 90's": a range of readings; an age is "in her 90s"."""
    return _DECADE_RANGE_BEFORE.search(text, max(0, start - 20), start) is not None


def _vehicle_not_vehicle(text: str, start: int, end: int) -> bool:
    """"6u reg sq at 12pm", "2U REG. NA LOW 129": regular insulin, not a registration; a
    plate after "reg" whose words are all vocabulary is a sentence."""
    from deid.text.slots import word_class
    from deid.text.vocabulary import WordClass

    if _REG_BEFORE.search(text, max(0, start - 10), start) is None:
        return False
    insulin = _UNITS_REG_BEFORE.search(text, max(0, start - 20), start) is not None  # "6u reg"
    parts = text[start:end].split()
    if not insulin and any(regex.search(r"\d", p) and regex.search(r"[A-Za-z]", p) for p in parts):
        return False  # "reg XB00 RAN": letters and digits mixed are a plate
    words = [w for w in regex.findall(r"[A-Za-z]+", text[start:end])]
    return bool(words) and all(word_class(w) is WordClass.SAFE or insulin and word_class(w) is not WordClass.UNKNOWN
                               for w in words)


def _handle_not_handle(text: str, start: int, end: int) -> bool:
    """"@2300", "@83CC", "@5am": a time or a rate after "at", not a user name."""
    return text[start : start + 1] == "@" and text[start + 1 : start + 2].isdigit()


def _hyphen_words(text: str, start: int, end: int) -> bool:
    """"GU-foley", "R-IJ": NER on a hyphenated token whose parts are all vocabulary."""
    from deid.text.slots import word_class
    from deid.text.vocabulary import WordClass

    span = text[start:end]
    parts = [p for p in regex.split(r"[-/]", span) if p]
    return ("-" in span or "/" in span) and " " not in span and len(parts) > 1 and all(
        word_class(p) is WordClass.SAFE for p in parts)


def _vocab() -> frozenset[str]:
    """The clinical vocabulary (``medical_terms``: loaded once per process)."""
    from deid.text.recognizers import medical_terms

    return medical_terms()


def _is_clinical(span: str) -> bool:
    words = [w.strip(".,'’()").casefold() for w in span.split()]
    words = [w[:-2] if w.endswith(("'s", "’s")) else w for w in words if w]
    return bool(words) and all(w in _vocab() for w in words)


def _named_after_person_or_place(span: str) -> bool:
    """"Reed Surgery", "Oneal Elementary": a practice or school named after a listed
    person or place; not "Plastic Surgery" or "Cardiac Surgery"."""
    from deid.text.recognizers import gazetteer

    words = [w.strip(".,'’").casefold() for w in WORD_TOKEN.findall(span)]
    words = [w[:-2] if w.endswith(("'s", "’s")) else w for w in words]
    first, last, cities = gazetteer("first_names.tsv"), gazetteer("surnames.tsv"), gazetteer("cities.tsv")
    named = [w for w in words[:-1] if w in first or w in last or w in cities]
    if len(words) >= 3 and words[-2] in _STREET_WORDS:
        return True  # "Manor Road Surgery": named after its street
    if bool(named) and not any(w in _vocab() for w in named):
        return True
    # a word no vocabulary knows is a name too: "South <Unlisted town> Surgery"
    from deid.text.vocabulary import WordClass, classify

    return any(len(w) > 2 and w.isalpha() and classify(w) is WordClass.UNKNOWN for w in words[:-1])



def _has_proper_word(span: str) -> bool:
    """A word that names something: in a name or place list, or no everyday or
    clinical word ("good samaritan hospital" has none, "riverside clinic" has one)."""
    from deid.text.recognizers import common_words, gazetteer

    first, last, cities, common = (gazetteer("first_names.tsv"), gazetteer("surnames.tsv"),
                                   gazetteer("cities.tsv"), common_words())
    for w in regex.split(r"[\s\-/]+", span.casefold()):
        w = w.strip(".,'’()")
        if w.endswith(("'s", "’s")):
            w = w[:-2]
        if not w or w in INSTITUTION_WORDS:
            continue
        if w in first or w in last or w in cities or (w not in common and w not in _vocab()):
            return True
    return False



def _not_a_name(span: str) -> bool:
    from deid.text.recognizers import gazetteer

    first, last = gazetteer("first_names.tsv"), gazetteer("surnames.tsv")
    return not any(w.casefold() in first or w.casefold() in last for w in WORD_TOKEN.findall(span))



def _sentence_street(span: str) -> bool:
    """A "street" that runs over a line break or a full stop, or whose name holds a
    word that joins a sentence ("0600 and requested that pt", "200 MG LASIX GIVEN
    OVERNIGHT. PT", "3 WAY FOLEY IN PLACE"): a sentence of a note, not an address."""
    if "\n" in span:
        return True
    for m in regex.finditer(r"(\p{L}{2,})\.\s", span):  # "OVERNIGHT. PT", "HR. BP", not "N. Elm", "Apt. 9", "St. John"
        if m.group(1).casefold() not in _ADDRESS_ABBREVIATIONS:
            return True
    return any(t.casefold() in _SENTENCE_WORDS for t in WORD_TOKEN.findall(span)[:-1])



def _clinical_street(span: str) -> bool:
    """A street whose suffix is also clinical shorthand ("PT", "CV", "IS", "AV", "WELL",
    "LINE") and whose other words are all
    words the vocabulary knows (safe or ambiguous), after a number of one or two
    digits (a dose, a count, a reading): a sentence of a note, not an address."""
    from deid.text.slots import word_class
    from deid.text.vocabulary import WordClass

    toks = WORD_TOKEN.findall(span)
    number = regex.match(r"\d+", span)
    if number is None or len(number.group()) > 2:
        return False  # "4523 N. Sycamore Dr", "43746 Hansen Place": a house number
    if len(toks) < 2 or toks[-1].casefold().rstrip(".") not in _CLINICAL_SUFFIXES:
        return False
    return all(word_class(t) is not WordClass.UNKNOWN for t in toks[:-1])



def _is_country(span: str) -> bool:
    from deid.text.recognizers import countries, gazetteer

    name = " ".join(span.split()).casefold().removeprefix("the ")
    first, last = gazetteer("first_names.tsv"), gazetteer("surnames.tsv")
    return name in countries() and name not in first and name not in last



def _is_city(span: str) -> bool:
    from deid.text.recognizers import gazetteer

    return " ".join(span.split()).casefold() in gazetteer("cities.tsv")



def _all_common_words(span: str) -> bool:
    """Every word is everyday English and none is in a name list (so "Grace Hope"
    stays a name while "Distal Radius" does not)."""
    from deid.text.recognizers import common_words, gazetteer

    common, first, last = common_words(), gazetteer("first_names.tsv"), gazetteer("surnames.tsv")
    words = [w.strip(".,'’()").casefold() for w in span.split()]
    words = [w[:-2] if w.endswith(("'s", "’s")) else w for w in words if w]
    return bool(words) and all((w in common or w in _vocab()) and w not in first and w not in last for w in words)


# ---- predicates: the names filters.yaml refers to ---------------------------------
PREDICATES: dict[str, Predicate] = {}


def predicate(name: str) -> Callable[[Predicate], Predicate]:
    """Register ``fn`` under ``name`` for ``filters.yaml``."""

    def register(fn: Predicate) -> Predicate:
        if name in PREDICATES:
            raise ValueError(f"filter predicate {name!r} registered twice")
        PREDICATES[name] = fn
        return fn

    return register


def _span(text: str, d: Detection) -> str:
    return text[d.start : d.end]


@predicate("always")
def _always(text: str, d: Detection) -> bool:
    """An unconditional verdict for the sources a rule names."""
    return True


# -- the vocabulary gate (deid/text/slots.py): an eponym in its clinical frame ("pouch
# of Douglas", "Bethesda III", "Murphy sign") is no person or place. "U <state> scale",
# "in <town> area" (gate_place_named) is a place, not an eponym; after a kinship word or
# a title (gate_person_cue) the gate has read the vocabulary itself ("Son, Ed,": a
# clinical abbreviation elsewhere).
@predicate("eponym_after")
def _eponym_after(text: str, d: Detection) -> bool:
    """An eponym's follower after the span: "Murphy sign", "Hodgkin lymphoma"."""
    return _EPONYM_FOLLOWERS.match(text[d.end : d.end + 40]) is not None


@predicate("eponym_last_word")
def _eponym_last_word(text: str, d: Detection) -> bool:
    """The span ends in an eponym's follower: "Sister Mary Joseph nodule"."""
    return _EPONYM_FOLLOWERS.match(" " + _span(text, d).split()[-1]) is not None


@predicate("of_eponym_before")
def _of_eponym_before(text: str, d: Detection) -> bool:
    """"pouch of Douglas", "tetralogy of Fallot", "islets of Langerhans"."""
    return _OF_EPONYM.search(text, max(0, d.start - 30), d.start) is not None


@predicate("roman_after")
def _roman_after(text: str, d: Detection) -> bool:
    """A grade after the span: "Bethesda III", "Killip II"."""
    return _ROMAN_AFTER.match(text, d.end) is not None


@predicate("lab_value")
def _lab_value(text: str, d: Detection) -> bool:
    """"Li 1.4", "Na 128", "K 3.2": a lab value, not Mr Li."""
    return _span(text, d).casefold() in _LAB_ELEMENTS and _NUMBER_AFTER.match(text, d.end) is not None


@predicate("is_clinical")
def _clinical(text: str, d: Detection) -> bool:
    """Every word is in the clinical vocabulary: "CC: SOB", "PMH HASHIMOTO'S THYROIDITIS"."""
    return _is_clinical(_span(text, d))


# -- NER and gazetteer guesses
@predicate("has_digit")
def _has_digit(text: str, d: Detection) -> bool:
    return any(ch.isdigit() for ch in _span(text, d))


@predicate("short_capitals")
def _short_capitals(text: str, d: Detection) -> bool:
    """All-caps short tokens are abbreviations (SOB, DNR, ICU, LA) far more often than names."""
    stripped = _span(text, d).replace(".", "").replace(" ", "")
    return stripped.isupper() and len(stripped) <= 5


@predicate("starts_lower")
def _starts_lower(text: str, d: Detection) -> bool:
    """A spaCy entity in lower case."""
    return _span(text, d)[:1].islower()


@predicate("all_common_words")
def _common(text: str, d: Detection) -> bool:
    """"Cheers", "Admission Date", "LEFT ANTERIOR DESCENDING ARTERY"."""
    return _all_common_words(_span(text, d))


@predicate("title_alone")
def _title_alone(text: str, d: Detection) -> bool:
    """"Dr note reviewed": a title alone."""
    return _span(text, d).strip(" .").casefold() in ("dr", "mr", "mrs", "ms", "prof", "doctor")


@predicate("country")
def _country(text: str, d: Detection) -> bool:
    """A country is no Safe Harbor identifier; a country that is also a name ("Chad") stays."""
    return _is_country(_span(text, d))


@predicate("grade_not_name")
def _grade_not_name(text: str, d: Detection) -> bool:
    """"Bethesda III", "Killip II": a grade, not a place or a person."""
    return _ROMAN_AFTER.match(text, d.end) is not None and _not_a_name(_span(text, d))


@predicate("title_before")
def _title_before(text: str, d: Detection) -> bool:
    """"Sister Mary ...": a person's name, found as such elsewhere."""
    return _TITLE_BEFORE.search(text, max(0, d.start - 12), d.start) is not None


# -- pattern matches that have the shape of a clinical value: a reading, a range, a
# setting or a device, not an identifier
def _on_span(check: Callable[[str, int, int], bool]) -> Predicate:
    def run(text: str, d: Detection) -> bool:
        return check(text, d.start, d.end)

    return run


for _name, _check in (
    ("date_not_date", _date_not_date),
    ("phone_not_phone", _phone_not_phone),
    ("via_not_street", _via_not_street),
    ("age_not_age", _age_not_age),
    ("vehicle_not_vehicle", _vehicle_not_vehicle),
    ("handle_not_handle", _handle_not_handle),
    ("hyphen_words", _hyphen_words),
):
    predicate(_name)(_on_span(_check))


# -- street addresses
@predicate("count_not_unit")
def _count_not_unit(text: str, d: Detection) -> bool:
    """"POD #2", "HD #4", "cycle #3": a count, not a unit number."""
    return _span(text, d).startswith("#") and _COUNT_BEFORE.search(text, max(0, d.start - 10), d.start) is not None


@predicate("sentence_street")
def _sentence(text: str, d: Detection) -> bool:
    """"45 MINUTES ENCOURAGING PT": a sentence of a note, not an address."""
    return _sentence_street(_span(text, d))


@predicate("clinical_street")
def _shorthand_street(text: str, d: Detection) -> bool:
    """"8 MCG. BP STABLE CONT AV": a suffix that is shorthand."""
    return _clinical_street(_span(text, d))


@predicate("common_word_head")
def _common_word_head(text: str, d: Detection) -> bool:
    """"Offering 2", "Spring 2021", "Bring 3"."""
    from deid.text.recognizers import common_words

    head = WORD_TOKEN.match(_span(text, d))
    return bool(head and head.group().casefold() in common_words())


# -- names after a title, a cue or a context word
@predicate("credential_after")
def _credential_after(text: str, d: Detection) -> bool:
    """"Murphy RN" is a nurse even though Murphy is an eponym; "Charge RN" is a role."""
    return text[d.end : d.end + 12].lstrip(" ,").startswith(_CRED_AFTER)


@predicate("cue_before_credential")
def _cue_before_credential(text: str, d: Detection) -> bool:
    """"PER MD'S", "CALLED MD": a cue word before a credential, no surname."""
    from deid.text.slots import rules as slot_rules

    if not _credential_after(text, d):
        return False
    words = [w.casefold() for w in WORD_TOKEN.findall(_span(text, d))]
    return bool(words) and all(w in slot_rules().person_before_weak for w in words)


@predicate("role_before_credential")
def _role_before_credential(text: str, d: Detection) -> bool:
    """"Charge RN": everyday words in no name list before a credential are a role."""
    from deid.text.recognizers import common_words, gazetteer

    if not _credential_after(text, d):
        return False
    first, last = gazetteer("first_names.tsv"), gazetteer("surnames.tsv")
    words = [w.casefold() for w in WORD_TOKEN.findall(_span(text, d))]
    return all(w in common_words() and w not in first and w not in last for w in words)


@predicate("common_word_before_comma")
def _common_word_before_comma(text: str, d: Detection) -> bool:
    """"Also, I." / "However, A." are no names."""
    return _all_common_words(_span(text, d).split(",")[0])


@predicate("chat_speaker")
def _chat_speaker(text: str, d: Detection) -> bool:
    """A chat speaker ("[02:17] CP: ..."), whatever the letters spell."""
    return text[d.end : d.end + 1] == ":" and _CHAT_STAMP_BEFORE.search(text, max(0, d.start - 30), d.start) is not None


_GREETING_BEFORE = regex.compile(r"(?im)^[ \t]*(?:>[ \t]*)*(?:hi|hello|hey|dear)[ \t]+$")
_GREETING_AFTER = regex.compile(r"[ \t]*[,!]")


@predicate("greeting_name")
def _greeting_name(text: str, d: Detection) -> bool:
    """"Hi <Eponym>,": the one word a greeting opening a message names is a person,
    whatever clinical word it also spells (a comma or "!" after it)."""
    return (_GREETING_BEFORE.search(text, max(0, d.start - 16), d.start) is not None
            and _GREETING_AFTER.match(text, d.end) is not None and " " not in _span(text, d))


@predicate("honorific_before")
def _honorific_before(text: str, d: Detection) -> bool:
    """"Mr Johnson", "Dr. Graves": after an honorific an eponym is a person."""
    return _HONORIFIC_BEFORE.search(text, max(0, d.start - 12), d.start) is not None


# -- places and institutions
@predicate("lower_head_not_place")
def _lower_head_not_place(text: str, d: Detection) -> bool:
    """"lives in fear", "moved to rehab"."""
    from deid.text.recognizers import common_words

    span = _span(text, d)
    head = span.split()[0].casefold()
    return not _is_city(span) and (head in common_words() or head in _vocab() or head in MONTHS_DAYS)


@predicate("all_months_days")
def _all_months_days(text: str, d: Detection) -> bool:
    """"moved from Monday", "from March"."""
    return all(w.casefold() in MONTHS_DAYS for w in WORD_TOKEN.findall(_span(text, d)))


@predicate("common_words_not_city")
def _common_words_not_city(text: str, d: Detection) -> bool:
    """"MR SEVERE, MS MILD" (mitral regurgitation, not Mississippi)."""
    span = _span(text, d)
    return _all_common_words(span) and not _is_city(span)


@predicate("lower_kind_of_clinic")
def _lower_kind_of_clinic(text: str, d: Detection) -> bool:
    """"fracture clinic", "eye clinic", "teaching hospital": a kind of clinic, not one."""
    span = _span(text, d)
    return span.islower() and not _has_proper_word(span)


@predicate("not_named_after_person_or_place")
def _not_named(text: str, d: Detection) -> bool:
    """"Plastic Surgery", "Cardiac Surgery": an institution named after no one."""
    return not _named_after_person_or_place(_span(text, d))


# ---- the chain ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Rule:
    """One line of ``filters.yaml``: where it applies, what it checks, what it decides."""

    predicate: str
    keep: bool  # the verdict when the predicate holds: keep at once, or drop
    sources: frozenset[str] | None = None  # None: every source
    source_prefix: str | None = None
    kinds: frozenset[str] | None = None  # None: every kind
    except_sources: frozenset[str] = frozenset()

    def applies(self, source: str, kind: str) -> bool:
        if self.sources is not None and source not in self.sources:
            return False
        if self.source_prefix is not None and not source.startswith(self.source_prefix):
            return False
        if self.kinds is not None and kind not in self.kinds:
            return False
        return source not in self.except_sources


def _names(rule: dict[str, object], key: str) -> frozenset[str] | None:
    value = rule.get(key)
    if value is None:
        return None
    if not isinstance(value, list):
        raise ValueError(f"{FILTERS_FILE}: {key} must be a list")
    return frozenset(str(s) for s in value)


_RULE_KEYS = {"predicate", "verdict", "sources", "source_prefix", "kinds", "except_sources"}


def parse_rules(spec: object) -> tuple[Rule, ...]:
    """The rules of a ``filters.yaml`` document, checked: an unknown key, predicate or
    verdict is an error (a typo must not switch a filter off)."""
    if not isinstance(spec, dict) or not isinstance(spec.get("rules"), list):
        raise ValueError(f"{FILTERS_FILE}: a mapping with a 'rules' list is expected")
    out = []
    for i, r in enumerate(spec["rules"]):
        if not isinstance(r, dict) or set(r) - _RULE_KEYS or "predicate" not in r or "verdict" not in r:
            raise ValueError(f"{FILTERS_FILE}: rule {i} must have predicate and verdict, and only {sorted(_RULE_KEYS)}")
        if r["predicate"] not in PREDICATES:
            raise ValueError(f"{FILTERS_FILE}: rule {i}: unknown predicate {r['predicate']!r}")
        if r["verdict"] not in VERDICTS:
            raise ValueError(f"{FILTERS_FILE}: rule {i}: verdict must be one of {sorted(VERDICTS)}")
        out.append(Rule(
            predicate=r["predicate"], keep=VERDICTS[r["verdict"]], sources=_names(r, "sources"),
            source_prefix=r.get("source_prefix"), kinds=_names(r, "kinds"),
            except_sources=_names(r, "except_sources") or frozenset(),
        ))
    return tuple(out)


@functools.cache
def rules() -> tuple[Rule, ...]:
    """``data/filters.yaml``, read once per process."""
    return parse_rules(yaml.safe_load((DATA / FILTERS_FILE).read_text(encoding="utf-8")))


@functools.cache
def _chain(source: str, kind: str) -> tuple[tuple[Predicate, bool], ...]:
    """The (predicate, verdict) pairs that apply to one source and kind, in file order."""
    return tuple((PREDICATES[r.predicate], r.keep) for r in rules() if r.applies(source, kind))


def keep(text: str, d: Detection) -> bool:
    """Whether detection ``d`` of ``text`` is kept: the first rule whose predicate holds
    decides; a detection no rule decides is kept."""
    for check, verdict in _chain(d.source, d.kind):
        if check(text, d):
            return verdict
    return True
