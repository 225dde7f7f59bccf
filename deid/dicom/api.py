"""``scrub_dicom``: one DICOM file in, a de-identified Part-10 file (or a refusal) out.

Pipeline: read (size-capped) -> byte-level structure check (``validate.py``) -> pydicom
parse -> object checks (DICOMDIR, encapsulated documents, pixel data length) -> header
profile (``header.py``) -> pixel data (``pixels.py``) -> de-identification attributes ->
new file meta, zeroed preamble -> write -> leak check of the written header against the
identifiers learned. Any failure raises a :class:`~deid.core.errors.DeidError`; nothing
is ever copied through.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import os
import re
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO

import pydicom
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.tag import Tag

import deid
from deid.core.context import CaseContext
from deid.core.errors import DeidError, InputError, LimitExceeded, WithheldError
from deid.core.policy import DEFAULT_POLICY, Policy
from deid.core.report import Report
from deid.dicom.header import HeaderOutcome, HeaderScrubber
from deid.dicom.profile import compile_profile
from deid.dicom.rawvalues import (
    element,
    encode_items,
    materialize_pixels,
    read_int,
    read_values,
    set_raw_sequence,
    set_value,
)
from deid.dicom.validate import (
    DEFLATED_LE,
    EXPLICIT_BE,
    EXPLICIT_LE,
    IMPLICIT_LE,
    Structure,
    check_structure,
    expected_native_pixel_bytes,
)
from deid.dicom.writer import write_part10

if TYPE_CHECKING:
    from deid.image.series import SeriesBook

log = logging.getLogger(__name__)

DICOMDIR_SOP_CLASS = "1.2.840.10008.1.3.10"
# Our implementation class UID (2.25 form, fixed): identifies the writer, not the input.
IMPLEMENTATION_CLASS_UID = "2.25.207410583948823163620712404011961557513"
IMPLEMENTATION_VERSION = "DEID_" + deid.__version__.replace(".", "_")

# CID 7050 De-identification Method codes (PS3.16), by policy field.
CID_7050 = {
    "basic": ("113100", "Basic Application Confidentiality Profile"),
    "clean_pixels": ("113101", "Clean Pixel Data Option"),
    "clean_visual": ("113102", "Clean Recognizable Visual Features Option"),
    "clean_graphics": ("113103", "Clean Graphics Option"),
    "clean_structured_content": ("113104", "Clean Structured Content Option"),
    "clean_descriptors": ("113105", "Clean Descriptors Option"),
    "retain_longitudinal_full_dates": (
        "113106",
        "Retain Longitudinal Temporal Information Full Dates Option",
    ),
    "retain_longitudinal_modified_dates": (
        "113107",
        "Retain Longitudinal Temporal Information Modified Dates Option",
    ),
    "retain_patient_characteristics": ("113108", "Retain Patient Characteristics Option"),
    "retain_device_identity": ("113109", "Retain Device Identity Option"),
    "retain_uids": ("113110", "Retain UIDs Option"),
    "retain_safe_private": ("113111", "Retain Safe Private Option"),
    "retain_institution_identity": ("113112", "Retain Institution Identity Option"),
}
# Identifier kinds searched for in the written header (the leak check), and the
# shortest value searched: short values would match unrelated numbers and words.
# Placeholder words that test and pre-anonymised files use as names; our own dummy value.
_COMMON_WORDS = frozenset(
    {"anonymized", "anonymous", "patient", "unknown", "phantom", "test", "name", "none"}
)
_INSTITUTION_SOURCES = frozenset({"dicom:(0008,0080)", "dicom:(0008,0081)", "dicom:(0008,1040)"})
_LEAK_KINDS = {
    "PERSON": 4,
    "MRN": 5,
    "ACCOUNT": 5,
    "ID": 6,
    "DATE": 8,
    "PHONE": 7,
    "ADDRESS": 8,
    "ORGANIZATION": 8,
}


@dataclass
class DicomResult:
    """A scrubbed DICOM file. ``data`` is the whole Part-10 file; name outputs by UID."""

    data: bytes
    report: Report
    sop_instance_uid: str
    study_instance_uid: str
    series_instance_uid: str
    modality: str


@dataclass
class ParsedDicom:
    """A DICOM file read, structure-checked and parsed once (:func:`parse_dicom`).

    ``scrub_case`` learns a file's header identifiers from it before any file of the
    case is scrubbed, then hands it to :func:`scrub_dicom`: the header is parsed once,
    not twice. Scrubbing changes the dataset in place, so one can be scrubbed once.
    """

    buf: bytes = field(repr=False)
    structure: Structure = field(repr=False)
    ds: Dataset = field(repr=False)
    started: float
    check_s: float
    parse_s: float
    used: bool = False


def parse_dicom(
    source: bytes | str | os.PathLike[str] | BinaryIO, policy: Policy | None = None
) -> ParsedDicom:
    """Read, check and parse one DICOM file (no pixel data decoded), for
    :func:`scrub_dicom`. Raises what ``scrub_dicom`` raises for a file it cannot read."""
    policy = policy or DEFAULT_POLICY
    started = time.perf_counter()
    buf = _read_source(source, policy.dicom.max_file_bytes)
    with _withheld_on_failure("parse"):
        parsed = _parse_buffer(buf, policy, started)
    parsed.used = False
    return parsed


def scrub_dicom(
    source: bytes | str | os.PathLike[str] | BinaryIO | ParsedDicom,
    policy: Policy | None = None,
    context: CaseContext | None = None,
    *,
    series: SeriesBook | None = None,
) -> DicomResult:
    """De-identify one DICOM file (header per PS3.15 Annex E, pixels per policy).

    ``series``: the case's series memories (:class:`deid.image.series.SeriesBook`, as
    ``scrub_case`` passes them): later slices of a series already seen are searched for
    text on what changed instead of in full. Without it every slice is read in full.

    ``source`` may be a :class:`ParsedDicom` from :func:`parse_dicom` (parsed with the
    same policy), scrubbed without reading or parsing it again.

    Raises InputError (not DICOM, bad argument), LimitExceeded (too large) or
    WithheldError and its subclasses (corrupt, truncated, unsupported, engine missing):
    the caller records ``exc.reason`` and writes nothing.
    """
    policy = policy or DEFAULT_POLICY
    context = context or CaseContext.ephemeral()
    if isinstance(source, ParsedDicom):
        if source.used:
            raise InputError("a parsed DICOM file can be scrubbed once", reason="invalid_input")
        source.used = True
        parsed = source
    else:
        parsed = None
        started = time.perf_counter()
        buf = _read_source(source, policy.dicom.max_file_bytes)
    with _withheld_on_failure("scrub"):
        if parsed is None:
            parsed = _parse_buffer(buf, policy, started)
        result = _scrub(parsed, policy, context, series)
    return result


@contextlib.contextmanager
def _withheld_on_failure(step: str) -> Iterator[None]:
    """pydicom's warnings can quote element values (PHI): none gets out of the block. A
    parser or library failure in it withholds the file, never passes it through."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    except DeidError:
        raise
    except Exception as exc:
        log.warning("dicom %s failed: %s", step, type(exc).__name__)
        raise WithheldError(
            f"the DICOM file could not be processed ({type(exc).__name__})", reason="unreadable"
        ) from None


