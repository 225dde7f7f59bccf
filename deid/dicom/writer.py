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
from pydicom.filewriter import dcmwrite, write_data_element
from pydicom.uid import UID

from deid.dicom.rawvalues import encode_element, encode_header, materialize_pixels
from deid.dicom.validate import DEFLATED_LE, EXPLICIT_BE, IMPLICIT_LE
from deid.dicom.vr import LONG_VRS

_UNDEFINED = 0xFFFFFFFF
_LONG_VRS = LONG_VRS


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


def write_part10(
    ds: Dataset,
    *,
    sop_class: str,
    sop_instance: str,
    transfer_syntax: str,
    implementation_uid: str,
    implementation_version: str,
) -> tuple[bytes, tuple[int, int] | None]:
    """Zeroed preamble, "DICM", file meta, dataset in ``transfer_syntax``.

    Also returns where the top-level pixel data value lies in the output (start, end),
    when this writer placed it, so the leak check can skip it without searching.
    """
    meta_args = (
        sop_class,
        sop_instance,
        transfer_syntax,
        implementation_uid,
        implementation_version,
    )
    implicit = transfer_syntax == IMPLICIT_LE
    little = transfer_syntax != EXPLICIT_BE
    if transfer_syntax == DEFLATED_LE or ds.original_encoding != (implicit, little):
        return _write_with_pydicom(ds, *meta_args), None
    parts = [
        b"\x00" * 128,
        b"DICM",
        encode_file_meta(
            sop_class, sop_instance, transfer_syntax, implementation_uid, implementation_version
        ),
    ]
    e = "<" if little else ">"
    converted = DicomBytesIO()
    converted.is_little_endian = little
    converted.is_implicit_VR = implicit
    encodings = ds._character_set
    elements = ds._dict
    offset = sum(len(p) for p in parts)
    pixel_span: tuple[int, int] | None = None
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
                if not implicit and elem.VR not in _LONG_VRS:
                    return _write_with_pydicom(ds, *meta_args), None
                parts.append(encode_header(tag, elem.VR or "UN", _UNDEFINED, implicit, little))
                offset += len(parts[-1])
                if tag == 0x7FE00010:
                    pixel_span = (offset, offset + len(value))
                parts.append(value)
                parts.append(struct.pack(e + "HHI", 0xFFFE, 0xE0DD, 0))
                offset += len(value) + 8
            else:
                if len(value) & 1:
                    return _write_with_pydicom(ds, *meta_args), None
                if not implicit and elem.VR not in _LONG_VRS and len(value) > 0xFFFF:
                    return _write_with_pydicom(ds, *meta_args), None
                encoded_header = encode_header(tag, elem.VR or "UN", len(value), implicit, little)
                parts.append(encoded_header)
                offset += len(encoded_header)
                if tag == 0x7FE00010:
                    pixel_span = (offset, offset + len(value))
                parts.append(value)
                offset += len(value)
            continue
        # A converted element: pydicom encodes it (charset, numbers, sequences).
        if tag == 0x7FE00010:
            materialize_pixels(ds)  # pydicom's writer needs bytes, not a view
        item = ds[tag]
        start = converted.tell()
        write_data_element(converted, item, encodings)
        chunk = converted.getvalue()[start:]
        parts.append(chunk)
        offset += len(chunk)
    return b"".join(parts), pixel_span


def _write_with_pydicom(
    ds: Dataset,
    sop_class: str,
    sop_instance: str,
    transfer_syntax: str,
    impl_uid: str,
    impl_version: str,
) -> bytes:
    materialize_pixels(ds)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(sop_class)
    meta.MediaStorageSOPInstanceUID = UID(sop_instance)
    meta.TransferSyntaxUID = UID(transfer_syntax)
    meta.ImplementationClassUID = UID(impl_uid)
    meta.ImplementationVersionName = impl_version
    ds.file_meta = meta
    ds.preamble = b"\x00" * 128
    out = io.BytesIO()
    # dcmwrite, not Dataset.save_as: the latter refuses big -> little endian, which the
    # pixel path needs (cleaned frames are always stored little endian).
    dcmwrite(out, ds, enforce_file_format=True)
    return out.getvalue()
