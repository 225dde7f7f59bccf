"""Manifest: a line cut by a kill is ignored and never glued to the next one."""

from __future__ import annotations

from pathlib import Path

from deid.batch.manifest import Entry, ManifestWriter, compact_manifest, read_manifest


def test_cut_line_is_ignored_and_next_append_starts_fresh(tmp_path: Path):
    path = tmp_path / "manifest.jsonl"
    w = ManifestWriter(path)
    w.append([Entry("a.txt", "c/x.txt", "scrubbed", kind="text")])
    w.close()
    with path.open("ab") as fh:
        fh.write(b'{"input": "b.txt", "outp')  # a kill in the middle of a write
    w = ManifestWriter(path)
    w.append([Entry("b.txt", None, "withheld", reason="bad_encoding")])
    w.close()
    entries = read_manifest(path)
    assert set(entries) == {"a.txt", "b.txt"}
    assert entries["b.txt"].status == "withheld"


def test_compact_keeps_last_line_per_input(tmp_path: Path):
    path = tmp_path / "manifest.jsonl"
    w = ManifestWriter(path)
    w.append([Entry("a.txt", None, "withheld", reason="engine_unavailable")])
    w.append([Entry("a.txt", "c/x.txt", "scrubbed")])
    w.close()
    compact_manifest(path, ["a.txt"])
    lines = path.read_text().splitlines()
    assert len(lines) == 1 and '"scrubbed"' in lines[0]
