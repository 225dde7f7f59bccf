"""Held-out synthetic clinical text corpus "C" for the text de-identification benchmark.

A third generator, written without looking at the scrubber's rules or data (deid/) and
deliberately different from corpora A (bench/text/corpus_a.py) and B (bench/text/corpus_b.py):
operative notes, ICU flowsheet-style progress notes, psychiatry notes, ophthalmology and
dermatology consult replies, Figure 1 / Sermo / Doximity style case posts, Reddit questions
with typos, WhatsApp-style clinician chat, unpunctuated voice dictation, Spanish/German/French
influenced English, case-report abstracts, plain-text tables and letterhead discharge letters.
Everything is synthetic (Faker with many locales plus small hand-written pools).

``generate(n, seed)`` returns ``Note`` objects with the same fields as corpus B: ``text``,
``style``, ``phi`` (``Span(kind, start, end, tag)``, ``tag`` = sub-format such as the date
format or name style) and ``keep`` (must-keep clinical terms, ``Span(category, start, end, tag)``
with the term itself as ``tag``).

Span conventions: only the identifying value is the span, not its label ("MRN: " is not part
of the MRN span, "Mr " is not part of a name, "aged " is not part of an age); the time of day
after a date is not part of the date span. NHS numbers are filed under MRN (as in corpus B);
other national person numbers (SIN, NIR, DNI, PPSN, BSN, personnummer, Aadhaar) under SSN;
national health-insurance numbers (Medicare AU, OHIP, KVNR) under HEALTHPLAN.
"""

from __future__ import annotations

import datetime as dt
import random
import re

from faker import Faker

from bench.text.lists import load_lists
from bench.text.types import Doc as BaseDoc
from bench.text.types import K, Note, P, Picks, build_notes

# ============================================================================ data types




# ============================================================================ pools

_DATA = load_lists("corpus_c")
FAKER_LOCALES = _DATA["FAKER_LOCALES"]

# (first, last) where one or both are ordinary words.
WORD_NAMES = [tuple(x) for x in _DATA["WORD_NAMES"]]
# Names that collide with eponyms / clinical words.
EPONYM_LIKE_NAMES = [tuple(x) for x in _DATA["EPONYM_LIKE_NAMES"]]
PARTICLE_NAMES = [tuple(x) for x in _DATA["PARTICLE_NAMES"]]
NICK_QUOTED = [tuple(x) for x in _DATA["NICK_QUOTED"]]

SMALL_TOWNS = _DATA["SMALL_TOWNS"]
WORDY_TOWNS = _DATA["WORDY_TOWNS"]

HOSPITALS = _DATA["HOSPITALS"]
CARE_SUFFIX = _DATA["CARE_SUFFIX"]
SCHOOLS = _DATA["SCHOOLS"]
EMPLOYERS = _DATA["EMPLOYERS"]

EPONYMS = _DATA["EPONYMS"]
SCORES = _DATA["SCORES"]
DRUGS = _DATA["DRUGS"]
LABS = _DATA["LABS"]
RELTIME = _DATA["RELTIME"]
ANATOMY = _DATA["ANATOMY"]
ABBREV = _DATA["ABBREV"]


# ============================================================================ builder


class Doc(BaseDoc):
    """The shared builder, with this corpus's typos and dropped punctuation."""

    def render(self, rng: random.Random, *, case: str = "", typos: float = 0.0, nopunct: bool = False) -> Note:  # type: ignore[override]
        def mangle(s: str) -> str:
            if nopunct:
                s = re.sub(r"[.,;:!?()\"]", "", s)
            return _misspell(s, rng, typos) if typos else s

        return super().render(case=case, mangle=mangle)


COMMON_MISSPELLINGS = _DATA["COMMON_MISSPELLINGS"]


def _misspell(s: str, rng: random.Random, p: float) -> str:
    words = s.split(" ")
    for i, w in enumerate(words):
        if w in COMMON_MISSPELLINGS and rng.random() < 0.6:
            words[i] = COMMON_MISSPELLINGS[w]
        elif len(w) > 4 and w.isalpha() and w.islower() and rng.random() < p:
            j = rng.randrange(1, len(w) - 1)
            words[i] = w[:j] + w[j + 1:] if rng.random() < 0.5 else w[:j - 1] + w[j] + w[j - 1] + w[j + 1:]
    return " ".join(words)


# ============================================================================ value generator


class Person:
    __slots__ = ("first", "last", "nick")

    def __init__(self, first: str, last: str, nick: str = "") -> None:
        self.first, self.last, self.nick = first, last, nick


MONTHS_DE = _DATA["MONTHS_DE"]
MONTHS_FR = _DATA["MONTHS_FR"]
MONTHS_ES = _DATA["MONTHS_ES"]
ORD_WORDS = _DATA["ORD_WORDS"]
NINETY_WORDS = _DATA["NINETY_WORDS"]


ITALIAN_TOWNS = _DATA["ITALIAN_TOWNS"]


