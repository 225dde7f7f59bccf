"""Unknown words in a position a name takes (after a title, a cue, a sign-off)."""

from __future__ import annotations

import re as _re
from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerResult

from deid.text.recognizers.base import WORD as _WORD
from deid.text.recognizers.base import common_words, gazetteer, medical_terms
from deid.text.recognizers.base import recognizer_result as _result

_SIGNOFF = _re.compile(r"(?m)^[ \t]*(?:--|—|–)[ \t]*")  # not "- ": that is a list bullet
_SLOT_CUES = _re.compile(
    r"\b(?:"
    # words that introduce a person
    r"(?:pt\.?\s+name|patient\s+name|name|pt|patient|spoke\s+with|spoke\s+to|talked\s+(?:to|with)|"
    r"discussed\s+with|seen\s+by|seen\s+with|referred\s+by|wife|husband|spouse|partner|son|daughter|"
    r"mother|father|sister|brother|mr|mrs|ms|miss|dr|caregiver|guardian|contact|we\s+saw|saw|"
    r"niece|nephew|aunt|uncle|cousin|grandson|granddaughter|grandmother|grandfather|poa|friend|"
    r"neighbou?r|carer|referring|ordering|requesting|reported\s+by|dictated\s+by|read\s+by|"
    r"dear|hi|hello|handover\s+(?:given\s+)?(?:by|to)|given\s+by|handed\s+over\s+to|"
    r"nurse|pcp|gp|attending|resident|surgeon|consultant|registrar|signed|author|caller|called\s+by|"
    # ward and dictation shorthand: "call reg dora", "CPN Cliff", "copy to miles parsons",
    # "letter for thomas hodgkin", "dear doctor kristoffersen"
    r"reg|sho|cpn|fy1|fy2|copy\s+to|cc|letter\s+(?:for|to|regarding|re)|dear\s+(?:doctor|dr\.?|mr\.?|mrs\.?|ms\.?|prof\.?|professor)|"
    r"(?:doctor|professor|prof))\b"
    # only abbreviations take a full stop: "patient." ends a sentence, "pt." does not
    r"(?:(?<=pt|mr|dr|ms)\.|(?<=mrs)\.)?\s*[:,\-]?"
    # sign-offs, only with punctuation before the name: "Kind regards, Jane"
    r"|(?:regards|kind\s+regards|best\s+regards|best|thanks|thank\s+you|cheers|sincerely|yours)\s*[,:\-\n]"
    # headers and bed lists, only with a colon: "From: ...", "Bed 4: ..."
    r"|(?:from|to|cc|attn|re|subject|bed\s+\d+|room\s+\d+)\s*:"
    # bed and bay lists with a dash: "pt in bay 3 - pierre-yves le corre"
    r"|(?:bed|bay|room|rm|cubicle|side\s*room)\s*\d+[a-z]?\s*[\-–—]"
    r")\s*",
    _re.IGNORECASE,
)
_BLANKS = _re.compile(r"[ \t]+")
# word endings of procedures, conditions and specialties: never a name after a cue
# (only endings no name has: not "-oma" (Paloma), "-gram" (Ingram), "-itis" (Politis), "-emia")
_MEDICAL_SUFFIXES = (
    "graphy", "scopy", "ectomy", "otomy", "ostomy", "plasty", "pathy", "ology", "ologist", "iatric", "iatry",
    "penia", "plegia", "paresis",
)
# endings of English words a name (outside the name lists) almost never has
def _misspelt(word: str) -> bool:
    """A misspelt or prefixed safe word ("recieved", "apetite"): no name."""
    from deid.text.vocabulary import is_derived

    return is_derived(word)


_WORD_ENDINGS = ("ing", "tion", "sion", "ment", "ness", "ance", "ence", "ity", "ous", "ive", "ated", "ized", "ised", "ally")
# a cue that says a name follows: "pt name", "patient name:", "name -"
_NAME_CUE = _re.compile(r"(?i)\bname\b\s*[:,\-]?\s*$")
_SLOT_PARTICLES = frozenset("van von de da di du del della der den ter la le dos das bin ibn al el ó ní nic mac mc".split())
# a cue that is a title: "strong" (dr, mrs, prof, "Mr.") or "weak" (a bare mr/ms, which
# are also MR imaging and multiple sclerosis)
_TITLE_CUE = _re.compile(r"(?i)\b(mr|mrs|ms|miss|dr|doctor|prof|professor)\b(\.?)\s*$")


def _title_strength(cue: str) -> str:
    m = _TITLE_CUE.search(cue)
    if not m:
        return ""
    if m.group(1) in ("MR", "MS") and not m.group(2):
        return "caps"  # "MR perfusion", "MS exacerbation": most often not a title at all
    return "weak" if m.group(1).casefold() in ("mr", "ms") and not m.group(2) else "strong"
