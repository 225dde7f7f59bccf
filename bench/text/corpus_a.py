"""Seeded generator of synthetic clinical notes and case posts with planted PHI.

Every planted identifier is recorded with its kind and exact span, and so is every
must-keep clinical term (eponyms, drugs, labs, anatomy), so a scorer can measure
recall per PHI kind and the fraction of clinical words kept.

Names come from Faker locales. Some locales are *held out*: they are not in the name
lists our recognizers ship (scripts/build_text_data.py), so recall on them measures
how the scrubber does on names it has never seen in a list.

No real patient data: everything here is made up by Faker and the templates below.
"""

from __future__ import annotations

import datetime as dt
import random
import string

from faker import Faker

from bench.text.lists import load_lists
from bench.text.types import Note, Span

_DATA = load_lists("corpus_a")
LIST_LOCALES = _DATA["LIST_LOCALES"]
HELD_OUT_LOCALES = _DATA["HELD_OUT_LOCALES"]

MUST_KEEP = _DATA["MUST_KEEP"]


class _Builder:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.phi: list[Span] = []
        self.keep: list[Span] = []

    def add(self, s: str) -> None:
        self.parts.append(s)
        self.pos += len(s)

    def phi_(self, kind: str, value: str, held_out: bool = False) -> None:
        self.phi.append(Span(kind, self.pos, self.pos + len(value), held_out=held_out))
        self.add(value)

    def keep_(self, value: str) -> None:
        self.keep.append(Span("KEEP", self.pos, self.pos + len(value)))
        self.add(value)


