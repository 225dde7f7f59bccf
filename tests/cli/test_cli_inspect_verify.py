"""`deid inspect` (nothing written) and `deid verify` (re-detection on outputs)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from cli_cases import PLANTED, make_text_cases

from deid.cli.main import EXIT_OK, EXIT_RESIDUAL, main

REPO = Path(__file__).resolve().parents[2]
PHOTO = REPO / "sample_cases" / "case_04_wound_photo" / "IMG_20240312_094100_martha.jpg"
CT = REPO / "sample_cases" / "case_03_ct_series" / "PARK_ELENA_CT_001.dcm"


def test_inspect_reports_kinds_and_writes_nothing(tmp_path: Path, no_key_env: None, capsys):
    src = make_text_cases(tmp_path / "src", 1)
    files = sorted((src / "QUARTERMAINE_ZEBULON_000").iterdir())
    before = sorted(p for p in tmp_path.rglob("*"))
    rc = main(["inspect", *map(str, files), "--json"])  # no key needed: nothing is kept
    assert rc == EXIT_OK
    out = capsys.readouterr().out
    report = json.loads(out)
    assert [p["kind"] for p in report["parts"]] == ["text", "text"]
    assert report["parts"][1]["findings"].get("PERSON", 0) >= 1
    assert sorted(p for p in tmp_path.rglob("*")) == before
    for value in [*PLANTED.values(), "quartermaine"]:
        assert value.lower() not in out.lower()


def test_verify_passes_on_scrubbed_outputs_and_fails_on_raw_inputs(tmp_path: Path, key_env: str, capsys):
    src = make_text_cases(tmp_path / "src", 2)
    shutil.copy(PHOTO, src / "QUARTERMAINE_ZEBULON_000" / "photo.jpg")
    shutil.copy(CT, src / "QUARTERMAINE_ZEBULON_001" / "slice")
    out = tmp_path / "out"
    assert main(["scrub", str(src), str(out), "--quiet", "--report", str(out / "review.html")]) == EXIT_OK
    capsys.readouterr()
    rc = main(["verify", str(out), "--json"])
    res = json.loads(capsys.readouterr().out)
    assert rc == EXIT_OK, res
    assert res["ok"] and len(res["outputs"]) == 6
    assert res["operator_records"] == 2  # manifest.jsonl and the review report: not outputs
    rc = main(["verify", str(src), "--json"])
    res = json.loads(capsys.readouterr().out)
    assert rc == EXIT_RESIDUAL and not res["ok"]
    by_kind = {r["kind"]: r for r in res["outputs"] if not r["ok"]}
    assert {"text", "image", "dicom"} <= set(by_kind)
    assert by_kind["image"]["found"].get("FACE", 0) >= 1
    assert by_kind["dicom"]["found"].get("HEADER_PERSON", 0) >= 1
