"""Every validation rule of the checklist format, each with its exact path."""

from __future__ import annotations

import pytest

from annotator.checklist import ChecklistError, Problem, checklist_from_dict

from .helpers import KEYS_IN_ORDER, at, mini_dict

CLARITY = "dimensions[0].sub_dimensions[0]"
LIGHTING = "dimensions[0].sub_dimensions[1]"
BEAUTY = "dimensions[0].sub_dimensions[2]"
FACE = "dimensions[1].sub_dimensions[0]"
EYES = "dimensions[1].sub_dimensions[1]"
EYE_COLOR = "dimensions[1].sub_dimensions[2]"


def problems_of(data) -> list[Problem]:
    with pytest.raises(ChecklistError) as info:
        checklist_from_dict(data)
    return info.value.problems


_REMOVE = object()


def set_path(data: dict, path: str, value) -> dict:
    """Set (or, with _REMOVE, delete) the field or list item at ``path``."""
    if path.endswith("]"):
        parent_path, _, index = path[:-1].rpartition("[")
        parent, name = at(data, parent_path), int(index)
    else:
        parent_path, _, name = path.rpartition(".")
        parent = at(data, parent_path) if parent_path else data
    if value is _REMOVE:
        del parent[name]
    else:
        parent[name] = value
    return data


def edit(*changes):
    data = mini_dict()
    for path, value in changes:
        set_path(data, path, value)
    return data


def test_the_mini_checklist_is_valid():
    checklist = checklist_from_dict(mini_dict())
    assert checklist.key == "mini" and len(checklist.questions) == 12


def only_problem(data) -> Problem:
    problems = problems_of(data)
    assert len(problems) == 1, problems
    return problems[0]