def _parse_buffer(buf: bytes, policy: Policy, started: float) -> ParsedDicom:
    structure = check_structure(buf, max_bytes=policy.dicom.max_file_bytes)
    t1 = time.perf_counter()
    ds = _parse(buf, structure)
    return ParsedDicom(buf, structure, ds, started, t1 - started, time.perf_counter() - t1, used=True)


def _scrub(
    parsed: ParsedDicom, policy: Policy, context: CaseContext, series: SeriesBook | None = None
) -> DicomResult:
    report = Report(input_kind="dicom")
    structure, ds = parsed.structure, parsed.ds
    t0 = time.perf_counter()
    _check_object(ds, structure, report)
    if structure.dropped_tail:
        report.notes.append("bytes after the pixel data that were not data elements were dropped")
    t_parse = time.perf_counter()

    # The series a slice belongs to, for its series memory: a keyed digest of the UIDs as
    # they came (the header pass remaps them), so that loose slices of one series scrubbed
    # as separate cases meet in one memory; the UIDs themselves are kept nowhere.
    series_origin = _series_origin(ds, context) if series is not None else None
    outcome = HeaderScrubber(policy, context, report).run(ds)
    t_header = time.perf_counter()

    from deid.dicom.pixels import clean_pixel_data, pixels_need_cleaning

    pixels_cleaned = False
    faces_cleaned = False
    transfer_syntax = _output_syntax(structure)
    if structure.implicit and transfer_syntax != IMPLICIT_LE:
        # Implicit VR data under an explicit VR syntax (a writer bug pydicom tolerates):
        # give every element its dictionary VR so it can be written explicitly.
        for _elem in ds.iterall():
            pass
    if "PixelData" in ds and pixels_need_cleaning(ds, policy):
        materialize_pixels(ds)
        pixel_outcome = clean_pixel_data(ds, transfer_syntax, policy, context, report, series, series_origin)
        transfer_syntax = pixel_outcome.transfer_syntax
        pixels_cleaned = True
        faces_cleaned = pixel_outcome.faces
    elif "PixelData" in ds:
        burned = _text(ds, 0x00280301).upper()
        if burned != "NO":
            # Say so: pixels of this object were not looked at (policy or modality).
            report.residual_risk.append(
                f"pixel data not cleaned (clean_pixels={policy.dicom.clean_pixels}, "
                f"BurnedInAnnotation={burned or 'absent'})"
            )
    t_pixels = time.perf_counter()

    _set_deid_attributes(ds, policy, outcome, pixels_cleaned, faces_cleaned)
    report.notes.extend(outcome.notes)
    data, pixel_span = _write(ds, transfer_syntax)
    if transfer_syntax == DEFLATED_LE:
        # The written dataset is compressed: check what a reader will inflate.
        out_structure = check_structure(data, max_bytes=policy.dicom.max_file_bytes)
        _leak_check(
            data[: out_structure.dataset_offset] + (out_structure.dataset_bytes or b""),
            ds,
            context,
            policy,
        )
    else:
        _leak_check(data, ds, context, policy, pixel_span)
    t_end = time.perf_counter()
    report.timings.update(
        {
            "check": parsed.check_s,
            "parse": parsed.parse_s + (t_parse - t0),
            "header": t_header - t_parse,
            "pixels": t_pixels - t_header,
            "write": t_end - t_pixels,
        }
    )
    log.debug("dicom scrubbed: %d findings", len(report.findings))
    return DicomResult(
        data=data,
        report=report,
        sop_instance_uid=_text(ds, 0x00080018),
        study_instance_uid=_text(ds, 0x0020000D),
        series_instance_uid=_text(ds, 0x0020000E),
        modality=_text(ds, 0x00080060),
    )


