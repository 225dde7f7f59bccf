"""Case parts: what one item of a case is, decided by its content, never by its name.

A file called ``scan.jpg`` may be a DICOM file and ``IMG_0001`` a JPEG; a name may also
carry PHI (``SMITH_JOHN.dcm``), so names are kept only as an operator reference and never
used to pick a scrubber or to name an output.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from deid.core.errors import InputError

PartKind = Literal["text", "image", "dicom", "unknown"]

# Image signatures (magic numbers). HEIF/AVIF brands follow "ftyp" at offset 4.
_IMAGE_MAGIC: tuple[tuple[int, bytes], ...] = (
    (0, b"\xff\xd8\xff"),  # JPEG
    (0, b"\x89PNG\r\n\x1a\n"),  # PNG
    (0, b"II*\x00"),  # TIFF little-endian
    (0, b"MM\x00*"),  # TIFF big-endian
    (0, b"GIF87a"),
    (0, b"GIF89a"),
    (0, b"BM"),  # BMP
)
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"heim", b"heis"}
# Operating-system litter that is not part of a case: recorded as skipped, never read.
SYSTEM_FILES = frozenset({".ds_store", "thumbs.db", "desktop.ini", "._.ds_store"})


@dataclass(slots=True)
class CasePart:
    """One item of a case.

    ``data`` is the content: ``bytes`` (sniffed), ``str`` (text content, not a path)
    or a :class:`os.PathLike` (a file to read). ``name`` is an operator reference
    (e.g. a relative path) that may itself be PHI: it is never written into an output
    or a Report. ``kind`` forces the part kind instead of sniffing.
    """

    data: bytes | str | os.PathLike[str]
    name: str | None = field(default=None, repr=False)
    kind: PartKind | None = None


def is_dicom_bytes(head: bytes) -> bool:
    """DICOM content sniffing through deid.dicom (its ``is_dicom`` knows raw datasets)."""
    try:
        from deid.dicom import is_dicom
    except ImportError:  # deid.dicom not installed: only Part-10 files are recognised
        return len(head) >= 132 and head[128:132] == b"DICM"
    return bool(is_dicom(head))


def is_image_bytes(head: bytes) -> bool:
    """True for JPEG, PNG, TIFF, GIF, BMP, WebP and HEIF/AVIF by magic number."""
    for offset, magic in _IMAGE_MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return True
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return True
    return head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS


def looks_like_text(data: bytes) -> bool:
    """UTF-8 without NUL bytes or other binary control characters."""
    if b"\x00" in data[:65536]:
        return False
    try:
        sample = data[:65536].decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the sample boundary is still text.
        if exc.start < len(data[:65536]) - 4:
            return False
        sample = data[: exc.start].decode("utf-8")
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\t\n\r\f\v")
    return controls <= len(sample) // 1000


def sniff_kind(data: bytes) -> PartKind:
    """The part kind of ``data`` by content: DICOM, then images, then UTF-8 text."""
    head = data[:4096]
    if is_dicom_bytes(head):
        return "dicom"
    if is_image_bytes(head):
        return "image"
    if data and looks_like_text(data):
        return "text"
    return "unknown"


def load_part(item: CasePart | bytes | str | os.PathLike[str] | tuple[str, bytes]) -> tuple[bytes | str, str | None, PartKind]:
    """Resolve one case item to (content, operator name, kind)."""
    if isinstance(item, tuple):
        item = CasePart(item[1], name=item[0])
    elif not isinstance(item, CasePart):
        item = CasePart(item)
    data: bytes | str | os.PathLike[str] = item.data
    name: str | None = item.name
    if isinstance(data, os.PathLike):
        path = Path(data)
        name = name or path.name
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read a case file ({type(exc).__name__})", reason="unreadable_file") from None
    if isinstance(data, str):
        return data, name, item.kind or "text"
    if isinstance(data, bytearray | memoryview):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise InputError("a case item must be bytes, str (text) or a path", reason="invalid_input")
    return data, name, item.kind or sniff_kind(data)