class Gen(Picks):
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed ^ 0x5EED_C0DE)
        self.fk: dict[str, Faker] = {}
        for i, loc in enumerate(FAKER_LOCALES):
            f = Faker(loc)
            f.seed_instance(seed * 7919 + i)
            self.fk[loc] = f

    # ------------------------------------------------------------------ basics
    def keep(self, cat: str) -> K:
        pool = {"eponym": EPONYMS, "score": SCORES, "drug": DRUGS, "lab": LABS, "reltime": RELTIME,
                "anatomy": ANATOMY, "abbrev": ABBREV}[cat]
        return K(cat, self.pick(pool))

    def young(self) -> K:
        a = self.rng.randrange(1, 90)
        fmt = self.pick(["{a}yo", "{a} y.o.", "{a}-year-old", "aged {a}", "{a}M", "{a}F", "{a} yo", "{a}/M",
                         "{a} years", "{a}y"])
        return K("age<=89", fmt.format(a=a))

    def age(self, p_old: float = 0.5):
        return self.old_age() if self.chance(p_old) else self.young()

    # ------------------------------------------------------------------ people
    def person(self) -> Person:
        r = self.rng.random()
        if r < 0.14:
            return Person(*self.pick(WORD_NAMES))
        if r < 0.20:
            return Person(*self.pick(EPONYM_LIKE_NAMES))
        if r < 0.34:
            return Person(*self.pick(PARTICLE_NAMES))
        if r < 0.41:
            first, nick = self.pick(NICK_QUOTED)
            return Person(first, self.fk[self.pick(["en_US", "en_GB", "en_AU"])].last_name(), nick)
        f = self.fk[self.pick(FAKER_LOCALES)]
        return Person(f.first_name(), f.last_name())

    def name(self, p: Person | None = None, styles: list[str] | None = None):
        """A name in one of many renderings. Titles stay outside the span."""
        p = p or self.person()
        style = self.pick(styles or ["full", "full", "Title Last", "First", "LAST, First", "initials.",
                                     "First L.", "lower", "nick", "Last", "LAST FIRST", "F. Last"])
        if style == "nick" and not p.nick:
            style = "full"
        mi = self.up(1)
        v = {
            "full": f"{p.first} {p.last}",
            "Title Last": p.last,
            "First": p.first,
            "Last": p.last,
            "LAST, First": f"{p.last.upper()}, {p.first}",
            "Last, F.": f"{p.last}, {p.first[0]}.",
            "initials.": f"{p.first[0]}.{p.last[0]}.",
            "INITIALS": f"{p.first[0]}{p.last[0]}",
            "First L.": f"{p.first} {p.last[0]}.",
            "lower": f"{p.first} {p.last}".lower(),
            "lower_first": p.first.lower(),
            "lower_last": p.last.lower(),
            "nick": f'{p.first} "{p.nick}" {p.last}',
            "nick_only": p.nick or p.first,
            "LAST FIRST": f"{p.last} {p.first}".upper(),
            "F. Last": f"{p.first[0]}. {p.last}",
            "First M. Last": f"{p.first} {mi}. {p.last}",
            "FIRST": p.first.upper(),
        }[style]
        if style == "Title Last":
            title = self.pick(["Mr ", "Mrs ", "Ms ", "Mr. ", "Mrs. ", "Dr ", "Dr. ", "Prof. ", "Frau ", "Herr ", "Mme ", "Sra. "])
            return (title, P("NAME", v, style))
        return P("NAME", v, style)

    def handle(self, p: Person | None = None) -> P:
        """A social-media user name built from a person's name (u/..., @...)."""
        p = p or self.person()
        first = re.sub(r"[^a-z]", "", p.first.lower().encode("ascii", "ignore").decode()) or "doc"
        last = re.sub(r"[^a-z]", "", p.last.lower().encode("ascii", "ignore").decode()) or "md"
        v = self.pick([f"{first}{self.dig(2)}", f"{last}_rn", f"{first}_{last}", f"dr{last}", f"{first[0]}{last}_derm"])
        return P("NAME", v, "username")

    # ------------------------------------------------------------------ dates
    def some_date(self, start_year: int = 2016, span_days: int = 3000) -> dt.date:
        return dt.date(start_year, 1, 1) + dt.timedelta(days=self.rng.randrange(span_days))

    def birth(self) -> dt.date:
        return dt.date(1925, 1, 1) + dt.timedelta(days=self.rng.randrange(33000))

    def date(self, d: dt.date | None = None, fmts: list[str] | None = None):
        d = d or self.some_date()
        n = d.day
        suf = "th" if 10 < n % 100 < 14 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        h, m = self.rng.randrange(24), self.rng.randrange(60)
        mon, month = d.strftime("%b"), d.strftime("%B")
        table = {
            "iso": f"{d:%Y-%m-%d}",
            "dd/mm/yyyy": f"{d:%d/%m/%Y}",
            "d/m/yy": f"{d.day}/{d.month}/{d:%y}",
            "dd.mm.yyyy": f"{d:%d.%m.%Y}",
            "dd-mm-yyyy": f"{d:%d-%m-%Y}",
            "yyyy.mm.dd": f"{d:%Y.%m.%d}",
            "m/d/yyyy": f"{d.month}/{d.day}/{d.year}",
            "d-MMM-yy": f"{d.day}-{mon}-{d:%y}",
            "dd-MMM-yyyy": f"{d:%d}-{mon}-{d.year}",
            "DDMMMYYYY": f"{d:%d}{mon.upper()}{d.year}",
            "d mmm yy": f"{d.day} {mon.lower()} {d:%y}",
            "the Nth of Month": f"the {n}{suf} of {month}",
            "Nth of Month yyyy": f"{n}{suf} of {month} {d.year}",
            "dd Mon": f"{d:%d} {mon}",
            "d Month yyyy": f"{n} {month} {d.year}",
            "Month Nth, yyyy": f"{month} {n}{suf}, {d.year}",
            "Mon Nth": f"{mon} {n}{suf}",
            "Mon 'yy": f"{mon} '{d:%y}",
            "Month 'yy": f"{month} '{d:%y}",
            "Weekday dd/mm/yyyy": f"{d:%A} {d:%d/%m/%Y}",
            "Wkd d Mon": f"{d:%a} {n} {mon}",
            "Weekday the Nth": f"{d:%A} the {n}{suf}",
            "Weekday, Month d": f"{d:%A}, {month} {n}",
            "dd/mm": f"{d:%d/%m}",
            "m/d": f"{d.month}/{d.day}",
            "spoken": f"{month.lower()} {ORD_WORDS[n - 1]} {d.year}",
            "spoken_noyear": f"{month.lower()} {ORD_WORDS[n - 1]}",
            "de_long": f"{n}. {MONTHS_DE[d.month - 1]} {d.year}",
            "fr_long": f"{n} {MONTHS_FR[d.month - 1]} {d.year}",
            "es_long": f"{n} de {MONTHS_ES[d.month - 1]} de {d.year}",
            "dd/mm/yyyy HH:MM": f"{d:%d/%m/%Y}",
            "iso HHMMh": f"{d:%Y-%m-%d}",
            "d Mon @ HH:MM": f"{n} {mon}",
            "m/d/yy HHMM": f"{d.month}/{d.day}/{d:%y}",
            "yyyymmdd": f"{d:%Y%m%d}",
            "Month yyyy": f"{month} {d.year}",
        }
        times = {"dd/mm/yyyy HH:MM": f" {h:02d}:{m:02d}", "iso HHMMh": f" {h:02d}{m:02d}h",
                 "d Mon @ HH:MM": f" @ {h:02d}:{m:02d}", "m/d/yy HHMM": f" {h:02d}{m:02d}"}
        fmt = self.pick(fmts or list(table))
        span = P("DATE", table[fmt], fmt)
        return (span, times[fmt]) if fmt in times else span

    def dob(self, fmts: list[str] | None = None):
        d = self.birth()
        fmt = self.pick(fmts or ["dd/mm/yyyy", "iso", "d-MMM-yy", "d mmm yy", "dd.mm.yyyy", "m/d/yyyy",
                                 "DDMMMYYYY", "d Month yyyy", "year_only"])
        if fmt == "year_only":
            return P("DATE", str(d.year), "dob_year_only")
        return self.date(d, [fmt])

    # ------------------------------------------------------------------ ages
    def old_age(self):
        """An age over 89; the span is the age value (or age word) only."""
        a = self.rng.randrange(90, 104)
        w = NINETY_WORDS[a - 90]
        fmt = self.pick(["Nyo", "N y.o.", "aged words", "words-year-old", "nonagenarian", "centenarian", "N-year-old",
                         "age N", "N yrs old", "(NF)", "N/M", "N year old", "in her nineties", "N-yr-old", "Ny"])
        if fmt == "nonagenarian" and a >= 100:
            fmt = "centenarian"
        if fmt == "centenarian" and a < 100:
            fmt = "nonagenarian"
        pre, val, post = {
            "Nyo": ("", str(a), "yo"), "N y.o.": ("", str(a), " y.o."), "aged words": ("aged ", w, ""),
            "words-year-old": ("", w, "-year-old"), "nonagenarian": ("a ", "nonagenarian", ""),
            "centenarian": ("a ", "centenarian", ""), "N-year-old": ("", str(a), "-year-old"),
            "age N": ("age ", str(a), ""), "N yrs old": ("", str(a), " yrs old"), "(NF)": ("(", str(a), "F)"),
            "N/M": ("", str(a), "/M"), "N year old": ("", str(a), " year old"),
            "in her nineties": ("in her ", self.pick(["nineties", "early 90s", "late nineties"]), ""),
            "N-yr-old": ("", str(a), "-yr-old"), "Ny": ("", str(a), "y"),
        }[fmt]
        return (pre, P("AGE", val, fmt), post)

    # ------------------------------------------------------------------ contact
    def phone(self, kind: str = "PHONE", fmts: list[str] | None = None) -> P:
        a = self.rng.randrange(201, 990)
        table = {
            "us_paren": lambda: f"({a}) {self.dig(3)}-{self.dig(4)}",
            "us_dash": lambda: f"{a}-{self.dig(3)}-{self.dig(4)}",
            "us_dots": lambda: f"{a}.{self.dig(3)}.{self.dig(4)}",
            "us_+1": lambda: f"+1-{a}-{self.dig(3)}-{self.dig(4)}",
            "uk_mobile_intl": lambda: f"+44 7{self.dig(3)} {self.dig(6)}",
            "uk_geo": lambda: f"0{self.pick(['161', '113', '131', '141', '117'])} {self.dig(3)} {self.dig(4)}",
            "uk_london": lambda: f"(020) {self.dig(4)} {self.dig(4)}",
            "au_landline": lambda: f"(0{self.pick('2378')}) {self.dig(4)} {self.dig(4)}",
            "au_mobile": lambda: f"04{self.dig(2)} {self.dig(3)} {self.dig(3)}",
            "au_intl": lambda: f"+61 4{self.dig(2)} {self.dig(3)} {self.dig(3)}",
            "de_intl": lambda: f"+49 (0)89 {self.dig(4)}-{self.dig(4)}",
            "de_slash": lambda: f"0{self.pick(['89', '30', '40', '221'])}/{self.dig(7)}",
            "fr_pairs": lambda: f"0{self.pick('1234567')} {self.dig(2)} {self.dig(2)} {self.dig(2)} {self.dig(2)}",
            "fr_intl": lambda: f"+33 6 {self.dig(2)} {self.dig(2)} {self.dig(2)} {self.dig(2)}",
            "es_intl": lambda: f"+34 6{self.dig(2)} {self.dig(2)} {self.dig(2)} {self.dig(2)}",
            "no_intl": lambda: f"+47 {self.dig(3)} {self.dig(2)} {self.dig(3)}",
            "ie_mobile": lambda: f"08{self.pick('3567')}-{self.dig(3)}-{self.dig(4)}",
            "in_mobile": lambda: f"+91-9{self.dig(4)}-{self.dig(5)}",
            "0044_prefix": lambda: f"0044 20 {self.dig(4)} {self.dig(4)}",
            "us_nospace": lambda: f"{a}{self.dig(7)}",
        }
        fmt = self.pick(fmts or list(table))
        return P(kind, table[fmt](), fmt)

    def email(self, p: Person | None = None) -> P:
        p = p or self.person()
        first = re.sub(r"[^a-z]", "", p.first.lower().encode("ascii", "ignore").decode()) or "pat"
        last = re.sub(r"[^a-z]", "", p.last.lower().encode("ascii", "ignore").decode()) or "doe"
        fmt = self.pick(["first.last@hosp", "flast@gmail", "last_first##@yahoo", "nhs.net", "gmx.de",
                         "faker", "first+tag@icloud"])
        v = {
            "first.last@hosp": f"{first}.{last}@{self.pick(['health.nsw.gov.au', 'uhn.ca', 'helse-bergen.no', 'med.uni-heidelberg.de', 'chu-bordeaux.fr'])}",
            "flast@gmail": f"{first[0]}{last}@gmail.com",
            "last_first##@yahoo": f"{last}_{first}{self.dig(2)}@yahoo.com.au",
            "nhs.net": f"{first}.{last}{self.rng.randrange(1, 9)}@nhs.net",
            "gmx.de": f"{first}{last[0]}{self.dig(4)}@gmx.de",
            "faker": self.fk[self.pick(FAKER_LOCALES)].free_email(),
            "first+tag@icloud": f"{first}+meds@icloud.com",
        }[fmt]
        return P("EMAIL", v, fmt)

    def url(self, p: Person | None = None) -> P:
        p = p or self.person()
        slug = re.sub(r"[^a-z]", "", (p.first + p.last).lower().encode("ascii", "ignore").decode()) or "someone"
        fmt = self.pick(["figure1_profile", "doximity", "gofundme", "caringbridge", "linkedin", "portal_query",
                         "bare_domain", "tiktok"])
        v = {
            "figure1_profile": f"https://app.figure1.com/u/{slug}",
            "doximity": f"https://www.doximity.com/pub/{p.first.lower()[:6]}-{slug[-5:]}-md",
            "gofundme": f"gofundme.com/f/{slug}-recovery-fund",
            "caringbridge": f"https://www.caringbridge.org/visit/{slug}",
            "linkedin": f"linkedin.com/in/{slug}-{self.dig(3)}",
            "portal_query": f"https://portal.{self.pick(['helse-bergen', 'uhn', 'alfredhealth'])}.org/chart?pid={self.dig(8)}",
            "bare_domain": f"www.{slug}.com.au",
            "tiktok": f"tiktok.com/@{slug}",
        }[fmt]
        return P("URL", v, fmt)

    def ip(self) -> P:
        fmt = self.pick(["v4", "v4_10net", "v4_port", "v6_short"])
        if fmt == "v4":
            v = ".".join(str(self.rng.randrange(1, 255)) for _ in range(4))
        elif fmt == "v4_10net":
            v = f"10.{self.rng.randrange(256)}.{self.rng.randrange(256)}.{self.rng.randrange(1, 255)}"
        elif fmt == "v4_port":
            v = f"172.{self.rng.randrange(16, 32)}.{self.rng.randrange(256)}.{self.rng.randrange(1, 255)}:{self.rng.randrange(1024, 9999)}"
        else:
            v = f"fe80::{self.rng.randrange(4096, 65535):x}:{self.rng.randrange(4096, 65535):x}"
        return P("IP", v, fmt)

    # ------------------------------------------------------------------ identifiers
    def mrn(self) -> tuple[str, P]:
        label, gen, tag = self.pick([
            ("Hosp # ", lambda: self.dig(7), "Hosp #"),
            ("UR number ", lambda: self.dig(6), "UR number"),
            ("UR: ", lambda: self.dig(7), "UR"),
            ("chart no. ", lambda: f"{self.dig(2)}-{self.dig(2)}-{self.dig(3)}", "chart no."),
            ("MRN ", lambda: f"{self.up(1)}{self.dig(8)}", "MRN A+8"),
            ("NHS ", lambda: f"{self.dig(3)} {self.dig(3)} {self.dig(4)}", "NHS 3-3-4"),
            ("NHS No. ", lambda: self.dig(10), "NHS No. 10"),
            ("NHS#: ", lambda: f"{self.dig(3)}-{self.dig(3)}-{self.dig(4)}", "NHS# dashed"),
            ("CHI: ", lambda: self.dig(10), "CHI"),
            ("Pat.-Nr. ", lambda: self.dig(8), "Pat.-Nr."),
            ("NHC ", lambda: self.dig(6), "NHC"),
            ("IPP ", lambda: self.dig(9), "IPP"),
            ("K", lambda: self.dig(7), "K-number"),
            ("EMPI ", lambda: self.dig(10), "EMPI"),
            ("hospital no ", lambda: f"{self.up(2)}{self.dig(5)}", "hospital no AA5"),
            ("MR#", lambda: self.dig(8), "MR# glued"),
        ])
        if tag == "K-number":  # "K1234567": the K is part of the identifier
            return "", P("MRN", "K" + gen(), tag)
        return label, P("MRN", gen(), tag)

    def national_id(self) -> tuple[str, P]:
        label, kind, gen, tag = self.pick([
            ("SSN ", "SSN", lambda: f"{self.rng.randrange(100, 899)}-{self.dig(2)}-{self.dig(4)}", "us_ssn"),
            ("ss# ", "SSN", lambda: f"{self.rng.randrange(100, 899)} {self.dig(2)} {self.dig(4)}", "us_ssn_spaced"),
            ("SIN ", "SSN", lambda: f"{self.dig(3)} {self.dig(3)} {self.dig(3)}", "ca_sin"),
            ("NIR ", "SSN", lambda: f"{self.pick('12')} {self.dig(2)} {self.dig(2)} {self.dig(2)} {self.dig(3)} {self.dig(3)} {self.dig(2)}", "fr_nir"),
            ("DNI ", "SSN", lambda: f"{self.dig(8)}{self.up(1)}", "es_dni"),
            ("PPSN ", "SSN", lambda: f"{self.dig(7)}{self.up(1)}", "ie_ppsn"),
            ("BSN ", "SSN", lambda: self.dig(9), "nl_bsn"),
            ("personnummer ", "SSN", lambda: f"19{self.dig(6)}-{self.dig(4)}", "se_personnummer"),
            ("fødselsnummer ", "SSN", lambda: self.dig(11), "no_fnr"),
            ("Aadhaar ", "SSN", lambda: f"{self.dig(4)} {self.dig(4)} {self.dig(4)}", "in_aadhaar"),
            ("Medicare no. ", "HEALTHPLAN", lambda: f"{self.dig(4)} {self.dig(5)} {self.dig(1)}", "au_medicare"),
            ("OHIP ", "HEALTHPLAN", lambda: f"{self.dig(4)}-{self.dig(3)}-{self.dig(3)}-{self.up(2)}", "ca_ohip"),
            ("KVNR ", "HEALTHPLAN", lambda: f"{self.up(1)}{self.dig(9)}", "de_kvnr"),
            ("NHS ", "MRN", lambda: f"{self.dig(3)} {self.dig(3)} {self.dig(4)}", "NHS 3-3-4"),
        ])
        return label, P(kind, gen(), tag)

    def other_id(self, kinds: list[str] | None = None) -> tuple[str, P]:
        rows = [
            ("ACCOUNT", "Acct ", lambda: self.dig(10), "Acct"),
            ("ACCOUNT", "CSN ", lambda: self.dig(9), "CSN"),
            ("ACCOUNT", "HAR# ", lambda: self.dig(8), "HAR#"),
            ("ACCOUNT", "Fallnr. ", lambda: f"{self.dig(2)}/{self.dig(6)}", "Fallnr."),
            ("ACCOUNT", "invoice ", lambda: f"INV-{self.dig(6)}", "invoice"),
            ("HEALTHPLAN", "Member ID ", lambda: f"{self.up(3)}{self.dig(8)}", "Member ID"),
            ("HEALTHPLAN", "policy # ", lambda: f"{self.up(1)}{self.dig(3)}-{self.dig(3)}-{self.dig(3)}", "policy #"),
            ("HEALTHPLAN", "Bupa membership ", lambda: f"{self.dig(8)}", "Bupa"),
            ("LICENSE", "DEA ", lambda: f"{self.up(2)}{self.dig(7)}", "DEA"),
            ("LICENSE", "NPI ", lambda: self.dig(10), "NPI"),
            ("LICENSE", "GMC no. ", lambda: self.dig(7), "GMC"),
            ("LICENSE", "AHPRA ", lambda: f"MED{self.dig(10)}", "AHPRA"),
            ("LICENSE", "driver's licence ", lambda: f"{self.up(5)}{self.dig(6)}{self.up(2)}{self.dig(1)}{self.up(2)}", "uk_dl"),
            ("LICENSE", "RPPS ", lambda: self.dig(11), "RPPS"),
            ("DEVICE", "ICD S/N ", lambda: f"{self.up(3)}{self.dig(6)}{self.up(1)}", "ICD S/N"),
            ("DEVICE", "CGM transmitter ", lambda: f"8G{self.an(4)}", "CGM"),
            ("DEVICE", "hearing aid serial ", lambda: f"{self.dig(2)}{self.up(1)}{self.dig(6)}", "hearing aid"),
            ("DEVICE", "IOL SN ", lambda: f"{self.dig(11)}", "IOL SN"),
            ("DEVICE", "pump SN ", lambda: f"NG{self.dig(7)}H", "pump SN"),
            ("DEVICE", "ventilator asset tag ", lambda: f"BME-{self.dig(5)}", "asset tag"),
            ("VEHICLE", "plate ", lambda: f"{self.dig(1)}{self.up(3)}{self.dig(3)}", "us_plate"),
            ("VEHICLE", "reg ", lambda: f"{self.up(2)}{self.dig(2)} {self.up(3)}", "uk_reg"),
            ("VEHICLE", "Kennzeichen ", lambda: f"{self.pick(['M', 'HD', 'B', 'K'])}-{self.up(2)} {self.dig(4)}", "de_plate"),
            ("VEHICLE", "rego ", lambda: f"{self.up(3)}-{self.dig(3)}", "au_rego"),
            ("VIN", "VIN ", lambda: "".join(self.rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(17)), "VIN"),
            ("ACCESSION", "Specimen no. ", lambda: f"{self.up(2)}{self.dig(2)}-{self.dig(6)}", "specimen"),
            ("ACCESSION", "Acc. ", lambda: f"{self.dig(8)}{self.up(2)}", "accession"),
        ]
        if kinds:
            rows = [r for r in rows if r[0] in kinds]
        kind, label, gen, tag = self.pick(rows)
        return label, P(kind, gen(), tag)

    # ------------------------------------------------------------------ places
    def address(self, country: str | None = None) -> list:
        """Street, city and postcode as separate spans (state/province abbreviations are not spans)."""
        country = country or self.pick(["us", "uk", "ca", "au", "de"])
        if country == "us":
            f = self.fk["en_US"]
            return [P("ADDRESS", f.street_address(), "us"), ", ", P("CITY", f.city(), "us"), ", ", f.state_abbr(),
                    " ", P("ZIP", f.zipcode(), "us_zip")]
        if country == "uk":
            f = self.fk["en_GB"]
            return [P("ADDRESS", f.street_address().replace("\n", ", "), "uk"), ", ", P("CITY", f.city(), "uk"), " ",
                    P("ZIP", f.postcode(), "uk_postcode")]
        if country == "ca":
            f = self.fk[self.pick(["en_CA", "fr_CA"])]
            return [P("ADDRESS", f.street_address(), "ca"), ", ", P("CITY", f.city(), "ca"), ", ",
                    f.province_abbr(), " ", P("ZIP", f.postalcode(), "ca_postal")]
        if country == "au":
            f = self.fk["en_AU"]
            return [P("ADDRESS", f.street_address(), "au"), ", ", P("CITY", f.city(), "au"), " ", f.state_abbr(),
                    " ", P("ZIP", f.postcode(), "au_postcode")]
        f = self.fk[self.pick(["de_DE", "de_AT"])]
        return [P("ADDRESS", f.street_address(), "de"), ", ", P("ZIP", f.postcode(), "de_plz"), " ",
                P("CITY", f.city(), "de")]

    def city(self) -> P:
        r = self.rng.random()
        if r < 0.35:
            return P("CITY", self.pick(SMALL_TOWNS), "small_intl")
        if r < 0.45:
            return P("CITY", self.pick(WORDY_TOWNS), "wordy_town")
        loc = self.pick(["en_US", "en_AU", "en_CA", "de_DE", "fr_FR", "sv_SE", "it_IT", "pl_PL", "en_NZ"])
        if loc == "it_IT":
            # Faker's it_IT city() draws from a set, so it differs between processes
            return P("CITY", self.pick(ITALIAN_TOWNS), "faker_city")
        return P("CITY", self.fk[loc].city(), "faker_city")

    def institution(self, kinds: list[str] | None = None):
        kind = self.pick(kinds or ["hospital", "hospital", "built", "school", "employer"])
        if kind == "hospital":
            v = self.pick(HOSPITALS)
            if v.startswith("the "):
                return ("the ", P("INSTITUTION", v[4:], "hospital_list"))
            return P("INSTITUTION", v, "hospital_list")
        f = self.fk[self.pick(["en_US", "en_GB", "en_AU", "en_CA"])]
        if kind == "built":
            return P("INSTITUTION", f"{self.pick([f.last_name(), f.city()])} {self.pick(CARE_SUFFIX)}", "built_care")
        if kind == "school":
            return P("INSTITUTION", f"{self.pick([f.last_name(), f.city(), 'St. ' + f.first_name()])} {self.pick(SCHOOLS)}", "school")
        return P("INSTITUTION", self.pick(EMPLOYERS), "employer")


