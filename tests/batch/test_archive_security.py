"""The security issue's archive and file rows, on real archives built here.

Rows: 3 bounded memory (bombs, lying headers, case budget, spooling), 5 private files
(manifest, its compaction temp file, review report, spooled members), 8 duplicate,
encrypted and unsupported members, links never followed (reads and packing).
"""

from __future__ import annotations

import io
import json
import os
import stat
import struct
import tarfile
import tracemalloc
import warnings
import zipfile
from pathlib import Path

import pytest

from deid.batch.manifest import ManifestWriter, compact_manifest
from deid.batch.runner import BatchOptions, run_batch
from deid.batch.sink import pack_archive
from deid.batch.sources import FolderSource, SourceLimits, open_source

KEY = bytes.fromhex("9b04ab39577a5a08bcfb39920b34d35fffd55ba3ab9ffa55cadcb5900a39a831")
MiB = 1024 * 1024
MAX = 2_000_000_000
NOTE = "Seen today for a wound check; healing well. Dressing changed.\n"


def _zip_member(zf: zipfile.ZipFile, name: str, size: int, head: bytes = b"") -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    with zf.open(info, "w", force_zip64=True) as fh:
        fh.write(head)
        block = b"\0" * MiB
        left = size - len(head)
        while left > 0:
            fh.write(block[: min(left, MiB)])
            left -= MiB


def _patch_headers(path: Path, name: str, *, size: int | None = None, flags: int | None = None,
                   method: int | None = None) -> None:
    """Rewrite a member's local and central headers: what a hand-made archive may claim."""
    data = bytearray(path.read_bytes())
    enc = name.encode()
    for sig, off_flags, off_method, off_size, name_at in ((b"PK\x03\x04", 6, 8, 22, 30),
                                                          (b"PK\x01\x02", 8, 10, 24, 46)):
        i = data.find(sig)
        while i != -1:
            if data[i + name_at: i + name_at + len(enc)] == enc:
                if size is not None:
                    struct.pack_into("<I", data, i + off_size, size)
                if flags is not None:
                    struct.pack_into("<H", data, i + off_flags, flags)
                if method is not None:
                    struct.pack_into("<H", data, i + off_method, method)
            i = data.find(sig, i + 4)
    path.write_bytes(bytes(data))


# ---- row 3: bounded memory ---------------------------------------------------------------------

@pytest.mark.parametrize(("head", "reason"), [(b"", "file_too_large"),
                                               (b"\0" * 128 + b"DICM", "compression_ratio_exceeded")])
def test_bomb_is_stopped_while_streaming_with_bounded_memory(tmp_path: Path, head: bytes, reason: str):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w") as zf:
        _zip_member(zf, "case1/scan.dcm", 48 * MiB, head)  # ~50 kB on disk
    assert bomb.stat().st_size < MiB
    limits = SourceLimits(other_bytes=4 * MiB, dicom_bytes=64 * MiB, ratio_floor_bytes=4 * MiB, max_ratio=50)
    from deid.case.parts import sniff_kind

    sniff_kind(b"\0" * 200)  # imports done before measuring (module code is not the bomb)
    with open_source(bomb, max_bytes=MAX, limits=limits) as src:
        (case,) = src.cases
        tracemalloc.start()
        try:
            inputs, failed = src.read_case(case)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert inputs == [] and failed == {"case1/scan.dcm": reason}
    assert peak < 12 * MiB, f"reading the bomb allocated {peak / MiB:.1f} MiB"


