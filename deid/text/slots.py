"""The vocabulary gate: a word where a name or a place stands is kept only when it is
known-safe vocabulary.

Detectors that look for what resembles PHI miss what their authors did not imagine; the
gate decides the other way round. It reads the known-safe vocabulary
(:mod:`deid.text.vocabulary`: SAFE / AMBIGUOUS / UNKNOWN) and the positions a name or a
place can take (``data/slots.yaml``):

* a capitalised word in mixed-case or lower-case writing ("seen by Healey today") that
  is UNKNOWN: capitals carry meaning there;
* after a person cue (kinship, title, role: "dtr <name>", "w/ md <name>", "np <name>")
  or before a credential ("<first> <last> rn", "<name> aware"), in any case style: an
  UNKNOWN word, or an AMBIGUOUS one after a strong cue ("son bill");
* an initial and a word ("W. <SURNAME>", "q. <name> rrt");
* after a verb of moving a patient and to/from/at ("transfer to <ward> 2", "admitted
  to <2-letter hospital>"), or before a place word ("<town> hosp", "<name> rehab");
* a last line of one to three unknown words (a sign-off).

A SAFE word is never taken, so the cost in clinical words is bounded by what the
vocabulary knows; measured on the real development notes (bench/text_real.py).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import regex
import yaml
from presidio_analyzer import EntityRecognizer, RecognizerResult

from deid.text.recognizers import _AFTER_TITLE_NOT_NAMES, DATA
from deid.text.vocabulary import WordClass, classify, is_name_like, is_shorthand, is_truncation

_UPPER = regex.compile(r"\p{Lu}")
_LOWER = regex.compile(r"\p{Ll}")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*(?:-[^\W\d_]+)*|@")
# a ward's number after its name: one or two digits, then no unit ("<ward> 2", not "<drug> 2 mg")
_WARD_NUMBER = re.compile(r"[ \t]+\d{1,2}[a-z]?(?![\d,/:%-]|\.\d|\s*(?:mg|mcg|g|ml|cc|l|u|units?|hrs?|hours?|h|min|mins|days?|wks?|weeks?|x|meq|mmol|mm|cm|kg|lbs?|%|am|pm|o'?clock)\b)", re.IGNORECASE)
_NAME_SHAPE = re.compile(r"[^\W\d_][^\W\d_]+(?:['’][^\W\d_]+)?(?:-[^\W\d_]+)?$")


# a clinical service or procedure, not a place's name ("went to Cardiology", "to Endoscopy")
_SERVICE_ENDINGS = ("ology", "scopy", "graphy", "ectomy", "otomy", "ostomy", "plasty", "iatry", "iatrics", "ysis", "ics")
_VISIT_VERBS = frozenset({"visited", "visiting", "called", "phoned", "telephoned", "came", "stopped"})
# the start of a clause: a line, a heading's colon, a sentence's full stop
_CLAUSE_START = re.compile(r"(?:^|[\n:;.]|^\s*-)[ \t]*$")
# an age right after a word: "mr <word> 47yo", "mrs <word>, 82", "(38F)"
_AGE_AFTER = re.compile(
    r"[ \t]*[,(]?[ \t]*(?:\d{1,3}[ \t]?(?:y|yo|y/o|yrs?|years?|-year-old|-yo|[mf])\b|aged?[ \t]+\d{1,3}\b"
    r"|in[ \t]+(?:his|her|their)[ \t]+(?:early|mid|late)[ \t-]*(?:\d0s|[a-z]+ties)\b)", re.IGNORECASE)
_DIGIT_BEFORE = re.compile(r"(?:[^\W_]|\d[ \t]+)$")  # glued to a code, or a unit after a number
_TWO_LETTER_FUNCTION_WORDS = frozenset(
    "am an as at be by do go he hi if in is it me my no of oh ok on or pm so to up us we ya ye yo".split()
)
# the end of what comes before a sentence: a line break, a heading's colon, a full stop
_SENTENCE_START = re.compile(r"(?s:.*)(?:\n|[.:;!?][ \t]+|\]\s*)")
_LETTER = regex.compile(r"\p{L}")
# initials: two or three dotted capitals ("J.D.", "M.R.", "F.K.")
_DOTTED_INITIALS = regex.compile(r"(?<![\w.])(?:\p{Lu}\.){2,3}(?![\w])")
_INITIALS_CUE_BEFORE = re.compile(
    r"\b(?i:pt|patient|poa|hcp|proxy|nok|son|daughter|dtr|wife|husband|partner|mother|father|mom|dad|brother|sister"
    r"|friend|mr|mrs|ms|miss|dr|initials)\.?:?[ \t]+$")
_INITIALS_AGE_AFTER = re.compile(
    r"[ \t]*(?:(?:is|was)[ \t]+(?:a|an)[ \t]+\d|,?[ \t]*(?:a[ \t]+)?\d{1,3}[ \t-]*(?:y|yo|y/o|yrs?|years?|-year-old|[mf])\b"
    r"|\([ \t]*\d{1,3})", re.IGNORECASE)
_DASH_BEFORE = re.compile(r"[ \t][-–—][ \t]*$")
_LINE_END = re.compile(r"[ \t]*(?:\n|$)")
# after "mr <capital>": a word in lower case or the end of a sentence, not "A&O", "A+O", "A/O"
_TITLE_INITIAL_AFTER = re.compile(r"\.?(?:[ \t]+[a-z]|[ \t]*(?:\n|$)|[ \t]*[,;])")
_BRACKET_GAP = re.compile(r"[ \t]*\([ \t]*")
_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mister", "sra", "srta", "herr", "frau", "mme", "mlle", "madame", "monsieur", "signora", "mevr"})
# what a relative does after being named: "son <name> on his way", "dtr <name> called"
_KIN_ACTS_AFTER = re.compile(
    r"[ \t]+(?:on[ \t]+(?:his|her|their|the)[ \t]+way|called|phoned|rang|visited|arrived|is[ \t]+(?:coming|here|on)|at[ \t]+(?:the[ \t]+)?bedside)\b",
    re.IGNORECASE)
# words between a kinship word and what the relative does that name no one
_KIN_NOT_NAMES = frozenset(
    "and or who has had have was were is are his her their in law inlaw in-law also just finally already "
    "never still again first second eldest oldest youngest older younger elder other another both two three "
    "together herself himself themselves".split())
_MOVED_WHOM = frozenset({"her", "him", "them", "pt", "patient", "mom", "mum", "dad"})
_LIVES = frozenset({"lives", "living", "resides", "lived", "live", "resident", "residing"})


def _titled_place_word(word: str, low: str, r: SlotRules, inside: bool) -> bool:
    """A Title-case word after "went to"/"from" that may name a place: SAFE or AMBIGUOUS
    vocabulary that is no clinical term, no generic or kind-of-place word, no month."""
    from deid.text.recognizers import medical_terms

    if not (word[:1].isupper() and word[1:].islower() and len(word) > 2):
        return False
    if low in r.place_generic or low in r.place_after or is_shorthand(low) or (low in r.place_kind_words and not inside):
        return False
    if inside:
        # after the first word only a word of a kind of place or a word that is not
        # plain vocabulary: "<Saint's word> Heart", not "<Place> Vital signs"
        return low in r.place_kind_words or word_class(word) is not WordClass.SAFE
    if low in medical_terms() or low in r.place_not_named or low.endswith(_SERVICE_ENDINGS):
        return False
    return word_class(word) is not WordClass.UNKNOWN




def _kin_name_word(low: str) -> bool:
    """A word that can be a relative's name after "son"/"dtr" before what they do."""
    from deid.text.names import STOPWORDS
    from deid.text.recognizers import medical_terms

    return not (low in _AFTER_TITLE_NOT_NAMES or low in STOPWORDS or low.endswith("ly") or low in medical_terms()
                or is_shorthand(low) or low in _KIN_NOT_NAMES)


