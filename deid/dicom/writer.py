"""Write a de-identified dataset as a Part-10 file.

Header-only de-identification leaves almost every element as the raw bytes pydicom
read (``RawDataElement``), and the values we set are raw bytes too (``rawvalues.py``).
This writer copies raw elements straight into the output with their headers encoded
here, and hands only converted elements (sequences we walked, values pydicom decoded)
to pydicom's element writer. It writes what pydicom would write, in less time: no
per-element buffer, no second copy of the pixel data. Deflated output, and datasets
whose elements are not all in the output encoding, go through ``Dataset.save_as``.
"""

from __future__ import annotations

import io
import struct

from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_data_element

from deid.dicom.rawvalues import encode_element, materialize_pixels
from deid.dicom.validate import DEFLATED_LE, EXPLICIT_BE, IMPLICIT_LE

_UNDEFINED = 0xFFFFFFFF
_LONG_VRS = frozenset(
    {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"}
)


def encode_file_meta(
    sop_class: str, sop_instance: str, transfer_syntax: str, impl_uid: str, impl_version: str
) -> bytes:
    """Group 0002 in explicit VR little endian, with its group length (PS3.10 7.1)."""

    def text(value: str, pad: bytes) -> bytes:
        data = value.encode("ascii")
        return data + pad if len(data) & 1 else data

    body = b"".join(
        [
            encode_element(0x00020001, "OB", b"\x00\x01", False, True),
            encode_element(0x00020002, "UI", text(sop_class, b"\x00"), False, True),
            encode_element(0x00020003, "UI", text(sop_instance, b"\x00"), False, True),
            encode_element(0x00020010, "UI", text(transfer_syntax, b"\x00"), False, True),
            encode_element(0x00020012, "UI", text(impl_uid, b"\x00"), False, True),
            encode_element(0x00020013, "SH", text(impl_version, b" "), False, True),
        ]
    )
    return encode_element(0x00020000, "UL", struct.pack("<I", len(body)), False, True) + body


def write_part10(ds: Dataset, meta: FileMetaDataset, transfer_syntax: str) -> bytes:
    """Zeroed preamble, "DICM", file meta, dataset in ``transfer_syntax``."""
    implicit = transfer_syntax == IMPLICIT_LE
    little = transfer_syntax != EXPLICIT_BE
    if transfer_syntax == DEFLATED_LE or ds.original_encoding != (implicit, little):
        return _write_with_pydicom(ds, meta)
    parts = [
        b"\x00" * 128,
        b"DICM",
        encode_file_meta(
            str(meta.MediaStorageSOPClassUID),
            str(meta.MediaStorageSOPInstanceUID),
            transfer_syntax,
            str(meta.ImplementationClassUID),
            str(meta.ImplementationVersionName),
        ),
    ]
    e = "<" if little else ">"
    converted = DicomBytesIO()
    converted.is_little_endian = little
    converted.is_implicit_VR = implicit
    encodings = ds._character_set
    elements = ds._dict
    for tag in sorted(elements):
        elem = elements[tag]
        if (
            isinstance(elem, RawDataElement)
            and elem.is_implicit_VR == implicit
            and elem.is_little_endian == little
            and (implicit or (elem.VR and len(elem.VR) == 2))
            and isinstance(elem.value, bytes | memoryview | None)
        ):
            value = elem.value or b""
            if elem.length == _UNDEFINED:
                group, number = tag >> 16, tag & 0xFFFF
                if implicit:
                    parts.append(struct.pack(e + "HHI", group, number, _UNDEFINED))
                elif elem.VR in _LONG_VRS:
                    parts.append(
                        struct.pack(e + "HH2s2xI", group, number, elem.VR.encode(), _UNDEFINED)
                    )
                else:
                    return _write_with_pydicom(ds, meta)
                parts.append(value)
                parts.append(struct.pack(e + "HHI", 0xFFFE, 0xE0DD, 0))
            else:
                if len(value) & 1:
                    return _write_with_pydicom(ds, meta)
                if not implicit and elem.VR not in _LONG_VRS and len(value) > 0xFFFF:
                    return _write_with_pydicom(ds, meta)
                parts.append(encode_element(tag, elem.VR or "UN", value, implicit, little))
            continue
        # A converted element: pydicom encodes it (charset, numbers, sequences).
        item = ds[tag]
        start = converted.tell()
        write_data_element(converted, item, encodings)
        parts.append(converted.getvalue()[start:])
    return b"".join(parts)


def _write_with_pydicom(ds: Dataset, meta: FileMetaDataset) -> bytes:
    materialize_pixels(ds)
    ds.file_meta = meta
    ds.preamble = b"\x00" * 128
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()
