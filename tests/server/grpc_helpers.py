"""Helpers for the gRPC service tests: constants, synthetic inputs, log checks."""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import socket
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KEY = b"test-key-for-the-grpc-service-0123456789"
TOKEN = "s3cret-token-for-tests"
KiB = 1024
MAX_MESSAGE = 256 * KiB


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # noqa: BLE001
            self.lines.append(str(record.msg))


def assert_not_in_logs(logs: _Collect, *planted: str) -> None:
    text = "\n".join(logs.lines)
    for value in planted:
        assert value not in text, "a planted value reached the server log"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---- synthetic inputs ---------------------------------------------------------------

def clinical_text(name: str = "Zebadiah Quillfeather", mrn: str = "MRN 48213377", words: int = 150) -> str:
    """A synthetic case post with planted identifiers, about ``words`` words long."""
    head = (
        f"Patient {name}, {mrn}, was seen on 03/14/2021 at 555-867-5309 and emailed "
        f"zq.feather@example.org about the wound. "
    )
    filler = (
        "The lesion measured four centimetres with irregular borders and mild erythema. "
        "Dressings were changed daily and the edges were debrided under local anaesthesia. "
        "Cultures grew a sensitive organism and oral antibiotics were continued for a week. "
    )
    text = head
    while len(text.split()) < words:
        text += filler
    return text


def png_bytes(width: int = 320, height: int = 240, *, noise: bool = False, label: str | None = None) -> bytes:
    import numpy as np
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(7)
    if noise:
        arr = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    else:
        y = np.linspace(60, 200, height, dtype=np.uint8)[:, None]
        arr = np.repeat(np.repeat(y, width, axis=1)[:, :, None], 3, axis=2)
    img = Image.fromarray(arr)
    if label:
        ImageDraw.Draw(img).text((10, 10), label, fill=(255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


@dataclass
class Dicom:
    data: bytes
    patient_name: str
    patient_id: str


def dicom_bytes(*, frames: int = 1, rows: int = 64, cols: int = 64, name: str = "Quillfeather^Zebadiah",
                patient_id: str = "PID99817723", modality: str = "CT") -> Dicom:
    """A small DICOM file built in code, with a planted patient name and ID."""
    import numpy as np
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientName = name
    ds.PatientID = patient_id
    ds.PatientBirthDate = "19610203"
    ds.StudyDate = dt.date(2021, 3, 14).strftime("%Y%m%d")
    ds.Modality = modality
    ds.InstitutionName = "Saint Quillfeather Hospital"
    ds.Rows, ds.Columns = rows, cols
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    if frames > 1:
        ds.NumberOfFrames = frames
    rng = np.random.default_rng(3)
    ds.PixelData = rng.integers(0, 4096, size=(frames, rows, cols), dtype=np.uint16).tobytes()
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return Dicom(buf.getvalue(), name, patient_id)


def module_available(name: str) -> bool:
    import importlib

    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def env_without_keys() -> dict[str, str]:
    env = dict(os.environ)
    for var in ("DEID_KEY", "DEID_KEY_FILE", "DEID_SERVER_TOKENS"):
        env.pop(var, None)
    return env