def _lives_in_place(words: list[str], r: SlotRules) -> bool:
    """The words after "lives in" name a town: none is a kind of home, a determiner or a
    clinical term, and the last is a word of three letters or more."""
    from deid.text.recognizers import medical_terms

    last = words[-1]
    if len(last) < 3 or not last.isalpha():
        return False
    return not any(w in r.place_lives_in_not_named or w in r.place_generic or w in r.place_kind_words
                   or w in medical_terms() or is_shorthand(w) or w in r.place_not_named for w in words[-1:])


@dataclass(frozen=True)
class SlotRules:
    person_before_strong: frozenset[str]
    person_before_weak: frozenset[str]
    person_cue_phrases: re.Pattern[str]
    person_cue_last: frozenset[str]  # the last word of each cue phrase: a cheap test first
    person_after: frozenset[str]
    person_after_strong: frozenset[str]
    place_verbs: frozenset[str]
    place_prepositions: frozenset[str]
    place_after: frozenset[str]
    place_generic: frozenset[str]
    place_abbrev_before: frozenset[str]
    place_abbrev_not: frozenset[str]
    place_after_named: frozenset[str]
    place_kind_words: frozenset[str]
    place_word_in_name: frozenset[str] = frozenset()
    place_after_two_named: frozenset[str] = frozenset()
    place_two_named_before: frozenset[str] = frozenset()
    place_saint: frozenset[str] = frozenset()
    place_ward_cues: frozenset[str] = frozenset()
    place_area_words: frozenset[str] = frozenset()
    place_residence_words: frozenset[str] = frozenset()
    place_geo_words: frozenset[str] = frozenset()
    place_not_named: frozenset[str] = frozenset()
    place_origin_before: frozenset[str] = frozenset()
    place_name_prefixes: frozenset[str] = frozenset()
    person_kin: frozenset[str] = frozenset()
    place_lives_in_not_named: frozenset[str] = frozenset()
    place_lives_adverbs: frozenset[str] = frozenset()
    initials_not_names: frozenset[str] = frozenset()
    us_state: re.Pattern[str] = re.compile(r"(?!)")
    state_after: re.Pattern[str] = re.compile(r"(?!)")


