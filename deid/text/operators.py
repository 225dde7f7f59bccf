"""Operators: turn detections into replacements (tags, surrogates, shifted dates).

Kept apart from detection, as in Presidio: recognizers find, operators transform.
Surrogates are realistic and consistent: Faker is seeded from the keyed pseudonym of
the real value, so "John Smith" becomes the same fake name everywhere in a case (and in
every case under the same key), while another key gives another name.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

from faker import Faker

from deid.core.context import CaseContext
from deid.core.policy import Policy
from deid.core.report import Finding
from deid.text.dates import shift_date
from deid.text.normalize import strip_invisible
from deid.text.types import Detection

TAGS = {
    "PERSON": "[NAME]", "DATE": "[DATE]", "AGE": "90+", "PHONE": "[PHONE]", "FAX": "[FAX]",
    "EMAIL": "[EMAIL]", "SSN": "[SSN]", "MRN": "[MRN]", "ACCOUNT": "[ACCOUNT]", "ID": "[ID]",
    "HEALTH_PLAN": "[HEALTH_PLAN]", "LICENSE": "[LICENSE]", "DEVICE_ID": "[DEVICE_ID]",
    "VEHICLE": "[VEHICLE]", "URL": "[URL]", "IP": "[IP]", "ADDRESS": "[ADDRESS]",
    "LOCATION": "[LOCATION]", "ZIP": "[ZIP]", "ORGANIZATION": "[ORGANIZATION]",
}

_faker_local = threading.local()


def _faker(seed: int) -> Faker:
    fk = getattr(_faker_local, "faker", None)
    if fk is None:
        fk = Faker("en_US")
        _faker_local.faker = fk
    fk.seed_instance(seed)
    return fk


def _same_shape(value: str, seed: int) -> str:
    """Replace each digit with a digit and each letter with a letter, keeping separators."""
    import random

    rng = random.Random(seed)
    out = []
    for ch in value:
        if ch.isdigit():
            out.append(str(rng.randrange(10)))
        elif ch.isalpha():
            c = chr(ord("A") + rng.randrange(26))
            out.append(c if ch.isupper() else c.lower())
        else:
            out.append(ch)
    return "".join(out)


def _person(value: str, fk: Faker) -> str:
    parts = value.split()
    if "," in value:  # "Smith, John"
        return f"{fk.last_name()}, {fk.first_name()}"
    if len(parts) == 1:
        from deid.text.recognizers import gazetteer

        is_first = value.casefold() in gazetteer("first_names.tsv") and value.casefold() not in gazetteer("surnames.tsv")
        single = fk.first_name() if is_first else fk.last_name()
        return single if value[:1].isupper() else single.lower()
    name = f"{fk.first_name()} {fk.last_name()}"
    return name if value[:1].isupper() else name.lower()


_SURROGATES: dict[str, Callable[[str, Faker, int], str]] = {
    "PERSON": lambda v, fk, s: _person(v, fk),
    "PHONE": lambda v, fk, s: _same_shape(v, s),
    "FAX": lambda v, fk, s: _same_shape(v, s),
    "SSN": lambda v, fk, s: _same_shape(v, s),
    "MRN": lambda v, fk, s: _same_shape(v, s),
    "ACCOUNT": lambda v, fk, s: _same_shape(v, s),
    "ID": lambda v, fk, s: _same_shape(v, s),
    "HEALTH_PLAN": lambda v, fk, s: _same_shape(v, s),
    "LICENSE": lambda v, fk, s: _same_shape(v, s),
    "DEVICE_ID": lambda v, fk, s: _same_shape(v, s),
    "VEHICLE": lambda v, fk, s: _same_shape(v, s),
    "ZIP": lambda v, fk, s: _same_shape(v, s),
    "EMAIL": lambda v, fk, s: fk.free_email(),
    "URL": lambda v, fk, s: fk.url(),
    "IP": lambda v, fk, s: fk.ipv4_private() if "." in v else fk.ipv6(),
    "ADDRESS": lambda v, fk, s: fk.street_address(),
    "LOCATION": lambda v, fk, s: fk.city(),
    "ORGANIZATION": lambda v, fk, s: f"{fk.last_name()} {fk.random_element(['Medical Center', 'Hospital', 'Clinic'])}",
    "AGE": lambda v, fk, s: "90+",
}


def replacement(kind: str, value: str, policy: Policy, context: CaseContext) -> tuple[str, str]:
    """(new text, action) for one detected value."""
    if kind == "AGE":  # HIPAA: ages over 89 aggregate into one category
        return "90+", "aggregated"
    if kind == "DATE":
        if policy.text.dates == "shift":
            shifted = shift_date(value, context.date_shift_days)
            if shifted is not None:
                return shifted, "shifted"
        if policy.text.dates == "redact" or policy.text.operator == "redact":
            return "[REDACTED]", "redacted"
        return TAGS["DATE"], "tagged"
    op = policy.text.operator
    if op == "redact":
        return "[REDACTED]", "redacted"
    if op == "surrogate" and kind in _SURROGATES:
        seed = context.seed(f"surrogate:{kind}", value)
        return _SURROGATES[kind](value, _faker(seed), seed), "replaced"
    return TAGS.get(kind, f"[{kind}]"), "tagged"


def apply_operators(
    text: str, detections: list[Detection], policy: Policy, context: CaseContext
) -> tuple[str, list[Finding]]:
    """Replace every detected span; Findings hold the input spans, never the values."""
    pieces: list[str] = []
    findings: list[Finding] = []
    pos = 0
    for d in sorted(detections, key=lambda d: d.start):
        if d.start < pos:
            continue
        new, action = replacement(d.kind, text[d.start : d.end], policy, context)
        pieces.append(strip_invisible(text[pos : d.start]))
        pieces.append(new)
        findings.append(Finding(kind=d.kind, action=action, score=round(d.score, 3), source=d.source, span=(d.start, d.end)))
        pos = d.end
    # invisible characters never reach the output, next to a replacement or not
    pieces.append(strip_invisible(text[pos:]))
    return "".join(pieces), findings


_MASK_WS = re.compile(r"\s+")


def mask_residual(text: str, detections: list[Detection]) -> str:
    """Mask spans found by the verification pass with their kind's tag."""
    out = []
    pos = 0
    for d in sorted(detections, key=lambda d: d.start):
        if d.start < pos:
            continue
        out.append(text[pos : d.start])
        out.append(TAGS.get(d.kind, f"[{d.kind}]") if d.kind != "AGE" else "90+")
        pos = d.end
    out.append(text[pos:])
    return "".join(out)
