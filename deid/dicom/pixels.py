"""Pixel data plumbing: decide, decode, hand frames to the image core, write back.

The image core (:func:`deid.image.scrub_pixels`) finds and fills burned-in text (and
faces in visible-light photos); this module owns everything DICOM about it: deciding
whether a file needs it (Policy ``clean_pixels``: every modality unless "never"),
decoding any syntax pydicom's handlers (pylibjpeg: JPEG,
JPEG-LS, JPEG 2000, RLE) decode, and writing the cleaned frames back uncompressed in
Explicit VR Little Endian with PhotometricInterpretation, PlanarConfiguration and the
transfer syntax updated. Re-encoding lossily would change pixels we did not redact;
storing uncompressed is lossless and universally readable. Anything that cannot be
decoded withholds the file: pixels that were not looked at are never published.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import UID, ExplicitVRLittleEndian

from deid.core.context import CaseContext
from deid.core.errors import EngineUnavailable, LimitExceeded, WithheldError
from deid.core.policy import Policy
from deid.core.report import Report

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
    ds: Dataset, transfer_syntax: str, policy: Policy, context: CaseContext, report: Report
) -> PixelOutcome:
    """Decode, clean (deid.image), and store the frames back uncompressed, in place."""
    try:
        from deid.image import scrub_pixels
    except ImportError:
        raise EngineUnavailable(
            "the pixel scrubber (deid.image) is not available", reason="engine_unavailable"
        ) from None
    frames, photometric = _decode(ds, transfer_syntax, policy)
    modality = str(ds.get("Modality", "") or "").strip().upper()
    faces = bool(policy.image.faces and modality in FACE_MODALITIES and frames.ndim == 4)
    result = scrub_pixels(
        frames, policy=policy, context=context, text_mode=policy.image.dicom_text, faces=faces
    )
    cleaned = result.frames
    if cleaned.shape != frames.shape or cleaned.dtype != frames.dtype:
        raise WithheldError(
            "the pixel scrubber changed the frame geometry", reason="pixel_scrub_failed"
        )
    report.findings.extend(result.report.findings)
    report.verification = result.report.verification
    # the image core's caveats ("text smaller than N px may be missed") belong to this file
    report.notes.extend(result.report.notes)
    report.residual_risk.extend(result.report.residual_risk)
    _store(ds, cleaned, photometric)
    if faces:
        ds.RecognizableVisualFeatures = "NO"
    ts_name = UID(transfer_syntax).name
    report.notes.append(
        f"pixel data decoded from {ts_name} and stored uncompressed (Explicit VR Little Endian)"
    )
    return PixelOutcome(transfer_syntax=ExplicitVRLittleEndian, faces=faces)


def _decode(ds: Dataset, transfer_syntax: str, policy: Policy) -> tuple[np.ndarray, str]:
    rows, columns = int(ds.Rows), int(ds.Columns)
    n_frames = int(ds.get("NumberOfFrames", 1) or 1)
    if rows * columns > policy.image.max_pixels:
        raise LimitExceeded("frames larger than the pixel limit", reason="too_many_pixels")
    if n_frames > policy.image.max_frames:
        raise LimitExceeded("more frames than the frame limit", reason="too_many_frames")
    ds.file_meta.TransferSyntaxUID = UID(transfer_syntax)  # pydicom picks the decoder from it
    photometric = str(ds.get("PhotometricInterpretation", "") or "").strip().upper()
    try:
        arr = ds.pixel_array  # pydicom converts YBR to RGB for us (as_rgb)
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
    elif arr.dtype not in (np.uint8, np.uint16, np.int16):
        raise WithheldError(
            "pixel format not supported by the pixel scrubber", reason="unsupported_pixel_format"
        )
    stored = int(ds.get("BitsStored", 0) or 0)
    if arr.dtype == np.uint16 and 0 < stored < 16:
        # Bits above BitsStored may hold an embedded overlay (retired practice): drop them.
        arr = arr & np.uint16((1 << stored) - 1)
    out_photometric = "RGB" if samples == 3 else photometric
    return np.ascontiguousarray(arr), out_photometric


def _store(ds: Dataset, frames: np.ndarray, photometric: str) -> None:
    was_bits = int(ds.BitsAllocated)
    data = frames
    if frames.shape[0] == 1:
        data = frames[0]
    if was_bits == 1 and frames.dtype == np.uint8 and photometric != "RGB":
        from pydicom.pixels import pack_bits

        ds.PixelData = pack_bits(data)
    else:
        little = data.astype(data.dtype.newbyteorder("<"), copy=False)
        raw = little.tobytes()
        ds.PixelData = raw + (b"\x00" if len(raw) & 1 else b"")
        ds.BitsAllocated = data.dtype.itemsize * 8
        if (
            int(ds.get("BitsStored", 0) or 0) > ds.BitsAllocated
            or photometric == "RGB"
            and data.dtype == np.uint8
        ):
            ds.BitsStored = ds.BitsAllocated
            ds.HighBit = ds.BitsAllocated - 1
    pixel_elem = ds["PixelData"]
    pixel_elem.VR = "OB" if ds.BitsAllocated <= 8 else "OW"
    pixel_elem.is_undefined_length = False  # native now, no longer encapsulated
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
    ds.BurnedInAnnotation = "NO"
