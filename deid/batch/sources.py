"""Where inputs come from: a file, a folder of cases, or a zip / tar / tar.gz archive.

Grouping rule (the same for folders and archives): each top-level sub-folder is one
case (all files below it, recursively); each top-level file is a case of its own. An
archive whose members all sit under one top-level folder holding only sub-folders (a
zipped folder of cases) is read as that folder.

Safety: archive members with absolute paths, ``..`` components, links or device
entries are rejected (never read, never written); symlinks in folders are not followed;
a member larger than the file limit is rejected before it is read. Input names are kept
only for the manifest (an operator record); they never name an output.
"""

from __future__ import annotations

import logging
import os
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from deid.case.parts import SYSTEM_FILES
from deid.core.errors import InputError, LimitExceeded

log = logging.getLogger(__name__)

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz")


@dataclass(slots=True)
class CaseSpec:
    """One case found in the source. ``key`` is its relative path (operator use only)."""

    key: str
    inputs: list[str] = field(default_factory=list)  # readable members, relative paths
    rejected: dict[str, str] = field(default_factory=dict)  # rel path -> reason (withheld)
    ignored: dict[str, str] = field(default_factory=dict)  # rel path -> reason (skipped)

    @property
    def all_inputs(self) -> list[str]:
        return sorted([*self.inputs, *self.rejected, *self.ignored])


def is_archive(path: str | os.PathLike[str]) -> bool:
    return str(path).lower().endswith(ARCHIVE_SUFFIXES)


def _is_system(rel: str) -> bool:
    parts = PurePosixPath(rel).parts
    name = parts[-1].lower()
    return name in SYSTEM_FILES or name.startswith("._") or "__MACOSX" in parts or any(
        p.startswith(".") for p in parts
    )


def _unsafe_member(name: str) -> str | None:
    """Why an archive member name is unsafe (zip-slip), or None."""
    if not name or "\x00" in name:
        return "unsafe_member_name"
    norm = name.replace("\\", "/")
    if norm.startswith("/") or (len(norm) > 1 and norm[1] == ":"):
        return "absolute_member_path"
    if any(p == ".." for p in norm.split("/")):
        return "member_path_traversal"
    return None


def group_cases(
    members: list[str], rejected: dict[str, str] | None = None, *, unwrap: bool = False
) -> list[CaseSpec]:
    """Group relative paths into cases (see the module docstring).

    ``unwrap`` (archives): when every member sits under one top-level folder that holds
    only sub-folders (a zipped folder of cases), group below that folder instead.
    """
    rejected = dict(rejected or {})
    every = sorted(set(members) | set(rejected))
    prefix = ""
    while unwrap and every:
        paths = [PurePosixPath(m).parts for m in every]
        tops = {p[0] for p in paths}
        if len(tops) == 1 and all(len(p) > 2 for p in paths):
            prefix += paths[0][0] + "/"
            every = [str(PurePosixPath(*p[1:])) for p in paths]
        else:
            break
    cases: dict[str, CaseSpec] = {}
    for rel in sorted(set(members) | set(rejected)):
        inner = rel[len(prefix):]
        parts = PurePosixPath(inner).parts
        key = prefix + (parts[0] if parts else inner)
        case = cases.setdefault(key, CaseSpec(key=key))
        if rel in rejected:
            case.rejected[rel] = rejected[rel]
        elif _is_system(inner):
            case.ignored[rel] = "system_file"
        else:
            case.inputs.append(rel)
    return [cases[k] for k in sorted(cases)]


class Source:
    """A set of cases and a way to read one input's bytes."""

    cases: list[CaseSpec]

    def read(self, rel: str) -> bytes:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class FolderSource(Source):
    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes
        members: list[str] = []
        rejected: dict[str, str] = {}
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames.sort()
            for d in list(dirnames):
                if (Path(dirpath) / d).is_symlink():
                    rejected[(Path(dirpath) / d).relative_to(root).as_posix()] = "symlink_not_followed"
                    dirnames.remove(d)
            for name in sorted(filenames):
                p = Path(dirpath) / name
                rel = p.relative_to(root).as_posix()
                if p.is_symlink():
                    rejected[rel] = "symlink_not_followed"
                elif not p.is_file():
                    rejected[rel] = "not_a_regular_file"
                else:
                    members.append(rel)
        self.cases = group_cases(members, rejected)

    def read(self, rel: str) -> bytes:
        p = self.root / rel
        if p.is_symlink():
            raise InputError("a symlink is not followed", reason="symlink_not_followed")
        if p.stat().st_size > self.max_bytes:
            raise LimitExceeded("file larger than the file limit", reason="file_too_large")
        return p.read_bytes()


