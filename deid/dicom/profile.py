"""PS3.15 Annex E Table E.1-1 as data, and the option logic that turns it into actions.

The table lives in ``data/annex_e_table.tsv`` (edition named in its first line, built by
``scripts/build_annex_e_table.py``). This module loads it once and, for a given
:class:`~deid.core.policy.DicomPolicy`, compiles a ``{tag: action}`` dict so that the
per-element work is one dict lookup.

Resolved actions (one letter each):

* ``X`` remove, ``Z`` empty value, ``D`` dummy value, ``K`` keep, ``U`` remap UIDs,
  ``C`` clean (meaning depends on the column that asked for it, see :class:`Rule`),
  ``*`` keep a sequence and remap the instance UIDs inside it (the ``U*`` of ``X/Z/U*``).

Compound basic actions are resolved towards keeping the object valid without keeping
any identifying content, since we do not carry IOD Type tables:
``X/Z`` -> ``Z`` (an empty Type 2 value carries nothing), ``X/D``, ``Z/D`` and ``X/Z/D``
-> ``D`` (a dummy value is valid even where the attribute is Type 1), ``X/Z/U*`` -> ``*``
(references between files must survive, PS3.15 E.1.1 note on referential integrity).

When several selected options name the same attribute, the most retaining one wins
(``K`` over ``C``): e.g. Device UID under Retain UIDs and Retain Device Identity is kept.
If both Retain Longitudinal Full Dates and Modified Dates are selected, full dates win.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

from deid.core.policy import DicomPolicy

# Option column -> DicomPolicy field that selects it.
OPTION_FIELDS: dict[str, str] = {
    "rtnSafePrivOpt": "retain_safe_private",
    "rtnUIDsOpt": "retain_uids",
    "rtnDevIdOpt": "retain_device_identity",
    "rtnInstIdOpt": "retain_institution_identity",
    "rtnPatCharsOpt": "retain_patient_characteristics",
    "rtnLongFullDatesOpt": "retain_longitudinal_full_dates",
    "rtnLongModifDatesOpt": "retain_longitudinal_modified_dates",
    "cleanDescOpt": "clean_descriptors",
    "cleanStructContOpt": "clean_structured_content",
    "cleanGraphOpt": "clean_graphics",
}

_COMPOUND = {"X/Z": "Z", "X/D": "D", "Z/D": "D", "X/Z/D": "D", "X/Z/U*": "*"}
_RETAIN_RANK = {"K": 0, "C": 1}

PRIVATE_ROW = "gggg,eeee"


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of Table E.1-1."""

    tag: str  # "gggg,eeee", "60xx,3000", or PRIVATE_ROW
    name: str
    basic: str
    options: tuple[tuple[str, str], ...]  # (column, action) for non-empty option cells


@dataclass(frozen=True, slots=True)
class Action:
    """The resolved action for one attribute: ``code`` plus the option that chose it."""

    code: str
    option: str = ""  # option column that produced it ("" = basic profile)
    name: str = ""


@dataclass(frozen=True)
class CompiledProfile:
    """Actions for one policy: exact tags, repeating groups, and the private row."""

    exact: dict[int, Action]
    masked: tuple[tuple[int, int, Action], ...]  # (mask, value, action) on the 32-bit tag
    private: Action
    edition: str

    def lookup(self, tag: int) -> Action | None:
        action = self.exact.get(tag)
        if action is not None:
            return action
        for mask, value, masked_action in self.masked:
            if tag & mask == value:
                return masked_action
        return None


def _data_text(name: str) -> str:
    return resources.files("deid.dicom").joinpath("data").joinpath(name).read_text(encoding="utf-8")


@functools.cache
def load_table() -> tuple[str, tuple[Rule, ...]]:
    """(edition line, rows) of Table E.1-1, loaded once per process."""
    edition = ""
    columns: list[str] = []
    rows: list[Rule] = []
    for line in _data_text("annex_e_table.tsv").splitlines():
        if line.startswith("#"):
            if not edition:
                edition = line.lstrip("# ").strip()
            continue
        cells = line.split("\t")
        if not columns:
            columns = cells
            continue
        record = dict(zip(columns, cells, strict=True))
        options = tuple((col, record[col]) for col in OPTION_FIELDS if record.get(col))
        rows.append(Rule(record["tag"], record["name"], record["basic"], options))
    return edition, tuple(rows)


