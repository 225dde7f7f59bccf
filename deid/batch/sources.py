"""Where inputs come from: a file, a folder of cases, or a zip / tar / tar.gz archive.

Grouping rule (the same for folders and archives): each top-level sub-folder is one
case (all files below it, recursively); each top-level file is a case of its own. An
archive whose members all sit under one top-level folder holding only sub-folders (a
zipped folder of cases) is read as that folder.

Safety: archive members with absolute paths, ``..`` components, links or device
entries are rejected (never read, never written); symlinks in folders are never followed
(every path component is opened with ``O_NOFOLLOW``, so a link swapped in after the walk
is refused too); a second member under a name already seen is withheld as
``duplicate_member``; encrypted members and unknown compression methods are withheld for
good (``encrypted_member``, ``unsupported_compression``: not retried by ``--resume``).
Input names are kept only for the manifest (an operator record); they never name an
output.

Bounded memory (:class:`SourceLimits`): members are read in chunks with a running total,
never trusting the size an archive header declares. The kind is sniffed from the first
chunk and each kind has its own cap (a text is small, a DICOM clip may be large); a zip
member that inflates far beyond its compressed size (a bomb) is stopped at a ratio; a
case has a byte budget; a member whose real size differs from its header's is withheld
(``member_size_mismatch``). Members above ``spool_bytes`` (or past a case's in-memory
budget) are spooled to a private temporary file (folder 0700, file 0600, created with
``O_EXCL``) and handed on as a path; the runner releases them when the case is done.
"""

from __future__ import annotations

import copy
import logging
import os
import secrets
import shutil
import stat
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from deid.case.parts import SYSTEM_FILES, sniff_kind
from deid.core.errors import InputError, LimitExceeded

log = logging.getLogger(__name__)

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz")
MiB = 1024 * 1024
# Compression methods zipfile can read: stored, deflated, bzip2, lzma.
_ZIP_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)


@dataclass(frozen=True, slots=True)
class SourceLimits:
    """Byte limits for reading inputs (all sizes in bytes; each also capped by the
    policy's file limit). Defaults keep the reader's own memory near
    ``memory_case_bytes`` per case in flight, whatever an archive holds."""

    text_bytes: int = 32 * MiB  # a case text (policy.text.max_chars is 5 M characters)
    image_bytes: int = 512 * MiB
    dicom_bytes: int = 1024 * MiB
    other_bytes: int = 32 * MiB  # unknown kinds are withheld by the scrubber anyway
    case_bytes: int = 4096 * MiB  # all inputs of one case together
    spool_bytes: int = 8 * MiB  # a member above this goes to a private temp file
    memory_case_bytes: int = 64 * MiB  # in-memory bytes per case; beyond, members spool
    # A zip member may inflate to at most this many times its compressed size once it
    # is past `ratio_floor_bytes` (a 1 MB zip inflating to 1 GiB has a ratio of 1000).
    max_ratio: int = 200
    ratio_floor_bytes: int = 64 * MiB
    chunk_bytes: int = 1 * MiB
    temp_dir: str | None = None

    def cap(self, kind: str, max_bytes: int) -> int:
        per_kind = {"text": self.text_bytes, "image": self.image_bytes, "dicom": self.dicom_bytes}
        return min(max_bytes, per_kind.get(kind, self.other_bytes), self.case_bytes)

    def largest(self, max_bytes: int) -> int:
        return min(max_bytes, max(self.text_bytes, self.image_bytes, self.dicom_bytes, self.other_bytes),
                   self.case_bytes)


