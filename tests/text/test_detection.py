"""Each identifier kind, in the formats seen in case text, with the real engine."""

import json
from pathlib import Path

import pytest

from bench.text.scoring import caught, covered
from deid.text import find_phi

# 70 synthetic notes (corpus A seed 3 x 40, corpus B seed 5 x 30, made up by Faker and
# templates), frozen once so the tests do not depend on the benchmark generators
FROZEN_NOTES = Path(__file__).parent / "data" / "frozen_notes.jsonl"


def kinds_over(text: str, value: str) -> set[str]:
    """Kinds of detections covering every letter/digit of ``value`` in ``text``."""
    start = text.index(value)
    end = start + len(value)
    dets = find_phi(text)
    assert caught(text, covered(len(text), [(d.start, d.end) for d in dets]), start, end), (
        f"not fully detected: {value!r} in {text!r}: {[(d.kind, text[d.start:d.end]) for d in dets]}"
    )
    return {d.kind for d in dets if d.start < end and d.end > start}


CASES = [
    # names: titles, initials, hyphen, apostrophe, lower case, Last-First, relatives
    ("Seen by Dr. Whitfield in clinic.", "Whitfield"),
    ("Discussed with Dr. J. Okonkwo-Smith today.", "J. Okonkwo-Smith"),
    ("Patient Mary O'Neil, 67F, presented with chest pain.", "Mary O'Neil"),
    ("spoke with tapio hietanen re results", "tapio hietanen"),
    ("pt name: john smith", "john smith"),
    ("Patient: Okafor, Chinedu", "Okafor, Chinedu"),
    ("Her husband Rajesh called twice.", "Rajesh"),
    ("Electronically signed by Laura Chen, MD.", "Laura Chen"),
    ("Pt J.D. is a 45 y/o man.", "J.D."),
    # dates in many formats, with times
    ("Admitted 3/14/2025 at 14:32.", "3/14/2025"),
    ("Surgery on 2024-11-02.", "2024-11-02"),
    ("Seen March 14th for follow-up.", "March 14th"),
    ("Follow up on Tuesday, March 28, 2025.", "Tuesday, March 28, 2025"),
    ("CT dated 14-MAR-2025 showed a mass.", "14-MAR-2025"),
    ("Born 14 March 1951 in the city.", "14 March 1951"),
    ("Last seen 03.14.25 in clinic.", "03.14.25"),
    ("DOB: 04/02/1951.", "04/02/1951"),
    ("Symptoms began in March 2024.", "March 2024"),
    ("on the 14th of March she fell", "14th of March"),
    # ages over 89
    ("A 94-year-old woman with dementia.", "94"),
    ("92 y/o M with CHF.", "92"),
    ("aged 97, lives alone", "97"),
    # contact and network
    ("Wife called from 415-555-0199.", "415-555-0199"),
    ("Call (212) 555-0147 ext. 22 after 5.", "(212) 555-0147 ext. 22"),
    ("Fax: 415.555.0100", "415.555.0100"),
    ("Cell +44 20 7946 0958 (UK).", "+44 20 7946 0958"),
    ("Email jdoe1951@example.com with results.", "jdoe1951@example.com"),
    ("Images at https://portal.example.org/case/4471 today.", "https://portal.example.org/case/4471"),
    ("Login from 192.168.10.44 flagged.", "192.168.10.44"),
    # IDs
    ("SSN 123-45-6789 on file.", "123-45-6789"),
    ("MRN: 4471923", "4471923"),
    ("MR# 00-447-1923", "00-447-1923"),
    ("med rec no. A4471923 noted", "A4471923"),
    ("Accession #CT20250314001 pending.", "CT20250314001"),
    ("Acct # 88812345 billed.", "88812345"),
    ("Member ID: XJH448812901", "XJH448812901"),
    ("Medicare # 1EG4TE5MK73", "1EG4TE5MK73"),
    ("DEA # AB1234563 on the script.", "AB1234563"),
    ("NPI 1234567893 listed.", "1234567893"),
    ("pacemaker serial SN: PM4471-99X checked", "PM4471-99X"),
    ("License plate 7XYZ123 seen at the scene.", "7XYZ123"),
    ("VIN 1HGCM82633A004352 recorded.", "1HGCM82633A004352"),
    # geography and institutions
    ("Lives at 1234 Maple Ridge Rd Apt 5B with her son.", "1234 Maple Ridge Rd Apt 5B"),
    ("Send it to the pharmacy at 4523 N. Sycamore Dr, #518, by Friday.", "4523 N. Sycamore Dr, #518"),
    ("Unit #C, 12 Harbor Way", "Unit #C"),
    ("Moved from Springfield, IL 62704 last year.", "Springfield"),
    ("Moved from Springfield, IL 62704 last year.", "62704"),
    ("PO Box 4471, rural route.", "PO Box 4471"),
    ("Transferred from St. Mary's Medical Center overnight.", "St. Mary's Medical Center"),
    ("Followed at Lakeview General Hospital.", "Lakeview General Hospital"),
    ("Recently travelled to Tucson for a wedding.", "Tucson"),
    # labelled LAST, FIRST in capitals with particles; a name in a specimen label
    ("PT: MARTÍNEZ-RUIZ, LUCÍA 12 year old", "MARTÍNEZ-RUIZ, LUCÍA"),
    ("Patient: Ó LAIGHNIGH, DANIELLE    URN 5883451", "Ó LAIGHNIGH, DANIELLE"),
    ("labeled with the patient's name (ADEMILUYI, ABENI) and MRN", "ADEMILUYI, ABENI"),
    ("whom I saw on the 27th. Mr Johnson reports a positive Romberg test.", "Johnson"),
    # short dates after a date label; ages in decades
    ("Date of service: 6/19   Provider: J. Smith, MD", "6/19"),
    ("Discharge Date: 30.6.\nAttending: R. Pires", "30.6"),
    ("Bed 1: EVERETT (in her mid-90s) Tourette syndrome", "mid-90s"),
    # well-known hospitals without a suffix, named practices, the town after a hospital
    ("For transfer to Addenbrooke's tmrw.", "Addenbrooke's"),
    ("referral to Cedars-Sinai for respite", "Cedars-Sinai"),
    ("PCP DR GRACE PARK @ REED SURGERY", "REED SURGERY"),
    ("by Dr Mata at Mass General in Sale. Since then", "Sale"),
    ("Seen at Valley Children's Hospital 12/23.", "12/23"),
    # a town before a UK postcode; a flat number
    ("958 Davies Lake, North Aliceside, WS29 3RZ", "North Aliceside"),
    ("lives alone at Flat 2/1, 85 Katy Estate, Khanmouth, B24 8EW.", "Flat 2/1"),
    ("NAME: TRUB HT UNIT NO: 0130716", "TRUB HT"),
    ("PCP DR Ó HÓDHRÁIN @ HARVEY CLINIC", "Ó HÓDHRÁIN"),
    ("hi all, (104) here, long time lurker.", "104"),
    ("my mum (ninety-year-old) was admitted", "ninety"),
    ("Beth Cook | Registrar | Manor Road Surgery", "Manor Road Surgery"),
    # international addresses, postcodes and phones
    ("wohnhaft Gino-Henschel-Straße 92-58, 95493 Arnstadt", "Gino-Henschel-Straße 92-58"),
    ("wohnhaft Kesslergasse 5, 9125 Sankt Veit an der Glan", "9125"),
    ("wohnhaft Kesslergasse 5, 9125 Sankt Veit an der Glan", "Sankt Veit an der Glan"),
    ("Department of Medicine, 1605 montée Stéphanie, Lac-Audrey Ouest, NL P6N 3Y6", "1605 montée Stéphanie"),
    ("Department of Medicine, 1605 montée Stéphanie, Lac-Audrey Ouest, NL P6N 3Y6", "P6N 3Y6"),
    ("Apt. 554 014 Victoria Concourse, Kennethville VIC 2985", "Kennethville"),
    ("Apt. 554 014 Victoria Concourse, Kennethville VIC 2985", "2985"),
    ("Domicilio: Plaza José Paniagua 12, Madrid", "Plaza José Paniagua 12"),
    ("T 030/2200858   F (07) 1573 9133", "030/2200858"),
    ("T 030/2200858   F (07) 1573 9133", "(07) 1573 9133"),
    ("Family (daughter Miles, 0044 20 3224 5944) updated", "0044 20 3224 5944"),
    ("son on his way, 01 28 47 85 68", "01 28 47 85 68"),
    ("Ventilator logged to 172.17.245.161:5163", "172.17.245.161:5163"),
    # dates written out, in other languages, spoken, with weekdays
    ("geb. 3. März 2021, UR number 190621", "3. März 2021"),
    ("F. nac.: 5 de diciembre de 1990", "5 de diciembre de 1990"),
    ("né(e) le 24 mai 1928", "24 mai 1928"),
    ("date of birth july eighteenth 1944 hospital number", "july eighteenth 1944"),
    ("PSYCHIATRY REVIEW - Sunday 27/12/2020", "Sunday 27/12/2020"),
    ("Listed for injection on Saturday the 19th.", "Saturday the 19th"),
    ("LINES pretibial CVC inserted 27/03", "27/03"),
    ("[6/24, 02:14] honey: pt in bay 6", "6/24"),
    ("[6/24, 02:14] honey: pt in bay 6", "honey"),
    # IDs and ages
    ("Name: Eleanor Parkinson  UR number 889052", "889052"),
    ("RE: Robin Hood   NHC 420126", "420126"),
    ("CGM transmitter 8GPEWH logged", "8GPEWH"),
    ("this pleasant lady who is 98/m who lives alone", "98"),
    ("my nan is aged one hundred and three", "one hundred and three"),
    ("Dictated 21/08/2019 by Wilson, H.", "Wilson, H."),
    ("Posted by u/drlah_rn", "drlah_rn"),
    # dictation and chat, all lower case
    ("her address is apt. 527 45 allen road new anthony sa 2701 copy to brook", "apt. 527 45 allen road new anthony sa 2701"),
    ("date of clinic the 30th of november dear doctor kristoffersen comma new paragraph", "kristoffersen"),
    ("[02:14] anne: pt in bay 3 - pierre-yves le corre, dob 14 jan 87", "pierre-yves le corre"),
    ("her gp was dr. bell, and ms ludwig called", "bell"),
    ("her gp was dr. bell, and ms ludwig called", "ludwig"),
    # lower-case names with eponym or everyday parts, particles, explicit name cues
    ("pt ludwig franke re results.", "ludwig franke"),
    ("spoke with juan de la torre this am.", "juan de la torre"),
    ("pt name rune ruud this am.", "rune ruud"),
    ("Patient Johnson, Michael, a 47 y/o female", "Johnson, Michael"),
    ("Originally from Mclaughlinborough two years ago.", "Mclaughlinborough"),
    # national identity and insurance numbers, plates abroad, table cells, French hospitals
    ("Aadhaar 5109 8704 8109   Acct 1778407106", "5109 8704 8109"),
    ("personnummer 19985637-5782 and more", "19985637-5782"),
    ("NIR 1 99 02 17 856 630 17   HAR# 81198899", "1 99 02 17 856 630 17"),
    ("NI number AB 12 34 56 C", "AB 12 34 56 C"),
    ("Medicare no. 5714 02430 7   Fallnr. 68/402096", "5714 02430 7"),
    ("Pt does not drive (rego RBC-231).", "RBC-231"),
    ("| 1   | Star Noble (a nonagenarian) | 551385 | Fuchs dystrophy; CRP 212 |", "551385"),
    ("was admitted to chu de bordeaux hd#4", "chu de bordeaux"),
    ("copy to ruby gold at west melindatown assisted living end of dictation", "west melindatown assisted living"),
    # ward lists, chat speakers, lower-case places and particle surnames
    ("| 2   | ALCALDE PEPE (50F) | N011953 | POAG |", "ALCALDE PEPE"),
    ("son on his way\n[02:17] CP: k. Coats disease hx right?", "CP"),
    ("bed 4 mr van den heuvel 95y from home", "van den heuvel"),
    ("who lives in alice springs with her daughter.", "alice springs"),
    ("Patient: TRÉINFHEAR, SUSAN   Chart # 79100", "TRÉINFHEAR, SUSAN"),
    # US hospital documents: month/year, pagers, SSN last 4, dose dates, employers, credentials
    ("appendectomy (11/2015), diagnosed 11/2023", "11/2023"),
    ("Dr. Jeremiah Martinez-Ruiz pgr 4-9192  11/15/19 1352", "4-9192"),
    ("Wilson, Terry PharmD Pager: 95349", "95349"),
    ("SSN (last 4): 7800.", "7800"),
    ("- Spiriva qHS  last dose 12/17 AM", "12/17"),
    ("Social: quit x1; no IVDU. Works (Home Depot).", "Home Depot"),
    ("moved her to Martin Nursing and Rehabilitation Center on 7/23.", "Martin Nursing and Rehabilitation Center"),
    ("ASSISTANT: Murphy RN", "Murphy"),
    ("Location: Shaffer Oncology Partners", "Shaffer Oncology Partners"),
    ("Dr. John Smith III called.", "John Smith III"),
    ("went to good samaritan hospital, then the cleveland clinic", "good samaritan hospital"),
    ("her gp was dr love; Mr. Young called", "love"),
    ("Lives in Bethesda, MD 20814.", "Bethesda"),
]