CASES = [
    # --- required fields, types -------------------------------------------------------
    ("missing title", [("title", _REMOVE)], "title", "required field is missing"),
    ("null title", [("title", None)], "title", "required field is empty (null)"),
    ("blank title", [("title", "   ")], "title", "must not be empty"),
    ("missing dimension key", [("dimensions[0].key", _REMOVE)], "dimensions[0].key", "required field is missing"),
    (
        "missing option label",
        [(f"{CLARITY}.options[1].label", _REMOVE)],
        f"{CLARITY}.options[1].label",
        "required field is missing",
    ),
    (
        "missing question text",
        [(f"{FACE}.questions[0].text", _REMOVE)],
        f"{FACE}.questions[0].text",
        "required field is missing",
    ),
    (
        "missing threshold",
        [(f"{FACE}.questions[0].yes_if_at_least", _REMOVE)],
        f"{FACE}.questions[0].yes_if_at_least",
        "required field is missing",
    ),
    ("title not a string", [("title", 5)], "title", "must be a string (got integer 5) (quote it)"),
    ("label not a string", [(f"{CLARITY}.options[0].label", True)], f"{CLARITY}.options[0].label", "got boolean"),
    ("code as string", [(f"{CLARITY}.options[0].code", "2")], f"{CLARITY}.options[0].code", "must be an integer"),
    ("code as boolean", [(f"{CLARITY}.options[0].code", True)], f"{CLARITY}.options[0].code", "got boolean True"),
    ("code as float", [(f"{CLARITY}.options[0].code", 2.0)], f"{CLARITY}.options[0].code", "got number 2.0"),
    (
        "threshold as string",
        [(f"{CLARITY}.questions[0].yes_if_at_least", "very clear")],
        f"{CLARITY}.questions[0].yes_if_at_least",
        "must be an integer",
    ),
    (
        "presence as string",
        [(f"{FACE}.questions[1].presence", "yes")],
        f"{FACE}.questions[1].presence",
        "must be true or false",
    ),
    (
        "not_present as integer",
        [(f"{FACE}.options[2].not_present", 1)],
        f"{FACE}.options[2].not_present",
        "must be true or false",
    ),
    ("dimensions not a list", [("dimensions", {"a": 1})], "dimensions", "must be a list (got mapping"),
    ("dimension not a mapping", [("dimensions[1]", "people")], "dimensions[1]", "a dimension must be a mapping"),
    (
        "option not a mapping",
        [(f"{CLARITY}.options[2]", 0)],
        f"{CLARITY}.options[2]",
        "an option must be a mapping (got integer 0)",
    ),
    ("gated_by not a string", [(f"{BEAUTY}.gated_by", 27)], f"{BEAUTY}.gated_by", "must be a question key"),
    ("hf_field empty", [(f"{CLARITY}.hf_field", "")], f"{CLARITY}.hf_field", "must not be empty"),
    (
        "paper accuracy out of range",
        [(f"{CLARITY}.questions[0].paper_accuracy_percent", 120)],
        f"{CLARITY}.questions[0].paper_accuracy_percent",
        "from 0 to 100",
    ),
    (
        "paper accuracy not a number",
        [(f"{CLARITY}.questions[0].paper_accuracy_percent", "80%")],
        f"{CLARITY}.questions[0].paper_accuracy_percent",
        "must be a number",
    ),
    # --- unknown fields ---------------------------------------------------------------
    ("unknown top-level field", [("titel", "x")], "titel", "unknown field 'titel' (did you mean 'title'?)"),
    (
        "unknown sub-dimension field",
        [(f"{BEAUTY}.gated", "has_light")],
        f"{BEAUTY}.gated",
        "did you mean 'gated_by'?",
    ),
    (
        "unknown option field without a close match",
        [(f"{CLARITY}.options[0].colour", "red")],
        f"{CLARITY}.options[0].colour",
        "unknown field 'colour'; allowed here: code, label, description, not_present",
    ),
    # --- media type, slugs --------------------------------------------------------------
    ("bad media type", [("media_type", "audio")], "media_type", "must be 'image' or 'video' (got 'audio')"),
    ("media type case", [("media_type", "Image")], "media_type", "did you mean 'image'?"),
    ("slug with space", [("key", "Mini List")], "key", "'Mini List' is not a valid key"),
    ("slug starting with a digit", [("dimensions[0].key", "1quality")], "dimensions[0].key", "not a valid key"),
    ("slug with double separator", [(f"{CLARITY}.key", "clar__ity")], f"{CLARITY}.key", "not a valid key"),
    ("slug too long", [(f"{FACE}.questions[0].key", "q" * 65)], f"{FACE}.questions[0].key", "at most 64"),
    ("slug not a string", [(f"{FACE}.questions[0].key", 7)], f"{FACE}.questions[0].key", "must be a string slug"),
    # --- empty containers ---------------------------------------------------------------
    ("no dimensions", [("dimensions", [])], "dimensions", "at least one dimension"),
    ("no sub-dimensions", [("dimensions[0].sub_dimensions", [])], "dimensions[0].sub_dimensions", "at least one"),
    ("no options", [(f"{CLARITY}.options", [])], f"{CLARITY}.options", "at least 2 options, best first (got none)"),
    ("no questions", [(f"{CLARITY}.questions", [])], f"{CLARITY}.questions", "at least one question"),
    # --- duplicates ---------------------------------------------------------------------
    (
        "duplicate dimension key",
        [("dimensions[1].key", "quality")],
        "dimensions[1].key",
        "duplicate dimension key 'quality' (first used at dimensions[0])",
    ),
    (
        "duplicate sub-dimension key across dimensions",
        [(f"{EYE_COLOR}.key", "clarity")],
        f"{EYE_COLOR}.key",
        f"duplicate sub-dimension key 'clarity' (first used at {CLARITY})",
    ),
    (
        "duplicate question key across sub-dimensions",
        [(f"{FACE}.questions[0].key", "clear")],
        f"{FACE}.questions[0].key",
        f"duplicate question key 'clear' (first used at {CLARITY}.questions[1])",
    ),
    (
        "duplicate hf_field",
        [(f"{FACE}.hf_field", "clarity")],
        f"{FACE}.hf_field",
        "duplicate hf_field 'clarity'",
    ),
    (
        "duplicate option label, any case",
        [(f"{CLARITY}.options[1].label", "Very Clear")],
        f"{CLARITY}.options[1].label",
        f"duplicate option label 'Very Clear' (already used by {CLARITY}.options[0])",
    ),
    # --- thresholds ---------------------------------------------------------------------
    (
        "threshold not an option",
        [(f"{CLARITY}.questions[1].yes_if_at_least", 5)],
        f"{CLARITY}.questions[1].yes_if_at_least",
        "5 is not an option code of sub-dimension 'clarity'; its options are 2 (very clear), 1 (clear), 0 (blurry)",
    ),
    (
        "threshold at the worst option",
        [(f"{CLARITY}.questions[1].yes_if_at_least", 0)],
        f"{CLARITY}.questions[1].yes_if_at_least",
        "is the worst option, so the question would always be answered yes",
    ),
    (
        "duplicate threshold",
        [(f"{CLARITY}.questions[1].yes_if_at_least", 2)],
        f"{CLARITY}.questions[1].yes_if_at_least",
        f"threshold 2 ('very clear') is already used by {CLARITY}.questions[0] (very_clear)",
    ),
    # --- not present, presence ------------------------------------------------------------
    (
        "not-present option not last",
        [(f"{CLARITY}.options[1].not_present", True)],
        f"{CLARITY}.options[1].not_present",
        "only the last (worst) option can be the not-present option",
    ),
    (
        "presence question without a not-present option",
        [(f"{CLARITY}.questions[1].presence", True)],
        f"{CLARITY}.questions[1].presence",
        "a presence question needs a not-present option",
    ),
    (
        "presence question with the wrong threshold",
        [
            (f"{FACE}.questions[0].presence", True),
            (f"{FACE}.questions[1].presence", _REMOVE),
        ],
        f"{FACE}.questions[0].yes_if_at_least",
        "its threshold must be 0 ('bad'), the option just above the not-present option -1 ('no face'), not 1 ('good')",
    ),
]