# ---- input -------------------------------------------------------------------------------
def _read_source(source: bytes | str | os.PathLike[str] | BinaryIO, max_bytes: int) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    elif isinstance(source, str | os.PathLike):
        try:
            size = os.stat(source).st_size
            if size > max_bytes:
                raise LimitExceeded(
                    f"file of {size} bytes exceeds the limit of {max_bytes}",
                    reason="file_too_large",
                )
            with open(source, "rb") as fh:
                data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise InputError(
                f"cannot read the input file ({type(exc).__name__})", reason="unreadable_input"
            ) from None
    elif hasattr(source, "read"):
        data = source.read(max_bytes + 1)
        if not isinstance(data, bytes | bytearray):
            raise InputError("the stream must be opened in binary mode", reason="invalid_input")
        data = bytes(data)
    else:
        raise InputError("source must be bytes, a path or a binary stream", reason="invalid_input")
    if len(data) > max_bytes:
        raise LimitExceeded(
            f"input exceeds the limit of {max_bytes} bytes", reason="file_too_large"
        )
    if not data:
        raise InputError("empty input", reason="not_dicom")
    return data


def _parse(buf: bytes, structure: Structure) -> Dataset:
    """Parse with pydicom, stopping before the pixel data; attach it as a raw view.

    The structure walk already found the pixel data value, so it is never copied or
    decoded for header-only work: the writer copies it once, into the output. Elements
    after the pixel data (digital signatures, trailing padding, private groups) are
    all removed by the profile, so stopping there loses nothing that is kept.
    """
    # pydicom also stops at float pixel data (7FE0,0008/0009): parse those files whole.
    stop = not ({0x7FE00008, 0x7FE00009} & set(structure.top_level_tags))
    try:
        ds = pydicom.dcmread(io.BytesIO(buf), force=True, stop_before_pixels=stop)
    except Exception as exc:
        raise WithheldError(
            f"pydicom cannot parse the file ({type(exc).__name__})", reason="unreadable"
        ) from None
    start, end = structure.pixel_value_start, structure.pixel_value_end
    if stop and start is not None and end is not None:
        source = structure.dataset_bytes if structure.deflated else buf
        implicit, little = ds.original_encoding
        if implicit is None or little is None:
            implicit, little = structure.implicit, structure.little_endian
        length = 0xFFFFFFFF if structure.pixel_data_encapsulated else end - start
        vr = structure.pixel_vr or ("OB" if structure.pixel_data_encapsulated else None)
        if vr is None:
            try:
                vr = "OW" if (read_int(ds, 0x00280100) or 16) > 8 else "OB"
            except (AttributeError, TypeError, ValueError):
                vr = "OW"
        tag = Tag(0x7FE00010)
        view = memoryview(source or b"")[start:end]  # a view: the writer copies it once
        ds._dict[tag] = RawDataElement(tag, vr, length, view, 0, implicit, little, True, False)  # type: ignore[arg-type]
    return ds


