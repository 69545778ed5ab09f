"""Options → binary answers and back, on a small hand-written checklist."""

from __future__ import annotations

import pytest

from annotator.checklist import AnswerError, Collapse, Expansion, Problem, checklist_from_dict, collapse, expand
from annotator.checklist import validate_options as validate

from .helpers import KEYS_IN_ORDER, count, mini_dict, valid_option_sets

BEST = {"clarity": 2, "lighting": 3, "light_beauty": 2, "face": 1, "eyes": 1, "eye_color": 7}
KEYS = KEYS_IN_ORDER


@pytest.fixture(scope="module")
def mini():
    return checklist_from_dict(mini_dict())


def table(expansion: Expansion) -> dict[str, tuple[int, int]]:
    return expansion.by_key()


def answers_problems(call) -> list[Problem]:
    with pytest.raises(AnswerError) as info:
        call()
    assert isinstance(info.value, ValueError)
    return info.value.problems


# --- expand ---------------------------------------------------------------------------


def test_best_options_answer_every_question_yes(mini):
    expansion = expand(mini, BEST)
    assert expansion.answers == (1,) * 12 and expansion.mask == (1,) * 12
    assert expansion.options == BEST
    assert expansion.question_keys == tuple(KEYS)
    assert isinstance(expansion.answers, tuple) and isinstance(expansion.mask, tuple)


def test_answers_follow_the_thresholds(mini):
    expansion = expand(mini, {**BEST, "clarity": 1, "lighting": 2, "light_beauty": 0})
    t = table(expansion)
    assert t["very_clear"] == (0, 1) and t["clear"] == (1, 1)
    assert t["good_light"] == (0, 1) and t["has_light"] == (1, 1)
    assert t["beautiful_light"] == (0, 1) and t["not_ugly_light"] == (0, 1)


def test_thresholds_compare_positions_not_codes(mini):
    # eye_color lists 7 (natural), 9 (odd), 8 (wrong): 9 is numerically above 7 but worse.
    by_code = {code: table(expand(mini, {**BEST, "eye_color": code})) for code in (7, 9, 8)}
    assert [by_code[c]["natural_eyes"][0] for c in (7, 9, 8)] == [1, 0, 0]
    assert [by_code[c]["not_wrong_eyes"][0] for c in (7, 9, 8)] == [1, 1, 0]


def test_not_present_masks_the_other_questions_but_not_the_presence_question(mini):
    expansion = expand(mini, {"clarity": 2, "lighting": 1, "face": 1, "eyes": 1, "eye_color": 7})
    t = table(expansion)
    assert t["has_light"] == (0, 1)
    assert t["good_light"] == (0, 0)
    # light_beauty is gated closed: not applicable, needs no answer, has no not-present option
    assert t["beautiful_light"] == (0, 0) and t["not_ugly_light"] == (0, 0)
    assert expansion.options["lighting"] == 1 and expansion.options["light_beauty"] is None
    assert t["very_clear"] == (1, 1)


def test_a_closed_gate_closes_the_whole_chain(mini):
    expansion = expand(mini, {"clarity": 0, "lighting": 3, "light_beauty": 1, "face": -1})
    t = table(expansion)
    assert t["face_present"] == (0, 1) and t["good_face"] == (0, 0)
    for key in ("sharp_eyes", "eyes_visible", "natural_eyes", "not_wrong_eyes"):
        assert t[key] == (0, 0), key
    # eyes has a not-present option: it is implied; eye_color has none
    assert expansion.options["eyes"] == -1 and expansion.options["eye_color"] is None


def test_the_gated_sub_dimension_may_be_given_its_not_present_option(mini):
    options = {"clarity": 0, "lighting": 3, "light_beauty": 1, "face": -1, "eyes": -1}
    assert expand(mini, options) == expand(mini, {k: v for k, v in options.items() if k != "eyes"})