@pytest.mark.parametrize(("changes", "path", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_problem_is_reported_with_its_path(changes, path, message):
    problems = problems_of(edit(*changes))
    matching = [p for p in problems if p.path == path and message in p.message]
    assert matching, f"expected {path}: ...{message}... in {problems}"


def test_a_missing_presence_flag_is_reported_on_the_question_that_acts_as_one():
    data = edit((f"{FACE}.questions[1].presence", _REMOVE))
    problems = problems_of(data)
    assert [p.path for p in problems] == [f"{FACE}.questions[1].presence", f"{EYES}.gated_by"]
    assert "add `presence: true`" in problems[0].message
    assert "'face_present' (dimensions[1].sub_dimensions[0].questions[1]) is not a presence question" in (
        problems[1].message
    )
    data = edit((f"{EYES}.gated_by", "good_face"))
    [problem] = problems_of(data)
    assert problem.path == f"{EYES}.gated_by" and "is not a presence question" in problem.message


def test_unknown_field_also_reports_the_missing_required_one():
    data = mini_dict()
    question = at(data, f"{CLARITY}.questions[0]")
    question["yes_if_atleast"] = question.pop("yes_if_at_least")
    problems = problems_of(data)
    assert (
        Problem(
            f"{CLARITY}.questions[0].yes_if_atleast", "unknown field 'yes_if_atleast' (did you mean 'yes_if_at_least'?)"
        )
        in problems
    )
    assert Problem(f"{CLARITY}.questions[0].yes_if_at_least", "required field is missing") in problems


def test_one_option_is_not_enough():
    data = edit(
        (f"{CLARITY}.options", [{"code": 1, "label": "clear"}]),
        (f"{CLARITY}.questions", [{"key": "clear", "text": "Is it clear?", "yes_if_at_least": 1}]),
    )
    problems = problems_of(data)
    assert (
        Problem(f"{CLARITY}.options", "a sub-dimension needs at least 2 options, best first (got only 1)") in problems
    )


def test_root_must_be_a_mapping():
    assert only_problem([1, 2]).path == ""
    assert "a checklist must be a mapping" in only_problem("text").message


def test_duplicate_option_code():
    [problem] = problems_of(edit((f"{CLARITY}.options[2].code", 2)))
    assert problem.path == f"{CLARITY}.options[2].code"
    assert problem.message == f"duplicate option code 2 (already used by {CLARITY}.options[0], 'very clear')"


# --- gating -------------------------------------------------------------------------------


def test_gated_by_an_unknown_question_suggests_the_closest():
    [problem] = problems_of(edit((f"{BEAUTY}.gated_by", "has_lihgt")))
    assert problem == Problem(f"{BEAUTY}.gated_by", "unknown question 'has_lihgt' (did you mean 'has_light'?)")


def test_gated_by_its_own_question():
    data = edit((f"{LIGHTING}.gated_by", "has_light"))
    [problem] = problems_of(data)
    assert problem.path == f"{LIGHTING}.gated_by"
    assert "is a question of this sub-dimension" in problem.message


def test_two_sub_dimensions_gating_each_other_form_a_cycle():
    data = edit((f"{FACE}.gated_by", "eyes_visible"))
    problems = problems_of(data)
    assert len(problems) == 1
    assert problems[0].path == f"{FACE}.gated_by"
    assert problems[0].message.startswith("gating cycle: face (gated_by eyes_visible) → eyes (gated_by face_present)")


def test_a_longer_cycle_is_found_and_reported_once():
    data = mini_dict()
    # lighting is gated by a question of eyes, eyes by one of face, face by one of lighting
    set_path(data, f"{LIGHTING}.gated_by", "eyes_visible")
    set_path(data, f"{FACE}.gated_by", "has_light")
    problems = problems_of(data)
    assert len(problems) == 1
    assert problems[0].path == f"{LIGHTING}.gated_by"
    assert problems[0].message == (
        "gating cycle: lighting (gated_by eyes_visible) → eyes (gated_by face_present) → face (gated_by has_light) "
        "→ lighting; no sub-dimension of a cycle could ever apply"
    )


def test_a_chain_of_gates_is_not_a_cycle():
    checklist = checklist_from_dict(mini_dict())
    assert [s.key for s in checklist.gate_order].index("eye_color") > [s.key for s in checklist.gate_order].index(
        "eyes"
    )


# --- positions ----------------------------------------------------------------------------


def with_positions(positions: dict[str, int | None]) -> dict:
    data = mini_dict()
    for dimension in data["dimensions"]:
        for sub in dimension["sub_dimensions"]:
            for question in sub["questions"]:
                if question["key"] in positions and positions[question["key"]] is not None:
                    question["position"] = positions[question["key"]]
    return data


def test_explicit_positions_reorder_the_questions():
    reversed_positions = {key: 12 - index for index, key in enumerate(KEYS_IN_ORDER)}
    checklist = checklist_from_dict(with_positions(reversed_positions))
    assert [q.key for q in checklist.questions] == list(reversed(KEYS_IN_ORDER))
    assert [q.position for q in checklist.questions] == list(range(1, 13))


def test_without_positions_the_order_of_appearance_counts():
    checklist = checklist_from_dict(mini_dict())
    assert [q.key for q in checklist.questions] == KEYS_IN_ORDER
    assert checklist.question("has_light").position == 4


def test_some_positions_missing():
    positions = {key: index + 1 for index, key in enumerate(KEYS_IN_ORDER)}
    positions["clear"] = None
    positions["eyes_visible"] = None
    problems = problems_of(with_positions(positions))
    assert [p.path for p in problems] == [f"{CLARITY}.questions[1].position", f"{EYES}.questions[1].position"]
    assert all("every question needs one" in p.message for p in problems)


def test_position_out_of_range_duplicate_and_below_one():
    positions = {key: index + 1 for index, key in enumerate(KEYS_IN_ORDER)}
    positions["clear"] = 13
    positions["good_light"] = 1
    positions["has_light"] = 0
    problems = problems_of(with_positions(positions))
    assert (
        Problem(
            f"{CLARITY}.questions[1].position",
            "13 is out of range: positions must be 1 to 12 (the number of questions)",
        )
        in problems
    )
    assert (
        Problem(
            f"{LIGHTING}.questions[0].position", f"position 1 is already used by {CLARITY}.questions[0] (very_clear)"
        )
        in problems
    )
    assert Problem(f"{LIGHTING}.questions[1].position", "must be 1 or more (got 0)") in problems
    assert len(problems) == 3


def test_position_must_be_an_integer():
    positions = {key: index + 1 for index, key in enumerate(KEYS_IN_ORDER)}
    positions["clear"] = "2"
    problems = problems_of(with_positions(positions))
    assert [p.path for p in problems] == [f"{CLARITY}.questions[1].position"]
    assert "must be an integer" in problems[0].message


# --- placeholders -------------------------------------------------------------------------


def test_unknown_placeholder_is_reported_with_a_suggestion():
    [problem] = problems_of(edit((f"{CLARITY}.questions[0].text", 'Does it show "[[promt]]"?')))
    assert problem.path == f"{CLARITY}.questions[0].text"
    assert problem.message.startswith("unknown placeholder '[[promt]]' (did you mean 'prompt'?)")


def test_unbalanced_placeholder_brackets():
    [problem] = problems_of(edit((f"{CLARITY}.questions[0].text", "Does it show [[prompt]?")))
    assert "unbalanced placeholder brackets" in problem.message


def test_the_prompt_placeholder_is_allowed():
    checklist = checklist_from_dict(edit((f"{CLARITY}.questions[0].text", 'Is "[[prompt]]" very clear?')))
    assert checklist.question("very_clear").text == 'Is "[[prompt]]" very clear?'


# --- everything at once -----------------------------------------------------------------


def test_every_problem_is_reported_at_once():
    data = edit(
        ("titel", "typo"),
        ("media_type", "audio"),
        ("dimensions[1].key", "quality"),
        (f"{CLARITY}.options[0].code", "2"),
        (f"{LIGHTING}.questions[0].yes_if_at_least", 42),
        (f"{BEAUTY}.gated_by", "nope"),
        (f"{FACE}.options[1].not_present", True),
        (f"{EYE_COLOR}.questions", []),
        (f"{EYES}.questions[0].text", "[[seed]]"),
    )
    with pytest.raises(ChecklistError) as info:
        checklist_from_dict(data)
    paths = [p.path for p in info.value.problems]
    assert sorted(paths) == sorted(
        [
            "titel",
            "media_type",
            f"{CLARITY}.options[0].code",
            f"{FACE}.options[1].not_present",
            f"{EYES}.questions[0].text",
            f"{EYE_COLOR}.questions",
            "dimensions[1].key",
            f"{LIGHTING}.questions[0].yes_if_at_least",
            f"{BEAUTY}.gated_by",
        ]
    )
    text = str(info.value)
    assert text.startswith("invalid checklist: 9 problems")
    for problem in info.value.problems:
        assert f"  - {problem.path}: {problem.message}" in text


def test_problem_str():
    assert str(Problem("a.b", "bad")) == "a.b: bad"
    assert str(Problem("", "empty file")) == "empty file"
