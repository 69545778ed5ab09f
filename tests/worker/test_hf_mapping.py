"""The dataset import's column mapping and row conversion, pure (no database, no ``datasets``)."""

from __future__ import annotations

import datetime
import math

import pytest

from worker.imports.hf_mapping import (
    ColumnInfo,
    RowProblem,
    media_value,
    parse_mapping,
    preference_rating,
    preview_cell,
    row_entry,
    suggest_mapping,
)


def cols(**types) -> dict[str, ColumnInfo]:
    return {name: ColumnInfo(name, kind) for name, kind in types.items()}


IMAGES = cols(image="image", caption="string", seed="int", nsfw="bool", tags="list")
PAIRS = cols(caption="string", jpg_0="image", jpg_1="image", label_0="float", label_1="float", user_id="int")


def test_suggestion_prefers_the_image_feature_and_a_prompt_named_column():
    assert suggest_mapping(IMAGES) == {
        "media": "image",
        "prompt": "caption",
        "prompt_required": False,
        "metadata": ["seed", "nsfw"],
    }
    assert suggest_mapping(cols(file_name="string", text="string"))["media"] == "file_name"
    assert suggest_mapping(cols(file_name="string", text="string"))["prompt"] == "text"
    assert suggest_mapping(cols(a="int"))["media"] == ""


def test_pair_suggestions_read_pick_a_pic_and_other_layouts():
    assert suggest_mapping(PAIRS, "pairs") | {"metadata": []} == {
        "prompt": "caption",
        "prompt_required": False,
        "media_a": "jpg_0",
        "media_b": "jpg_1",
        "preference_format": "labels",
        "preference": ["label_0", "label_1"],
        "metadata": [],
    }
    other = suggest_mapping(cols(prompt="string", left="image", right="image", winner="string"), "pairs")
    assert (other["media_a"], other["media_b"], other["preference_format"], other["preference"]) == (
        "left",
        "right",
        "choice",
        ["winner"],
    )
    rated = suggest_mapping(cols(prompt="string", image_a="image", image_b="image", rating="int"), "pairs")
    assert rated["preference_format"] == "rating" and rated["preference"] == ["rating"]


def test_a_mapping_is_checked_against_the_columns_by_field():
    mapping, errors = parse_mapping({"media": "image", "prompt": "caption", "metadata": ["seed"]}, "assets", IMAGES)
    assert errors == {} and mapping.media_columns() == ("image",)
    _, errors = parse_mapping({"media": "seed", "prompt": "missing", "metadata": ["seed", "x"]}, "assets", IMAGES)
    assert "column `seed` is int" in errors["mapping.media"][0]
    assert errors["mapping.prompt"][0].startswith("no column `missing`; the columns are `image`, `caption`")
    assert any("already the media" in m for m in errors["mapping.metadata"])
    assert any("no column `x`" in m for m in errors["mapping.metadata"])
    _, errors = parse_mapping({"media": "image", "prompt_required": True}, "assets", IMAGES)
    assert errors == {"mapping.prompt": ["a prompt is required: choose its column"]}
    _, errors = parse_mapping({"media": 3, "metadata": "seed", "prompt_required": "yes"}, "assets", IMAGES)
    assert set(errors) == {"mapping.media", "mapping.metadata", "mapping.prompt_required"}
    assert parse_mapping([], "assets", IMAGES)[1] == {"mapping": ["`mapping` must be an object naming the columns"]}


def test_a_pair_mapping_needs_two_media_and_a_preference_of_its_format():
    body = {"media_a": "jpg_0", "media_b": "jpg_1", "preference_format": "labels", "preference": ["label_0"]}
    _, errors = parse_mapping(body, "pairs", PAIRS)
    assert errors == {"mapping.preference": ["the labels format reads 2 column(s); got 1"]}
    _, errors = parse_mapping({**body, "preference_format": "rating", "preference": ["caption"]}, "pairs", PAIRS)
    assert "column `caption` is string" in errors["mapping.preference"][0]
    _, errors = parse_mapping({**body, "media": "jpg_0"}, "pairs", PAIRS)
    assert "unknown field(s) `media`" in errors["mapping"][0]


@pytest.mark.parametrize(
    "fmt, values, rating",
    [
        ("labels", [1.0, 0.0], 2),
        ("labels", [0, 1], 4),
        ("labels", [0.5, 0.5], 3),
        ("choice", ["A"], 2),
        ("choice", [" b "], 4),
        ("choice", ["Tie"], 3),
        ("choice", [0], 2),
        ("choice", [1.0], 4),
        ("choice", [True], 4),
        ("rating", [1], 1),
        ("rating", ["5"], 5),
        ("scores", [0.2, 0.7], 4),
        ("scores", [3, 3], 3),
    ],
)
def test_preferences_become_the_1_to_5_pair_rating(fmt, values, rating):
    assert preference_rating(fmt, values, ["p0", "p1"]) == rating


