"""Value representations (PS3.5 6.2), defined once for the reader, writer and profile."""

from __future__ import annotations

# VRs with a 2-byte reserved field and a 4-byte length in explicit VR (PS3.5 7.1.2).
LONG_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"})
LONG_VRS_BYTES = frozenset(vr.encode("ascii") for vr in LONG_VRS)

# Binary numbers (and pydicom's ambiguous forms of them): they cannot hold free text.
NUMERIC_VRS = frozenset(
    {
        "US",
        "SS",
        "UL",
        "SL",
        "FL",
        "FD",
        "AT",
        "SV",
        "UV",
        "OF",
        "OD",
        "OL",
        "US or SS",
        "US or OW",
        "US or SS or OW",
    }
)
# Numbers written as text.
NUMERIC_TEXT_VRS = frozenset({"DS", "IS"})
# Free text (a person name, PN, is handled on its own).
TEXT_VRS = frozenset({"LO", "SH", "ST", "LT", "UT", "UC"})
# Maximum length in characters of a text value (None: unlimited).
TEXT_MAX = {"SH": 16, "LO": 64, "ST": 1024, "LT": 10240, "UC": None, "UT": None}
# Bytes per value of fixed-size binary VRs.
BINARY_SIZE = {"US": 2, "SS": 2, "UL": 4, "SL": 4, "FL": 4, "FD": 8, "AT": 4, "SV": 8, "UV": 8}
# Dates and times.
TEMPORAL_VRS = frozenset({"DA", "DT", "TM"})
