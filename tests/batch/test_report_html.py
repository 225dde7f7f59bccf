"""The HTML review report, rendered by a real headless browser (Debian chromium)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from deid.batch.review import text_segments
from deid.batch.runner import BatchOptions, run_batch

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PHOTO = REPO / "sample_cases" / "case_04_wound_photo" / "IMG_20240312_094100_martha.jpg"


def _chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp / 'chromium-profile'}", *args],
        capture_output=True, text=True, timeout=120,
    )


def test_text_segments_mark_replacements_word_by_word():
    segs = text_segments("Seen by Martha Hope on 03/04/1961.", "Seen by [NAME] on 06/01/1960.")
    assert segs == [("Seen by ", False), ("[NAME]", True), (" on ", False), ("06/01/1960", True), (".", False)]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("review")
    case = tmp / "src" / "case_a"
    case.mkdir(parents=True)
    shutil.copy(PHOTO, case / "photo.jpg")
    (case / "note.txt").write_text("Wound check for Martha Hope, MRN 4471923, on 17 March 2024.\n")
    (case / "scan.bin").write_bytes(b"\x00\x01not a supported file")
    opts = BatchOptions(key=b"k" * 32, review=True, report_path=tmp / "report.html")
    run_batch(tmp / "src", tmp / "out", opts)
    return tmp / "report.html"


def test_report_is_static_and_says_it_holds_phi(report: Path):
    page = report.read_text()
    assert "CONTAINS PHI" in page[:3000]
    assert not re.search(r"(?:src|href)=[\"'](?:https?:)?//", page)  # nothing fetched
    assert "<script" not in page
    assert page.count('class="before"') == 1 and page.count('class="after"') == 1
    assert "<mark>" in page and "withheld: unsupported_type" in page
    assert "4471923" not in page and "Martha Hope" not in page  # text shown scrubbed only


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed (scripts/setup.sh installs it)")
def test_report_renders_in_headless_chromium(report: Path, tmp_path: Path):
    shot = tmp_path / "shot.png"
    res = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,1400", report.as_uri())
    assert shot.exists(), res.stderr[-2000:]
    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert img.shape[:2] == (1400, 1200)
    assert img.std() > 20  # not a blank page
    top = img[5:30, 5:600].reshape(-1, 3).mean(axis=0)  # the red PHI banner
    assert top[0] > 140 and top[1] < 60 and top[2] < 80
    # Images decoded: the photo area holds many colours (an empty <img> would not).
    assert len(np.unique(img[300:1000, :800].reshape(-1, 3), axis=0)) > 2000

    dom = _chromium(tmp_path, "--dump-dom", report.as_uri()).stdout
    assert 'id="phi-warning"' in dom
    assert len(re.findall(r'<img class="(?:before|after)"', dom)) == 2
    assert re.search(r'class="box face"', dom)  # the face outlined on the before image
    assert "<mark>" in dom