@pytest.mark.parametrize(
    "fmt, values, words",
    [
        ("labels", [0, 0], "both 0: no vote"),
        ("labels", [-1, 2], "negative"),
        ("labels", [None, 1], "empty, not a number"),
        ("choice", ["C"], "expected A, B or tie"),
        ("choice", [None], "is empty"),
        ("rating", [6], "integer from 1 to 5"),
        ("rating", [2.5], "integer from 1 to 5"),
        ("rating", [math.nan], "not a number"),
        ("scores", ["high", 1], "`high`, not a number"),
    ],
)
def test_malformed_preferences_name_the_column(fmt, values, words):
    with pytest.raises(RowProblem, match=words):
        preference_rating(fmt, values, ["p0", "p1"])


def test_media_cells_of_every_shape():
    assert media_value({"bytes": b"\x89PNG", "path": "dir/a.png"}, "image").data == b"\x89PNG"
    assert media_value({"bytes": b"\x89PNG", "path": "dir/a.png"}, "image").name == "a.png"
    assert media_value({"bytes": None, "path": "imgs/b.jpg"}, "image").path == "imgs/b.jpg"
    assert media_value("https://example.org/x.png?s=1", "url").url.startswith("https://")
    assert media_value("https://example.org/x.png?s=1", "url").name == "x.png"
    assert media_value(b"raw", "blob").data == b"raw"
    for bad, words in [
        (None, "is empty"),
        ("", "is empty"),
        ({"bytes": None, "path": None}, "neither bytes nor a path"),
        (42, "holds a int"),
        ("ftp://host/x.png", "neither a local path nor an http"),
        ("file:///etc/passwd", "neither a local path nor an http"),
        ("a\x00b", "NUL"),
    ]:
        with pytest.raises(RowProblem, match=words):
            media_value(bad, "image")


def test_a_pil_image_cell_is_encoded_as_png():
    from PIL import Image

    value = media_value(Image.new("RGB", (3, 2)), "image")
    assert value.data.startswith(b"\x89PNG") and value.name == "image.png"


def test_a_row_becomes_media_prompt_and_json_metadata():
    mapping, _ = parse_mapping(
        {"media": "image", "prompt": "caption", "metadata": ["seed", "when", "tags"]},
        "assets",
        cols(image="image", caption="string", seed="int", when="other", tags="list"),
    )
    row = {
        "image": {"bytes": b"x", "path": None},
        "caption": "a cat",
        "seed": 7,
        "when": datetime.date(2024, 5, 1),
        "tags": ["a", ("b", 1.5)],
    }
    entry = row_entry(row, mapping, {})
    assert entry.prompt == "a cat" and entry.media[0].data == b"x"
    assert entry.metadata == {"seed": 7, "when": "2024-05-01", "tags": ["a", ["b", 1.5]]}
    with pytest.raises(RowProblem, match="the prompt \\(`caption`\\) is a int"):
        row_entry({**row, "caption": 5}, mapping, {})
    with pytest.raises(RowProblem, match="metadata `seed`: inf is not a JSON number"):
        row_entry({**row, "seed": float("inf")}, mapping, {})
    required, _ = parse_mapping({"media": "image", "prompt": "caption", "prompt_required": True}, "assets", IMAGES)
    with pytest.raises(RowProblem, match="empty and a prompt is required"):
        row_entry({**row, "caption": "  "}, required, {})


def test_a_class_label_preference_reads_its_names():
    columns = {**PAIRS, "winner": ColumnInfo("winner", "class_label", names=("tie", "A", "B"))}
    mapping, errors = parse_mapping(
        {"media_a": "jpg_0", "media_b": "jpg_1", "preference_format": "choice", "preference": ["winner"]},
        "pairs",
        columns,
    )
    assert errors == {}
    row = {"jpg_0": b"a", "jpg_1": b"b", "winner": 2}
    assert row_entry(row, mapping, columns).preference == 4
    assert row_entry({**row, "winner": 0}, mapping, columns).preference == 3


def test_preview_cells_are_short():
    long = "x" * 500
    assert preview_cell(long, ColumnInfo("t", "string")) == {"kind": "text", "value": "x" * 200, "truncated": True}
    assert preview_cell(3, None) == {"kind": "value", "value": 3}
    cell = preview_cell(
        {"bytes": b"12345", "path": "a.png"}, ColumnInfo("image", "image"), lambda data: ("image/png", b"p")
    )
    assert cell == {"kind": "media", "size": 5, "path": "a.png", "data_url": "data:image/png;base64,cA=="}
    video = preview_cell({"bytes": b"123", "path": "v.mp4"}, ColumnInfo("video", "video"), lambda data: ("x", b"y"))
    assert "data_url" not in video and video["size"] == 3
    assert preview_cell({"a": [1, 2]}, None) == {"kind": "text", "value": '{"a": [1, 2]}', "truncated": False}


def test_an_unreachable_hub_is_named_as_such():
    from worker.imports.hf_source import _read_problem

    text = _read_problem("lab/x", "hub", OSError("Couldn't reach 'lab/x' on the Hub (LocalEntryNotFoundError)"))
    assert text.startswith("cannot reach the Hugging Face Hub to read `lab/x` (no internet?)")
    assert "hf download --repo-type dataset lab/x" in text
