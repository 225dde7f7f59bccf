"""Every regex rule of ``patterns.yaml`` as one Presidio recognizer."""

from __future__ import annotations

from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerResult

from deid.text.recognizers.base import recognizer_result as _result
from deid.text.recognizers.patterns import iter_matches, load_patterns


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
