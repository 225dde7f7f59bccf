"""One test module for the recognizer package: each recognizer module alone finds its
kind of value in synthetic text and leaves clinical text alone, and the engine registers
every recognizer the package defines (a new module that is never registered fails)."""

from __future__ import annotations

import inspect

import pytest
from presidio_analyzer import EntityRecognizer

from deid.text import recognizers as R
from deid.text.recognizers import (
    CityGazetteerRecognizer,
    ClinicalPatternRecognizer,
    KnownInstitutionRecognizer,
    NameGazetteerRecognizer,
    NameSlotRecognizer,
)

CASES = [
    (ClinicalPatternRecognizer, "Call 617-555-0199 on 03/14/2021.", {("PHONE", "617-555-0199"), ("DATE", "03/14/2021")}),
    (NameGazetteerRecognizer, "Seen today with Jane Okafor at bedside.", {("PERSON", "Jane Okafor")}),
    (CityGazetteerRecognizer, "She moved here from Springfield last year.", {("LOCATION", "Springfield")}),
    (KnownInstitutionRecognizer, "Transferred from Cedars-Sinai overnight.", {("ORGANIZATION", "Cedars-Sinai")}),
    (NameSlotRecognizer, "Discussed with Dr. Quexwright this morning.", {("PERSON", "Quexwright")}),
]

CLINICAL = "BP 120/80, HR 72. Lungs clear bilaterally. Continue metoprolol 25 mg PO BID; CBC in AM."


@pytest.mark.parametrize("cls,text,expected", CASES, ids=[c[0].__name__ for c in CASES])
def test_each_recognizer_finds_its_kind(cls, text, expected):
    rec = cls()
    rec.load()
    found = {(r.entity_type, text[r.start : r.end]) for r in rec.analyze(text, [])}
    assert expected <= found


@pytest.mark.parametrize("cls", [c[0] for c in CASES], ids=[c[0].__name__ for c in CASES])
def test_each_recognizer_leaves_clinical_text(cls):
    rec = cls()
    rec.load()
    hits = [(r.entity_type, CLINICAL[r.start : r.end]) for r in rec.analyze(CLINICAL, [])]
    assert hits == []


def test_engine_registers_every_recognizer_of_the_package(text_engine):
    defined = {
        name
        for name, obj in vars(R).items()
        if inspect.isclass(obj) and issubclass(obj, EntityRecognizer) and obj is not EntityRecognizer
    }
    assert defined == {c[0].__name__ for c in CASES}
    registered = {type(r).__name__ for r in text_engine.analyzer.registry.recognizers}
    assert defined <= registered