def resolve(rule: Rule, policy: DicomPolicy) -> Action:
    """The action for one row under the options ``policy`` selects."""
    chosen: tuple[str, str] | None = None
    for column, action in rule.options:
        if not getattr(policy, OPTION_FIELDS[column]):
            continue
        if column == "rtnLongModifDatesOpt" and policy.retain_longitudinal_full_dates:
            continue  # full dates win over modified dates
        rank = _RETAIN_RANK.get(action, 2)
        if chosen is None or rank < _RETAIN_RANK.get(chosen[1], 2):
            chosen = (column, action)
    if chosen is not None and chosen[1] in ("K", "C"):
        return Action(chosen[1], chosen[0], rule.name)
    basic = _COMPOUND.get(rule.basic, rule.basic)
    return Action(basic, "", rule.name)


def _mask_of(pattern: str) -> tuple[int, int]:
    digits = pattern.replace(",", "")
    mask = int("".join("0" if c == "x" else "f" for c in digits), 16)
    value = int("".join("0" if c == "x" else c for c in digits), 16)
    return mask, value


@functools.cache
def _compile(key: tuple[bool, ...]) -> CompiledProfile:
    policy = DicomPolicy(**dict(zip(OPTION_FIELDS.values(), key, strict=True)))  # type: ignore[arg-type]
    edition, rows = load_table()
    exact: dict[int, Action] = {}
    masked: list[tuple[int, int, Action]] = []
    private = Action("X")
    for rule in rows:
        action = resolve(rule, policy)
        if rule.tag == PRIVATE_ROW:
            private = action
        elif "x" in rule.tag:
            mask, value = _mask_of(rule.tag)
            masked.append((mask, value, action))
        else:
            exact[int(rule.tag.replace(",", ""), 16)] = action
    return CompiledProfile(exact, tuple(masked), private, edition)


def compile_profile(policy: DicomPolicy) -> CompiledProfile:
    """Compiled actions for ``policy`` (cached per combination of options)."""
    return _compile(tuple(bool(getattr(policy, f)) for f in OPTION_FIELDS.values()))


@dataclass(frozen=True, slots=True)
class KeepRule:
    action: str  # "K" or "C"
    option: str  # DicomPolicy field enabling "C"; "" for K


@functools.cache
def keep_public() -> dict[int, KeepRule]:
    """Public attributes outside Table E.1-1 kept despite a text/bulk VR (data file)."""
    from pydicom.datadict import tag_for_keyword

    out: dict[int, KeepRule] = {}
    for line in _data_text("keep_public.tsv").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        keyword, action, option, *_ = line.split("\t") + ["", "", ""]
        tag = tag_for_keyword(keyword)
        if tag is None:
            raise ValueError(f"keep_public.tsv: unknown keyword {keyword}")
        out[tag] = KeepRule(action, option)
    return out


@functools.cache
def safe_private() -> frozenset[tuple[str, int, int]]:
    """(private creator, group, element low byte) of the Retain Safe Private list."""
    out: set[tuple[str, int, int]] = set()
    for line in _data_text("safe_private.tsv").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        creator, group, low, *_ = line.split("\t")
        out.add((creator.strip(), int(group, 16), int(low, 16)))
    return frozenset(out)


@functools.cache
def identifier_tags() -> dict[int, str]:
    """tag -> identifier kind, for values learned into the case deny-list."""
    from pydicom.datadict import tag_for_keyword

    out: dict[int, str] = {}
    for line in _data_text("identifier_tags.tsv").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        keyword, kind = line.split("\t")[:2]
        tag = tag_for_keyword(keyword)
        if tag is None:
            raise ValueError(f"identifier_tags.tsv: unknown keyword {keyword}")
        out[tag] = kind.strip()
    return out


@functools.cache
def walked_dummy_sequences() -> frozenset[int]:
    """Sequences whose D action keeps and walks their items (``dummy_sequences.tsv``)."""
    from pydicom.datadict import tag_for_keyword

    out: set[int] = set()
    for line in _data_text("dummy_sequences.tsv").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        keyword = line.split("\t")[0].strip()
        tag = tag_for_keyword(keyword)
        if tag is None:
            raise ValueError(f"dummy_sequences.tsv: unknown keyword {keyword}")
        out.add(tag)
    return frozenset(out)


@functools.cache
def coding_schemes() -> frozenset[str]:
    """Published coding scheme designators (``coding_schemes.tsv``): their meanings are kept."""
    return frozenset(
        line.strip()
        for line in _data_text("coding_schemes.tsv").splitlines()
        if line.strip() and not line.startswith("#")
    )
