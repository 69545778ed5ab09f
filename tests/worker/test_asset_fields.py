"""annotator.asset_fields: what a prompt and metadata may hold (pure functions, no database)."""

from __future__ import annotations

import json

import pytest

from annotator.asset_fields import (
    FieldLimits,
    loads_json,
    metadata_problems,
    prompt_problem,
    shown,
    string_problem,
)

LIMITS = FieldLimits(max_prompt_chars=100, max_metadata_bytes=1000, max_metadata_depth=3)


def test_good_values_have_no_problem():
    assert prompt_problem("a red fox, sitting — in snow ❄", LIMITS) is None
    assert prompt_problem("x" * 100, LIMITS) is None
    assert metadata_problems({"seed": 2**63, "cfg": 7.5, "tags": ["a", None, True], "m": {"n": 1}}, LIMITS) == []
    assert metadata_problems({"neg": -(2**63), "u64": 2**64 - 1}, LIMITS) == []


@pytest.mark.parametrize(
    "value, needle",
    [
        ("nul \x00 here", "NUL character"),
        ("lone \ud800 surrogate", "unpaired surrogate (\\ud800)"),
        ("bad byte \udcff", "not UTF-8 text"),
        ("x" * 101, "101 characters long; the limit is 100 characters (VR_MAX_PROMPT_CHARS)"),
        (7, "must be a string"),
    ],
)
def test_prompt_problems(value, needle):
    assert needle in prompt_problem(value, LIMITS)


@pytest.mark.parametrize(
    "value, path, needle",
    [
        ({"a": "x\x00"}, "a", "NUL character"),
        ({"a\x00b": 1}, "a\\u0000b", "the key contains a NUL character"),
        ({"a": ["ok", "\ud800"]}, "a[1]", "unpaired surrogate"),
        ({"n": float("nan")}, "n", "NaN and Infinity are not JSON numbers"),
        ({"n": {"m": float("-inf")}}, "n.m", "-inf"),
        ({"big": 2**64}, "big", "more than 64 bits"),
        ({"big": -(2**70)}, "big", "more than 64 bits"),
        ({1: "x"}, "1", "key that is not a string"),
        ({"a": {"b": {"c": {"d": 1}}}}, "a.b.c", "nested more than 3 levels deep (VR_MAX_METADATA_DEPTH)"),
        ({"a": object()}, "a", "not a JSON value"),
        ({"s": "x" * 2000}, "", "2,008 bytes as JSON; the limit is 1,000 bytes (VR_MAX_METADATA_BYTES)"),
        (["not", "an object"], "", "must be a JSON object"),
    ],
)
def test_metadata_problems_name_their_key(value, path, needle):
    problems = metadata_problems(value, LIMITS)
    assert problems, value
    assert problems[0][0] == path and needle in problems[0][1], problems


def test_string_problem_and_shown_make_hostile_text_printable():
    assert string_problem("plain") is None
    text = shown("a\x00b\ud800" + "z" * 100)
    assert text.startswith("a\\u0000b\\ud800") and text.endswith("…") and len(text) == 60
    text.encode("utf-8")  # always encodable, whatever went in


def test_loads_json_turns_every_parse_failure_into_a_value_error():
    with pytest.raises(ValueError, match="nested too deeply"):
        loads_json("[" * 100_000)
    with pytest.raises(ValueError, match="4300 digits"):
        loads_json("1" * 5000)
    with pytest.raises(ValueError, match="Expecting value at column 7"):
        loads_json('{"a": }')
    parsed = loads_json('{"n": NaN, "i": Infinity}')  # parsed, so that the checks can name the key
    assert [p[0] for p in metadata_problems(parsed, LIMITS)] == ["n", "i"]
    assert json.loads('"\\ud800"') == loads_json('"\\ud800"')
