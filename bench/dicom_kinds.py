"""DICOM object kinds through ``deid scrub``: planted values left, withheld, clinical kept.

    python -m bench.dicom_kinds [--keep DIR] [--no-peer]

Builds the objects of ``tests/support/dicom_kinds.py`` (GSPS, KOS, enhanced CT/MR,
SEG, SR, RT image/struct/plan/dose, ECG waveform, worklist/patient-module/private/UN/
overlay MR, implicit VR, three character sets, PDF/CDA, overlay test file, DICOMDIR,
deflated SR, RLE MR, more syntaxes, broken copies; synthetic values, some on pydicom's
test files), writes them as
cases (one sub-folder each, objects of a study together), runs ``deid scrub`` on the
folder in a fresh process, and checks every output independently of the scrubber:

* planted values left: a byte search of the output for every planted value in plain,
  upper, lower and caret forms, dates in DA/ISO/US/EU forms, times in TM/HH:MM:SS,
  non-Latin names in the object's character set, and the original UID root;
* withheld: status and reason from the manifest (operator record);
* clinical kept: listed clinical attributes (nested paths too) equal to the input's, or
  present where the object needs them (SegmentLabel, VerifyingObserverName: Type 1);
* re-read: pydicom reads every element and the pixel data of the output;
* overlays: no 60xx group and no set bit above BitsStored (an embedded overlay) left,
  counted as a planted value left;
* references: UIDs inside one object that point to another object of the set resolve
  to that object's new UID.

The peer (dicognito, if importable) is run in process on the same objects, header only.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

import pydicom

from tests.support.dicom_kinds import (
    Kind,
    all_kinds,
    check_references,
    clinical_kept,
    leaked,
    overlay_left,
    reread,
    write_tree,
)


def run_cli(src: str, dst: str) -> dict:
    env = dict(os.environ, DEID_KEY="0123456789abcdef" * 4)
    done = subprocess.run(
        [sys.executable, "-m", "deid.cli.main", "scrub", src, dst, "-q", "--json"],
        env=env, capture_output=True, check=False,
    )
    if done.returncode not in (0, 3):
        raise SystemExit(f"deid scrub failed (exit {done.returncode}): {done.stderr.decode(errors='replace')[-600:]}")
    return json.loads(done.stdout.decode())


def peer_leaks(kinds: dict[str, Kind]) -> dict[str, int] | None:
    try:
        from dicognito.anonymizer import Anonymizer
    except ImportError:
        return None
    anonymizer = Anonymizer(seed="bench")
    out: dict[str, int] = {}
    for rel, kind in kinds.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = pydicom.dcmread(io.BytesIO(kind.encode()), force=True)
                anonymizer.anonymize(ds)
                buf = io.BytesIO()
                ds.save_as(buf)
            out[rel] = len(leaked(kind, buf.getvalue()))
        except Exception:
            out[rel] = -1
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keep", help="write inputs/outputs here instead of a temp folder")
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--verbose", "-v", action="store_true", help="list the labels left and attributes lost")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    root = args.keep or tempfile.mkdtemp(prefix="deid-kinds-")
    src, dst = os.path.join(root, "src"), os.path.join(root, "out")
    shutil.rmtree(src, ignore_errors=True)
    shutil.rmtree(dst, ignore_errors=True)
    kinds = write_tree(all_kinds(), src)
    started = time.perf_counter()
    summary = run_cli(src, dst)
    wall = time.perf_counter() - started
    manifest = {}
    with open(os.path.join(dst, "manifest.jsonl"), encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            manifest[rec["input"]] = rec
    peer = None if args.no_peer else peer_leaks(kinds)

    head = f"{'kind':58} {'planted':>7} {'left':>4} {'status':>28} {'clinical':>8} {'reread':>6}"
    if peer is not None:
        head += f" {'dicognito left':>14}"
    print(head)
    totals = {"planted": 0, "left": 0, "clin": 0, "clin_all": 0, "withheld_good": 0, "reread_bad": 0,
              "withheld_as_expected": 0, "expected_withheld": 0, "peer_left": 0, "peer_planted": 0}
    pairs = []
    details = []
    for rel, kind in kinds.items():
        rec = manifest.get(rel, {"status": "missing", "reason": "not in manifest"})
        data = None
        if rec.get("status") == "scrubbed" and rec.get("output"):
            with open(os.path.join(dst, rec["output"]), "rb") as fh:
                data = fh.read()
        planted = len(kind.plants)
        if kind.withhold:
            totals["expected_withheld"] += 1
            ok = rec.get("status") == "withheld" and kind.withhold in ("*", rec.get("reason"))
            totals["withheld_as_expected"] += ok
            status = f"withheld {rec.get('reason')}" if data is None else "SCRUBBED (expected withheld)"
        else:
            status = "scrubbed" if data is not None else f"WITHHELD {rec.get('reason')}"
            totals["withheld_good"] += data is None
        left_labels = leaked(kind, data) if data is not None else []
        kept, missing = clinical_kept(kind, data) if data is not None else (0, list(kind.clinical))
        rr = reread(data) if data is not None else "-"
        if data is not None and not rr and overlay_left(data):
            left_labels.append("overlay plane")
        if kind.withhold != "*":  # a broken copy repeats the values of its good kind
            totals["planted"] += planted
        totals["left"] += len(left_labels)
        if not kind.withhold:
            totals["clin"] += kept
            totals["clin_all"] += len(kind.clinical)
        totals["reread_bad"] += bool(rr and rr != "-")
        line = (f"{kind.name[:58]:58} {planted:>7} {len(left_labels):>4} {status[:28]:>28} "
                f"{kept:>3}/{len(kind.clinical):<4} {'ok' if rr == '' else rr[:6]:>6}")
        if peer is not None and kind.withhold != "*":
            totals["peer_left"] += max(peer[rel], 0)
            totals["peer_planted"] += planted
        if peer is not None:
            line += f" {peer[rel] if kind.withhold != '*' else '-':>14}"
        print(line)
        if left_labels or missing:
            details.append(f"  {kind.name}: left {left_labels}; clinical lost {missing}")
        if data is not None:
            pairs.append((pydicom.dcmread(os.path.join(src, rel), force=True),
                          pydicom.dcmread(io.BytesIO(data))))
    resolved, total, bad = check_references(pairs)
    print()
    broken = sum(1 for k in kinds.values() if k.withhold == "*")
    print(f"planted values left: {totals['left']} of {totals['planted']} "
          f"(in {len(kinds) - broken} objects, {len(kinds) - totals['expected_withheld']} to come out; "
          f"{broken} broken copies besides)")
    print(f"good objects withheld: {totals['withheld_good']}; to-be-withheld (PDF, CDA, DICOMDIR with their "
          f"reason; broken inputs with any) withheld: {totals['withheld_as_expected']} of {totals['expected_withheld']}")
    clin_pct = 100.0 * totals["clin"] / max(totals["clin_all"], 1)
    print(f"clinical attributes kept: {totals['clin']} of {totals['clin_all']} ({clin_pct:.1f} %)")
    print(f"outputs pydicom cannot re-read: {totals['reread_bad']}")
    print(f"references resolved: {resolved} of {total}" + (f" (unresolved: {bad[:6]})" if bad else ""))
    if peer is not None:
        print(f"peer dicognito (header only, in process): {totals['peer_left']} planted values left "
              f"of {totals['peer_planted']} in the same objects (PDF, CDA, DICOMDIR included: it writes them)")
    print(f"deid scrub: {summary.get('scrubbed')} scrubbed, {summary.get('withheld')} withheld "
          f"{summary.get('withheld_reasons')}, {wall:.1f} s wall")
    if args.verbose and details:
        print("\n".join(details))
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
