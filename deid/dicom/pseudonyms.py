"""The values the DICOM scrubber writes in place of identifiers, and their check.

``header.py`` replaces PatientName, PatientID and every other person name by keyed
pseudonyms (``PAT-…``, ``ID-…``, ``PERSON-…``: a prefix and ten Crockford base32
characters of an HMAC, see :meth:`deid.core.context.CaseContext.pseudonym`) and text it
must keep non-empty by fixed placeholders. A verifier that re-detects names in an
output must not count these as leaks: :func:`is_scrubber_value` tells them apart.
"""

from __future__ import annotations

import re

PATIENT_NAME_PREFIX = "PAT"
PATIENT_ID_PREFIX = "ID"
PERSON_PREFIX = "PERSON"
# Dummy values of Table E.1-1 "D" actions for text and code strings.
PLACEHOLDER_TEXT = "ANONYMIZED"
PLACEHOLDER_CODE = "ANON"

_PSEUDONYM = re.compile(
    rf"^(?:{PATIENT_NAME_PREFIX}|{PATIENT_ID_PREFIX}|{PERSON_PREFIX})-[0-9A-HJKMNP-TV-Z]{{10}}$"
)
_PLACEHOLDERS = frozenset({PLACEHOLDER_TEXT, PLACEHOLDER_CODE})


def is_scrubber_value(text: str) -> bool:
    """True if ``text`` is a pseudonym or placeholder that the DICOM scrubber writes."""
    value = text.strip().strip("^").strip()
    return bool(_PSEUDONYM.match(value)) or value.upper() in _PLACEHOLDERS
