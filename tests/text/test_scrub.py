"""scrub_text end to end: operators, determinism, keys, date intervals, bad input, logs."""

import datetime as dt
import logging
import re

import pytest

from deid import scrub_text, scrub_texts
from deid.core import CaseContext, InputError, LimitExceeded, Policy
from deid.text.dates import shift_date

KEY = b"test-key-0123456789abcdef-not-secret"
NOTE = (
    "72 y/o man seen at St. Mary's Medical Center on 3/14/2025, MRN 4471923, wife Jane "
    "called from 415-555-0199. Dr. Alan Whitfield reviewed. Follow-up on 3/28/2025. "
    "Email jdoe1951@example.com. History of Parkinson disease."
)
PLANTED = ["St. Mary", "3/14/2025", "4471923", "Jane", "415-555-0199", "Whitfield", "3/28/2025", "jdoe1951"]


def test_tags_replace_every_planted_value(text_engine):
    res = scrub_text(NOTE, Policy.from_dict({"text": {"dates": "tag"}}), CaseContext(KEY))
    for value in PLANTED:
        assert value not in res.text
    assert "[NAME]" in res.text and "[DATE]" in res.text and "[MRN]" in res.text
    assert "Parkinson disease" in res.text and "72 y/o" in res.text
    assert res.report.outcome == "scrubbed" and res.report.verification and res.report.verification.passed


def test_surrogates_are_consistent_and_keyed(text_engine):
    pol = Policy.from_dict({"text": {"operator": "surrogate"}})
    text = "Dr. Whitfield saw the patient. Later Dr. Whitfield called the family."
    a = scrub_text(text, pol, CaseContext(KEY)).text
    b = scrub_text(text, pol, CaseContext(KEY)).text
    c = scrub_text(text, pol, CaseContext(b"another-key-0123456789abcdef")).text
    assert a == b, "same key, same output"
    assert a != c, "another key, other surrogates"
    assert "Whitfield" not in a
    names = re.findall(r"Dr\. (\S+)", a)
    assert len(names) == 2 and names[0] == names[1], "one real name -> one surrogate within a case"


def test_date_shift_keeps_format_and_intervals(text_engine):
    ctx = CaseContext(KEY, case_id="interval")
    res = scrub_text("Admitted 3/14/2025, discharged 3/28/2025, seen again April 2nd, 2025.", None, ctx)
    got = re.findall(r"\d{1,2}/\d{1,2}/\d{4}", res.text)
    assert len(got) == 2 and "3/14/2025" not in got
    d1, d2 = (dt.datetime.strptime(g, "%m/%d/%Y").date() for g in got)
    assert (d2 - d1).days == 14
    assert (dt.date(2025, 3, 14) - d1).days == -ctx.date_shift_days
    assert re.search(r"(January|February|March|April|May|June|July|August|September|October|November|December) \d{1,2}(st|nd|rd|th), 20\d\d", res.text)


@pytest.mark.parametrize(("src", "days", "want"), [
    ("3/14/2025", -14, "2/28/2025"),
    ("03/14/2025", -14, "02/28/2025"),
    ("2025-03-14", -14, "2025-02-28"),
    ("14-MAR-2025", -14, "28-FEB-2025"),
    ("March 14th", -14, "February 29th"),  # partial dates shift inside a leap reference year
    ("Mar. 14, 2025", -14, "Feb. 28, 2025"),
    ("March 2025", -31, "February 2025"),
    ("14/03/2025", -14, "28/02/2025"),
])
def test_shift_date_formats(src, days, want):
    assert shift_date(src, days) == want


def test_batch_matches_single(text_engine):
    texts = [NOTE, "Dr. Okafor called 212-555-0147.", "No identifiers here, only metformin."]
    one = [scrub_text(t, None, CaseContext(KEY)).text for t in texts]
    many = [r.text for r in scrub_texts(texts, None, CaseContext(KEY))]
    assert one[1:] == many[1:] and one[0] == many[0]


def test_case_deny_list_catches_what_ner_misses(text_engine):
    ctx = CaseContext(KEY)
    ctx.add_identifier("PERSON", "HOPE^GRACE", source="dicom:(0010,0010)")
    res = scrub_text("the mother said grace was better; hope she improves", None, ctx)
    assert "grace" not in res.text.lower() and "hope" not in res.text.lower()


def test_bad_input_is_refused_clearly(text_engine):
    with pytest.raises(InputError) as exc:
        scrub_text(b"caf\xe9 \xff\xfe")
    assert exc.value.reason == "bad_encoding"
    with pytest.raises(InputError) as exc:
        scrub_text("   ")
    assert exc.value.reason == "empty_text"
    with pytest.raises(LimitExceeded) as exc:
        scrub_text("x" * 1001, Policy.from_dict({"text": {"max_chars": 1000}}))
    assert exc.value.reason == "text_too_long"


def test_long_text_is_chunked_without_losing_boundary_hits(text_engine):
    filler = "The patient is stable on metformin and lisinopril. " * 60  # ~3 kB
    text = (filler + "Dr. Whitfield called 415-555-0199. ") * 12  # ~37 kB, several 2 kB chunks
    res = scrub_text(text, Policy.from_dict({"text": {"chunk_chars": 2000}}), CaseContext(KEY))
    assert "Whitfield" not in res.text and "415-555-0199" not in res.text
    assert res.text.count("metformin") == text.count("metformin")


def test_no_phi_in_logs_or_report(text_engine, caplog):
    caplog.set_level(logging.DEBUG)
    res = scrub_text(NOTE, None, CaseContext(KEY))
    blob = caplog.text + repr(res.report.to_dict())
    for value in PLANTED:
        assert value not in blob
