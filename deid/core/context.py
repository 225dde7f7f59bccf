"""CaseContext: the per-case secret state that keeps a case consistent.

One CaseContext covers every part of a case (text, photos, DICOM). It derives, from a
secret key only (never from Python's per-process ``hash()``):

* keyed pseudonyms: the same real value maps to the same surrogate within one
  patient (or, without a patient identity, one case) under one key; across cases of
  different patients the same value maps to different surrogates, so a published
  surrogate cannot be tested against candidate names without the case's secret;
* one date-shift offset per patient (else per case), in ``[-365, -1]`` days;
* DICOM UID remapping to ``2.25.<decimal of 128 bits>`` (PS3.5 B.2);
* a deny-list of identifiers learned from any part of the case (e.g. the patient name
  in a DICOM header), searched for in every other part.

The object holds PHI (the deny-list) in memory. Its ``repr`` shows counts only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
import secrets
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from deid.core.errors import InputError

log = logging.getLogger(__name__)

KEY_ENV_VAR = "DEID_KEY"
KEY_FILE_ENV_VAR = "DEID_KEY_FILE"
MIN_KEY_BYTES = 16

_WORD_SPLIT = re.compile(r"[\s^,;/]+")
# Derivations that are not scoped to the patient / case: output names (stable under
# the key for resume; they hash content, not identities). Everything else
# (surrogates, patient pseudonyms, the date shift) is scoped.
_GLOBAL_PURPOSES = frozenset({"case-dir", "part-name"})
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
        self._scope: str | None = None  # fixed at the first scoped derivation
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

    @property
    def key_id(self) -> str:
        """The public fingerprint of this context's key (see :func:`key_id`)."""
        return key_id(self._key)

    def _scope_anchor(self) -> str:
        """The patient (or case) anchor of scoped derivations; fixed once read."""
        with self._lock:
            if self._scope is None:
                self._scope = (f"patient:{self._patient_anchor}" if self._patient_anchor
                               else f"case:{self.case_id}")
            return self._scope

    def _scoped(self, purpose: str, value: str) -> bytes:
        if purpose.removeprefix("pseudonym:") in _GLOBAL_PURPOSES:
            return self.digest(purpose, value)
        anchor = self._scope_anchor()
        msg = b"scoped\x00" + purpose.encode() + b"\x00" + anchor.encode("utf-8") + b"\x00" \
            + _normalize(value).encode("utf-8")
        return hmac.new(self._key, msg, hashlib.sha256).digest()

    def seed(self, purpose: str, value: str) -> int:
        """A 64-bit integer seed, stable for (key, patient or case, purpose, value)."""
        return int.from_bytes(self._scoped(purpose, value)[:8], "big")

    def pseudonym(self, kind: str, value: str, *, prefix: str | None = None, length: int = 10) -> str:
        """A stable opaque pseudonym such as ``PAT-7K3M9QX2RB`` (Crockford base32).

        Scoped to the patient (or case) like :meth:`seed`, except output names
        (``case-dir``, ``part-name``), which are stable under the key alone.
        """
        alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
        n = int.from_bytes(self._scoped(f"pseudonym:{kind}", value), "big")
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
            if self._patient_anchor is None and self._scope is None and anchor.strip():
                self._patient_anchor = anchor

    @property
    def date_shift_days(self) -> int:
        """The one offset for this patient, in ``[-365, -1]`` days; fixed once read."""
        if self._shift_days is None:
            seed = int.from_bytes(self._scoped("date-shift", "")[:8], "big")
            with self._lock:
                if self._shift_days is None:
                    self._shift_days = -1 - (seed % 365)
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


# Key material a key file or $DEID_KEY must hold, after decoding: 256 bits.
MIN_KEY_MATERIAL = 32
_HEX = re.compile(r"[0-9a-fA-F]+")
_B64 = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")


