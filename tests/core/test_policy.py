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


@pytest.mark.parametrize(
    "yaml_text",
    [
        "text:\n  verify: \"false\"\n",  # a string where a boolean is expected
        "text:\n  score_threshold: .nan\n",  # NaN: every score comparison would be false
        "text:\n  score_threshold: 1.5\n",  # out of range: nothing would count as PHI
        "text:\n  max_chars: 3.7\n",  # not silently truncated to 3
        "text:\n  max_chars: \"1000\"\n",
        "text:\n  keep_kinds: [PERSON, 1]\n",  # not silently stringified
        "text:\n  keep_kinds: PERSON\n",
        "image:\n  jpeg_quality: 0\n",
        "limits:\n  timeout_s: -1\n",
    ],
)
def test_policy_yaml_types_are_strict(tmp_path, yaml_text):
    f = tmp_path / "p.yaml"
    f.write_text(yaml_text)
    with pytest.raises(InputError) as err:
        Policy.from_yaml(f)
    assert err.value.reason == "bad_policy"