@pytest.mark.parametrize("declared", [1000, 10 * 1024 * 1024])
def test_member_that_lies_about_its_size_is_withheld(tmp_path: Path, declared: int):
    z = tmp_path / "lies.zip"
    with zipfile.ZipFile(z, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("c/note.txt", NOTE * 3000)  # ~200 kB
        zf.writestr("c/ok.txt", NOTE)
    _patch_headers(z, "c/note.txt", size=declared)
    with open_source(z, max_bytes=MAX) as src:
        inputs, failed = src.read_case(src.cases[0])
    assert failed == {"c/note.txt": "member_size_mismatch"}
    assert [rel for rel, _ in inputs] == ["c/ok.txt"]


def test_case_budget_and_private_spool(tmp_path: Path):
    root = tmp_path / "src"
    (root / "c").mkdir(parents=True)
    for name in ("a.txt", "b.txt", "c.txt"):
        (root / "c" / name).write_text(NOTE * 1000)  # ~62 kB each
    limits = SourceLimits(spool_bytes=32 * 1024, case_bytes=150 * 1024, temp_dir=str(tmp_path))
    with FolderSource(root, MAX, limits) as src:
        inputs, failed = src.read_case(src.cases[0])
        assert failed == {"c/c.txt": "case_budget_exceeded"}
        spooled = [data for _, data in inputs]
        assert all(isinstance(p, Path) for p in spooled)
        for p in spooled:
            assert stat.S_IMODE(p.stat().st_mode) == 0o600
            assert stat.S_IMODE(p.parent.stat().st_mode) == 0o700
            assert p.read_text() == NOTE * 1000
        src.release(src.cases[0].key)
        assert not any(p.exists() for p in spooled)
        spool_dir = spooled[0].parent
    assert not spool_dir.exists()


# ---- row 8: duplicates, encrypted and unsupported members; and --resume -------------------------

def _edge_zip(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("c1/note.txt", NOTE)
            zf.writestr("c1/note.txt", "Second copy naming Zebadiah Quillfeather.\n")
            zf.writestr("c1/locked.txt", NOTE)
            zf.writestr("c1/odd.txt", NOTE)
            _zip_member(zf, "c2/scan.dcm", 8 * MiB)  # a bomb under lowered caps
    _patch_headers(path, "c1/locked.txt", flags=0x1)
    _patch_headers(path, "c1/odd.txt", method=9)  # deflate64: zipfile cannot read it


def test_archive_edge_cases_in_the_manifest_and_not_retried(tmp_path: Path):
    src = tmp_path / "cases.zip"
    _edge_zip(src)
    out = tmp_path / "out"
    limits = SourceLimits(other_bytes=1 * MiB)
    opts = BatchOptions(key=KEY, source_limits=limits, review=True, report_path=tmp_path / "report.html")
    summary = run_batch(src, out, opts)
    manifest = out / "manifest.jsonl"
    entries = {e["input"]: e for e in map(json.loads, manifest.read_text().splitlines())}
    assert entries["c1/note.txt"]["status"] == "scrubbed"
    assert entries["c1/note.txt (duplicate 2)"]["reason"] == "duplicate_member"
    assert entries["c1/locked.txt"]["reason"] == "encrypted_member"
    assert entries["c1/odd.txt"]["reason"] == "unsupported_compression"
    assert entries["c2/scan.dcm"] == {**entries["c2/scan.dcm"], "status": "withheld", "reason": "file_too_large"}
    assert summary.withheld == 4
    from deid.core.context import key_id

    assert summary.to_dict()["key_id"] == key_id(KEY)  # which release key made these outputs
    # Row 5: the manifest and the review report are private.
    assert stat.S_IMODE(manifest.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "report.html").stat().st_mode) == 0o600
    # Permanent reasons: --resume does not redo these cases.
    again = run_batch(src, out, BatchOptions(key=KEY, source_limits=limits, resume=True))
    assert again.cases_resumed == 2 and again.cases_done == 0


def test_archive_output_manifest_is_private(tmp_path: Path):
    src = tmp_path / "src"
    (src / "c1").mkdir(parents=True)
    (src / "c1" / "note.txt").write_text(NOTE)
    run_batch(src, tmp_path / "out.zip", BatchOptions(key=KEY))
    final = tmp_path / "out.zip.manifest.jsonl"
    assert stat.S_IMODE(final.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "out.zip").stat().st_mode) == 0o600


# ---- row 5: manifest files created private -----------------------------------------------------

