"""Names (deid/text/names.py): trimming, expansion, propagation and case learning."""

from deid import scrub_texts
from deid.core import CaseContext
from deid.text.names import learnable_name_parts, trim_credentials
from deid.text.types import Detection


def test_a_name_guess_teaches_the_case_only_its_unknown_words(text_engine):
    """A cue guess that swallowed an everyday word ("<surname> updated again by") must not
    teach that word to the case: it would be cut from every other note."""
    assert learnable_name_parts("QUELMARK UPDATED AGAIN BY") == ["QUELMARK"]
    assert learnable_name_parts("AND") == []
    assert learnable_name_parts("Zorvan Q. Quelmark") == ["Zorvan Q. Quelmark"]
    ctx = CaseContext.ephemeral()
    out = scrub_texts(["DR QUELMARK UPDATED AGAIN BY MD.", "PT UPDATED AND REST GIVEN. QUELMARK AWARE."], None, ctx)
    assert "UPDATED AND REST" in out[1].text and "QUELMARK" not in out[1].text


def test_a_trailing_credential_is_cut_from_a_name():
    text = "HANDOVER TO ZORVAN QUELMARK RN"
    d = Detection("PERSON", text.index("ZORVAN"), len(text), 0.9, "name_title")
    assert trim_credentials(text, d) == Detection("PERSON", d.start, text.index(" RN"), 0.9, "name_title")
    # "Do" is a surname as well as a credential: only capitals that are never a surname are cut
    text = "seen by Zorvan Do"
    d = Detection("PERSON", text.index("Zorvan"), len(text), 0.9, "name_title")
    assert trim_credentials(text, d) == d


def test_a_two_letter_last_name_part_is_not_trimmed_as_a_function_word(text_engine):
    """"He", "An", "To" are surnames and given names as well as function words: a name
    guess ending in one keeps it (trimming "IN HER" after a name must not cut "HE")."""
    from deid.text.names import trim_names

    for text, value in (("PATIENT NAME: ZORVAN HE", "ZORVAN HE"), ("PT: QUELMARK, THI AN IN HER 90S", "QUELMARK, THI AN")):
        d = Detection("PERSON", text.index(value.split()[0]), text.index(value) + len(value), 0.9, "name_context")
        if "IN HER" in text:
            d = Detection("PERSON", d.start, text.index(" 90S"), 0.9, "name_context")
        (out,) = trim_names(text, [d])
        assert value in text[out.start : out.end], text[out.start : out.end]
    text = "PATIENT NAME: ZORVAN HE\nDOB: 01/02/1950"
    out = scrub_texts([text], None, CaseContext.ephemeral())[0].text
    assert "ZORVAN" not in out and " HE\n" not in out, out


def test_particles_join_the_name_parts_around_them(text_engine):
    """A surname particle stays with the name it belongs to: between two name parts
    ("<first> bin <last>", "<first> zu <last>"), after a title ("Dr ten <last>",
    "Prof. dos <last>"), capitalised or lower-case in front of a name ("Dr Ó <last>",
    "mr ó <last>"), and an initial before a particle ("Q. von <last>"). The same short
    words in clinical writing are kept."""
    texts = [
        "Bed 1: zorvan bin quelmark (52 year old) day 3 of abx.",
        "Authors: Ilsa Quorvath¹, Karl-Zorvan zu Brenmark²\n¹ Department of Medicine",
        "Dear Dr ten Quelbrink,\n\nThank you for seeing her.",
        "Patient: Prof. dos Quarmentos, seen today.",
        "Dear Dr Ó Quelmhártaigh,\n\nRE: referral",
        "bed 4 mr ó quelmhártaigh 46/M from home",
        "Provider: Q. von Brenmark, MD",
    ]
    out = scrub_texts(texts)
    leaked = ["bin", "zu", "ten", "dos", "Ó", " ó ", "Q.", "quelmark", "Brenmark", "Quelbrink", "Quarmentos", "hártaigh"]
    for o in out:
        assert not [w for w in leaked if w in o.text], o.text
    kept = scrub_texts([
        "Sharps bin emptied, transport van booked for 10 minutes after ten doses of de novo therapy.",
        "Given ten mg IV, then seen by Dr Quelmark y la enfermera.",
    ])
    assert "Sharps bin emptied, transport van booked for 10 minutes after ten doses of de novo therapy." == kept[0].text
    assert "Given ten mg IV" in kept[1].text and "Quelmark" not in kept[1].text


def test_initials_after_a_surname_in_a_labelled_field_are_the_names(text_engine):
    """"Submitting physician: <Last> QX": the initials after the surname are removed
    with it; a credential after it ("MD") and capitals in running text stay."""
    out = scrub_texts([
        "Received: 11/30/2016\nSubmitting physician: Quorvath JQ\n\nCLINICAL INFORMATION: gout.",
        "Attending: Quorvath MD\nPlan: Quorvath to recheck BP\n",
    ])
    assert "Quorvath" not in out[0].text and "JQ" not in out[0].text and "CLINICAL INFORMATION: gout." in out[0].text
    assert "MD\n" in out[1].text and "recheck BP" in out[1].text and "Quorvath" not in out[1].text


def test_a_bracketed_age_over_89_after_a_name_is_removed(text_engine):
    """"Bed 2: <Last> (96) <diagnosis>": the bracketed number after a name is an age;
    a bracketed value after a measurement and a percentage after a name stay."""
    out = scrub_texts([
        "Bed 2: Zorvan Quorvath (96) gout, HD 3.",
        "Bed 3: Quelmark ((103)) cellulitis.",
        "HR (96) regular. Seen by Dr Quorvath (95%) sats on 2L.",
    ])
    assert "96" not in out[0].text and "Quorvath" not in out[0].text and "gout, HD 3." in out[0].text
    assert "103" not in out[1].text and "cellulitis." in out[1].text
    assert "HR (96) regular." in out[2].text and "95%" in out[2].text
