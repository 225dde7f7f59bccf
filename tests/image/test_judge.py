import numpy as np

from deid.image.judge import deny_match, group_lines, judge_boxes
from deid.image.ocr import TextBox


def _box(x, y, w, h, text, score=0.95):
    poly = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], np.float32)
    return TextBox(poly, text, score, "test", score)


def test_deny_match_absorbs_ocr_errors():
    assert deny_match("Johnathan", "PT: J0HNATHAN")
    assert deny_match("Johnathan", "Jonathan SMITH")  # one dropped letter in 9
    assert deny_match("4471923", "ID 447-1923")
    assert not deny_match("4471923", "ID 4471928")
    assert not deny_match("Kowalski", "LIVER LEFT LOBE")


def test_lines_join_boxes_left_to_right():
    boxes = [_box(200, 10, 80, 14, "JOHN"), _box(10, 11, 60, 14, "Name:"), _box(10, 60, 50, 14, "LIVER")]
    assert group_lines(boxes) == [[1, 0], [2]]


def test_label_marks_value_box_in_same_line(policy, context):
    boxes = [_box(10, 10, 40, 14, "DOB:"), _box(60, 10, 90, 14, "see chart"), _box(10, 80, 60, 14, "LIVER")]
    verdicts = judge_boxes(boxes, policy, context)
    assert [v.index for v in verdicts] == [1]


def test_deny_listed_name_is_phi_without_label(policy, context):
    context.add_identifier("PERSON", "Kowalski Anna", source="test")
    boxes = [_box(10, 10, 120, 14, "KOWALSKl"), _box(10, 80, 60, 14, "LIVER")]
    verdicts = judge_boxes(boxes, policy, context)
    assert [(v.index, v.source) for v in verdicts] == [(0, "deny_list")]


def test_analyzer_judges_split_name_line(policy, context):
    boxes = [_box(10, 10, 50, 14, "Patient"), _box(70, 10, 120, 14, "Margaret Oduya"), _box(10, 80, 80, 14, "Right kidney")]
    kinds = {v.index: v.kind for v in judge_boxes(boxes, policy, context)}
    assert 1 in kinds and 2 not in kinds
