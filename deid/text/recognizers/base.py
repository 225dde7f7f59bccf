"""What every recognizer shares: the data folder, the word lists and gazetteers
(loaded once per process) and the Presidio result they return."""

from __future__ import annotations

import functools
import re as _re
from dataclasses import dataclass
from importlib import resources

from presidio_analyzer import RecognizerResult

DATA = resources.files("deid.text") / "data"



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


@functools.cache
def countries() -> frozenset[str]:
    return frozenset(c.casefold() for c in _read_lines("countries.txt"))


@functools.cache
def common_words() -> frozenset[str]:
    return frozenset(_read_lines("common_words.txt"))




WORD = _re.compile(r"[^\W\d_](?:[^\W\d_]|['’\-])*")


def recognizer_result(entity: str, start: int, end: int, score: float, name: str) -> RecognizerResult:
    return RecognizerResult(
        entity_type=entity,
        start=start,
        end=end,
        score=score,
        # Only the name: Presidio adds the recognizer's id, which it uses to route results.
        recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: name},
    )