def _check_object(ds: Dataset, structure: Structure, report: Report) -> None:
    """Refuse objects we cannot make safe; check native pixel data is whole."""
    sop_class = _text(ds, 0x00080016)
    media_class = str(getattr(getattr(ds, "file_meta", None), "MediaStorageSOPClassUID", "") or "")
    if DICOMDIR_SOP_CLASS in (sop_class, media_class) or 0x00041220 in ds:
        # A DICOMDIR indexes patients, studies and files by name and ID. The batch code
        # rebuilds a directory from scrubbed files; a scrubbed DICOMDIR has no use.
        raise WithheldError(
            "DICOMDIR files are not scrubbed (rebuild them from scrubbed files)", reason="dicomdir"
        )
    if 0x00420011 in ds:
        raise WithheldError(
            "encapsulated documents (PDF, CDA) cannot be cleaned", reason="encapsulated_document"
        )
    if not sop_class:
        raise WithheldError("no SOP Class UID: not a storable DICOM object", reason="malformed")
    if not _text(ds, 0x00080018):
        raise WithheldError("no SOP Instance UID", reason="malformed")
    if "PixelData" not in ds:
        return
    if structure.pixel_data_length is None and not structure.pixel_data_encapsulated:
        raise WithheldError("pixel data inside a sequence only", reason="malformed")
    rows = read_int(ds, 0x00280010)
    columns = read_int(ds, 0x00280011)
    bits = read_int(ds, 0x00280100)
    samples = read_int(ds, 0x00280002, 1) or 1
    frames = read_int(ds, 0x00280008, 1) or 1
    if rows is None or columns is None or bits is None:
        raise WithheldError("pixel data without a valid image description", reason="malformed")
    if min(rows, columns, bits, samples, frames) < 1:
        raise WithheldError("pixel data with an empty image description", reason="malformed")
    if structure.pixel_data_encapsulated:
        if structure.pixel_fragments < 2:  # offset table + at least one fragment
            raise WithheldError(
                "encapsulated pixel data without fragments", reason="truncated_pixel_data"
            )
        return
    photometric = _text(ds, 0x00280004).upper()
    if photometric in ("YBR_FULL_422", "YBR_PARTIAL_422") and samples == 3:
        samples = 2  # 4:2:2 native data stores two samples per pixel (PS3.5 8.2.3)
    expected = expected_native_pixel_bytes(rows, columns, frames, samples, bits)
    actual = structure.pixel_data_length or 0
    if actual < expected:
        raise WithheldError(
            "pixel data shorter than the image it describes", reason="truncated_pixel_data"
        )
    if actual > expected + 1:
        # Bytes past the image are not pixels: they could hold anything. Drop them.
        materialize_pixels(ds)
        ds.PixelData = bytes(ds.PixelData[: expected + (expected & 1)])
        report.notes.append("pixel data trimmed to the size of the described image")


