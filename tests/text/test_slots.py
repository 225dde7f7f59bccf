"""The vocabulary gate (deid/text/slots.py): unknown words where a name or a place
stands are removed; known words stay. Real engine, synthetic notes (invented names)."""

import pytest

from deid import scrub_text
from deid.text import find_phi
from deid.text.slots import VocabularyGateRecognizer, text_style


def removed(text: str, value: str) -> bool:
    return value not in scrub_text(text).text


@pytest.mark.parametrize(("text", "value"), [
    # nursing shorthand, all lower case: a cue, then a name no list holds
    ("dtr zorvanne in contact by phone, plans visit this eve", "zorvanne"),
    ("bp 88/40, np quelmark made aware, hespan given", "quelmark"),
    ("hold lasix for low pa pressures per md Tavrinek.", "Tavrinek"),
    ("will consult with patty hoelvark re skin care.", "hoelvark"),
    # all capitals: a credential or "aware" after the name, an initial before it
    ("RUN OF VENT BIGEMINY BREVA TULMAK AWARE MGSO4 GIVEN.", "TULMAK"),
    ("MILRINONE OFF AS PER W. MARQUELLO.  GU: GOOD U/O.", "MARQUELLO"),
    ("all is well at this time. q. landrovik rrt", "landrovik"),
    # places: after a verb of moving a patient, two-letter hospital abbreviations
    ("PLAN: TRANSFER TO QUARVELLIN 2 IN AM.", "QUARVELLIN"),
    ("46 year old male came into XQ on 7/18 with leg pain", "XQ"),
    ("pt taken to kernavik hosp. she sustained a lac", "kernavik"),
    # a ward and its number without a preposition, after "transfer" or "plan:"
    ("ENC PO INTAKE. TRANSFER QUARVELLIN 2.", "QUARVELLIN"),
    ("plan: dorravane 7 this am, pain control", "dorravane"),
    # "<name> memorial": the place word belongs to the name; "St. <name>"; "U <state>"
    ("Pt slated to go to rehab(golden lantern Memorial) today", "Memorial"),
    ("TO GO TO ST. QUORBELIA ON TUESDAY PER CASE WORKER", "ST. QUORBELIA"),
    ("Social: Had a bed @ St A. but will need to be rescreened", "St A"),
    ("start IV insulin per U Vermont scale.", "U Vermont"),
    ("Currently lives in homeless shelter in Quorbeck area. Concerned", "Quorbeck"),
    ("ADMITTED TO THE ED FROM THE MARBURY HOUSE AFTER A FALL", "MARBURY"),
    ("Was on vacation on the Western Shore,while out to lunch", "Western Shore"),
    # two everyday words before "rehab" after a preposition name one
    ("BELIEVE PATIENT WAS SCREENED BY SILVER MAPLE REHAB TODAY.", "SILVER MAPLE"),
    # capitalised unknown word in mixed-case writing
    ("Surgeon from Brellington in this eve to talk to pt.", "Brellington"),
    # a sign-off after the last full stop
    ("PT IS ON 850U/HR HEPARIN NOT 1400U/HR. ZORIANA\n", "ZORIANA"),
    # a kinship word, then an everyday word that is also a name
    ("Family: Son, Ed, was updated by MD today.", "Ed"),
    # a Title-case everyday word after "went to" in mixed-case writing names the place
    ("Yesterday she was sent to Lantern for a scan.", "Lantern"),
    ("Plan is to go to Gilded Eye Vital signs stable.", "Gilded Eye"),
    # two capitals where a person lives; an unknown word before a state's name
    ("Her nephew lives in QX and visits weekly.", "QX"),
    ("family toured the quorbeck oregon nursing home.", "quorbeck"),
    # a name joined by "and" to a found name; a listed name opening a clause before "called"
    ("Zorvanne and Gus share the proxy role.", "Gus"),
    ("family: rick phoned twice overnight.", "rick"),
    # no capitals to go by: listed first names, then an unknown surname
    ("seen by heather joanna quelmarko from nutrition.", "quelmarko"),
    # a listed name that is no English word, alone, in capitals
    ("PLEASE PAGE SOCIAL WORK, PHILIPPA OUT TODAY.", "PHILIPPA"),
    # three unknown capitals after a preposition of place in mixed-case writing
    ("The pump was replaced with one from XQZ this morning.", "XQZ"),
])
def test_unknown_words_in_name_and_place_positions_are_removed(text_engine, text, value):
    assert removed(text, value)