@functools.cache
def rules() -> SlotRules:
    spec = yaml.safe_load((DATA / "slots.yaml").read_text(encoding="utf-8"))

    def words(key: str) -> frozenset[str]:
        return frozenset(str(w).casefold() for w in spec[key])

    phrases = re.compile(r"\b(?:" + "|".join(spec["person_cue_phrases"]) + r")[ \t:,]*$", re.IGNORECASE)
    last = frozenset(str(w).casefold() for w in spec["person_cue_last_words"])
    return SlotRules(
        words("person_before_strong"), words("person_before_weak"), phrases, last, words("person_after"),
        words("person_after_strong"), words("place_verbs"), words("place_prepositions"),
        words("place_after"), words("place_generic"),
        words("place_abbrev_before"), words("place_abbrev_not"),
        words("place_after_named"), words("place_kind_words"),
        words("place_word_in_name"), words("place_after_two_named"), words("place_two_named_before"),
        words("place_saint"), words("place_ward_cues"),
        words("place_area_words"), words("place_residence_words"), words("place_geo_words"), words("place_not_named"),
        words("place_origin_before"), words("place_name_prefixes"), words("person_kin"),
        words("place_lives_in_not_named"), words("place_lives_adverbs"), words("initials_not_names"),
        re.compile(r"\b(?:U|Univ\.?|University(?:\s+of)?)\s+(?:"
                   + "|".join(r"\s+".join(map(re.escape, str(st).split())) for st in spec["us_states"])
                   + r")\b", re.IGNORECASE),
        re.compile(r",?[ \t]+(?:" + "|".join(r"\s+".join(map(re.escape, str(st).split())) for st in spec["us_states"])
                   + r")(?:['’]s)?\b", re.IGNORECASE),
    )


@functools.lru_cache(maxsize=65536)
def word_class(word: str) -> WordClass:
    """The vocabulary's class of a word, possessive and full stop stripped."""
    low = word.casefold().rstrip(".")
    if low.endswith(("'s", "’s")):
        low = low[:-2]
    return classify(low)


@functools.lru_cache(maxsize=64)  # asked by the engine, the gate and the trimming per text
def text_style(text: str) -> str:
    """"caps", "lower" or "mixed": how the writer uses capitals."""
    up = len(_UPPER.findall(text))
    total = up + len(_LOWER.findall(text))
    if not total:
        return "mixed"
    share = up / total
    return "caps" if share > 0.7 else "lower" if share < 0.03 else "mixed"