def key_id(key: bytes) -> str:
    """A public fingerprint of ``key`` (not the key): names the key a release was made with.

    HMAC of a fixed label under the key, 64 bits in hex: it tells two keys apart and
    reveals nothing usable about the key itself.
    """
    return "k-" + hmac.new(bytes(key), b"deid key id v1", hashlib.sha256).hexdigest()[:16]


def parse_key_material(raw: bytes, where: str) -> bytes:
    """Decode key material: raw bytes, or text holding hex or base64. Never a passphrase.

    * Binary content is used byte for byte (nothing stripped: a key ending in 0x0A or
      0x20 keeps that byte).
    * Text content must be hex (``openssl rand -hex 32``) or base64
      (``openssl rand -base64 32``), optionally prefixed ``hex:`` / ``base64:``; one final
      newline is allowed, no other whitespace.
    * Anything else that is text is a passphrase and is refused: a memorable string has
      far less entropy than its length suggests, and stretching it with a KDF would not
      add any. At least 32 bytes of key material are required after decoding.
    """
    try:
        text: str | None = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        body = text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith("\n") else text
        if not body or not body.isprintable():
            text = None  # control bytes inside: binary material, used as is
    if text is None:
        key = bytes(raw)
    else:
        key = _decode_text_key(body, where)
    if len(key) < MIN_KEY_MATERIAL:
        raise InputError(
            f"{where} holds fewer than {MIN_KEY_MATERIAL} bytes of key material "
            f"(generate one with `head -c 32 /dev/urandom` or `openssl rand -hex 32`)",
            reason="weak_key",
        )
    return key


def _decode_text_key(body: str, where: str) -> bytes:
    if any(c.isspace() for c in body):
        raise InputError(f"{where}: key text must not contain whitespace", reason="weak_key")
    prefix, _, rest = body.partition(":")
    if prefix in ("hex", "base64") and rest:
        kind, body = prefix, rest
    elif _HEX.fullmatch(body) and len(body) % 2 == 0:
        kind = "hex"
    elif _B64.fullmatch(body) and len(body) % 4 == 0:
        kind = "base64"
    else:
        raise InputError(
            f"{where} looks like a passphrase: use random key material, hex or base64 "
            f"(e.g. `openssl rand -hex 32`)",
            reason="passphrase_key",
        )
    # Text that only happens to fit the alphabet (a lower-case phrase with dashes is
    # valid url-safe base64) is a passphrase: random key text uses most of its alphabet.
    # For 32 random bytes the chance of tripping these checks is below 1e-9.
    distinct = len(set(body))
    if kind == "hex" and distinct < 10:
        raise InputError(f"{where} looks like a passphrase, not random hex", reason="passphrase_key")
    if kind == "base64" and (distinct < 20 or body.lower() == body or body.upper() == body):
        raise InputError(f"{where} looks like a passphrase, not random base64", reason="passphrase_key")
    try:
        if kind == "hex":
            return bytes.fromhex(body)
        return base64.b64decode(body.replace("-", "+").replace("_", "/"), validate=True)
    except ValueError:
        raise InputError(f"{where}: the {kind} key text does not decode", reason="weak_key") from None


def load_key_file(path: str | os.PathLike[str]) -> bytes:
    """Read a key file: raw bytes, or hex / base64 text (see :func:`parse_key_material`).

    Warns when the file is readable by group or others.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
        mode = p.stat().st_mode
    except OSError as exc:
        raise InputError(
            f"cannot read the key file ({type(exc).__name__})", reason="missing_key"
        ) from None
    if mode & 0o077:
        log.warning("the key file is readable or writable by group or others (mode %o): chmod 600 it",
                    mode & 0o777)
    return parse_key_material(data, "the key file")


def load_key_from_env() -> bytes | None:
    """The key from ``$DEID_KEY`` (hex or base64 text) or the file ``$DEID_KEY_FILE``."""
    raw = os.environ.get(KEY_ENV_VAR)
    if raw:
        return parse_key_material(raw.encode("utf-8"), f"${KEY_ENV_VAR}")
    path = os.environ.get(KEY_FILE_ENV_VAR)
    if path:
        return load_key_file(path)
    return None