def test_a_gated_not_present_option_is_an_error_while_the_gate_is_open(mini):
    # eyes is gated by face_present: with a face, "eyes hidden" contradicts the gate. The
    # mistake is reported once: eye_color (gated by eyes) is not blamed for it.
    [problem] = answers_problems(lambda: expand(mini, {**BEST, "eyes": -1}))
    assert problem == Problem(
        "eyes",
        "'eyes hidden' contradicts 'face', whose answer means face_present ('Is there a face?') is yes; "
        "choose another option",
    )


def test_every_problem_is_reported_at_once(mini):
    problems = answers_problems(
        lambda: expand(
            mini,
            {"clarity": "2", "lighting": 1, "light_beauty": 2, "face": 5, "eyes": True, "sparkle": 1, "eye_colour": 7},
        )
    )
    assert [p.path for p in problems] == ["sparkle", "eye_colour", "clarity", "light_beauty", "face", "eyes"]
    messages = {p.path: p.message for p in problems}
    assert messages["sparkle"] == "unknown sub-dimension 'sparkle'"
    assert messages["eye_colour"] == "unknown sub-dimension 'eye_colour' (did you mean 'eye_color'?)"
    assert messages["clarity"] == "must be an integer option code (got str '2')"
    assert messages["eyes"] == "must be an integer option code (got bool True)"
    assert messages["face"] == "5 is not an option of 'face'; its options are 1 (good), 0 (bad), -1 (no face)"
    assert messages["light_beauty"].startswith(
        "not applicable: has_light ('Is there lighting?') is no because 'lighting' is 'no lighting'; "
        "leave it unanswered"
    )


def test_missing_answers_are_reported_for_applicable_sub_dimensions_only(mini):
    problems = answers_problems(lambda: expand(mini, {"lighting": 1, "face": 1}))
    assert [p.path for p in problems] == ["clarity", "eyes"]
    assert problems[0].message == "no option chosen; choose one of 2 (very clear), 1 (clear), 0 (blurry)"


def test_a_float_code_is_an_error(mini):
    [problem] = answers_problems(lambda: expand(mini, {**BEST, "clarity": 2.0}))
    assert problem == Problem("clarity", "must be an integer option code (got float 2.0)")


def test_choosing_a_gated_not_present_option_while_the_gate_is_open():
    data = mini_dict()
    beauty = data["dimensions"][0]["sub_dimensions"][2]
    beauty["options"].append({"code": -1, "label": "no lighting", "not_present": True})
    checklist = checklist_from_dict(data)
    [problem] = answers_problems(lambda: expand(checklist, {**BEST, "light_beauty": -1}))
    assert problem.path == "light_beauty"
    assert problem.message == (
        "'no lighting' contradicts 'lighting', whose answer means has_light ('Is there lighting?') is yes; "
        "choose another option"
    )
    closed = expand(checklist, {**BEST, "lighting": 1, "light_beauty": -1})
    assert closed.options["light_beauty"] == -1
    without = {k: v for k, v in BEST.items() if k != "light_beauty"}
    assert expand(checklist, {**without, "lighting": 1}).options["light_beauty"] == -1


def test_a_gate_closed_further_up_the_chain_is_explained(mini):
    problems = answers_problems(lambda: expand(mini, {**BEST, "face": -1}))
    assert [p.path for p in problems] == ["eyes", "eye_color"]
    assert "'face' is 'no face'" in problems[0].message
    assert "'eyes' is itself not applicable" in problems[1].message


def test_answers_must_be_a_mapping(mini):
    [problem] = answers_problems(lambda: expand(mini, [2, 3]))  # type: ignore[arg-type]
    assert problem.path == "" and "mapping" in problem.message


# --- validate_options (drafts) --------------------------------------------------------------


def test_a_partial_draft_is_fine(mini):
    assert validate(mini, {}) == []
    assert validate(mini, None) == []
    assert validate(mini, {"clarity": 1}) == []
    assert validate(mini, {"clarity": None}) == []  # a cleared answer


def test_a_complete_check_reports_missing_answers(mini):
    assert [p.path for p in validate(mini, {"clarity": 1}, partial=False)] == ["lighting", "face"]
    # light_beauty and eyes depend on unanswered gates: not reported yet


