"""write_durably: many outputs written atomically, flushed once (syncfs) or per file."""

from __future__ import annotations

from pathlib import Path

import pytest

from deid.batch import sink


@pytest.mark.parametrize("syncfs", ["native", "none"])
def test_every_output_is_whole_and_no_temp_file_stays(tmp_path: Path, monkeypatch, syncfs):
    if syncfs == "none":
        monkeypatch.setattr(sink, "_SYNCFS", [None])
    (tmp_path / "c1").mkdir()
    (tmp_path / "c1" / "a.dcm").write_bytes(b"old")
    items = [(tmp_path / "c1" / "a.dcm", b"A" * 1000), (tmp_path / "c2" / "b.dcm", b"B" * 10), (tmp_path / "c2" / "c.dcm", b"")]
    sink.write_durably(items)
    for path, data in items:
        assert path.read_bytes() == data
        assert path.stat().st_mode & 0o077 == 0
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(sink.TMP_PREFIX)]


def test_a_failure_leaves_no_temp_file_and_no_partial_output(tmp_path: Path, monkeypatch):
    real_replace = sink.os.replace
    calls = []

    def failing_replace(src, dst):  # type: ignore[no-untyped-def]
        calls.append(dst)
        if len(calls) == 2:
            raise OSError("disk gone")
        real_replace(src, dst)

    monkeypatch.setattr(sink.os, "replace", failing_replace)
    items = [(tmp_path / "a.dcm", b"A"), (tmp_path / "b.dcm", b"B"), (tmp_path / "c.dcm", b"C")]
    with pytest.raises(OSError):
        sink.write_durably(items)
    assert not (tmp_path / "b.dcm").exists() and not (tmp_path / "c.dcm").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(sink.TMP_PREFIX)]