class _Withheld(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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


def _member_key(name: str) -> str:
    """The name a member is known by (manifest key): separators and ``./`` normalised."""
    return PurePosixPath(name.replace("\\", "/")).as_posix() if name else "<unnamed>"


def _add_member(key: str, infos: dict[str, object], rejected: dict[str, str], info: object, why: str | None) -> None:
    """Record a member; a name seen before is withheld as ``duplicate_member``."""
    if key in infos or key in rejected:
        n = 2
        while f"{key} (duplicate {n})" in rejected:
            n += 1
        rejected[f"{key} (duplicate {n})"] = "duplicate_member"
        return
    if why:
        rejected[key] = why
    else:
        infos[key] = info


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
    """A set of cases and a way to read one input (bytes, or a spooled private file)."""

    cases: list[CaseSpec]
    max_bytes: int
    limits: SourceLimits

    def _open(self, rel: str) -> tuple[IO[bytes], int | None, int | None]:  # pragma: no cover - interface
        """(stream, declared size or None, compressed size or None) of one input."""
        raise NotImplementedError

    def read(self, rel: str) -> bytes:
        """The whole input in memory (small inputs and sniffing only: prefer read_case)."""
        data, _kind = self._read_member(rel, spool=None)
        assert isinstance(data, bytes)
        return data

    def sniff(self, rel: str) -> str:
        """The kind of an input from its first chunk only (dry runs)."""
        try:
            fh, _declared, _compressed = self._open(rel)
            with fh:
                return sniff_kind(fh.read(65536))
        except Exception:  # noqa: BLE001 - a dry run only counts
            return "unreadable"

    def read_case(self, case: CaseSpec) -> tuple[list[tuple[str, bytes | Path]], dict[str, str]]:
        """Every input of ``case``: (rel, bytes or spooled path) and rel -> withheld reason.

        Members are read one at a time within the case's byte budget; larger ones are
        spooled to private files, released with :meth:`release`.
        """
        inputs: list[tuple[str, bytes | Path]] = []
        failed: dict[str, str] = {}
        total = in_memory = 0
        for rel in case.inputs:
            budget = self.limits.case_bytes - total
            if budget <= 0:
                failed[rel] = "case_budget_exceeded"
                continue
            def spool(size: int, _m: int = in_memory) -> bool:
                return size > self.limits.spool_bytes or _m + size > self.limits.memory_case_bytes

            try:
                data, _kind = self._read_member(rel, spool=spool, budget=budget, case=case.key)
            except _Withheld as exc:
                failed[rel] = exc.reason
                continue
            except (InputError, LimitExceeded) as exc:
                failed[rel] = exc.reason
                continue
            except OSError:
                failed[rel] = "unreadable_file"  # transient: retried by --resume
                continue
            size = data.stat().st_size if isinstance(data, Path) else len(data)
            total += size
            if isinstance(data, bytes):
                in_memory += size
            inputs.append((rel, data))
        return inputs, failed

    def release(self, case_key: str) -> None:
        """Delete the spooled files of a finished case."""
        for path in self._spooled.pop(case_key, []):
            path.unlink(missing_ok=True)

    # ---- streaming core ----------------------------------------------------------------
    _spooled: dict[str, list[Path]]
    _spool_dir: str | None = None

    def _init_reader(self, max_bytes: int, limits: SourceLimits | None) -> None:
        self.max_bytes = max_bytes
        self.limits = limits or SourceLimits()
        self._spooled = {}
        self._spool_dir = None

    def _new_spool_file(self, case: str) -> tuple[int, Path]:
        if self._spool_dir is None:
            self._spool_dir = tempfile.mkdtemp(prefix="deid-spool-", dir=self.limits.temp_dir)  # 0700
        path = Path(self._spool_dir) / f"m-{secrets.token_hex(12)}"
        # Created private, never chmod'ed afterwards: no window where others can read.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        self._spooled.setdefault(case, []).append(path)
        return fd, path

    def _read_member(self, rel: str, *, spool: Callable[[int], bool] | None, budget: int | None = None,
                     case: str = "") -> tuple[bytes | Path, str]:
        try:
            fh, declared, compressed = self._open(rel)
        except (zipfile.BadZipFile, zlib.error, EOFError, tarfile.TarError) as exc:
            raise _Withheld("corrupt_member") from exc
        except NotImplementedError as exc:
            raise _Withheld("unsupported_compression") from exc
        except RuntimeError as exc:  # zipfile: "File is encrypted, password required"
            raise _Withheld("encrypted_member") from exc
        limit = self.limits.largest(self.max_bytes)
        if budget is not None:
            limit = min(limit, budget)
        def too_large(size: int, kind_cap: int) -> _Withheld:
            over_budget = budget is not None and size > budget and budget < kind_cap
            return _Withheld("case_budget_exceeded" if over_budget else "file_too_large")

        if declared is not None and declared > limit:
            fh.close()
            raise too_large(declared, self.limits.largest(self.max_bytes))
        chunks: list[bytes] = []
        fd: int | None = None
        path: Path | None = None
        total = 0
        kind = "unknown"
        cap = limit
        try:
            with fh:
                while True:
                    try:
                        block = fh.read(self.limits.chunk_bytes)
                    except (zipfile.BadZipFile, zlib.error, EOFError, tarfile.TarError) as exc:
                        raise _Withheld("corrupt_member") from exc
                    if not block:
                        break
                    if total == 0:
                        kind = sniff_kind(block[:65536])
                        cap = min(limit, self.limits.cap(kind, self.max_bytes))
                    total += len(block)
                    if total > cap:
                        raise too_large(total, self.limits.cap(kind, self.max_bytes))
                    if (compressed is not None and total > self.limits.ratio_floor_bytes
                            and total > self.limits.max_ratio * max(1, compressed)):
                        raise _Withheld("compression_ratio_exceeded")
                    if declared is not None and total > declared:
                        raise _Withheld("member_size_mismatch")  # the header lied (smaller)
                    if fd is None and spool is not None and spool(total):
                        fd, path = self._new_spool_file(case)
                        for c in chunks:
                            os.write(fd, c)
                        chunks = []
                    if fd is not None:
                        os.write(fd, block)
                    else:
                        chunks.append(block)
            if declared is not None and total != declared:
                raise _Withheld("member_size_mismatch")  # the header lied (larger)
        except BaseException:
            if fd is not None:
                os.close(fd)
                fd = None
            if path is not None:
                path.unlink(missing_ok=True)
                spooled = self._spooled.get(case, [])
                if path in spooled:
                    spooled.remove(path)
            raise
        if fd is not None:
            os.close(fd)
            assert path is not None
            return path, kind
        return b"".join(chunks), kind

    def close(self) -> None:
        if self._spool_dir is not None:
            shutil.rmtree(self._spool_dir, ignore_errors=True)
            self._spool_dir = None
        self._spooled = {}

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_nofollow(root: Path, rel: str) -> int:
    """Open ``root/rel`` for reading without following a link in any component.

    Each directory is opened relative to its parent with ``O_NOFOLLOW | O_DIRECTORY``
    and the file with ``O_NOFOLLOW | O_NONBLOCK`` (a FIFO must not block us), then
    checked to be a regular file on the open descriptor: no check-then-use race.
    """
    parts = PurePosixPath(rel).parts
    if not parts or any(p in ("", ".", "..") for p in parts):
        raise InputError("unsafe relative path", reason="unsafe_member_name")
    dir_flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    try:
        for part in parts[:-1]:
            try:
                nfd = os.open(part, dir_flags, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (40, 20):  # ELOOP / ENOTDIR: a link where a folder was
                    raise InputError("a symlink is not followed", reason="symlink_not_followed") from None
                raise
            os.close(fd)
            fd = nfd
        try:
            ffd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0),
                          dir_fd=fd)
        except OSError as exc:
            if exc.errno == 40:  # ELOOP
                raise InputError("a symlink is not followed", reason="symlink_not_followed") from None
            raise
    finally:
        os.close(fd)
    if not stat.S_ISREG(os.fstat(ffd).st_mode):
        os.close(ffd)
        raise InputError("not a regular file", reason="not_a_regular_file")
    os.set_blocking(ffd, True)
    return ffd


