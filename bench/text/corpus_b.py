"""Held-out synthetic clinical text corpus "B" for the text de-identification benchmark.

Written independently of ``bench/text/corpus_a.py`` (and without looking at the recognizers)
so that it measures generalization rather than agreement with one generator. Everything
here is synthetic (Faker, many locales, plus small hand-written name pools); no real data.

``generate(n, seed)`` returns ``Note`` objects: ``text``, ``style``, ``phi`` (list of
``Span(kind, start, end, tag)``; ``tag`` is the sub-format, e.g. the date format or the name
style) and ``keep`` (must-keep clinical terms, ``Span(category, start, end, tag)``).

Kinds: NAME, DATE, AGE, PHONE, FAX, EMAIL, SSN, MRN, ACCOUNT, HEALTHPLAN, LICENSE, DEVICE,
VEHICLE, VIN, URL, IP, ADDRESS, CITY, ZIP, INSTITUTION, ACCESSION.
"""

from __future__ import annotations

import datetime as dt
import random
import string

from faker import Faker

from bench.text.lists import load_lists
from bench.text.types import Doc, K, Note, P, build_notes

_DATA = load_lists("corpus_b")
LOCALES = _DATA["LOCALES"]

# Names that are also ordinary English words (first, last).
WORDY_NAMES = [tuple(x) for x in _DATA["WORDY_NAMES"]]
APOS_NAMES = [tuple(x) for x in _DATA["APOS_NAMES"]]
SPANISH_DOUBLE = [tuple(x) for x in _DATA["SPANISH_DOUBLE"]]
WORLD_NAMES = [tuple(x) for x in _DATA["WORLD_NAMES"]]
NICKNAMES = _DATA["NICKNAMES"]

US_HOSP = _DATA["US_HOSP"]
INTL_HOSP = _DATA["INTL_HOSP"]

EPONYMS = _DATA["EPONYMS"]
SIGNS = _DATA["SIGNS"]
DRUGS = _DATA["DRUGS"]
LABS = _DATA["LABS"]
VITALS = _DATA["VITALS"]
RELTIME = _DATA["RELTIME"]
ABBREV = _DATA["ABBREV"]
ANATOMY = _DATA["ANATOMY"]
YOUNG_AGE_FMT = _DATA["YOUNG_AGE_FMT"]

CITY_FALLBACK = _DATA["CITY_FALLBACK"]




class Builder(Doc):
    """The shared builder, with this corpus's typos and hard line wrapping."""

    def render(self, rng: random.Random, *, case: str = "", typos: float = 0.0, wrap: int = 0) -> Note:  # type: ignore[override]
        note = super().render(case=case, mangle=(lambda s: _typo(s, rng, typos)) if typos else None)
        if wrap:
            note.text = _hard_wrap(note.text, wrap)
        return note


def _typo(s: str, rng: random.Random, p: float) -> str:
    words = s.split(" ")
    out = []
    for w in words:
        if len(w) > 5 and w.isalpha() and w.islower() and rng.random() < p:
            i = rng.randrange(1, len(w) - 2)
            op = rng.random()
            if op < 0.5:
                w = w[:i] + w[i + 1] + w[i] + w[i + 2 :]
            elif op < 0.8:
                w = w[:i] + w[i + 1 :]
            else:
                w = w[:i] + w[i] + w[i:]
        out.append(w)
    return " ".join(out)


def _hard_wrap(text: str, width: int) -> str:
    """Replace spaces by newlines at ~width columns (length preserving, so spans stay)."""
    chars = list(text)
    col = 0
    last_space = -1
    for i, c in enumerate(chars):
        if c == "\n":
            col, last_space = 0, -1
            continue
        if c == " ":
            last_space = i
        col += 1
        if col > width and last_space >= 0:
            chars[last_space] = "\n"
            col = i - last_space
            last_space = -1
    return "".join(chars)


class Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fakers: dict[str, Faker] = {}
        for i, loc in enumerate(sorted(set(LOCALES))):
            f = Faker(loc)
            f.seed_instance(seed * 1000 + i)
            self.fakers[loc] = f
        self.us = self.fakers["en_US"]
        self.gb = self.fakers["en_GB"]

    # ---------------------------------------------------------------- helpers
    def ch(self, seq):
        return self.rng.choice(seq)

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice(string.digits) for _ in range(n))

    def letters(self, n: int) -> str:
        return "".join(self.rng.choice(string.ascii_uppercase) for _ in range(n))

    def alnum(self, n: int) -> str:
        return "".join(self.rng.choice(string.ascii_uppercase + string.digits) for _ in range(n))

    # ---------------------------------------------------------------- names
    def person(self) -> tuple[str, str]:
        r = self.rng.random()
        if r < 0.12:
            return self.ch(WORDY_NAMES)
        if r < 0.22:
            return self.ch(APOS_NAMES)
        if r < 0.28:
            return self.ch(SPANISH_DOUBLE)
        if r < 0.36:
            return self.ch(WORLD_NAMES)
        if r < 0.40:
            first = self.ch(list(NICKNAMES))
            return NICKNAMES[first], self.us.last_name()
        f = self.fakers[self.ch(LOCALES)]
        return f.first_name(), f.last_name()

    def name(self, styles: list[str] | None = None) -> P:
        first, last = self.person()
        style = self.ch(styles or [
            "full", "full", "full", "LAST, FIRST", "Last, First", "F. Last", "Last F", "First M. Last",
            "lower", "LAST", "Last", "First", "FIRST LAST", "F.L.", "Last FM",
        ])
        fi = first[0]
        mi = self.ch(string.ascii_uppercase)
        val = {
            "full": f"{first} {last}",
            "LAST, FIRST": f"{last.upper()}, {first.upper()}",
            "Last, First": f"{last}, {first}",
            "F. Last": f"{fi}. {last}",
            "Last F": f"{last} {fi}",
            "First M. Last": f"{first} {mi}. {last}",
            "lower": f"{first} {last}".lower(),
            "LAST": last.upper(),
            "Last": last,
            "First": first,
            "FIRST LAST": f"{first} {last}".upper(),
            "F.L.": f"{fi}.{last[0]}.",
            "Last FM": f"{last} {fi}{mi}",
        }[style]
        return P("NAME", val, style)

    # ---------------------------------------------------------------- dates
    def a_date(self) -> dt.date:
        return dt.date(2015, 1, 1) + dt.timedelta(days=self.rng.randrange(0, 3650))

    def dob(self) -> dt.date:
        return dt.date(1930, 1, 1) + dt.timedelta(days=self.rng.randrange(0, 30000))

    def date(self, d: dt.date | None = None, fmts: list[str] | None = None) -> P:
        d = d or self.a_date()
        hh, mm = self.rng.randrange(0, 24), self.rng.randrange(0, 60)
        mon = d.strftime("%b")
        month = d.strftime("%B")
        wd = d.strftime("%a")
        weekday = d.strftime("%A")
        day = d.day
        suf = "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
        f = {
            "iso": f"{d:%Y-%m-%d}",
            "us": f"{d.month}/{d.day}/{d.year}",
            "us0": f"{d:%m/%d/%Y}",
            "us2": f"{d.month}/{d.day}/{d:%y}",
            "eu_dot": f"{d:%d.%m.%Y}",
            "eu_slash": f"{d:%d/%m/%Y}",
            "eu_dot2": f"{d.day}.{d.month}.{d:%y}",
            "ymd_slash": f"{d:%Y/%m/%d}",
            "ordinal_of": f"{day}{suf} of {month}",
            "ordinal_of_y": f"{day}{suf} of {mon} {d.year}",
            "mon_apos_yy": f"{mon} '{d:%y}",
            "wd_m/d": f"{wd} {d.month}/{d.day}",
            "m-d-y_time": f"{d:%m-%d-%y} {hh:02d}{mm:02d}",
            "Mon-dd": f"{mon}-{d:%d}",
            "Month d, yyyy": f"{month} {day}, {d.year}",
            "d Mon yyyy": f"{day} {mon} {d.year}",
            "dd-MON-yyyy": f"{d:%d}-{mon.upper()}-{d.year}",
            "Weekday, Month d": f"{weekday}, {month} {day}",
            "Weekday dth Month": f"{weekday} {day}{suf} {month}",
            "Mon d": f"{mon} {day}",
            "Month yyyy": f"{month} {d.year}",
            "m/d": f"{d.month}/{d.day}",
            "dMONyy": f"{d:%d}{mon.upper()}{d:%y}",
            "yyyymmdd": f"{d:%Y%m%d}",
            "iso_time": f"{d:%Y-%m-%d}T{hh:02d}:{mm:02d}",
            "us_time": f"{d.month}/{d.day}/{d.year} {hh % 12 or 12}:{mm:02d} {'AM' if hh < 12 else 'PM'}",
            "Mon. d": f"{mon}. {day}",
            "d.m.": f"{day}.{d.month}.",
            "mm/yy": f"{d:%m/%y}",
            "the dth": f"the {day}{suf}",
            "Christmas Day yyyy": f"Christmas Day {d.year}",
        }
        fmt = self.ch(fmts or list(f))
        times = {"m-d-y_time": f" {hh:02d}{mm:02d}", "iso_time": f"T{hh:02d}:{mm:02d}",
                 "us_time": f" {hh % 12 or 12}:{mm:02d} {'AM' if hh < 12 else 'PM'}"}
        if fmt in times:  # the time of day is not a Safe Harbor element: only the date part is a span
            return (P("DATE", f[fmt][: len(f[fmt]) - len(times[fmt])], fmt), times[fmt])
        return P("DATE", f[fmt], fmt)

    # ---------------------------------------------------------------- ages
    def old_age(self) -> tuple:
        """An age over 89. Only the age value itself is the PHI span ("94" in "94-year-old")."""
        a = self.rng.randrange(90, 106)
        words = {90: "ninety", 91: "ninety-one", 92: "ninety-two", 93: "ninety-three", 94: "ninety-four",
                 95: "ninety-five", 96: "ninety-six", 97: "ninety-seven", 98: "ninety-eight",
                 99: "ninety-nine"}
        fmts = {
            "N y/o": ("", a, " y/o"), "Nyo": ("", a, "yo"), "N-year-old": ("", a, "-year-old"),
            "N year old": ("", a, " year old"), "NF": ("", a, "F"), "NM": ("", a, "M"), "N yrs": ("", a, " yrs"),
            "aged N": ("aged ", a, ""), "age: N": ("age: ", a, ""), "N years of age": ("", a, " years of age"),
            "Ny": ("", a, "y"), "N yo": ("", a, " yo"), "words": ("", words.get(a, "ninety-nine"), "-year-old"),
            "N-yr-old": ("", a, "-yr-old"), "in her/his 90s": ("in her ", self.ch(["nineties", "90s", "mid-90s"]), ""),
            "N y.o.": ("", a, " y.o."), "(N)": ("(", a, ")"),
        }
        fmt = self.ch(list(fmts))
        pre, val, post = fmts[fmt]
        return (pre, P("AGE", str(val), fmt), post)

    def young_age(self) -> K:
        a = self.rng.randrange(1, 90)
        return K("age<=89", self.ch(YOUNG_AGE_FMT).format(a=a))

    # ---------------------------------------------------------------- contact
    def phone(self, kind: str = "PHONE") -> P:
        a, b, c = self.rng.randrange(201, 989), self.digits(3), self.digits(4)
        fmts = {
            "(xxx) xxx-xxxx": f"({a}) {b}-{c}", "xxx-xxx-xxxx": f"{a}-{b}-{c}", "xxx.xxx.xxxx": f"{a}.{b}.{c}",
            "xxx xxx xxxx": f"{a} {b} {c}", "+1 xxx-xxx-xxxx": f"+1 {a}-{b}-{c}", "1-xxx-xxx-xxxx": f"1-{a}-{b}-{c}",
            "ext": f"{a}-{b}-{c} ext. {self.rng.randrange(10, 9999)}", "x ext": f"({a}){b}-{c} x{self.digits(3)}",
            "uk_london": f"020 7{self.digits(3)} {self.digits(4)}", "uk_intl": f"+44 (0)161 {self.digits(3)} {self.digits(4)}",
            "uk_mobile": f"07{self.digits(3)} {self.digits(6)}", "de": f"+49 30 {self.digits(7)}",
            "fr": f"+33 1 {self.digits(2)} {self.digits(2)} {self.digits(2)} {self.digits(2)}",
            "au": f"+61 2 {self.digits(4)} {self.digits(4)}", "in": f"+91 98{self.digits(3)} {self.digits(5)}",
            "bare10": f"{a}{b}{c}", "xxx-xxxx": f"{b}-{c}", "ie": f"+353 1 {self.digits(3)} {self.digits(4)}",
        }
        fmt = self.ch(list(fmts))
        return P(kind, fmts[fmt], fmt)

    def email(self, first: str = "", last: str = "") -> P:
        f = self.fakers[self.ch(LOCALES)]
        fmt = self.ch(["faker", "name.dom", "initials", "nhs"])
        if fmt == "faker":
            v = f.email()
        else:
            first = (first or self.us.first_name()).lower().replace(" ", "").replace("'", "")
            last = (last or self.us.last_name()).lower().replace(" ", "").replace("'", "")
            first = first.encode("ascii", "ignore").decode() or "x"
            last = last.encode("ascii", "ignore").decode() or "y"
            v = {
                "name.dom": f"{first}.{last}@{self.ch(['gmail.com', 'yahoo.co.uk', 'outlook.com', 'mercyhealth.org'])}",
                "initials": f"{first[0]}{last}{self.rng.randrange(1, 99)}@hotmail.com",
                "nhs": f"{first}.{last}{self.rng.randrange(1, 9)}@nhs.net",
            }[fmt]
        return P("EMAIL", v, fmt)

    def ssn(self) -> P:
        a, b, c = self.rng.randrange(100, 899), self.digits(2), self.digits(4)
        fmts = {"ddd-dd-dddd": f"{a}-{b}-{c}", "ddd dd dddd": f"{a} {b} {c}", "9digits": f"{a}{b}{c}",
                "xxx-xx-dddd": f"XXX-XX-{c}", "last4": c}
        fmt = self.ch(list(fmts))
        return P("SSN", fmts[fmt], fmt)

    def url(self, name: str = "") -> P:
        slug = (name or self.us.user_name()).lower().replace(" ", "")
        slug = slug.encode("ascii", "ignore").decode() or "user"
        fmts = {
            "https": f"https://www.facebook.com/{slug}{self.rng.randrange(1, 99)}",
            "www": f"www.gofundme.com/f/help-{slug}",
            "portal": f"https://mychart.{self.ch(['mercy', 'lakeview', 'riverside'])}health.org/patient/{self.digits(6)}",
            "bare": f"{slug}.blogspot.com",
            "http_ip": f"http://10.{self.rng.randrange(0, 255)}.{self.rng.randrange(0, 255)}.4/pacs?pid={self.digits(7)}",
            "insta": f"instagram.com/{slug}_",
        }
        fmt = self.ch(list(fmts))
        return P("URL", fmts[fmt], fmt)

    def ip(self) -> P:
        fmt = self.ch(["v4", "v4", "v4_private", "v6"])
        if fmt == "v6":
            v = ":".join(f"{self.rng.randrange(0, 65535):x}" for _ in range(8))
        elif fmt == "v4_private":
            v = f"192.168.{self.rng.randrange(0, 255)}.{self.rng.randrange(1, 255)}"
        else:
            v = ".".join(str(self.rng.randrange(1, 255)) for _ in range(4))
        return P("IP", v, fmt)

    # ---------------------------------------------------------------- identifiers
    def mrn(self) -> tuple[str, P]:
        label, fmt = self.ch([
            ("MRN: ", "d7"), ("MRN ", "d8"), ("Med Rec #", "d6"), ("Hosp No. ", "A+d6"), ("Unit No: ", "d7"),
            ("Patient ID: ", "AA-d6"), ("Chart # ", "d5"), ("URN ", "d7"), ("NHS number ", "nhs"),
            ("NHS No: ", "nhs10"), ("CHI ", "d10"), ("MR# ", "d9"), ("hospital number ", "A+d6"), ("PID ", "d8"),
            ("# ", "paren_d7"), ("Record no ", "d7-d"),
        ])
        v = {
            "d5": self.digits(5), "d6": self.digits(6), "d7": self.digits(7), "d8": self.digits(8),
            "d9": self.digits(9), "d10": self.digits(10), "A+d6": self.letters(1) + self.digits(6),
            "AA-d6": f"{self.letters(2)}-{self.digits(6)}", "nhs": f"{self.digits(3)} {self.digits(3)} {self.digits(4)}",
            "nhs10": self.digits(10), "paren_d7": self.digits(7), "d7-d": f"{self.digits(7)}-{self.digits(1)}",
        }[fmt]
        return label, P("MRN", v, label.strip() or fmt)

    def other_id(self) -> tuple[str, P]:
        kind, label, v = self.ch([
            ("ACCOUNT", "Acct #: ", self.digits(9)),
            ("ACCOUNT", "Billing account ", f"{self.digits(4)}-{self.digits(5)}"),
            ("ACCOUNT", "FIN ", self.digits(10)),
            ("ACCOUNT", "Encounter # ", "E" + self.digits(8)),
            ("ACCOUNT", "Visit ID: ", f"V{self.digits(3)}-{self.digits(4)}"),
            ("HEALTHPLAN", "Member ID: ", self.letters(3) + self.digits(9)),
            ("HEALTHPLAN", "Medicare # ", f"{self.digits(1)}{self.letters(1)}{self.alnum(1)}{self.digits(1)}-{self.letters(1)}{self.alnum(1)}{self.digits(1)}-{self.letters(2)}{self.digits(2)}"),
            ("HEALTHPLAN", "Medicaid ID ", self.digits(10) + self.letters(1)),
            ("HEALTHPLAN", "Policy no. ", f"{self.letters(2)}{self.digits(7)}"),
            ("HEALTHPLAN", "BCBS subscriber ", f"XYP{self.digits(9)}"),
            ("LICENSE", "DL# ", self.letters(1) + self.digits(7)),
            ("LICENSE", "NPI ", self.digits(10)),
            ("LICENSE", "DEA# ", self.letters(2) + self.digits(7)),
            ("LICENSE", "GMC ", self.digits(7)),
            ("LICENSE", "Lic. no. ", f"{self.letters(1)}{self.digits(5)}"),
            ("DEVICE", "pacemaker SN: ", f"PJN{self.digits(6)}"),
            ("DEVICE", "serial no. ", self.alnum(10)),
            ("DEVICE", "UDI ", f"(01){self.digits(14)}(21){self.alnum(8)}"),
            ("DEVICE", "insulin pump S/N ", f"{self.letters(2)}{self.digits(7)}{self.letters(1)}"),
            ("DEVICE", "implant lot/serial ", f"{self.digits(6)}-{self.alnum(4)}"),
            ("VEHICLE", "license plate ", f"{self.digits(1)}{self.letters(3)}{self.digits(3)}"),
            ("VEHICLE", "reg ", f"{self.letters(2)}{self.digits(2)} {self.letters(3)}"),
            ("VEHICLE", "tag # ", f"{self.letters(3)}-{self.digits(4)}"),
            ("VIN", "VIN ", self.vin()),
            ("VIN", "vehicle ID number ", self.vin()),
            ("ACCESSION", "Accession: ", f"RAD-{self.rng.randrange(2015, 2025)}-{self.digits(6)}"),
            ("ACCESSION", "Acc# ", f"{self.letters(2)}{self.digits(8)}"),
            ("ACCESSION", "Specimen ", f"S{self.rng.randrange(15, 25)}-{self.digits(5)}"),
            ("ACCESSION", "Lab no. ", f"{self.digits(2)}L{self.digits(6)}"),
        ])
        return label, P(kind, v, label.strip())

    def vin(self) -> str:
        chars = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
        return "".join(self.rng.choice(chars) for _ in range(17))

    # ---------------------------------------------------------------- places
    def address(self, uk: bool | None = None) -> list[str | P]:
        uk = self.rng.random() < 0.4 if uk is None else uk
        f = self.gb if uk else self.us
        street = f.street_address().replace("\n", ", ")
        out: list[str | P] = []
        unit = ""
        if self.rng.random() < 0.35:
            unit = self.ch(["Apt 4B, ", "Flat 3, ", "Unit 12 ", "#207 ", "Suite 300, ", "Apartment 2C "]) if not uk else \
                self.ch(["Flat 3, ", "Flat 2/1, ", "Room 14, "])
        out.append(P("ADDRESS", unit + street, "uk" if uk else "us"))
        city = f.city()
        out += [", ", P("CITY", city, "uk" if uk else "us"), ", "]
        if uk:
            out += [P("ZIP", f.postcode(), "uk_postcode")]
        else:
            out += [f.state_abbr(), " ", P("ZIP", self.ch([f.zipcode(), f.zipcode_plus4()]), "us_zip")]
        return out

    def city(self) -> P:
        f = self.fakers[self.ch(["en_US", "en_GB", "de_DE", "es_ES", "fr_FR", "en_IE"])]
        c = f.city() if self.rng.random() < 0.85 else self.ch(CITY_FALLBACK)
        return P("CITY", c, "city")

    def hosp(self) -> P | tuple:
        r = self.rng.random()
        if r < 0.4:
            v, tag = self.ch(US_HOSP), "us_list"
        elif r < 0.7:
            v, tag = self.ch(INTL_HOSP), "intl_list"
        else:
            f = self.fakers[self.ch(["en_US", "en_GB", "en_US"])]
            v = f"{self.ch([f.last_name(), f.city()])} {self.ch(['Medical Center', 'Clinic', 'Memorial Hospital', 'Health Centre', 'Surgery', 'Orthopedics', 'Women’s Health', 'Community Hospital'])}"
            tag = "faker_built"
        if v.startswith("the "):  # the article is not part of the name
            return ("the ", P("INSTITUTION", v[4:], tag))
        return P("INSTITUTION", v, tag)

    # ---------------------------------------------------------------- clinical keep terms
    def keep(self, cat: str | None = None) -> K:
        pools = {"eponym": EPONYMS, "sign": SIGNS, "drug": DRUGS, "lab": LABS, "vital": VITALS,
                 "reltime": RELTIME, "abbrev": ABBREV, "anatomy": ANATOMY}
        cat = cat or self.ch(list(pools))
        return K(cat, self.ch(pools[cat]))