def test_manifest_and_compaction_temp_file_are_created_private(tmp_path: Path, monkeypatch):
    import deid.batch.manifest as manifest_mod
    from deid.batch.manifest import Entry

    old = tmp_path / "manifest.jsonl"
    old.write_text("")
    old.chmod(0o644)  # left by an older version
    w = ManifestWriter(old)
    w.append([Entry("case/SMITH_JOHN.txt", None, "withheld", reason="bad_encoding")])
    w.close()
    assert stat.S_IMODE(old.stat().st_mode) == 0o600
    new = tmp_path / "sub" / "manifest.jsonl"
    ManifestWriter(new).close()
    assert stat.S_IMODE(new.stat().st_mode) == 0o600
    modes: list[int] = []
    real_replace = os.replace

    def spy(src: str | Path, dst: str | Path) -> None:
        modes.append(stat.S_IMODE(os.stat(src).st_mode))
        real_replace(src, dst)

    monkeypatch.setattr(manifest_mod.os, "replace", spy)
    compact_manifest(old, ["case/SMITH_JOHN.txt"])
    assert modes == [0o600]


# ---- row 8: links are never followed -----------------------------------------------------------

def test_folder_link_swapped_in_after_the_walk_is_not_followed(tmp_path: Path):
    secret = tmp_path / "secret.txt"
    secret.write_text("Zebadiah Quillfeather MRN 48213377\n")
    root = tmp_path / "src"
    (root / "c" / "sub").mkdir(parents=True)
    (root / "c" / "sub" / "y.txt").write_text(NOTE)
    (root / "c" / "x.txt").write_text(NOTE)
    with FolderSource(root, MAX) as src:
        # After listing, an attacker swaps a folder and a file for links.
        (root / "c" / "sub").rename(root / "c" / "moved")
        (root / "elsewhere").mkdir()
        (root / "elsewhere" / "y.txt").symlink_to(secret)
        (root / "c" / "sub").symlink_to(root / "elsewhere")
        (root / "c" / "x.txt").unlink()
        (root / "c" / "x.txt").symlink_to(secret)
        inputs, failed = src.read_case(src.cases[0])
    assert inputs == []
    assert failed == {"c/sub/y.txt": "symlink_not_followed", "c/x.txt": "symlink_not_followed"}


@pytest.mark.parametrize("name", ["out.zip", "out.tar.gz"])
def test_packing_skips_links_placed_in_the_partial_output(tmp_path: Path, name: str):
    secret = tmp_path / "secret.txt"
    secret.write_text("Zebadiah Quillfeather MRN 48213377\n")
    folder = tmp_path / "partial"
    (folder / "case-1").mkdir(parents=True)
    (folder / "case-1" / "txt-1.txt").write_text("scrubbed\n")
    (folder / "case-1" / "planted.txt").symlink_to(secret)
    (folder / "linkdir").symlink_to(tmp_path)
    archive = tmp_path / name
    pack_archive(folder, archive, exclude=set())
    if name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            names = zf.namelist()
            blob = b"".join(zf.read(n) for n in names)
    else:
        with tarfile.open(archive) as tf:
            names = tf.getnames()
            blob = b"".join(tf.extractfile(m).read() for m in tf.getmembers() if m.isfile())  # type: ignore[union-attr]
    assert names == ["case-1/txt-1.txt"]
    assert b"Quillfeather" not in blob


def test_tar_duplicates_withheld(tmp_path: Path):
    t = tmp_path / "cases.tar"
    with tarfile.open(t, "w") as tf:
        for data in (NOTE.encode(), b"second"):
            info = tarfile.TarInfo("c/a.txt")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    with open_source(t, max_bytes=MAX) as src:
        (case,) = src.cases
        assert case.inputs == ["c/a.txt"]
        assert case.rejected == {"c/a.txt (duplicate 2)": "duplicate_member"}
        assert src.read("c/a.txt") == NOTE.encode()


def test_remote_case_id_is_keyed_not_the_published_folder_name():
    from deid.batch.worker import remote_case_id

    cid = remote_case_id(KEY, "case-7K3M9QX2RB0A")
    assert "case-7K3M9QX2RB0A" not in cid and len(cid) == 64
    assert cid == remote_case_id(KEY, "case-7K3M9QX2RB0A")  # stable: resume keeps the case
    assert cid != remote_case_id(bytes(32), "case-7K3M9QX2RB0A")