# ============================================================================ styles
# Each style appends to ``d`` and returns render options.


def op_note(g: Gen, d: Doc) -> dict:
    pt, surg = g.person(), g.person()
    lab, mrn = g.mrn()
    d("OPERATIVE REPORT\n", g.institution(["hospital"]), " - Theatre ", str(g.rng.randrange(1, 12)), "\n")
    d("Patient: ", g.name(pt, ["LAST, First", "full", "LAST FIRST"]), "   ", lab, mrn, "   DOB ", g.dob(), "\n")
    d("Date of surgery: ", g.date(fmts=["dd/mm/yyyy", "dd-MMM-yyyy", "iso", "m/d/yyyy", "DDMMMYYYY"]), "\n")
    d("Surgeon: ", g.name(surg, ["full", "F. Last", "First M. Last"]), "  Assistant: ", g.name(styles=["F. Last", "full", "Title Last"]),
      "  Anaesthetist: ", g.name(styles=["full", "Title Last", "Last, F."]), "\n")
    d("Pre-op diagnosis: ", g.keep("abbrev"), " secondary to ", g.keep("eponym"), "\n")
    d("Procedure: laparotomy, ", g.keep("eponym"), ". ", g.keep("score"), ".\n")
    d("Findings: adhesions to the ", g.keep("anatomy"), "; 400 mL turbid fluid in the ", g.keep("anatomy"), ". ")
    d("Abx: ", g.keep("drug"), " at induction. EBL 350 mL. ", g.keep("lab"), " at end of case.\n")
    d("Implants: mesh lot ", g.dig(6), "; ", *g.other_id(["DEVICE"]), ".\n")
    d("Counts correct x2. Specimen to histology (", *g.other_id(["ACCESSION"]), ").\n")
    d("Plan: ", g.keep("drug"), ", NBM until ", g.keep("reltime"), ", review ", g.keep("reltime"), ". ")
    d("Family (", g.pick(["wife", "husband", "daughter", "son"]), " ", g.name(styles=["First", "full"]), ", ",
      g.phone(), ") updated by phone.\n")
    d("Dictated ", g.date(fmts=["dd/mm/yyyy HH:MM", "iso HHMMh", "m/d/yy HHMM"]), " by ", g.name(surg, ["Last, F.", "F. Last"]), "\n")
    return {}


