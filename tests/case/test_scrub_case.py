"""scrub_case: one CaseContext across DICOM, photos and text, with real engines."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import numpy as np
import pytest
from case_builders import make_dicom, make_photo, ocr_words
from PIL import Image

from deid.case import CasePart, scrub_case, sniff_kind
from deid.core.context import CaseContext

KEY = b"case-test-key-0123456789abcdef!!"


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def test_kinds_are_detected_by_content_not_by_name():
    dcm, jpg = make_dicom(), make_photo("label")
    assert sniff_kind(dcm) == "dicom"
    assert sniff_kind(jpg) == "image"
    assert sniff_kind(b"plain case text\n") == "text"
    assert sniff_kind(b"\x00\x01\x02\x03") == "unknown"
    result = scrub_case(
        [CasePart(dcm, name="photo.jpg"), CasePart(b"notes about a rash", name="scan.dcm")],
        context=CaseContext(KEY),
    )
    assert [p.kind for p in result.parts] == ["dicom", "text"]


def test_header_name_is_removed_from_text_even_as_lowercase_common_words():
    # "young" and "hope" are ordinary words: in lower case NER rarely calls them a name.
    text = "Reviewed today: young hope, 34, with chest pain since 2024-03-12. Family has hope."
    dcm = make_dicom(name="YOUNG^HOPE", study_date="20240312")
    ctx = CaseContext(KEY)
    result = scrub_case([CasePart(text, name="young_hope_note.txt"), CasePart(dcm, name="YOUNG_HOPE.dcm")], context=ctx)
    text_part = next(p for p in result.parts if p.kind == "text")
    assert not text_part.withheld
    assert {"young", "hope"}.isdisjoint(_words(text_part.text or ""))
    assert "34" in (text_part.text or "") or "chest pain" in (text_part.text or "")
    # One date shift for the whole case: the header's StudyDate and the text's date move together.
    shifted = dt.date(2024, 3, 12) + dt.timedelta(days=ctx.date_shift_days)
    dcm_part = next(p for p in result.parts if p.kind == "dicom")
    if not dcm_part.withheld:
        import pydicom

        out = pydicom.dcmread(io.BytesIO(dcm_part.data or b""))
        assert out.StudyDate == shifted.strftime("%Y%m%d")
    assert shifted.isoformat() in (text_part.text or "")


def test_header_name_is_removed_from_a_photo_label():
    # A photo label in lower case: the photo scrubber ("phi" mode) needs the deny-list.
    photo = make_photo("hope young")
    before = ocr_words(np.asarray(Image.open(io.BytesIO(photo)).convert("RGB")))
    assert "hope" in before  # the test can fail: the name is readable before
    result = scrub_case([make_dicom(name="YOUNG^HOPE"), photo], context=CaseContext(KEY))
    img = next(p for p in result.parts if p.kind == "image")
    assert not img.withheld, img.report.withheld_reason
    after = ocr_words(np.asarray(Image.open(io.BytesIO(img.data or b"")).convert("RGB")))
    assert "hope" not in after and "young" not in after


def test_burned_in_name_is_removed_from_dicom_pixels():
    import pydicom

    dcm = make_dicom(name="YOUNG^HOPE", modality="US", burned_text="hope young 5521907", frames=2)
    before = pydicom.dcmread(io.BytesIO(dcm)).pixel_array[0]
    assert "hope" in ocr_words(before)
    result = scrub_case([dcm], context=CaseContext(KEY))
    (part,) = result.parts
    assert not part.withheld, part.report.withheld_reason
    out = pydicom.dcmread(io.BytesIO(part.data or b""))
    for frame in out.pixel_array:
        words = ocr_words(frame)
        assert "hope" not in words and "young" not in words and "5521907" not in words
    assert part.name == f"{out.SOPInstanceUID}.dcm"
    assert out.SOPInstanceUID.startswith("2.25.")


def test_sop_instance_uid_clash_withholds_the_second_copy():
    dcm = make_dicom()
    result = scrub_case([dcm, dcm], context=CaseContext(KEY))
    first, second = result.parts
    assert not first.withheld and first.name and first.name.endswith(".dcm")
    assert second.withheld and second.report.withheld_reason == "duplicate_sop_instance_uid"
    assert second.data is None and second.name is None


def test_a_corrupt_dicom_is_withheld_and_the_case_says_its_identifiers_were_not_searched():
    corrupt = b"\x00" * 128 + b"DICM" + b"\xff" * 64
    result = scrub_case([corrupt, "A short note about the scan."], context=CaseContext(KEY))
    dcm, txt = result.parts
    assert dcm.withheld and dcm.report.withheld_reason
    assert not txt.withheld  # the other parts still go out ...
    assert any("could not be read" in r for r in result.report.residual_risk)  # ... with a warning


def test_one_bad_text_does_not_withhold_its_siblings():
    result = scrub_case([CasePart(b"\xff\xfe bad", kind="text"), "Seen by Dr. Quentin Marsh."], context=CaseContext(KEY))
    bad, good = result.parts
    assert bad.withheld and bad.report.withheld_reason == "bad_encoding"
    assert not good.withheld and "Quentin" not in (good.text or "")


def test_outputs_and_reports_carry_no_input_names_or_values():
    ctx = CaseContext(KEY)
    result = scrub_case(
        [CasePart(make_dicom(name="MARSHALL^QUINTON"), name="MARSHALL_QUINTON.dcm"),
         CasePart("Quinton Marshall, PID-5521907, seen today.", name="marshall.txt")],
        context=ctx,
    )
    blob = json.dumps(result.report.to_dict())
    for value in ("marshall", "quinton", "5521907"):
        assert value not in blob.lower()
        for part in result.parts:
            assert value not in (part.name or "").lower()
    assert len(result.report.parts) == 2
    assert all(f.part for p in result.report.parts for f in p.findings)


@pytest.mark.parametrize("bad", [b"", b"\x00"])
def test_unknown_content_is_withheld_not_passed_through(bad: bytes):
    (part,) = scrub_case([bad], context=CaseContext(KEY)).parts
    assert part.withheld and part.report.withheld_reason == "unsupported_type" and part.data is None


def test_a_name_written_only_in_the_text_is_removed_from_a_photo_label():
    # A titled name is learned by deid.text (NER-only names are not, to keep eponyms out).
    text = "Wound check: Mr Quartermaine is post-op day 5. Any signs of infection?"
    photo = make_photo("quartermaine")
    assert "quartermaine" in ocr_words(np.asarray(Image.open(io.BytesIO(photo)).convert("RGB")))
    result = scrub_case([photo, text], context=CaseContext(KEY))
    img, txt = result.parts
    assert not img.withheld and not txt.withheld
    after = ocr_words(np.asarray(Image.open(io.BytesIO(img.data or b"")).convert("RGB")))
    assert "quartermaine" not in after
    assert "Quartermaine" not in (txt.text or "")


def test_part_results_carry_output_facts():
    result = scrub_case([make_dicom(), make_photo("x"), "note"], context=CaseContext(KEY))
    dcm, img, txt = result.parts
    assert dcm.format == "DICOM" and dcm.sop_instance_uid and dcm.modality == "CT"
    assert img.format in {"JPEG", "PNG"} and img.width == 420 and img.height == 300
    assert txt.format == "TEXT"


def test_a_dicom_the_scrubber_cannot_parse_is_withheld_and_its_header_still_teaches_the_case():
    # The case parses each header once (parse_dicom -> learn_from_dataset -> scrub_dicom);
    # a file that parse fails (truncated pixel data) is still read for the deny-list by the
    # lenient pre-pass, and withheld with its reason, never written.
    dcm = make_dicom(name="YOUNG^HOPE")[:-100]
    text = "Reviewed today: young hope, 34, with chest pain. Family has hope."
    result = scrub_case([CasePart(dcm, name="a.dcm"), text], context=CaseContext(KEY))
    dcm_part, text_part = result.parts
    assert dcm_part.withheld and dcm_part.report.withheld_reason == "truncated"
    assert dcm_part.data is None and dcm_part.name is None
    assert not text_part.withheld
    assert {"young", "hope"}.isdisjoint(_words(text_part.text or ""))
