"""Places from the city gazetteer."""

from __future__ import annotations

from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerResult

from deid.text.recognizers.base import WORD as _WORD
from deid.text.recognizers.base import gazetteer, medical_terms
from deid.text.recognizers.base import recognizer_result as _result


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