def icu_flowsheet(g: Gen, d: Doc) -> dict:
    pt = g.person()
    lab, mrn = g.mrn()
    day = g.some_date()
    d("ICU PROGRESS NOTE  Bed ", str(g.rng.randrange(1, 24)), "  ", g.date(day, ["dd/mm/yyyy", "iso", "Wkd d Mon", "d-MMM-yy"]), "\n")
    d(g.name(pt, ["LAST, First", "full", "Last, F."]), " | ", g.age(0.4), " | ", lab, mrn, " | ", g.keep("reltime"), " in ICU\n")
    d("Dx: ", g.keep("abbrev"), " / ", g.keep("abbrev"), " on background of ", g.keep("eponym"), "\n\n")
    d("----- 24h flowsheet -----\n")
    d("CVS   ", g.keep("lab"), " | ", g.keep("lab"), " | ", g.keep("drug"), "\n")
    d("RESP  ETT 7.5 @ 22cm | ", g.keep("lab"), " | ", g.keep("lab"), " | ", g.keep("lab"), "\n")
    d("NEURO ", g.keep("score"), " | ", g.keep("drug"), " | ", g.keep("score"), "\n")
    d("RENAL ", g.keep("lab"), " | ", g.keep("lab"), " | fluid bal +1.2L\n")
    d("ID    ", g.keep("drug"), " ", g.keep("reltime"), " | cultures from ", g.date(fmts=["dd/mm", "m/d", "dd Mon", "Mon Nth"]), " pending\n")
    d("LINES ", g.keep("anatomy"), " CVC inserted ", g.date(fmts=["dd/mm", "d Mon @ HH:MM", "m/d"]), "\n")
    d("-------------------------\n")
    d("Plan: wean FiO2, SBT ", g.keep("reltime"), ". Daughter ", g.name(styles=["full", "First", "nick"]),
      " is NOK, ", g.phone(), ". ", g.pick(["Transfer from ", "Retrieved from "]), g.institution(["hospital", "built"]), ".\n")
    d("Ventilator ", *g.other_id(["DEVICE"]), " logged to ", g.ip(), "\n")
    d(g.name(styles=["full", "F. Last", "First L."]), " (ICU reg) ", g.phone(fmts=["us_dash", "uk_geo", "au_landline", "de_slash"]), "\n")
    return {}


