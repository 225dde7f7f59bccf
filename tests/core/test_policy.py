import pytest

from deid.core import InputError, Policy


def test_defaults_are_the_safe_choice():
    p = Policy()
    assert p.text.verify and p.image.verify and p.image.faces
    assert not p.dicom.retain_uids and not p.dicom.retain_safe_private
    assert p.image.dicom_text == "annotation"


def test_yaml_round_trip_and_unknown_keys(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("text:\n  operator: surrogate\n  keep_kinds: [LOCATION]\ndicom:\n  retain_safe_private: true\n")
    p = Policy.from_yaml(f)
    assert p.text.operator == "surrogate" and p.text.keep_kinds == ("LOCATION",) and p.dicom.retain_safe_private
    f.write_text("text:\n  opertor: tag\n")
    with pytest.raises(InputError, match="opertor"):
        Policy.from_yaml(f)
    f.write_text("text:\n  operator: shred\n")
    with pytest.raises(InputError):
        Policy.from_yaml(f)
    with pytest.raises(InputError):
        Policy.from_dict({"dicom": {"retain_uids": "yes"}})


def test_merged_overrides():
    p = Policy().merged({"image": {"ocr_engine": "tesseract"}})
    assert p.image.ocr_engine == "tesseract" and p.text == Policy().text
