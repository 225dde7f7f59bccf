"""Session-scoped engines and helpers for the image tests (real OCR, real face model)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # for `import synth`

from deid.core import CaseContext, Policy  # noqa: E402


@pytest.fixture(scope="session")
def ocr():
    from deid.image.ocr import get_ocr_engine

    return get_ocr_engine("rapidocr", 1)


@pytest.fixture(scope="session")
def face_detector():
    from deid.image.faces import get_face_detector

    return get_face_detector("centerface", 1)


@pytest.fixture(scope="session")
def engines(ocr, face_detector):
    return ocr, face_detector


@pytest.fixture()
def policy() -> Policy:
    return Policy()


@pytest.fixture()
def context() -> CaseContext:
    return CaseContext(b"image-tests-key-0123456789abcdef", case_id="img")


@pytest.fixture(scope="session")
def read_text(ocr):
    """All text RapidOCR can read in an image (full-size detector), as one string."""
    from deid.image.ocr import OcrOptions

    def _read(arr: np.ndarray) -> str:
        if arr.ndim == 2:
            arr = np.repeat(arr[:, :, None], 3, axis=2)
        boxes = ocr.detect(np.ascontiguousarray(arr[:, :, :3]), OcrOptions(scale=1.0))
        boxes += ocr.detect(np.ascontiguousarray(arr[:, :, :3]), OcrOptions(scale=0.75))
        return "\n".join(b.text for b in boxes)

    return _read
