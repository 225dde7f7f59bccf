"""Known-safe vocabulary (deid/text/vocabulary.py) on the committed data files.

Names are synthetic: Faker's person lists of the locales the vocabulary build holds out
(bench/text/corpus_a.py's HELD_OUT_LOCALES) and invented words.
"""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from deid.text.vocabulary import WordClass, all_safe, classify, is_name_like, is_safe, word_tokens

HELD_OUT = ["fi_FI", "hu_HU", "cs_CZ", "ro_RO", "sk_SK", "hr_HR"]


def _held_out_surnames() -> list[str]:
    out: set[str] = set()
    for loc in HELD_OUT:
        provider = importlib.import_module(f"faker.providers.person.{loc}").Provider
        for attr in dir(provider):
            values = getattr(provider, attr, None)
            if attr.startswith("last_names") and isinstance(values, (list, tuple, dict)):
                out.update(str(v) for v in values if str(v).isalpha() and len(str(v)) >= 4)
    return sorted(out)


@pytest.mark.parametrize(
    "word",
    ["and", "the", "patient", "care", "for", "afebrile", "transplant", "hypertension", "Intubated",
     "sedation", "catheters", "tachycardic", "metoprolol", "furosemide", "vancomycin", "pneumonia",
     "abdomen", "extubated", "weaning", "suctioned", "neuro", "dtr", "prn", "npo", "gtt", "cxr",
     "abg", "vss", "ivf", "ngt", "abd", "resp"],
)
def test_common_and_medical_words_are_safe(word: str) -> None:
    assert classify(word) is WordClass.SAFE
    assert is_safe(word)


@pytest.mark.parametrize("word", ["rose", "Bill", "hope", "grace", "baker", "young", "june", "mark", "frank", "Foley"])
def test_everyday_words_that_are_names_are_ambiguous(word: str) -> None:
    assert classify(word) is WordClass.AMBIGUOUS
    assert is_safe(word)  # ambiguous counts as known here
    assert is_name_like(word)


@pytest.mark.parametrize("word", ["Quexwright", "Blorvanek", "Zythandra", "Kowalczykiewicz"])
def test_invented_names_are_unknown(word: str) -> None:
    assert classify(word) is WordClass.UNKNOWN
    assert not is_safe(word)


def test_surnames_of_held_out_locales_are_mostly_unknown() -> None:
    names = _held_out_surnames()
    assert len(names) > 1000
    classes = [classify(n) for n in names]
    safe_share = sum(c is WordClass.SAFE for c in classes) / len(names)
    unknown_share = sum(c is WordClass.UNKNOWN for c in classes) / len(names)
    assert safe_share < 0.03, safe_share
    assert unknown_share > 0.95, unknown_share


def test_possessive_hyphen_and_inflections() -> None:
    assert classify("Foley's") is WordClass.AMBIGUOUS  # catheter and surname
    assert classify("abdomen's") is WordClass.SAFE
    assert classify("patient\u2019s") is WordClass.SAFE
    assert classify("non-invasive") is WordClass.SAFE
    assert classify("post-op") is WordClass.SAFE
    assert classify("bill-rose") is WordClass.AMBIGUOUS  # worst part decides
    assert classify("rose-quexwright") is WordClass.UNKNOWN
    assert classify("Smith-Quexwright") is WordClass.UNKNOWN
    assert classify("Quexwright's") is WordClass.UNKNOWN
    assert classify("desaturations") is WordClass.SAFE


def test_listed_names_are_not_promoted_by_suffix_stripping() -> None:
    # "williams" is a surname, never "william" + plural; it has no everyday sense
    assert classify("Williams") is WordClass.UNKNOWN
    assert is_name_like("Williams")
    assert not is_name_like("hypertension")


@pytest.mark.parametrize("token", ["5", "10mg", "3.0T", "T2", "L4-5", "q4h", "x3", "b1000", "100%", "2.5"])
def test_numbers_and_units_are_safe(token: str) -> None:
    assert classify(token) is WordClass.SAFE


