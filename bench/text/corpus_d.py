"""Held-out synthetic clinical text corpus "D" for the text de-identification benchmark.

A fourth generator, written without looking at the scrubber's rules or data (deid/) and
deliberately different from corpora A, B and C: US hospital documents in the style of the
i2b2 / n2c2 de-identification challenge notes — admission H&P, SOAP progress notes, radiology
reports (comparison dates, accession numbers), pathology reports, operative notes, discharge
summaries, ED notes, nursing notes, pharmacy medication reconciliation, clinic letters,
patient-portal messages, telephone encounters and insurance prior-authorisation letters.
Everything is synthetic (Faker en_US / es_MX plus small hand-written pools).

``generate(n, seed)`` returns ``Note`` objects with the same fields as corpora B and C:
``text``, ``style``, ``phi`` (``Span(kind, start, end, tag)``, ``tag`` = sub-format) and
``keep`` (must-keep clinical terms, ``Span(category, start, end, tag)`` with the term as ``tag``).

Span conventions (as in B/C): only the identifying value is the span, not its label ("MRN: ",
"Acct#", "pgr ", the "x" of an extension, "Dr. ", ", MD" credentials are outside; a "Jr."-style
suffix is inside the name span); the time of day after a date (" 14:32", "T14:32:00") is not
part of the date span; a year on its own is plain text (Safe Harbor keeps years), neither PHI
nor must-keep; US state names/abbreviations are not spans. Pager and extension numbers are PHONE;
fax numbers are FAX. Medicare MBI, Medicaid and member/subscriber/group IDs are HEALTHPLAN;
FIN / CSN / encounter / visit / account numbers are ACCOUNT; radiology accession and surgical
pathology case numbers are ACCESSION; DEA / NPI / state licence / driver's licence are LICENSE.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import string

from faker import Faker

from bench.text.lists import load_lists
from bench.text.types import Doc, K, Note, P, Picks, build_notes

# ============================================================================ data types




# ============================================================================ pools

_DATA = load_lists("corpus_d")
FAKER_LOCALES = _DATA["FAKER_LOCALES"]

HYPHEN_LAST = _DATA["HYPHEN_LAST"]
APOS_LAST = _DATA["APOS_LAST"]
NICKNAMES = [tuple(x) for x in _DATA["NICKNAMES"]]
SUFFIXES = _DATA["SUFFIXES"]
# Patients whose surnames are also eponyms / clinical words.
EPONYM_SURNAMES = _DATA["EPONYM_SURNAMES"]
CREDS = _DATA["CREDS"]

STREET_NAMES = _DATA["STREET_NAMES"]
STREET_TYPES = _DATA["STREET_TYPES"]
UNIT_FMT = _DATA["UNIT_FMT"]

HOSP_PATTERNS = _DATA["HOSP_PATTERNS"]
CLINIC_PATTERNS = _DATA["CLINIC_PATTERNS"]
SNF_PATTERNS = _DATA["SNF_PATTERNS"]
SCHOOL_PATTERNS = _DATA["SCHOOL_PATTERNS"]
EMPLOYERS = _DATA["EMPLOYERS"]
SAINTS = _DATA["SAINTS"]
PAYERS = _DATA["PAYERS"]

EPONYMS = _DATA["EPONYMS"]
SCORES = _DATA["SCORES"]
DRUGS = _DATA["DRUGS"]
LABS = _DATA["LABS"]
RELTIME = _DATA["RELTIME"]
TIMEOFDAY = _DATA["TIMEOFDAY"]
ANATOMY = _DATA["ANATOMY"]
ABBREV = _DATA["ABBREV"]


# ============================================================================ builder


# ============================================================================ value generator


class Person:
    __slots__ = ("first", "middle", "last", "suffix", "nick")

    def __init__(self, first: str, last: str, middle: str = "", suffix: str = "", nick: str = "") -> None:
        self.first, self.last, self.middle, self.suffix, self.nick = first, last, middle, suffix, nick


ORD = ["1st", "2nd", "3rd"] + [f"{i}th" for i in range(4, 21)] + ["21st", "22nd", "23rd"] + \
      [f"{i}th" for i in range(24, 31)] + ["31st"]
NINETY_WORDS = _DATA["NINETY_WORDS"]
# US area codes that look plausible
AREA = _DATA["AREA"]


class Gen(Picks):
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed ^ 0xD0C_5EED)
        self.fk: dict[str, Faker] = {}
        for i, loc in enumerate(sorted(set(FAKER_LOCALES))):
            f = Faker(loc)
            f.seed_instance(seed * 104729 + i)
            self.fk[loc] = f
        self.us = self.fk["en_US"]

    # ------------------------------------------------------------------ basics
    def keep(self, cat: str) -> K:
        pool = {"eponym": EPONYMS, "score": SCORES, "drug": DRUGS, "lab": LABS, "reltime": RELTIME,
                "timeofday": TIMEOFDAY, "anatomy": ANATOMY, "abbrev": ABBREV}[cat]
        return K(cat, self.pick(pool))

    def young(self) -> K:
        a = self.rng.randrange(1, 90)
        fmt = self.pick(["{a} y/o", "{a}yo", "{a}-year-old", "{a} year old", "{a} yo M", "{a} yo F", "{a}M", "{a}F",
                         "age {a}", "aged {a}", "{a} y.o.", "{a} years old", "{a}-yr-old", "{a} YOM", "{a} YOF"])
        return K("age<=89", fmt.format(a=a))

    def age(self, p_old: float = 0.5):
        return self.old_age() if self.chance(p_old) else self.young()

    # ------------------------------------------------------------------ people
    def person(self) -> Person:
        f = self.fk[self.pick(FAKER_LOCALES)]
        r = self.rng.random()
        first, last = f.first_name(), f.last_name()
        nick = ""
        if r < 0.10:
            last = self.pick(HYPHEN_LAST)
        elif r < 0.20:
            last = self.pick(APOS_LAST)
        elif r < 0.27:
            last = self.pick(EPONYM_SURNAMES)
        elif r < 0.37:
            first, nick = self.pick(NICKNAMES)
        middle = self.up(1) if self.chance(0.6) else ""
        suffix = self.pick(SUFFIXES) if self.chance(0.15) else ""
        return Person(first, last, middle, suffix, nick)

    def name(self, p: Person | None = None, styles: list[str] | None = None):
        """A name in one of many renderings. Titles and credentials stay outside the span."""
        p = p or self.person()
        style = self.pick(styles or ["full", "First M. Last", "Last, First M.", "LAST, FIRST M", "Title Last",
                                     "First", "F. Last", "nick", "full+suffix", "Last"])
        mi = p.middle or self.up(1)
        sfx = p.suffix or self.pick(SUFFIXES)
        if style == "nick" and not p.nick:
            style = "First M. Last"
        v = {
            "full": f"{p.first} {p.last}",
            "First M. Last": f"{p.first} {mi}. {p.last}",
            "First M Last": f"{p.first} {mi} {p.last}",
            "Last, First M.": f"{p.last}, {p.first} {mi}.",
            "Last, First": f"{p.last}, {p.first}",
            "LAST, FIRST M": f"{p.last.upper()}, {p.first.upper()} {mi}",
            "LAST,FIRST": f"{p.last.upper()},{p.first.upper()}",
            "Title Last": p.last,
            "First": p.first,
            "Last": p.last,
            "F. Last": f"{p.first[0]}. {p.last}",
            "F Last": f"{p.first[0]} {p.last}",
            "FML initials": f"{p.first[0]}{mi}{p.last[0]}",
            "nick": f'{p.first} "{p.nick}" {p.last}',
            "nick_only": p.nick or p.first,
            "full+suffix": f"{p.first} {mi}. {p.last} {sfx}",
            "Last Suffix, First": f"{p.last} {sfx}, {p.first}",
            "first.last": f"{p.first.lower()}.{re.sub('[^a-z]', '', p.last.lower())}",
            "userid": f"{p.first[0].lower()}{re.sub('[^a-z]', '', p.last.lower())[:7]}{self.dig(1)}",
        }[style]
        if style == "Title Last":
            return (self.pick(["Mr. ", "Mrs. ", "Ms. ", "Mr ", "Miss "]), P("NAME", v, style))
        return P("NAME", v, style)

    def doctor(self, p: Person | None = None, styles: list[str] | None = None):
        """A clinician name: 'Dr. Last', 'First M. Last, MD', 'Last MD', 'J. Smith, PA-C'. Only the name is a span."""
        p = p or self.person()
        style = self.pick(styles or ["Dr. Last", "Dr. First Last", "full, CRED", "F. Last, CRED", "Last CRED",
                                     "First M. Last, CRED", "Last, First CRED", "Dr Last"])
        cred = self.pick(CREDS)
        mi = p.middle or self.up(1)
        if style == "Dr. Last":
            return ("Dr. ", P("NAME", p.last, "dr_last"))
        if style == "Dr Last":
            return ("Dr ", P("NAME", p.last, "dr_last"))
        if style == "Dr. First Last":
            return ("Dr. ", P("NAME", f"{p.first} {p.last}", "dr_full"))
        if style == "full, CRED":
            return (P("NAME", f"{p.first} {p.last}", "doc_full_cred"), f", {cred}")
        if style == "F. Last, CRED":
            return (P("NAME", f"{p.first[0]}. {p.last}", "doc_F_Last_cred"), f", {cred}")
        if style == "Last CRED":
            return (P("NAME", p.last, "doc_Last_cred"), f" {cred.split(',')[0]}")
        if style == "First M. Last, CRED":
            return (P("NAME", f"{p.first} {mi}. {p.last}", "doc_FML_cred"), f", {cred}")
        return (P("NAME", f"{p.last}, {p.first}", "doc_Last_First_cred"), f" {cred.split(',')[0]}")

    # ------------------------------------------------------------------ dates
    def some_date(self) -> dt.date:
        return dt.date(2015, 1, 1) + dt.timedelta(days=self.rng.randrange(3600))

    def birth(self) -> dt.date:
        return dt.date(1921, 1, 1) + dt.timedelta(days=self.rng.randrange(34000))

    def date(self, d: dt.date | None = None, fmts: list[str] | None = None):
        d = d or self.some_date()
        h, m, s = self.rng.randrange(24), self.rng.randrange(60), self.rng.randrange(60)
        mon, month = d.strftime("%b"), d.strftime("%B")
        table = {
            "m/d/yyyy": f"{d.month}/{d.day}/{d.year}",
            "mm/dd/yyyy": f"{d:%m/%d/%Y}",
            "mm-dd-yy": f"{d:%m-%d-%y}",
            "m/d/yy": f"{d.month}/{d.day}/{d:%y}",
            "iso": f"{d:%Y-%m-%d}",
            "Month d, yyyy": f"{month} {d.day}, {d.year}",
            "Mon d, yyyy": f"{mon} {d.day}, {d.year}",
            "Mon. d, yyyy": f"{mon}. {d.day}, {d.year}" if mon != "May" else f"May {d.day}, {d.year}",
            "DDMMMYYYY": f"{d:%d}{mon.upper()}{d.year}",
            "dd-MMM-yyyy": f"{d:%d}-{mon.upper()}-{d.year}",
            "Mon d": f"{mon} {d.day}",
            "Month d": f"{month} {d.day}",
            "m/d": f"{d.month}/{d.day}",
            "mm/dd": f"{d:%m/%d}",
            "the Nth": f"{ORD[d.day - 1]}",
            "Month Nth": f"{month} {ORD[d.day - 1]}",
            "mm/dd/yyyy HH:MM": f"{d:%m/%d/%Y}",
            "m/d/yy HHMM": f"{d.month}/{d.day}/{d:%y}",
            "iso T": f"{d:%Y-%m-%d}",
            "mm/yyyy": f"{d:%m/%Y}",
            "Month yyyy": f"{month} {d.year}",
            "yyyy": str(d.year),
            "Weekday, Month d": f"{d:%A}, {month} {d.day}",
            "yyyymmdd": f"{d:%Y%m%d}",
            "mm.dd.yyyy": f"{d:%m.%d.%Y}",
            "d-Mon-yy": f"{d.day}-{mon}-{d:%y}",
        }
        pre = {"the Nth": "the "}
        post = {"mm/dd/yyyy HH:MM": f" {h:02d}:{m:02d}", "m/d/yy HHMM": f" {h:02d}{m:02d}",
                "iso T": f"T{h:02d}:{m:02d}:{s:02d}" + self.pick(["", "Z", "-05:00"])}
        fmt = self.pick(fmts or [f for f in table if f != "yyyy"])
        if fmt == "yyyy":  # a year alone is not PHI under HIPAA Safe Harbor: plain text, neither PHI nor must-keep
            return table[fmt]
        span = P("DATE", table[fmt], fmt)
        return (pre.get(fmt, ""), span, post.get(fmt, ""))

    def dob(self, fmts: list[str] | None = None):
        return self.date(self.birth(), fmts or ["m/d/yyyy", "mm/dd/yyyy", "mm-dd-yy", "iso", "Month d, yyyy",
                                                "DDMMMYYYY", "m/d/yy", "dd-MMM-yyyy", "yyyymmdd"])

    # ------------------------------------------------------------------ ages
    def old_age(self):
        """An age over 89; the span is the age value only."""
        a = self.rng.randrange(90, 103)
        w = NINETY_WORDS[a - 90]
        fmt = self.pick(["N y/o", "Nyo", "N-year-old", "N year old", "age: N", "N yo F", "NM", "NF", "aged N",
                         "N years of age", "words-year-old", "N y.o.", "N YOF", "(age N)", "in his 90s", "N-yo"])
        pre, val, post = {
            "N y/o": ("", str(a), " y/o"), "Nyo": ("", str(a), "yo"), "N-year-old": ("", str(a), "-year-old"),
            "N year old": ("", str(a), " year old"), "age: N": ("Age: ", str(a), ""), "N yo F": ("", str(a), " yo F"),
            "NM": ("", str(a), "M"), "NF": ("", str(a), "F"), "aged N": ("aged ", str(a), ""),
            "N years of age": ("", str(a), " years of age"), "words-year-old": ("", w, "-year-old"),
            "N y.o.": ("", str(a), " y.o."), "N YOF": ("", str(a), " YOF"), "(age N)": ("(age ", str(a), ")"),
            "in his 90s": ("in his ", self.pick(["90s", "nineties", "early 90s", "mid-90s"]), ""),
            "N-yo": ("", str(a), "-yo"),
        }[fmt]
        return (pre, P("AGE", val, fmt), post)

    # ------------------------------------------------------------------ contact
    def phone(self, kind: str = "PHONE", fmts: list[str] | None = None):
        a = self.pick(AREA)
        table = {
            "(555) 123-4567": lambda: ("", f"({a}) {self.dig(3)}-{self.dig(4)}", ""),
            "555-123-4567": lambda: ("", f"{a}-{self.dig(3)}-{self.dig(4)}", ""),
            "555.123.4567": lambda: ("", f"{a}.{self.dig(3)}.{self.dig(4)}", ""),
            "1-800": lambda: ("", f"1-{self.pick(['800', '888', '877'])}-{self.dig(3)}-{self.dig(4)}", ""),
            "+1 (555) 123-4567": lambda: ("", f"+1 ({a}) {self.dig(3)}-{self.dig(4)}", ""),
            "5551234567": lambda: ("", f"{a}{self.dig(7)}", ""),
            "(555)123-4567": lambda: ("", f"({a}){self.dig(3)}-{self.dig(4)}", ""),
            "ext": lambda: ("", f"{a}-{self.dig(3)}-{self.dig(4)}", f" ext. {self.dig(3)}"),
            "pgr 4-5521": lambda: (self.pick(["pgr ", "pager ", "beeper "]), f"{self.dig(1)}-{self.dig(4)}", ""),
            "pager #": lambda: (self.pick(["pager #", "Pager: ", "pg "]), self.dig(5), ""),
            "x4471": lambda: ("x", self.dig(4), ""),
            "ext. 4471": lambda: (self.pick(["ext. ", "extension ", "Ext "]), self.dig(4), ""),
            "123-4567": lambda: ("", f"{self.dig(3)}-{self.dig(4)}", ""),
        }
        # pagers / bare extensions / 7-digit locals only where asked for (clinician sign-offs, call-backs)
        fmt = self.pick(fmts or [f for f in table if f not in ("pgr 4-5521", "pager #", "x4471", "ext. 4471", "123-4567")])
        pre, v, post = table[fmt]()
        return (pre, P(kind, v, fmt), post)

    def fax(self):
        return self.phone("FAX", ["(555) 123-4567", "555-123-4567", "555.123.4567", "5551234567", "+1 (555) 123-4567"])

    def email(self, p: Person | None = None) -> P:
        p = p or self.person()
        first = re.sub(r"[^a-z]", "", p.first.lower()) or "pat"
        last = re.sub(r"[^a-z]", "", p.last.lower()) or "doe"
        fmt = self.pick(["first.last@hosp.org", "flast@gmail", "first_last##@yahoo", "faker", "last.first@va.gov",
                         "FIRST.LAST@CAPS"])
        v = {
            "first.last@hosp.org": f"{first}.{last}@{self.pick(['partners.org', 'bmc.org', 'mercyhealth.com', 'uchealth.org', 'nyulangone.org'])}",
            "flast@gmail": f"{first[0]}{last}@gmail.com",
            "first_last##@yahoo": f"{first}_{last}{self.dig(2)}@{self.pick(['yahoo.com', 'aol.com', 'hotmail.com', 'comcast.net'])}",
            "faker": self.us.free_email(),
            "last.first@va.gov": f"{last}.{first}@va.gov",
            "FIRST.LAST@CAPS": f"{first}.{last}@{self.pick(['outlook.com', 'icloud.com'])}".upper(),
        }[fmt]
        return P("EMAIL", v, fmt)

    def url(self, p: Person | None = None) -> P:
        p = p or self.person()
        slug = re.sub(r"[^a-z]", "", (p.first + p.last).lower()) or "someone"
        fmt = self.pick(["mychart", "portal_pid", "caringbridge", "gofundme", "facebook", "bare_www", "fhir"])
        v = {
            "mychart": f"https://mychart.{self.pick(['mercyhealth', 'uchealth', 'bmc'])}.org/MyChart/Messages?id={self.dig(9)}",
            "portal_pid": f"http://portal.{self.pick(['stmarys', 'goodsam', 'sacredheart'])}.org/pt?mrn={self.dig(8)}",
            "caringbridge": f"www.caringbridge.org/visit/{slug}",
            "gofundme": f"https://gofundme.com/f/help-{slug}",
            "facebook": f"facebook.com/{slug}.{self.dig(2)}",
            "bare_www": f"www.{slug}law.com",
            "fhir": f"https://ehr.example-health.org/fhir/Patient/{self.dig(7)}",
        }[fmt]
        return P("URL", v, fmt)

    def ip(self) -> P:
        fmt = self.pick(["v4", "v4_192", "v4_10net"])
        if fmt == "v4":
            v = ".".join(str(self.rng.randrange(1, 255)) for _ in range(4))
        elif fmt == "v4_192":
            v = f"192.168.{self.rng.randrange(256)}.{self.rng.randrange(1, 255)}"
        else:
            v = f"10.{self.rng.randrange(256)}.{self.rng.randrange(256)}.{self.rng.randrange(1, 255)}"
        return P("IP", v, fmt)

    # ------------------------------------------------------------------ identifiers
    def mrn(self) -> tuple[str, P]:
        label, gen, tag = self.pick([
            ("MRN: ", lambda: "00" + self.dig(7), "MRN: 00#######"),
            ("MRN ", lambda: self.dig(8), "MRN 8"),
            ("MR# ", lambda: f"{self.dig(2)}-{self.dig(2)}-{self.dig(2)}", "MR# ##-##-##"),
            ("Med Rec #: ", lambda: f"E{self.dig(7)}", "Med Rec E7"),
            ("Unit No: ", lambda: self.dig(7), "Unit No"),
            ("MRN#", lambda: self.dig(9), "MRN# glued"),
            ("Medical Record Number: ", lambda: f"{self.dig(3)}-{self.dig(3)}-{self.dig(3)}", "MRN 3-3-3"),
            ("Pt ID: ", lambda: f"{self.up(2)}{self.dig(6)}", "Pt ID AA6"),
            ("EMPI: ", lambda: self.dig(10), "EMPI"),
            ("Hospital #: ", lambda: f"{self.dig(4)} {self.dig(4)}", "Hosp 4 4"),
        ])
        return label, P("MRN", gen(), tag)

    def account(self) -> tuple[str, P]:
        label, gen, tag = self.pick([
            ("Acct#: ", lambda: self.dig(10), "Acct#"),
            ("Acct # ", lambda: f"{self.dig(3)}-{self.dig(7)}", "Acct # dashed"),
            ("FIN: ", lambda: self.dig(9), "FIN"),
            ("FIN#", lambda: self.dig(10), "FIN# glued"),
            ("CSN: ", lambda: self.dig(10), "CSN"),
            ("Enc #: ", lambda: self.dig(8), "Enc #"),
            ("Encounter ID: ", lambda: f"E{self.dig(9)}", "Encounter E9"),
            ("Visit #: ", lambda: f"V{self.dig(8)}", "Visit V8"),
            ("HAR: ", lambda: self.dig(9), "HAR"),
            ("Claim #: ", lambda: f"{self.dig(2)}{self.up(1)}{self.dig(9)}", "Claim #"),
        ])
        return label, P("ACCOUNT", gen(), tag)

    def accession(self, mod: str = "CT") -> tuple[str, P]:
        yy = self.dig(2)
        label, gen, tag = self.pick([
            ("Acc: ", lambda: f"{mod}-{yy}-{self.dig(6)}", "Acc: CT-24-######"),
            ("Accession #: ", lambda: self.dig(8), "Accession 8"),
            ("ACC# ", lambda: f"{self.up(2)}{self.dig(9)}", "ACC# AA9"),
            ("Accession No. ", lambda: f"{yy}{mod}{self.dig(6)}", "yyMOD6"),
            ("Order #: ", lambda: self.dig(9), "Order #"),
        ])
        return label, P("ACCESSION", gen(), tag)

    def path_case(self) -> tuple[str, P]:
        yy = self.dig(2)
        label, gen, tag = self.pick([
            ("Surgical Pathology #: ", lambda: f"S{yy}-{self.rng.randrange(1, 40000)}", "S24-12345"),
            ("Case: ", lambda: f"SP-{yy}-{self.dig(5)}", "SP-24-#####"),
            ("Specimen #: ", lambda: f"{self.up(2)}{yy}-{self.dig(6)}", "AA24-######"),
            ("Cytology #: ", lambda: f"C{yy}-{self.dig(4)}", "C24-####"),
        ])
        return label, P("ACCESSION", gen(), tag)

    def ssn(self):
        label, val, tag = self.pick([
            ("SSN: ", f"{self.rng.randrange(100, 899)}-{self.dig(2)}-{self.dig(4)}", "###-##-####"),
            ("SS#: ", f"{self.rng.randrange(100, 899)}{self.dig(6)}", "9 digits"),
            ("Social Security No. ", f"{self.rng.randrange(100, 899)} {self.dig(2)} {self.dig(4)}", "spaced"),
            ("SSN (last 4): ", self.dig(4), "last4"),
            ("SSN: xxx-xx-", self.dig(4), "masked last4"),
        ])
        return label, P("SSN", val, tag)

    def mbi(self) -> str:
        L = "ACDEFGHJKMNPQRTUVWXY"
        c = lambda: self.rng.choice(L)  # noqa: E731
        a = lambda: self.rng.choice(L + string.digits)  # noqa: E731
        return f"{self.rng.randrange(1, 10)}{c()}{a()}{self.dig(1)}{c()}{a()}{self.dig(1)}{c()}{c()}{self.dig(1)}{self.dig(1)}"

    def healthplan(self) -> tuple[str, P]:
        mbi = self.mbi()
        label, val, tag = self.pick([
            ("Medicare MBI: ", f"{mbi[:4]}-{mbi[4:7]}-{mbi[7:]}", "MBI dashed"),
            ("MBI ", mbi, "MBI plain"),
            ("Medicare #: ", f"{self.dig(9)}A", "HICN"),
            ("Medicaid ID: ", f"{self.up(2)}{self.dig(5)}{self.up(1)}", "Medicaid"),
            ("Member ID: ", f"{self.up(3)}{self.dig(9)}", "Member ID AAA9"),
            ("Subscriber ID: ", f"{self.dig(9)}-01", "Subscriber ##-01"),
            ("Policy #: ", f"{self.up(1)}{self.dig(8)}", "Policy A8"),
            ("Group #: ", self.dig(6), "Group #"),
            ("ID# ", f"W{self.dig(9)}", "W-number"),
        ])
        return label, P("HEALTHPLAN", val, tag)

    def license(self) -> tuple[str, P]:
        label, gen, tag = self.pick([
            ("DEA# ", lambda: f"{self.pick('ABFM')}{self.up(1)}{self.dig(7)}", "DEA"),
            ("NPI: ", lambda: f"1{self.dig(9)}", "NPI"),
            ("NPI ", lambda: f"1{self.dig(9)}", "NPI"),
            ("State License #: ", lambda: f"{self.up(1)}{self.dig(5)}", "State lic A5"),
            ("MA Lic. ", lambda: self.dig(6), "MA Lic"),
            ("DL# ", lambda: f"{self.up(1)}{self.dig(7)}", "driver licence"),
            ("CA license G", lambda: self.dig(5), "CA G#####"),
        ])
        return label, P("LICENSE", gen(), tag)

    def device(self) -> tuple[str, P]:
        label, gen, tag = self.pick([
            ("SN: ", lambda: f"{self.up(3)}{self.dig(6)}{self.up(1)}", "pacer SN"),
            ("Serial # ", lambda: f"{self.dig(2)}{self.up(1)}{self.dig(6)}", "serial #"),
            ("UDI: ", lambda: f"(01){self.dig(14)}(17){self.dig(6)}(10){self.an(6)}(21){self.an(8)}", "UDI GS1"),
            ("S/N ", lambda: f"PM{self.dig(7)}", "S/N PM7"),
            ("pump serial ", lambda: f"NG{self.dig(7)}H", "pump serial"),
            ("transmitter ID ", lambda: f"8{self.an(5)}", "CGM transmitter"),
            ("asset tag ", lambda: f"BMET-{self.dig(6)}", "asset tag"),
        ])
        return label, P("DEVICE", gen(), tag)

    # ------------------------------------------------------------------ places
    def street(self) -> P:
        r = self.rng.random()
        num = str(self.rng.randrange(1, 29999))
        if r < 0.35:
            v = self.us.street_address()
            tag = "faker"
        elif r < 0.85:
            unit = self.pick(UNIT_FMT).format(n=self.rng.randrange(1, 999), l=self.up(1))
            sep = self.pick([", ", " ", ", "])
            d = self.pick(["", "", "N. ", "SW ", "East ", "W "])
            v = f"{num} {d}{self.pick(STREET_NAMES)} {self.pick(STREET_TYPES)}{sep}{unit}"
            tag = "street+apt"
        else:
            v = f"PO Box {self.rng.randrange(1, 9999)}"
            tag = "PO Box"
        return P("ADDRESS", v, tag)

    def zip(self) -> P:
        if self.chance(0.4):
            return P("ZIP", f"{self.us.zipcode()}-{self.dig(4)}", "ZIP+4")
        return P("ZIP", self.us.zipcode(), "ZIP5")

    def address(self, oneline: bool = True) -> list:
        sep = ", " if oneline else "\n"
        return [self.street(), sep, P("CITY", self.us.city(), "us_city"), ", ",
                self.pick([self.us.state_abbr(), self.us.state()]), " ", self.zip()]

    def city(self) -> P:
        return P("CITY", self.us.city(), "us_city")

    def institution(self, kinds: list[str] | None = None) -> P:
        kind = self.pick(kinds or ["hospital", "clinic", "snf", "school", "employer"])
        fill = dict(city=self.us.city(), last=self.us.last_name(), saint=self.pick(SAINTS), state=self.us.state())
        if kind == "employer":
            return P("INSTITUTION", self.pick(EMPLOYERS), "employer")
        pat = {"hospital": HOSP_PATTERNS, "clinic": CLINIC_PATTERNS, "snf": SNF_PATTERNS,
               "school": SCHOOL_PATTERNS}[kind]
        return P("INSTITUTION", self.pick(pat).format(**fill), kind)


# ============================================================================ styles
# Each style appends to ``d`` and returns render options.


def _header(g: Gen, d: Doc, title: str, pt: Person, acct: bool = True) -> None:
    lab, mrn = g.mrn()
    d(title, "\n", g.institution(["hospital"]), "\n")
    d("Patient: ", g.name(pt, ["Last, First M.", "LAST, FIRST M", "First M. Last", "LAST,FIRST", "Last Suffix, First",
                              "full+suffix"]), "   ", lab, mrn)
    if acct:
        d("   ", *g.account())
    d("\nDOB: ", g.dob(), "\n")


def _history(g: Gen, d: Doc) -> None:
    """PMH / PSH / social / family history block shared by several styles."""
    d("PMH: ", g.keep("abbrev"), ", ", g.keep("abbrev"), ", ", g.keep("eponym"), " (dx ", g.keep("reltime"), ").\n")
    d("PSH: ", g.keep("eponym"), " at ", g.institution(["hospital"]), " (", g.date(fmts=["yyyy", "mm/yyyy", "Month yyyy", "m/d/yy"]),
      "), appendectomy as a child.\n")
    d("Social: ", g.pick(["former smoker, ", "never smoker, ", "smokes ", "quit "]), g.keep("reltime"), "; ",
      g.pick(["occasional ETOH", "denies drugs", "2-3 beers/wk", "no IVDU"]), ". ", g.pick(["Retired", "Works"]), " (",
      g.institution(["employer", "school"]), ").\n")
    d("Family hx: ", g.pick(["mother", "father", "brother", "sister"]), " with ", g.keep("eponym"), ", died at ",
      g.age(0.5), "; ", g.pick(["father", "mother", "aunt"]), " with ", g.keep("abbrev"), ".\n")
    d("ROS: negative except as per HPI; ", g.keep("abbrev"), ", ", g.keep("abbrev"), ".\n")


def admission_hp(g: Gen, d: Doc) -> dict:
    pt = g.person()
    _header(g, d, "ADMISSION HISTORY AND PHYSICAL", pt)
    d("Date of Admission: ", g.date(fmts=["mm/dd/yyyy HH:MM", "m/d/yyyy", "Month d, yyyy", "iso T"]), "\n")
    d("Attending: ", g.doctor(), "   PCP: ", g.doctor(), ", ", g.institution(["clinic"]), "\n\n")
    d("CC: chest pain ", g.keep("reltime"), "\n")
    d("HPI: ", g.name(pt, ["Title Last", "First", "nick"]), " is a ", g.age(0.45), " with ", g.keep("abbrev"), ", ",
      g.keep("abbrev"), " and ", g.keep("eponym"), " who presents with ", g.keep("abbrev"), " ", g.keep("reltime"),
      ". Seen at ", g.institution(["hospital", "clinic"]), " on ", g.date(fmts=["m/d", "Mon d", "the Nth", "m/d/yy"]),
      " where ", g.keep("lab"), ". Lives with ", g.pick(["wife", "daughter", "husband", "son"]), " ",
      g.name(styles=["First", "full", "nick_only"]), " at ", *g.address(), ". Retired from ", g.institution(["employer"]),
      ".\n")
    _history(g, d)
    d("Meds: ", g.keep("drug"), "; ", g.keep("drug"), "; ", g.keep("drug"), " ", g.keep("timeofday"), ".\n")
    d("Exam: ", g.keep("lab"), ", ", g.keep("lab"), ". ", g.keep("abbrev"), ", ", g.keep("eponym"), " negative. ",
      g.keep("score"), ".\n")
    d("Labs: ", g.keep("lab"), ", ", g.keep("lab"), ", ", g.keep("lab"), ".\n")
    d("A/P: ", g.keep("abbrev"), " — ", g.keep("drug"), ", recheck ", g.keep("timeofday"), ". ", g.keep("score"),
      ". Code: ", g.keep("abbrev"), ". HCP ", g.name(styles=["full", "First M. Last", "Last, First"]), " ",
      g.phone(), ".\n")
    d(g.doctor(), " ", g.phone(fmts=["pgr 4-5521", "pager #"]), "  ", g.date(fmts=["mm/dd/yyyy HH:MM", "m/d/yy HHMM"]), "\n")
    return {}


def soap_progress(g: Gen, d: Doc) -> dict:
    pt = g.person()
    lab, mrn = g.mrn()
    d("PROGRESS NOTE — ", g.keep("reltime"), "   ", g.date(fmts=["m/d/yyyy", "mm/dd/yy".replace("yy", "yyyy"), "iso", "DDMMMYYYY", "Mon d, yyyy"]), "\n")
    d(g.name(pt, ["LAST, FIRST M", "Last, First M.", "First M. Last"]), " ", lab, mrn, " Rm ", str(g.rng.randrange(200, 999)),
      g.pick(["A", "B", ""]), "\n\n")
    d("S: Pt reports pain improved, tolerating diet. ", g.pick(["Wife", "Son", "Daughter"]), " (",
      g.name(styles=["First", "full"]), ") at bedside. Overnight ", g.keep("drug"), " x1.\n")
    d("O: ", g.keep("lab"), ", ", g.keep("lab"), ", ", g.keep("lab"), ". ", g.keep("abbrev"), ". ", g.keep("eponym"),
      " in place. Incision at ", g.keep("anatomy"), " c/d/i.\n")
    d("   Labs ", g.keep("timeofday"), ": ", g.keep("lab"), ", ", g.keep("lab"), ".\n")
    if g.chance(0.5):
        _history(g, d)
    d("A: ", g.age(0.35), " ", g.keep("reltime"), " s/p ", g.keep("eponym"), ", ", g.keep("abbrev"), ".\n")
    d("P: continue ", g.keep("drug"), " ", g.keep("timeofday"), "; d/c ", g.keep("eponym"), " ", g.keep("reltime"),
      "; ", g.keep("score"), ". PT/OT. Dispo to ", g.institution(["snf"]), " when bed available (CM ",
      g.name(styles=["full", "F. Last"]), " ", g.phone(fmts=["x4471", "ext. 4471", "555-123-4567"]), ").\n")
    d("— ", g.doctor(styles=["full, CRED", "F. Last, CRED", "First M. Last, CRED"]), ", ",
      g.pick(["PGY-2", "PGY-1", "intern", "resident"]), ", ", g.phone(fmts=["pgr 4-5521", "pager #"]), "\n")
    return {}


def radiology(g: Gen, d: Doc) -> dict:
    pt = g.person()
    mod = g.pick(["CT", "MR", "US", "XR", "NM"])
    study = {"CT": "CT ABDOMEN/PELVIS WITH IV CONTRAST", "MR": "MRI BRAIN WITHOUT AND WITH CONTRAST",
             "US": "US RIGHT UPPER QUADRANT", "XR": "XR CHEST 2 VIEWS", "NM": "NM MYOCARDIAL PERFUSION SPECT"}[mod]
    lab, mrn = g.mrn()
    alab, acc = g.accession(mod)
    d("RADIOLOGY REPORT\n", "EXAM: ", study, "\n", "PATIENT: ", g.name(pt, ["LAST, FIRST M", "LAST,FIRST", "Last, First M."]),
      "  ", lab, mrn, "  DOB: ", g.dob(), "\n")
    d(alab, acc, "   Exam date: ", g.date(fmts=["mm/dd/yyyy HH:MM", "iso T", "m/d/yyyy", "mm-dd-yy"]), "\n")
    d("Ordering: ", g.doctor(styles=["Last, First CRED", "F. Last, CRED", "full, CRED"]), "   Location: ",
      g.institution(["hospital", "clinic"]), "\n\n")
    d("INDICATION: ", g.age(0.4), " with ", g.keep("abbrev"), ", ", g.keep("eponym"), ", ", g.keep("reltime"), ".\n")
    d("COMPARISON: ", g.pick([mod, "CT", "Ultrasound"]), " ", g.date(fmts=["m/d/yyyy", "mm/dd/yyyy", "Month d, yyyy",
                                                                        "iso", "m/d/yy", "Mon d, yyyy", "mm/yyyy"]),
      " and ", g.date(fmts=["m/d/yyyy", "m/d/yy", "Month yyyy", "yyyy", "DDMMMYYYY"]),
      g.pick([" (outside, ", " (from "]), g.institution(["hospital"]), ").\n")
    d("TECHNIQUE: 100 mL Omnipaque 350. DLP 612 mGy-cm. ", g.keep("timeofday"), ".\n")
    d("FINDINGS: ", g.keep("lab"), " lesion in the ", g.keep("anatomy"), ", previously ", g.keep("lab"), ". ",
      g.keep("anatomy"), " unremarkable. ", g.keep("eponym"), ". No free air. ", g.keep("anatomy"), " normal.\n")
    d("IMPRESSION:\n1. ", g.keep("abbrev"), ". ", g.keep("score"), ".\n2. Recommend follow-up ", g.keep("reltime"), ".\n")
    d("Critical result discussed with ", g.doctor(styles=["Dr. Last", "Dr. First Last", "Dr Last"]), " by ",
      g.name(styles=["F. Last", "full"]), " at ", g.pick(["1432", "0915", "2210", "3:12 PM"]), " on ",
      g.date(fmts=["m/d/yyyy", "mm/dd/yyyy", "m/d"]), ", read back confirmed.\n")
    d("Electronically signed: ", g.doctor(styles=["First M. Last, CRED", "full, CRED"]), " ",
      g.date(fmts=["mm/dd/yyyy HH:MM", "iso T"]), "  Workstation ", g.ip(), "\n")
    return {"case": "upper"} if g.chance(0.15) else {}


def pathology(g: Gen, d: Doc) -> dict:
    pt = g.person()
    lab, mrn = g.mrn()
    clab, case = g.path_case()
    d("SURGICAL PATHOLOGY REPORT\n", clab, case, "\n", "Patient: ", g.name(pt, ["LAST, FIRST M", "Last, First M.", "Last Suffix, First"]),
      "   ", lab, mrn, "   Age/Sex: ", g.age(0.4), "\n")
    d("Collected: ", g.date(fmts=["mm/dd/yyyy", "m/d/yyyy", "dd-MMM-yyyy", "mm/dd/yyyy HH:MM"]), "   Received: ",
      g.date(fmts=["mm/dd/yyyy", "m/d/yy", "mm/dd/yyyy HH:MM"]), "\n")
    d("Submitting physician: ", g.doctor(), "   ", g.institution(["hospital", "clinic"]), "\n")
    d("Clinical history: ", g.keep("abbrev"), ", ", g.keep("eponym"), ". Prior biopsy ", g.path_case()[1],
      " (", g.date(fmts=["mm/yyyy", "Month yyyy", "m/d/yy"]), ").\n")
    d("GROSS: Received in formalin labeled with the patient's name and ", g.pick(["MRN", "medical record number"]),
      " is a ", g.keep("lab"), " tan-pink nodule from the ", g.keep("anatomy"), ". Inked and submitted in cassettes A1-A6.\n")
    d("MICROSCOPIC/DIAGNOSIS:\nA. ", g.keep("anatomy"), ", ", g.pick(["resection", "core biopsy", "excision"]),
      ": invasive carcinoma, ", g.keep("score"), ". ", g.keep("score"), ". Margins negative (closest ", g.keep("lab"), ").\n")
    d("Intradepartmental consultation with ", g.doctor(styles=["Dr. Last", "Dr. First Last"]), ", who agrees. ")
    d("Results called to ", g.name(styles=["full", "F. Last"]), ", RN at ", g.pick(["10:42", "1530", "08:05"]), ".\n")
    d("Pathologist: ", g.doctor(styles=["First M. Last, CRED", "full, CRED"]), "  Signed ",
      g.date(fmts=["mm/dd/yyyy HH:MM", "Month d, yyyy", "m/d/yyyy"]), "\n")
    return {}


def operative(g: Gen, d: Doc) -> dict:
    pt = g.person()
    _header(g, d, "OPERATIVE REPORT", pt, acct=g.chance(0.5))
    d("DATE OF PROCEDURE: ", g.date(fmts=["mm/dd/yyyy", "Month d, yyyy", "m/d/yyyy", "DDMMMYYYY"]), "\n")
    d("SURGEON: ", g.doctor(styles=["First M. Last, CRED", "full, CRED"]), "\nASSISTANT: ",
      g.doctor(styles=["F. Last, CRED", "full, CRED", "Last CRED"]), "\nANESTHESIA: General, ",
      g.doctor(styles=["Dr. Last", "full, CRED"]), "\n")
    d("PROCEDURE: ", g.keep("eponym"), ".\nINDICATIONS: ", g.age(0.3), " with ", g.keep("abbrev"), "; ",
      g.keep("score"), ".\n")
    d("DESCRIPTION: Patient identified by name and DOB, placed supine, ", g.keep("eponym"), ". ",
      g.keep("drug"), " given ", g.keep("timeofday"), ". ", g.keep("eponym"), " placed. Dissection at the ",
      g.keep("anatomy"), ". Implant: ", *g.device(), ". ", g.keep("eponym"), " left in ", g.keep("anatomy"), ".\n")
    d("EBL 150 mL. Specimens to pathology. Counts correct x2. ", g.keep("lab"), ".\n")
    d("DISPOSITION: to PACU, stable. Spoke with ", g.pick(["wife", "husband", "mother", "son"]), " ",
      g.name(styles=["full", "First", "Title Last"]), " at ", g.phone(fmts=["(555) 123-4567", "555-123-4567", "555.123.4567"]),
      ". Follow up ", g.keep("reltime"), " at ", g.institution(["clinic"]), ".\n")
    d("Dictated by: ", g.doctor(styles=["Last, First CRED", "F. Last, CRED"]), "  D: ", g.date(fmts=["mm/dd/yyyy", "m/d/yy"]),
      "  T: ", g.date(fmts=["mm/dd/yyyy HH:MM", "m/d/yy HHMM"]), "  Job #", P("ACCOUNT", g.dig(7), "Job #"), "\n")
    return {}


def discharge(g: Gen, d: Doc) -> dict:
    pt = g.person()
    _header(g, d, "DISCHARGE SUMMARY", pt)
    adm = g.some_date()
    d("Admit: ", g.date(adm, ["m/d/yyyy", "mm/dd/yyyy", "iso", "Month d, yyyy"]), "   Discharge: ",
      g.date(adm + dt.timedelta(days=g.rng.randrange(1, 12)), ["m/d/yyyy", "mm/dd/yyyy", "iso", "Month d, yyyy"]), "\n")
    d("Attending: ", g.doctor(), "   Consults: ", g.doctor(styles=["Dr. Last", "Dr Last"]), " (cards), ",
      g.doctor(styles=["Dr. Last", "Last CRED"]), " (GI)\n\n")
    d("HOSPITAL COURSE: ", g.name(pt, ["Title Last", "First", "Last"]), " is a ", g.age(0.45),
      " admitted with ", g.keep("abbrev"), " and ", g.keep("eponym"), ". Treated with ", g.keep("drug"), " ",
      g.keep("reltime"), ". On ", g.keep("reltime"), " developed ", g.keep("abbrev"), "; ", g.keep("lab"),
      ". ", g.keep("eponym"), " removed on ", g.date(fmts=["m/d", "mm/dd", "the Nth", "Month Nth", "Mon d"]), ". ")
    d("Transfused 1 unit ", g.keep("timeofday"), ". ", g.keep("score"), ".\n")
    d("DISCHARGE MEDS: ", g.keep("drug"), "; ", g.keep("drug"), "; ", g.keep("drug"), ".\n")
    d("DISPOSITION: ", g.pick(["Home with services", "SNF", "Home"]), " — ", g.institution(["snf", "hospital"]),
      ", ", g.city(), ". VNA ", g.phone(), ", fax ", g.fax(), ".\n")
    d("FOLLOW-UP: ", g.doctor(styles=["Dr. Last", "Dr. First Last"]), ", ", g.keep("reltime"), " (",
      g.date(fmts=["m/d/yyyy", "Weekday, Month d", "m/d", "Mon d"]), " at ", g.pick(["9:15 AM", "1400", "10:30"]),
      "), ", g.institution(["clinic"]), ", ", *g.address(), ", ", g.phone(fmts=["(555) 123-4567", "555-123-4567"]), ".\n")
    d("cc: ", g.doctor(styles=["full, CRED", "First M. Last, CRED"]), "\n")
    return {}


def ed_note(g: Gen, d: Doc) -> dict:
    pt = g.person()
    lab, mrn = g.mrn()
    alab, acct = g.account()
    d("EMERGENCY DEPARTMENT NOTE  ", g.institution(["hospital"]), "\n")
    d("Arrival: ", g.date(fmts=["mm/dd/yyyy HH:MM", "iso T", "m/d/yy HHMM"]), "  ", lab, mrn, "  ", alab, acct, "\n")
    d("Pt: ", g.name(pt, ["LAST, FIRST M", "Last, First M.", "full+suffix", "nick"]), "   ", g.age(0.35), "\n")
    d("Triage: ESI 2. Arrived via EMS (", g.pick(["Medic 7", "Engine 14", "Rescue 3"]), ") from ", *g.address(), ".\n")
    d("HPI: MVC, restrained driver, ", g.keep("reltime"), ". ", g.keep("abbrev"), ". ", g.keep("score"), ". ",
      g.keep("eponym"), ". Vehicle plate ", P("VEHICLE", f"{g.dig(1)}{g.up(3)}{g.dig(3)}", "plate"), " per police.\n")
    d("ROS/PE: ", g.keep("lab"), ", ", g.keep("lab"), ", ", g.keep("lab"), ". ", g.keep("eponym"), " positive. ",
      g.keep("abbrev"), ".\n")
    d("MDM: ", g.keep("score"), "; CT head negative; ", g.keep("drug"), " ", g.keep("timeofday"), ", ", g.keep("drug"),
      ". Reassessed ", g.keep("reltime"), ".\n")
    d("Social: works at ", g.institution(["employer"]), "; ", g.pick(["son", "daughter"]), " attends ",
      g.institution(["school"]), ". ", *g.ssn(), ". ", *g.healthplan(), " (", g.pick(PAYERS), ").\n")
    if g.chance(0.5):
        _history(g, d)
    d("Dispo: admit to ", g.keep("abbrev"), "; signed out to ", g.doctor(styles=["Dr. Last", "Dr Last"]), " at ",
      g.pick(["0700", "1900", "7 PM"]), ".\n")
    d(g.doctor(styles=["First M. Last, CRED", "full, CRED", "F. Last, CRED"]), "  ", g.phone(fmts=["x4471", "pgr 4-5521"]), "\n")
    return {}


def nursing(g: Gen, d: Doc) -> dict:
    pt = g.person()
    lab, mrn = g.mrn()
    d("NURSING SHIFT NOTE ", g.date(fmts=["m/d/yy", "mm/dd/yyyy", "m/d"]), " ", g.pick(["0700-1900", "1900-0700", "7a-7p"]), "\n")
    d("Pt ", g.name(pt, ["Last, First", "First M Last", "Title Last", "nick"]), " (", lab, mrn, "), bed ", g.dig(3), "-",
      g.pick("AB"), ". ", g.keep("abbrev"), ". Fall risk: ", g.keep("score"), ". ", g.keep("score"), ".\n")
    d(g.keep("timeofday"), " VS ", g.keep("lab"), ", ", g.keep("lab"), ". ", g.keep("drug"), " given. ",
      g.keep("eponym"), " draining clear yellow urine, ", g.keep("lab"), ".\n")
    d(g.pick(["1130", "1400", "2215", "0330"]), " pt c/o nausea, ", g.keep("drug"), " given per order. Turned ",
      g.keep("timeofday"), ". Skin intact over ", g.keep("anatomy"), ".\n")
    d("Visitors: ", g.pick(["daughter", "son", "grandson", "neighbor"]), " ", g.name(styles=["First", "full", "nick_only"]),
      " (", g.phone(fmts=["(555) 123-4567", "555-123-4567", "555.123.4567", "5551234567"]), "), wants calls after 5pm. ")
    d("Pt states she is ", g.age(0.6), " and was born in ", g.city(), ".\n")
    _history(g, d)
    d("Report given to ", g.name(styles=["First", "F. Last", "full"]), ", RN. ", g.keep("reltime"), " on unit.\n")
    d("— ", g.name(styles=["full", "First M. Last", "F. Last"]), ", ", g.pick(["RN", "BSN, RN", "LPN"]), "\n")
    return {}


def med_rec(g: Gen, d: Doc) -> dict:
    pt = g.person()
    lab, mrn = g.mrn()
    d("PHARMACY MEDICATION RECONCILIATION\n", g.name(pt, ["LAST, FIRST M", "Last, First M.", "LAST,FIRST"]), "  ",
      lab, mrn, "  DOB ", g.dob(), "  Wt ", g.keep("lab"), "\n")
    d("Sources: patient, ", g.pick(["wife", "son", "daughter"]), " ", g.name(styles=["First", "full"]), ", outpatient pharmacy (",
      g.pick(["CVS", "Walgreens", "Rite Aid"]), " #", g.dig(5), ", ", g.city(), ", ", g.phone(), "; fax ", g.fax(), ")\n")
    d("Fill history via Surescripts ", g.date(fmts=["mm/dd/yyyy", "m/d/yy", "iso"]), ".\n\n")
    for _ in range(g.rng.randrange(3, 6)):
        d("- ", g.keep("drug"), " ", g.keep("timeofday"), "  last dose ", g.date(fmts=["m/d", "mm/dd", "m/d/yy", "Mon d"]),
          " ", g.pick(["PM", "AM", "0800", "hs"]), "\n")
    if g.chance(0.5):
        _history(g, d)
    d("Prescriber of record: ", g.doctor(styles=["full, CRED", "Last, First CRED"]), ", ", *g.license(), "; ",
      *g.license(), "\n")
    d("Allergies: ", g.pick(["NKDA", "PCN (rash)", "sulfa (hives)", "codeine (N/V)"]), ". Renal dosing for ", g.keep("lab"),
      ". ", g.keep("score"), ".\n")
    d("Insurance: ", g.pick(PAYERS), " ", *g.healthplan(), "\n")
    d("Reconciled by ", g.doctor(styles=["full, CRED", "F. Last, CRED"]), " ", g.phone(fmts=["x4471", "ext. 4471"]), " ",
      g.date(fmts=["mm/dd/yyyy HH:MM", "iso T"]), "\n")
    return {}


def clinic_letter(g: Gen, d: Doc) -> dict:
    pt, doc = g.person(), g.person()
    d(g.institution(["clinic"]), "\n", *g.address(oneline=False), "\nTel ", g.phone(fmts=["(555) 123-4567", "555-123-4567"]),
      "  Fax ", g.fax(), "\n\n")
    d(g.date(fmts=["Month d, yyyy", "Mon. d, yyyy", "m/d/yyyy"]), "\n\n")
    d(g.doctor(styles=["Dr. First Last", "full, CRED"]), "\n", g.institution(["clinic", "hospital"]), "\n\n")
    d("RE: ", g.name(pt, ["full+suffix", "First M. Last", "full", "Last, First"]), "\nDOB: ", g.dob(), "\n\n")
    d("Dear ", g.doctor(styles=["Dr. Last", "Dr Last"]), ",\n\n")
    d("Thank you for referring ", g.name(pt, ["Title Last", "First", "nick"]), ", a pleasant ", g.age(0.45), " with ",
      g.keep("eponym"), ", whom I saw in clinic on ", g.date(fmts=["Month d", "Month Nth", "m/d/yyyy", "Weekday, Month d"]),
      ". Since ", g.keep("reltime"), " ", g.pick(["she", "he"]), " has had ", g.keep("abbrev"), ". ", g.keep("eponym"),
      " was present. ", g.keep("lab"), "; ", g.keep("lab"), ". ", g.keep("score"), ".\n")
    _history(g, d)
    d("I have started ", g.keep("drug"), " and will see ", g.pick(["her", "him"]), " back ", g.keep("reltime"), ". ")
    d("Prior records from ", g.institution(["hospital"]), " (", g.date(fmts=["yyyy", "Month yyyy", "mm/yyyy"]), ") reviewed.\n\n")
    d("Sincerely,\n\n", g.doctor(doc, ["First M. Last, CRED", "full, CRED"]), "\n", *g.license(), "\n", g.email(doc), "\n")
    return {}


def portal_message(g: Gen, d: Doc) -> dict:
    pt = g.person()
    d("MyChart Message  From: ", g.name(pt, ["full", "First M. Last", "nick"]), " <", g.email(pt), ">\n")
    d("Sent: ", g.date(fmts=["Weekday, Month d", "m/d/yyyy", "mm/dd/yyyy HH:MM", "iso T"]), " ", g.pick(["9:42 PM", "06:13", ""]), "\n")
    d("To: ", g.doctor(styles=["Dr. Last", "Dr. First Last", "full, CRED"]), "  Subject: refill + question\n\n")
    d("Hi Dr. ", g.name(styles=["Last"]), ", it's ", g.name(pt, ["First", "nick_only"]), ". My ",
      g.pick(["mom", "dad", "husband"]), " ", g.name(styles=["First", "full"]), " is ", g.age(0.6),
      " and we moved her to ", g.institution(["snf"]), " on ", g.date(fmts=["the Nth", "Month Nth", "m/d", "Mon d"]),
      ". Can you send ", g.keep("drug"), " to the pharmacy at ", *g.address(), "? ", g.keep("reltime"),
      " I've had ", g.keep("abbrev"), " and my sugar was ", g.keep("lab"), ". ")
    d("Also need a note for work (", g.institution(["employer", "school"]), "). Call me at ",
      g.phone(fmts=["555-123-4567", "(555)123-4567", "5551234567", "555.123.4567"]), " or my work ",
      g.phone(fmts=["ext", "x4471"]), ".\nThanks, ", g.name(pt, ["First", "full", "FML initials"]), "\n")
    d("Login from ", g.ip(), "  ", g.url(pt), "\n\n")
    d("--- Reply from ", g.doctor(styles=["F. Last, CRED", "full, CRED"]), ": take ", g.keep("drug"), " ",
      g.keep("timeofday"), "; ", g.keep("eponym"), " unlikely.\n")
    return {}


def telephone(g: Gen, d: Doc) -> dict:
    pt = g.person()
    lab, mrn = g.mrn()
    d("TELEPHONE ENCOUNTER ", g.date(fmts=["m/d/yyyy", "mm/dd/yyyy HH:MM", "m/d/yy HHMM", "iso"]), "\n")
    d("Caller: ", g.pick(["daughter", "wife", "patient", "son-in-law"]), " ", g.name(styles=["full", "First", "Last, First"]),
      "  Callback: ", g.phone(fmts=["(555) 123-4567", "555-123-4567", "5551234567", "123-4567", "ext"]), "\nPatient: ", g.name(pt, ["Last, First M.", "LAST, FIRST M", "full+suffix"]), " ",
      lab, mrn, "  DOB ", g.dob(["m/d/yyyy", "mm/dd/yyyy", "m/d/yy", "mm-dd-yy"]), "\n")
    d("Reason: ", g.age(0.5), " with ", g.keep("eponym"), " ", g.keep("reltime"), ", now ", g.keep("abbrev"), ". ",
      g.keep("lab"), " at home ", g.keep("timeofday"), ".\n")
    _history(g, d)
    d("Triage per protocol; advised ED at ", g.institution(["hospital"]), " if worse. ", g.keep("drug"), " ",
      g.keep("timeofday"), " x3 days. Appt ", g.date(fmts=["m/d", "Mon d", "Weekday, Month d", "the Nth"]), " with ",
      g.doctor(styles=["Dr. Last", "Dr Last", "Dr. First Last"]), ".\n")
    d("Verified identity with DOB and address (", g.street(), "). ", *g.healthplan(), ".\n")
    d(g.name(styles=["full", "First M. Last", "F. Last"]), ", ", g.pick(["RN", "LPN", "MA"]), " ",
      g.phone(fmts=["x4471", "ext. 4471"]), "\n")
    return {}


def prior_auth(g: Gen, d: Doc) -> dict:
    pt, doc = g.person(), g.person()
    payer = g.pick(PAYERS)
    d(g.institution(["clinic", "hospital"]), "  ", *g.address(), "\nPhone ", g.phone(fmts=["(555) 123-4567", "1-800"]),
      "   Fax ", g.fax(), "\n\n")
    d(g.date(fmts=["Month d, yyyy", "m/d/yyyy", "mm/dd/yyyy"]), "\n\n", payer, " Utilization Management\nAttn: Pharmacy Prior Authorization\n",
      "Fax: ", g.fax(), "\n\n")
    d("RE: Letter of Medical Necessity\nPatient: ", g.name(pt, ["full+suffix", "First M. Last", "Last, First M."]),
      "   DOB: ", g.dob(), "\n", *g.healthplan(), "   ", *g.healthplan(), "\n", "Reference #: ",
      *g.account(), "\n\n")
    d("To Whom It May Concern:\n\nI am writing on behalf of my patient, ", g.name(pt, ["Title Last", "full"]), ", a ",
      g.age(0.3), " with ", g.keep("eponym"), " (ICD-10 E05.00) diagnosed ", g.date(fmts=["Month yyyy", "mm/yyyy", "yyyy", "m/d/yyyy"]),
      ", to request coverage of ", g.keep("drug"), ". ", g.pick(["She", "He"]), " failed ", g.keep("drug"), " ",
      g.keep("reltime"), " and ", g.keep("drug"), " (", g.keep("abbrev"), "). Most recent ", g.keep("lab"), " and ",
      g.keep("lab"), " on ", g.date(fmts=["m/d/yyyy", "mm-dd-yy", "iso", "Mon d, yyyy"]), ". ", g.keep("score"), ".\n")
    d("Please contact my office at ", g.phone(fmts=["(555) 123-4567", "555-123-4567", "ext"]), " with questions.\n\nSincerely,\n",
      g.doctor(doc, ["First M. Last, CRED", "full, CRED"]), "\n", *g.license(), "   ", *g.license(), "\n")
    return {}


STYLES = {
    "hp": admission_hp, "soap": soap_progress, "radiology": radiology, "pathology": pathology, "opnote": operative,
    "discharge": discharge, "ed": ed_note, "nursing": nursing, "medrec": med_rec, "letter": clinic_letter,
    "portal": portal_message, "phone": telephone, "priorauth": prior_auth,
}


def generate(n: int, seed: int = 20240611) -> list[Note]:
    return build_notes(n, STYLES, Gen(seed), Doc, lambda d, o: d.render(case=o.get("case", "")))


if __name__ == "__main__":  # pragma: no cover - eyeballing aid
    import sys

    for note in generate(int(sys.argv[1]) if len(sys.argv) > 1 else 13, int(sys.argv[2]) if len(sys.argv) > 2 else 1):
        print(f"----- {note.style}  ({len(note.text.split())} words)")
        print(note.text)
        for s in note.phi:
            print("   ", s.kind, s.tag, repr(note.text[s.start:s.end]))
