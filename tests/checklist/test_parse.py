"""Reading YAML and JSON files, the canonical form and the content hash."""

from __future__ import annotations

import json

import pytest
import yaml

from annotator.checklist import ChecklistError, Problem, checklist_from_dict, parse_checklist

from .helpers import mini_dict

TINY_YAML = """\
# A tiny checklist, written by hand.
key: tiny
title: Tiny
media_type: video
description: |
  Two sub-dimensions.
dimensions:
  - key: quality
    title: Quality
    sub_dimensions:
      - key: clarity
        title: Clarity
        hf_field: clear
        options:
          - {code: 3, label: clear}
          - {code: 2, label: soft}
          - {code: 1, label: blurry}
        questions:
          - key: q1
            text: Is it clear?
            yes_if_at_least: 3
          - key: q2
            text: Is it not blurry?
            yes_if_at_least: 2
            paper_accuracy_percent: 80
      - key: letters
        title: Letters
        options:
          - code: 2
            label: correct
          - code: 1
            label: wrong
          - code: 0
            label: no letters
            not_present: true
        questions:
          - key: q3
            text: Are the letters in "[[prompt]]" correct?
            yes_if_at_least: 2
          - key: q4
            text: Are there letters?
            yes_if_at_least: 1
            presence: true
"""

TINY_JSON = json.dumps(
    {
        "dimensions": [
            {
                "sub_dimensions": [
                    {
                        "questions": [
                            {"yes_if_at_least": 3, "text": "Is it clear?", "key": "q1", "presence": False},
                            {
                                "paper_accuracy_percent": 80.0,
                                "text": "Is it not blurry?",
                                "key": "q2",
                                "yes_if_at_least": 2,
                            },
                        ],
                        "options": [
                            {"label": "clear", "code": 3, "not_present": False, "description": ""},
                            {"label": "soft", "code": 2},
                            {"label": "blurry", "code": 1},
                        ],
                        "hf_field": "clear",
                        "title": "Clarity",
                        "key": "clarity",
                        "gated_by": None,
                    },
                    {
                        "title": "Letters",
                        "key": "letters",
                        "options": [
                            {"code": 2, "label": "correct"},
                            {"code": 1, "label": "wrong"},
                            {"code": 0, "label": "no letters", "not_present": True},
                        ],
                        "questions": [
                            {"key": "q3", "text": 'Are the letters in "[[prompt]]" correct?', "yes_if_at_least": 2},
                            {"key": "q4", "text": "Are there letters?", "yes_if_at_least": 1, "presence": True},
                        ],
                    },
                ],
                "title": "Quality",
                "key": "quality",
            }
        ],
        "media_type": "video",
        "title": "  Tiny ",
        "key": "tiny",
        "description": "Two sub-dimensions.",
        "instructions": "",
    },
    indent=1,
)


def problems_of(content, filename="checklist.yaml") -> list[Problem]:
    with pytest.raises(ChecklistError) as info:
        parse_checklist(content, filename)
    return info.value.problems


# --- reading --------------------------------------------------------------------------


def test_yaml_and_json_of_the_same_content_give_the_same_checklist_and_hash():
    from_yaml = parse_checklist(TINY_YAML, "tiny.yaml")
    from_json = parse_checklist(TINY_JSON, "tiny.json")
    assert from_yaml == from_json
    assert from_yaml.content_hash() == from_json.content_hash()
    assert from_yaml.description == "Two sub-dimensions."  # the block scalar's newline is trimmed


def test_json_is_recognized_by_its_first_character_and_yaml_otherwise():
    assert parse_checklist(TINY_JSON, "upload.txt").key == "tiny"
    assert parse_checklist("\n  " + TINY_JSON, "upload").key == "tiny"
    assert parse_checklist(TINY_YAML, "upload.yml").key == "tiny"


def test_bytes_with_a_byte_order_mark_are_read():
    assert parse_checklist(("\ufeff" + TINY_YAML).encode("utf-8"), "tiny.yaml").key == "tiny"
    assert parse_checklist(TINY_JSON.encode("utf-8"), "tiny.json").key == "tiny"


def test_bytes_that_are_not_utf8():
    [problem] = problems_of(b"key: \xff\xfe tiny\n")
    assert problem.message == "the file is not UTF-8 text (invalid byte at offset 5)"


@pytest.mark.parametrize("content", ["", "   \n", "# only a comment\n"])
def test_an_empty_file(content):
    [problem] = problems_of(content)
    assert problem == Problem("", "the file is empty")


def test_yaml_syntax_error_has_line_and_column():
    broken = TINY_YAML.replace("title: Clarity", "title: [Clarity")
    [problem] = problems_of(broken)
    assert problem.path == ""
    assert problem.message.startswith("YAML syntax error at line ")
    assert "column" in problem.message