@pytest.mark.parametrize("token", ["12345678", "555123456", "MRN1234567"])
def test_long_numbers_are_unknown(token: str) -> None:
    assert classify(token) is WordClass.UNKNOWN


@pytest.mark.parametrize(
    "text",
    ["CT CHEST W CONTRAST", "AX T2 FLAIR", "MR BRAIN WO/W CONTRAST", "CHEST PA AND LATERAL",
     "CT ABD/PELVIS W CONTRAST", "SAG T1 FS POST", "AX DWI B1000", "US CAROTID DOPPLER BILAT",
     "XR KNEE 3V RT", "MR L-SPINE WO CONTRAST", "Cor T1 MPRAGE 1mm", "CTA HEAD AND NECK",
     "L HAND 3 VIEWS", "NM BONE SCAN WHOLE BODY", "ECHO TTE COMPLETE", "t1_mprage_sag_p2_iso",
     "ep2d_diff_3scan_trace", "CT Abdomen^1_Routine (Adult)", "DWI b=1000", "Head 2.0 H30s"],
)
def test_descriptors_all_safe(text: str) -> None:
    assert all_safe(text), word_tokens(text)


@pytest.mark.parametrize(
    "text",
    ["MR BRAIN QUEXWRIGHT", "CT CHEST 03/04/2019", "CT HEAD 12345678", "XR CHEST BILL",
     "US ABDOMEN DR BLORVANEK", "MR KNEE 11-20", "t1_sag_QUEXWRIGHT", "CT^Blorvanek^Head"],
)
def test_descriptors_with_unknown_or_ambiguous_or_dates_are_not_all_safe(text: str) -> None:
    assert not all_safe(text)


def test_descriptor_with_held_out_surname_is_not_all_safe() -> None:
    names = [n for n in _held_out_surnames() if classify(n) is WordClass.UNKNOWN][:50]
    assert names
    for name in names:
        assert not all_safe(f"CT CHEST {name.upper()} W CONTRAST")


def test_module_imports_no_nlp_engine() -> None:
    code = (
        "import sys, deid.text.vocabulary as v; v.classify('chest'); "
        "bad = [m for m in ('spacy', 'presidio_analyzer', 'deid.text.engine') if m in sys.modules]; "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_misspellings_and_prefixes_are_ambiguous_not_safe() -> None:
    assert classify("hypertensoin") is WordClass.AMBIGUOUS  # transposition, >= 8 letters
    assert classify("intubbated") is WordClass.AMBIGUOUS  # doubled letter
    assert classify("retaped") is WordClass.AMBIGUOUS  # re + taped
    assert classify("Quexwrigth") is WordClass.UNKNOWN  # one edit from nothing known
    assert not all_safe("CT CHEST HYPERTENSOIN")


def test_apostrophe_shorthand() -> None:
    assert classify("sxn'd") is WordClass.SAFE  # curated "sxn" + 'd
    assert classify("x's") is WordClass.AMBIGUOUS  # a letter, as an initial would be
    assert classify("70's") is WordClass.SAFE
    assert classify("O'Quexwright") is WordClass.UNKNOWN


def test_short_misspellings_without_a_changed_letter_are_derived() -> None:
    from deid.text.vocabulary import is_derived

    assert classify("apetite") is WordClass.AMBIGUOUS and is_derived("apetite")  # a letter left out
    assert classify("fetanyl") is WordClass.AMBIGUOUS and is_derived("fetanyl")
    assert not is_derived("Quexwright") and not is_derived("bill")  # unknown, or a listed name


def test_truncations_of_safe_words() -> None:
    from deid.text.vocabulary import is_truncation

    assert is_truncation("ceft") and is_truncation("expir")
    assert not is_truncation("Quexwright") and not is_truncation("mary")