def _output_syntax(structure: Structure) -> str:
    if structure.transfer_syntax:
        return structure.transfer_syntax
    if structure.implicit:
        return IMPLICIT_LE
    return EXPLICIT_LE if structure.little_endian else EXPLICIT_BE


def _series_origin(ds: Dataset, context: CaseContext) -> bytes | None:
    """A keyed digest of the original StudyInstanceUID and SeriesInstanceUID (None when
    the series UID is missing). Under the run's key, not the case's: stable across cases."""
    series_uid = _text(ds, 0x0020000E)
    if not series_uid:
        return None
    return context.digest("series-memory", _text(ds, 0x0020000D) + "\x00" + series_uid)


def _text(ds: Dataset, tag: int) -> str:
    """A short text attribute, read without converting the element."""
    return "\\".join(read_values(ds, tag)).strip()


# ---- output ------------------------------------------------------------------------------
def _set_deid_attributes(
    ds: Dataset, policy: Policy, outcome: HeaderOutcome, pixels: bool, faces: bool
) -> None:
    dpol = policy.dicom
    keys = ["basic"]
    if pixels:
        keys.append("clean_pixels")
    if faces:
        keys.append("clean_visual")
    for field_name in (
        "clean_graphics",
        "clean_structured_content",
        "clean_descriptors",
        "retain_longitudinal_full_dates",
        "retain_longitudinal_modified_dates",
        "retain_patient_characteristics",
        "retain_device_identity",
        "retain_uids",
        "retain_safe_private",
        "retain_institution_identity",
    ):
        if getattr(dpol, field_name):
            if (
                field_name == "retain_longitudinal_modified_dates"
                and dpol.retain_longitudinal_full_dates
            ):
                continue
            keys.append(field_name)
    edition = compile_profile(dpol).edition.split(",")[0]  # "DICOM PS3.15 2026c"
    set_value(ds, 0x00120062, "CS", "YES")  # PatientIdentityRemoved
    set_value(ds, 0x00120063, "LO", [f"deid {deid.__version__}", f"{edition} E.1-1"[:64]])
    implicit, little = ds.original_encoding
    if (
        implicit is None
        or little is None
        or not set_raw_sequence(ds, 0x00120064, _method_codes_raw(tuple(keys), implicit, little))
    ):
        ds[0x00120064] = DataElement(0x00120064, "SQ", _method_codes(tuple(keys)))
    set_value(ds, 0x00280303, "CS", outcome.dates)  # LongitudinalTemporalInformationModified


@functools.lru_cache(maxsize=256)
def _method_codes_raw(keys: tuple[str, ...], implicit: bool, little: bool) -> bytes:
    """The CID 7050 items encoded once per option set and encoding (written as is)."""
    items = [
        [
            (0x00080100, "SH", CID_7050[k][0]),
            (0x00080102, "SH", "DCM"),
            (0x00080104, "LO", CID_7050[k][1]),
        ]
        for k in keys
    ]
    return encode_items(items, implicit, little)


@functools.lru_cache(maxsize=64)
def _method_codes(keys: tuple[str, ...]) -> Sequence:
    """The CID 7050 code items for a set of options (built once: it is the same per policy)."""
    items = []
    for key in keys:
        code, meaning = CID_7050[key]
        item = Dataset()
        item.CodeValue = code
        item.CodingSchemeDesignator = "DCM"
        item.CodeMeaning = meaning
        items.append(item)
    return Sequence(items)


def _write(ds: Dataset, transfer_syntax: str) -> tuple[bytes, tuple[int, int] | None]:
    return write_part10(
        ds,
        sop_class=_text(ds, 0x00080016),
        sop_instance=_text(ds, 0x00080018),
        transfer_syntax=transfer_syntax,
        implementation_uid=IMPLEMENTATION_CLASS_UID,
        implementation_version=IMPLEMENTATION_VERSION,
    )