@pytest.mark.parametrize(("text", "value"), CASES, ids=[f"{i:02d}" for i in range(len(CASES))])
def test_identifier_is_detected(text_engine, text, value):
    assert kinds_over(text, value)


KEEP = [
    "History of Parkinson disease and Graves disease; Babinski sign negative.",
    "Hodgkin lymphoma in remission; Crohn's disease flare; Bell's palsy resolved.",
    "Started metoprolol 25 mg BID and apixaban 5 mg; furosemide held.",
    "Troponin 0.04 ng/mL, creatinine 1.8 mg/dL, WBC 14.2, INR 2.4.",
    "SOB and DOE worse; DNR/DNI confirmed; NPO after midnight; admitted to ICU.",
    "Post-op day 3, symptoms began 3 weeks ago, worse since last Tuesday.",
    "A 72 y/o man and a 45-year-old woman.",
    "BP 142/88, HR 112, SpO2 91%, 5/5 strength, 2/6 systolic murmur, take 1/2 tablet.",
    "Stenosis of the left anterior descending artery and the right femoral neck.",
    "Kawasaki disease, Cushing syndrome, Wilson disease and Hashimoto thyroiditis.",
    "Follow up with Plastic Surgery and General Practice; cardiac surgery next week.",
    "we saw in clinic that he went back to the clinic for follow up.",
    "ECHO: MR SEVERE, MS MILD, TR TRACE. Platelets (100), Hb (92).",
    "GCS 9 (E2V3M4). Vasopressin 0.03 U/min. Fluid in the pouch of Douglas. Returned from Canada.",
    "Also, I. think so. Offering 2 options; Spring 2021 review.",
    "my dr said it was fine and the doctor appointment is soon; lives at home with her husband.",
    "History of Parkinson, Wilson disease. Originally from Canada. Moved from Monday to Friday.",
    "Sister Mary Joseph nodule noted; chi square test; | BP | 120/80 | HR | 72 |",
    "History of Crohn Disease (12 yrs ago); lives in fear of falls; moved to rehab.",
    "EBL 350 mL. Li 1.4 at end of case; Na 128. Plan 1/7 review, plan q2h.",
    "POD #2, HD #4. Foley in place; Morton's neuroma; Jackson-Pratt drain; Cheyne-Stokes respiration. Charge RN aware. CAD s/p CABG.",
    "Plan: MR scan of the spine, MR angiography and MR brain. MS relapse; ms flare again. Dr appointment; dr review tomorrow.",
    "MS exacerbation treated with steroids. MR perfusion normal. Patient ambulating with walker. Dr note reviewed. Pt tolerating diet.",
    "Abd: soft NT ND. Delivered by C-section.\nWound care daily. CN II-XII intact. Peds: 6 month old. Derm: lesion. Ophtho: IOP 18 OU.",
    "IMPRESSION: No acute intracranial abnormality. Stable 4 mm nodule, follow-up CT in 12 months per Fleischner criteria.",
    "ICU day 4. Vent settings: AC 450/16/5/40%. Pressors weaned off. SBT passed. Extubated to 2L NC. Visual acuity 20/25 OD, 20/30 OS.",
    "PT/OT to see. PA chest film clear. ID consult recommends vanc. RA flare on MTX. ED course uncomplicated. Seen by ortho, plan ORIF.",
    "Seen in fracture clinic, eye clinic and pain clinic; walk-in clinic; refer to ortho clinic; attend clinic; teaching hospital.",
    "Hashimoto's thyroiditis (dx hospital day 3). Bethesda III. Bovie electrocautery; Morse Fall Scale 45. Mallampati II. Recheck at 3 AM. Wells score 4.5.",
    "COLLECT ABILIFY 10 MG FROM PHARMACY. Background Tourette's; consistent with Mallory-Weiss tear.",
    "Yours sincerely,\nConsultant Physician\nAdmission Date: see below",
    "access--arrived w/2 #22 iv's to r arm, #18 ac placed; tylenol #3 x2; received with a #8 trach.",
    "GIVEN 2 FFP, 2 UNITS PRBC, VITAMIN K. PLACED ON FIRST STEP AIR MATTRESS. ALBUTEROL WITH SPACER.",
    "CO 6.8 CI 3.18. PER MD'S PT TO BE STARTED ON NIPRIDE. she did rec tet tox per rn. per report she is a&ox3.",
    "VENT SETTINGS-AC, 700X10, 30%, & +5. ON AC700X10 50% FIO2. 14X700X100.",
    "SPENT OVER 45 MINUTES ENCOURAGING PT. BP 85 TO 98 SYS WHICH IS HER USUAL. DOPA AT 8 MCG. BP STABLE CONT AV",
    # readings shaped like dates, phones, streets, ages, plates and handles
    "VENT AC 600X12/5/50%. CI 4.2/71. PLATEAU 26-29/22.",
    "+2815 LOS, +1450 at noon. IS 500-1000, SVR in the 800-1200.",
    "URINE CLEAR VIA FOLEY 40 CC HR. MAP STABLE VIA ART LINE 95. CVP read via TLC 9.",
    "sats in the 90's, MAP in the low 90's.",
    "4u reg sq at 8am. 3U REG. K LOW 3.1. TF @60CC/HR, @0400 neg 1L.",
    "GU-foley draining. 80 MG LASIX GIVEN TODAY. PT 900CC NEG. 3 WAY FOLEY IN PLACE.",
]