def psych(g: Gen, d: Doc) -> dict:
    pt = g.person()
    lab, mrn = g.mrn()
    d("PSYCHIATRY REVIEW - ", g.date(fmts=["d Month yyyy", "Weekday dd/mm/yyyy", "Month Nth, yyyy", "dd.mm.yyyy"]), "\n")
    d("Name: ", g.name(pt, ["full", "LAST, First", "nick"]), "  ", lab, mrn, "  Legal status: Section 2\n\n")
    d("ID: ", g.age(0.3), " ", g.pick(["man", "woman", "non-binary person"]), ", unemployed (previously at ",
      g.institution(["employer"]), "), lives with ", g.pick(["mother", "partner", "flatmate"]), " ",
      g.name(styles=["First", "full"]), " in ", g.city(), ".\n")
    d("HPC: 3-week history of low mood, ", g.keep("abbrev"), " with plan, ", g.keep("abbrev"), ". Stopped ",
      g.keep("drug"), " ", g.keep("reltime"), ". ", g.keep("score"), ". ")
    d("Says ", g.name(pt, ["First", "nick_only"]), " was 'the weird kid' at ", g.institution(["school"]), ".\n")
    d("MSE: dishevelled, poor eye contact, speech slow, mood 'empty', ", g.keep("abbrev"), " denied. ",
      "Insight partial. ", g.keep("score"), ".\n")
    d("Risk: high. Previous OD on ", g.date(fmts=["Month yyyy", "Mon 'yy", "the Nth of Month", "dd/mm/yyyy"]),
      " (", g.keep("drug"), "). Collateral from GP Dr ", g.name(styles=["Last"]), " at ",
      g.institution(["built"]), ", tel ", g.phone(), ".\n")
    d("Plan: 1:1 obs, ", g.keep("drug"), ", ", g.keep("lab"), " and ", g.keep("lab"), ". CPN ",
      g.name(styles=["full", "First"]), " to call ", g.keep("reltime"), ".\n")
    d("— ", g.name(styles=["full", "First M. Last"]), ", ST5 Psychiatry, ", *g.other_id(["LICENSE"]), "\n")
    return {}