# ====================================================================== styles


def forum_post(g: Gen, b: Builder) -> dict:
    sex = g.ch(["F", "M"])
    b("Hi all, ", g.young_age() if g.rng.random() < 0.7 else g.old_age(), " here, long time lurker. ",
      "Diagnosed with ", g.keep("eponym"), " back in ", g.date(fmts=["Month yyyy", "mon_apos_yy", "mm/yy"]),
      " by Dr ", g.name(["Last", "full", "lower"]), " at ", g.hosp(), " in ", g.city(), ". ")
    b("Since then I've been on ", g.keep("drug"), " and my last labs (", g.keep("lab"), ", ", g.keep("lab"),
      ") were on ", g.date(fmts=["wd_m/d", "m/d", "Mon d", "the dth", "us2"]), ". ")
    b("My husband ", g.name(["First", "First"]), " says I should get a second opinion. ")
    b("Anyone else had ", g.keep("abbrev"), " with this?? started ", g.keep("reltime"), ".\n\n")
    if g.rng.random() < 0.6:
        b("If anyone local wants to chat my number is ", g.phone(), " or email me ", g.email(), " ")
    if g.rng.random() < 0.5:
        b("\nwe set up a fundraiser: ", g.url(), " pls share x")
    if g.rng.random() < 0.4:
        b("\nEDIT ", g.date(fmts=["m/d", "Mon-dd", "wd_m/d"]), ": my mum (", g.old_age(), ") was just admitted to ",
          g.hosp(), " too, ugh. She lives on ", *g.address(uk=False)[:1], ".")
    b("\n-- ", g.name(["First", "lower", "F.L."]), " ", sex)
    return {"case": g.ch(["", "", "lower"]), "typos": 0.08}