@pytest.mark.parametrize("text", KEEP)
def test_clinical_words_survive(text_engine, text):
    dets = find_phi(text)
    assert dets == [], [(d.kind, text[d.start:d.end], d.source) for d in dets]


def test_split_patterns_find_exactly_what_the_originals_find():
    """Patterns whose leading assertion is split off for speed (recognizers._split_lead)
    must match exactly where the whole pattern does, on varied clinical text."""
    import re

    import regex

    from deid.text.recognizers import _compile, iter_matches, load_patterns

    with FROZEN_NOTES.open(encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh]
    assert len(texts) == 70
    texts += [t.upper() for t in texts[:20]] + [t.lower() for t in texts[20:40]]
    texts += ["x1/2/2020 a-123-45-6789 #12 +1 555 0100 fax:555-0199 ssn123-45-6789 İstanbul ſsn 12/3"]
    split = 0
    for spec in load_patterns():
        for rx, lead, src in zip(spec.regexes, spec.leads, spec.sources, strict=True):
            if lead is None:
                continue
            split += 1
            whole = _compile(src, spec.flags)
            assert isinstance(whole, (re.Pattern, regex.Pattern))
            for t in texts:
                assert [m.span() for m in iter_matches(rx, lead, t)] == [m.span() for m in whole.finditer(t)], spec.name
    assert split >= 10


