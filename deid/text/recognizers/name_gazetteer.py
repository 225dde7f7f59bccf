"""Names from the first-name and surname gazetteers."""

from __future__ import annotations

from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerResult

from deid.text.recognizers.base import WORD as _WORD
from deid.text.recognizers.base import gazetteer, medical_terms
from deid.text.recognizers.base import recognizer_result as _result

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