def test_a_draft_reports_bad_values_and_gate_contradictions(mini):
    problems = validate(mini, {"clarity": 9, "lighting": 1, "light_beauty": 2, "typo": 1})
    assert [p.path for p in problems] == ["typo", "clarity", "light_beauty"]


def test_a_draft_with_an_undecided_gate_has_no_gate_problems(mini):
    # lighting and face are not answered yet: whether the gated ones apply is open
    assert validate(mini, {"light_beauty": 2, "eyes": -1, "eye_color": 9}) == []
    assert validate(mini, {"light_beauty": 2, "eyes": -1, "eye_color": 9}, partial=False) == [
        Problem("clarity", "no option chosen; choose one of 2 (very clear), 1 (clear), 0 (blurry)"),
        Problem("lighting", "no option chosen; choose one of 3 (good), 2 (ordinary), 1 (no lighting)"),
        Problem("face", "no option chosen; choose one of 1 (good), 0 (bad), -1 (no face)"),
    ]
    assert [p.path for p in validate(mini, {"face": 1, "eyes": -1, "eye_color": 9})] == ["eyes"]
    assert [p.path for p in validate(mini, {"face": -1, "eyes": -1, "eye_color": 9})] == ["eye_color"]


def test_validate_and_expand_agree(mini):
    for options in valid_option_sets(mini):
        assert validate(mini, options, partial=False) == []
        assert validate(mini, options) == []


# --- collapse ---------------------------------------------------------------------------


def test_collapse_round_trips_every_valid_choice(mini):
    seen = 0
    for options in valid_option_sets(mini):
        expansion = expand(mini, options)
        from_keys = collapse(mini, dict(zip(KEYS, expansion.answers, strict=True)))
        assert from_keys == Collapse(expansion.options, [], []), options
        assert collapse(mini, expansion.answers) == from_keys  # a sequence in position order
        # only the applicable answers, the rest unknown
        only_applicable = {
            key: answer
            for key, answer, applicable in zip(KEYS, expansion.answers, expansion.mask, strict=True)
            if applicable
        }
        assert collapse(mini, only_applicable).options == expansion.options, options
        seen += 1
    assert seen == count(valid_option_sets(mini)) > 100


def test_collapse_accepts_booleans_and_unknowns(mini):
    result = collapse(mini, {"very_clear": False, "clear": True, "has_light": None})
    assert result.options["clarity"] == 1
    assert result.options["lighting"] is None
    assert result.inconsistencies == []
    assert result.unknown == ["lighting", "light_beauty", "face", "eyes", "eye_color"]
    assert not result.complete


def test_a_broken_threshold_chain_is_reported_not_guessed(mini):
    answers = dict.fromkeys(KEYS, True) | {"very_clear": True, "clear": False}
    result = collapse(mini, answers)
    assert result.options["clarity"] is None
    assert result.inconsistencies == [
        Problem(
            "clarity",
            "very_clear ('Is it very clear?') is yes but clear ('Is it clear?') is no: "
            "'at least very clear' implies 'at least clear'",
        )
    ]
    assert "clarity" not in result.unknown
    assert result.options["face"] == 1


def test_presence_no_implies_not_present_and_ignores_the_rest(mini):
    answers = dict.fromkeys(KEYS, True) | {"face_present": False}
    result = collapse(mini, answers)
    assert result.options["face"] == -1
    assert result.options["eyes"] == -1 and result.options["eye_color"] is None  # the chain closes
    assert result.inconsistencies == [] and result.unknown == []


def test_a_closed_gate_ignores_the_gated_answers(mini):
    answers = dict.fromkeys(KEYS, True) | {"has_light": False, "good_light": False}
    result = collapse(mini, answers)
    assert result.options["lighting"] == 1 and result.options["light_beauty"] is None
    assert result.inconsistencies == [] and result.unknown == []