@pytest.mark.parametrize(("text", "value"), [
    ("Social: never smoker. Retired (Quorbeck Freight).\nFamily hx: none", "Quorbeck Freight"),
    ("Social: retired from Quorbeck Motors. PMH: HTN", "Quorbeck Motors"),
    ("71 yo woman, unemployed (previously at Royal Quorbeck), lives alone", "Royal Quorbeck"),
    ("Previously worked as a teacher at Dorrow, Quen and Marbeck. Has asthma.", "Dorrow, Quen and Marbeck"),
    ("TTO for bed 3 to Quorbeck Rehabilitation Centre (Level 5)", "Quorbeck Rehabilitation Centre"),
    ("ANESTHESIA: General, Dr. Quelmark\nPROCEDURE: Pfannenstiel incision.", "Quelmark"),
    ("Pt Quen Dorrow, (94), called re OSA", "94"),
    ("Sex: F   Age: (104)\nCollected: today", "104"),
])
def test_employers_centres_and_bracketed_ages(text_engine, text, value):
    spans = [text[d.start:d.end] for d in find_phi(text)]
    assert any(value in s for s in spans), spans


@pytest.mark.parametrize("text", [
    "Retired (2015). Retired early.",
    "Sats, (94) on RA. Hb (95) stable.",
    "Murphy\nsign positive on exam",
])
def test_employer_and_age_look_alikes_stay(text_engine, text):
    assert [d for d in find_phi(text) if d.kind in ("ORGANIZATION", "AGE", "PERSON")] == []