class VocabularyGateRecognizer(EntityRecognizer):
    """Names and places in the positions listed in ``data/slots.yaml`` that the
    vocabulary does not know (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON", "LOCATION"], name="VocabularyGateRecognizer")

    def load(self) -> None:
        rules()

    @staticmethod
    def _result(kind: str, start: int, end: int, score: float, source: str) -> RecognizerResult:
        return RecognizerResult(kind, start, end, score, recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: source})

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        r = rules()
        style = text_style(text)
        toks = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
        classes = [word_class(w) for _s, _e, w in toks]
        lows = [w.casefold().rstrip(".") for _s, _e, w in toks]
        out: list[RecognizerResult] = []
        n = len(toks)

        def same_line(i: int, j: int) -> bool:
            return "\n" not in text[toks[i][1] : toks[j][0]]

        def close(i: int, j: int) -> bool:
            """Token j follows token i with only spaces and light punctuation between."""
            gap = text[toks[i][1] : toks[j][0]]
            return len(gap) <= 3 and "\n" not in gap and all(ch in " \t,:.-'" for ch in gap)

        def lower_clause(k: int) -> bool:
            """Token k is written in lower case and so is its sentence's first letter: the
            writer does not capitalise here, whatever the rest of the text does ("... now.
            bed 4 mr <name> age 92", ". son <name> on his way")."""
            if not toks[k][2].islower():
                return False
            m = _SENTENCE_START.search(text, max(0, toks[k][0] - 200), toks[k][0])
            first = _LETTER.search(text, m.end() if m else max(0, toks[k][0] - 200), toks[k][1])
            return first is not None and first.group().islower()

        def take_name(i: int, strong: bool) -> int:
            """Tokens from i that are a name here: returns the end index (exclusive)."""
            cue_lower = strong and i > 0 and lower_clause(i - 1)
            j = i
            while j < n and j - i < 3:
                c = classes[j]
                w = toks[j][2]
                if len(w) == 1 and w.isalpha():
                    ok = j + 1 < n and close(j, j + 1) and text[toks[j][1] : toks[j][1] + 1] == "."  # an initial
                elif c is WordClass.UNKNOWN:
                    ok = (_NAME_SHAPE.match(w) is not None or w.isupper()) and (strong or not is_truncation(w))
                elif c is WordClass.AMBIGUOUS and j == i and not strong and j + 1 < n and close(j, j + 1) and (
                        classes[j + 1] is WordClass.UNKNOWN):
                    ok = True  # "with patty <unknown surname>"
                elif c is WordClass.AMBIGUOUS:
                    # after a title or a kinship word, an everyday word that is also a
                    # name ("son bill") — but not what follows "my dr" ("said", "wants")
                    ok = (strong and lows[j] not in _AFTER_TITLE_NOT_NAMES and (
                        style != "mixed" or w[:1].isupper() or cue_lower and j == i and w.islower())) or (
                        j > i and w[:1].isupper() == toks[i][2][:1].isupper()) or (
                        style == "mixed" and w[:1].isupper() and not w.isupper())
                else:
                    ok = False
                if not ok or (j > i and not close(j - 1, j)):
                    break
                j += 1
            return j

        for i in range(n):
            s, e, w = toks[i]
            c = classes[i]
            low = lows[i]
            # 1. a capitalised UNKNOWN word in writing where capitals mean something
            if c is WordClass.UNKNOWN and style != "caps" and _NAME_SHAPE.match(w) and w[0].isupper() and w[1:].islower():
                out.append(self._result("PERSON", s, e, 0.6, "gate_capitalised"))
                continue
            # 2. after a person cue ("wife (<name>)": a strong cue may put its name in brackets)
            if i + 1 < n and (close(i, i + 1) or low in r.person_before_strong and _BRACKET_GAP.fullmatch(text, e, toks[i + 1][0])):
                # a cue of several words ("spoke with", "copy to", "admitted under") is strong
                phrase = low not in r.person_before_strong and low in r.person_cue_last and (
                    r.person_cue_phrases.search(text, max(0, s - 30), toks[i + 1][0]) is not None)
                strong = low in r.person_before_strong or phrase
                weak = low in r.person_before_weak and not strong
                if low in r.person_after and "." in text[e : toks[i + 1][0]]:
                    strong = weak = False  # "per rn. per report": a credential ends its sentence
                if strong or weak:
                    j = take_name(i + 1, strong)
                    if phrase and j > i + 1 and classes[i + 1] is WordClass.AMBIGUOUS and len(toks[i + 1][2]) <= 2:
                        j = i + 1  # "spoke with ho re plan": a phrase takes no two-letter shorthand
                    if (j == i + 1 and strong and low in _TITLES and len(toks[i + 1][2]) > 2
                            and (classes[i + 1] is WordClass.AMBIGUOUS or lower_clause(i))
                            and lows[i + 1] not in _AFTER_TITLE_NOT_NAMES and _AGE_AFTER.match(text, toks[i + 1][1])):
                        # "bed 4 mr <everyday word> 47yo", "mr <eponym> age 92": a title, a
                        # word, an age
                        j = i + 2
                    if j > i + 1 and not (weak and not any(classes[k] is WordClass.UNKNOWN for k in range(i + 1, j))):
                        # a kinship word or a title outranks a pattern's guess on the same span
                        out.append(self._result("PERSON", toks[i + 1][0], toks[j - 1][1], 0.9 if strong else 0.6, "gate_person_cue"))
            # 2e. a kinship word, one word, then what a person does ("son <word> on his
            # way", "dtr <word> called"): the word is the relative's name whatever else it
            # spells, unless it is a function word, an adverb or a clinical term
            if (low in r.person_kin and i + 2 < n and close(i, i + 1) and close(i + 1, i + 2) and classes[i + 1] is not WordClass.UNKNOWN
                    and len(toks[i + 1][2]) >= 3 and toks[i + 1][2].isalpha() and _KIN_ACTS_AFTER.match(text, toks[i + 1][1])
                    and _kin_name_word(lows[i + 1])):
                out.append(self._result("PERSON", toks[i + 1][0], toks[i + 1][1], 0.9, "gate_person_cue"))
            # 2b. a title, then a word the vocabulary knows, then "aware" or a credential:
            # "dr. <word> aware" names a doctor whatever the word also means
            if low in ("dr", "drs", "doctor") and i + 2 < n and close(i, i + 1) and close(i + 1, i + 2) and (
                    lows[i + 2] in r.person_after_strong or lows[i + 2] == "aware") and lows[i + 1] not in _AFTER_TITLE_NOT_NAMES:
                out.append(self._result("PERSON", toks[i + 1][0], toks[i + 1][1], 0.6, "gate_person_cue"))
            # 2c. a two-letter hospital abbreviation after a preposition of place
            if (low in r.place_abbrev_before and i + 1 < n and close(i, i + 1) and len(toks[i + 1][2]) == 2
                    and classes[i + 1] is not WordClass.SAFE and lows[i + 1] not in r.place_abbrev_not
                    and (toks[i + 1][2].isupper() or style == "lower"
                         # lower case in mixed-case writing too, when no function word
                         # ("she had at <xx>. presents"): the abbreviation is the unusual word
                         or toks[i + 1][2].islower() and lows[i + 1] not in _TWO_LETTER_FUNCTION_WORDS)):
                out.append(self._result("LOCATION", toks[i + 1][0], toks[i + 1][1], 0.6, "gate_place"))
            # 2d. in mixed-case writing, three or four capitals the vocabulary does not know
            # after a preposition of place: an organisation's abbreviation ("system from <XYZ>")
            elif (low in r.place_abbrev_before and i + 1 < n and close(i, i + 1) and style == "mixed"
                    and 3 <= len(toks[i + 1][2]) <= 4 and toks[i + 1][2].isupper() and classes[i + 1] is WordClass.UNKNOWN):
                out.append(self._result("LOCATION", toks[i + 1][0], toks[i + 1][1], 0.6, "gate_place"))
            # 3. an initial and a word: "W. MAROTTA", "q. lander"
            if len(w) == 1 and w.isalpha() and text[e : e + 1] == "." and i + 1 < n and close(i, i + 1):
                c2 = classes[i + 1]
                w2 = toks[i + 1][2]
                if c2 is WordClass.UNKNOWN or (c2 is WordClass.AMBIGUOUS and (
                        i + 2 < n and lows[i + 2] in r.person_after_strong
                        # in mixed-case writing a capital initial and a capitalised word
                        # that is also a name: "Assistant: B. <Everyday>", "by K. <Word>"
                        # (not a strain's genus, a unit or a code's last letter: "E. Coli",
                        # "101.3 F. <Word>", "<serial>C. <Word>")
                        or style == "mixed" and w.isupper() and w2[:1].isupper() and w2[1:].islower() and len(w2) > 2
                        and is_name_like(w2) and not _DIGIT_BEFORE.search(text, max(0, s - 8), s))):
                    out.append(self._result("PERSON", s, toks[i + 1][1], 0.6, "gate_initial"))
            # 4. before a credential or "aware": walk back over non-safe words
            if low in r.person_after and i > 0 and close(i - 1, i) and toks[i - 1][2] != "@":
                strong_after = low in r.person_after_strong
                k = i - 1
                while k >= 0 and i - k <= 3 and (k == i - 1 or close(k, k + 1)):
                    ck = classes[k]
                    if lows[k] in r.person_before_weak or lows[k] in r.person_before_strong:
                        break  # a cue word is no name: "per rn", "dr aware"
                    if ck is WordClass.UNKNOWN or (ck is WordClass.AMBIGUOUS and strong_after and len(toks[k][2]) > 1):
                        k -= 1
                        continue
                    break
                if k < i - 1:
                    out.append(self._result("PERSON", toks[k + 1][0], toks[i - 1][1], 0.6, "gate_person_after"))
            # 4c. without capitals to go by: a listed name that is no word, then more name
            # words ("mary theresa <unknown surname> from speech")
            if (style != "mixed" and c is WordClass.UNKNOWN and len(w) > 2 and is_name_like(w)
                    and (i == 0 or not (lows[i - 1] and is_name_like(toks[i - 1][2]) and close(i - 1, i)))):
                j = i + 1
                while j < n and j - i < 4 and close(j - 1, j) and len(toks[j][2]) > 2 and (
                        classes[j] is WordClass.UNKNOWN and not is_truncation(toks[j][2])
                        or classes[j] is WordClass.AMBIGUOUS and is_name_like(toks[j][2])):
                    j += 1
                if j > i + 1:
                    out.append(self._result("PERSON", s, toks[j - 1][1], 0.6, "gate_person_after"))
            # 4d. a listed name that is no word, alone, however it is written ("<FIRST> IS
            # ON VACATION", "discussed this <first>")
            if c is WordClass.UNKNOWN and len(w) >= 4 and w.isalpha() and is_name_like(w) and not is_truncation(w):
                out.append(self._result("PERSON", s, e, 0.55, "gate_person_after"))
            # 4b. a listed name opening a clause before a verb of visiting or calling
            # ("social: <name> called once", ". <Name> visited"), in any case style
            if (i + 1 < n and lows[i + 1] in _VISIT_VERBS and close(i, i + 1) and c is not WordClass.SAFE
                    and len(w) > 2 and is_name_like(w) and _CLAUSE_START.search(text, max(0, s - 12), s)):
                out.append(self._result("PERSON", s, e, 0.6, "gate_person_after"))
            # 5. a place after a verb of moving and a preposition
            if low in r.place_prepositions and i > 0 and i + 1 < n and same_line(i - 1, i) and close(i, i + 1):
                verb = lows[i - 1] in r.place_verbs or (i > 1 and lows[i - 2] in r.place_verbs and lows[i - 1] in ("back", "the"))
                if verb:
                    j = i + 1
                    if lows[j] in ("the", "a", "an") and j + 1 < n:
                        j += 1
                    k = j
                    while k < n and k - j < 3 and (k == j or close(k - 1, k)):
                        ck, wk = classes[k], toks[k][2]
                        if ck is WordClass.UNKNOWN or (ck is WordClass.AMBIGUOUS and (
                            len(wk) <= 3 and wk.isalpha() or (style != "caps" and wk[:1].isupper() and not wk.isupper())
                            or (k + 1 < n and lows[k + 1] in r.place_after)
                        )):
                            k += 1
                            continue
                        break
                    if k == j and style == "mixed":
                        # "went to <Everyday Word>", "go to <Word> <Word>": in mixed-case
                        # writing a capitalised word there that is no clinical term names
                        # the place, however everyday the word
                        while k < n and k - j < 3 and (k == j or close(k - 1, k)) and _titled_place_word(toks[k][2], lows[k], r, k > j):
                            k += 1
                    if k > j:
                        out.append(self._result("LOCATION", toks[j][0], toks[k - 1][1], 0.6, "gate_place"))
            # 5b. where a person lives: "lives with son and family in <town>"
            # ("lives in <north> <unknown word>": a word of a town's name's first part too)
            jt = i + 2 if i + 2 < n and lows[i + 1] in r.place_name_prefixes and close(i + 1, i + 2) else i + 1
            if (low == "in" and jt < n and close(i, i + 1) and classes[jt] is WordClass.UNKNOWN
                    and any(lows[k] in ("lives", "living", "resides", "lived", "live") for k in range(max(0, i - 6), i))
                    and same_line(max(0, i - 6), i)):
                # (a town's first word outranks a name list's guess at the second)
                out.append(self._result("LOCATION", toks[i + 1][0], toks[jt][1], *((0.6, "gate_place") if jt == i + 1 else (0.9, "gate_place_named"))))
            # 5g. right after "lives in", "lives alone in": the word is where the person
            # lives, whatever else it spells ("lives in <everyday word> with her son"),
            # unless it is what that position otherwise holds (data/slots.yaml
            # place_lives_in_not_named: a kind of home, a determiner, a state of living)
            # or a clinical term; in mixed-case writing only a lower-case word (5f reads
            # the capitalised ones)
            if (low == "in" and 0 < i and jt < n and close(i, i + 1) and classes[jt] is not WordClass.UNKNOWN
                    and (lows[i - 1] in _LIVES or i > 1 and lows[i - 2] in _LIVES and lows[i - 1] in r.place_lives_adverbs
                         and close(i - 2, i - 1))
                    and close(i - 1, i) and (style != "mixed" or toks[i + 1][2].islower())
                    and _lives_in_place(lows[i + 1 : jt + 1], r)
                    and not (jt + 1 < n and close(jt, jt + 1) and lows[jt + 1] in r.place_lives_in_not_named)):
                # (named: the position, not the word, decides; no filter second-guesses it)
                out.append(self._result("LOCATION", toks[i + 1][0], toks[jt][1], 0.65 if jt == i + 1 else 0.9, "gate_place_named"))
            # 5h. "<Brand> of <Town>" after a verb of moving or living and a preposition
            # ("admitted from <Word> of <Word>", "discharged to <word> of <word>"): a care
            # home's chain and its town, whatever the words also spell
            if low in r.place_prepositions and 0 < i and i + 1 < n:
                # after a verb ("moved her to"), any words; after a bare preposition only a
                # town no list of words holds ("Dispo to <Word> of <unknown word>")
                verb = (lows[i - 1] in r.place_verbs and close(i - 1, i)) or (
                    i > 1 and lows[i - 2] in r.place_verbs and lows[i - 1] in _MOVED_WHOM and close(i - 2, i - 1))
                span = self._brand_of_town(text, toks, lows, classes, i + 1, style, r, strict=not verb)
                if span is not None:
                    out.append(self._result("LOCATION", span[0], span[1], 0.9, "gate_place_named"))
            # 5d. "lives in <XX>": two capitals where a person lives are a state or a town,
            # whatever clinical abbreviation they also spell
            if (low == "in" and i + 1 < n and close(i, i + 1) and len(toks[i + 1][2]) == 2 and toks[i + 1][2].isupper()
                    and style != "caps" and i > 0 and lows[i - 1] in _LIVES):
                out.append(self._result("LOCATION", toks[i + 1][0], toks[i + 1][1], 0.9, "gate_place_named"))  # outranks NER's guess
            # 5f. where a person lives or comes from, in mixed-case writing: a Title-case
            # word after "lives (with <whom>) in", "<woman> from", "Dr <name> in" names the
            # town however everyday the word ("lives with her son in <Reading>", "a woman
            # from <Sale>"); clinical terms, services, months and kinds of place stay
            if (style == "mixed" and low in ("in", "from") and 0 < i and i + 1 < n and close(i, i + 1)
                    and toks[i + 1][2][:1].isupper() and (
                        (low == "in" and any(lows[k] in _LIVES for k in range(max(0, i - 6), i)) and same_line(max(0, i - 6), i))
                        or (low == "from" and lows[i - 1] in r.place_origin_before and close(i - 1, i))
                        or (low == "in" and i > 1 and lows[i - 2] in ("dr", "doctor") and close(i - 2, i - 1) and close(i - 1, i)
                            and toks[i - 1][2][:1].isupper()))):
                k = i + 1
                while k < n and k - i <= 3 and (k == i + 1 or close(k - 1, k)) and _titled_place_word(toks[k][2], lows[k], r, k > i + 1):
                    k += 1
                # a phrase that runs on in capitals or into a number is a kind of home or a
                # ward ("in Assisted Living", "in Section 8 housing"), not a town
                runs_on = k < n and re.fullmatch(r"[ \t]+", text[toks[k - 1][1] : toks[k][0]]) is not None and toks[k][2][:1].isupper()
                if k > i + 1 and not runs_on and not re.match(r"[ \t]*\d", text[toks[k - 1][1] :]):
                    out.append(self._result("LOCATION", toks[i + 1][0], toks[k - 1][1], 0.6, "gate_place"))
            # 5e. "<town> <state>": a word the vocabulary does not know right before a
            # state's name ("this <town> maryland's facility")
            if i + 1 < n and close(i, i + 1) and c is WordClass.UNKNOWN and _NAME_SHAPE.match(w) and (
                    r.state_after.match(text, e) is not None):
                out.append(self._result("LOCATION", s, e, 0.6, "gate_place"))
            # 5c. "in <unknown word> area/county": a neighbourhood or a town
            if (low == "in" and i + 2 < n and close(i, i + 1) and close(i + 1, i + 2) and classes[i + 1] is WordClass.UNKNOWN
                    and _NAME_SHAPE.match(toks[i + 1][2]) and lows[i + 2] in r.place_area_words):
                # (named: "<word> area" would read as an eponym's area otherwise)
                out.append(self._result("LOCATION", toks[i + 1][0], toks[i + 1][1], 0.65, "gate_place_named"))
            # 6c. "the <Word> Shore", "in <Word> Valley": a capitalised word before a word of
            # geography, in mixed-case writing, inside a sentence
            if (low in r.place_geo_words and style == "mixed" and i > 1 and close(i - 1, i) and close(i - 2, i - 1)
                    and w[:1].isupper() and w[1:].islower() and toks[i - 1][2][:1].isupper() and toks[i - 1][2][1:].islower()
                    and lows[i - 2] in ("the", "in", "at", "from", "on", "near", "to")):
                out.append(self._result("LOCATION", toks[i - 1][0], e, 0.65, "gate_place_named"))
            # 6d. "from the <word> shore", "to the <word> valley": a region named after a
            # preposition and "the", in any case style, whatever the word
            if (low in r.place_geo_words and i > 2 and close(i - 1, i) and close(i - 2, i - 1) and close(i - 3, i - 2)
                    and lows[i - 2] == "the" and lows[i - 3] in ("in", "at", "from", "to", "near", "on", "by")
                    and _NAME_SHAPE.match(toks[i - 1][2]) and lows[i - 1] not in r.place_generic):
                out.append(self._result("LOCATION", toks[i - 1][0], e, 0.65, "gate_place_named"))
            # 6a. "the <surname> house", "at <surname> house": a residence or a home named so
            if (low in r.place_residence_words and i > 1 and close(i - 1, i) and close(i - 2, i - 1)
                    and lows[i - 2] in ("the", "at") and classes[i - 1] is not WordClass.SAFE and toks[i - 1][2][:1].isupper()
                    and _NAME_SHAPE.match(toks[i - 1][2]) and lows[i - 1] not in r.place_generic):
                out.append(self._result("LOCATION", toks[i - 1][0], toks[i - 1][1], 0.55, "gate_place_word"))
            # 6. words before a place word: "<town> hosp", "<name> rehab", "<abbrev> ew"
            if low in r.place_after and i > 0 and close(i - 1, i):
                k = i - 1
                while k >= 0 and i - k <= 3 and (k == i - 1 or close(k, k + 1)):
                    ck = classes[k]
                    if lows[k] in r.place_generic or lows[k] in r.place_after:
                        break
                    if ck is WordClass.UNKNOWN or (ck is WordClass.AMBIGUOUS and (
                        len(toks[k][2]) <= 3 or (style != "caps" and toks[k][2][:1].isupper())
                    )) or (low in r.place_after_named and len(toks[k][2]) > 1):
                        k -= 1
                        continue
                    break
                # words of a kind ("heart hospital") name no place unless a name stands
                # before them ("<saint's name> heart hospital")
                while k < i - 1 and lows[k + 1] in r.place_kind_words and classes[k + 1] is WordClass.SAFE:
                    k += 1
                if k < i - 1:
                    # "<name> memorial": the place word is part of the name
                    end = toks[i][1] if low in r.place_word_in_name else toks[i - 1][1]
                    out.append(self._result("LOCATION", toks[k + 1][0], end, 0.55, "gate_place_word"))
            # 6b. two named words before "rehab"/"house" after a preposition: "by <w> <w> rehab"
            if (low in r.place_after_two_named and i > 2 and close(i - 1, i) and close(i - 2, i - 1)
                    and lows[i - 3] in r.place_two_named_before and same_line(i - 3, i)
                    and all(len(toks[k][2]) > 2 and lows[k] not in r.place_generic and lows[k] not in r.place_kind_words
                            and lows[k] not in r.place_after and lows[k] not in r.place_two_named_before
                            for k in (i - 2, i - 1))):
                out.append(self._result("LOCATION", toks[i - 2][0], toks[i - 1][1], 0.55, "gate_place_word"))
            # 7. "St. <name>" after a preposition of place: "to St. <name>", "@ St <initial>."
            if (low in r.place_saint and i > 0 and i + 1 < n and lows[i - 1] in r.place_prepositions | r.place_abbrev_before
                    and close(i - 1, i) and close(i, i + 1)):
                w2 = toks[i + 1][2]
                if classes[i + 1] is WordClass.UNKNOWN or (len(w2) == 1 and w2.isupper() and text[toks[i + 1][1] : toks[i + 1][1] + 1] == "."):
                    out.append(self._result("LOCATION", s, toks[i + 1][1], 0.6, "gate_place"))
            # 8. a ward and its number after a verb of moving or "plan": "transfer <ward> 2"
            if (low in r.place_ward_cues and i + 1 < n and close(i, i + 1) and classes[i + 1] is WordClass.UNKNOWN
                    and _NAME_SHAPE.match(toks[i + 1][2]) and _WARD_NUMBER.match(text, toks[i + 1][1])):
                out.append(self._result("LOCATION", toks[i + 1][0], toks[i + 1][1], 0.6, "gate_place"))
        out.extend(self._initials(text, toks, lows, r))
        for m in r.us_state.finditer(text):  # "U <state> scale", "University of <state>"
            out.append(self._result("LOCATION", m.start(), m.end(), 0.65, "gate_place_named"))
        out.extend(self._signoff(text, toks, classes))
        return out

    @staticmethod
    def _brand_of_town(text: str, toks: list[tuple[int, int, str]], lows: list[str], classes: list[WordClass], j: int,
                       style: str, r: SlotRules, strict: bool = False) -> tuple[int, int] | None:
        """Tokens from j that read "[the] <name> of <name>" (one or two words each side),
        no side a kind of place, a service or a clinical term: the span, or None."""
        from deid.text.recognizers import medical_terms

        n = len(toks)

        def gap_ok(a: int, b: int) -> bool:
            return re.fullmatch(r"[ \t]+", text[toks[a][1] : toks[b][0]]) is not None

        def named(k: int) -> bool:
            w, low = toks[k][2], lows[k]
            if len(w) < 3 or low in r.place_not_named or low in r.place_generic or low in r.place_kind_words \
                    or low in medical_terms() or is_shorthand(low) or low.endswith(_SERVICE_ENDINGS) or low in ("of", "and"):
                return False
            if style == "mixed":
                return w[:1].isupper() and w[1:].islower()
            return True

        if j < n and lows[j] == "the":
            j += 1
        k = j
        while k < n and k - j < 2 and (k == j or gap_ok(k - 1, k)) and named(k):
            k += 1
        if k == j or k >= n or lows[k] != "of" or not gap_ok(k - 1, k):
            return None
        m = k + 1
        while m < n and m - k - 1 < 2 and gap_ok(m - 1, m) and named(m):
            m += 1
        if m == k + 1:
            return None
        if strict and not any(classes[x] is WordClass.UNKNOWN for x in range(k + 1, m)):
            return None
        if style != "mixed" and not any(classes[x] is not WordClass.SAFE for x in range(k + 1, m)):
            return None  # in lower case or capitals the town must be a word no list of words holds safe
        return toks[j][0], toks[m - 1][1]

    def _initials(self, text: str, toks: list[tuple[int, int, str]], lows: list[str], r: SlotRules) -> list[RecognizerResult]:
        """A patient or a contact by initials: dotted capitals ("J.D.") after a person
        cue, before "is a <age>" or an age, or alone after a dash at a line's end (a
        sign-off); a title and one capital letter ("mr K remained", "Ms K. care")."""
        out: list[RecognizerResult] = []
        for m in _DOTTED_INITIALS.finditer(text):
            if m.group().replace(".", "").casefold() in r.initials_not_names:
                continue
            s, e = m.span()
            if (_INITIALS_CUE_BEFORE.search(text, max(0, s - 16), s) or _INITIALS_AGE_AFTER.match(text, e)
                    or _DASH_BEFORE.search(text, max(0, s - 6), s) and _LINE_END.match(text, e)):
                out.append(self._result("PERSON", s, e, 0.65, "gate_initials"))
        for i in range(len(toks) - 1):
            s2, e2, w2 = toks[i + 1]
            if (lows[i] in _TITLES and len(w2) == 1 and w2.isupper() and re.fullmatch(r"\.?[ \t]+", text[toks[i][1] : s2])
                    and _TITLE_INITIAL_AFTER.match(text, e2)):
                out.append(self._result("PERSON", s2, e2 + (text[e2 : e2 + 1] == "."), 0.65, "gate_initials"))
        return out

    def _signoff(self, text: str, toks: list[tuple[int, int, str]], classes: list[WordClass]) -> list[RecognizerResult]:
        """A last line of one to three words, none of them SAFE: a signature."""
        body = text.rstrip(" \t\n/")
        if not body:
            return []
        # the last line, or what follows the last full stop on it ("... 1400U/HR. <NAME>")
        line_start = max(body.rfind("\n") + 1, body.rfind(". ") + 2 if body.rfind(". ") > body.rfind("\n") else 0)
        idx = [i for i, (s, _e, _w) in enumerate(toks) if line_start <= s < len(body)]
        if not idx or len(idx) > 3 or line_start == 0:
            return []
        if any(classes[i] is WordClass.SAFE or len(toks[i][2]) < 2 and not toks[i][2].isupper() for i in idx):
            return []
        if not any(classes[i] is WordClass.UNKNOWN for i in idx):
            return []
        return [self._result("PERSON", toks[idx[0]][0], toks[idx[-1]][1], 0.6, "gate_signoff")]
