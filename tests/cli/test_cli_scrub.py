"""`deid scrub` end to end on text cases with the real text engine (in-process)."""

from __future__ import annotations

import json
import logging
import zipfile
from pathlib import Path

import pytest
from cli_cases import PLANTED, make_text_cases, read_manifest

from deid.cli.main import EXIT_OK, EXIT_USAGE, EXIT_WITHHELD, main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    rc = main(["scrub", *argv, "--json"])
    out = capsys.readouterr().out.strip().splitlines()
    return rc, json.loads(out[-1]) if out else {}


def test_refuses_to_run_without_a_key(tmp_path: Path, no_key_env: None, capsys):
    src = make_text_cases(tmp_path / "src", 1)
    rc = main(["scrub", str(src), str(tmp_path / "out")])
    assert rc == EXIT_USAGE
    assert "key" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_key_cannot_be_given_on_the_command_line(tmp_path: Path, no_key_env: None):
    src = make_text_cases(tmp_path / "src", 1)
    with pytest.raises(SystemExit) as err:
        main(["scrub", str(src), str(tmp_path / "out"), "--key", "abcdefabcdefabcdef"])
    assert err.value.code == EXIT_USAGE


def test_key_file_and_ephemeral_key(tmp_path: Path, no_key_env: None, capsys):
    src = make_text_cases(tmp_path / "src", 1)
    keyf = tmp_path / "key"
    keyf.write_bytes(bytes.fromhex("6d1f" * 16))  # raw binary key material
    keyf.chmod(0o600)
    rc, s = _run(capsys, str(src), str(tmp_path / "o1"), "--key-file", str(keyf))
    assert rc == EXIT_OK and s["scrubbed"] == 2
    rc, s = _run(capsys, str(src), str(tmp_path / "o2"), "--ephemeral-key")
    assert rc == EXIT_OK and s["scrubbed"] == 2
    assert main(["scrub", str(src), str(tmp_path / "o3"), "--ephemeral-key", "--resume"]) == EXIT_USAGE


def test_manifest_accounts_for_every_input_and_outputs_carry_no_input_names(
    tmp_path: Path, key_env: str, capsys, caplog
):
    caplog.set_level(logging.DEBUG)
    src = make_text_cases(tmp_path / "src", 3)
    (src / "QUARTERMAINE_ZEBULON_000" / "scan_quartermaine.bin").write_bytes(b"\x00\x01\x02binary")
    (src / "QUARTERMAINE_ZEBULON_001" / ".DS_Store").write_bytes(b"\x00")
    (src / "loose_quartermaine.txt").write_text("Loose note about Zebulon Quartermaine.\n")
    out = tmp_path / "out"
    rc, summary = _run(capsys, str(src), str(out), "--report", str(tmp_path / "review.html"))
    assert rc == EXIT_WITHHELD  # the binary file is withheld: distinct exit code
    inputs = sorted(p.relative_to(src).as_posix() for p in src.rglob("*") if p.is_file())
    manifest = read_manifest(out / "manifest.jsonl")
    assert sorted(e["input"] for e in manifest) == inputs
    by_input = {e["input"]: e for e in manifest}
    assert by_input["QUARTERMAINE_ZEBULON_000/scan_quartermaine.bin"]["status"] == "withheld"
    assert by_input["QUARTERMAINE_ZEBULON_000/scan_quartermaine.bin"]["reason"] == "unsupported_type"
    assert by_input["QUARTERMAINE_ZEBULON_001/.DS_Store"]["status"] == "skipped"
    assert summary["scrubbed"] == 7 and summary["withheld"] == 1 and summary["skipped"] == 1
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    expected = sorted(e["output"] for e in manifest if e["output"]) + ["manifest.jsonl"]
    assert written == expected
    for name in written:
        assert "quartermaine" not in name.lower() and "zebulon" not in name.lower()
        assert "history" not in name and "loose" not in name
    # Scrubbed text: the planted values are gone.
    for e in manifest:
        if e["status"] == "scrubbed":
            text = (out / e["output"]).read_text()
            for value in PLANTED.values():
                assert value not in text
            assert e["findings"].get("PERSON", 0) >= 1
    # No planted value in logs, terminal output, manifest reasons or the review report.
    captured = capsys.readouterr()
    blob = caplog.text + captured.out + captured.err + json.dumps(summary)
    blob += json.dumps([e["reason"] for e in manifest])
    blob += (tmp_path / "review.html").read_text()
    for value in [*PLANTED.values(), "quartermaine", "Zebulon"]:
        assert value.lower() not in blob.lower()


