"""Row 4 of the security issue: DEBUG logs carry no planted value, from any scrubber.

The service is configured exactly as ``--log-level DEBUG`` does (deid.server.__main__ in the
gRPC process, deid.server.work in the workers); every record any handler would write is
collected, then text, a photo with EXIF Artist/Copyright and a DICOM file with planted
values are scrubbed in this process.
"""

from __future__ import annotations

import io
import logging

import pytest
from grpc_helpers import clinical_text, dicom_bytes, module_available

from deid.core.context import CaseContext

ARTIST = "Zebadiah Artistname"
COPYRIGHT = "Copyright Quillfeather Clinic"
NAME = "Quillfeather^Zebadiah"
PID = "PID99817723"


def _photo_with_exif() -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (320, 240), (120, 110, 100))
    ImageDraw.Draw(img).ellipse((100, 60, 220, 180), fill=(180, 90, 80))
    exif = Image.Exif()
    exif[315] = ARTIST  # Artist
    exif[0x8298] = COPYRIGHT  # Copyright
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif.tobytes())
    return buf.getvalue()


@pytest.fixture
def debug_records(monkeypatch: pytest.MonkeyPatch):
    """Configure logging like the service at DEBUG; collect what handlers would write."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    written: list[str] = []
    real_emit = logging.StreamHandler.emit

    def emit(self: logging.StreamHandler, record: logging.LogRecord) -> None:  # type: ignore[type-arg]
        written.append(f"{record.name} {record.levelname} {record.getMessage()}")
        return real_emit(self, record)

    monkeypatch.setattr(logging.StreamHandler, "emit", emit)
    yield written
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def _configure_like_the_service() -> None:
    from deid.server.__main__ import _setup_logging
    from deid.server.work import setup_worker_logging

    _setup_logging("DEBUG", False)  # the gRPC process
    setup_worker_logging("DEBUG")  # a worker process (same process here)


def test_pillow_leaks_exif_at_debug_without_the_hold(debug_records):
    # The attack the hold defends against, reproduced: without it, Pillow's DEBUG
    # lines carry the EXIF values. (Proves the collector sees library records.)
    from PIL import Image

    root = logging.getLogger()
    root.handlers[:] = [logging.StreamHandler(io.StringIO())]
    root.setLevel(logging.DEBUG)
    pil = logging.getLogger("PIL")
    old_level, old_filters = pil.level, list(pil.filters)
    pil.setLevel(logging.NOTSET)
    pil.filters.clear()
    child = logging.getLogger("PIL.TiffImagePlugin")
    child_level, child_filters = child.level, list(child.filters)
    child.setLevel(logging.NOTSET)
    child.filters.clear()
    try:
        Image.open(io.BytesIO(_photo_with_exif())).getexif()
    finally:
        pil.setLevel(old_level)
        pil.filters[:] = old_filters
        child.setLevel(child_level)
        child.filters[:] = child_filters
    assert any(ARTIST in line for line in debug_records)


def test_debug_logs_of_every_scrubber_hold_no_planted_value(debug_records):
    from PIL import Image

    from deid.dicom import scrub_dicom
    from deid.text import scrub_text

    _configure_like_the_service()
    ctx = CaseContext(b"log-test-key-0123456789abcdef-0123456789", case_id="logs")
    text = clinical_text("Zebadiah Quillfeather", "MRN 48213377")
    scrub_text(text, None, ctx)
    dcm = dicom_bytes(name=NAME, patient_id=PID)
    scrub_dicom(dcm.data, None, ctx)
    Image.open(io.BytesIO(_photo_with_exif())).getexif()  # the reader the photo path uses
    if module_available("deid.image"):
        from deid.image import scrub_image

        scrub_image(_photo_with_exif(), None, ctx)
    logging.getLogger("deid.test").debug("our own DEBUG lines still flow")
    assert any("our own DEBUG lines still flow" in line for line in debug_records)
    out = "\n".join(debug_records)
    for planted in (ARTIST, COPYRIGHT, "Zebadiah", "Quillfeather", "48213377", PID, "zq.feather"):
        assert planted not in out, "a planted value reached a log line"
    held = [ln for ln in debug_records if ln.split(" ", 1)[0].split(".")[0] in ("PIL", "pydicom", "RapidOCR")]
    assert all(" WARNING " in ln or " ERROR " in ln or " CRITICAL " in ln for ln in held)
