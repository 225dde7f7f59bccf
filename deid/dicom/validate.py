"""Is this a whole, well-formed DICOM file? Decided from the bytes, before pydicom.

pydicom parses truncated files and elements declaring 2 GB lengths without complaint
(ENVIRONMENT.md), so trusting its parse would let a damaged file through half-cleaned.
:func:`check_structure` walks the element stream itself: every element, item and
fragment must lie inside its container and the file, sequences must close, and nothing
but zero padding may follow the last element. Deflated datasets are inflated (with a
size cap) and checked the same way. Errors carry reason codes, never content.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

from deid.core.errors import InputError, LimitExceeded, WithheldError
from deid.dicom.vr import LONG_VRS_BYTES

IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
DEFLATED_LE = "1.2.840.10008.1.2.1.99"
EXPLICIT_BE = "1.2.840.10008.1.2.2"

# VRs with a 2-byte reserved field and a 4-byte length in explicit VR (PS3.5 7.1.2).
_LONG_VRS = LONG_VRS_BYTES
_UNDEFINED = 0xFFFFFFFF
_ITEM = 0xFFFEE000
_ITEM_END = 0xFFFEE00D
_SEQ_END = 0xFFFEE0DD
_PIXEL_DATA = 0x7FE00010
_MAX_DEPTH = 32
_MAX_ELEMENTS = 2_000_000


@dataclass(slots=True)
class Structure:
    """What the byte-level walk learned. No values, only offsets and codes."""

    has_preamble: bool
    has_file_meta: bool
    transfer_syntax: str | None  # from the file meta; None when there is none
    implicit: bool
    little_endian: bool
    deflated: bool
    dataset_offset: int
    pixel_data_length: int | None = None  # value length of top-level (7FE0,0010)
    pixel_data_encapsulated: bool = False
    pixel_fragments: int = 0
    trailing_padding: bool = False  # (FFFC,FFFC) present at top level
    # Where the top-level pixel data value lies in the (inflated) dataset bytes, so the
    # parse can stop before it and the writer copy it without decoding.
    pixel_value_start: int | None = None
    pixel_value_end: int | None = None
    pixel_vr: str | None = None
    dataset_bytes: bytes | None = None  # the inflated dataset of a deflated file
    dropped_tail: int = 0  # bytes after the pixel data that were not elements (dropped)
    last_element_start: int | None = None
    tags_before_last: int = 0
    elements: int = 0
    top_level_tags: list[int] = field(default_factory=list)


class _Truncated(Exception):
    pass


def is_dicom(head: bytes) -> bool:
    """Content sniffing: "DICM" at offset 128, or a plausible dataset start.

    Accepts a file without preamble whose first element is in group 0002 (file meta),
    0008 (identifying) or another low group, in implicit or explicit VR little endian.
    ``head`` needs at least 132 bytes for the preamble check (fewer are fine otherwise).
    """
    if len(head) >= 132 and head[128:132] == b"DICM":
        return True
    return _plausible_start(head) is not None


def _plausible_start(head: bytes) -> tuple[bool, bool] | None:
    """(implicit, little_endian) if ``head`` looks like a raw dataset or meta start."""
    if len(head) < 8:
        return None
    for endian, little in (("<", True), (">", False)):
        group, elem = struct.unpack_from(endian + "HH", head, 0)
        if group not in (0x0002, 0x0008) and not (0x0000 < group <= 0x0010 and group % 2 == 0):
            continue
        if elem > 0x0100 and group != 0x0008:
            continue
        vr = head[4:6]
        if vr.isalpha() and vr.isupper():
            if vr in _LONG_VRS and (len(head) < 12 or head[6:8] != b"\x00\x00"):
                continue
            return (False, little)
        if not little:
            continue  # implicit VR is always little endian
        (length,) = struct.unpack_from("<I", head, 4)
        # Implicit VR: the first element of a real dataset is short (a code, a UID, a length).
        if length <= 1024 and length % 2 == 0:
            return (True, True)
    return None


def check_structure(buf: bytes, *, max_bytes: int) -> Structure:
    """Walk the whole file; raise on anything that is not one complete DICOM object.

    Raises InputError (``not_dicom``), LimitExceeded (``file_too_large``) or
    WithheldError (``truncated``, ``malformed``, ``unsupported_transfer_syntax``,
    ``trailing_data``).
    """
    if len(buf) > max_bytes:
        raise LimitExceeded(
            f"file of {len(buf)} bytes exceeds the limit of {max_bytes}", reason="file_too_large"
        )
    has_preamble = len(buf) >= 132 and buf[128:132] == b"DICM"
    pos = 132 if has_preamble else 0
    if not has_preamble and _plausible_start(buf[:16]) is None:
        raise InputError(
            "not a DICOM file (no DICM marker and no dataset start)", reason="not_dicom"
        )
    try:
        return _check(buf, pos, has_preamble, max_bytes)
    except _Truncated:
        raise WithheldError(
            "the file is truncated or declares lengths past its end", reason="truncated"
        ) from None
    except struct.error:
        raise WithheldError(
            "the file is truncated inside an element header", reason="truncated"
        ) from None


def _check(buf: bytes, pos: int, has_preamble: bool, max_bytes: int) -> Structure:
    ts: str | None = None
    has_meta = False
    # File meta: always explicit VR little endian, group 0002 (PS3.10 7.1).
    if len(buf) >= pos + 6 and struct.unpack_from("<H", buf, pos)[0] == 0x0002:
        has_meta = True
        while len(buf) >= pos + 4 and struct.unpack_from("<H", buf, pos)[0] == 0x0002:
            tag, vr, length, header = _explicit_header(buf, pos, "<")
            if length == _UNDEFINED:
                raise WithheldError("undefined length in file meta", reason="malformed")
            start = pos + header
            end = start + length
            if end > len(buf):
                raise _Truncated
            if tag == 0x00020010:
                ts = buf[start:end].rstrip(b"\x00 ").decode("ascii", "replace")
            pos = end
        if ts is None:
            raise WithheldError("file meta has no transfer syntax", reason="malformed")
    elif has_preamble:
        # "DICM" with no group 0002 after it: pydicom would guess; we refuse.
        raise WithheldError("DICM marker without file meta information", reason="malformed")

    deflated = ts == DEFLATED_LE
    if ts is None:
        guess = _plausible_start(buf[pos : pos + 16])
        if guess is None:
            raise InputError("not a DICOM dataset", reason="not_dicom")
        implicit, little = guess
    elif ts == IMPLICIT_LE:
        implicit, little = True, True
    elif ts == EXPLICIT_BE:
        implicit, little = False, False
    else:
        from pydicom.uid import UID

        uid = UID(ts)
        if not uid.is_transfer_syntax:
            raise WithheldError("unknown transfer syntax", reason="unsupported_transfer_syntax")
        implicit, little = False, True

    if not implicit and not deflated and len(buf) >= pos + 6:
        # Like pydicom, accept an implicit VR dataset under an explicit VR transfer
        # syntax (a common writer bug): decided on the first element's VR bytes.
        vr0 = buf[pos + 4 : pos + 6]
        if not (vr0.isalpha() and vr0.isupper()):
            implicit = True
    data = buf
    dataset_offset = pos
    if deflated:
        data = _inflate(buf[pos:], max_bytes)
        pos = 0
    structure = Structure(
        has_preamble=has_preamble,
        has_file_meta=has_meta,
        transfer_syntax=ts,
        implicit=implicit,
        little_endian=little,
        deflated=deflated,
        dataset_offset=dataset_offset,
    )
    if deflated:
        structure.dataset_bytes = data
    walker = _Walker(data, "<" if little else ">", implicit, structure)
    end = walker.walk_dataset(pos, len(data), depth=0, top=True)
    rest = data[end:]
    if rest and rest.strip(b"\x00"):
        raise WithheldError("bytes after the end of the dataset", reason="trailing_data")
    return structure


def _inflate(raw: bytes, max_bytes: int) -> bytes:
    """Inflate a deflated dataset (raw DEFLATE, PS3.5 A.5) with a size cap (bombs)."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        out = inflater.decompress(raw, max_bytes + 1)
    except zlib.error:
        raise WithheldError("deflated dataset is corrupt", reason="malformed") from None
    if len(out) > max_bytes or inflater.unconsumed_tail:
        raise LimitExceeded("inflated dataset exceeds the size limit", reason="file_too_large")
    if not inflater.eof:
        raise WithheldError("deflated dataset is truncated", reason="truncated")
    return out


