#!/usr/bin/env python
"""Build sample_cases/: synthetic cases (no real patient) for the demo and the tests.

    python scripts/make_sample_cases.py [OUT_DIR]     # default: sample_cases/

Deterministic (seeded noise, UIDs derived from fixed strings, fixed dates), so the
committed files can be rebuilt byte for byte. Every name, ID, date and phone number is
invented. File names deliberately carry "PHI" (SURNAME_GIVEN...): the scrubber must not
copy them to outputs. One DICOM file has no suffix: kinds are detected by content.

Cases:
  case_01_ultrasound/   multi-frame US DICOM with a burned-in header bar + history text
  case_02_chest_xray/   CR DICOM (12-bit) with the patient name in a corner + note
  case_03_ct_series/    four CT slices of one series (no burned-in text) + report text
  case_04_wound_photo/  JPEG photo with a face (skimage astronaut), a wristband and EXIF
                        (GPS, camera serial, date) + the post text
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
)


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for p in FONT_PATHS:
        if Path(p).exists():
            return ImageFont.truetype(p, size)
    return ImageFont.load_default(size=size)


def uid(*parts: str) -> str:
    """A fixed 2.25 UID derived from strings (pydicom's generate_uid is random without a prefix)."""
    import hashlib

    digest = hashlib.sha256("\x00".join(["deid-sample-cases", *parts]).encode()).digest()
    return f"2.25.{int.from_bytes(digest[:16], 'big')}"


def base_dataset(sop_class: str, sop_uid: str, modality: str, patient: dict[str, str]):  # type: ignore[no-untyped-def]
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = "2.25.1234567890123456789"
    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    ds.Modality = modality
    ds.PatientName = patient["name"]
    ds.PatientID = patient["id"]
    ds.PatientBirthDate = patient["dob"]
    ds.PatientSex = patient["sex"]
    ds.OtherPatientIDs = patient.get("other_id", "")
    ds.InstitutionName = patient["institution"]
    ds.ReferringPhysicianName = patient["referrer"]
    ds.AccessionNumber = patient["accession"]
    ds.StudyDate = patient["date"]
    ds.SeriesDate = patient["date"]
    ds.ContentDate = patient["date"]
    ds.StudyTime = "101500"
    ds.StudyInstanceUID = uid(patient["id"], "study", modality)
    ds.SeriesInstanceUID = uid(patient["id"], "series", modality)
    ds.StudyID = "1"
    ds.SeriesNumber = 1
    ds.StudyDescription = "Synthetic sample study"
    return ds


def save(ds, path: Path) -> None:  # type: ignore[no-untyped-def]
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    path.write_bytes(buf.getvalue())


MARTHA = {
    "name": "HOPE^MARTHA^J", "id": "4471923", "dob": "19610304", "sex": "F",
    "other_id": "MRN-0044719", "institution": "St. Brigid Memorial Hospital",
    "referrer": "OKAFOR^DANIEL", "accession": "A20240312-0091", "date": "20240312",
}
ROBERT = {
    "name": "YOUNG^ROBERT", "id": "8812345", "dob": "19580719", "sex": "M",
    "institution": "Lakeview Community Clinic", "referrer": "NAKAMURA^EMI",
    "accession": "CR-55102", "date": "20240229",
}
ELENA = {
    "name": "PARK^ELENA", "id": "3309871", "dob": "19790115", "sex": "F",
    "institution": "Northgate Regional Medical Center", "referrer": "SILVA^MARCO",
    "accession": "CT-771204", "date": "20231108",
}


def ultrasound(out: Path) -> None:
    from pydicom.uid import UltrasoundMultiFrameImageStorage

    rng = np.random.default_rng(1)
    rows, cols, n = 240, 320, 6
    yy, xx = np.mgrid[0:rows, 0:cols]
    # A sector ("fan") of speckle, as on a curvilinear probe.
    ang = np.arctan2(xx - cols / 2, yy + 40)
    rad = np.hypot(xx - cols / 2, yy + 40)
    fan = (np.abs(ang) < 0.6) & (rad > 70) & (rad < 270)
    frames = []
    for i in range(n):
        speckle = rng.gamma(2.0, 30.0, size=(rows, cols))
        blob = 90 * np.exp(-(((xx - 160 - 4 * i) ** 2) + (yy - 150) ** 2) / 900.0)
        img = np.where(fan, np.clip(speckle * 0.6 + blob, 0, 200), 0).astype(np.uint8)
        pil = Image.fromarray(img)
        d = ImageDraw.Draw(pil)
        d.rectangle([0, 0, cols, 24], fill=40)
        d.text((4, 5), "HOPE, MARTHA  ID 4471923", font=font(12), fill=255)
        d.text((210, 5), "12/03/2024 10:15", font=font(11), fill=255)
        d.text((4, rows - 16), "St. Brigid Memorial", font=font(10), fill=230)
        frames.append(np.asarray(pil))
    arr = np.stack(frames)
    sop = uid("us", "instance")
    ds = base_dataset(UltrasoundMultiFrameImageStorage, sop, "US", MARTHA)
    ds.NumberOfFrames = n
    ds.FrameTime = 50.0
    ds.Rows, ds.Columns = rows, cols
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.BurnedInAnnotation = "YES"
    ds.PixelData = arr.tobytes()
    save(ds, out / "HOPE_MARTHA_US_20240312.dcm")
    (out / "history.txt").write_text(
        "72-year-old woman, Martha Hope (MRN 4471923, DOB 03/04/1961), referred by Dr. Daniel Okafor\n"
        "from St. Brigid Memorial Hospital on 12 March 2024 for right upper quadrant pain.\n"
        "Ultrasound: gallbladder wall thickening with pericholecystic fluid. Her daughter can be\n"
        "reached at (617) 555-0142 or martha.hope61@example.com. Lives at 14 Birch Lane, Dover.\n"
        "Question for the group: would you operate now or wait for antibiotics to work?\n",
        encoding="utf-8",
    )


def chest_xray(out: Path) -> None:
    from pydicom.uid import ComputedRadiographyImageStorage

    rng = np.random.default_rng(2)
    n = 512
    yy, xx = np.mgrid[0:n, 0:n]
    body = np.exp(-(((xx - 256) / 210.0) ** 4 + ((yy - 280) / 230.0) ** 4))
    lungs = np.exp(-(((np.abs(xx - 256) - 95) / 70.0) ** 2 + ((yy - 260) / 150.0) ** 2))
    img = 600 + 2400 * body - 1500 * lungs + rng.normal(0, 40, size=(n, n))
    img = np.clip(img, 0, 4095)
    # Burn the label in with an 8-bit mask, then write it at full white (4095).
    mask = Image.new("L", (n, n), 0)
    d = ImageDraw.Draw(mask)
    d.text((10, 10), "YOUNG, ROBERT", font=font(16), fill=255)
    d.text((10, 32), "MRN 8812345  29-FEB-2024", font=font(13), fill=255)
    d.text((440, 480), "PA", font=font(18), fill=255)
    arr = np.where(np.asarray(mask) > 100, 4095, img).astype(np.uint16)
    sop = uid("cr", "instance")
    ds = base_dataset(ComputedRadiographyImageStorage, sop, "CR", ROBERT)
    ds.Rows = ds.Columns = n
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.BodyPartExamined = "CHEST"
    ds.ViewPosition = "PA"
    ds.PixelData = arr.tobytes()
    save(ds, out / "IM0001")  # no suffix: detected by content
    (out / "note.txt").write_text(
        "65M smoker seen 29/02/2024 with 3 weeks of cough. CXR attached. Mr young says the cough\n"
        "started after a trip; he works as a bus driver (licence DL-77120934). Robert's GP is\n"
        "Dr. Emi Nakamura at Lakeview Community Clinic, tel 555-203-4477.\n",
        encoding="utf-8",
    )


def ct_series(out: Path) -> None:
    from pydicom.uid import CTImageStorage

    rng = np.random.default_rng(3)
    n = 128
    yy, xx = np.mgrid[0:n, 0:n]
    for i in range(4):
        body = ((xx - 64) / 52.0) ** 2 + ((yy - 64) / 40.0) ** 2 < 1
        lesion = ((xx - 80) ** 2 + (yy - 58) ** 2) < (6 + i) ** 2
        hu = np.where(body, 40, -1000) + np.where(lesion, 60, 0) + rng.normal(0, 8, size=(n, n))
        arr = hu.astype(np.int16)
        sop = uid("ct", "instance", str(i))
        ds = base_dataset(CTImageStorage, sop, "CT", ELENA)
        ds.InstanceNumber = i + 1
        ds.SliceThickness = 5.0
        ds.ImagePositionPatient = [-64.0, -64.0, float(i * 5)]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.PixelSpacing = [1.0, 1.0]
        ds.Rows = ds.Columns = n
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.RescaleIntercept, ds.RescaleSlope = 0, 1
        ds.PixelData = arr.tobytes()
        save(ds, out / f"PARK_ELENA_CT_{i + 1:03d}.dcm")
    (out / "report.md").write_text(
        "# Incidental liver lesion\n\n"
        "Elena Park, 44, MRN 3309871, scanned 08/11/2023 at Northgate Regional Medical Center\n"
        "for abdominal pain. A 14 mm hypodense lesion in segment VIII grows across slices 1-4.\n"
        "Dr. Marco Silva asks: hemangioma or something to biopsy? SSN on the request: 123-45-6789.\n",
        encoding="utf-8",
    )


def wound_photo(out: Path) -> None:
    from skimage import data

    img = Image.fromarray(data.astronaut()).convert("RGB")  # public-domain NASA photo
    # A patient wristband across the lower part of the photo, slightly rotated.
    band = Image.new("RGB", (330, 46), (250, 250, 245))
    d = ImageDraw.Draw(band)
    d.text((8, 4), "HOPE, MARTHA  F  DOB 04/03/1961", font=font(14), fill=(10, 10, 10))
    d.text((8, 24), "MRN 4471923  St. Brigid", font=font(14), fill=(10, 10, 10))
    band = band.rotate(4, expand=True, fillcolor=(0, 0, 0))
    mask = band.convert("L").point(lambda v: 255 if v > 0 else 0)
    img.paste(band, (150, 420), mask)
    # A reddish "wound" on the sleeve.
    d = ImageDraw.Draw(img)
    d.ellipse([360, 300, 420, 340], fill=(150, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "SyntheticCam"  # Make
    exif[0x0110] = "SC-100"  # Model
    exif[0x0132] = "2024:03:12 09:41:00"  # DateTime
    exif[0xA431] = "SN-00417723"  # BodySerialNumber
    gps = {1: "N", 2: (42.0, 21.0, 30.0), 3: "W", 4: (71.0, 3.0, 45.0)}
    exif[0x8825] = gps
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=88, exif=exif.tobytes(), comment=b"patient Martha Hope")
    out.mkdir(parents=True, exist_ok=True)
    (out / "IMG_20240312_094100_martha.jpg").write_bytes(buf.getvalue())
    (out / "post.txt").write_text(
        "Post-op day 5 wound check on 17 March 2024. Mrs Hope (wristband visible, sorry) has some\n"
        "erythema around the incision. Photo taken on the ward at St. Brigid's. Cellulitis or\n"
        "just healing? She is allergic to penicillin.\n",
        encoding="utf-8",
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent / "sample_cases"
    ultrasound(root / "case_01_ultrasound")
    chest_xray(root / "case_02_chest_xray")
    ct_series(root / "case_03_ct_series")
    wound_photo(root / "case_04_wound_photo")
    total = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    print(f"wrote {sum(1 for p in root.rglob('*') if p.is_file())} files, {total / 1e6:.2f} MB under {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