class Generator:
    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.fakers = {loc: Faker(loc) for loc in LIST_LOCALES + HELD_OUT_LOCALES}
        for i, f in enumerate(self.fakers.values()):
            f.seed_instance(seed * 1000 + i)
        self.us = self.fakers["en_US"]

    # ---- value factories (each returns (kind, value, held_out)) -------------------
    def _faker_for_name(self) -> tuple[Faker, bool]:
        held = self.rng.random() < 0.3
        loc = self.rng.choice(HELD_OUT_LOCALES if held else LIST_LOCALES)
        return self.fakers[loc], held

    @staticmethod
    def _ascii_name(s: str) -> str:
        return s.strip()

    def name(self, style: str | None = None) -> tuple[str, bool]:
        f, held = self._faker_for_name()
        first, last = self._ascii_name(f.first_name()), self._ascii_name(f.last_name())
        style = style or self.rng.choice(["full", "full", "full", "middle", "lastfirst", "hyphen", "lower", "apos"])
        if style == "middle":
            return f"{first} {self.rng.choice(string.ascii_uppercase)}. {last}", held
        if style == "lastfirst":
            return f"{last}, {first}", held
        if style == "hyphen":
            return f"{first} {last}-{self._ascii_name(self._faker_for_name()[0].last_name())}", held
        if style == "lower":
            return f"{first} {last}".lower(), held
        if style == "apos":
            return f"{first} O'{last}", held
        if style == "last":
            return last, held
        if style == "first":
            return first, held
        return f"{first} {last}", held

    def date(self) -> str:
        d = dt.date(2018, 1, 1) + dt.timedelta(days=self.rng.randrange(0, 365 * 8))
        fmt = self.rng.choice([
            "{m}/{d}/{Y}", "{mm}/{dd}/{Y}", "{m}/{d}/{y}", "{Y}-{mm}-{dd}", "{B} {d}, {Y}", "{b} {d} {Y}",
            "{d} {B} {Y}", "{B} {d}{o}", "{b}. {d}{o}, {Y}", "{dd}-{BU}-{Y}", "{mm}.{dd}.{Y}", "{B} {Y}",
            "the {d}{o} of {B}", "{dd}/{mm}/{Y}", "{m}-{d}-{Y}", "{B} {d}", "{A}, {B} {d}", "{b}-{dd}-{Y}",
        ])
        o = "th" if 10 <= d.day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(d.day % 10, "th")
        if fmt == "{dd}/{mm}/{Y}" and d.day <= 12:
            fmt = "{mm}/{dd}/{Y}"
        return fmt.format(
            m=d.month, d=d.day, mm=f"{d.month:02d}", dd=f"{d.day:02d}", Y=d.year, y=f"{d.year % 100:02d}",
            B=d.strftime("%B"), b=d.strftime("%b"), BU=d.strftime("%b").upper(), o=o, A=d.strftime("%A"),
        )

    def dob(self) -> str:
        d = dt.date(1925, 1, 1) + dt.timedelta(days=self.rng.randrange(0, 365 * 80))
        return self.rng.choice([f"{d.month}/{d.day}/{d.year}", f"{d.month:02d}/{d.day:02d}/{d.year}", d.isoformat(), d.strftime("%B %d, %Y"), d.strftime("%d-%b-%Y").upper()])

    def phone(self) -> str:
        a, b, c = self.rng.randint(201, 989), self.rng.randint(200, 999), self.rng.randint(0, 9999)
        return self.rng.choice([f"({a}) {b}-{c:04d}", f"{a}-{b}-{c:04d}", f"{a}.{b}.{c:04d}", f"+1 {a} {b} {c:04d}",
                                f"{a}-{b}-{c:04d} ext. {self.rng.randint(10, 9999)}", f"1-{a}-{b}-{c:04d}", f"+44 20 7{b} {c:04d}"])

    def mrn(self) -> str:
        n = self.rng.randint(1000000, 99999999)
        return self.rng.choice([str(n), f"{str(n)[:2]}-{str(n)[2:5]}-{str(n)[5:]}", f"A{n}", f"MRN{n}", f"{n:010d}", f"E{n}-{self.rng.randint(1, 9)}"])

    def idtok(self, prefix: str = "") -> str:
        letters = "".join(self.rng.choice(string.ascii_uppercase) for _ in range(self.rng.randint(0, 3)))
        return prefix + letters + str(self.rng.randint(100000, 999999999))

    def organization(self) -> str:
        f = self.us
        return self.rng.choice([
            f"St. {f.first_name()}'s Medical Center", f"{f.city()} General Hospital", f"{f.last_name()} Memorial Hospital",
            f"Mercy Clinic of {f.city()}", f"University of {f.state()} Medical Center", f"{f.last_name()} Family Practice",
            f"{f.city()} Regional Medical Center", f"{f.last_name()} Children's Hospital", "Sacred Heart Hospital",
            f"{f.last_name()} Cancer Center", f"{f.city()} Urgent Care", f"Mount {f.last_name()} Hospital",
        ])

    def plate(self) -> str:
        r = self.rng
        return r.choice([
            f"{r.randint(1, 9)}{''.join(r.choices(string.ascii_uppercase, k=3))}{r.randint(100, 999)}",
            f"{''.join(r.choices(string.ascii_uppercase, k=3))}-{r.randint(1000, 9999)}",
            f"{''.join(r.choices(string.ascii_uppercase, k=2))}{r.randint(10, 99)} {''.join(r.choices(string.ascii_uppercase, k=3))}",
        ])

    # ---- clauses -------------------------------------------------------------------
    def note(self) -> Note:
        b = _Builder()
        style = self.rng.choice(["post", "discharge", "radiology", "progress", "referral", "sms", "bullets"])
        clauses = self._clauses(b)
        self.rng.shuffle(clauses)
        opener = {
            "post": "Interesting case, looking for opinions. ",
            "discharge": "DISCHARGE SUMMARY\n",
            "radiology": "RADIOLOGY REPORT\n",
            "progress": "Progress note. ",
            "referral": "Dear colleague,\n",
            "sms": "quick q re my pt - ",
            "bullets": "Case summary:\n",
        }[style]
        b.add(opener)
        joiner = "\n- " if style == "bullets" else (" " if style != "sms" else " ")
        for i, clause in enumerate(clauses[: self.rng.randint(12, 16)]):
            if i:
                b.add(joiner)
            clause()
        b.add("\n")
        return Note(text="".join(b.parts), style=style, phi=b.phi, keep=b.keep)

    def _clauses(self, b: _Builder) -> list:
        r = self.rng
        us = self.us

        def keep(n: int = 1) -> None:
            for j, term in enumerate(r.sample(MUST_KEEP, n)):
                if j:
                    b.add(", ")
                b.keep_(term)

        def intro() -> None:
            age = r.randint(18, 88)
            sex = r.choice(["man", "woman", "male", "female", "M", "F"])
            nm, held = self.name()
            b.add(r.choice(["Patient ", "Pt ", "We saw ", "Mr./Ms. ", ""]) if True else "")
            b.phi_("PERSON", nm, held)
            b.add(f", a {age} y/o {sex} with a history of ")
            keep(2)
            b.add(r.choice([", presented to ", ", was admitted to ", " came to "]))
            b.phi_("ORGANIZATION", self.organization())
            b.add(" on ")
            b.phi_("DATE", self.date())
            b.add(".")

        def old_age() -> None:
            age = r.randint(90, 104)
            b.add(r.choice(["Her mother, ", "The patient is a ", "Father is ", "Grandmother, "]))
            fmt = r.choice(["{a} y/o", "{a}-year-old", "{a} yo", "aged {a}", "{a} years old"])
            pre, _, post = fmt.partition("{a}")
            b.add(pre)
            b.phi_("AGE", str(age))
            b.add(post + r.choice([", lives with family.", ", still independent.", " with dementia.", "."]))

        def doctor() -> None:
            nm, held = self.name(r.choice(["last", "full", "middle"]))
            b.add(r.choice(["Discussed with Dr. ", "Seen by Dr. ", "Consulted Dr. ", "Case reviewed with Dr. ", "Attending: Dr. "]))
            b.phi_("PERSON", nm, held)
            b.add(r.choice([" (cardiology).", ", who recommended ", " who agreed."]))
            if b.parts[-1].startswith(", who"):
                keep(1)
                b.add(".")

        def signature() -> None:
            nm, held = self.name("full")
            b.add(r.choice(["Electronically signed by ", "Dictated by ", "-- "]))
            b.phi_("PERSON", nm, held)
            b.add(r.choice([", MD", ", RN", " MD", ", DO", ", NP"]) + ".")

        def family() -> None:
            nm, held = self.name(r.choice(["first", "full", "first"]))
            rel = r.choice(["wife", "husband", "daughter", "son", "mother", "sister", "brother"])
            b.add(f"His {rel} " if r.random() < 0.5 else f"Her {rel} ")
            b.phi_("PERSON", nm, held)
            b.add(r.choice([" called from ", " can be reached at ", " (cell "]))
            b.phi_("PHONE", self.phone())
            b.add(")." if b.parts[-2].endswith("(cell ") else ".")

        def mrn() -> None:
            b.add(r.choice(["MRN: ", "MRN ", "MR# ", "med rec no. ", "Medical record number ", "Hospital #: "]))
            b.phi_("MRN", self.mrn())
            b.add(r.choice([".", ";", ","]))

        def dob() -> None:
            b.add(r.choice(["DOB ", "DOB: ", "Date of birth: ", "born "]))
            b.phi_("DATE", self.dob())
            b.add(".")

        def dates() -> None:
            b.add(r.choice(["Follow-up on ", "Surgery was performed ", "CT on ", "Labs drawn ", "Discharged "]))
            b.phi_("DATE", self.date())
            b.add(r.choice([", showing ", "; notable for ", " - "]))
            keep(2)
            b.add(".")

        def address() -> None:
            b.add(r.choice(["Lives at ", "Home address: ", "Resides at "]))
            b.phi_("ADDRESS", us.street_address())
            b.add(", ")
            b.phi_("LOCATION", us.city())
            b.add(f", {us.state_abbr()} ")
            b.phi_("ZIP", us.zipcode())
            b.add(".")

        def city() -> None:
            b.add(r.choice(["Recently travelled to ", "Originally from ", "Moved here from ", "Works in "]))
            b.phi_("LOCATION", r.choice([us.city(), r.choice(["Boise", "Tucson", "Fresno", "Omaha", "Tulsa", "Spokane", "Albuquerque", "Savannah", "Duluth", "Scranton"])]))
            b.add(r.choice([" last month.", " two years ago.", "."]))

        def contact() -> None:
            b.add(r.choice(["Email: ", "Contact ", "Patient emailed from "]))
            b.phi_("EMAIL", us.email())
            b.add(r.choice([". Fax results to ", "; fax "]))
            b.phi_("FAX", self.phone())
            b.add(".")

        def ssn() -> None:
            b.add(r.choice(["SSN ", "SSN: ", "Social security number "]))
            b.phi_("SSN", us.ssn())
            b.add(".")

        def ids() -> None:
            kind, label, val = r.choice([
                ("ACCOUNT", r.choice(["Acct #", "Account number ", "Billing acct: "]), self.idtok()),
                ("ID", r.choice(["Accession #", "Accession no. ", "Specimen ID: "]), self.idtok(r.choice(["", "CT", "US"]))),
                ("HEALTH_PLAN", r.choice(["Member ID: ", "Medicare # ", "Insurance policy number ", "Medicaid ID "]), self.idtok()),
                ("LICENSE", r.choice(["DEA # ", "NPI ", "License #: ", "Driver's license "]), r.choice([self.idtok(), f"{''.join(r.choices('ABFM', k=1))}{r.choice(string.ascii_uppercase)}{r.randint(1000000, 9999999)}"])),
                ("DEVICE_ID", r.choice(["Pacemaker serial no. ", "Device S/N ", "Serial number: ", "Pump SN "]), f"{''.join(r.choices(string.ascii_uppercase, k=2))}{r.randint(10000, 999999)}{r.choice(['', 'X', '-A'])}"),
                ("VEHICLE", r.choice(["License plate ", "Plate ", "Vehicle plate: "]), self.plate()),
                ("URL", r.choice(["See ", "Photos at ", "Portal: "]), r.choice([us.url(), f"https://{us.domain_name()}/case/{r.randint(100, 99999)}"])),
                ("IP", r.choice(["Uploaded from IP ", "Login from "]), r.choice([us.ipv4(), us.ipv4_private()])),
            ])
            b.add(label)
            b.phi_(kind, val)
            b.add(r.choice([".", " on file.", "."]))

        def clinical() -> None:
            b.add(r.choice(["Exam notable for ", "Labs: ", "Treated with ", "Imaging showed ", "Plan: continue "]))
            keep(r.randint(2, 3))
            b.add(r.choice([".", " and improving.", "; no acute distress."]))

        def clinical2() -> None:
            b.add(r.choice(["Differential includes ", "Also on ", "Prior workup: "]))
            keep(2)
            b.add(".")

        def lower_name() -> None:
            nm, held = self.name("lower")
            b.add(r.choice(["pt name ", "spoke with ", "pt "]))
            b.phi_("PERSON", nm, held)
            b.add(r.choice([" today.", " re results.", " this am."]))

        return [intro, old_age, doctor, signature, family, mrn, dob, dates, address, city, contact, ssn, ids, ids, clinical, clinical2, lower_name]


def generate(n: int, seed: int = 7) -> list[Note]:
    g = Generator(seed)
    return [g.note() for _ in range(n)]


if __name__ == "__main__":
    for note in generate(3):
        print(note.style, "|", note.text)
        for s in note.phi:
            print("   ", s.kind, repr(note.text[s.start:s.end]), "held-out" if s.held_out else "")
