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


# ---- key material (security issue row 6) --------------------------------------------

def test_key_file_is_bytes_not_stripped_and_text_keys_decode(tmp_path, caplog):
    import base64
    import os

    from deid.core.context import key_id

    raw = os.urandom(31) + b"\n"  # binary key material ending in a newline byte
    p = tmp_path / "key"
    p.write_bytes(raw)
    p.chmod(0o600)
    assert load_key_file(p) == raw  # nothing stripped: the last byte is key material
    other = raw[:-1] + b" "
    p.write_bytes(other)
    assert key_id(load_key_file(p)) != key_id(raw)
    material = os.urandom(32)
    for text in (material.hex() + "\n", "hex:" + material.hex(), base64.b64encode(material).decode() + "\n"):
        p.write_text(text)
        assert load_key_file(p) == material
    assert not [r for r in caplog.records if "readable" in r.getMessage()]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"passwordpassword", "passphrase_key"),
        (b"correct-horse-battery-staple-correct-horse-b", "passphrase_key"),
        (b"Tr0ub4dor&3 is my hospital key, 2026!", "passphrase_key"),
        (b"k" * 32, "passphrase_key"),  # base64-shaped but one letter: not random
        (b"ab" * 16, "passphrase_key"),
        (bytes(range(1, 17)), "weak_key"),  # binary but 16 bytes: below 32
        (("ab12cd34" * 4).encode(), "weak_key"),  # hex of 16 bytes
        ((b"\x9b\x04" * 16).hex().encode() + b"  \n", "weak_key"),  # whitespace inside key text
    ],
)
def test_passphrases_and_short_keys_are_refused(tmp_path, monkeypatch, content, reason):
    from deid.core.context import load_key_from_env

    p = tmp_path / "key"
    p.write_bytes(content)
    with pytest.raises(InputError) as err:
        load_key_file(p)
    assert err.value.reason in (reason, "weak_key", "passphrase_key")
    if b"\x00" not in content and content.isascii() and content.strip() == content:
        monkeypatch.setenv("DEID_KEY", content.decode())
        with pytest.raises(InputError):
            load_key_from_env()
    assert content.decode("latin-1") not in str(err.value)  # the key never in a message


def test_key_file_readable_by_others_warns(tmp_path, caplog):
    import os

    p = tmp_path / "key"
    p.write_bytes(os.urandom(32))
    p.chmod(0o644)
    with caplog.at_level("WARNING"):
        load_key_file(p)
    assert any("group or others" in r.getMessage() for r in caplog.records)


def test_key_id_is_a_fingerprint_not_the_key():
    from deid.core.context import key_id

    kid = key_id(KEY)
    assert kid == CaseContext(KEY).key_id and kid.startswith("k-") and len(kid) == 18
    assert KEY.hex()[:8] not in kid and key_id(b"x" * 32) != kid


# ---- scoped surrogates and shifts (security issue row 2) -------------------------------

def test_surrogates_are_scoped_to_the_patient_or_case():
    a, b = CaseContext(KEY, case_id="case-a"), CaseContext(KEY, case_id="case-b")
    # Within one case: consistent.
    assert a.seed("surrogate:PERSON", "John Smith") == a.seed("surrogate:PERSON", "john smith")
    assert a.pseudonym("patient", "John Smith") == a.pseudonym("patient", "John Smith")
    # Across cases without a shared patient: different, so a published surrogate cannot
    # be tested against candidate names by scrubbing them in another case.
    assert a.seed("surrogate:PERSON", "John Smith") != b.seed("surrogate:PERSON", "John Smith")
    assert a.pseudonym("patient", "John Smith") != b.pseudonym("patient", "John Smith")
    # The same patient (PatientID) under the same key: equal across cases (longitudinal).
    p1, p2 = CaseContext(KEY, case_id="case-a"), CaseContext(KEY, case_id="case-b")
    p1.set_patient("PID-1")
    p2.set_patient("PID-1")
    assert p1.pseudonym("patient", "PID-1") == p2.pseudonym("patient", "PID-1")
    assert p1.seed("surrogate:PERSON", "John Smith") == p2.seed("surrogate:PERSON", "John Smith")
    # Output names stay stable under the key alone (resume rewrites the same names).
    assert a.pseudonym("case-dir", "x") == b.pseudonym("case-dir", "x")
    # Once a scoped value has been derived, a later patient anchor cannot change it.
    a2 = CaseContext(KEY, case_id="case-a")
    first = a2.seed("surrogate:PERSON", "Jane Roe")
    a2.set_patient("PID-9")
    assert a2.seed("surrogate:PERSON", "Jane Roe") == first