def soap(g: Gen, b: Builder) -> dict:
    lab, mrn = g.mrn()
    b("PROGRESS NOTE\nPatient: ", g.name(["LAST, FIRST", "Last, First", "full"]), "    ", lab, mrn,
      "    DOB: ", g.date(g.dob(), ["us", "us0", "iso", "eu_slash", "d Mon yyyy", "dd-MON-yyyy"]), "\n")
    b("Date of service: ", g.date(), "   Provider: ", g.name(["F. Last", "full", "First M. Last"]), ", MD\n\n")
    b("S: ", g.young_age() if g.rng.random() < 0.6 else g.old_age(), " presenting with ", g.keep("abbrev"),
      " x ", g.keep("reltime"), ". Hx of ", g.keep("eponym"), ". Lives with daughter ", g.name(["full", "First"]),
      " in ", g.city(), ". Seen at ", g.hosp(), " ", g.date(fmts=["m/d", "Mon d", "wd_m/d", "Mon-dd"]), ".\n")
    b("O: ", g.keep("vital"), ", ", g.keep("vital"), ", ", g.keep("vital"), ". ", g.keep("sign"), " negative. ",
      "Tender ", g.keep("anatomy"), ". Labs: ", g.keep("lab"), ", ", g.keep("lab"), ".\n")
    b("A: ", g.keep("eponym"), " - stable. r/o ", g.keep("abbrev"), ".\n")
    b("P: continue ", g.keep("drug"), "; start ", g.keep("drug"), ". F/u with Dr. ", g.name(["Last", "F. Last"]),
      " in 2 wks (", g.date(fmts=["us2", "m/d", "eu_dot2", "Mon. d"]), "). Pt may call ", g.phone(), ".\n")
    b("Electronically signed: ", g.name(["Last, First", "full"]), ", ", g.ch(["MD", "DO", "NP", "PA-C"]), " ",
      g.date(fmts=["us_time", "iso_time", "m-d-y_time"]), "\n")
    return {}


