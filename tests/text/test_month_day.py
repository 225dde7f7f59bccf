"""Month/day dates without a year in any position, and the ratios of the same shape that
stay (deid/text/month_day.py), with the real engine."""

import pytest

from deid.text import find_phi
from deid.text.month_day import MonthDayRecognizer


def dates_in(text: str) -> list[str]:
    return [text[d.start:d.end] for d in find_phi(text) if d.kind == "DATE"]


@pytest.mark.parametrize(("text", "date"), [
    ("head ct 11/20 neg", "11/20"),
    ("P: hemodialysis 8/9 or 8/10, monitor resp status", "8/10"),
    ("P: hemodialysis 8/9 or 8/10, monitor resp status", "8/9"),
    ("LBM 11/4. voiding qs", "11/4"),
    ("extubated 7/17, trach planned for 8/14", "7/17"),
    ("S/P MI x2(2/21, 4/21), CHF", "4/21"),
    ("WBC 16.0 8/22. afebrile", "8/22"),
    ("arrived to CCU at 0330 3/7. intubated", "3/7"),
    ("PRESENT HX:8/30 DECREASED MENTAL STATUS", "8/30"),
    ("echo 8/87 showing EF 20-25%", "8/87"),
    ("PMH: CAD, CABG '92, all grafts occluded", "92"),
    ("admitted to the floor in sept. and discharged", "sept"),
    ("LAST DOSE IN MARCH OF 1993.", "MARCH OF 1993"),
])
def test_month_day_anywhere_is_a_date(text_engine, text, date):
    assert date in dates_in(text)


@pytest.mark.parametrize("text", [
    "BP 120/80, HR 72",
    "5/5 strength in all extremities",
    "grade 2/6 murmur at the apex",
    "1/2 tab at bedtime",
    "GCS 3/15 on arrival",
    "c/o 4/10 cp, medicated",
    "pain 8/10 at rest",
    "PSV 10/5 with 40% FiO2",
    "weaned to CPAP 5/5 overnight",
    "crackles 1/3 up bilaterally",
    "d5 1/2 ns at 100cc/hr",
    "out of bed for 1 1/2 hrs",
    "1/2NS at 125 cc/hr",
    "pt cpap/ps mode decreased to 8/5, tolerating",
    "reflexes 2/4 symmetric",
    "HOB 30' at all times",
    "Plan 1/7 review, then home",
    "symptoms for 3/7, worse in the last 2/52",
])
def test_clinical_ratios_stay(text_engine, text):
    assert dates_in(text) == []


def test_recognizer_alone_needs_no_date_word():
    res = MonthDayRecognizer().analyze("plan: cdiff 8/12 neg, trach 8/14", [])
    assert [(r.start, r.end) for r in res] == [(12, 16), (28, 32)]


@pytest.mark.parametrize(("text", "date"), [
    ("HX OF DIGOXIN TOXICITY-4/7/95. NKDA.", "4/7/95"),
    ("RECEIVED CHEMO 11/05/11/06 AND DUE AGAIN", "11/05/11/06"),
    ("she went back to OR on 4-9 for clipping", "4-9"),
    ("CVA 83'. APPY 71'.", "83"),
    ("GALLBLADDER REMOVED IN 12' C/B ILEUS", "12"),
])
def test_glued_paired_hyphenated_and_apostrophe_dates(text_engine, text, date):
    assert date in dates_in(text)


@pytest.mark.parametrize("text", [
    "AMBULATED 50'. TOL WELL",
    "HOB 30'.",
    "HOB UP 30', TURNED Q2",
    "PT WALKED 20' WITH PT",
    "KNEE FLEXED 45'.",
    "PEEP 5/10/5/5 TODAY",
    "on 10-12 L nasal cannula",
    "on 2-3 pressors overnight",
    "bp 5-6 times, 3-4 hrs, rr 7-8 at rest",
])
def test_distances_angles_settings_and_ranges_stay(text_engine, text):
    assert dates_in(text) == []


def test_written_date_before_a_colon_keeps_its_year(text_engine):
    # "Biopsy <Month> <Nth>, <yyyy>: <finding>" - the colon after the year is no time of day
    assert "September 9th, 2011" in dates_in("Biopsy September 9th, 2011: BCC, margins clear.")
