"""Writing outputs: atomic (temp file in the same folder, fsync, rename), never partial."""

from __future__ import annotations

import os
import re
import tarfile
import tempfile
import zipfile
from pathlib import Path

from deid.core.errors import InputError

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")
TMP_PREFIX = ".deid-tmp-"


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_output_name(name: str) -> str:
    """Output names are ours (pseudonyms, UIDs): refuse anything else as a path part."""
    if not _SAFE_NAME.match(name) or ".." in name:
        raise InputError("refusing an unexpected output name", reason="bad_output_name")
    return name


def remove_temp_files(root: Path) -> int:
    """Delete temp files left by an interrupted run."""
    n = 0
    if root.is_dir():
        for p in root.rglob(TMP_PREFIX + "*"):
            p.unlink(missing_ok=True)
            n += 1
    return n


def pack_archive(folder: Path, archive: Path, *, exclude: set[str]) -> None:
    """Pack ``folder`` into ``archive`` (.zip / .tar / .tar.gz) atomically."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=archive.parent)
    os.close(fd)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.relative_to(folder).as_posix() not in exclude)
    try:
        low = archive.name.lower()
        if low.endswith(".zip"):
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                for p in files:
                    zf.write(p, p.relative_to(folder).as_posix())
        else:
            gz = low.endswith((".tar.gz", ".tgz"))
            with (tarfile.open(tmp, "w:gz") if gz else tarfile.open(tmp, "w")) as tf:
                for p in files:
                    info = tf.gettarinfo(str(p), p.relative_to(folder).as_posix())
                    info.uid = info.gid = 0
                    info.uname = info.gname = ""
                    info.mtime = 0
                    with p.open("rb") as fh:
                        tf.addfile(info, fh)
        os.replace(tmp, archive)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
