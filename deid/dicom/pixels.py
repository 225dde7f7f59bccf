"""Pixel data plumbing: decide, decode, hand frames to the image core, write back.

The image core (:func:`deid.image.scrub_pixels`) finds and fills burned-in text (and
faces in visible-light photos); this module owns everything DICOM about it: deciding
whether a file needs it (Policy ``clean_pixels``: every modality unless "never"),
decoding any syntax pydicom's handlers (pylibjpeg: JPEG, JPEG-LS, JPEG 2000, RLE)
decode, and writing the cleaned frames back with PhotometricInterpretation,
PlanarConfiguration and the transfer syntax updated. Pixel data in which nothing was
redacted is copied byte for byte as it came; redacted pixel data is re-encoded in the
input's syntax where a package has an encoder (``encode.py``), otherwise in a lossless
one. Anything that cannot be decoded withholds the file: pixels that were not looked at
are never published.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from pydicom.dataset import Dataset
from pydicom.tag import Tag
from pydicom.uid import UID, DeflatedExplicitVRLittleEndian, ExplicitVRLittleEndian

from deid.core.context import CaseContext
from deid.core.errors import EngineUnavailable, LimitExceeded, WithheldError
from deid.core.policy import Policy
from deid.core.report import Report

if TYPE_CHECKING:
    from deid.image.series import SeriesBook

log = logging.getLogger(__name__)

# Visible-light photography: faces are expected in the picture itself.
FACE_MODALITIES = frozenset({"XC", "GM", "ES", "OP"})


@dataclass
class PixelOutcome:
    transfer_syntax: str
    faces: bool = False


def pixels_need_cleaning(ds: Dataset, policy: Policy) -> bool:
    """True when policy asks for pixel cleaning of this object.

    "auto" and "always": every object with pixel data, whatever its modality or
    BurnedInAnnotation says. CT/MR scouts and localisers, PET, RT images and secondary
    captures carry names and dates burned in as often as ultrasound does, and
    BurnedInAnnotation is written by the same devices that forget to set it, so neither
    may narrow what is searched (the text detector is cheap on frames without text).
    "never" is the operator's explicit opt-out; the scrubber reports it as residual risk.
    """
    return policy.dicom.clean_pixels != "never"


def clean_pixel_data(
    ds: Dataset,
    transfer_syntax: str,
    policy: Policy,
    context: CaseContext,
    report: Report,
    series: SeriesBook | None = None,
    series_origin: bytes | None = None,
) -> PixelOutcome:
    """Decode, clean (deid.image), and store the frames back, in place.

    With ``series`` (the case's memories), a single-frame object is scrubbed as a slice
    of its series (:mod:`deid.image.series`), keyed by :func:`series_key` on
    ``series_origin`` (a keyed digest of the original study and series UIDs).
    """
    try:
        from deid.image import scrub_pixels
    except ImportError:
        raise EngineUnavailable(
            "the pixel scrubber (deid.image) is not available", reason="engine_unavailable"
        ) from None
    raw_element = ds._dict.get(Tag(0x7FE00010))  # as it came (a view into the input)
    input_bytes = len(ds.PixelData)
    decoded, photometric, altered = _decode(ds, transfer_syntax, policy)
    frames = _render16(decoded) if decoded.dtype.itemsize == 4 else decoded
    modality = str(ds.get("Modality", "") or "").strip().upper()
    faces = bool(policy.image.faces and modality in FACE_MODALITIES and frames.ndim == 4)
    memory = None
    if series is not None and frames.shape[0] == 1 and not faces:
        memory = series.memory(series_key(ds, transfer_syntax, frames, series_origin, context))
    result = scrub_pixels(
        frames,
        policy=policy,
        context=context,
        text_mode=policy.image.dicom_text,
        faces=faces,
        series=memory,
    )
    if memory is not None:
        series.trim()  # type: ignore[union-attr]
    cleaned = result.frames
    if cleaned.shape != frames.shape or cleaned.dtype != frames.dtype:
        raise WithheldError(
            "the pixel scrubber changed the frame geometry", reason="pixel_scrub_failed"
        )
    if frames is not decoded:
        # 32-bit data: the image core cleaned a 16-bit rendering; carry every pixel it
        # changed (fills, pixelation) over to the full-precision frames.
        changed = cleaned != frames
        if changed.ndim == 4:
            changed = changed.any(axis=-1)
        out = decoded.copy()
        fill = out.min() if out.ndim == 3 else 0
        out[changed] = fill
        cleaned = out
    report.findings.extend(result.report.findings)
    report.verification = result.report.verification
    # the image core's caveats ("text smaller than N px may be missed") belong to this file
    report.notes.extend(result.report.notes)
    report.residual_risk.extend(result.report.residual_risk)
    ts_name = UID(transfer_syntax).name
    if faces:
        ds.RecognizableVisualFeatures = "NO"
    if not altered and np.array_equal(cleaned, decoded):
        # Nothing was redacted: the pixel data goes out byte for byte as it came
        # (no decode/encode loss, same size, same syntax and photometric).
        ds.file_meta.TransferSyntaxUID = UID(transfer_syntax)
        if raw_element is not None:
            ds._dict[Tag(0x7FE00010)] = raw_element  # the writer copies it as it came
        ds.BurnedInAnnotation = "NO"
        report.notes.append(
            f"pixel data searched, nothing to redact: copied as it came ({ts_name})"
        )
        return PixelOutcome(transfer_syntax=transfer_syntax, faces=faces)
    _describe(ds, cleaned, photometric)
    out_syntax: str = ExplicitVRLittleEndian
    if int(ds.BitsAllocated) > 1:
        from deid.dicom.encode import encode_frames

        out_syntax = encode_frames(
            ds, cleaned, transfer_syntax, input_bytes, policy.image.jpeg_quality
        )
    if out_syntax in (ExplicitVRLittleEndian, DeflatedExplicitVRLittleEndian):
        _store(ds, cleaned, photometric)
    ds.BurnedInAnnotation = "NO"
    report.notes.append(
        f"pixel data decoded from {ts_name}, cleaned, and stored as {UID(out_syntax).name}"
    )
    return PixelOutcome(transfer_syntax=out_syntax, faces=faces)


# Attributes that must match for two slices to share a series memory (besides the series,
# see series_key): the geometry, the photometric and bit depth, and everything that changes the rendering.
_SERIES_KEY_TAGS = (
    0x00200037,  # ImageOrientationPatient
    0x00280030,  # PixelSpacing
    0x00280004,  # PhotometricInterpretation
    0x00280100,  # BitsAllocated
    0x00280101,  # BitsStored
    0x00280103,  # PixelRepresentation
    0x00281052,  # RescaleIntercept
    0x00281053,  # RescaleSlope
    0x00281050,  # WindowCenter
    0x00281051,  # WindowWidth
)


def series_key(
    ds: Dataset, transfer_syntax: str, frames: np.ndarray, origin: bytes | None, context: CaseContext
) -> tuple[object, ...]:
    """The key of a slice's series memory; a slice whose key differs starts a new one.

    ``origin``: the keyed digest of the original study and series UIDs (no UID is kept:
    a book may outlive a case). Without a series UID the memory is the case's own.
    """
    from deid.dicom.rawvalues import read_values

    values = tuple(tuple(read_values(ds, tag)) for tag in _SERIES_KEY_TAGS)
    series: object = origin if origin is not None else ("no-series-uid", context.case_id, id(context))
    return (series, values, str(transfer_syntax), frames.shape[1:], str(frames.dtype))


def _decode(ds: Dataset, transfer_syntax: str, policy: Policy) -> tuple[np.ndarray, str, bool]:
    """(frames, photometric of the frames, whether decoding changed stored values)."""
    rows, columns = int(ds.Rows), int(ds.Columns)
    n_frames = int(ds.get("NumberOfFrames", 1) or 1)
    if rows * columns > policy.image.max_pixels:
        raise LimitExceeded("frames larger than the pixel limit", reason="too_many_pixels")
    if n_frames > policy.image.max_frames:
        raise LimitExceeded("more frames than the frame limit", reason="too_many_frames")
    ds.file_meta.TransferSyntaxUID = UID(transfer_syntax)  # pydicom picks the decoder from it
    photometric = str(ds.get("PhotometricInterpretation", "") or "").strip().upper()
    fast = _native_grey(ds, transfer_syntax, rows, columns, n_frames)
    if fast is not None:
        return fast, photometric, False
    unused_bits = False
    try:
        arr, unused_bits = _pixel_array(ds, transfer_syntax)
        if photometric == "PALETTE COLOR":
            from pydicom.pixels import apply_color_lut

            arr = apply_color_lut(arr, ds)
    except Exception as exc:
        log.warning("pixel decode failed: %s", type(exc).__name__)
        raise WithheldError(
            f"pixel data could not be decoded ({UID(transfer_syntax).name})",
            reason="undecodable_pixels",
        ) from None
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))  # big endian input
    samples = 3 if photometric == "PALETTE COLOR" else int(ds.get("SamplesPerPixel", 1) or 1)
    if samples not in (1, 3):
        raise WithheldError(
            "pixel data with an unsupported number of samples", reason="unsupported_pixel_format"
        )
    if (samples == 1 and arr.ndim == 2) or (samples == 3 and arr.ndim == 3):
        arr = arr[np.newaxis]  # one frame
    if arr.shape[0] != n_frames or arr.shape[1:3] != (rows, columns):
        raise WithheldError(
            "decoded frames do not match the image description", reason="undecodable_pixels"
        )
    if arr.dtype == np.int8:
        arr = arr.astype(np.int16)
    elif arr.dtype not in (np.uint8, np.uint16, np.int16, np.uint32, np.int32):
        raise WithheldError(
            "pixel format not supported by the pixel scrubber", reason="unsupported_pixel_format"
        )
    stored = int(ds.get("BitsStored", 0) or 0)
    altered = unused_bits
    if arr.dtype == np.uint16 and 0 < stored < 16:
        # Bits above BitsStored may hold an embedded overlay (retired practice): drop them.
        masked = arr & np.uint16((1 << stored) - 1)
        altered = altered or not np.array_equal(masked, arr)
        arr = masked
    out_photometric = "RGB" if samples == 3 else photometric
    return np.ascontiguousarray(arr), out_photometric, altered


_NATIVE_LE = frozenset({"1.2.840.10008.1.2", "1.2.840.10008.1.2.1"})


def _pixel_array(ds: Dataset, transfer_syntax: str) -> tuple[np.ndarray, bool]:
    """(frames as pydicom decodes them, whether bits above BitsStored were set).

    pydicom clears the unused high bits of what it decodes; an embedded overlay (retired
    practice: a bitmap in bits above BitsStored) then never shows in the decoded frames,
    and pixel data "with nothing to redact" would go out byte for byte with the overlay
    in it. So the frames are decoded with the unused bits as stored, compared with
    pydicom's correction, and the corrected frames are used.
    """
    bits = int(ds.get("BitsAllocated", 0) or 0)
    stored = int(ds.get("BitsStored", 0) or 0) or bits
    if "PixelData" not in ds or bits not in (8, 16, 32) or not 0 < stored < bits:
        return ds.pixel_array, False  # pydicom converts YBR to RGB for us (as_rgb)
    from pydicom.pixels import get_decoder

    decoder = get_decoder(UID(transfer_syntax))
    raw, _meta = decoder.as_array(ds, correct_unused_bits=False)  # type: ignore[arg-type]
    if raw.dtype.kind not in "ui" or raw.dtype.itemsize * 8 != bits:
        return ds.pixel_array, False
    shift = bits - stored
    if raw.dtype.kind == "u":
        corrected = raw & raw.dtype.type((1 << stored) - 1)
    else:  # signed: sign-extend from the highest stored bit
        corrected = (raw << shift) >> shift
    return corrected, not np.array_equal(corrected, raw)


def _native_grey(ds: Dataset, transfer_syntax: str, rows: int, columns: int, n_frames: int) -> np.ndarray | None:
    """Native little-endian greyscale frames read straight from the bytes (a CT or MR
    slice), or None for anything else (pydicom decodes those).

    Only where pydicom would return the stored values unchanged: 8 or 16 bits allocated,
    one sample, unsigned with no bits above BitsStored set, or signed with every bit
    stored (pydicom sign-extends a narrower signed value).
    """
    from deid.dicom.rawvalues import read_int

    if str(transfer_syntax) not in _NATIVE_LE:
        return None
    try:
        bits = read_int(ds, 0x00280100)
        stored = read_int(ds, 0x00280101) or bits
        samples = read_int(ds, 0x00280002, 1) or 1
        signed = read_int(ds, 0x00280103, 0) or 0
    except (AttributeError, TypeError, ValueError):
        return None
    if samples != 1 or bits not in (8, 16) or stored is None or stored > bits:
        return None
    photometric = str(ds.get("PhotometricInterpretation", "") or "").strip().upper()
    if photometric not in ("MONOCHROME1", "MONOCHROME2"):
        return None
    if signed and stored != bits:
        return None
    elem = ds._dict.get(Tag(0x7FE00010))
    value = getattr(elem, "value", None)
    if not isinstance(value, bytes | bytearray | memoryview):
        return None
    count = rows * columns * n_frames
    dtype = {(8, 0): "<u1", (16, 0): "<u2", (16, 1): "<i2", (8, 1): None}[(bits, 1 if signed else 0)]
    if dtype is None or len(value) < count * (bits // 8):
        return None
    arr = np.frombuffer(value, dtype=dtype, count=count).astype(np.dtype(dtype).newbyteorder("="))
    if not signed and stored < bits and int(arr.max()) >= (1 << stored):
        return None  # an embedded overlay above BitsStored: pydicom's path masks it
    return arr.reshape(n_frames, rows, columns)


def _render16(frames: np.ndarray) -> np.ndarray:
    """A 16-bit rendering of 32-bit frames (the image core reads 8 and 16 bits).

    Linear over the data's own range, so text that stands out in the data stands out
    in the rendering; pixels changed in the rendering are changed in the data.
    """
    lo, hi = float(frames.min()), float(frames.max())
    scaled = (frames.astype(np.float64) - lo) * (65535.0 / max(1.0, hi - lo))
    return np.ascontiguousarray(np.clip(scaled, 0, 65535).astype(np.uint16))


def _describe(ds: Dataset, frames: np.ndarray, photometric: str) -> None:
    """Image description attributes for ``frames`` as they will be stored."""
    if int(ds.BitsAllocated) == 1 and frames.dtype == np.uint8 and photometric != "RGB":
        pass  # packed back to 1 bit by _store
    else:
        ds.BitsAllocated = frames.dtype.itemsize * 8
        if (
            int(ds.get("BitsStored", 0) or 0) > ds.BitsAllocated
            or photometric == "RGB"
            and frames.dtype == np.uint8
        ):
            ds.BitsStored = ds.BitsAllocated
            ds.HighBit = ds.BitsAllocated - 1
    if photometric == "RGB":
        ds.SamplesPerPixel = 3
        ds.PlanarConfiguration = 0
        for tag in (
            0x00281101,
            0x00281102,
            0x00281103,
            0x00281199,
            0x00281201,
            0x00281202,
            0x00281203,
            0x00281221,
            0x00281222,
            0x00281223,
        ):
            if tag in ds:
                del ds[tag]  # palette tables no longer apply to RGB pixels
    elif "PlanarConfiguration" in ds:
        del ds.PlanarConfiguration
    ds.PhotometricInterpretation = photometric


def _store(ds: Dataset, frames: np.ndarray, photometric: str) -> None:
    """Native (uncompressed, little endian) pixel data; ``_describe`` ran before."""
    data = frames
    if frames.shape[0] == 1:
        data = frames[0]
    if int(ds.BitsAllocated) == 1:
        from pydicom.pixels import pack_bits

        ds.PixelData = pack_bits(data)
    else:
        little = data.astype(data.dtype.newbyteorder("<"), copy=False)
        raw = little.tobytes()
        ds.PixelData = raw + (b"\x00" if len(raw) & 1 else b"")
    pixel_elem = ds["PixelData"]
    pixel_elem.VR = "OB" if ds.BitsAllocated <= 8 else "OW"
    pixel_elem.is_undefined_length = False  # native now, no longer encapsulated
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
