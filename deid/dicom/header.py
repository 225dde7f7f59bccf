"""The Annex E interpreter: applies the compiled table to a pydicom Dataset, in place.

One walk over the dataset, recursing into every sequence item at every depth. For each
element the action comes from, in order: the patient identity rule (PatientName and
PatientID become keyed pseudonyms), private-tag rules, the compiled Table E.1-1
(``profile.py``), the keep list for public attributes outside the table
(``data/keep_public.tsv``), and finally VR rules for anything else: numbers and code
strings are kept (they cannot hold free text; their characters are checked), text,
names and bulk bytes are removed, dates follow the date options, unknown UIDs are
remapped. Free-text attributes to be cleaned are collected during the walk and scrubbed
in one batched call to the text scrubber at the end, when every identifier of the
header has been learned into the case deny-list.

Findings record the attribute path and the action, never a value.
"""

from __future__ import annotations

import datetime as _dt
import logging
import re
import unicodedata
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from pydicom import config
from pydicom.datadict import dictionary_has_tag, dictionary_VM, dictionary_VR
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence
from pydicom.uid import UID_dictionary

from deid.core.context import CaseContext
from deid.core.policy import Policy
from deid.core.report import Finding, Report
from deid.dicom.profile import (
    Action,
    coding_schemes,
    compile_profile,
    identifier_tags,
    keep_public,
    safe_private,
    walked_dummy_sequences,
)
from deid.dicom.pseudonyms import (
    PATIENT_ID_PREFIX,
    PATIENT_NAME_PREFIX,
    PERSON_PREFIX,
    PLACEHOLDER_CODE,
    PLACEHOLDER_TEXT,
)
from deid.dicom.rawvalues import element, read_values, set_value
from deid.dicom.vr import BINARY_SIZE, NUMERIC_TEXT_VRS, NUMERIC_VRS, TEXT_MAX, TEXT_VRS

log = logging.getLogger(__name__)

PATIENT_NAME = 0x00100010
PATIENT_ID = 0x00100020
PATIENT_BIRTH_DATE = 0x00100030
CODING_SCHEME_DESIGNATOR = 0x00080102

_NUMERIC_VRS = NUMERIC_VRS
_NUMERIC_TEXT_VRS = NUMERIC_TEXT_VRS
_TEXT_VRS = TEXT_VRS
_TEXT_MAX = TEXT_MAX
# Bytes allowed in numeric-string and code-string values kept by the VR rules.
_DS_IS_CHARS = b"0123456789+-.eE \\"
_CS_CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 _\\.-+"


_BINARY_SIZE = BINARY_SIZE


def _length_fits_vm(tag: int, vr: str, raw: object) -> bool:
    """False if a binary value is longer than its fixed multiplicity allows."""
    size = _BINARY_SIZE.get(vr)
    if size is None or not isinstance(raw, bytes):
        return True
    try:
        vm = dictionary_VM(tag)
    except KeyError:
        return True
    return not vm.isdigit() or len(raw) <= int(vm) * size


def _charset_ok(raw: bytes, allowed: bytes) -> bool:
    return not raw.rstrip(b"\x00").translate(None, allowed)


@dataclass
class _Pending:
    """A free-text value waiting for the batched text scrubber."""

    dataset: Dataset
    tag: int
    vr: str
    values: list[str]
    path: str


@dataclass
class HeaderOutcome:
    dates: str = "REMOVED"  # LongitudinalTemporalInformationModified
    cleaned_text: bool = False
    notes: list[str] = field(default_factory=list)


# Scrubbed descriptor texts, per case: a series repeats the same descriptions in every
# file, and the text scrubber (NER) costs milliseconds per call. Keyed by the number of
# identifiers known, so a text is re-scrubbed once the deny-list grows.
_TEXT_CACHE: weakref.WeakKeyDictionary[CaseContext, dict[tuple[str, int], str]] = (
    weakref.WeakKeyDictionary()
)


# (tag, raw value) pairs already learned into a context's deny-list.
_LEARNED: weakref.WeakKeyDictionary[CaseContext, set[tuple[int, bytes]]] = (
    weakref.WeakKeyDictionary()
)