class FolderSource(Source):
    def __init__(self, root: Path, max_bytes: int, limits: SourceLimits | None = None) -> None:
        self._init_reader(max_bytes, limits)
        self.root = root
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

    def _open(self, rel: str) -> tuple[IO[bytes], int | None, int | None]:
        fd = open_nofollow(self.root, rel)
        fh = os.fdopen(fd, "rb")
        # The size of the opened file (not of whatever the path names now).
        return fh, os.fstat(fd).st_size, None


class FileSource(Source):
    def __init__(self, path: Path, max_bytes: int, limits: SourceLimits | None = None) -> None:
        self._init_reader(max_bytes, limits)
        self.path = path
        self.cases = [CaseSpec(key=path.name, inputs=[path.name])]

    def _open(self, rel: str) -> tuple[IO[bytes], int | None, int | None]:
        fh = self.path.open("rb")  # the operator named this file: a link to it is fine
        return fh, os.fstat(fh.fileno()).st_size, None


class ZipSource(Source):
    def __init__(self, path: Path, max_bytes: int, limits: SourceLimits | None = None) -> None:
        self._init_reader(max_bytes, limits)
        try:
            self.zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise InputError(f"cannot open the zip archive ({type(exc).__name__})", reason="bad_archive") from None
        self.infos: dict[str, zipfile.ZipInfo] = {}
        rejected: dict[str, str] = {}
        largest = self.limits.largest(max_bytes)
        for info in self.zf.infolist():
            if info.is_dir():
                continue
            name = info.filename
            why = _unsafe_member(name)
            mode = (info.external_attr >> 16) & 0o170000
            if why is None and mode in (0o120000,):  # a symlink stored in the zip
                why = "link_member"
            if why is None and info.flag_bits & 0x1:
                why = "encrypted_member"  # permanent: no password will ever be given
            if why is None and info.compress_type not in _ZIP_METHODS:
                why = "unsupported_compression"
            if why is None and info.file_size > largest:
                why = "file_too_large"
            _add_member(_member_key(name) if why is None else (name.replace("\\", "/") or "<unnamed>"),
                        self.infos, rejected, info, why)  # type: ignore[arg-type]
        self.cases = group_cases(list(self.infos), rejected, unwrap=True)

    def _open(self, rel: str) -> tuple[IO[bytes], int | None, int | None]:
        info = self.infos[rel]
        # zipfile stops at the size the header declares (and then fails the CRC): read
        # with our own limit instead, so a member that inflates beyond its header is
        # seen for what it is (member_size_mismatch), and stopped at our caps.
        probe = copy.copy(info)
        probe.file_size = self.limits.largest(self.max_bytes) + 1
        return self.zf.open(probe), info.file_size, info.compress_size

    def close(self) -> None:
        super().close()
        self.zf.close()


