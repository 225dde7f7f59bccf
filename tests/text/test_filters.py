"""Filters (deid/text/filters.py + data/filters.yaml): which detections are kept."""

import pytest
import yaml

from deid.text import filters
from deid.text.filters import DATA, FILTERS_FILE, PREDICATES, keep, parse_rules, rules
from deid.text.types import Detection


def _spec() -> dict:
    return yaml.safe_load((DATA / FILTERS_FILE).read_text(encoding="utf-8"))


def test_every_predicate_in_the_yaml_is_registered_and_every_registered_one_is_used():
    used = {r["predicate"] for r in _spec()["rules"]}
    assert used - set(PREDICATES) == set(), "filters.yaml names predicates that do not exist"
    assert set(PREDICATES) - used == set(), "registered predicates that no rule uses"
    assert len(rules()) == len(_spec()["rules"])


@pytest.mark.parametrize(
    "rule",
    [
        {"predicate": "no_such_check", "verdict": "drop"},
        {"predicate": "has_digit", "verdict": "maybe"},
        {"predicate": "has_digit", "verdict": "drop", "source": ["phone"]},  # a typo of "sources"
        {"predicate": "has_digit"},
        {"predicate": "has_digit", "verdict": "drop", "sources": "phone"},
    ],
)
def test_a_malformed_rule_is_an_error_not_a_switched_off_filter(rule):
    with pytest.raises(ValueError):
        parse_rules({"rules": [rule]})


def test_rules_apply_by_source_prefix_kind_and_exception():
    (r,) = parse_rules({"rules": [{"source_prefix": "gate_", "kinds": ["PERSON"], "except_sources": ["gate_x"],
                                   "predicate": "always", "verdict": "keep"}]})
    assert r.keep and r.applies("gate_person_cue", "PERSON")
    assert not r.applies("gate_x", "PERSON") and not r.applies("gate_person_cue", "DATE")
    assert not r.applies("SpacyRecognizer", "PERSON")


def _keep(text: str, sub: str, kind: str, source: str) -> bool:
    start = text.index(sub)
    return keep(text, Detection(kind, start, start + len(sub), 0.9, source))


def test_a_keep_rule_decides_before_the_rules_after_it():
    # a chat speaker is kept whatever the letters spell; elsewhere "CP" is clinical shorthand
    assert _keep("[02:17] CP: hi", "CP", "PERSON", "name_context")
    assert not _keep("seen CP: hi", "CP", "PERSON", "name_context")
    # the gate's eponym rules come before its person-cue keep; a named place is kept first
    assert not _keep("Murphy sign positive", "Murphy", "PERSON", "gate_person_cue")
    assert _keep("Murphy sign positive", "Murphy", "LOCATION", "gate_place_named")


def test_value_and_credential_filters():
    assert not _keep("POD #2 today", "#2 today", "ADDRESS", "street_address")  # a count
    assert _keep("at #2 Quelmark Rd", "#2 Quelmark Rd", "ADDRESS", "street_address")
    assert _keep("seen by Murphy RN", "Murphy", "PERSON", "name_title")  # a nurse, though an eponym
    assert not _keep("CALLED MD", "CALLED", "PERSON", "name_title")  # a cue word, no surname


def test_the_chain_is_read_from_the_yaml(monkeypatch):
    """Dropping the chat-speaker rule from the data changes the verdict: the YAML is live."""
    spec = _spec()
    spec["rules"] = [r for r in spec["rules"] if r["predicate"] != "chat_speaker"]
    monkeypatch.setattr(filters, "rules", lambda: parse_rules(spec))
    filters._chain.cache_clear()
    try:
        assert not _keep("[02:17] CP: hi", "CP", "PERSON", "name_context")
    finally:
        filters._chain.cache_clear()


def test_a_greeting_names_a_person_even_when_the_word_is_an_eponym():
    from deid import scrub_text

    # "Hi <Eponym>,": the greeting decides (and the name is then removed wherever it
    # stands); without the greeting "<Eponym> syndrome" stays
    assert "Horner" not in scrub_text("Subject: RE: follow-up\n\nHi Horner,\n\nThanks - seen today.").text
    assert "Horner syndrome" in scrub_text("Subject: RE: follow-up\n\nThanks - Horner syndrome on the left.").text
    assert scrub_text("Hi all,\nMurphy sign positive.").text == "Hi all,\nMurphy sign positive."