def ophtho_consult(g: Gen, d: Doc) -> dict:
    pt = g.person()
    lab, mrn = g.mrn()
    d("Ophthalmology consult reply\nTo: Dr ", g.name(styles=["Last", "full"]), " (", g.keep("abbrev"), " team)\n")
    d("Re: ", g.name(pt, ["full", "Title Last", "LAST, First", "initials."]), ", ", lab, mrn, ", seen ",
      g.date(fmts=["dd/mm/yyyy", "Wkd d Mon", "Mon Nth", "iso", "d/m/yy"]), "\n\n")
    d("Thanks for asking us to see this ", g.age(0.5), " with ", g.keep("eponym"), " and blurred vision ",
      g.keep("reltime"), ".\n")
    d("VA: ", g.keep("lab"), ", ", g.keep("lab"), " (", g.keep("score"), "). ", g.keep("lab"), ". ")
    d("Pupils: ", g.keep("eponym"), " on the left. Fundus: ", g.keep("lab"), ", haemorrhages in the ",
      g.keep("anatomy"), ", ", g.keep("anatomy"), " flat.\n")
    d("Imp: ", g.keep("abbrev"), " OS, ?", g.keep("abbrev"), ".\n")
    d("Plan: ", g.keep("drug"), ", ", g.keep("drug"), ". Listed for injection at ",
      g.institution(["hospital", "built"]), " on ", g.date(fmts=["the Nth of Month", "Weekday the Nth", "dd Mon", "Weekday, Month d"]), ". ")
    d(g.pick(["Pt does not drive", "Advised not to drive"]), " (", *g.other_id(["VEHICLE", "LICENSE"]), "). ")
    d("Previous cataract surgery ", g.date(fmts=["Month yyyy", "Mon 'yy", "yyyy.mm.dd"]), ", ", *g.other_id(["DEVICE"]), ".\n")
    d("Any questions bleep ", g.dig(4), " or email ", g.email(), "\n")
    d(g.name(styles=["full", "F. Last"]), ", Ophthalmology SpR\n")
    return {}


def derm_figure1(g: Gen, d: Doc) -> dict:
    pt = g.person()
    d(g.pick(["[Figure 1] ", "Case posted to Figure 1: ", "Image post — "]), "Dermatology\n")
    d(g.age(0.3), " ", g.pick(["female", "male"]), " presenting with an expanding plaque (first noticed ", g.keep("reltime"),
      ") on the ", g.keep("anatomy"), ". ", g.keep("score"), ". ")
    d("Biopsy ", g.date(fmts=["d-MMM-yy", "dd Mon", "m/d", "Month Nth, yyyy", "dd/mm"]), ": ", g.keep("abbrev"), ", ",
      g.keep("score"), ". ", g.keep("eponym"), " positive.\n")
    d("PMH ", g.keep("eponym"), " on ", g.keep("drug"), ". Works as a teacher at ", g.institution(["school"]), ". ")
    d("(Consent obtained. Pt name ", g.name(pt, ["First L.", "initials.", "INITIALS", "First"]),
      " — mods please blur the tattoo, it says '", g.name(styles=["First", "nick_only", "FIRST"]), "')\n\n")
    d("Comments:\n")
    d("@", g.handle(), ": looks like ", g.keep("eponym"), " to me. ",
      "Check ", g.keep("lab"), ".\n")
    d("Dr ", g.name(styles=["Last", "F. Last"]), " (", g.institution(["hospital", "built"]), "): agree, we had an identical case ",
      g.keep("reltime"), ". Happy to discuss ", g.phone(fmts=["au_mobile", "uk_mobile_intl", "us_dash", "fr_intl"]), ".\n")
    d("OP: thanks! follow-up photo ", g.date(fmts=["Wkd d Mon", "Mon Nth", "dd/mm"]), ". Profile ", g.url(), "\n")
    return {}


def sermo_post(g: Gen, d: Doc) -> dict:
    d(g.pick(["Sermo", "Doximity", "Doximity Op-Med"]), " | Curbside consult\n")
    d("Posted by ", g.name(styles=["full", "F. Last", "First M. Last"]), ", MD, ", g.pick(["Cardiology", "Nephrology", "Internal Medicine"]),
      ", ", g.city(), "\n\n")
    d("Colleagues, I'd value input. ", g.age(0.5), " ", g.pick(["retired farmer", "former nurse", "ex-miner", "piano teacher"]),
      " from ", g.city(), " admitted ", g.date(fmts=["Weekday, Month d", "Mon Nth", "the Nth of Month", "m/d"]),
      " with ", g.keep("abbrev"), " and ", g.keep("lab"), ". Background ", g.keep("eponym"), ", ", g.keep("abbrev"),
      ", ", g.keep("score"), ". On ", g.keep("drug"), " and ", g.keep("drug"), ".\n")
    d("Echo: ", g.keep("lab"), ". ", g.keep("lab"), ", ", g.keep("lab"), ". Family (", g.pick(["granddaughter", "nephew"]),
      " ", g.name(styles=["full", "First", "First L."]), ") wants everything done.\n")
    d("Referred from ", g.institution(["built", "hospital"]), " — their cardiologist Dr ", g.name(styles=["Last", "full"]),
      " suggested ", g.keep("eponym"), " work-up. Thoughts?\n\n")
    d("Reply from ", g.name(styles=["F. Last", "full"]), " (", g.institution(["hospital"]), "): ", g.keep("reltime"),
      " we saw similar. DM me or ", g.email(), ".\n")
    return {}


