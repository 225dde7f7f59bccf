"""Burned-in text across the slices of a series (deid.image.series), with real OCR.

Slices are the CT phantom of tests/support/ct_series.py at 256 px: padding outside the
reconstruction circle, noisy air and anatomy that changes from slice to slice.
"""

from __future__ import annotations

import numpy as np
import pytest

from deid.core import CaseContext, Policy
from deid.image import scrub_pixels
from deid.image.series import FULL_READS, SeriesMemory
from tests.support.ct_series import burn_text, ct_slice

SIZE = 256


def _slice(i: int, name: str | None = "QUILLFEATHER") -> np.ndarray:
    px = ct_slice(i, SIZE, seed=5)
    if name:
        burn_text(px, [name], corner="tl", scale=0.45)
    return px


def _render(frame: np.ndarray) -> np.ndarray:
    lo, hi = np.percentile(frame, [0.5, 99.5])
    return np.clip((frame.astype(np.float32) - lo) * 255.0 / max(1.0, hi - lo), 0, 255).astype(np.uint8)


def _run(slices: list[np.ndarray], policy: Policy, context: CaseContext):  # type: ignore[no-untyped-def]
    memory = SeriesMemory()
    out = []
    for px in slices:
        res = scrub_pixels(px[None], policy=policy, context=context, text_mode="annotation", series=memory)
        out.append((res.frames[0], res.report))
    return memory, out


@pytest.mark.parametrize("later", ["BRANTWORTHY", "BRANTWORTHY OSGODBY"])
def test_a_later_slice_with_another_name_in_the_static_corner_gets_it_removed(ocr, policy, context, read_text, later):
    # A name as long as the first stays under the series' fill; a longer one grows out
    # of it and is cropped and read.
    slices = [_slice(i) for i in range(7)] + [_slice(7, later)]
    assert "BRANTWORTHY" in read_text(_render(slices[-1])).upper().replace(" ", "")  # readable before
    memory, out = _run(slices, policy, context)
    last, report = out[-1]
    assert memory.full_reads < 7  # the last slice was not read in full
    if " " in later:
        assert any("changed area" in n for n in report.notes)  # its changed corner was
    text = read_text(_render(last)).upper().replace(" ", "")
    assert "BRANTWORTHY" not in text and "WORTHY" not in text and "OSGODBY" not in text
    assert report.findings  # the name's region is reported (no value)
    assert all("BRANTWORTHY" not in str(f.to_dict()) for f in report.findings)


def test_unchanged_slices_are_not_read_again_and_carry_the_residual_risk(ocr, policy, context, read_text):
    memory, out = _run([_slice(i) for i in range(8)], policy, context)
    assert memory.full_reads == FULL_READS
    for k, (frame, report) in enumerate(out):
        assert "QUILLFEATHER" not in read_text(_render(frame)).upper().replace(" ", "")
        risk = " ".join(report.residual_risk)
        if k < memory.full_reads:
            assert "anatomy" not in risk
        else:
            assert "changing (anatomy) area of this slice was not read" in risk
            assert "QUILLFEATHER" not in risk


def test_policy_full_read_reads_every_slice(ocr, context):
    policy = Policy.from_dict({"image": {"series_full_read": True}})
    memory, out = _run([_slice(i) for i in range(6)], policy, context)
    assert memory.full_reads == 6
    assert all(any("read in full" in n for n in r.notes) for _f, r in out)
    assert not any("anatomy" in " ".join(r.residual_risk) for _f, r in out)


def test_text_appearing_in_padding_after_the_full_reads_is_found(ocr, policy, context, read_text):
    slices = [_slice(i, None) for i in range(6)]
    late = ct_slice(6, SIZE, seed=5)
    burn_text(late, ["DOB 19520314"], corner="br", scale=0.45)
    memory, out = _run([*slices, late], policy, context)
    assert memory.full_reads < 7
    assert "19520314" not in read_text(_render(out[-1][0])).replace(" ", "")


@pytest.mark.parametrize("dtype", [np.uint16, np.int16])
def test_rendering_is_one_window_for_the_series(dtype):
    memory = SeriesMemory()
    a = _slice(0).astype(dtype)
    memory.start(a[None])
    v = memory.render(a)
    assert v.dtype == np.uint8 and v.shape == a.shape
    assert v.max() == 255 and v.min() == 0


def test_a_bounded_book_drops_the_least_recently_used_memory():
    from deid.image.series import SeriesBook

    book = SeriesBook(max_series=2)
    a, b = book.memory("a"), book.memory("b")
    assert book.memory("a") is a  # used again: b is now the oldest
    book.memory("c")
    assert len(book) == 2 and book.evicted == 1
    assert book.memory("a") is a and book.memory("b") is not b  # b started over
    assert "a" not in repr(book)


def test_a_book_over_its_byte_cap_keeps_only_the_newest_memory(context, policy, ocr):
    from deid.image.series import SeriesBook

    book = SeriesBook(max_bytes=1)
    for key in ("x", "y"):
        mem = book.memory(key)
        scrub_pixels(ct_slice(0, 64, seed=1)[None], policy=policy, context=context, text_mode="annotation", series=mem)
        book.trim()
    assert len(book) == 1 and book.nbytes() > 1 and book.evicted == 1
