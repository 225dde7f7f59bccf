"""Peak memory of ``deid scrub`` on zip bombs, beside a small ordinary archive.

    python -m bench.bomb_memory [--gib 1.1] [--workers 1] [--repo OTHER_CHECKOUT]

Builds, in a temporary folder, a zip of about 1 MB whose one member inflates to
``--gib`` GiB: once as zeros (sniffed as an unknown kind), once behind a DICOM preamble
(sniffed as DICOM: the largest per-kind cap). Each runs in its own ``deid scrub``
subprocess; the peak resident memory is read with ``getrusage(RUSAGE_CHILDREN)``
(ru_maxrss, the largest child). The floor is the same command on a zip holding one
small text case: the engines' own memory. Prints one line per run and the bomb
member's manifest entry (it must be withheld, with a reason). ``--repo`` runs the same
measurement with another checkout's code (the peer: e.g. the code before the fix).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MiB = 1024 * 1024


def build_bomb(path: Path, size: int, *, dicom_head: bool) -> None:
    info = zipfile.ZipInfo("case1/scan.dcm", date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path, "w") as zf, zf.open(info, "w", force_zip64=True) as fh:
        written = 0
        if dicom_head:
            head = b"\0" * 128 + b"DICM"
            fh.write(head)
            written = len(head)
        block = b"\0" * (8 * MiB)
        while written < size:
            n = min(len(block), size - written)
            fh.write(block[:n])
            written += n


def build_small(path: Path) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("case1/note.txt", "Seen today for a wound check; healing well.\n")


def run(src: Path, out: Path, workers: int, repo: Path = REPO) -> tuple[float, float, dict[str, object]]:
    """(seconds, peak RSS MiB of the child, summary) of one deid scrub subprocess."""
    env = {**os.environ, "PYTHONPATH": str(repo)}
    env.pop("DEID_KEY", None)
    env.pop("DEID_KEY_FILE", None)
    t0 = time.perf_counter()
    # Each run in a fresh wrapper process so that RUSAGE_CHILDREN is this run's alone.
    code = (
        "import resource, subprocess, sys, json;"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
        "r = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss;"
        "print(json.dumps({'rc': p.returncode, 'maxrss_kib': r, 'stdout': p.stdout[-4000:]}))"
    )
    cmd = [sys.executable, "-c", code, sys.executable, "-m", "deid.cli.main", "scrub", str(src), str(out),
           "--ephemeral-key", "--json", "--workers", str(workers)]
    res = json.loads(subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=repo, check=True).stdout)
    seconds = time.perf_counter() - t0
    summary = json.loads(res["stdout"].strip().splitlines()[-1]) if res["stdout"].strip() else {}
    return seconds, res["maxrss_kib"] / 1024, summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gib", type=float, default=1.1)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--repo", type=Path, default=REPO, help="checkout whose code runs (default: this one)")
    args = ap.parse_args(argv)
    print(f"code: {args.repo}")
    size = int(args.gib * 1024 * MiB)
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        small = t / "small.zip"
        build_small(small)
        secs, rss, _ = run(small, t / "out-small", args.workers, args.repo)
        print(f"floor  small zip ({small.stat().st_size} B)            peak RSS {rss:7.0f} MiB  {secs:5.1f} s")
        for label, head in (("zeros", False), ("dicom", True)):
            bomb = t / f"bomb-{label}.zip"
            build_bomb(bomb, size, dicom_head=head)
            secs, rss, summary = run(bomb, t / f"out-{label}", args.workers, args.repo)
            manifest = t / f"out-{label}" / "manifest.jsonl"
            entries = [json.loads(line) for line in manifest.read_text().splitlines()] if manifest.exists() else []
            mode = oct(manifest.stat().st_mode & 0o777) if manifest.exists() else "-"
            print(f"bomb   {label:5s} ({bomb.stat().st_size / MiB:.1f} MiB -> {args.gib} GiB) "
                  f"peak RSS {rss:7.0f} MiB  {secs:5.1f} s  withheld={summary.get('withheld')} "
                  f"manifest {mode} {[(e['input'], e['status'], e['reason']) for e in entries]}")
    print(f"(ru_maxrss of the largest child; limit to meet: 600 MiB; resource module {resource.__name__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