def reddit_post(g: Gen, d: Doc) -> dict:
    me, mum = g.person(), g.person()
    d(g.pick(["r/AskDocs", "r/medical", "r/ChronicPain"]), " • Posted by u/", g.handle(me), "\n\n")
    d(g.pick(["[Physician responded] ", "", "URGENT?? "]), "my nan is ", g.old_age(), " and i think the hospital is ignoring her\n\n")
    d("Demographics: ", g.young(), " (me), nan ", g.old_age(), ", ", g.pick(["UK", "Australia", "Canada", "Ireland"]),
      ", meds: ", g.keep("drug"), ", ", g.keep("drug"), "\n\n")
    d("so basically she went into ", g.institution(["hospital", "built"]), " on ", g.date(fmts=["dd/mm", "m/d", "the Nth of Month", "Weekday the Nth", "dd Mon"]),
      " becuase she fell at her flat (", *g.address(g.pick(["uk", "au", "ca"]))[:3], ") and they said its ", g.keep("eponym"),
      " but her ", g.keep("lab"), " and ", g.keep("lab"), " and nobody explains anything. ")
    d("the docter, ", g.name(styles=["Title Last", "First", "lower"]), " i think, said ", g.keep("abbrev"), " and left. ")
    d("she has had ", g.keep("eponym"), " ", g.keep("reltime"), " too. is this normal??? ")
    d("her gp was dr ", g.name(styles=["lower_last", "Last"]), " in ", g.city(), ".\n\n")
    d("EDIT: ", g.date(fmts=["Mon Nth", "dd/mm", "m/d"]), " she's been moved to ward ", str(g.rng.randrange(1, 40)),
      ". thanks everyone esp u/", g.handle(), "\n")
    if g.chance(0.5):
        d("EDIT 2: someone asked, her name is ", g.name(mum, ["full", "nick", "First L."]), " if anyone works there lol\n")
    return {"typos": 0.07}


def clinician_chat(g: Gen, d: Doc) -> dict:
    a, b = g.person(), g.person()
    day = g.some_date()
    def who(p):
        return g.name(p, ["First", "First", "lower_first", "INITIALS"])
    d("[", g.date(day, ["dd/mm/yyyy", "d/m/yy", "m/d"]), ", 02:14] ", who(a), ": pt in bay ", str(g.rng.randrange(1, 9)), " - ",
      g.name(styles=["Title Last", "lower", "lower_last"]), ", dob ", g.dob(["d mmm yy", "d-MMM-yy", "dd/mm/yyyy", "year_only"]),
      ", ", g.keep("abbrev"), " ", g.keep("lab"), " ", g.keep("lab"), "\n")
    d("[02:15] ", who(b), ": 🙄 again? she was in ", g.keep("reltime"), ". on ", g.keep("drug"), "?\n")
    d("[02:15] ", who(a), ": ya. also ", g.keep("lab"), ". son ", g.name(styles=["lower_first", "First", "nick_only"]), " on his way from ",
      g.city(), " ", g.phone(fmts=["uk_mobile_intl", "au_mobile", "ie_mobile", "us_dash", "fr_pairs"]), "\n")
    d("[02:17] ", who(b), ": k. ", g.keep("eponym"), " hx right? chk ", g.keep("lab"), ". call reg ", g.name(styles=["lower_first", "Title Last"]), "\n")
    d("[02:20] ", who(a), ": ", g.keep("score"), " now. bed 4 mr ", g.name(styles=["lower_last", "Last"]),
      " ", g.age(0.5), " from ", g.institution(["built"]), " also dropping sats\n")
    d("[02:21] ", who(b), ": omw. pls send obs to ", g.email(), " not the old pager\n")
    d("[02:40] ", who(a), ": ", _lower_label(g.mrn()), " sorry thats her number for the CT req\n")
    return {"case": g.pick(["", "", "lower"])}


def _lower_label(labelled: tuple[str, P]) -> tuple[str, P]:
    lab, v = labelled
    return (lab.lower(), v)


def dictation(g: Gen, d: Doc) -> dict:
    pt = g.person()
    d("this is ", g.name(styles=["lower", "full"]), " dictating a clinic letter for ", g.name(pt, ["lower", "full"]),
      " date of birth ", g.date(g.birth(), ["spoken", "d Month yyyy", "dd/mm/yyyy"]), " hospital number ", P("MRN", g.dig(g.pick([6, 7, 8])), "spoken hospital number"),
      " date of clinic ", g.date(fmts=["spoken", "spoken_noyear", "the Nth of Month"]), " ")
    d("dear doctor ", g.name(styles=["Last"]), " comma new paragraph thank you for referring this pleasant lady who is ", g.age(0.5),
      " who lives in ", g.city(), " with her daughter ", g.name(styles=["First", "lower_first"]), " full stop ")
    d("she has ", g.keep("eponym"), " and ", g.keep("eponym"), " and was admitted to ", g.institution(["hospital"]), " ",
      g.keep("reltime"), " with ", g.keep("abbrev"), " full stop on examination ", g.keep("lab"), " ", g.keep("lab"),
      " ", g.keep("lab"), " full stop ")
    d("current medications ", g.keep("drug"), " and ", g.keep("drug"), " new paragraph plan ", g.keep("reltime"),
      " review and repeat ", g.keep("lab"), " ")
    d("her phone number is ", g.phone(fmts=["us_dash", "uk_geo", "au_landline", "us_nospace", "ie_mobile"]),
      " and her address is ", *g.address(), " ")
    d("copy to ", g.name(styles=["lower", "full"]), " at ", g.institution(["built"]), " end of dictation ",
      g.pick(["thanks", "thank you", "cheers"]), "\n")
    return {"nopunct": True, "case": "lower"}


def euro_note(g: Gen, d: Doc) -> dict:
    lang = g.pick(["de", "es", "fr"])
    pt = g.person()
    lab, mrn = g.mrn()
    if lang == "de":
        d("Arztbrief / Discharge letter\n", g.institution(["hospital"]), ", Klinik für Innere Medizin\n")
        d("Patient: ", g.name(pt, ["LAST, First", "Title Last", "full"]), ", geb. ", g.dob(["dd.mm.yyyy", "de_long"]),
          ", ", lab, mrn, "\nwohnhaft ", *g.address("de"), "\n\n")
        d("Sehr geehrte Frau Kollegin ", g.name(styles=["Last"]), ",\nwe report about the stationary stay from ",
          g.date(fmts=["dd.mm.yyyy", "de_long"]), " until ", g.date(fmts=["dd.mm.yyyy", "de_long"]), ". ")
    elif lang == "es":
        d("INFORME DE ALTA — ", g.institution(["hospital"]), "\n")
        d("Paciente: ", g.name(pt, ["full", "LAST, First"]), "  ", lab, mrn, "  F. nac.: ", g.dob(["dd/mm/yyyy", "es_long"]),
          "\nDomicilio: ", g.fk["es_ES"].street_address(), ", ", P("CITY", g.fk["es_ES"].city(), "es"), "\n\n")
        d("Patient of ", g.age(0.4), " who consults in urgencies the day ", g.date(fmts=["es_long", "dd/mm/yyyy", "dd-mm-yyyy"]), ". ")
    else:
        d("COMPTE RENDU — ", g.institution(["hospital"]), "\n")
        d("Patient(e): ", g.name(pt, ["LAST FIRST", "full", "Title Last"]), ", né(e) le ", g.dob(["dd/mm/yyyy", "fr_long"]),
          ", ", *g.national_id(), "\n\n")
        d("Patient of ", g.age(0.4), " hospitalised from the ", g.date(fmts=["fr_long", "dd/mm/yyyy"]), ". ")
    d("Antecedents: ", g.keep("eponym"), ", ", g.keep("abbrev"), ", ", g.keep("eponym"), ". ")
    d("At the entry: ", g.keep("lab"), ", ", g.keep("lab"), ", ", g.keep("lab"), ". ")
    d("Treatment with ", g.keep("drug"), " and ", g.keep("drug"), " was instaured with good evolution. Afebrile since the second day. ")
    d("Control in our ambulance ", g.keep("reltime"), ". The patient lives with her ", g.pick(["husband", "son", "sister"]),
      " ", g.name(styles=["First", "full"]), " (tel. ", g.phone(fmts=["de_intl", "de_slash", "fr_pairs", "fr_intl", "es_intl"]), ").\n")
    d("Mit freundlichen Grüßen / Atentamente / Cordialement\n", g.name(styles=["full", "Title Last", "F. Last"]),
      ", Oberarzt\n", g.email(), "\n")
    return {}


