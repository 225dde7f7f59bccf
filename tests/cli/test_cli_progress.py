"""Progress of `deid scrub`: periodic plain lines in a log, a live bar on a terminal,
only the summary with --quiet; the counts match the manifest and the JSON summary, and
no progress output names an input."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

from cli_cases import KEY, PLANTED, case_text, read_manifest

from deid.cli.main import EXIT_WITHHELD, main
from deid.cli.output import Reporter

REPO = Path(__file__).resolve().parents[2]
N_TEXT = 30  # plus one corrupt DICOM: 31 files, 31 cases (one per top-level file)
LINE = re.compile(
    r"^progress: (\d+)/(\d+) files \((\d+)%\), (\d+) scrubbed, (\d+) withheld, (\d+)/(\d+) cases, "
    r"([\d.]+) files/s, elapsed \d+:\d\d:\d\d, left (\d+:\d\d:\d\d|\?)$"
)


def _folder(root: Path) -> Path:
    """Top-level files named after the planted patient: each file is a case."""
    root.mkdir(parents=True)
    for i in range(N_TEXT):
        (root / f"quartermaine_zebulon_{i:03d}.txt").write_text(case_text(i), encoding="utf-8")
    # A DICOM that stops after its preamble: withheld, so the withheld count is not zero.
    (root / "quartermaine_mri.dcm").write_bytes(b"\0" * 128 + b"DICM" + b"\x02\x00")
    return root


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DEID_KEY_FILE", "NO_COLOR")}
    return {**env, "DEID_KEY": KEY, "PYTHONPATH": str(REPO), "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": ""}


def _statuses(manifest: Path) -> tuple[int, int]:
    entries = read_manifest(manifest)
    return (sum(e["status"] == "scrubbed" for e in entries), sum(e["status"] == "withheld" for e in entries))


def test_plain_periodic_lines_in_a_log_match_manifest_and_json(tmp_path: Path) -> None:
    src = _folder(tmp_path / "src")
    out = tmp_path / "out"
    log = tmp_path / "stderr.log"
    with log.open("wb") as err:
        proc = subprocess.run(
            [sys.executable, "-m", "deid.cli.main", "scrub", str(src), str(out), "--json"],
            cwd=REPO, env=_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, timeout=600,
        )
    assert proc.returncode == EXIT_WITHHELD
    text = log.read_text(encoding="utf-8")
    summary = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    lines = [m for m in (LINE.match(x) for x in text.splitlines()) if m]
    assert f"deid: {N_TEXT + 1} files in {N_TEXT + 1} cases to scrub" in text
    # A line at every tenth of the files (and the last one), not one per case.
    assert 10 <= len(lines) <= 11, text
    done = [int(m[1]) for m in lines]
    assert done == sorted(done) and len(set(done)) == len(done)
    last = lines[-1]
    scrubbed, withheld = _statuses(out / "manifest.jsonl")
    assert (int(last[1]), int(last[2]), int(last[4]), int(last[5])) == (N_TEXT + 1, N_TEXT + 1, scrubbed, withheld)
    assert (scrubbed, withheld) == (N_TEXT, 1)
    assert (int(last[6]), int(last[7])) == (N_TEXT + 1, N_TEXT + 1)
    assert summary["files_processed"] == summary["inputs"] == N_TEXT + 1
    assert (summary["scrubbed"], summary["withheld"], summary["cases_processed"]) == (scrubbed, withheld, N_TEXT + 1)
    low = text.lower()
    assert "quartermaine" not in low and "zebulon" not in low and PLANTED["mrn"].lower() not in low


def test_quiet_prints_the_summary_only(tmp_path: Path, key_env: str, capsys) -> None:
    src = _folder(tmp_path / "src")
    assert main(["scrub", str(src), str(tmp_path / "out"), "--quiet"]) == EXIT_WITHHELD
    err = capsys.readouterr().err
    assert "progress:" not in err and "to scrub" not in err
    assert re.search(rf"^files\s+{N_TEXT + 1}$", err, re.M), err
    assert re.search(r"^withheld\s+1$", err, re.M), err


def test_live_bar_on_a_terminal(tmp_path: Path) -> None:
    src = _folder(tmp_path / "src")
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "deid.cli.main", "scrub", str(src), str(tmp_path / "out")],
        cwd=REPO, env={**_env(), "TERM": "xterm-256color", "COLUMNS": "160"},
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave,
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 600
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
        rc = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    screen = b"".join(chunks).decode("utf-8", "replace")
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen)
    assert rc == EXIT_WITHHELD
    assert "\x1b[" in screen  # drawn with terminal control codes, redrawn in place
    assert "━" in plain  # the bar
    assert f"{N_TEXT + 1}/{N_TEXT + 1} files" in plain
    assert "files/s" in plain and "left" in plain
    assert "progress:" not in plain  # no plain lines on a terminal
    assert "deid scrub summary" in plain
    assert "quartermaine" not in plain.lower()


def _outcome(statuses: list[str]) -> SimpleNamespace:
    return SimpleNamespace(entries=[SimpleNamespace(status=s) for s in statuses])


def test_plain_lines_also_come_every_few_seconds() -> None:
    now = [0.0]
    buf = io.StringIO()
    r = Reporter(quiet=False, as_json=False, stream=buf, every_seconds=10.0, clock=lambda: now[0])
    r.set_files(1000)
    r.start(1000)
    for i in range(5):  # 5 files in 50 s: under a tenth of the files, a line per 10 s
        now[0] += 10.0
        r.case_done(_outcome(["scrubbed" if i else "withheld"]))
    now[0] += 1.0
    r.case_done(_outcome(["scrubbed"]))  # 1 s later: no line
    lines = [x for x in buf.getvalue().splitlines() if x.startswith("progress:")]
    assert len(lines) == 5
    m = LINE.match(lines[-1])
    assert m is not None
    assert (m[1], m[2], m[4], m[5], m[8]) == ("5", "1000", "4", "1", "0.10")
    assert m[9] == "2:45:50"  # 995 files left at 0.1 files/s


def test_quiet_reporter_counts_but_prints_no_progress() -> None:
    buf = io.StringIO()
    r = Reporter(quiet=True, as_json=False, stream=buf)
    r.set_files(2)
    r.start(1)
    r.case_done(_outcome(["scrubbed", "withheld"]))
    r.stop()
    assert buf.getvalue() == ""
    assert (r.files_done, r.scrubbed, r.withheld) == (2, 1, 1)