def _time_partners() -> dict[int, int]:
    """DA tag -> TM tag of the same instant (StudyDate -> StudyTime), from the dictionary."""
    from pydicom.datadict import DicomDictionary, keyword_dict

    out: dict[int, int] = {}
    for tag, entry in DicomDictionary.items():
        vr, keyword = entry[0], entry[4]
        if vr == "DA" and keyword.endswith("Date"):
            partner = keyword_dict.get(keyword[:-4] + "Time")
            if partner is not None and DicomDictionary[partner][0] == "TM":
                out[tag] = partner
    return out


_TIME_OF_DATE = _time_partners()


def tag_str(tag: int) -> str:
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


class HeaderScrubber:
    """Applies Table E.1-1 and the options of ``policy`` to one dataset, in place."""

    def __init__(self, policy: Policy, context: CaseContext, report: Report) -> None:
        self.policy = policy
        self.dpol = policy.dicom
        self.context = context
        self.report = report
        self.profile = compile_profile(policy.dicom)
        self.keep = keep_public()
        self.walked_dummies = walked_dummy_sequences()
        self.ident_tags = identifier_tags()
        self.safe_private = safe_private() if policy.dicom.retain_safe_private else frozenset()
        self.pending: list[_Pending] = []
        self._learned = _LEARNED.setdefault(context, set())
        self.outcome = HeaderOutcome()
        self._shift = 0
        self._shift_seconds = 0
        # Original TM values by (dataset, tag): a date shifted after its time was
        # already moved still needs the time of day it came with.
        self._time_originals: dict[tuple[int, int], list[str]] = {}
        if policy.dicom.retain_longitudinal_full_dates:
            self.outcome.dates = "UNMODIFIED"
        elif policy.dicom.retain_longitudinal_modified_dates:
            self.outcome.dates = "MODIFIED"

    # ---- entry -----------------------------------------------------------------------
    def run(self, ds: Dataset) -> HeaderOutcome:
        anchor = self._patient_anchor(ds)
        if (
            self.dpol.retain_longitudinal_modified_dates
            and not self.dpol.retain_longitudinal_full_dates
        ):
            self._shift = self.context.date_shift_days
            self._shift_seconds = self.context.time_shift_seconds
        self._walk(ds, "", 0)
        self._set_patient_identity(ds, anchor)
        self._flush_text()
        return self.outcome

    def _patient_anchor(self, ds: Dataset) -> str:
        """Learn the patient identity first: the date shift is anchored to PatientID."""
        pid = _as_text(ds, PATIENT_ID)
        name = _as_text(ds, PATIENT_NAME)
        if pid:
            self.context.set_patient(pid)
        return pid or name or f"case:{self.context.case_id}"

    def _set_patient_identity(self, ds: Dataset, anchor: str) -> None:
        ctx = self.context
        set_value(
            ds, PATIENT_NAME, "PN", ctx.pseudonym("patient", anchor, prefix=PATIENT_NAME_PREFIX)
        )
        set_value(
            ds, PATIENT_ID, "LO", ctx.pseudonym("patient-id", anchor, prefix=PATIENT_ID_PREFIX)
        )
        self.report.add(Finding("PERSON", "replaced", tag=tag_str(PATIENT_NAME), source="dicom"))
        self.report.add(Finding("MRN", "replaced", tag=tag_str(PATIENT_ID), source="dicom"))

    # ---- walk --------------------------------------------------------------------------
    def _walk(self, ds: Dataset, prefix: str, depth: int) -> None:
        private_groups_removed: dict[int, int] = {}
        creators_kept: set[int] = set()
        # pydicom's public accessors normalise the tag on every call; the walk reads the
        # element dict directly (measured: a large share of header time on CT series).
        elements = ds._dict
        for key in list(elements):
            tag = int(key)
            group = tag >> 16
            if depth == 0 and tag in (PATIENT_NAME, PATIENT_ID):
                self._learn_element(ds, tag, self._vr(ds, tag))
                continue  # replaced by pseudonyms after the walk
            if group & 1:
                if self._keep_private(ds, tag):
                    creators_kept.add((group << 16) | ((tag & 0xFF00) >> 8))
                else:
                    private_groups_removed[group] = private_groups_removed.get(group, 0) + 1
                    del ds[tag]
                continue
            path = f"{prefix}{tag_str(tag)}"
            if tag & 0xFFFF == 0 or group in (0x0002, 0x0000) and tag not in self.profile.exact:
                del ds[tag]  # group lengths (recomputed by nobody: drop), stray meta/command
                continue
            if 0x6000 <= group <= 0x60FF or 0x5000 <= group <= 0x50FF:
                # Overlay planes: bitmaps may hold burned-in text we do not OCR, and
                # OverlayDescription/OverlayLabel free text; curves (retired 50xx):
                # CurveLabel, CurveDescription and data (Table E.1-1 lists 50xx,xxxx,
                # 60xx,3000 and 60xx,4000). The whole group goes: nothing in it is needed.
                del ds[tag]
                self.report.add(Finding("DICOM_ATTRIBUTE", "removed", tag=path, source="dicom"))
                continue
            vr = self._vr(ds, tag)
            self._learn_element(ds, tag, vr)
            action = self.profile.lookup(tag)
            if action is None:
                action = self._default_action(ds, tag, vr)
            self._apply(ds, tag, vr, action, path, depth)
        # Private creators survive only if an element they reserve was kept.
        for key in list(ds.keys()):
            tag = int(key)
            if tag >> 16 & 1 and 0x0010 <= tag & 0xFFFF <= 0x00FF and tag not in creators_kept:
                del ds[tag]
        for group, count in private_groups_removed.items():
            self.report.add(
                Finding(
                    "DICOM_ATTRIBUTE",
                    "removed",
                    tag=f"{prefix}({group:04X},xxxx)",
                    source=f"dicom:private:{count}",
                )
            )

    def _vr(self, ds: Dataset, tag: int) -> str:
        elem = element(ds, tag)
        vr = elem.VR if elem is not None else None
        if vr is None or vr == "UN":
            try:
                return dictionary_VR(tag)
            except KeyError:
                return vr or "UN"
        return vr

    # ---- private -------------------------------------------------------------------------
    def _keep_private(self, ds: Dataset, tag: int) -> bool:
        if not self.safe_private:
            return False
        low = tag & 0xFFFF
        if low < 0x1000:
            return 0x0010 <= low <= 0x00FF  # creators: decided after the walk
        group = tag >> 16
        creator_elem = ds.get_item((group << 16) | (low >> 8))
        if creator_elem is None:
            return False
        creator = _decode(creator_elem.value).strip()
        if (creator, group, low & 0xFF) not in self.safe_private:
            return False
        elem = ds.get_item(tag)
        vr = elem.VR
        if vr in _NUMERIC_VRS:
            return True
        raw = (
            elem.value
            if isinstance(elem, RawDataElement)
            else str(elem.value).encode("ascii", "replace")
        )
        # Unknown VR (implicit) or DS/IS: keep only if the bytes are a decimal number list.
        return isinstance(raw, bytes) and bool(raw.strip()) and _charset_ok(raw, _DS_IS_CHARS)

    # ---- defaults outside the table ---------------------------------------------------
    def _default_action(self, ds: Dataset, tag: int, vr: str) -> Action:
        keep = self.keep.get(tag)
        if keep is not None:
            if keep.action in ("K", "L", "M") or getattr(self.dpol, keep.option, False):
                return Action(keep.action, "keep_public")
            return Action("X", "keep_public")
        if not dictionary_has_tag(tag):
            return Action("X", "unknown_tag")  # a public tag our dictionary does not know
        if vr == "SQ":
            return Action("K", "vr_rule")
        if vr in _NUMERIC_VRS:
            elem = element(ds, tag)
            if isinstance(elem, RawDataElement) and not _length_fits_vm(tag, vr, elem.value):
                return Action("X", "vr_rule")  # more bytes than its VM allows: a hiding place
            return Action("K", "vr_rule")
        if vr in _NUMERIC_TEXT_VRS or vr == "CS":
            elem = element(ds, tag)
            if isinstance(elem, RawDataElement) and elem.value is not None:
                allowed = _CS_CHARS if vr == "CS" else _DS_IS_CHARS
                if not _charset_ok(elem.value, allowed):
                    return Action("X", "vr_rule")
            return Action("K", "vr_rule")
        if vr == "UI":
            return Action("R", "vr_rule")  # keep registry UIDs, remap instance UIDs
        if vr in ("DA", "DT", "TM"):
            if self.dpol.retain_longitudinal_full_dates:
                return Action("K", "vr_rule")
            if self.dpol.retain_longitudinal_modified_dates:
                return Action("C", "rtnLongModifDatesOpt")
            return Action("X", "vr_rule")
        if vr == "AS":
            return Action(
                "K" if self.dpol.retain_patient_characteristics else "X", "rtnPatCharsOpt"
            )
        return Action("X", "vr_rule")  # PN, free text, bulk bytes, unknown

    # ---- actions -----------------------------------------------------------------------
    def _apply(self, ds: Dataset, tag: int, vr: str, action: Action, path: str, depth: int) -> None:
        code = action.code
        if vr == "SQ":
            self._apply_sequence(ds, tag, code, path, depth)
            return
        if code == "K":
            if vr == "AS":
                self._cap_age(ds, tag, path)
            return
        if code == "X":
            del ds[tag]
            self._finding(tag, vr, "removed", path)
        elif code == "Z":
            self._empty(ds, tag, vr)
            self._finding(tag, vr, "emptied", path)
        elif code == "D":
            self._replace(ds, tag, vr, self._dummy(ds, tag, vr))
            self._finding(tag, vr, "replaced", path)
        elif code in ("U", "*"):
            if vr == "UI":
                self._remap(ds, tag, path, registry_ok=False)
            else:
                self._empty(ds, tag, vr)
                self._finding(tag, vr, "emptied", path)
        elif code == "R":
            self._remap(ds, tag, path, registry_ok=True)
        elif code == "C":
            self._clean(ds, tag, vr, action, path)
        elif code == "L":
            self._label(ds, tag, vr, path)
        elif code == "M":
            scheme = "\\".join(read_values(ds, CODING_SCHEME_DESIGNATOR)).strip()
            if scheme not in coding_schemes():
                self._clean(ds, tag, vr, Action("C", "keep_public"), path)
        else:  # an action letter this interpreter does not know: fail safe
            del ds[tag]
            self._finding(tag, vr, "removed", path)

    def _apply_sequence(self, ds: Dataset, tag: int, code: str, path: str, depth: int) -> None:
        if code in ("K", "C", "*", "R", "U") or (code == "D" and tag in self.walked_dummies):
            seq = ds[tag].value
            for i, item in enumerate(seq):
                self._walk(item, f"{path}[{i}]/", depth + 1)
            return
        self._learn_sequence(ds[tag].value)
        if code == "X":
            del ds[tag]
            self._finding(tag, "SQ", "removed", path)
        else:  # Z, D: an empty sequence keeps the IOD valid and carries nothing
            ds[tag] = DataElement(tag, "SQ", Sequence([]))
            self._finding(tag, "SQ", "emptied", path)

    def _remap(self, ds: Dataset, tag: int, path: str, *, registry_ok: bool) -> None:
        values = read_values(ds, tag)
        if not values:
            return
        out = []
        changed = False
        for value in values:
            uid = str(value).strip().rstrip("\x00")
            if not uid or (registry_ok and uid in UID_dictionary):
                out.append(uid)
            else:
                out.append(self.context.new_uid(uid))
                changed = True
        if changed:
            set_value(ds, tag, "UI", out)
            self.report.add(Finding("DICOM_ATTRIBUTE", "remapped", tag=path, source="dicom"))

    def _clean(self, ds: Dataset, tag: int, vr: str, action: Action, path: str) -> None:
        option = action.option
        if vr in ("DA", "DT", "TM"):
            self._shift_dates(ds, tag, vr, path)
            return
        if option == "rtnLongModifDatesOpt":
            return  # a time-zone offset and the like: kept with the (shifted) dates
        if vr == "AS":
            self._cap_age(ds, tag, path)
            return
        if vr in _TEXT_VRS:
            values = read_values(ds, tag)
            if any(v.strip() for v in values):
                self.pending.append(_Pending(ds, tag, vr, values, path))
            return
        if vr == "PN":
            self._replace(ds, tag, vr, self._dummy(ds, tag, vr))
            self._finding(tag, vr, "replaced", path)
            return
        if vr == "UI":
            self._remap(ds, tag, path, registry_ok=False)
            return
        if vr in _NUMERIC_VRS or vr in _NUMERIC_TEXT_VRS or vr == "CS":
            return  # numbers and codes carry no free text
        # Bulk bytes (overlay/curve data under Clean Graphics) cannot be cleaned here.
        del ds[tag]
        self._finding(tag, vr, "removed", path)
        log.debug("clean option %s removed bulk element", option)

    def _label(self, ds: Dataset, tag: int, vr: str, path: str) -> None:
        """A user-typed code string: kept if known-safe, else a keyed code."""
        values = [v.strip() for v in read_values(ds, tag)]
        deny = _deny_terms(self.context)
        out = [v if _label_safe(v, deny) else self._label_code(v) for v in values]
        if out != values:
            set_value(ds, tag, vr, out)
            self.report.add(Finding("DICOM_ATTRIBUTE", "replaced", tag=path, source="dicom"))

    def _label_code(self, value: str) -> str:
        alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
        n = int.from_bytes(self.context.digest("dicom-label", value)[:5], "big")
        return "LABEL_" + "".join(alphabet[(n >> (5 * i)) & 31] for i in range(8))

    def _shift_dates(self, ds: Dataset, tag: int, vr: str, path: str) -> None:
        """Move DA, TM and DT values by the case offset (days + seconds), in place.

        One offset for the whole case keeps every interval. A date whose time of day
        sits in its partner TM attribute (StudyDate with StudyTime, ...) moves with that
        time, so a shift crossing midnight changes the date too; a time alone moves
        within the day; a DT moves as one value.
        """
        values = [v.strip() for v in read_values(ds, tag)]
        if vr == "TM":
            self._time_originals[(id(ds), tag)] = values
        if not any(values):
            return
        if vr == "DA":
            partner = _TIME_OF_DATE.get(tag)
            times: list[str] = []
            if partner is not None:
                times = self._time_originals.get((id(ds), partner)) or [
                    v.strip() for v in read_values(ds, partner)
                ]
            shifted = [
                _shift_date_with_time(
                    v, times[i] if i < len(times) else "", self._shift, self._shift_seconds
                )
                for i, v in enumerate(values)
            ]
        elif vr == "TM":
            shifted = [_shift_time(v, self._shift_seconds) for v in values]
        else:
            shifted = [_shift_datetime(v, self._shift, self._shift_seconds) for v in values]
        if any(s is None for s in shifted):
            set_value(ds, tag, vr, None)  # unparseable: cannot shift, so empty it
            self._finding(tag, vr, "emptied", path)
            return
        set_value(ds, tag, vr, [s for s in shifted if s is not None])
        self.report.add(Finding("DATE", "shifted", tag=path, source="dicom"))

    def _cap_age(self, ds: Dataset, tag: int, path: str) -> None:
        value = "\\".join(read_values(ds, tag)).strip()
        if not value:
            return
        years = _age_years(value)
        if years is None:
            set_value(ds, tag, "AS", None)
            self._finding(tag, "AS", "emptied", path)
        elif years > 89:
            # HIPAA Safe Harbor: ages over 89 are aggregated into one "90 or older".
            set_value(ds, tag, "AS", "090Y")
            self.report.add(Finding("AGE", "replaced", tag=path, source="dicom"))

    def _empty(self, ds: Dataset, tag: int, vr: str) -> None:
        if vr in _NUMERIC_VRS or vr in ("OB", "OW", "UN", "OV"):
            ds[tag] = DataElement(tag, vr, None, validation_mode=config.IGNORE)
        else:
            set_value(ds, tag, vr, None)

    def _replace(self, ds: Dataset, tag: int, vr: str, value: object) -> None:
        if isinstance(value, str):
            set_value(ds, tag, vr, value)
        else:
            ds[tag] = DataElement(tag, vr, value, validation_mode=config.IGNORE)

    def _dummy(self, ds: Dataset, tag: int, vr: str) -> object:
        if vr == "PN":
            value = _as_text(ds, tag)
            return self.context.pseudonym("person", value or "unknown", prefix=PERSON_PREFIX)
        if vr in ("LO", "SH", "ST", "LT", "UT", "UC", "AE", "CS", "UR"):
            return PLACEHOLDER_TEXT if vr not in ("AE", "CS") else PLACEHOLDER_CODE
        if vr == "DA":
            return "19000101"
        if vr == "TM":
            return "000000"
        if vr == "DT":
            return "19000101000000"
        if vr == "AS":
            return "000Y"
        if vr in ("DS", "IS"):
            return "0"
        if vr == "UI":
            return self.context.new_uid(_as_text(ds, tag) or "dummy")
        if vr in _NUMERIC_VRS:
            return 0 if vr not in ("OF", "OD", "OL") else b"\x00\x00\x00\x00"
        return b"\x00\x00"  # OB, OW, UN, OV: a two-byte zero dummy

    # ---- identifiers -----------------------------------------------------------------
    def _learn_element(self, ds: Dataset, tag: int, vr: str) -> None:
        kind = "PERSON" if vr == "PN" else self.ident_tags.get(tag)
        if kind is None:
            return
        elem = element(ds, tag)
        raw = elem.value if isinstance(elem, RawDataElement) else None
        if isinstance(raw, bytes):
            # A series repeats the same identifiers in every file: learn each once.
            key = (tag, raw)
            if key in self._learned:
                return
            self._learned.add(key)
        try:
            values = [v.strip() for v in read_values(ds, tag)]
        except Exception:  # an undecodable value: nothing to learn from it
            return
        source = f"dicom:{tag_str(tag)}"
        for value in values:
            if not value:
                continue
            if kind == "PERSON":
                # PN components: family^given^middle^prefix^suffix, groups split by "=".
                for group in value.split("="):
                    self.context.add_identifier(
                        "PERSON", " ".join(p for p in group.split("^") if p), source=source
                    )
            elif kind == "DATE":
                for form in _date_forms(value):
                    self.context.add_identifier("DATE", form, source=source)
            else:
                self.context.add_identifier(kind, value, source=source)

    def _learn_sequence(self, seq: Sequence) -> None:
        """Learn identifiers inside a sequence that is about to be removed."""
        for item in seq:
            for key in list(item.keys()):
                tag = int(key)
                if tag >> 16 & 1:
                    continue
                vr = self._vr(item, tag)
                if vr == "SQ":
                    self._learn_sequence(item[tag].value)
                else:
                    self._learn_element(item, tag, vr)

    def _finding(self, tag: int, vr: str, action: str, path: str) -> None:
        kind = "PERSON" if vr == "PN" else self.ident_tags.get(tag, "DICOM_ATTRIBUTE")
        self.report.add(Finding(kind, action, tag=path, source="dicom"))

    # ---- batched text cleaning ---------------------------------------------------------
    def _text_uid(self, match: re.Match[str]) -> str:
        uid = match.group(0)
        return uid if uid in UID_dictionary else self.context.new_uid(uid)

    def _flush_text(self) -> None:
        if not self.pending:
            return
        for p in self.pending:
            # A UID typed into free text ("see 1.2.840....") is remapped like any UID.
            p.values = [_UID_IN_TEXT.sub(self._text_uid, v) for v in p.values]
        cache = _TEXT_CACHE.setdefault(self.context, {})
        generation = len(self.context.identifiers)
        todo = sorted(
            {
                v
                for p in self.pending
                for v in p.values
                if v.strip() and (v, generation) not in cache
            }
        )
        if todo:
            # Descriptors made only of known-safe vocabulary ("CT CHEST W CONTRAST",
            # "AX T2 FLAIR") and holding no identifier of the case are kept as they are:
            # no model is loaded for them (deid.text.vocabulary is set lookups).
            deny = _deny_terms(self.context)
            for text in todo:
                if _known_safe(text, deny):
                    cache[(text, generation)] = text
            todo = [t for t in todo if (t, generation) not in cache]
        scrub: Callable[..., list] | None = None
        if todo:
            try:
                from deid.text import scrub_texts

                scrub = scrub_texts
                results = scrub(todo, self.policy, self.context)
                for text, result in zip(todo, results, strict=True):
                    cache[(text, generation)] = _drop_unknown_names(
                        result.text, self.policy, self.context
                    )
            except Exception as exc:  # text engine missing or failing: remove, never keep
                from deid.core.errors import reason_of

                self.outcome.notes.append(
                    f"free-text attributes removed instead of cleaned (text scrubber: {reason_of(exc)})"
                )
                for p in self.pending:
                    if p.tag in p.dataset:
                        del p.dataset[p.tag]
                    self._finding(p.tag, p.vr, "removed", p.path)
                self.pending.clear()
                return
        limit = _TEXT_MAX.get
        for p in self.pending:
            cleaned = [cache.get((v, generation), "") if v.strip() else v for v in p.values]
            max_len = limit(p.vr)
            if max_len:
                cleaned = [c[:max_len] for c in cleaned]
            set_value(p.dataset, p.tag, p.vr, cleaned)
            self.report.add(Finding("DICOM_ATTRIBUTE", "cleaned", tag=p.path, source="dicom"))
        self.outcome.cleaned_text = True
        self.pending.clear()


