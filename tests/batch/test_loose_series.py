"""Loose slices of a series (each file its own case) share a series memory in a worker."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pydicom

from deid.batch.manifest import MANIFEST_NAME, read_manifest
from deid.batch.runner import BatchOptions, run_batch
from deid.core.policy import Policy
from tests.support.ct_series import burn_text, ct_dicom, ct_slice

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "case"))
from case_builders import ocr_words  # noqa: E402

KEY = b"loose-series-key-0123456789abcdef"
SIZE = 256
SERIES_A = "1.2.826.0.1.3680043.8.498.77.2"
SERIES_B = "1.2.826.0.1.3680043.8.498.77.3"


def _slice(i: int, name: str, uid: str) -> bytes:
    px = ct_slice(i, SIZE, seed=9)
    burn_text(px, [name], corner="tl", scale=0.45)
    return ct_dicom(px, i, series_uid=uid)


def _run(src: Path, out: Path, *, workers: int = 1, resume: bool = False) -> tuple[dict[str, str], object]:
    notes: dict[str, str] = {}

    def progress(event, done, total, outcome):  # type: ignore[no-untyped-def]
        if event == "case" and outcome is not None:
            parts = outcome.report.get("parts", [])
            notes[outcome.case_key] = " ".join(n for p in parts for n in p.get("notes", []))

    summary = run_batch(src, out, BatchOptions(policy=Policy(), key=KEY, workers=workers, resume=resume),
                        progress=progress)
    return notes, summary


def test_loose_slices_share_a_memory_and_a_new_name_in_the_corner_is_removed(tmp_path: Path):
    src = tmp_path / "flat"
    src.mkdir()
    for i in range(8):
        # slice 6 carries another name where the series' name sits
        name = "BRAMBLEWICKSON" if i == 6 else "QUILLFEATHER"
        (src / f"a_{i:03d}.dcm").write_bytes(_slice(i, name, SERIES_A))
    for i in range(2):  # another series in the same folder: a memory of its own
        (src / f"b_{i:03d}.dcm").write_bytes(_slice(i, "QUILLFEATHER", SERIES_B))
    control = pydicom.dcmread(src / "a_006.dcm").pixel_array
    assert "bramblewick" in ocr_words(control).replace(" ", "")

    notes, summary = _run(src, tmp_path / "out")
    assert summary.cases == 10 and summary.scrubbed == 10
    full = {k for k, v in notes.items() if "read in full" in v}
    # Memory shared across the loose cases: only the first slices of A are read in full.
    assert {"a_000.dcm", "a_001.dcm", "a_002.dcm"} <= full
    assert not {f"a_{i:03d}.dcm" for i in range(3, 8)} & full
    # Series B starts over with a full read, whatever A taught.
    assert {"b_000.dcm", "b_001.dcm"} <= full
    manifest = read_manifest(tmp_path / "out" / MANIFEST_NAME)
    for rel, entry in manifest.items():
        assert entry.output, rel
        px = pydicom.dcmread(tmp_path / "out" / entry.output).pixel_array
        words = ocr_words(px).replace(" ", "")
        assert "quillfeather" not in words and "bramblewick" not in words, rel


def test_loose_slices_in_a_process_pool_are_clean_and_compared(tmp_path: Path):
    src = tmp_path / "flat"
    src.mkdir()
    for i in range(8):
        (src / f"s_{i:03d}.dcm").write_bytes(_slice(i, "QUILLFEATHER", SERIES_A))
    notes, summary = _run(src, tmp_path / "out", workers=2)
    assert summary.scrubbed == 8
    # Chunks of consecutive slices per worker: some slices are compared, not read in full.
    assert sum("read in full" not in v for v in notes.values()) >= 1
    for entry in read_manifest(tmp_path / "out" / MANIFEST_NAME).values():
        px = pydicom.dcmread(tmp_path / "out" / entry.output).pixel_array
        assert "quillfeather" not in ocr_words(px).replace(" ", "")


def test_resume_redoes_cases_whose_outputs_have_no_manifest_lines(tmp_path: Path):
    # Manifest lines are appended once per chunk of cases, after the chunk's outputs: a
    # crash in between leaves outputs without lines, and --resume must redo those cases.
    src = tmp_path / "flat"
    src.mkdir()
    for i in range(6):
        (src / f"s_{i:03d}.dcm").write_bytes(ct_dicom(ct_slice(i, 128, seed=3), i))
    out = tmp_path / "out"
    _run(src, out)
    manifest = out / MANIFEST_NAME
    lines = manifest.read_text().splitlines()
    assert len(lines) == 6
    first = {p.relative_to(out) for p in out.rglob("*.dcm")}
    manifest.write_text("\n".join(lines[:2]) + "\n")  # the last lines were never written
    _notes, summary = _run(src, out, resume=True)
    assert summary.cases_resumed == 2 and summary.cases_done == 4
    assert {p.relative_to(out) for p in out.rglob("*.dcm")} == first  # overwritten, not duplicated
    entries = read_manifest(manifest)
    assert len(entries) == 6 and all(e.status == "scrubbed" for e in entries.values())
    assert np.array_equal(sorted(e.input for e in entries.values()), sorted(p.name for p in src.iterdir()))


def test_a_chunk_that_fails_as_a_whole_is_retried_case_by_case(tmp_path: Path, monkeypatch):
    # A worker that dies takes its whole chunk with it: each case is then tried alone, so
    # only the case that kills the worker is withheld, not its neighbours.
    from concurrent.futures.process import BrokenProcessPool

    from deid.batch import runner

    real = runner.process_cases

    def dying(tasks, policy_data, key):  # type: ignore[no-untyped-def]
        if any(t.case_key == "s_002.dcm" for t in tasks):
            raise BrokenProcessPool("a process in the pool was terminated abruptly")
        return real(tasks, policy_data, key)

    monkeypatch.setattr(runner, "process_cases", dying)
    src = tmp_path / "flat"
    src.mkdir()
    for i in range(5):
        (src / f"s_{i:03d}.dcm").write_bytes(ct_dicom(ct_slice(i, 128, seed=3), i))
    _notes, summary = _run(src, tmp_path / "out")
    assert summary.scrubbed == 4 and summary.withheld == 1
    assert dict(summary.withheld_reasons) == {"worker_crashed": 1}
    entries = read_manifest(tmp_path / "out" / MANIFEST_NAME)
    assert entries["s_002.dcm"].status == "withheld"