def radiology(g: Gen, b: Builder) -> dict:
    lab, acc = g.other_id()
    lab2, mrn = g.mrn()
    b(g.hosp(), " - DEPARTMENT OF RADIOLOGY\n", "=" * 40, "\n")
    b("NAME: ", g.name(["LAST, FIRST", "FIRST LAST", "Last FM"]), "\t", lab2, mrn, "\n")
    b("DOB: ", g.date(g.dob(), ["dMONyy", "yyyymmdd", "us0", "eu_dot"]), "  AGE: ", g.old_age() if g.rng.random() < 0.4 else g.young_age(), "\n")
    b(lab, acc, "\nEXAM DATE: ", g.date(fmts=["us_time", "dd-MON-yyyy", "iso", "m-d-y_time", "yyyymmdd"]), "\n")
    b("REFERRING: ", g.name(["Last, First", "F. Last", "LAST"]), " MD (", g.phone("PHONE"), ")\n\n")
    b("EXAM: ", g.keep("abbrev"), " PA AND LATERAL\nCLINICAL HISTORY: ", g.keep("abbrev"), ", ", g.keep("eponym"),
      ". ", g.keep("reltime"), ".\n")
    b("COMPARISON: ", g.date(fmts=["us", "iso", "Month d, yyyy", "d Mon yyyy"]), " (outside study from ", g.hosp(), ").\n")
    b("FINDINGS: Opacity in the ", g.keep("anatomy"), ". No effusion. Heart size normal. ", g.keep("anatomy"),
      " unremarkable. Device leads in place (", *g.other_id(), ").\n")
    b("IMPRESSION:\n1. Findings concerning for pneumonia in the ", g.keep("anatomy"), ".\n2. Discussed with ",
      g.name(["F. Last", "full", "Last"]), " by phone at ", g.date(fmts=["iso_time", "us_time"]), ".\n\n")
    b("Dictated by: ", g.name(["full", "First M. Last"]), ", MD\nWorkstation: RADWS", g.digits(2), " / ", g.ip(), "\n")
    b("Images: ", g.url(), "\n")
    return {"case": g.ch(["", "upper"])}


