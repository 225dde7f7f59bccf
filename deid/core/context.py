"""CaseContext: the per-case secret state that keeps a case consistent.

One CaseContext covers every part of a case (text, photos, DICOM). It derives, from a
secret key only (never from Python's per-process ``hash()``):

* keyed pseudonyms: the same real value maps to the same surrogate under one key;
* one date-shift offset per patient, in ``[-365, -1]`` days;
* DICOM UID remapping to ``2.25.<decimal of 128 bits>`` (PS3.5 B.2);
* a deny-list of identifiers learned from any part of the case (e.g. the patient name
  in a DICOM header), searched for in every other part.

The object holds PHI (the deny-list) in memory. Its ``repr`` shows counts only.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from deid.core.errors import InputError

KEY_ENV_VAR = "DEID_KEY"
KEY_FILE_ENV_VAR = "DEID_KEY_FILE"
MIN_KEY_BYTES = 16

_WORD_SPLIT = re.compile(r"[\s^,;/]+")
# Short or generic parts of a name are not searched alone: they would redact "Al", "Dr".
_MIN_PART_LEN = 2


def _normalize(value: str) -> str:
    """Canonical form used for keying: NFKC, case-folded, inner whitespace collapsed."""
    value = unicodedata.normalize("NFKC", value)
    return " ".join(value.casefold().split())


@dataclass(frozen=True, slots=True)
class Identifier:
    """One identifier learned from a case. ``value`` is PHI: never log it."""

    kind: str  # PERSON, MRN, ID, DATE, ORGANIZATION, LOCATION, ...
    value: str
    source: str = ""  # where it was learned: "dicom:(0010,0010)", "text"

    def __repr__(self) -> str:  # never show the value
        return f"Identifier(kind={self.kind!r}, source={self.source!r})"


class CaseContext:
    """Secret, per-case state shared by all scrubbers of one case.

    Thread-safe for the deny-list; derivations are pure functions of the key.
    """

    def __init__(self, key: bytes | str, *, case_id: str = "") -> None:
        if isinstance(key, str):
            key = key.encode("utf-8")
        if len(key) < MIN_KEY_BYTES:
            raise InputError(
                f"the pseudonymisation key must be at least {MIN_KEY_BYTES} bytes",
                reason="weak_key",
            )
        self._key = bytes(key)
        self.case_id = case_id
        self._patient_anchor: str | None = None
        self._shift_days: int | None = None
        self._identifiers: dict[tuple[str, str], Identifier] = {}
        self._lock = threading.Lock()

    # ---- construction -------------------------------------------------------------
    @classmethod
    def ephemeral(cls, *, case_id: str = "") -> CaseContext:
        """A context with a random key: pseudonyms are not reproducible across runs."""
        return cls(secrets.token_bytes(32), case_id=case_id)

    @classmethod
    def from_key_file(cls, path: str | os.PathLike[str], *, case_id: str = "") -> CaseContext:
        return cls(load_key_file(path), case_id=case_id)

    @classmethod
    def from_env(cls, *, case_id: str = "") -> CaseContext:
        """Key from ``$DEID_KEY`` (the key itself) or ``$DEID_KEY_FILE`` (a path)."""
        key = load_key_from_env()
        if key is None:
            raise InputError(
                f"no pseudonymisation key: set {KEY_ENV_VAR} or {KEY_FILE_ENV_VAR}",
                reason="missing_key",
            )
        return cls(key, case_id=case_id)

    def for_case(self, case_id: str) -> CaseContext:
        """A fresh context for another case under the same key (empty deny-list)."""
        return CaseContext(self._key, case_id=case_id)

    def __repr__(self) -> str:
        return f"CaseContext(case_id={self.case_id!r}, identifiers={len(self._identifiers)})"

    # ---- keyed derivations --------------------------------------------------------
    def digest(self, purpose: str, value: str) -> bytes:
        """HMAC-SHA256 of ``value`` (normalized) under the key, separated by ``purpose``."""
        msg = purpose.encode() + b"\x00" + _normalize(value).encode("utf-8")
        return hmac.new(self._key, msg, hashlib.sha256).digest()

    def seed(self, purpose: str, value: str) -> int:
        """A 64-bit integer seed, stable for (key, purpose, value)."""
        return int.from_bytes(self.digest(purpose, value)[:8], "big")

    def pseudonym(self, kind: str, value: str, *, prefix: str | None = None, length: int = 10) -> str:
        """A stable opaque pseudonym such as ``PAT-7K3M9QX2RB`` (Crockford base32)."""
        alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
        n = int.from_bytes(self.digest(f"pseudonym:{kind}", value), "big")
        chars = []
        for _ in range(length):
            n, r = divmod(n, 32)
            chars.append(alphabet[r])
        head = prefix if prefix is not None else kind[:3].upper()
        return f"{head}-{''.join(chars)}" if head else "".join(chars)

    def new_uid(self, uid: str) -> str:
        """Remap a DICOM UID deterministically to ``2.25.<int>`` (at most 64 chars).

        128 bits of the keyed digest, as PS3.5 B.2 prescribes for UUID-derived UIDs:
        the same input UID maps to the same output under one key, so references
        between files of a study stay consistent.
        """
        n = int.from_bytes(self.digest("uid", uid.strip().rstrip("\x00"))[:16], "big")
        return f"2.25.{n}"

    # ---- date shift ---------------------------------------------------------------
    def set_patient(self, anchor: str) -> None:
        """Anchor the date shift to a patient identity (e.g. the DICOM PatientID).

        Only the first anchor counts, and only if no shift has been drawn yet: a case
        must never mix two offsets.
        """
        with self._lock:
            if self._patient_anchor is None and self._shift_days is None and anchor.strip():
                self._patient_anchor = anchor

    @property
    def date_shift_days(self) -> int:
        """The one offset for this patient, in ``[-365, -1]`` days; fixed once read."""
        with self._lock:
            if self._shift_days is None:
                anchor = self._patient_anchor or f"case:{self.case_id}"
                self._shift_days = -1 - (self.seed("date-shift", anchor) % 365)
            return self._shift_days

    @property
    def time_shift_seconds(self) -> int:
        """Seconds, in ``[0, 86399]``, added to times of day with the day shift.

        Keyed like :attr:`date_shift_days` and drawn for the same patient, so that
        ``date_shift_days`` days plus these seconds is one offset for every date and
        time of the case (intervals survive; a time may cross midnight).
        """
        _ = self.date_shift_days  # fixes the anchor, as the day shift does
        anchor = self._patient_anchor or f"case:{self.case_id}"
        return self.seed("time-shift", anchor) % 86400

    # ---- deny-list ----------------------------------------------------------------
    def add_identifier(self, kind: str, value: str, *, source: str = "") -> None:
        """Learn an identifier; it will be searched for in every other part of the case."""
        value = " ".join(str(value).replace("^", " ").split())
        if len(value) < _MIN_PART_LEN:
            return
        with self._lock:
            self._identifiers.setdefault((kind, _normalize(value)), Identifier(kind, value, source))

    def add_identifiers(self, kind: str, values: Iterable[str], *, source: str = "") -> None:
        for value in values:
            self.add_identifier(kind, value, source=source)

    @property
    def identifiers(self) -> list[Identifier]:
        with self._lock:
            return list(self._identifiers.values())

    def deny_terms(self) -> list[tuple[str, str]]:
        """(kind, term) pairs to search for: each identifier and, for names, each part.

        Name parts shorter than three letters are searched only as part of the full name.
        """
        terms: dict[tuple[str, str], None] = {}
        for ident in self.identifiers:
            terms[(ident.kind, ident.value)] = None
            if ident.kind == "PERSON":
                for part in _WORD_SPLIT.split(ident.value):
                    part = part.strip(".")
                    if len(part) >= 3:
                        terms[(ident.kind, part)] = None
        return list(terms)


def load_key_file(path: str | os.PathLike[str]) -> bytes:
    """Read a key file (raw bytes; surrounding whitespace stripped)."""
    p = Path(path)
    try:
        data = p.read_bytes().strip()
    except OSError as exc:
        raise InputError(
            f"cannot read the key file ({type(exc).__name__})", reason="missing_key"
        ) from None
    if len(data) < MIN_KEY_BYTES:
        raise InputError(
            f"the key file holds fewer than {MIN_KEY_BYTES} bytes", reason="weak_key"
        )
    return data


def load_key_from_env() -> bytes | None:
    """The key from ``$DEID_KEY`` or the file named by ``$DEID_KEY_FILE``, else None."""
    raw = os.environ.get(KEY_ENV_VAR)
    if raw:
        return raw.encode("utf-8")
    path = os.environ.get(KEY_FILE_ENV_VAR)
    if path:
        return load_key_file(path)
    return None