def test_yaml_syntax_error_position_is_exact():
    [problem] = problems_of("key: tiny\ntitle: a: b\n")
    assert problem.message.startswith("YAML syntax error at line 2, column 9: mapping values are not allowed here")


def test_json_syntax_error_has_line_and_column():
    [problem] = problems_of('{\n  "key": "tiny",\n  "title": \n}', "tiny.json")
    assert problem.message == "JSON syntax error at line 4, column 1: Expecting value"


def test_yaml_duplicate_mapping_keys_are_reported_with_their_path_and_line():
    text = TINY_YAML.replace("title: Tiny\n", "title: Tiny\ntitle: Tiny again\n").replace(
        "            yes_if_at_least: 3\n", "            yes_if_at_least: 3\n            yes_if_at_least: 3\n", 1
    )
    problems = problems_of(text)
    assert [p.path for p in problems] == ["title", "dimensions[0].sub_dimensions[0].questions[0].yes_if_at_least"]
    assert problems[0].message == (
        "duplicate key 'title' in the YAML at line 4, column 1 (first at line 3, column 1); keep only one"
    )


def test_yaml_duplicates_are_reported_together_with_validation_problems():
    text = TINY_YAML.replace("title: Tiny\n", "title: Tiny\ntitle: Tiny\n").replace(
        "media_type: video", "media_type: x"
    )
    assert [p.path for p in problems_of(text)] == ["title", "media_type"]


def test_json_duplicate_keys_are_reported_with_their_path():
    data = json.loads(TINY_JSON)
    text = json.dumps(data).replace('"key": "clarity"', '"key": "clarity", "key": "clarity2"', 1)
    problems = problems_of(text, "tiny.json")
    assert problems[0] == Problem("dimensions[0].sub_dimensions[0].key", "duplicate key 'key' in the JSON object")


def test_yaml_unsafe_tags_are_rejected():
    [problem] = problems_of("key: !!python/object/apply:os.system ['true']\n")
    assert problem.message.startswith("YAML syntax error at line 1, column 6: could not determine a constructor")


def test_multiple_yaml_documents_are_rejected():
    [problem] = problems_of(TINY_YAML + "---\nkey: other\n")
    assert "expected a single document" in problem.message


def test_an_alias_bomb_is_refused_without_expanding_it():
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for index in range(1, 8):
        lines.append(f"{chr(97 + index)}: &{chr(97 + index)} [" + ", ".join([f"*{chr(96 + index)}"] * 10) + "]")
    [problem] = problems_of("\n".join(lines) + "\n")
    assert "the YAML expands to more than" in problem.message


def test_yaml_aliases_are_fine_for_reuse():
    text = TINY_YAML.replace(
        "        options:\n          - {code: 3", "        options: &levels\n          - {code: 3", 1
    )
    assert parse_checklist(text).key == "tiny"


def test_yaml_booleans_where_a_string_is_expected_get_a_hint():
    problems = problems_of(TINY_YAML.replace("label: soft", "label: yes"))
    assert problems == [
        Problem("dimensions[0].sub_dimensions[0].options[1].label", "must be a string (got boolean True) (quote it)")
    ]


def test_the_error_lists_every_problem_with_the_file_name():
    text = TINY_YAML.replace("media_type: video", "media_type: audio").replace(
        "yes_if_at_least: 3", "yes_if_at_least: 9"
    )
    with pytest.raises(ChecklistError) as info:
        parse_checklist(text, "mine.yaml")
    assert info.value.source == "mine.yaml"
    assert str(info.value).splitlines() == [
        "mine.yaml: 2 problems",
        "  - media_type: must be 'image' or 'video' (got 'audio')",
        "  - dimensions[0].sub_dimensions[0].questions[0].yes_if_at_least: 9 is not an option code of sub-dimension "
        "'clarity'; its options are 3 (clear), 2 (soft), 1 (blurry)",
    ]


def test_content_must_be_text():
    with pytest.raises(TypeError):
        parse_checklist(None)  # type: ignore[arg-type]


# --- canonical form and hash ----------------------------------------------------------


def test_to_dict_round_trips_and_is_plain_json():
    checklist = parse_checklist(TINY_YAML)
    canonical = checklist.to_dict()
    assert json.loads(json.dumps(canonical)) == canonical
    again = checklist_from_dict(canonical)
    assert again == checklist
    assert again.to_dict() == canonical
    assert again.content_hash() == checklist.content_hash()