def discharge(g: Gen, b: Builder) -> dict:
    lab, mrn = g.mrn()
    pt = g.name(["LAST, FIRST", "full", "Last, First"])
    b("DISCHARGE SUMMARY\n\n", g.hosp(), "\n")
    b("Patient Name: ", pt, "\n", lab, mrn, "\n")
    b("Admission Date: ", g.date(), "\nDischarge Date: ", g.date(), "\n")
    b("Attending: ", g.name(["full", "Last, First", "F. Last"]), "\n\n")
    b("HISTORY OF PRESENT ILLNESS:\nThe patient is ", g.old_age() if g.rng.random() < 0.5 else g.young_age(),
      " with PMH of ", g.keep("eponym"), ", ", g.keep("abbrev"), " and ", g.keep("eponym"),
      " who presented to the ", g.keep("abbrev"), " with ", g.keep("abbrev"), " ", g.keep("reltime"),
      " after a fall at home (", *g.address(), ").\n\n")
    b("HOSPITAL COURSE:\n", g.keep("reltime"), " underwent ", g.keep("sign"), ". ", g.keep("vital"), ". Started on ",
      g.keep("drug"), ". Seen by ", g.name(["Last", "F. Last"]), " (cardiology) on ",
      g.date(fmts=["wd_m/d", "Weekday, Month d", "Mon d", "d.m.", "the dth"]), ".\n\n")
    b("LABS:\n", "Date        | Hb   | WBC  | Cr\n")
    for _ in range(3):
        b(g.date(fmts=["us0", "iso", "eu_dot", "Mon-dd", "m/d"]), "  | ", f"{g.rng.uniform(7, 15):.1f}", " | ",
          f"{g.rng.uniform(3, 20):.1f}", " | ", f"{g.rng.uniform(0.5, 3):.2f}", "\n")
    b("\nDISCHARGE MEDICATIONS:\n- ", g.keep("drug"), "\n- ", g.keep("drug"), "\n- ", g.keep("drug"), "\n\n")
    b("FOLLOW UP:\n", g.hosp(), ", ", *g.address(), ". Tel ", g.phone(), ", Fax ", g.phone("FAX"), ".\n")
    b("Code status: ", K("abbrev", "DNR"), ". Emergency contact: ", g.name(["full", "First"]), " (son) ",
      g.phone(), ".\n", *g.other_id(), "\n")
    return {}


def referral(g: Gen, b: Builder) -> dict:
    uk = g.rng.random() < 0.6
    b(g.hosp(), "\n", *g.address(uk=uk), "\n", "Tel: ", g.phone(), "  Fax: ", g.phone("FAX"), "\n",
      g.url(), "\n\n")
    b(g.date(fmts=["d Mon yyyy", "Month d, yyyy", "ordinal_of_y", "eu_slash", "Weekday dth Month"]), "\n\n")
    df, dl = g.person()
    b("Dr ", P("NAME", f"{df} {dl}", "full"), "\n", g.hosp(), "\n", *g.address(uk=uk), "\n\n")
    pt_first, pt_last = g.person()
    b("Dear ", g.ch(["Dr ", ""]), g.ch([P("NAME", dl, "Last"), P("NAME", df, "First")]), ",\n\n")
    lab, mrn = g.mrn()
    b("Re: ", P("NAME", f"{pt_first} {pt_last}", "full"), ", DOB ", g.date(g.dob(), ["eu_slash", "eu_dot", "d Mon yyyy", "us"]),
      ", ", lab, mrn, "\n", *g.address(uk=uk), "\n\n")
    b("Thank you for seeing this ", g.young_age() if g.rng.random() < 0.6 else g.old_age(),
      " gentleman with ", g.keep("eponym"), " whom I saw in clinic on ",
      g.date(fmts=["ordinal_of", "the dth", "d.m.", "wd_m/d"]), ". ", "Mr ", P("NAME", pt_last, "Last"),
      " reports ", g.keep("abbrev"), " for ", g.keep("reltime"), " and a positive ", g.keep("sign"), ". ")
    b("His wife ", g.name(["First"]), " is his main carer. Bloods: ", g.keep("lab"), ", ", g.keep("lab"), ". ")
    b("Current medication: ", g.keep("drug"), ", ", g.keep("drug"), ".\n\n")
    b("He can be reached on ", g.phone(), " or by email at ", g.email(pt_first, pt_last), ".\n\n")
    sf, sl = g.person()
    b("Yours sincerely,\n\n\n", P("NAME", f"{sf} {sl}", "full"), "\nConsultant Physician\n", *g.other_id(), "\n")
    b("cc: ", g.name(["F. Last", "full"]), ", GP, ", g.hosp())
    return {}


