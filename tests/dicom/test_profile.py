"""The Annex E table as data and the option interpreter."""

from deid.core.policy import DicomPolicy
from deid.dicom.profile import Rule, compile_profile, load_table, resolve


def test_table_is_complete():
    edition, rows = load_table()
    assert "PS3.15" in edition and "2026" in edition
    assert len(rows) >= 650
    tags = {r.tag for r in rows}
    assert {"50xx,xxxx", "60xx,3000", "60xx,4000", "gggg,eeee", "0010,0010", "0040,a730"} <= tags


def test_compound_actions_and_options():
    basic = DicomPolicy(
        retain_longitudinal_modified_dates=False,
        clean_descriptors=False,
        clean_structured_content=False,
        clean_graphics=False,
    )
    p = compile_profile(basic)
    assert p.lookup(0x00100010).code == "Z"  # Patient's Name
    assert p.lookup(0x00080080).code == "D"  # Institution Name X/Z/D
    assert p.lookup(0x00080022).code == "Z"  # Acquisition Date X/Z
    assert p.lookup(0x00081140).code == "*"  # Referenced Image Sequence X/Z/U*
    assert p.lookup(0x0020000D).code == "U"
    assert p.lookup(0x60023000).code == "X"  # repeating group
    assert p.lookup(0x50101234).code == "X"
    full = compile_profile(
        DicomPolicy(
            retain_uids=True, retain_device_identity=True, retain_longitudinal_full_dates=True
        )
    )
    assert full.lookup(0x00181002).code == "K"  # Device UID under two retain options
    assert full.lookup(0x00080020).code == "K"  # full dates win over modified
    assert compile_profile(DicomPolicy()).lookup(0x00080020).code == "C"


def test_most_retaining_option_wins():
    rule = Rule("0010,2110", "Allergies", "X", (("rtnPatCharsOpt", "C"), ("cleanDescOpt", "C")))
    assert resolve(rule, DicomPolicy(clean_descriptors=False)).code == "X"
    assert resolve(rule, DicomPolicy()).code == "C"