class TarSource(Source):
    def __init__(self, path: Path, max_bytes: int, limits: SourceLimits | None = None) -> None:
        self._init_reader(max_bytes, limits)
        try:
            self.tf = tarfile.open(path, mode="r:*")
            infos = self.tf.getmembers()
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            raise InputError(f"cannot open the tar archive ({type(exc).__name__})", reason="bad_archive") from None
        self.infos: dict[str, tarfile.TarInfo] = {}
        rejected: dict[str, str] = {}
        largest = self.limits.largest(max_bytes)
        for info in infos:
            if info.isdir():
                continue
            why = _unsafe_member(info.name)
            if why is None and (info.issym() or info.islnk()):
                why = "link_member"
            elif why is None and info.issparse():
                why = "unsupported_member"
            elif why is None and not info.isfile():
                why = "not_a_regular_file"
            elif why is None and info.size > largest:
                why = "file_too_large"
            _add_member(_member_key(info.name) if why is None else (info.name or "<unnamed>"),
                        self.infos, rejected, info, why)  # type: ignore[arg-type]
        self.cases = group_cases(list(self.infos), rejected, unwrap=True)

    def _open(self, rel: str) -> tuple[IO[bytes], int | None, int | None]:
        fh = self.tf.extractfile(self.infos[rel])
        if fh is None:
            raise InputError("archive member is not a regular file", reason="not_a_regular_file")
        # The tar header's size is what extractfile reads: it cannot over-deliver; a
        # truncated archive under-delivers and is caught as member_size_mismatch.
        return fh, self.infos[rel].size, None

    def close(self) -> None:
        super().close()
        self.tf.close()


def open_source(path: str | os.PathLike[str], *, max_bytes: int, limits: SourceLimits | None = None) -> Source:
    """Open SRC (file, folder or archive) as a :class:`Source`."""
    p = Path(path)
    if p.is_dir():
        return FolderSource(p, max_bytes, limits)
    if not p.is_file():
        raise InputError("the source does not exist or is not a file or folder", reason="missing_source")
    low = p.name.lower()
    if low.endswith(".zip"):
        return ZipSource(p, max_bytes, limits)
    if low.endswith((".tar", ".tar.gz", ".tgz")):
        return TarSource(p, max_bytes, limits)
    return FileSource(p, max_bytes, limits)