@pytest.mark.parametrize(("text", "value"), [
    # messages: headers, greetings and sign-offs name people by everyday words
    ("From: Sunny Quorbeck <sq1@example.org>\nTo: Will Dorrow <wd@example.org>\nSent: today", "Will Dorrow"),
    ("Hi Sunny,\n\nThanks - I saw her this morning.", "Sunny"),
    ("Thanks for the advice.\n\nCheers,\nPat\n", "Pat"),
    ("KIND REGARDS - Q.X.\n", "Q.X."),
    # a single name with an age in brackets, also after a ward
    ("BED 1: RAIN (87 Y/O) COLLES FRACTURE", "RAIN"),
    ("Thanks - I saw Dew (ICU, 96yo) this morning.", "Dew"),
    # a byline's town, a name before a date of birth, a dictating doctor, initials
    ("Posted by Jo Quorbeck, MD, Cardiology, Lantern Bay\n\nColleagues,", "Lantern Bay"),
    ("dictating a clinic letter for sunny brook date of birth 3 june 1951", "sunny brook"),
    ("Dictated 19/02/2018 00:09 by Shore, S.\n", "Shore, S"),
    ("(Consent obtained. Pt name QX — please blur the tattoo)", "QX"),
    ("son Quen on his way from Lantern 0492 685 279", "Lantern"),
])
def test_message_names_bylines_and_dictation(text_engine, text, value):
    spans = [text[d.start:d.end] for d in find_phi(text)]
    assert any(value in s for s in spans), spans


