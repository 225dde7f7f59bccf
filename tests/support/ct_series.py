"""CT-like synthetic slices (tests and bench/dicom_bench): a body in a field of view.

Stored values are 12-bit unsigned with RescaleIntercept -1024 (HU = stored - 1024), as
a scanner writes them: corners outside the reconstruction circle hold padding (stored 0,
-1024 HU exactly, no noise), air inside the circle and tissue carry noise, and the body
(an ellipse with lungs, a spine and a vessel) changes from slice to slice. Burned-in text
(``burn_text``) is drawn at the top of the stored range in a corner, as PACS exports and
secondary captures do.
"""

from __future__ import annotations

import numpy as np

HU_OFFSET = 1024  # stored = HU + 1024


def ct_slice(index: int, size: int = 512, *, seed: int = 0, noise_hu: float = 18.0) -> np.ndarray:
    """One (size, size) uint16 slice; ``index`` moves the anatomy along the body axis."""
    import cv2

    rng = np.random.default_rng(seed * 100_003 + index)
    s = size / 512.0
    hu = np.full((size, size), -1000.0, np.float32)  # air inside the field of view
    c = size // 2
    z = index / 40.0
    body_a = int((200 + 12 * np.sin(z)) * s)
    body_b = int((150 + 8 * np.cos(0.7 * z)) * s)
    cv2.ellipse(hu, (c, c + int(20 * s)), (body_a, body_b), 0, 0, 360, 40.0, -1)
    # table under the patient (static from slice to slice, as a real table is)
    cv2.rectangle(hu, (c - int(180 * s), c + int(190 * s)), (c + int(180 * s), c + int(200 * s)), 150.0, -1)
    lung_r = int((70 + 20 * np.sin(0.5 * z)) * s)
    for side in (-1, 1):
        cv2.ellipse(hu, (c + side * int(85 * s), c), (lung_r, int(lung_r * 1.3)), 0, 0, 360, -850.0, -1)
    cv2.circle(hu, (c, c + int(110 * s)), int(24 * s), 700.0, -1)  # vertebra
    vx = c + int(30 * s * np.sin(1.3 * z))
    cv2.circle(hu, (vx, c + int(40 * s)), int((14 + 4 * np.cos(z)) * s), 180.0, -1)  # contrast vessel
    noise = rng.normal(0.0, noise_hu, (size, size)).astype(np.float32)
    hu = cv2.GaussianBlur(hu, (3, 3), 0.8) + cv2.GaussianBlur(noise, (3, 3), 0.6) * 1.6
    stored = np.clip(np.round(hu + HU_OFFSET), 0, 4095).astype(np.uint16)
    yy, xx = np.mgrid[0:size, 0:size]
    outside = (yy - c + 0.5) ** 2 + (xx - c + 0.5) ** 2 > (size / 2) ** 2
    stored[outside] = 0  # padding outside the reconstruction circle: constant
    return stored


def burn_text(pixels: np.ndarray, lines: list[str], *, corner: str = "tl", value: int = 4095, scale: float = 0.5) -> None:
    """Draw ``lines`` into a corner of a grey slice, in place (Hershey simplex, 1 px)."""
    import cv2

    h, w = pixels.shape[:2]
    canvas = np.zeros((h, w), np.uint8)
    step = int(22 * scale / 0.5)
    for k, line in enumerate(lines):
        (tw, _th), _ = cv2.getTextSize(line, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        x = 6 if corner[1] == "l" else w - tw - 6
        y = 18 + k * step if corner[0] == "t" else h - 8 - (len(lines) - 1 - k) * step
        cv2.putText(canvas, line, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, 255, 1, cv2.LINE_AA)
    mask = canvas > 0
    blend = canvas[mask].astype(np.float32) / 255.0
    pixels[mask] = np.round(pixels[mask] * (1 - blend) + value * blend).astype(pixels.dtype)


def ct_dicom(
    pixels: np.ndarray,
    index: int,
    *,
    series_uid: str = "1.2.826.0.1.3680043.8.498.77.2",
    pixel_spacing: tuple[float, float] = (0.7, 0.7),
    patient_name: str = "QUILLFEATHER^MAREN",
) -> bytes:
    """One CT slice as a Part 10 file (explicit VR little endian, 12 of 16 bits)."""
    import io

    from pydicom.dataset import Dataset
    from pydicom.uid import CTImageStorage

    from tests.support.dicom_build import attach_file_meta, ct12_pixel_module

    ds = Dataset()
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = f"{series_uid}.{index + 1}"
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.77.1"
    ds.SeriesInstanceUID = series_uid
    ds.Modality = "CT"
    ds.PatientName = patient_name
    ds.PatientID = "PID-0047117"
    ds.StudyDescription = "CT CHEST"
    ds.InstanceNumber = index + 1
    ds.ImagePositionPatient = [0, 0, index]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.PixelSpacing = list(pixel_spacing)
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ct12_pixel_module(ds)
    ds.PixelData = pixels.astype("<u2").tobytes()
    attach_file_meta(ds)
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()
