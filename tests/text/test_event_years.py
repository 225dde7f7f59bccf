"""A year alone that dates a patient's event in a history ("CABG 87", "TIA in 96 and
03", "s/p MI 1988") goes like "CABG '87" does (patterns.yaml `date_event_year`); the same
numbers as readings, rates, sizes and durations stay. Synthetic values only."""

import pytest

from deid.text import find_phi


def dates_in(text: str) -> list[str]:
    return [text[d.start:d.end] for d in find_phi(text) if d.kind == "DATE"]


@pytest.mark.parametrize(("text", "year"), [
    ("PMH: HTN, CABG 87, redo CABG 99, AVR", "87"),
    ("PMH: HTN, CABG 87, redo CABG 99, AVR", "99"),
    ("PMHX: TIA in 96 and 03 without deficit", "96"),
    ("PMHX: TIA in 96 and 03 without deficit", "03"),
    ("PMH MI 88, DM2, COPD", "88"),
    ("s/p cholecystectomy 79. no etoh", "79"),
    ("PMH: CAD, S/P MI 1988; PVD", "1988"),
    ("breast ca 2011, s/p lumpectomy", "2011"),
    ("HX OF ?MI IN 1970S AFTER SURGERY", "1970S"),
    ("dx 2015, started chemo 2016", "2016"),
    ("oriented x2, knows it is 2031, not the month", "2031"),
])
def test_year_of_an_event_is_a_date(text_engine, text, year):
    assert year in dates_in(text)


@pytest.mark.parametrize("text", [
    "K 4.1, Ca 10, Mg 2.0, Phos 3.3",
    "PPM 70 DDD, pacer 60 backup",
    "cath 14 Fr via R femoral, stent 18 mm",
    "MI 2 years ago, CVA 10 days ago",
    "stroke 10 mg? no: aspirin 81 mg after MI",
    "CABG x3 in 40s by report",
    "s/p 10 u of blood products",
    "MI 20%, EF 35",
])
def test_readings_rates_sizes_and_durations_stay(text_engine, text):
    assert dates_in(text) == []