# ---- free text ---------------------------------------------------------------------------
# A word: letters (any script) with inner apostrophes or hyphens ("O'Brien",
# "Smith-Jones", "Müller"); _drop_unknown_names decides which ones are names.
_WORD = re.compile(r"(?<![\w\[])[^\W\d_]+(?:['\-][^\W\d_]+)*(?![\w\]])")


# A DICOM UID in free text: four or more dot-separated numbers (not a decimal "1.5").
_UID_IN_TEXT = re.compile(r"(?<![\d.])[0-2](?:\.(?:0|[1-9]\d*)){3,}(?![\d.])")


def _foreign_script(word: str) -> bool:
    """True when ``word`` has a letter outside the Latin script (CJK, kana, hangul,
    Cyrillic, Greek, Arabic...): no vocabulary of ours can say it is not a name."""
    return any(
        ch.isalpha() and not ch.isascii() and "LATIN" not in unicodedata.name(ch, "")
        for ch in word
    )


def _deny_terms(context: CaseContext) -> frozenset[str]:
    """The case's identifiers (and name parts), lower-cased, for the known-safe test."""
    return frozenset(term.lower() for _kind, term in context.deny_terms() if len(term) >= 3)


def _label_safe(value: str, deny: frozenset[str]) -> bool:
    """Every word of a code-string label known-safe, short, or holding a digit."""
    from deid.text.vocabulary import WordClass, classify

    if not value or value.lower() in deny:
        return not value
    for word in re.split(r"[ _]+", value):
        if word.lower() in deny:
            return False  # an identifier of the case, however short ("LEE")
        if not word or len(word) <= 3 or any(ch.isdigit() for ch in word):
            continue
        if classify(word.lower()) is not WordClass.SAFE:
            return False
    return True


