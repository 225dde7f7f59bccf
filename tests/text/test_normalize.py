"""The normalised view (deid/text/normalize.py) and the attacks it closes, end to end."""

import pytest

from deid import scrub_text
from deid.text import find_phi
from deid.text.normalize import is_invisible, normalized_view, strip_invisible


def test_ascii_text_is_its_own_view():
    view = normalized_view("Seen by Dr. Quexwright on 3/4.")
    assert view.identity and view.text == view.original
    assert view.to_original(3, 7) == (3, 7)


@pytest.mark.parametrize("mark", ["\u200e", "\u200b", "\u00ad", "\u202e", "\ufeff", "\u2060", "\u200d"])
def test_invisible_characters_leave_the_view_and_spans_cover_them(mark):
    text = f"Dr. Quex{mark}wright called"
    view = normalized_view(text)
    assert view.text == "Dr. Quexwright called"
    start = view.text.index("Quexwright")
    s, e = view.to_original(start, start + len("Quexwright"))
    assert text[s:e] == f"Quex{mark}wright"


def test_line_wrap_hyphen_is_joined_and_maps_back():
    text = "seen by Quex-\n  wright today"
    view = normalized_view(text)
    assert "Quexwright" in view.text
    start = view.text.index("Quexwright")
    s, e = view.to_original(start, start + 10)
    assert text[s:e] == "Quex-\n  wright"
    # a dash between numbers or a list bullet is no wrap
    assert normalized_view("BP 120-\n80").text == "BP 120-\n80"


def test_nfkc_per_character_with_offsets():
    text = "\uff2a\uff4f\uff48\uff4e e\u0301 \ufb01ne"  # full-width "John", e + combining acute, "fi" ligature
    view = normalized_view(text)
    assert view.text == "John é fine"
    s, e = view.to_original(0, 4)
    assert (s, e) == (0, 4)
    s, e = view.to_original(5, 6)
    assert text[s:e] == "e\u0301"
    s, e = view.to_original(7, 9)  # "fi" comes from one ligature
    assert text[s:e] == "\ufb01"


def test_strip_invisible_keeps_visible_text():
    assert strip_invisible("a\u200bb\u00adc\u202ed") == "abcd"
    assert strip_invisible("café – 10² µg") == "café – 10² µg"  # NFKC is for the view, not the output
    assert is_invisible("\u200e") and not is_invisible(" ") and not is_invisible("é")


ATTACKS = [
    "Seen by Dr. \u200eQuexwright today.",     # a direction mark before the name
    "Seen by Dr. \ufeffQuexwright today.",     # a BOM before the name
    "Seen by Dr. Quex\u200bwright today.",     # a zero-width space inside it
    "Seen by Dr. Quex\u00adwright today.",     # a soft hyphen inside it
    "Seen by Dr. \u202eQuexwright today.",     # a right-to-left override
    "Seen by Dr. Quex-\nwright today.",        # a hyphenated line wrap
    "Wife Margarethe Quex\u200bwright called the ward.",
]


@pytest.mark.parametrize("text", ATTACKS)
def test_attacks_lose_the_whole_name(text_engine, text):
    out = scrub_text(text).text
    assert "Quex" not in out and "wright" not in out and "Margarethe" not in out, out
    assert not any(is_invisible(ch) for ch in out), "no invisible character survives"
    assert "today" in out or "ward" in out


def test_detections_are_input_spans(text_engine):
    text = "Seen by Dr. Quex\u200bwright today."
    spans = [text[d.start:d.end] for d in find_phi(text) if d.kind == "PERSON"]
    assert any("Quex\u200bwright" in s for s in spans), spans
