"""Archive throughput: a mixed .zip of synthetic cases, scrubbed at --workers 1 and 2 and
on a 2-worker Dask LocalCluster. Prints files/s (wall time including engine warm-up).

    python -m bench.archive_bench [--cases 12] [--no-dask]

Each case: one text (~120 words with names, dates, IDs), one 480x480 photo (a face and
a name card), one small CT slice and one single-frame ultrasound with a burned-in header.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

KEY = b"bench-key-0123456789abcdef-not-secret"

TEXT = (
    "{name}, a {age}-year-old, MRN {mrn}, was admitted on {date} to Fernhill General with "
    "a painful swollen left knee. Seen by Dr. Alma Reyes; contact (555) 201-{i:04d}. "
    "Aspiration showed turbid fluid; gram stain pending. History of gout, type 2 diabetes "
    "and hypertension. Started on IV cefazolin after cultures. Orthopaedics asked about a "
    "washout. What would you do next, and would you cover for MRSA given the local rates? "
    "Follow-up planned in the fracture clinic in two weeks; daughter lives at 12 Elm Road.\n"
)


def _photo(i: int) -> bytes:
    from PIL import Image, ImageDraw
    from skimage import data

    img = Image.fromarray(data.astronaut()).resize((480, 480)).convert("RGB")
    d = ImageDraw.Draw(img)
    d.rectangle([40, 400, 330, 440], fill=(245, 245, 240))
    d.text((50, 410), f"PATIENT {i:03d}  MRN 77{i:05d}", fill=(10, 10, 10), font_size=18)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _dicom(i: int, modality: str) -> bytes:
    from PIL import Image, ImageDraw
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, UltrasoundImageStorage

    sop = f"1.2.826.0.1.3680043.8.498.{i}.{1 if modality == 'CT' else 2}"
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage if modality == "CT" else UltrasoundImageStorage
    meta.MediaStorageSOPInstanceUID = sop
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID, ds.Modality = meta.MediaStorageSOPClassUID, sop, modality
    ds.PatientName, ds.PatientID, ds.StudyDate = f"BENCH^PATIENT{i}", f"77{i:05d}", "20240312"
    ds.StudyInstanceUID = f"1.2.826.0.1.3680043.8.498.{i}.9"
    ds.SeriesInstanceUID = f"1.2.826.0.1.3680043.8.498.{i}.8.{1 if modality == 'CT' else 2}"
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    if modality == "CT":
        ds.Rows = ds.Columns = 128
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.PixelData = (np.random.default_rng(i).normal(40, 10, (128, 128))).astype(np.int16).tobytes()
    else:
        ds.Rows, ds.Columns = 240, 320
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
        img = Image.fromarray((np.random.default_rng(i).random((240, 320)) * 80).astype(np.uint8))
        ImageDraw.Draw(img).text((6, 6), f"BENCH, PATIENT{i}  ID 77{i:05d}  12/03/2024", fill=255, font_size=12)
        ds.PixelData = np.asarray(img).tobytes()
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def build_archive(path: Path, cases: int) -> int:
    n = 0
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(cases):
            d = f"cases/CASE_{i:03d}"
            zf.writestr(f"{d}/history.txt", TEXT.format(name=f"Edwin Moss{i}", age=50 + i % 30,
                                                         mrn=f"77{i:05d}", date="12/03/2024", i=i))
            zf.writestr(f"{d}/photo.jpg", _photo(i))
            zf.writestr(f"{d}/ct.dcm", _dicom(i, "CT"))
            zf.writestr(f"{d}/us", _dicom(i, "US"))
            n += 4
    return n


def run(src: Path, dst: Path, **kw: object) -> tuple[float, float, dict]:
    """(wall seconds, steady-state files/s after the first case finished, summary)."""
    from deid.batch.runner import BatchOptions, run_batch

    marks: list[tuple[float, int]] = []

    def progress(_what: str, _done: int, _total: int, outcome: object) -> None:
        if outcome is None:  # the "start" call
            return
        marks.append((time.perf_counter(), len(outcome.entries)))  # type: ignore[attr-defined]

    t0 = time.perf_counter()
    summary = run_batch(src, dst, BatchOptions(key=KEY, **kw), progress=progress)  # type: ignore[arg-type]
    wall = time.perf_counter() - t0
    steady = 0.0
    if len(marks) > 1:  # engine warm-up excluded: from the first finished case to the last
        steady = sum(n for _, n in marks[1:]) / max(1e-9, marks[-1][0] - marks[0][0])
    return wall, steady, summary.to_dict()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=12)
    ap.add_argument("--no-dask", action="store_true")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        archive = tmpd / "mixed.zip"
        files = build_archive(archive, args.cases)
        print(f"archive: {args.cases} cases, {files} files, {archive.stat().st_size / 1e6:.1f} MB "
              f"(text, photo, CT, US per case); cpu cores: {os.cpu_count()}")
        rows = []
        for label, kw in (("--workers 1", {"workers": 1}), ("--workers 2", {"workers": 2})):
            secs, steady, s = run(archive, tmpd / label.replace(" ", "_"), **kw)
            rows.append((label, secs, steady, s))
        if not args.no_dask:
            from distributed import LocalCluster

            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
                secs, steady, s = run(archive, tmpd / "dask", dask=c.scheduler_address)
                rows.append(("dask LocalCluster(2)", secs, steady, s))
        print(f"{'mode':<22} {'seconds':>8} {'files/s':>8} {'steady':>8}  scrubbed/withheld  withheld reasons")
        for label, secs, steady, s in rows:
            print(f"{label:<22} {secs:8.2f} {files / secs:8.2f} {steady:8.2f}  {s['scrubbed']:>4}/{s['withheld']:<4}"
                  f"        {s['withheld_reasons'] or '-'}")
        print("files/s: wall time incl. worker start and engine warm-up; steady: after the first case")
    return 0


if __name__ == "__main__":
    sys.exit(main())