def test_to_dict_is_explicit():
    canonical = parse_checklist(TINY_YAML).to_dict()
    clarity = canonical["dimensions"][0]["sub_dimensions"][0]
    assert clarity["options"][1] == {"code": 2, "label": "soft", "description": "", "not_present": False}
    assert clarity["questions"][1] == {
        "key": "q2",
        "text": "Is it not blurry?",
        "yes_if_at_least": 2,
        "presence": False,
        "position": 2,
        "paper_accuracy_percent": 80.0,
    }
    assert clarity["gated_by"] is None and clarity["hf_field"] == "clear"
    assert canonical["dimensions"][0]["sub_dimensions"][1]["hf_field"] == "letters"  # defaults to the key
    assert canonical["instructions"] == ""


def test_canonical_form_orders_questions_by_threshold_and_keeps_positions():
    data = mini_dict()
    face = data["dimensions"][1]["sub_dimensions"][0]
    face["questions"].reverse()  # presence question first, implicit positions follow the file
    checklist = checklist_from_dict(data)
    assert [q.key for q in checklist.sub_dimension("face").questions] == ["good_face", "face_present"]
    assert checklist.question("face_present").position == 7
    assert checklist_from_dict(checklist.to_dict()) == checklist


def test_the_mini_checklist_round_trips():
    checklist = checklist_from_dict(mini_dict())
    assert checklist_from_dict(checklist.to_dict()) == checklist


def edited_hash(edit) -> str:
    data = yaml.safe_load(TINY_YAML)
    edit(data)
    return checklist_from_dict(data).content_hash()


def sub(data, index=0):
    return data["dimensions"][0]["sub_dimensions"][index]


def reorder_keys(data: dict) -> None:
    items = list(data.items())
    data.clear()
    data.update(reversed(items))
    for dimension in data["dimensions"]:
        for sub_dimension in dimension["sub_dimensions"]:
            for question in sub_dimension["questions"]:
                pairs = list(question.items())
                question.clear()
                question.update(reversed(pairs))


def test_cosmetic_differences_keep_the_hash():
    base = parse_checklist(TINY_YAML).content_hash()
    assert len(base) == 64 and int(base, 16) >= 0
    cosmetic = [
        lambda d: d.update(title="  Tiny\n"),  # surrounding whitespace
        lambda d: d.update(instructions=""),  # a default written out
        lambda d: sub(d, 1).update(hf_field="letters"),  # the default hf_field written out
        lambda d: sub(d, 1).update(gated_by=None),
        lambda d: sub(d).update(options=[{**o, "not_present": False} for o in sub(d)["options"]]),
        lambda d: sub(d)["questions"][1].update(paper_accuracy_percent=80.0),  # 80 == 80.0
        reorder_keys,
    ]
    for edit in cosmetic:
        assert edited_hash(edit) == base


def test_explicit_positions_equal_to_the_implicit_ones_keep_the_hash():
    base = parse_checklist(TINY_YAML).content_hash()

    def number(d):
        for position, question in enumerate(
            (q for s in d["dimensions"][0]["sub_dimensions"] for q in s["questions"]), 1
        ):
            question["position"] = position

    assert edited_hash(number) == base


def reverse_levels(data: dict) -> None:
    """Same codes, opposite order (and thresholds moved so the file stays valid)."""
    sub(data)["options"].reverse()
    for question in sub(data)["questions"]:
        question["yes_if_at_least"] = {3: 1, 2: 2}[question["yes_if_at_least"]]


def test_semantic_and_text_changes_change_the_hash():
    base = parse_checklist(TINY_YAML).content_hash()
    changes = [
        lambda d: sub(d)["questions"][0].update(text="Is it clear? "),  # trailing space is trimmed...
    ]
    assert edited_hash(changes[0]) == base  # ...so that one is cosmetic
    semantic = [
        lambda d: sub(d)["questions"][0].update(text="Is it sharp?"),
        lambda d: sub(d)["questions"][0].update(key="q9"),
        lambda d: sub(d)["questions"][1].update(yes_if_at_least=3) or sub(d)["questions"][0].update(yes_if_at_least=2),
        lambda d: sub(d)["options"][1].update(label="slightly soft"),
        lambda d: sub(d)["options"][1].update(description="a bit soft"),
        lambda d: sub(d).update(title="Sharpness"),
        lambda d: sub(d).update(hf_field="clarity"),
        lambda d: sub(d)["questions"][1].update(paper_accuracy_percent=81),
        lambda d: d.update(description="Three sub-dimensions."),
        lambda d: d.update(instructions="Be careful."),
        lambda d: d.update(key="tiny2"),
        lambda d: d.update(media_type="image"),
        lambda d: d["dimensions"][0].update(title="Looks"),
        lambda d: d["dimensions"][0]["sub_dimensions"].reverse(),  # positions follow the new order
        reverse_levels,
    ]
    hashes = {base}
    for edit in semantic:
        value = edited_hash(edit)
        assert value not in hashes
        hashes.add(value)