def case_report(g: Gen, d: Doc) -> dict:
    d("Abstract\nBackground: ", g.keep("eponym"), " is rare in the very elderly. ")
    d("Case presentation: A ", g.old_age() if g.chance(0.7) else g.young(), " ", g.pick(["woman", "man"]), " from ",
      g.city(), " presented to ", g.institution(["hospital"]), " on ",
      g.date(fmts=["d Month yyyy", "Month Nth, yyyy", "Nth of Month yyyy", "dd/mm/yyyy"]), " with confusion (onset ", g.keep("reltime"), "). ")
    d("She had been transferred from ", g.institution(["built"]), ". Examination: ", g.keep("lab"), ", ", g.keep("lab"),
      ", ", g.keep("score"), ". Imaging showed a lesion of the ", g.keep("anatomy"), " consistent with ",
      g.keep("eponym"), ". ")
    d("She was treated with ", g.keep("drug"), " and discharged ", g.keep("reltime"), " later, on ",
      g.date(fmts=["the Nth of Month", "d Month yyyy", "dd Mon"]), ".\n")
    d("Conclusion: Clinicians should consider ", g.keep("eponym"), " in ", g.keep("abbrev"), ".\n\n")
    a1, a2 = g.person(), g.person()
    d("Authors: ", g.name(a1, ["full", "First M. Last"]), "¹, ", g.name(a2, ["F. Last", "full"]), "²\n")
    d("¹ Department of Medicine, ", g.institution(["hospital"]), ", ", *g.address(g.pick(["uk", "au", "de", "ca"])), "\n")
    d("Correspondence: ", g.email(a1), "; ", g.phone(fmts=["no_intl", "uk_geo", "au_intl", "de_intl", "0044_prefix"]), "\n")
    d("Received ", g.date(fmts=["d Month yyyy", "iso"]), "; accepted ", g.date(fmts=["d Month yyyy", "iso"]),
      ". Written consent was obtained from the patient's ", g.pick(["son", "daughter"]), ", ", g.name(styles=["full", "Title Last"]), ".\n")
    return {}


def ward_table(g: Gen, d: Doc) -> dict:
    d("WARD 7B LIST  ", g.date(fmts=["Wkd d Mon", "Weekday dd/mm/yyyy", "dd/mm/yyyy HH:MM", "d Mon @ HH:MM"]), "  (consultant: ",
      g.name(styles=["Title Last", "F. Last"]), ")\n")
    d("+-----+----------------------+-----------+------------------------------+\n")
    d("| Bed | Name                 | ID        | Issues                       |\n")
    d("+-----+----------------------+-----------+------------------------------+\n")
    for bed in range(g.rng.randrange(3, 6)):
        mrn = P("MRN", g.pick([g.dig(7), g.up(1) + g.dig(6), g.dig(6)]), "table column")
        d(f"| {bed + 1:<3} | ", g.name(styles=["LAST, First", "Last, F.", "LAST FIRST", "full"]), " (", g.age(0.35), ")",
          " | ", mrn, " | ", g.keep(g.pick(["eponym", "abbrev"])), "; ", g.keep("lab"), "; ", g.keep("reltime"), " |\n")
    d("+-----+----------------------+-----------+------------------------------+\n")
    d("Jobs: chase ", g.keep("lab"), " for bed 2; call NOK ", g.name(styles=["full", "Title Last"]), " ", g.phone(), "; ")
    d("TTO for bed 3 to ", g.institution(["built"]), " (", *g.address(), "); ")
    d("collect ", g.keep("drug"), " from pharmacy ", g.keep("reltime"), ".\n")
    d("Lab portal ", g.url(), " | printer ", g.ip(), "\n")
    return {"case": g.pick(["", "upper"])}


def letterhead_discharge(g: Gen, d: Doc) -> dict:
    country = g.pick(["uk", "au", "ca", "us"])
    pt, gp = g.person(), g.person()
    lab, mrn = g.mrn()
    d(g.institution(["hospital", "built"]), "\n", *g.address(country), "\n")
    d("T ", g.phone(), "   F ", g.phone("FAX"), "   ", g.url(), "\n", "=" * 48, "\n\n")
    d(g.date(fmts=["d Month yyyy", "Nth of Month yyyy", "Month Nth, yyyy", "dd/mm/yyyy"]), "\n\n")
    d("Dr ", g.name(gp, ["full", "F. Last"]), "\n", g.institution(["built"]), "\n", *g.address(country), "\n\n")
    d("Dear Dr ", g.name(gp, ["Last"]), ",\n\n")
    d("RE: ", g.name(pt, ["LAST, First", "full", "nick"]), "   DOB: ", g.dob(), "   ", lab, mrn, "\n")
    nl, nid = g.national_id()
    d("    ", nl, nid, "   ", *g.other_id(["HEALTHPLAN", "ACCOUNT"]), "\n\n")
    d("Your patient, ", g.age(0.5), ", was admitted under ", g.name(styles=["Title Last", "full"]), " from ",
      g.date(fmts=["dd/mm/yyyy", "d Month yyyy", "m/d/yyyy"]), " to ", g.date(fmts=["dd/mm/yyyy", "d Month yyyy", "m/d/yyyy"]),
      " with ", g.keep("abbrev"), " on a background of ", g.keep("eponym"), " and ", g.keep("eponym"), ". ")
    d(g.keep("lab"), ", ", g.keep("lab"), ". ", g.keep("score"), ". Changes: started ", g.keep("drug"), "; stopped ",
      g.keep("drug"), ".\n")
    d("Follow-up with ", g.name(styles=["Title Last", "full"]), " in ", g.keep("reltime"), ". NOK ",
      g.name(styles=["full", "nick"]), " (", g.email(), ").\n\n")
    d("Yours sincerely,\n", g.name(styles=["full", "First M. Last"]), "\n", *g.other_id(["LICENSE"]), "\n")
    return {}


STYLES = {
    "op_note": op_note, "icu": icu_flowsheet, "psych": psych, "ophtho": ophtho_consult, "derm_fig1": derm_figure1,
    "sermo": sermo_post, "reddit": reddit_post, "chat": clinician_chat, "dictation": dictation, "euro": euro_note,
    "case_report": case_report, "ward_table": ward_table, "letter": letterhead_discharge,
}


def generate(n: int, seed: int = 20240611) -> list[Note]:
    g = Gen(seed)
    return build_notes(n, STYLES, g, Doc, lambda d, o: d.render(
        g.rng, case=o.get("case", ""), typos=o.get("typos", 0.0), nopunct=o.get("nopunct", False)))


if __name__ == "__main__":  # pragma: no cover - eyeballing aid
    import sys

    for note in generate(int(sys.argv[1]) if len(sys.argv) > 1 else 13, int(sys.argv[2]) if len(sys.argv) > 2 else 1):
        print(f"----- {note.style}  ({len(note.text.split())} words)")
        print(note.text)
        for s in note.phi:
            print("   ", s.kind, s.tag, repr(note.text[s.start:s.end]))