def nursing(g: Gen, b: Builder) -> dict:
    b("NURSING HANDOVER ", g.date(fmts=["eu_slash", "us2", "wd_m/d", "d.m."]), " night->day\n")
    for bed in range(g.rng.randrange(2, 5)):
        b(f"Bed {bed + 1}: ", g.name(["Last", "First", "full", "LAST", "lower", "Last F"]), " (",
          g.old_age() if g.rng.random() < 0.35 else g.young_age(), ") ", g.keep("eponym"), ", ",
          g.keep("reltime"), ". ", g.keep("vital"), ", ", g.keep("vital"), ". ", g.keep("drug"),
          " given at ", f"{g.rng.randrange(0, 24):02d}{g.ch(['00', '30'])}", ". ")
        r = g.rng.random()
        if r < 0.3:
            b("Daughter ", g.name(["First", "full"]), " rang (", g.phone(), "), updated. ")
        elif r < 0.5:
            b("For transfer to ", g.hosp(), " tmrw. ")
        elif r < 0.7:
            b(g.keep("abbrev"), ". Pt wants to go home to ", g.city(), ". ")
        b(g.keep("abbrev"), ". Kind regards - ", g.name(["First", "F.L."]), "\n")
    b("Handover given by ", g.name(["First", "full"]), " RN to ", g.name(["First", "F. Last"]), " RN")
    return {"typos": 0.05, "case": g.ch(["", "", "upper"])}


def pathology(g: Gen, b: Builder) -> dict:
    lab, acc = "Accession: ", P("ACCESSION", f"S{g.rng.randrange(15, 25)}-{g.digits(5)}", "Accession:")
    lab2, mrn = g.mrn()
    b("SURGICAL PATHOLOGY REPORT\n", g.hosp(), " Laboratory Services\n", lab, acc, "\n")
    b("Patient: ", g.name(["LAST, FIRST", "Last, First"]), "   ", lab2, mrn, "   Sex: ", g.ch(["F", "M"]), "   Age: ",
      g.old_age() if g.rng.random() < 0.4 else g.young_age(), "\n")
    b("Collected: ", g.date(fmts=["us_time", "iso", "dd-MON-yyyy", "m-d-y_time"]),
      "   Received: ", g.date(fmts=["us_time", "iso", "us0", "eu_dot"]), "\n")
    b("Submitting physician: ", g.name(["Last, First", "F. Last", "Last FM"]), "\n\n")
    b("CLINICAL INFORMATION: ", g.keep("eponym"), ". ", g.keep("anatomy"), " mass.\n")
    b("GROSS: Received in formalin labeled with the patient's name (", g.name(["LAST", "LAST, FIRST"]),
      ") and MRN, a 3.2 x 2.1 x 1.0 cm tan nodule from the ", g.keep("anatomy"), ".\n")
    b("MICROSCOPIC: Sections show ", g.keep("eponym"), ". Ki-67 ~15%. Margins clear (0.4 cm).\n")
    b("DIAGNOSIS: ", g.keep("anatomy"), ", excision: consistent with ", g.keep("eponym"), ".\n")
    b("Verified by: ", g.name(["full", "First M. Last"]), ", MD, ", g.date(fmts=["us_time", "iso_time"]), "\n")
    b("Report faxed to ", g.phone("FAX"), " on ", g.date(fmts=["us2", "m/d", "Mon d"]), ".\n")
    return {"wrap": g.ch([0, 0, 72])}


def telephone(g: Gen, b: Builder) -> dict:
    b("TELEPHONE ENCOUNTER\n", g.date(fmts=["m-d-y_time", "us_time", "wd_m/d"]), "  Caller: ",
      g.name(["full", "First", "lower"]), " (", g.ch(["self", "wife", "son", "daughter", "neighbour"]), ")  CB# ",
      g.phone(), "\n")
    b("Pt ", g.name(["full", "Last, First"]), ", ", g.old_age() if g.rng.random() < 0.5 else g.young_age(),
      ", called re ", g.keep("abbrev"), " since ", g.date(fmts=["wd_m/d", "Mon d", "m/d", "the dth"]), ". ")
    b("Taking ", g.keep("drug"), ". Denies ", g.keep("abbrev"), ". Last seen ", g.keep("reltime"), ". ")
    b("Pharmacy: ", g.ch(["CVS", "Walgreens", "Boots", "Rite Aid"]), " on ", *g.address(uk=False)[:1], " ", g.phone(), ". ")
    b("Insurance ", *g.other_id(), ". ")
    b("Advised ", g.keep("abbrev"), " if worse. Will send to Dr ", g.name(["Last", "F. Last"]), ".\n")
    b("-- ", g.name(["First", "F. Last", "full"]), ", ", g.ch(["RN", "LPN", "MA"]), " ext ", P("PHONE", g.digits(4), "ext_only"))
    return {"typos": 0.04}