# --- model navigation -------------------------------------------------------------------


def test_navigation():
    checklist = checklist_from_dict(mini_dict())
    assert [s.key for s in checklist.sub_dimensions] == [
        "clarity",
        "lighting",
        "light_beauty",
        "face",
        "eyes",
        "eye_color",
    ]
    assert checklist.question("has_light").sub_dimension == "lighting"
    assert checklist.question("has_light").dimension == "quality"
    assert checklist.sub_dimension("eyes").dimension == "people"
    assert checklist.dimension_of("eyes").key == "people"
    assert checklist.dimension("people").title == "People"
    assert [q.key for q in checklist.dimension("people").questions][:2] == ["good_face", "face_present"]
    with pytest.raises(KeyError):
        checklist.question("nope")
    with pytest.raises(KeyError):
        checklist.sub_dimension("nope")
    with pytest.raises(KeyError):
        checklist.dimension_of("nope")
    lighting = checklist.sub_dimension("lighting")
    assert lighting.not_present_option.label == "no lighting"
    assert lighting.presence_question.key == "has_light"
    assert lighting.option(2).label == "ordinary"
    assert lighting.hf_field == "lighting"
    with pytest.raises(KeyError):
        lighting.option(7)
    with pytest.raises(KeyError):
        lighting.option(True)
    clarity = checklist.sub_dimension("clarity")
    assert clarity.not_present_option is None and clarity.presence_question is None
    assert checklist.sub_dimension("light_beauty").gated_by == "has_light"
    assert [s.key for s in checklist.gated_by_question("face_present")] == ["eyes"]


def test_threshold_semantics_follow_the_list_not_the_codes():
    eye_color = checklist_from_dict(mini_dict()).sub_dimension("eye_color")  # 7 natural, 9 odd, 8 wrong
    natural, not_wrong = eye_color.questions
    assert [eye_color.is_yes(natural, code) for code in (7, 9, 8)] == [True, False, False]
    assert [eye_color.is_yes(not_wrong, code) for code in (7, 9, 8)] == [True, True, False]


def test_render_question_fills_the_prompt():
    checklist = parse_checklist(TINY_YAML)
    assert checklist.render_question(checklist.question("q3"), "a red STOP sign") == (
        'Are the letters in "a red STOP sign" correct?'
    )
    assert checklist.render_question("q3", "x") == 'Are the letters in "x" correct?'
    assert checklist.render_question("q1", "x") == "Is it clear?"
    assert checklist.render_question("q3", "[[prompt]]") == checklist.question("q3").text


def test_instances_are_frozen_and_hashable():
    checklist = parse_checklist(TINY_YAML)
    with pytest.raises(AttributeError):
        checklist.title = "x"  # type: ignore[misc]
    assert isinstance(checklist.dimensions, tuple)
    assert isinstance(checklist.sub_dimensions[0].options, tuple)
    assert isinstance(checklist.sub_dimensions[0].questions, tuple)
    assert hash(checklist) == hash(parse_checklist(TINY_JSON))


def test_question_order_within_a_sub_dimension_is_cosmetic_when_positions_are_explicit():
    def number(d):
        questions = [q for s in d["dimensions"][0]["sub_dimensions"] for q in s["questions"]]
        for position, question in enumerate(questions, 1):
            question["position"] = position

    def number_then_reverse(d):
        number(d)
        for s in d["dimensions"][0]["sub_dimensions"]:
            s["questions"].reverse()

    assert edited_hash(number_then_reverse) == edited_hash(number)


def test_errors_survive_pickling():
    import pickle

    with pytest.raises(ChecklistError) as info:
        parse_checklist("key: x\n", "x.yaml")
    again = pickle.loads(pickle.dumps(info.value))
    assert again.problems == info.value.problems and str(again) == str(info.value)


def test_the_example_in_the_format_documentation_is_valid():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "checklist-format.md").read_text(encoding="utf-8")
    example = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    checklist = parse_checklist(example, "street-photos.yaml")
    assert checklist.key == "street-photos"
    assert checklist.sub_dimension("lighting_beauty").gated_by == "q4"
    assert checklist.sub_dimension("clarity").hf_field == "clear"


def test_the_package_is_pure():
    """Importing the checklist package (and loading the built-ins) pulls in no Django."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys; import annotator.checklist as c; c.builtin_checklists(); "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'rest_framework', 'celery')); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    repo = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, env={})
    assert result.returncode == 0, result.stdout + result.stderr