@pytest.mark.parametrize("text", [
    "pt transferred to ccu from cath lab, sent to ct, then to the floor",
    "ID: afebrile, on vanco. foley draining clear yellow urine. care plan reviewed.",
    "my dr said it was fine and the doctor appointment is soon",
    "TRANSFER TO FLOOR IN AM. NEO WEANED OFF. CONT ON CAPTOPRIL.",
    "Fluid in the pouch of Douglas. Bethesda III nodule.",
    "Sjögren syndrome and Guillain-Barré, both stable.",
    "plan: lasix 2 mg iv, transfer to the floor in 2 days post op",
    "ST elevations in V2. pt went to ST depression at peak. to cardiac rehab, d/c to acute rehab",
    "insulin per sliding scale, 8 u reg given",
    "went to the white house, at her house; pain in the Broca area. Beach walk on the shore.",
    "Pt went to Dialysis today, sent to Radiology, returned to Bed.",
    "then changed to zarox qam with ceft iv",
])
def test_known_words_stay(text_engine, text):
    assert find_phi(text) == [], [(d.kind, text[d.start:d.end], d.source) for d in find_phi(text)]


def test_style_decides_what_capitals_mean():
    assert text_style("PT ALERT AND ORIENTED") == "caps"
    assert text_style("pt alert and oriented") == "lower"
    assert text_style("Pt alert and oriented") == "mixed"
    # in an all-capitals note a capitalised unknown word is no signal by itself
    res = VocabularyGateRecognizer().analyze("PT ALERT. QUORMEL NOTED.", [])
    assert not [r for r in res if r.recognition_metadata["recognizer_name"] == "gate_capitalised"]


def test_a_weak_cue_takes_no_word_cut_from_a_safe_word():
    res = VocabularyGateRecognizer().analyze("started vanco and ceft iv, then to zarox qam", [])
    assert not [r for r in res if r.recognition_metadata["recognizer_name"] == "gate_person_cue"]


@pytest.mark.parametrize(("text", "value"), [
    # where a person lives or comes from, in mixed-case writing: a Title-case everyday
    # word there names the town
    ("A 71 year old woman from Lantern presented with chest pain.", "Lantern"),
    ("She lives with her partner Quen Dorrow in Lantern.\nHPC: low mood.", "Lantern"),
    ("her gp was dr Quelmark in Lantern.", "Lantern"),
    # a title, an everyday word that is also a name, then an age
    ("[02:20] AB: bed 4 mr wood 88yo from the ward also dropping sats", "wood"),
    # a kinship word with its name in brackets; a name before a date of birth
    ("Pt comfortable. Wife (Holly) at bedside.", "Holly"),
    ("pt in bay 3 - shepherd, dob 02-Mar-61, CK 4000", "shepherd"),
    # a capital initial and a capitalised everyday word that is also a name
    ("Surgeon: K. Wood  Assistant: B. Shepherd", "Shepherd"),
    # next of kin, a flatmate, titles of other languages
    ("CALL NOK HOLLY WOOD ON HER MOBILE", "HOLLY WOOD"),
    ("lives with flatmate Reed in a flat", "Reed"),
    ("call NOK Sra. Quelmark today", "Quelmark"),
    # someone who came from another place; a lower-case hospital abbreviation
    ("A surgeon from Lantern came by this evening to see her.", "Lantern"),
    ("two prior admissions he had at qx. He comes to the ED now with melena", "qx"),
    # a lower-case sentence in mixed-case writing: a lower-case title or kinship word,
    # then an everyday word that is also a name
    ("[03:10] Tova: BP ok now. bed 2 mrs willow from the ward, sats fine", "willow"),
    ("[03:12] Tova: k. also lactate 2.1. dtr dawn on her way in", "dawn"),
    # a verb of calling and the registrar, then the registrar's name
    ("[03:14] Tova: MAP 60. call reg ivy\n[03:15] Quen: ok", "ivy"),
    # where a person lives: a compass word and a town no list holds
    ("this is a lady who lives in east quorbeck with her son full stop", "east quorbeck"),
    # right after "lives in": an everyday word is the town; a title, a word, then an age
    ("pt lives in lantern with her son, independent with adls", "lantern"),
    ("pt lives alone in pebble, dtr nearby", "pebble"),
    ("[03:20] Tova: sats ok. bed 6 mr kettle age 93 from the ward", "kettle"),
    # "<Brand> of <Town>" after a verb of moving and a preposition: both words go
    ("Pt admitted from Lantern of Quorbeck after a fall.", "Lantern of Quorbeck"),
    ("discharged to lantern of quorbeck tomorrow am", "lantern of quorbeck"),
    ("PT/OT. Dispo to Lantern of Quorbeck when a bed is free.", "Lantern of"),
    ("we moved her to Lantern of Quorbeck on the 3rd", "Lantern of"),
    # a kinship word, an everyday word, then what a relative does
    ("[03:30] Tova: ok. also fio2 0.4. son marble on his way in", "marble"),
    ("Dtr Pebble called at 1400, updated on plan.", "Pebble"),
])
def test_names_and_towns_in_everyday_words_are_removed(text_engine, text, value):
    assert removed(text, value)


