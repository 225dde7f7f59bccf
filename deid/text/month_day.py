"""Month/day dates without a year, told apart from clinical ratios by shape and context.

Nursing notes date events with a bare month/day wherever they fall ("head ct 11/20
neg", "LBM 11/4", "hemodialysis 8/9 or 8/10"), with no date word before it; the same
shape is also data: blood pressure, ventilator settings ("PSV 10/5"), strength (5/5),
murmurs (2/6), fractions (1/2 NS, rales 1/3 up), pain scores (4/10) and GCS (3/15).
Every N/M with N a month and M a day of that month (or a two-digit year: "echo 8/87")
is a date unless its shape or the words around it, listed in ``data/month_day.yaml``,
say it is a ratio. A date word just before it ("on 5/5", "since 10/5") wins over the
context. Judged on shape and context only: no values are listed.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import yaml
from presidio_analyzer import EntityRecognizer, RecognizerResult

from deid.text.recognizers import DATA

_CANDIDATE = re.compile(r"(?<![\w/.\-#,])(?<!\d:)(\d{1,2})/(\d{1,2})(?![\d/]|\.\d|,\d)")
_TOKEN = re.compile(r"[a-z0-9]+")
# a two-digit year written with an apostrophe: "CABG '92" (not "70's"; "30'" is feet)
_TWO_DIGIT_YEAR = re.compile(r"(?<![\w'’/.\-])['’](\d{2})(?![\w'’])")


@dataclass(frozen=True)
class MonthDayRules:
    next_words: frozenset[str]
    setting_words: frozenset[str]
    before_words: frozenset[str]
    date_cues: frozenset[str]
    fraction_denominators: frozenset[int]
    pain_words: frozenset[str]
    duration_denominators: frozenset[int]
    duration_before: frozenset[str]
    duration_next: frozenset[str]
    always_duration: frozenset[int]


@functools.cache
def rules() -> MonthDayRules:
    spec = yaml.safe_load((DATA / "month_day.yaml").read_text(encoding="utf-8"))

    def words(key: str) -> frozenset[str]:
        return frozenset(str(w).casefold() for w in spec[key])

    return MonthDayRules(
        words("next_words"), words("setting_words"), words("before_words"), words("date_cues"),
        frozenset(int(d) for d in spec["fraction_denominators"]), words("pain_words"),
        frozenset(int(d) for d in spec["duration_denominators"]), words("duration_before"), words("duration_next"),
        frozenset(int(d) for d in spec["always_duration"]),
    )


def _line_tokens(text: str, start: int, end: int, before: bool, count: int) -> list[str]:
    """Up to ``count`` word tokens before ``start`` (nearest first) or after ``end``, on
    the same line."""
    if before:
        lo = text.rfind("\n", 0, start) + 1
        toks = _TOKEN.findall(text[max(lo, start - 40) : start].casefold())
        return toks[::-1][:count]
    hi = text.find("\n", end)
    hi = len(text) if hi < 0 else hi
    return _TOKEN.findall(text[end : min(hi, end + 40)].casefold())[:count]


def is_month_day(text: str, start: int, end: int, month: int, second: str) -> bool:
    """Whether ``text[start:end]`` (``month``/``second``) is a date here."""
    r = rules()
    value = int(second)
    if len(second) == 2 and value > 31:
        pass  # month / two-digit year: "echo 8/87", "MI 7/81"
    elif not 1 <= value <= 31:  # "2/31" is a slip for a date, not a ratio
        return False
    after = text[end : end + 1]
    if after.isalpha() or after == "%":
        return False  # glued to a unit: "1/2NS", "10/5PEEP", "5/30%"
    if after == " " and text[end + 1 : end + 2] == "%":
        return False
    before = _line_tokens(text, start, end, True, 5)
    nxt = _line_tokens(text, start, end, False, 3)
    if nxt and nxt[0] in r.next_words and re.match(r"[ \t]*[a-z%]", text[end : end + 12], re.IGNORECASE):
        return False  # the next word only when nothing stands between ("(placed 8/14). AC ...")
    if value in r.always_duration:
        return False
    if value in r.duration_denominators and (
        before and before[0] in r.duration_before or nxt and nxt[0] in r.duration_next
    ):
        return False  # "plan 1/7 review", "in 2/52": days, weeks, months
    if before and before[0] in r.date_cues:
        return True
    if value in r.fraction_denominators and month < value:
        return False  # 1/2, 1/3, 2/3, 1/4, 3/4: a quantity
    if month == value and value in (5, 10):
        return False  # a full score or a setting: 5/5 strength, CPAP 5/5, 10/10 pain
    if before and before[0] in r.before_words or any(w in r.setting_words for w in before):
        return False
    if value == 10 and any(w in r.pain_words for w in before + nxt):
        return False  # a pain score "c/o 4/10 cp"
    return True


class MonthDayRecognizer(EntityRecognizer):
    """Month/day (and month/two-digit-year) dates in any position; two-digit years
    written with an apostrophe ("CABG '92")."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["DATE"], name="MonthDayRecognizer")

    def load(self) -> None:
        rules()

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        if entities and "DATE" not in entities:
            return []
        out: list[RecognizerResult] = []
        if "/" in text:
            for m in _CANDIDATE.finditer(text):
                month = int(m.group(1))
                if 1 <= month <= 12 and is_month_day(text, m.start(), m.end(), month, m.group(2)):
                    out.append(RecognizerResult("DATE", m.start(), m.end(), 0.6,
                                                recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: "month_day"}))
        if "'" in text or "’" in text:
            for m in _TWO_DIGIT_YEAR.finditer(text):
                out.append(RecognizerResult("DATE", m.start(1), m.end(1), 0.5,
                                            recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: "two_digit_year"}))
        return out
