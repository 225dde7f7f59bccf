"""A CT series inside one case: slices share a series memory (deid.image.series)."""

from __future__ import annotations

import io

import numpy as np
import pydicom
from case_builders import ocr_words

from deid.case import scrub_case
from deid.core.context import CaseContext
from deid.core.policy import Policy
from tests.support.ct_series import burn_text, ct_dicom, ct_slice

SIZE = 256


def _series(n: int, *, name: str = "QUILLFEATHER", spacing: tuple[float, float] = (0.7, 0.7), start: int = 0,
            uid: str = "1.2.826.0.1.3680043.8.498.77.2") -> list[bytes]:
    out = []
    for i in range(start, start + n):
        px = ct_slice(i, SIZE, seed=9)
        burn_text(px, [name], corner="tl", scale=0.45)
        out.append(ct_dicom(px, i, series_uid=uid, pixel_spacing=spacing))
    return out


def _notes(part) -> str:  # type: ignore[no-untyped-def]
    return " ".join(part.report.notes)


def test_slices_after_the_first_reads_are_compared_and_every_output_is_clean():
    result = scrub_case(_series(8), Policy(), CaseContext(b"series-case-key-0123456789abcdef"))
    assert not result.withheld
    read_in_full = [p for p in result.parts if "read in full" in _notes(p)]
    assert 3 <= len(read_in_full) < 8
    for p in result.parts:
        px = pydicom.dcmread(io.BytesIO(p.data)).pixel_array
        assert "quillfeather" not in ocr_words(px).replace(" ", "")
        if p not in read_in_full:
            assert any("anatomy" in r for r in p.report.residual_risk)


def test_a_geometry_change_starts_a_new_series_memory():
    # Same series UID, other pixel spacing from slice 6 on: that slice is read in full again.
    first = _series(6)
    other = _series(2, spacing=(0.9, 0.9), start=6)
    result = scrub_case(first + other, Policy(), CaseContext(b"series-case-key-0123456789abcdef"))
    assert not result.withheld
    assert "read in full" not in _notes(result.parts[5])
    assert "read in full" in _notes(result.parts[6])


def test_series_full_read_policy_reads_every_slice_in_a_case():
    policy = Policy.from_dict({"image": {"series_full_read": True}})
    result = scrub_case(_series(5), policy, CaseContext(b"series-case-key-0123456789abcdef"))
    assert all("read in full" in _notes(p) for p in result.parts)
    assert not any("anatomy" in " ".join(p.report.residual_risk) for p in result.parts)


def test_untouched_slices_keep_their_pixel_data_byte_for_byte():
    data = [ct_dicom(ct_slice(i, SIZE, seed=9), i) for i in range(5)]
    result = scrub_case(data, Policy(), CaseContext(b"series-case-key-0123456789abcdef"))
    for raw, part in zip(data, result.parts, strict=True):
        src = pydicom.dcmread(io.BytesIO(raw))
        out = pydicom.dcmread(io.BytesIO(part.data))
        assert out.PixelData == src.PixelData
        assert np.array_equal(out.pixel_array, src.pixel_array)


def test_library_calls_without_a_book_read_every_loose_slice_in_full():
    # scrub_case with no book: each call (a loose slice) is a case with its own memory.
    ctx_key = b"series-case-key-0123456789abcdef"
    for i, raw in enumerate(_series(4)):
        result = scrub_case([raw], Policy(), CaseContext(ctx_key, case_id=f"c{i}"))
        assert "read in full (slice 1 read in full of 1" in _notes(result.parts[0])


def test_a_book_handed_over_is_shared_across_cases_of_one_series():
    from deid.image.series import SeriesBook

    book = SeriesBook(max_series=4)
    ctx_key = b"series-case-key-0123456789abcdef"
    parts = [scrub_case([raw], Policy(), CaseContext(ctx_key, case_id=f"c{i}"), series=book).parts[0]
             for i, raw in enumerate(_series(5))]
    assert len(book) == 1
    assert "read in full" not in _notes(parts[4])
    assert any("anatomy" in r for r in parts[4].report.residual_risk)
    # Under another key the same series UID is another series (the key is a keyed digest).
    other = scrub_case([_series(1, start=5)[0]], Policy(), CaseContext(b"another-key-0123456789abcdef0000"), series=book)
    assert "read in full" in _notes(other.parts[0])
    assert len(book) == 2