def inflate_dataset(buf: bytes, structure: Structure, max_bytes: int) -> bytes:
    """The dataset bytes of a deflated file, inflated (for leak checks and tests)."""
    return _inflate(buf[structure.dataset_offset :], max_bytes)


def _explicit_header(buf: bytes, pos: int, endian: str) -> tuple[int, bytes, int, int]:
    group, elem = struct.unpack_from(endian + "HH", buf, pos)
    tag = (group << 16) | elem
    if group == 0xFFFE:  # items and delimiters never carry a VR
        (length,) = struct.unpack_from(endian + "I", buf, pos + 4)
        return tag, b"", length, 8
    vr = bytes(buf[pos + 4 : pos + 6])
    if len(vr) < 2:
        raise _Truncated
    if vr in _LONG_VRS:
        (length,) = struct.unpack_from(endian + "I", buf, pos + 8)
        return tag, vr, length, 12
    if not (65 <= vr[0] <= 90 and 65 <= vr[1] <= 90):
        raise WithheldError("invalid VR in an explicit VR dataset", reason="malformed")
    (length,) = struct.unpack_from(endian + "H", buf, pos + 6)
    return tag, vr, length, 8


class _Walker:
    def __init__(self, buf: bytes, endian: str, implicit: bool, structure: Structure) -> None:
        self.buf = buf
        self.endian = endian
        self.implicit = implicit
        self.structure = structure

    def _header(self, pos: int, implicit: bool) -> tuple[int, bytes, int, int]:
        if implicit:
            group, elem, length = struct.unpack_from(self.endian + "HHI", self.buf, pos)
            return (group << 16) | elem, b"", length, 8
        return _explicit_header(self.buf, pos, self.endian)

    def walk_dataset(
        self,
        pos: int,
        end: int,
        *,
        depth: int,
        top: bool = False,
        implicit: bool | None = None,
        item: bool = False,
    ) -> int:
        """Walk elements from ``pos`` up to ``end`` (or an item delimiter when ``item``)."""
        if depth > _MAX_DEPTH:
            raise WithheldError("sequences nested too deeply", reason="malformed")
        implicit = self.implicit if implicit is None else implicit
        if top:
            return self._walk_top(pos, end, implicit)
        return self._walk_elements(pos, end, depth=depth, top=False, implicit=implicit, item=item)

    def _walk_top(self, pos: int, end: int, implicit: bool) -> int:
        """The top-level dataset. Bytes after a complete pixel data element that do not
        form elements are dropped (they would never be written), with a note; anywhere
        else a bad element means a damaged file."""
        structure = self.structure
        try:
            return self._walk_elements(pos, end, depth=0, top=True, implicit=implicit, item=False)
        except (_Truncated, WithheldError, struct.error):
            start = structure.last_element_start
            if (
                structure.pixel_value_end is None
                or start is None
                or start < structure.pixel_value_end
            ):
                raise
            structure.dropped_tail = end - start
            del structure.top_level_tags[structure.tags_before_last :]
            return end

    def _walk_elements(
        self, pos: int, end: int, *, depth: int, top: bool, implicit: bool, item: bool
    ) -> int:
        buf = self.buf
        structure = self.structure
        while pos < end:
            if top:
                structure.last_element_start = pos
                structure.tags_before_last = len(structure.top_level_tags)
            if end - pos < 8:
                if top and not buf[pos:end].strip(b"\x00"):
                    return pos  # zero padding after the last element
                raise _Truncated
            tag, vr, length, header = self._header(pos, implicit)
            structure.elements += 1
            if structure.elements > _MAX_ELEMENTS:
                raise LimitExceeded("too many data elements", reason="too_many_elements")
            pos += header
            if tag == _ITEM_END:
                if not item:
                    raise WithheldError("item delimiter outside an item", reason="malformed")
                return pos
            if tag in (_ITEM, _SEQ_END):
                raise WithheldError("item tag outside a sequence", reason="malformed")
            if top:
                if tag >> 16 == 0x0002:
                    raise WithheldError("file meta elements inside the dataset", reason="malformed")
                structure.top_level_tags.append(tag)
                if tag == 0xFFFCFFFC:
                    structure.trailing_padding = True
            is_sq = vr == b"SQ" or (implicit and _implicit_is_sequence(tag))
            if length == _UNDEFINED:
                if tag == _PIXEL_DATA and top:
                    structure.pixel_value_start = pos
                    structure.pixel_vr = vr.decode("ascii") if vr else None
                    pos = self._walk_fragments(pos, end)
                    structure.pixel_value_end = pos - 8  # the raw value excludes the delimiter
                elif is_sq or vr in (b"UN", b""):
                    # Undefined-length UN is a sequence in implicit VR LE (PS3.5 6.2.2).
                    inner_implicit = True if vr == b"UN" else implicit
                    pos = self._walk_sequence(pos, end, None, depth + 1, inner_implicit)
                else:
                    raise WithheldError(
                        "undefined length on a non-sequence element", reason="malformed"
                    )
                continue
            value_end = pos + length
            if value_end > end:
                raise _Truncated
            if tag == _PIXEL_DATA and top:
                structure.pixel_data_length = length
                structure.pixel_value_start = pos
                structure.pixel_value_end = value_end
                structure.pixel_vr = vr.decode("ascii") if vr else None
            if is_sq and length:
                self._walk_sequence(pos, value_end, value_end, depth + 1, implicit)
            pos = value_end
        if pos != end and not item:
            raise _Truncated
        if item:
            raise _Truncated  # an undefined-length item must close with a delimiter
        return pos

    def _walk_sequence(
        self, pos: int, end: int, seq_end: int | None, depth: int, implicit: bool
    ) -> int:
        """Items of a sequence; ``seq_end`` is the defined end, or None (delimited)."""
        limit = end if seq_end is None else seq_end
        while True:
            if seq_end is not None and pos == seq_end:
                return pos
            if limit - pos < 8:
                raise _Truncated
            group, elem, length = struct.unpack_from(self.endian + "HHI", self.buf, pos)
            tag = (group << 16) | elem
            pos += 8
            if tag == _SEQ_END:
                if seq_end is not None:
                    raise WithheldError(
                        "sequence delimiter in a defined-length sequence", reason="malformed"
                    )
                return pos
            if tag != _ITEM:
                raise WithheldError("unexpected tag inside a sequence", reason="malformed")
            if length == _UNDEFINED:
                pos = self.walk_dataset(pos, limit, depth=depth, implicit=implicit, item=True)
            else:
                item_end = pos + length
                if item_end > limit:
                    raise _Truncated
                self.walk_dataset(pos, item_end, depth=depth, implicit=implicit)
                pos = item_end

    def _walk_fragments(self, pos: int, end: int) -> int:
        """Encapsulated pixel data: offset table item, fragments, sequence delimiter."""
        structure = self.structure
        structure.pixel_data_encapsulated = True
        total = 0
        while True:
            if end - pos < 8:
                raise _Truncated
            group, elem, length = struct.unpack_from(self.endian + "HHI", self.buf, pos)
            tag = (group << 16) | elem
            pos += 8
            if tag == _SEQ_END:
                structure.pixel_data_length = total
                return pos
            if tag != _ITEM or length == _UNDEFINED:
                raise WithheldError("malformed encapsulated pixel data", reason="malformed")
            if pos + length > end:
                raise _Truncated
            structure.pixel_fragments += 1
            total += length
            pos += length


def _implicit_is_sequence(tag: int) -> bool:
    if tag >> 16 & 1:  # private: unknown in implicit VR; treated as opaque bytes
        return False
    from pydicom.datadict import dictionary_VR

    try:
        return dictionary_VR(tag) == "SQ"
    except KeyError:
        return False


def expected_native_pixel_bytes(
    rows: int, columns: int, frames: int, samples: int, bits_allocated: int
) -> int:
    """Bytes of native (uncompressed) pixel data, without the even-length pad byte."""
    bits = rows * columns * frames * samples * bits_allocated
    return (bits + 7) // 8
