import pytest

from deid.core import CaseContext, InputError
from deid.core.context import load_key_file

KEY = b"k" * 32


def test_pseudonyms_are_keyed_and_stable():
    a, b = CaseContext(KEY), CaseContext(KEY)
    assert a.pseudonym("PERSON", "John Smith") == b.pseudonym("PERSON", "john  smith")
    assert a.pseudonym("PERSON", "John Smith") != CaseContext(b"x" * 32).pseudonym("PERSON", "John Smith")
    assert a.pseudonym("PERSON", "John Smith") != a.pseudonym("PERSON", "Jane Smith")


def test_uid_remap_is_deterministic_and_valid():
    c = CaseContext(KEY)
    uid = c.new_uid("1.2.840.113619.2.55.3.604688119")
    assert uid == CaseContext(KEY).new_uid("1.2.840.113619.2.55.3.604688119")
    assert uid.startswith("2.25.") and len(uid) <= 64 and uid[5:].isdigit()
    assert uid != c.new_uid("1.2.3")


def test_date_shift_in_range_and_fixed_once_read():
    shifts = {CaseContext(KEY, case_id=str(i)).date_shift_days for i in range(200)}
    assert all(-365 <= s <= -1 for s in shifts) and len(shifts) > 50
    c = CaseContext(KEY)
    c.set_patient("PID-1")
    first = c.date_shift_days
    c.set_patient("PID-2")  # ignored: a case never mixes two offsets
    assert c.date_shift_days == first
    other = CaseContext(KEY, case_id="another")
    other.set_patient("PID-1")
    assert other.date_shift_days == first  # same patient, same key -> same shift


def test_deny_terms_split_names_and_repr_hides_values():
    c = CaseContext(KEY)
    c.add_identifier("PERSON", "OKAFOR^JOHN^A", source="dicom")
    terms = {t for _, t in c.deny_terms()}
    assert {"OKAFOR JOHN A", "OKAFOR", "JOHN"} <= terms
    assert "OKAFOR" not in repr(c) and "OKAFOR" not in repr(c.identifiers)


def test_weak_or_missing_keys_are_refused(tmp_path):
    with pytest.raises(InputError):
        CaseContext(b"short")
    p = tmp_path / "key"
    p.write_bytes(b"\x01tiny\n")
    with pytest.raises(InputError) as exc:
        load_key_file(p)
    assert exc.value.reason == "weak_key"
    with pytest.raises(InputError):
        load_key_file(tmp_path / "missing")