def test_resume_does_no_work(tmp_path: Path, key_env: str, capsys):
    src = make_text_cases(tmp_path / "src", 3)
    out = tmp_path / "out"
    rc, first = _run(capsys, str(src), str(out))
    assert rc == EXIT_OK and first["cases_processed"] == 3
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p.name != "manifest.jsonl"}
    rc, again = _run(capsys, str(src), str(out), "--resume")
    assert rc == EXIT_OK
    assert again["cases_processed"] == 0 and again["cases_resumed"] == 3
    assert again["resumed"] == again["inputs"] == 6
    assert {p: p.stat().st_mtime_ns for p in mtimes} == mtimes
    assert len(read_manifest(out / "manifest.jsonl")) == 6
    # An output deleted since: only its case is redone, under the same name.
    victim = sorted(mtimes)[0]
    victim.unlink()
    rc, third = _run(capsys, str(src), str(out), "--resume")
    assert third["cases_processed"] == 1 and victim.exists()
    assert len(read_manifest(out / "manifest.jsonl")) == 6


def test_zip_in_and_zip_out(tmp_path: Path, key_env: str, capsys):
    src = make_text_cases(tmp_path / "cases", 2)
    zpath = tmp_path / "cases.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for p in sorted(src.rglob("*")):
            zf.write(p, p.relative_to(tmp_path).as_posix())  # zipped folder: "cases/..."
    rc, s = _run(capsys, str(zpath), str(tmp_path / "out"))
    assert rc == EXIT_OK and s["cases"] == 2 and s["scrubbed"] == 4
    manifest = read_manifest(tmp_path / "out" / "manifest.jsonl")
    assert {e["input"] for e in manifest} == {
        f"cases/QUARTERMAINE_ZEBULON_00{i}/{n}" for i in range(2) for n in ("followup.md", "history_quartermaine.txt")
    }
    rc, s = _run(capsys, str(zpath), str(tmp_path / "scrubbed.zip"))
    assert rc == EXIT_OK
    with zipfile.ZipFile(tmp_path / "scrubbed.zip") as zf:
        names = zf.namelist()
    assert len(names) == 4 and "manifest.jsonl" not in names
    assert all("quartermaine" not in n.lower() for n in names)
    assert (tmp_path / "scrubbed.zip.manifest.jsonl").exists()
    assert not (tmp_path / "scrubbed.zip.partial").exists()


def test_dry_run_writes_nothing(tmp_path: Path, key_env: str, capsys):
    src = make_text_cases(tmp_path / "src", 2)
    rc, s = _run(capsys, str(src), str(tmp_path / "out"), "--dry-run")
    assert rc == EXIT_OK and s["dry_run"] and s["kinds"] == {"text": 4}
    assert not (tmp_path / "out").exists()


def test_pool_of_two_workers_matches_inline(tmp_path: Path, key_env: str, capsys):
    src = make_text_cases(tmp_path / "src", 4)
    rc1, _ = _run(capsys, str(src), str(tmp_path / "a"))
    rc2, s = _run(capsys, str(src), str(tmp_path / "b"), "--workers", "2")
    assert rc1 == rc2 == EXIT_OK and s["scrubbed"] == 8
    a = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in (tmp_path / "a").rglob("*.txt")}
    b = {p.relative_to(tmp_path / "b"): p.read_bytes() for p in (tmp_path / "b").rglob("*.txt")}
    assert a == b  # same key -> same names and same content


def test_tar_gz_in_and_out_and_dst_inside_src_refused(tmp_path: Path, key_env: str, capsys):
    import tarfile

    src = make_text_cases(tmp_path / "cases", 2)
    tpath = tmp_path / "cases.tar.gz"
    with tarfile.open(tpath, "w:gz") as tf:
        tf.add(src, arcname="cases")
    rc, s = _run(capsys, str(tpath), str(tmp_path / "scrubbed.tar.gz"))
    assert rc == EXIT_OK and s["scrubbed"] == 4
    with tarfile.open(tmp_path / "scrubbed.tar.gz") as tf:
        names = [m.name for m in tf.getmembers() if m.isfile()]
    assert len(names) == 4 and all(n.startswith("case-") and "quartermaine" not in n.lower() for n in names)
    assert main(["scrub", str(src), str(src / "out")]) == EXIT_USAGE


