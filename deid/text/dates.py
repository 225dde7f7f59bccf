"""Shift a date string by a number of days, keeping its written format.

"3/14/2025" -> "1/28/2025", "March 14th" -> "January 28th", "14-MAR-2025" ->
"28-JAN-2025", "March 2025" -> "January 2025". Returns None when the string is not a
date we can parse: the caller then replaces it with a tag (never leaves it).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
_MONTHS["sept"] = 9
_ORD = re.compile(r"^(\d{1,2})(st|nd|rd|th)?$", re.IGNORECASE)
# Partial dates (no year) are shifted inside a leap reference year so Feb 29 exists.
_REF_YEAR = 2000


def _ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def _month_word(template: str, month: int) -> str:
    """Render month ``month`` like ``template`` (full/abbr, case, trailing dot)."""
    dot = template.endswith(".")
    core = template.rstrip(".")
    full = calendar.month_name[month]
    if len(core) <= 4 and core.lower() not in ("june", "july"):
        word = "Sept" if core.lower() == "sept" and month == 9 else calendar.month_abbr[month]
    else:
        word = full
    if core.isupper():
        word = word.upper()
    elif core.islower():
        word = word.lower()
    return word + ("." if dot else "")


def _year(text: str, base: int) -> str:
    if text.startswith("'"):
        return "'" + f"{base % 100:02d}"
    if len(text) == 2:
        return f"{base % 100:02d}"
    return str(base)


def _parse_year(text: str) -> int:
    t = text.lstrip("'")
    y = int(t)
    if len(t) == 2:
        y += 2000 if y <= (dt.date.today().year % 100) else 1900
    return y


def _pad(template: str, value: int) -> str:
    return f"{value:02d}" if len(template) == 2 and template.startswith("0") else str(value)


def _pad2(value: int, padded: bool) -> str:
    return f"{value:02d}" if padded else str(value)


def _safe_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


_NUM = re.compile(r"^(\d{1,4})([/\-.])(\d{1,2})\2(\d{2,4}|'\d{2})$")
_NUM_MD = re.compile(r"^(\d{1,2})/(\d{1,2})$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$|^(\d{2})(\d{2})(\d{4})$")
_WORDY = re.compile(r"[A-Za-z]+\.?|'\d{2}|\d+(?:st|nd|rd|th)?|[^A-Za-z\d]+", re.IGNORECASE)


def shift_date(text: str, days: int) -> str | None:
    s = text.strip()
    if not s:
        return None
    m = _NUM.match(s)
    if m:
        a, sep, b, c = m.group(1), m.group(2), m.group(3), m.group(4)
        if len(a) == 4:  # ISO y-m-d
            d0 = _safe_date(int(a), int(b), int(c))
            if d0 is None:
                return None
            d1 = d0 + dt.timedelta(days=days)
            return f"{d1.year}{sep}{_pad(b, d1.month)}{sep}{_pad(c, d1.day)}"
        y = _parse_year(c)
        first, second = int(a), int(b)
        day_first = first > 12  # 14/03/2025 is day-first; otherwise US month-first
        mo, da = (second, first) if day_first else (first, second)
        d0 = _safe_date(y, mo, da)
        if d0 is None:
            return None
        d1 = d0 + dt.timedelta(days=days)
        p1, p2 = (d1.day, d1.month) if day_first else (d1.month, d1.day)
        # a field is zero-padded when it shows a leading zero, or when both fields are two
        # digits ("03/10/2023" -> "03/01/2023", but "3/10/2023" -> "3/1/2023")
        padded = a.startswith("0") or b.startswith("0") or (len(a) == 2 and len(b) == 2)
        return f"{_pad2(p1, padded)}{sep}{_pad2(p2, padded)}{sep}{_year(c, d1.year)}"
    m = _NUM_MD.match(s)
    if m:
        d0 = _safe_date(_REF_YEAR, int(m.group(1)), int(m.group(2)))
        if d0 is None:
            return None
        d1 = d0 + dt.timedelta(days=days)
        return f"{_pad(m.group(1), d1.month)}/{_pad(m.group(2), d1.day)}"
    m = _COMPACT.match(s)
    if m:
        if m.group(1):
            d0 = _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            if d0 is None:
                return None
            d1 = d0 + dt.timedelta(days=days)
            return f"{d1.year:04d}{d1.month:02d}{d1.day:02d}"
        d0 = _safe_date(int(m.group(6)), int(m.group(4)), int(m.group(5)))
        if d0 is None:
            return None
        d1 = d0 + dt.timedelta(days=days)
        return f"{d1.month:02d}{d1.day:02d}{d1.year:04d}"
    return _shift_wordy(s, days)


def _shift_wordy(s: str, days: int) -> str | None:
    tokens = _WORDY.findall(s)
    if "".join(tokens) != s:
        return None
    month_i = day_i = year_i = None
    for i, tok in enumerate(tokens):
        low = tok.lower().rstrip(".")
        if low in _MONTHS and month_i is None:
            month_i = i
        elif tok.startswith("'") or (tok.isdigit() and len(tok) == 4):
            year_i = i
        elif _ORD.match(tok) and day_i is None:
            day_i = i
        elif tok.isdigit() and len(tok) == 2 and day_i is not None and year_i is None:
            year_i = i
        elif low == "of" or not tok.strip(" ,-") or tok.strip() == "":
            continue
        elif tok.isalpha():
            return None
    if month_i is None:
        return None
    month = _MONTHS[tokens[month_i].lower().rstrip(".")]
    year = _parse_year(tokens[year_i]) if year_i is not None else _REF_YEAR
    if day_i is None:  # "March 2025": shift the middle of the month
        d0 = _safe_date(year, month, 15)
    else:
        d0 = _safe_date(year, month, int(_ORD.match(tokens[day_i]).group(1)))  # type: ignore[union-attr]
    if d0 is None:
        return None
    d1 = d0 + dt.timedelta(days=days)
    out = list(tokens)
    out[month_i] = _month_word(tokens[month_i], d1.month)
    if day_i is not None:
        tok = tokens[day_i]
        suffix = _ORD.match(tok).group(2)  # type: ignore[union-attr]
        num = _pad(tok[:2] if tok[:2].isdigit() else tok[:1], d1.day)
        if suffix:
            suf = _ordinal(d1.day)
            out[day_i] = num + (suf.upper() if suffix.isupper() else suf)
        else:
            out[day_i] = num
    if year_i is not None:
        out[year_i] = _year(tokens[year_i], d1.year)
    return "".join(out)
