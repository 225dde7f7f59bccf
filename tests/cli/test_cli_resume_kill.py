"""Kill a real `deid scrub` process midway (SIGKILL), resume: nothing lost or duplicated."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from cli_cases import KEY, make_text_cases, read_manifest

from deid.cli.main import EXIT_OK, main

REPO = Path(__file__).resolve().parents[2]
N_CASES = 24


def _scrubbed_lines(manifest: Path) -> int:
    if not manifest.exists():
        return 0
    return manifest.read_bytes().count(b'"status": "scrubbed"')


def test_sigkill_midway_then_resume_loses_and_duplicates_nothing(tmp_path: Path, key_env: str, capsys):
    src = make_text_cases(tmp_path / "src", N_CASES, filler_words=1500)
    out = tmp_path / "out"
    manifest = out / "manifest.jsonl"
    env = {**os.environ, "DEID_KEY": KEY, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "deid.cli.main", "scrub", str(src), str(out), "--quiet"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 300
    try:
        while _scrubbed_lines(manifest) < 6:  # at least three cases written
            assert proc.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "no progress"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    before = read_manifest(manifest) if manifest.exists() else []
    done_before = {e["input"] for e in before if e["status"] == "scrubbed"}
    assert 6 <= len(done_before) < 2 * N_CASES

    rc = main(["scrub", str(src), str(out), "--resume", "--json"])
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert rc == EXIT_OK
    assert summary["cases_resumed"] >= len(done_before) // 2  # finished cases not redone
    assert summary["cases_resumed"] + summary["cases_processed"] == N_CASES

    entries = read_manifest(manifest)
    inputs = sorted(p.relative_to(src).as_posix() for p in src.rglob("*") if p.is_file())
    assert sorted(e["input"] for e in entries) == inputs  # one line per input, none lost
    assert all(e["status"] == "scrubbed" for e in entries)
    outputs = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.name != "manifest.jsonl")
    assert outputs == sorted(e["output"] for e in entries)  # no orphan, no duplicate, no temp file
    assert len(set(outputs)) == len(inputs)
    for e in before:  # what the killed run wrote kept its name
        if e["status"] == "scrubbed":
            assert (out / e["output"]).is_file()