def test_single_case_shares_one_deny_list(tmp_path: Path, key_env: str, capsys):
    src = tmp_path / "one_case"
    src.mkdir()
    (src / "a.txt").write_text("Patient: Zebulon Quartermaine, seen today.\n")
    (src / "b.txt").write_text("zebulon asked about the biopsy.\n")  # lower case, alone
    rc, s = _run(capsys, str(src), str(tmp_path / "out"), "--single-case")
    assert rc == EXIT_OK and s["cases"] == 1 and s["scrubbed"] == 2
    outs = list((tmp_path / "out").glob("case-*/*.txt"))
    assert len(outs) == 2 and len({p.parent for p in outs}) == 1


def test_a_new_run_without_resume_replaces_the_previous_one(tmp_path: Path, no_key_env: None, capsys):
    src = make_text_cases(tmp_path / "src", 2)
    out = tmp_path / "out"
    for _ in range(2):  # ephemeral keys: other names each time
        rc, _s = _run(capsys, str(src), str(out), "--ephemeral-key")
        assert rc == EXIT_OK
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    manifest = read_manifest(out / "manifest.jsonl")
    assert files == sorted([e["output"] for e in manifest] + ["manifest.jsonl"])


def test_serve_forwards_its_arguments_to_the_server(no_key_env: None, capsys):
    pytest.importorskip("deid.server.__main__")
    with pytest.raises(SystemExit) as err:
        main(["serve", "--help"])
    assert err.value.code == 0
    assert main(["serve", "--address", "127.0.0.1:0"]) == EXIT_USAGE  # no key: refused


def test_sample_cases_leave_no_phi_in_logs_manifest_reasons_or_report(tmp_path: Path, key_env: str, capsys, caplog):
    import re
    import shutil

    caplog.set_level(logging.DEBUG)
    repo = Path(__file__).resolve().parents[2]
    src = tmp_path / "src"
    for case in ("case_01_ultrasound", "case_04_wound_photo"):
        shutil.copytree(repo / "sample_cases" / case, src / case)
    out = tmp_path / "out"
    rc, summary = _run(capsys, str(src), str(out), "--report", str(tmp_path / "review.html"))
    assert rc == EXIT_OK, summary
    manifest = read_manifest(out / "manifest.jsonl")
    assert {e["kind"] for e in manifest} == {"dicom", "image", "text"}
    page = re.sub(r"data:image/[a-z]+;base64,[A-Za-z0-9+/=]+", "", (tmp_path / "review.html").read_text())
    captured = capsys.readouterr()
    blob = "\n".join([caplog.text, captured.out, captured.err, json.dumps(summary), page,
                      json.dumps([(e["reason"], e["output"], e["findings"]) for e in manifest])]).lower()
    for value in ("martha", "4471923", "okafor", "brigid", "555-0142", "birch lane", "19610304"):
        assert value not in blob
    for e in manifest:  # and none in the outputs' bytes either
        data = (out / e["output"]).read_bytes().lower()
        for value in (b"martha", b"4471923", b"okafor", b"brigid"):
            assert value not in data


def test_time_budget_withholds_instead_of_passing_through(tmp_path: Path, key_env: str, capsys):
    src = make_text_cases(tmp_path / "src", 2, filler_words=3000)
    policy = tmp_path / "policy.yaml"
    policy.write_text("limits:\n  timeout_s: 0.001\n")
    rc, s = _run(capsys, str(src), str(tmp_path / "out"), "--policy", str(policy))
    assert rc == EXIT_WITHHELD
    assert s["withheld"] == 4 and s["withheld_reasons"] == {"deadline_exceeded": 4}
    assert not list((tmp_path / "out").glob("case-*/*"))


def test_zip_slip_member_is_withheld_and_nothing_lands_outside(tmp_path: Path, key_env: str, capsys):
    zpath = tmp_path / "evil.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("case1/note.txt", "Seen by Dr. Quentin Marsh today.")
        zf.writestr("../../escaped.txt", "owned")
        zf.writestr("/tmp/absolute.txt", "owned")
    rc, s = _run(capsys, str(zpath), str(tmp_path / "deep" / "out"))
    assert rc == EXIT_WITHHELD and s["scrubbed"] == 1 and s["withheld"] == 2
    reasons = {e["input"]: e["reason"] for e in read_manifest(tmp_path / "deep" / "out" / "manifest.jsonl")}
    assert reasons["../../escaped.txt"] == "member_path_traversal"
    assert reasons["/tmp/absolute.txt"] == "absolute_member_path"
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path / "deep" / "escaped.txt").exists()
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(p == zpath or (tmp_path / "deep" / "out") in p.parents for p in written)