@pytest.mark.parametrize("text", [
    "She lives with her son in Assisted Living. Pt lives alone in Section 8 housing.",
    "Dr Quelmark in Cardiology saw her. A man from Emergency arrived.",
    "Mild mr and tr on echo, mr 2+ unchanged.",
    "Growth of E. Coli and S. Aureus; T 101.3 F. Weber and Rinne normal.",
    "Implant: SN: QX429520C. Foley left in place.",
    "MICROSCOPIC:\nA. LAD, excision: carcinoma",
    "Team from Cardiology and nurse from Rehab came; doctor from Ward 4; staff from Pharmacy.",
    "Went to an appointment. Sent to ed then to or. Back to it. Came to at 3pm.",
    # a lower-case sentence: words after a lower-case title or kinship word that are no names
    "[03:10] Tova: BP ok now. mild mr with trace tr. son will visit later, dtr very supportive.",
    "[03:14] Tova: call reg if MAP under 60. lives in east of town with her son.",
    "pt lives in assisted living; lives alone in an apt; lives in senior housing; living in fear of falls.",
    "[03:20] Tova: echo mild mr and tr, age 80, stable.",
    "Went to the side of the bed. sent to floor of micu; admitted to care of medicine.",
    "Pt moved to side of bed. Dispo to Department of Medicine once stable.",
    "son also called. dtr just visited. wife and son at bedside. sister herself called.",
])
def test_look_alikes_in_those_positions_stay(text_engine, text):
    # (the gate's own findings: spaCy's guesses are judged elsewhere)
    found = [(text[d.start:d.end], d.source) for d in find_phi(text) if d.source.startswith("gate_")]
    assert not [f for f in found if f[0] != "Quelmark"], found


@pytest.mark.parametrize(("text", "value"), [
    # a patient or a contact by initials: before "is a <age>", after a person cue, as a
    # sign-off after a dash at a line's end; a title and one capital letter
    ("Q.V. is a 34 yo woman with asthma, here for review.", "Q.V."),
    ("Met with pt and her hcp K.W. about goals of care.", "K.W."),
    ("BKA site clean. Kind regads - Z.Q.\nHandover given at 0700", "Z.Q."),
    ("micu nursing note\nmr Q remained on the same doses of pressors", "mr Q"),
])
def test_initials_are_removed(text_engine, text, value):
    out = scrub_text(text).text
    assert value.split()[-1] not in out.replace("[", " ").split(), out


@pytest.mark.parametrize("text", [
    "Pt is N.P.O. after midnight, meds given at 0800 - A.M.\nlabs sent",
    "MS A&Ox3. MS A+O. MR 2+ on echo; mr and tr stable.",
])
def test_dotted_abbreviations_and_titles_before_scores_stay(text_engine, text):
    found = [(text[d.start:d.end], d.source) for d in find_phi(text) if d.source == "gate_initials"]
    assert not found, found


def test_the_gate_names_a_relative_by_what_they_do():
    # the gate itself (not a later guess) takes the everyday word between a kinship word
    # and what the relative does, so no clinical-word filter drops it afterwards
    text = "[02:15] tova: ya. also p/f 140. son kelp on his way from the ward. dtr also called."
    found = [(text[r.start:r.end], r.recognition_metadata["recognizer_name"]) for r in VocabularyGateRecognizer().analyze(text, [])]
    assert ("kelp", "gate_person_cue") in found, found
    assert not [f for f in found if f[0] == "also"], found