def _known_safe(text: str, deny: frozenset[str]) -> bool:
    """Every word known-safe vocabulary and no identifier of the case in ``text``."""
    from deid.text.vocabulary import all_safe

    low = text.lower()
    if _foreign_script(text):
        return False  # the vocabulary is English: its word tokens skip other scripts
    return all_safe(text) and not any(term in low for term in deny)


def _drop_unknown_names(text: str, policy: Policy, context: CaseContext) -> str:
    """Replace capitalised words that no vocabulary knows: in a DICOM descriptor or
    comment such a word is a name until known otherwise (safe by construction). Words
    in a script other than Latin (a Japanese or Cyrillic name in an ISO 2022 or UTF-8
    header) are replaced whatever their case: no vocabulary here covers them.

    Words with digits (sequence and protocol names such as "T2W", "FL3D") are left to
    the text engine's patterns; the policy's allow-list is honoured.
    """
    from deid.text.operators import replacement
    from deid.text.vocabulary import WordClass, classify

    allowed = {w.lower() for w in policy.text.allow_list}

    def repl(match: re.Match[str]) -> str:
        word = match.group(0)
        if _foreign_script(word):
            return replacement("PERSON", word, policy, context)[0]
        if (
            len(word) < 2
            or not word[0].isupper()
            or word.lower() in allowed
            or classify(word) is not WordClass.UNKNOWN
        ):
            return word
        return replacement("PERSON", word, policy, context)[0]

    return _WORD.sub(repl, text)


