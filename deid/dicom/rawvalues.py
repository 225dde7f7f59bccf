"""Read and write simple element values as raw bytes, without pydicom's conversion.

A header-only pass touches a few dozen elements per file. Converting each with
``ds[tag]`` (charset decoding, value validation) and writing the converted element
back (encoding again) cost more than parsing and writing the whole file. Values we
read are decoded here directly when the character set is a single-byte or UTF-8 one,
and the values we write (pseudonyms, UIDs, shifted dates, empty values) are ASCII, so
they are stored as ``RawDataElement`` bytes in the dataset's own encoding, which
pydicom's writer copies as they are. Anything else falls back to pydicom.
"""

from __future__ import annotations

import codecs
import functools
import struct

from pydicom import config
from pydicom.datadict import dictionary_VR
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.tag import Tag

from deid.dicom.vr import LONG_VRS

_LONG_VRS = LONG_VRS
_DIRECT_CODECS = frozenset({"ascii", "latin-1", "iso8859-1", "utf-8"})


def element(ds: Dataset, tag: int) -> DataElement | RawDataElement | None:
    """The element stored for ``tag``, raw or converted, without converting it."""
    return ds._dict.get(tag)  # type: ignore[call-overload]


@functools.cache
def _codec(names: tuple[str, ...]) -> str | None:
    """The one Python codec to decode raw text with, or None (let pydicom do it)."""
    if len(names) != 1:
        return None
    try:
        name = codecs.lookup(names[0]).name
    except LookupError:
        return None
    if name not in _DIRECT_CODECS:
        return None
    return "latin-1" if name in ("ascii", "iso8859-1") else name


def read_values(ds: Dataset, tag: int) -> list[str]:
    """The values of a text element (split on backslash), without converting it."""
    elem = element(ds, tag)
    if elem is None:
        return []
    if isinstance(elem, RawDataElement):
        raw = elem.value
        if not raw:
            return []
        codec = _codec(tuple(ds.original_character_set or ("latin_1",)))
        if codec is not None and isinstance(raw, bytes):
            text = raw.decode(codec, "replace")
            return [v.strip(" \x00") for v in text.split("\\")]
    value = ds[tag].value
    if value is None or value == "":
        return []
    if isinstance(value, MultiValue | list | tuple):
        return [str(v).strip(" \x00") for v in value]
    return [str(value).strip(" \x00")]


_INT_FORMATS = {"US": "H", "SS": "h", "UL": "I", "SL": "i", "US or SS": "H"}


def read_int(ds: Dataset, tag: int, default: int | None = None) -> int | None:
    """The first value of an integer element (US/SS/UL/SL/IS), without converting it."""
    elem = element(ds, tag)
    if elem is None:
        return default
    if isinstance(elem, RawDataElement) and isinstance(elem.value, bytes):
        vr = elem.VR
        if vr is None or vr == "UN":
            try:
                vr = dictionary_VR(tag)
            except KeyError:
                return default
        fmt = _INT_FORMATS.get(vr)
        if fmt is not None:
            if len(elem.value) < struct.calcsize(fmt):
                return default
            return int(
                struct.unpack_from(("<" if elem.is_little_endian else ">") + fmt, elem.value)[0]
            )
        if vr == "IS":
            text = elem.value.decode("latin-1").split("\\")[0].strip(" \x00")
            try:
                return int(text) if text else default
            except ValueError:
                return default
    try:
        value = ds[tag].value
        if isinstance(value, MultiValue | list | tuple):
            value = value[0] if value else None
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError, KeyError):
        return default


def set_value(ds: Dataset, tag: int, vr: str, values: list[str] | str | None) -> None:
    """Store a text value (or empty) as raw bytes in the dataset's encoding."""
    if values is None:
        text = ""
    elif isinstance(values, str):
        text = values
    else:
        text = "\\".join(values)
    implicit, little = ds.original_encoding
    try:
        data = text.encode("ascii")
    except UnicodeEncodeError:
        data = None
    if implicit is None or little is None or data is None:
        value: object = (
            None
            if not text
            else (values if isinstance(values, str) or values is None else list(values))
        )
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        ds[tag] = DataElement(tag, vr, value, validation_mode=config.IGNORE)
        return
    if len(data) & 1:
        data += b"\x00" if vr == "UI" else b" "
    ds._dict[Tag(tag)] = RawDataElement(
        Tag(tag), vr, len(data), data, 0, implicit, little, True, False
    )


def encode_header(tag: int, vr: str, length: int, implicit: bool, little: bool) -> bytes:
    """An element header (tag, VR, length) in the given encoding (PS3.5 7.1)."""
    e = "<" if little else ">"
    group, elem = tag >> 16, tag & 0xFFFF
    if implicit:
        return struct.pack(e + "HHI", group, elem, length)
    if vr in _LONG_VRS:
        return struct.pack(e + "HH2s2xI", group, elem, vr.encode(), length)
    return struct.pack(e + "HH2sH", group, elem, vr.encode(), length)


def encode_element(tag: int, vr: str, value: bytes, implicit: bool, little: bool) -> bytes:
    """One element's bytes (tag, VR, length, value) in the given encoding."""
    return encode_header(tag, vr, len(value), implicit, little) + value


def encode_items(items: list[list[tuple[int, str, str]]], implicit: bool, little: bool) -> bytes:
    """A sequence value of defined-length items holding simple ASCII text elements."""
    e = "<" if little else ">"
    out = bytearray()
    for item in items:
        body = bytearray()
        for tag, vr, text in sorted(item):
            data = text.encode("ascii")
            if len(data) & 1:
                data += b" "
            body += encode_element(tag, vr, data, implicit, little)
        out += struct.pack(e + "HHI", 0xFFFE, 0xE000, len(body)) + body
    return bytes(out)


def set_raw_sequence(ds: Dataset, tag: int, value: bytes) -> bool:
    """Store a pre-encoded sequence value; False if the dataset's encoding is unknown."""
    implicit, little = ds.original_encoding
    if implicit is None or little is None:
        return False
    ds._dict[Tag(tag)] = RawDataElement(
        Tag(tag), "SQ", len(value), value, 0, implicit, little, True, False
    )
    return True


def materialize_pixels(ds: Dataset) -> None:
    """Turn a raw pixel-data view (memoryview into the input) into bytes, for pydicom."""
    elem = element(ds, 0x7FE00010)
    if isinstance(elem, RawDataElement) and isinstance(elem.value, memoryview):
        ds._dict[Tag(0x7FE00010)] = elem._replace(value=bytes(elem.value))
    elif isinstance(elem, DataElement) and isinstance(elem.value, memoryview):
        elem.value = bytes(elem.value)  # converted before it was materialised
