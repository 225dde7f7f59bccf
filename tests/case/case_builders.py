"""Synthetic DICOM files and photos built in code for the case tests (no real patient)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def font(size: int):  # type: ignore[no-untyped-def]
    return ImageFont.truetype(FONT, size) if Path(FONT).exists() else ImageFont.load_default(size=size)


def render_label(shape: tuple[int, int], text: str, xy: tuple[int, int], size: int = 16, bg: int = 0) -> np.ndarray:
    img = Image.new("L", (shape[1], shape[0]), bg)
    ImageDraw.Draw(img).text(xy, text, font=font(size), fill=255)
    return np.asarray(img)


def make_dicom(
    *,
    name: str = "YOUNG^HOPE",
    patient_id: str = "PID-5521907",
    modality: str = "CT",
    sop_uid: str = "1.2.826.0.1.3680043.8.498.100001",
    study_date: str = "20240312",
    burned_text: str | None = None,
    frames: int = 1,
) -> bytes:
    """A small uncompressed DICOM file; US files get 8-bit frames with ``burned_text``."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, UltrasoundMultiFrameImageStorage

    sop_class = UltrasoundMultiFrameImageStorage if modality == "US" else CTImageStorage
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    ds.Modality = modality
    ds.PatientName = name
    ds.PatientID = patient_id
    ds.PatientBirthDate = "19900101"
    ds.StudyDate = study_date
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.200001"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.8.498.300001"
    ds.InstitutionName = "Fernhill General Hospital"
    rows, cols = (200, 320) if modality == "US" else (64, 64)
    ds.Rows, ds.Columns, ds.SamplesPerPixel = rows, cols, 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    if modality == "US":
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
        ds.NumberOfFrames = frames
        rng = np.random.default_rng(7)
        base = (rng.random((rows, cols)) * 60).astype(np.uint8)
        label = render_label((rows, cols), burned_text or "", (6, 6))
        frame = np.maximum(base, label)
        ds.PixelData = np.stack([frame] * frames).tobytes()
    else:
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.PixelData = (np.arange(rows * cols, dtype=np.int16).reshape(rows, cols) % 200).tobytes()
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def make_photo(label: str) -> bytes:
    """A plain photo-like JPEG with a white card carrying ``label`` in dark letters."""
    rng = np.random.default_rng(3)
    arr = (rng.random((300, 420, 3)) * 40 + np.array([120, 90, 80])).astype(np.uint8)
    img = Image.fromarray(arr)
    d = ImageDraw.Draw(img)
    d.rectangle([40, 120, 380, 175], fill=(245, 245, 240))
    d.text((52, 132), label, font=font(24), fill=(15, 15, 15))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=92)
    return buf.getvalue()


def ocr_words(rgb_or_gray: np.ndarray) -> str:
    """All text the real OCR engine reads in an image, lower-cased."""
    from deid.image.ocr import get_ocr_engine

    img = rgb_or_gray
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    if img.dtype != np.uint8:
        img = ((img - img.min()) * (255.0 / max(1, int(img.max() - img.min())))).astype(np.uint8)
    return " ".join(b.text for b in get_ocr_engine("rapidocr").detect(img)).lower()