# ---- value helpers ---------------------------------------------------------------------
def _values(value: object) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, MultiValue | list | tuple):
        return list(value)
    return [value]


def _decode(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1").rstrip("\x00 ")
    return str(value or "")


def _as_text(ds: Dataset, tag: int) -> str:
    try:
        values = read_values(ds, tag)
    except Exception:
        return ""
    return "\\".join(values).strip().rstrip("\x00").strip()


def _parse_da(value: str) -> _dt.date | None:
    digits = value.replace(".", "") if len(value) == 10 else value  # ACR-NEMA "YYYY.MM.DD"
    if len(digits) != 8 or not digits.isdigit():
        return None
    try:
        return _dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def _shift_date(value: str, days: int) -> str | None:
    date = _parse_da(value)
    if date is None:
        return None
    try:
        return (date + _dt.timedelta(days=days)).strftime("%Y%m%d")
    except OverflowError:
        return None


def _parse_tm(value: str) -> tuple[int, str] | None:
    """(seconds since midnight, fraction digits) of a TM value, or None.

    Accepts HH, HHMM, HHMMSS and HHMMSS.FFFFFF, and the ACR-NEMA form HH:MM:SS.
    """
    value = value.strip().replace(":", "")
    whole, _, fraction = value.partition(".")
    if (
        len(whole) not in (2, 4, 6)
        or not whole.isdigit()
        or (fraction and not fraction.isdigit())
        or len(fraction) > 6
    ):
        return None
    hh, mm, ss = int(whole[:2]), int(whole[2:4] or 0), int(whole[4:6] or 0)
    if hh > 23 or mm > 59 or ss > 60:
        return None
    return hh * 3600 + mm * 60 + min(ss, 59), fraction


def _format_tm(seconds: int, fraction: str) -> str:
    hh, rest = divmod(seconds % 86400, 3600)
    mm, ss = divmod(rest, 60)
    return f"{hh:02d}{mm:02d}{ss:02d}" + (f".{fraction}" if fraction else "")


def _shift_time(value: str, seconds: int) -> str | None:
    """A time of day moved by ``seconds`` (wrapping at midnight); None if unparseable."""
    parsed = _parse_tm(value)
    if parsed is None:
        return None
    return _format_tm(parsed[0] + seconds, parsed[1])


def _shift_date_with_time(value: str, time: str, days: int, seconds: int) -> str | None:
    """A date moved by ``days``, plus one when its time of day crosses midnight."""
    parsed = _parse_tm(time) if time else None
    carry = (parsed[0] + seconds) // 86400 if parsed is not None else 0
    return _shift_date(value, days + carry)


def _shift_datetime(value: str, days: int, seconds: int = 0) -> str | None:
    """A DT value moved by ``days`` and ``seconds`` as one instant; the UTC offset kept.

    Precision below the day is written in full (YYYYMMDDHHMMSS) once it is moved.
    """
    body, sign, offset = value, "", ""
    for mark in "+-":
        if mark in value[4:]:
            at = value.index(mark, 4)
            body, sign, offset = value[:at], mark, value[at + 1 :]
            break
    if offset and (len(offset) != 4 or not offset.isdigit()):
        return None
    date = _shift_date(body[:8], 0) if len(body) >= 8 else None
    if date is None:
        return None
    if len(body) == 8:
        shifted = _shift_date(body, days)
        return None if shifted is None else shifted + sign + offset
    time = _parse_tm(body[8:])
    if time is None:
        return None
    carry, rest = divmod(time[0] + seconds, 86400)
    day = _shift_date(body[:8], days + carry)
    if day is None:
        return None
    return day + _format_tm(rest, time[1]) + sign + offset


def _date_forms(value: str) -> list[str]:
    date = _parse_da(value.strip())
    if date is None:
        return [value]
    return [
        value.strip(),
        date.isoformat(),
        date.strftime("%m/%d/%Y"),
        date.strftime("%d/%m/%Y"),
        date.strftime("%d.%m.%Y"),
    ]


def _age_years(value: str) -> float | None:
    if len(value) != 4 or not value[:3].isdigit() or value[3] not in "DWMY":
        return None
    n = int(value[:3])
    return {"D": n / 365.25, "W": n / 52.18, "M": n / 12, "Y": float(n)}[value[3]]