def email_thread(g: Gen, b: Builder) -> dict:
    f1, l1 = g.person()
    f2, l2 = g.person()
    b("From: ", P("NAME", f"{f1} {l1}", "full"), " <", g.email(f1, l1), ">\nTo: ", P("NAME", f"{f2} {l2}", "full"),
      " <", g.email(f2, l2), ">\nSent: ", g.date(fmts=["Weekday, Month d", "us_time", "d Mon yyyy"]),
      "\nSubject: RE: ", g.name(["Last", "LAST"]), " - ", g.keep("eponym"), "?\n\n")
    b("Hi ", P("NAME", f1, "First"), ",\n\nThanks - I saw ", g.name(["First", "full", "Last"]), " (", g.keep("abbrev"), ", ",
      g.young_age() if g.rng.random() < 0.6 else g.old_age(), ") this morning. ", g.keep("vital"), ", ",
      g.keep("lab"), ". I think ", g.keep("eponym"), " is less likely. Could you book her in on ",
      g.date(fmts=["Weekday dth Month", "wd_m/d", "Mon d", "the dth", "ordinal_of"]), "? ")
    b("Her old notes are on the portal: ", g.url(), " (VPN ", g.ip(), ").\n\n")
    b("Cheers,\n", P("NAME", f2, "First"), "\n\n", P("NAME", f"{f2} {l2}", "full"), " | Registrar | ", g.hosp(),
      "\nBleep 4", g.digits(3), " | Mob ", g.phone(), "\n\n")
    b("> On ", g.date(fmts=["us_time", "d Mon yyyy"]), ", ", P("NAME", f"{l1}, {f1}", "Last, First"), " wrote:\n> ",
      g.name(["First"]), " ", g.name(["Last"]), " is back again, ", g.keep("reltime"), ". Pls see.\n")
    return {}


def triage(g: Gen, b: Builder) -> dict:
    lab, mrn = g.mrn()
    b("ED TRIAGE  ", g.date(fmts=["m-d-y_time", "us_time", "dMONyy"]), "\nPT: ", g.name(["LAST, FIRST", "FIRST LAST"]),
      " ", g.old_age() if g.rng.random() < 0.5 else g.young_age(), " ", lab, mrn, "\n")
    b("BIBA from ", *g.address(uk=False), " after ", g.keep("abbrev"), ". wife ", g.name(["First", "full"]),
      " at bedside, ph ", g.phone(), ".\n")
    b("CC: ", g.keep("abbrev"), " + chest pain started ", g.keep("reltime"), "\nVS: ", g.keep("vital"), " ", g.keep("vital"),
      " ", g.keep("vital"), "\n")
    b("PMH ", g.keep("eponym"), ", ", g.keep("abbrev"), ". meds ", g.keep("drug"), ", ", g.keep("drug"), ". ")
    b("SSN ", g.ssn(), " ", *g.other_id(), ". Drove himself?? car ", *g.other_id(), "\n")
    b("pcp dr ", g.name(["lower", "Last"]), " @ ", g.hosp(), "\n")
    return {"case": g.ch(["upper", "upper", ""]), "typos": 0.06, "wrap": g.ch([0, 60])}


def social_work(g: Gen, b: Builder) -> dict:
    b("Social work note - ", g.date(), "\n")
    b("Met with pt ", g.name(["First", "full"]), " and her ", g.ch(["niece", "partner", "POA"]), " ", g.name(), ". ")
    b("Pt is ", g.old_age(), ", widowed, lives alone at ", *g.address(), ". ")
    b("Previously worked as a teacher at ", g.ch([P("INSTITUTION", f"{g.us.last_name()} Elementary", "school"),
                                                  P("INSTITUTION", f"{g.us.company()}", "employer")]), ". ")
    b("Has ", g.keep("eponym"), " and ", g.keep("eponym"), "; ", g.keep("abbrev"), ". ")
    b("Medicare ", *g.other_id(), ". SSN on file ", g.ssn(), ". ")
    b("Son ", g.name(["full"]), " (", g.email(), ", ", g.phone(), ") will visit ", g.date(fmts=["wd_m/d", "Weekday, Month d", "Mon d"]), ". ")
    b("Plan: referral to ", g.hosp(), " for respite; ", g.keep("abbrev"), " paperwork. ", g.keep("reltime"), ".\n")
    b(g.name(["full"]), ", LCSW")
    return {}


STYLES = {
    "forum": forum_post, "soap": soap, "radiology": radiology, "discharge": discharge, "referral": referral,
    "nursing": nursing, "pathology": pathology, "telephone": telephone, "email": email_thread,
    "triage": triage, "social_work": social_work,
}


def generate(n: int, seed: int = 20240611) -> list[Note]:
    g = Gen(seed)
    return build_notes(n, STYLES, g, Builder, lambda b, o: b.render(
        g.rng, case=o.get("case", ""), typos=o.get("typos", 0.0), wrap=o.get("wrap", 0)))


if __name__ == "__main__":  # pragma: no cover - eyeballing aid
    import sys

    for note in generate(int(sys.argv[1]) if len(sys.argv) > 1 else 3):
        print(f"----- {note.style}")
        print(note.text)
        for s in note.phi:
            print("   ", s.kind, s.tag, repr(note.text[s.start:s.end]))
