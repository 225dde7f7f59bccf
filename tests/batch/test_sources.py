"""Sources: grouping into cases, archive safety (zip-slip, links, absolute paths)."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

from deid.batch.sources import group_cases, open_source

MAX = 10_000_000


def test_grouping_subfolders_are_cases_and_top_files_are_cases():
    cases = group_cases(["a/x.txt", "a/sub/y.dcm", "b/z.txt", "loose.txt"])
    assert [c.key for c in cases] == ["a", "b", "loose.txt"]
    assert cases[0].inputs == ["a/sub/y.dcm", "a/x.txt"]


def test_zipped_folder_is_read_as_that_folder():
    cases = group_cases(["root/a/x.txt", "root/b/y.txt"], unwrap=True)
    assert [c.key for c in cases] == ["root/a", "root/b"]
    # a zip holding one case folder is that one case
    (case,) = group_cases(["case1/x.txt", "case1/img/y.jpg"], unwrap=True)
    assert case.key == "case1"


def test_system_files_are_skipped_not_read():
    (case,) = group_cases(["a/.DS_Store", "a/x.txt", "a/__MACOSX/._x.txt"])
    assert case.inputs == ["a/x.txt"]
    assert set(case.ignored) == {"a/.DS_Store", "a/__MACOSX/._x.txt"}


def test_zip_slip_absolute_and_links_rejected(tmp_path: Path):
    zpath = tmp_path / "evil.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("case1/ok.txt", "fine")
        zf.writestr("../escape.txt", "bad")
        zf.writestr("/etc/abs.txt", "bad")
        link = zipfile.ZipInfo("case1/link.txt")
        link.external_attr = (0o120777 << 16)
        zf.writestr(link, "/etc/passwd")
    with open_source(zpath, max_bytes=MAX) as src:
        rejected = {k: v for c in src.cases for k, v in c.rejected.items()}
        inputs = [i for c in src.cases for i in c.inputs]
        assert inputs == ["case1/ok.txt"]
        assert rejected == {
            "../escape.txt": "member_path_traversal",
            "/etc/abs.txt": "absolute_member_path",
            "case1/link.txt": "link_member",
        }
        assert src.read("case1/ok.txt") == b"fine"
    assert not (tmp_path.parent / "escape.txt").exists()


def test_tar_links_and_traversal_rejected(tmp_path: Path):
    tpath = tmp_path / "cases.tar.gz"
    with tarfile.open(tpath, "w:gz") as tf:
        for name, data in (("c/ok.txt", b"fine"), ("c/../../up.txt", b"bad")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        sym = tarfile.TarInfo("c/sym")
        sym.type = tarfile.SYMTYPE
        sym.linkname = "/etc/passwd"
        tf.addfile(sym)
    with open_source(tpath, max_bytes=MAX) as src:
        rejected = {k: v for c in src.cases for k, v in c.rejected.items()}
        assert [i for c in src.cases for i in c.inputs] == ["c/ok.txt"]
        assert rejected["c/sym"] == "link_member"
        assert rejected["c/../../up.txt"] == "member_path_traversal"


def test_member_over_limit_rejected_before_read(tmp_path: Path):
    zpath = tmp_path / "big.zip"
    with zipfile.ZipFile(zpath, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("c/big.txt", "a" * 5000)
    with open_source(zpath, max_bytes=1000) as src:
        assert src.cases[0].rejected == {"c/big.txt": "file_too_large"}


def test_folder_symlink_not_followed(tmp_path: Path):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "x.txt").write_text("x")
    (tmp_path / "c" / "link.txt").symlink_to("/etc/hostname")
    with open_source(tmp_path, max_bytes=MAX) as src:
        (case,) = src.cases
        assert case.inputs == ["c/x.txt"]
        assert case.rejected == {"c/link.txt": "symlink_not_followed"}