def _leak_check(
    data: bytes,
    ds: Dataset,
    context: CaseContext,
    policy: Policy,
    pixel_span: tuple[int, int] | None = None,
) -> None:
    """Search the written file, pixel data excepted, for the identifiers learned.

    A cheap, independent second line: if a value learned from this header (or from
    another part of the case) is still in the output, withhold rather than publish.
    """
    if pixel_span is not None:
        hay = data[: pixel_span[0]] + data[pixel_span[1] :]
    else:
        elem = element(ds, 0x7FE00010)
        pixel = getattr(elem, "value", None)
        hay = data
        if isinstance(pixel, bytes | bytearray | memoryview) and len(pixel) > 64:
            hay = data.replace(bytes(pixel), b"")
    hay = hay.lower()
    charsets = _output_charsets(ds)
    for ident in context.identifiers:
        if not ident.source.startswith("dicom:"):
            continue  # detections of the text scrubber are guesses, not known values
        if policy.dicom.retain_institution_identity and ident.source in _INSTITUTION_SOURCES:
            continue  # kept on purpose under Retain Institution Identity
        min_len = _LEAK_KINDS.get(ident.kind)
        if min_len is None:
            continue
        terms = {ident.value, ident.value.replace(" ", "^")}
        if ident.kind == "PERSON":
            terms.update(
                p
                for p in ident.value.split()
                if (len(p) >= 5 or (len(p) >= 2 and not p.isascii()))
                and p.lower() not in _COMMON_WORDS
            )
        for term in terms:
            # A name in an ideographic script is two or three characters long.
            shortest = min_len if term.isascii() else min(min_len, 2)
            if len(term) < shortest or term.lower() in _COMMON_WORDS:
                continue
            for encoded in _encodings(term if not term.isascii() else term.lower(), charsets):
                if encoded in hay and _whole_number_found(encoded, hay):
                    raise WithheldError(
                        f"an identifier of kind {ident.kind} is still present after scrubbing",
                        reason="verification_failed",
                    )


# An ISO 2022 escape sequence (lower-cased like the haystack): ESC, intermediates, one final byte.
_ISO2022_ESCAPE = re.compile(rb"\x1b(?:\$[()*+]?|[()*+\-.])[@-~]")


def _output_charsets(ds: Dataset) -> list[str]:
    """Python codecs of the written dataset's Specific Character Set (none if unknown)."""
    values = [v.strip() for v in read_values(ds, 0x00080005)]
    if not any(values):
        return []
    try:
        from pydicom.charset import convert_encodings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return list(convert_encodings(values))
    except Exception:
        return []


def _encodings(term: str, charsets: list[str]) -> set[bytes]:
    """``term`` as bytes in every encoding it can take in the file: UTF-8, Latin-1 and
    the file's own character sets (ISO 2022 escapes included, and the bare two-byte
    codes inside them). An encoding that cannot represent the term yields nothing: a
    lossy encoding of a non-Latin name ("?" or nothing at all) would match anywhere."""
    out: set[bytes] = set()
    # The haystack is lower-cased byte-wise (ASCII only): a non-ASCII letter keeps its
    # case there, so each case variant of the term is encoded.
    variants = {term} if term.isascii() else {term, term.lower(), term.upper(), term.title()}
    for variant in variants:
        for codec in ("utf-8", "latin-1"):
            with contextlib.suppress(UnicodeEncodeError):
                out.add(variant.encode(codec).lower())
        if charsets and not variant.isascii():
            from pydicom.charset import encode_string

            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    encoded = encode_string(variant, charsets).lower()
            except Exception:
                encoded = b""
            if encoded and b"?" not in encoded:
                out.add(encoded)
                bare = _ISO2022_ESCAPE.sub(b"", encoded)
                # Bare two-byte codes that read as a number would match inside UIDs.
                if len(bare) >= 4 and not bare.replace(b".", b"").isdigit():
                    out.add(bare)
    return {e for e in out if e.strip(b" ^")}


def _whole_number_found(term: bytes, hay: bytes) -> bool:
    """False when an all-digit identifier occurs only inside a longer run of digits.

    New UIDs are 2.25.<39 random digits>: an SR referencing hundreds of images carries
    thousands of them, and a short numeric PatientID or date then turns up inside one by
    chance. Digits inside a longer number are not that identifier; anything else is.
    """
    if not term.isdigit():
        return True
    pattern = re.compile(rb"(?<![0-9])" + re.escape(term) + rb"(?![0-9])")
    return pattern.search(hay) is not None