def test_an_open_gate_contradicted_by_the_gated_presence_question(mini):
    # a face (face_present yes) opens eyes, whose own presence question then cannot be no
    answers = dict.fromkeys(KEYS, True) | {"eyes_visible": False}
    result = collapse(mini, answers)
    assert result.options["eyes"] is None
    assert result.inconsistencies == [
        Problem("eyes", "eyes_visible ('Are the eyes visible?') is no, but face_present ('Is there a face?') is yes")
    ]
    assert result.options["eye_color"] is None and result.unknown == ["eye_color"]


def test_an_open_gate_rules_out_the_gated_not_present_option():
    data = mini_dict()
    beauty = data["dimensions"][0]["sub_dimensions"][2]
    beauty["options"].append({"code": -1, "label": "no lighting", "not_present": True})
    beauty["questions"].append({"key": "ugly_or_better", "text": "Is there any beauty?", "yes_if_at_least": 0})
    beauty["questions"][-1]["presence"] = True
    checklist = checklist_from_dict(data)
    answers = {"beautiful_light": False, "not_ugly_light": False, "good_light": True, "has_light": True}
    # ugly or "no lighting"? The open gate says there is lighting: ugly
    assert collapse(checklist, answers).options["light_beauty"] == 0
    # its own presence question says no while the gate says yes: inconsistent
    answers["ugly_or_better"] = False
    result = collapse(checklist, answers)
    assert result.options["light_beauty"] is None
    assert result.inconsistencies == [
        Problem(
            "light_beauty",
            "ugly_or_better ('Is there any beauty?') is no, but has_light ('Is there lighting?') is yes",
        )
    ]


def test_an_open_gate_decides_between_the_worst_option_and_absent():
    """Image lighting_aesthetic: no presence question of its own, a not-present option, gated."""
    data = mini_dict()
    beauty = data["dimensions"][0]["sub_dimensions"][2]
    beauty["options"].append({"code": -1, "label": "no lighting", "not_present": True})
    beauty["questions"] = [{"key": "beautiful_light", "text": "Is the lighting beautiful?", "yes_if_at_least": 2}]
    checklist = checklist_from_dict(data)
    # options: beautiful(2) > plain(1) > ugly(0) > no lighting(-1); one question
    result = collapse(checklist, {"beautiful_light": False, "has_light": True, "good_light": True})
    assert result.options["light_beauty"] is None and "light_beauty" in result.unknown  # plain or ugly
    result = collapse(checklist, {"beautiful_light": False, "has_light": False})
    assert result.options["light_beauty"] == -1


def test_an_undetermined_gate_leaves_the_gated_sub_dimension_unknown(mini):
    result = collapse(mini, {"beautiful_light": True, "not_ugly_light": True})
    assert result.options["light_beauty"] is None
    assert "light_beauty" in result.unknown and "lighting" in result.unknown
    # a yes below the presence threshold proves presence: the gate opens
    result = collapse(mini, {"good_light": True, "beautiful_light": True, "not_ugly_light": True})
    assert result.options["light_beauty"] == 2 and result.options["lighting"] == 3


def test_incomplete_thresholds_leave_options_apart_unknown():
    data = mini_dict()
    data["dimensions"][0]["sub_dimensions"][0]["questions"].pop(0)  # only "at least clear" is asked
    checklist = checklist_from_dict(data)
    result = collapse(checklist, {"clear": True})
    assert result.options["clarity"] is None and "clarity" in result.unknown
    assert collapse(checklist, {"clear": False}).options["clarity"] == 0


def test_collapse_rejects_malformed_input(mini):
    problems = answers_problems(lambda: collapse(mini, {"nope": True, "clear": 2, "very_clear": "yes"}))
    assert [p.path for p in problems] == ["nope", "clear", "very_clear"]
    assert problems[1].message == "an answer must be true/false, 1/0 or null (got 2)"
    with pytest.raises(AnswerError, match="expected 12 answers"):
        collapse(mini, [1, 0])
    with pytest.raises(AnswerError):
        collapse(mini, "yes")