@pytest.mark.parametrize("text", [
    "Hi all,\nDear colleagues,\nThanks,\nThe ICU team",
    "Yours sincerely,\nConsultant Physician",
    "Posted by Jo Quorbeck, MD, Internal Medicine\n\nColleagues, input welcome.",
    "Mother (65 yo) with MI. Pt (72M). Female (45 y/o).",
    "for the review, dob checked at the bedside",
])
def test_message_look_alikes_stay(text_engine, text):
    found = [(text[d.start:d.end], d.source) for d in find_phi(text) if d.kind in ("PERSON", "LOCATION")]
    assert not [f for f in found if "Quorbeck" not in f[0]], found


@pytest.mark.parametrize(("text", "value"), [
    # a role at an organisation; lower-case practices and units named without a hospital word
    ("Social: married, his wife is CEO of QXB; nonsmoker.", "QXB"),
    ("Wife is a teacher at Lantern Academy, retired.", "Lantern Academy"),
    ("seen by dr quelmark at brookdale cardiology associates in may", "brookdale cardiology associates"),
    ("dialysis at springfield dialysis unit three times a week", "springfield dialysis unit"),
    # header and subject lines, signature lines, author lists, a name before its date of birth
    ("[02:14] AB: pt in bay 2 - holly stone, dob 11-Feb-58, pH 7.30", "holly stone"),
    ("To: Dr Quelmark (ABG team)\nRe: Star Noble, UR: 1080377, seen today", "Star Noble"),
    ("RE: SHEPHERD, Brook   DOB: 1977   NHC 127429", "SHEPHERD, Brook"),
    ("ICU PROGRESS NOTE  Bed 10\nSterling Marsh | in her late nineties | 2 wks in ICU", "Sterling Marsh"),
    ("Plan as above.\n— Sterling Marsh, ST5 Psychiatry", "Sterling Marsh"),
    ("Authors: Quen B. Dorrow¹, Heath Moss²\n¹ Department of Medicine", "Heath Moss"),
    # cue phrases of several words are strong cues
    ("end of dictation copy to sandy carpenter at the practice", "sandy carpenter"),
    ("pt doing well. spoke with ruby at length today", "ruby"),
])
def test_roles_headers_signatures_and_cue_phrases(text_engine, text, value):
    spans = [text[d.start:d.end] for d in find_phi(text)]
    assert any(value in s for s in spans), spans