class FileSource(Source):
    def __init__(self, path: Path, max_bytes: int) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.cases = [CaseSpec(key=path.name, inputs=[path.name])]

    def read(self, rel: str) -> bytes:
        if self.path.stat().st_size > self.max_bytes:
            raise LimitExceeded("file larger than the file limit", reason="file_too_large")
        return self.path.read_bytes()


class ZipSource(Source):
    def __init__(self, path: Path, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        try:
            self.zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise InputError(f"cannot open the zip archive ({type(exc).__name__})", reason="bad_archive") from None
        self.infos: dict[str, zipfile.ZipInfo] = {}
        rejected: dict[str, str] = {}
        for info in self.zf.infolist():
            if info.is_dir():
                continue
            name = info.filename
            why = _unsafe_member(name)
            mode = (info.external_attr >> 16) & 0o170000
            if why is None and mode in (0o120000,):  # a symlink stored in the zip
                why = "link_member"
            if why is None and info.file_size > max_bytes:
                why = "file_too_large"
            if why:
                rejected[name.replace("\\", "/") or "<unnamed>"] = why
            else:
                self.infos[name] = info
        self.cases = group_cases(list(self.infos), rejected, unwrap=True)

    def read(self, rel: str) -> bytes:
        info = self.infos[rel]
        with self.zf.open(info) as fh:
            data = fh.read(self.max_bytes + 1)
        if len(data) > self.max_bytes:  # the header lied about the size (zip bomb)
            raise LimitExceeded("archive member larger than the file limit", reason="file_too_large")
        return data

    def close(self) -> None:
        self.zf.close()


class TarSource(Source):
    def __init__(self, path: Path, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        try:
            self.tf = tarfile.open(path, mode="r:*")
            infos = self.tf.getmembers()
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise InputError(f"cannot open the tar archive ({type(exc).__name__})", reason="bad_archive") from None
        self.infos: dict[str, tarfile.TarInfo] = {}
        rejected: dict[str, str] = {}
        for info in infos:
            if info.isdir():
                continue
            why = _unsafe_member(info.name)
            if why is None and (info.issym() or info.islnk()):
                why = "link_member"
            elif why is None and not info.isfile():
                why = "not_a_regular_file"
            elif why is None and info.size > max_bytes:
                why = "file_too_large"
            if why:
                rejected[info.name or "<unnamed>"] = why
            else:
                self.infos[info.name] = info
        self.cases = group_cases(list(self.infos), rejected, unwrap=True)

    def read(self, rel: str) -> bytes:
        fh = self.tf.extractfile(self.infos[rel])
        if fh is None:
            raise InputError("archive member is not a regular file", reason="not_a_regular_file")
        data = fh.read(self.max_bytes + 1)
        if len(data) > self.max_bytes:
            raise LimitExceeded("archive member larger than the file limit", reason="file_too_large")
        return data

    def close(self) -> None:
        self.tf.close()


def open_source(path: str | os.PathLike[str], *, max_bytes: int) -> Source:
    """Open SRC (file, folder or archive) as a :class:`Source`."""
    p = Path(path)
    if p.is_dir():
        return FolderSource(p, max_bytes)
    if not p.is_file():
        raise InputError("the source does not exist or is not a file or folder", reason="missing_source")
    low = p.name.lower()
    if low.endswith(".zip"):
        return ZipSource(p, max_bytes)
    if low.endswith((".tar", ".tar.gz", ".tgz")):
        return TarSource(p, max_bytes)
    return FileSource(p, max_bytes)
