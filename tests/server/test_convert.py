"""Wire conversions: Report round trip, policy overrides and their ceilings."""

from __future__ import annotations

import pytest

from deid.client import report_from_proto
from deid.core.errors import InputError
from deid.core.policy import Policy
from deid.core.report import Finding, Report, Verification
from deid.server.convert import effective_policy, report_to_proto


def test_report_round_trip():
    part = Report(input_kind="dicom", findings=[Finding("PERSON", "emptied", tag="(0010,0010)", part="dicom:1")])
    rep = Report(
        input_kind="case",
        findings=[
            Finding("PERSON", "tagged", 0.85, "spacy", span=(8, 20), part="text:0"),
            Finding("PIXEL_TEXT", "redacted", 0.9, "ocr:rapidocr", box=(1, 2, 30, 10), frame=0),
        ],
        verification=Verification(ran=True, passed=True, detail="0 residual"),
        notes=["pixel data re-encoded"],
        timings={"detect": 0.01},
        parts=[part],
    )
    msg = report_to_proto(rep)
    assert msg.counts_by_kind == {"PERSON": 2, "PIXEL_TEXT": 1}
    assert msg.parts[0].part == "dicom:1"
    back = report_from_proto(msg)
    assert back.findings == rep.findings
    assert back.parts[0].findings == part.findings
    assert back.verification == rep.verification
    assert back.counts_by_kind() == rep.counts_by_kind()


def test_overrides_merge_and_ceilings():
    base = Policy.from_dict({"text": {"max_chars": 1000}, "limits": {"timeout_s": 30}})
    p = effective_policy(base, '{"text": {"operator": "surrogate", "max_chars": 10}}', allow_overrides=True)
    assert p.text.operator == "surrogate"
    assert p.text.max_chars == 10  # lowering is fine
    for raw in ('{"text": {"max_chars": 99999}}', "limits:\n  timeout_s: 0\n"):
        # Raising a limit, or "no timeout" over the server's budget: refused.
        with pytest.raises(InputError) as err:
            effective_policy(base, raw, allow_overrides=True)
        assert err.value.reason == "override_not_stricter"
    assert effective_policy(base, "  ", allow_overrides=False) is base


@pytest.mark.parametrize("raw", ["[1, 2]", "{text: {operator: shred}}", "{nope: 1}", "{: : :"])
def test_bad_overrides(raw):
    with pytest.raises(InputError):
        effective_policy(Policy(), raw, allow_overrides=True)


def test_overrides_can_be_disabled():
    with pytest.raises(InputError) as err:
        effective_policy(Policy(), '{"text": {"operator": "surrogate"}}', allow_overrides=False)
    assert err.value.reason == "overrides_disabled"
    # Sending the server's own policy back changes nothing and is accepted.
    import json

    assert effective_policy(Policy(), json.dumps(Policy().to_dict()), allow_overrides=False) == Policy()


# ---- stricter-only overrides (security issue row 1) --------------------------------------

@pytest.mark.parametrize(
    "raw",
    [
        '{"text": {"keep_kinds": ["PERSON", "DATE", "MRN"], "verify": false}}',  # the probe
        '{"text": {"keep_kinds": ["PERSON"]}}',  # a keep-list may not grow
        '{"text": {"verify": false}}',
        '{"text": {"allow_list": ["Quillfeather"]}}',
        '{"text": {"score_threshold": 0.9}}',
        '{"text": {"dates": "shift"}}',  # base below tags dates
        '{"dicom": {"retain_uids": true}}',
        '{"dicom": {"clean_pixels": "never"}}',
        '{"image": {"faces": false}}',
        '{"image": {"verify": false}}',
        '{"image": {"face_operator": "blur"}}',
        '{"image": {"ocr_engine": "tesseract"}}',  # locked: no rule, must equal
        '{"image": {"burned_in_modalities": ["US"]}}',
    ],
)
def test_loosening_overrides_are_invalid_argument(raw):
    base = Policy.from_dict({"text": {"keep_kinds": ["LOCATION"], "dates": "tag", "allow_list": ["Ward"]}})
    with pytest.raises(InputError) as err:
        effective_policy(base, raw, allow_overrides=True)
    assert err.value.reason == "override_not_stricter"


def test_stricter_overrides_are_accepted():
    base = Policy.from_dict({"text": {"keep_kinds": ["LOCATION", "AGE"], "allow_list": ["Ward"]},
                             "dicom": {"retain_safe_private": True}})
    p = effective_policy(base, """
text: {keep_kinds: [AGE], allow_list: [], deny_list: [Quillfeather], score_threshold: 0.1, dates: redact}
dicom: {retain_safe_private: false, clean_pixels: always}
image: {face_operator: fill, photo_text: all, burned_in_modalities: [US, SC, XA, CR, DX, RF, ES, OT, IVUS, OP, XC, GM, SM, MG]}
limits: {timeout_s: 5}
""", allow_overrides=True)
    assert p.text.keep_kinds == ("AGE",) and p.text.deny_list == ("Quillfeather",)
    assert p.dicom.clean_pixels == "always" and not p.dicom.retain_safe_private
    assert p.image.face_operator == "fill" and p.limits.timeout_s == 5


def test_every_policy_field_has_a_rule_or_is_locked():
    import dataclasses

    from deid.server.convert import OVERRIDE_RULES

    locked = {"image.ocr_engine", "image.face_detector", "image.verify_rounds", "image.ocr_max_pixels",
              "image.min_text_px", "image.face_min_px", "image.face_max_pixels", "image.engine_threads",
              "image.sampled_frames"}
    fields = {f"{s}.{f.name}" for s in ("text", "dicom", "image", "limits")
              for f in dataclasses.fields(getattr(Policy(), s))}
    assert set(OVERRIDE_RULES) <= fields  # no rule for a field that does not exist
    assert fields - set(OVERRIDE_RULES) == locked  # a new field is locked until reviewed
