"""What carries over from one checklist to another, by key (pure)."""

from __future__ import annotations

import copy

from annotator.checklist import checklist_from_dict
from annotator.checklist.diff import carried_answers, carried_options, carried_positions, compare

from .helpers import mini_dict


def test_an_identical_checklist_carries_everything_over():
    old = checklist_from_dict(mini_dict())
    diff = compare(old, old)
    assert diff.sub_dimensions.changed == diff.sub_dimensions.new == diff.sub_dimensions.dropped == ()
    assert diff.same_answers and set(diff.questions.kept) == {q.key for q in old.questions}


def test_options_texts_and_keys_are_compared():
    data = mini_dict()
    edited = copy.deepcopy(data)
    quality = edited["dimensions"][0]["sub_dimensions"]
    quality[0]["options"][2]["label"] = "very blurry"  # a label only: still the same answers
    quality[0]["questions"][0]["text"] = "Is it sharp?"  # a question's text: changed
    quality[1]["options"].insert(0, {"code": 4, "label": "superb"})  # another option: changed
    quality[1]["questions"][0]["key"] = "lit"  # a renamed question: one dropped, one new
    old, new = checklist_from_dict(data), checklist_from_dict(edited)
    diff = compare(old, new)
    assert "clarity" in diff.sub_dimensions.kept and "lighting" in diff.sub_dimensions.changed
    assert "very_clear" in diff.questions.changed
    assert diff.questions.new == ("lit",) and len(diff.questions.dropped) == 1
    assert not diff.same_answers
    assert carried_options(diff, {"clarity": 2, "lighting": 3, "gone": 1}) == {"clarity": 2}


def test_answers_carry_over_question_by_question():
    data = mini_dict()
    edited = copy.deepcopy(data)
    quality = edited["dimensions"][0]["sub_dimensions"]
    quality[0]["questions"].reverse()  # clarity: same questions in another order (positions move)
    quality[1]["options"].insert(0, {"code": 4, "label": "superb"})  # lighting changed: its questions do not carry
    old, new = checklist_from_dict(data), checklist_from_dict(edited)
    positions = carried_positions(old, new)
    by_key = dict(zip(new.question_keys, positions, strict=True))
    assert by_key["very_clear"] == old.question("very_clear").index and by_key["clear"] == old.question("clear").index
    assert by_key["good_light"] is None and by_key["has_light"] is None
    answers = [q.index % 2 for q in old.questions]
    mask = [1] * len(answers)
    moved, applies = carried_answers(positions, answers, mask)
    assert moved[new.question("clear").index] == answers[old.question("clear").index]
    assert moved[new.question("good_light").index] is None and applies[new.question("good_light").index] is None
    # a vector of the wrong width compares nothing
    assert carried_answers(positions, [1], [1]) == ([None] * len(positions), [None] * len(positions))
