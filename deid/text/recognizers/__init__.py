"""Recognizers for clinical text, one per module, built from the data files in ``deid/text/data``.

All of them are Presidio ``EntityRecognizer`` subclasses, so they plug into a Presidio
``AnalyzerEngine`` like its own. The rules live in data files:

* ``patterns.yaml``           regexes with a ``phi`` group marking the span to replace;
* ``street_suffixes.txt``,
  ``institution_suffixes.txt`` spliced into the address and institution patterns;
* ``first_names.tsv``, ``surnames.tsv``, ``cities.tsv`` gazetteers (with an ambiguity
  flag for entries that are also common English words);
* ``medical_terms.txt``       words never PHI alone (eponyms, drugs, abbreviations).
"""

from __future__ import annotations

from deid.text.recognizers.base import (
    DATA,
    WORD,
    Gazetteer,
    common_words,
    countries,
    gazetteer,
    medical_terms,
    recognizer_result,
)
from deid.text.recognizers.city_gazetteer import CityGazetteerRecognizer
from deid.text.recognizers.clinical_patterns import ClinicalPatternRecognizer
from deid.text.recognizers.known_institution import KnownInstitutionRecognizer
from deid.text.recognizers.name_gazetteer import NameGazetteerRecognizer
from deid.text.recognizers.name_slot import _AFTER_TITLE_NOT_NAMES, NameSlotRecognizer
from deid.text.recognizers.patterns import PatternSpec, _compile, iter_matches, load_patterns

__all__ = [
    "DATA", "WORD", "Gazetteer", "common_words", "countries", "gazetteer", "medical_terms",
    "recognizer_result", "CityGazetteerRecognizer", "ClinicalPatternRecognizer",
    "KnownInstitutionRecognizer", "NameGazetteerRecognizer", "NameSlotRecognizer",
    "_AFTER_TITLE_NOT_NAMES", "PatternSpec", "_compile", "iter_matches", "load_patterns",
]