@pytest.mark.parametrize("text", [
    "She is the director of Nursing; he is an Engineer with PhD; retired teacher of Biology.",
    "RE: CT Head, 2 views\nSubject: Annual review\n- Vital Signs, stable\nBP 120/80 | 72 bpm",
    "spoke with family at bedside. seen by cardiology. discussed with team. spoke with ho re plan.",
    "went to urgent care, then to the dialysis unit",
])
def test_role_header_and_cue_look_alikes_stay(text_engine, text):
    found = [(text[d.start:d.end], d.source) for d in find_phi(text) if d.kind in ("PERSON", "LOCATION", "ORGANIZATION")]
    assert found == [], found


@pytest.mark.parametrize(("text", "value"), [
    ("Frank Quen | Registrar | South Quorbeck Surgery\nBleep 4781", "South Quorbeck Surgery"),
    ("Frank Quen | Registrar | South Quorbeck Surgery\nBleep 4781", "Frank Quen"),
    ("Lasix given at 1400. ICU. Kind regards - Sunny\nBed 2: stable", "Sunny"),
    ("Thank you for seeing this (105) gentleman with asthma", "105"),
    ("ED TRIAGE\nPT: IVY QUORBECK 69 YEAR OLD MR# 615921166", "IVY QUORBECK"),
    ("ED TRIAGE\nPT: QUORBECK, LORRAINE IN HER 90S CHART # 53224", "QUORBECK, LORRAINE"),
    ("diagnosed by Dr Quen at Kaiser Permanente Oakland in Reading. Since then stable", "Reading"),
])
def test_practices_signatures_and_places_after_institutions(text_engine, text, value):
    spans = [text[d.start:d.end] for d in find_phi(text)]
    assert any(value in s for s in spans), spans


@pytest.mark.parametrize("text", [
    "Referred to General Surgery and Vascular Surgery. Day Surgery unit. Underwent Hand Surgery.",
    "Plastic Surgery review; Bariatric Surgery clinic; Orthopaedic Surgery follow-up.",
    "Seen at the clinic in the morning; BP 120/80 | RN to recheck",
])
def test_kinds_of_surgery_stay(text_engine, text):
    assert [d for d in find_phi(text) if d.kind == "ORGANIZATION"] == []


@pytest.mark.parametrize(("text", "value"), [
    ("she fell at her flat (Suite 606 3 Quorbeck Round, Lantern) and", "Suite 606 3 Quorbeck Round"),
    ("to the centre (Level 5 678 Quorbeck Deviation, Lake Lantern QLD 2996); collect", "Level 5 678 Quorbeck Deviation"),
    ("Family Medicine\n66/377 Quorbeck Piazza, Lanternton QLD 2184\nT 9247313143", "66/377 Quorbeck Piazza"),
    ("she fell at her flat (71/4 Quorbeck Ramble, Lanternside) and", "71/4 Quorbeck Ramble"),
    ("Beaumont Hospital\n938 allé Quorbeck, Ville Lantern, NB K3V7G6", "938 allé Quorbeck"),
    ("BIBA FROM 4607 QUORBECK VILLAGE, SOUTH HOPE, OR 14405 AFTER CXR.", "SOUTH HOPE"),
])
def test_australian_and_canadian_street_forms(text_engine, text, value):
    spans = [text[d.start:d.end] for d in find_phi(text)]
    assert any(value in s for s in spans), spans


def test_acuity_and_doses_are_no_unit_addresses(text_engine):
    text = "Vision 20/20 Both Eyes, Normal 2020. Suite 4 2 units given at 10 am."
    assert [text[d.start:d.end] for d in find_phi(text) if d.kind == "ADDRESS" and "units" in text[d.start:d.end]] == []
    text = "Braden 14.\nLabs: 20/40 OD, BNP 1240, trop I 0.04."
    assert [d for d in find_phi(text) if d.kind == "ADDRESS"] == []
    # a fraction before capitalised words is no unit/number address
    text = "Power 4/5 Left Arm, 3/6 Systolic Murmur, 1/2 Normal Saline Bolus."
    assert [d for d in find_phi(text) if d.kind == "ADDRESS"] == []
