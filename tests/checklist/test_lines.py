"""A problem's path to its line in the YAML or JSON source (pure, no database)."""

from __future__ import annotations

import json

import pytest

from annotator.checklist import ChecklistError, parse_checklist
from annotator.checklist.lines import locate, locate_problems, path_steps

from .helpers import mini_dict
from .test_parse import TINY_YAML


def line_of(text: str, needle: str, nth: int = 0) -> int:
    """The 1-based line of the nth line of ``text`` that contains ``needle``."""
    hits = [number for number, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[nth]


def test_path_steps():
    assert path_steps("dimensions[2].sub_dimensions[0].key") == ["dimensions", 2, "sub_dimensions", 0, "key"]
    assert path_steps("") == []
    assert path_steps("title") == ["title"]
    assert path_steps("a[0][1]") == ["a", 0, 1]


def test_yaml_paths_point_at_their_keys_and_items():
    assert locate(TINY_YAML, "title") == (line_of(TINY_YAML, "title: Tiny"), 1)
    path = "dimensions[0].sub_dimensions[1].key"
    assert locate(TINY_YAML, path) == (line_of(TINY_YAML, "key: letters"), 9)
    line, _ = locate(TINY_YAML, "dimensions[0].sub_dimensions[1].options[2].not_present")
    assert line == line_of(TINY_YAML, "not_present: true")
    # a list item: its first character (the key of its first field, after "- ")
    line, column = locate(TINY_YAML, "dimensions[0].sub_dimensions[0].questions[1]")
    assert (line, column) == (line_of(TINY_YAML, "key: q2"), 13)
    # flow mappings inside a list
    line, _ = locate(TINY_YAML, "dimensions[0].sub_dimensions[0].options[1].label")
    assert line == line_of(TINY_YAML, "label: soft")


def test_a_path_past_the_file_stops_at_the_deepest_part_that_exists():
    # a missing field: the object that lacks it
    line, _ = locate(TINY_YAML, "dimensions[0].sub_dimensions[1].questions[0].presence")
    assert line == line_of(TINY_YAML, "key: q3")
    # an index past the end: the list's key
    line, _ = locate(TINY_YAML, "dimensions[0].sub_dimensions[7].key")
    assert line == line_of(TINY_YAML, "sub_dimensions:")
    assert locate(TINY_YAML, "") == (1 + 1, 1)  # the document starts after the comment line


def test_json_with_tabs_and_indentation():
    text = json.dumps(mini_dict(), indent="\t")
    line, column = locate(text, "dimensions[0].sub_dimensions[1].key", json_source=True)
    assert line == line_of(text, '"key": "lighting"')
    assert text.splitlines()[line - 1][column - 1 :].startswith('"key"')
    one_line = json.dumps(mini_dict())
    assert locate(one_line, "dimensions[0].title", json_source=True)[0] == 1


def test_repeated_key_points_at_the_last_one():
    text = "key: a\ntitle: One\ntitle: Two\n"
    assert locate(text, "title") == (3, 1)


def test_merge_keys_are_followed():
    text = "base: &b\n  label: x\nitem:\n  <<: *b\n  code: 1\n"
    assert locate(text, "item.code") == (5, 3)
    assert locate(text, "item.label") == (2, 3)


def test_unreadable_text_has_no_location():
    assert locate("key: [unclosed", "key") is None


def _problems(text: str, filename: str):
    with pytest.raises(ChecklistError) as info:
        parse_checklist(text, filename)
    return locate_problems(info.value.problems, text, filename)


def test_validation_problems_get_their_lines_yaml():
    text = TINY_YAML.replace("yes_if_at_least: 2\n            paper", "yes_if_at_least: seven\n            paper")
    problems = _problems(text, "tiny.yaml")
    bad = [p for p in problems if p.path.endswith("questions[1].yes_if_at_least")]
    assert bad and bad[0].line == line_of(text, "yes_if_at_least: seven")


def test_validation_problems_get_their_lines_json():
    data = mini_dict()
    data["dimensions"][0]["sub_dimensions"][1]["options"][0]["code"] = "three"
    text = json.dumps(data, indent=2)
    problems = _problems(text, "mini.json")
    bad = [p for p in problems if p.path == "dimensions[0].sub_dimensions[1].options[0].code"]
    assert bad and bad[0].line == line_of(text, '"code": "three"')


def test_duplicate_keys_point_at_the_second_one():
    text = TINY_YAML.replace("title: Clarity\n", "title: Clarity\n        title: Clearness\n")
    problems = _problems(text, "tiny.yaml")
    duplicate = next(p for p in problems if "duplicate" in p.message)
    assert duplicate.line == line_of(text, "title: Clearness")


def test_syntax_errors_take_the_line_of_their_message():
    text = TINY_YAML.replace("title: Letters", "title: [Letters")
    problems = _problems(text, "tiny.yaml")
    assert problems[0].path == "" and problems[0].line is not None
    assert f"line {problems[0].line}, column {problems[0].column}" in problems[0].message
    problems = _problems('{"key": "x",\n  "title": }', "x.json")
    assert (problems[0].line, problems[0].column) == (2, 12)