# what follows "dr"/"my doctor" in forum posts when no name does
_AFTER_TITLE_NOT_NAMES = frozenset(
    "said says say told tells thinks thought wants wanted recommended recommends ordered orders prescribed "
    "prescribes referred refers suggested suggests gave gives put puts called calls sent sends appointment appt "
    "appointments visit visits office offices note notes letter letters will would could should can may might "
    "is was has had does did just also then who which that and or but if when said. here there today "
    "yesterday tomorrow again now visit. advised advises explained explains wrote writes asked asks mentioned "
    "noted notes diagnosed diagnoses started starts stopped stops changed changes increased decreased upped".split()
)
_INITIALS = _re.compile(r"(?!(?:e\.g|i\.e|a\.m|p\.m)\.)(?:[^\W\d_]\.\s?){1,3}(?![^\W\d_])", _re.IGNORECASE)
# Capitalised words after a cue that are not names ("Hi All", "Dear Colleague").
_NOT_NAMES = frozenset("all team everyone colleague colleagues sir madam doctor doctors nurse nurses there folks guys friends ward".split())
_STOP = frozenset(
    "md rn np pa phd dds dmd crna mbbs frcs frcp lpn cna aprn dnp msn bsn lcsw dpt rrt esq "
    "pgr pager bleep ext tel ph fax cell mob "
    "dr mr mrs ms prof doctor a an the and or but is was are were has had have with without for from to of in on at by "
    "this that these those he she it they his her their its who whom which what when where "
    "today yesterday tomorrow now re results am pm".split()
)


class NameSlotRecognizer(EntityRecognizer):
    """Names right after a name cue ("pt tapio hietanen", "spoke with jane doe").

    Catches lower-case names and names in no list: a word after a cue counts as a
    name part when it is a known name, or is no common English word, no clinical term
    and no stop word. Ambiguous list names ("hope") count only after another part.
    """

    def __init__(self) -> None:
        self.first = gazetteer("first_names.tsv")
        self.last = gazetteer("surnames.tsv")
        self.vocab = medical_terms()
        self.common = common_words()
        super().__init__(supported_entities=["PERSON"], name="NameSlotRecognizer")

    def load(self) -> None:
        pass

    def _name_like(self, word: str, position: int, nxt: str = "", titled: str = "", named: bool = False) -> bool:
        w = word.casefold().rstrip("'’")
        n = nxt.casefold()
        if named and position == 0 and len(w) >= 2 and w not in _STOP and not any(ch.isdigit() for ch in w):
            return True  # "pt name rune ruud": the cue says a name follows
        if (w in self.first or w in self.last) and w not in _STOP and w not in _AFTER_TITLE_NOT_NAMES and (
            position > 0 or n in self.last or n in self.first or n in _SLOT_PARTICLES
        ) and not (word.isupper() and w in self.common):
            return True  # "ludwig franke", "amber wilson": listed names together, eponyms or not
        if (titled and position == 0 and (w in self.first or w in self.last) and w not in _STOP
                and w not in _AFTER_TITLE_NOT_NAMES and not (word.isupper() and w in self.common)
                and (titled == "strong" or w not in self.common)):
            # "dr. bell", "ms ludwig": a listed name after a title is a person, eponym or not;
            # after a bare "mr"/"ms" (also MR imaging, multiple sclerosis) only a name that is
            # no everyday word ("MR brain", "ms flare" stay)
            return True
        if len(w) < 2 or w in _STOP or w in self.vocab or w.endswith(_MEDICAL_SUFFIXES):
            return False
        if titled == "caps" and position == 0 and not word[:1].isupper() and w not in self.first and w not in self.last:
            return False  # "MR perfusion", "MS exacerbation"
        if self.first.is_clear(w) or self.last.is_clear(w):
            return True
        if (w in self.first.ambiguous or w in self.last.ambiguous) and w not in self.common:
            return True  # frequent as a word in some corpus ("ludwig") but no English word
        if word[:1].isupper() and not word.isupper() and w not in _NOT_NAMES and w not in self.common:
            return True  # a capitalised non-word right after a name cue is a name ("Hi Oisín")
        if w in self.first.ambiguous or w in self.last.ambiguous:
            # "Hope", "Will": a name after a cue when capitalised, after another name
            # part, or when the next word is a surname ("hope young", "faith brown")
            return position > 0 or word[:1].isupper() or n in self.last or n in _SLOT_PARTICLES
        if len(w) >= 7 and w.endswith(_WORD_ENDINGS):
            return False  # "ambulating", "perfusion", "exacerbation": words, whatever the list lacks
        if w.endswith(("'t", "’t")) or _misspelt(w):
            return False  # "pt con't", "pt recieved": a contraction or a misspelt word, no name
        return w not in self.common and not any(ch.isdigit() for ch in w)

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        if entities and "PERSON" not in entities:
            return []
        out = []
        cues = [(m.end(), _title_strength(m.group()), bool(_NAME_CUE.search(m.group())))
                for m in _SLOT_CUES.finditer(text)]
        cues += [(m.end(), "", False) for m in _SIGNOFF.finditer(text)]
        for pos, titled, named in cues:
            start = end = -1
            count = tokens = 0
            while count < 3 and tokens < 6:
                ini = _INITIALS.match(text, pos)
                m = ini or _WORD.match(text, pos)
                if m and ini is None:
                    after = _BLANKS.match(text, m.end())
                    nxt_m = _WORD.match(text, after.end()) if after else None
                    if not self._name_like(m.group(), count, nxt_m.group() if nxt_m else "", titled, named):
                        break
                if not m:
                    break
                tokens += 1
                particle = m.group().casefold() in _SLOT_PARTICLES
                if particle and start < 0 and not titled:
                    break  # a name does not start with "de" (but "mr van den heuvel" does)
                if start < 0:
                    start = m.start()
                if not particle:  # "juan de la torre": particles count only inside a name
                    end = m.end()
                    count += 1
                nxt = _BLANKS.match(text, m.end())
                if not nxt:
                    break
                pos = nxt.end()
            if count:
                score = 0.75 if count >= 2 else 0.6
                out.append(_result("PERSON", start, end, score, type(self).__name__))
        return out
