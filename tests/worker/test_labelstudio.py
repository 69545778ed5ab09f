"""Reading Label Studio exports (pure, no database): the three shapes, the key suggestions, media
references, and hostile input, each bad task failing alone with its index."""

from __future__ import annotations

import json

import pytest

from annotator.asset_fields import FieldLimits
from worker.imports.labelstudio import (
    ExportError,
    LabelStudioLimits,
    map_tasks,
    media_reference,
    read_export,
)


def export_of(tasks) -> bytes:
    return json.dumps(tasks).encode()


TASKS = [
    {
        "id": 11,
        "data": {"image": "https://media.example.org/a.jpg", "prompt": "a cat", "seed": 3},
        "annotations": [{"id": 1, "result": []}],
        "predictions": [],
    },
    {"id": 12, "data": {"image": "/data/upload/4/8f3a2b1c-dog.png", "prompt": "a dog"}, "annotations": []},
    {"id": 13, "data": {"image": "/data/local-files/?d=photos/batch%201/owl.jpg", "prompt": "an owl"}},
]


def test_a_json_export_is_read_with_keys_and_suggestions():
    export = read_export(export_of(TASKS), "project-4-at-2024.json")
    assert export.format == "json" and [t.task_id for t in export.tasks] == [11, 12, 13] and export.problems == []
    keys = {k.key: k for k in export.keys}
    assert keys["image"].tasks == 3 and keys["image"].media_like == 3 and keys["prompt"].text == 3
    assert keys["seed"].tasks == 1
    assert (export.suggested_media_key, export.suggested_prompt_key) == ("image", "prompt")
    entries, problems = map_tasks(export, "image", "prompt")
    assert problems == []
    first, second, third = entries
    assert (first.media.kind, first.media.value, first.prompt) == ("url", "https://media.example.org/a.jpg", "a cat")
    assert first.metadata == {"seed": 3, "label_studio_task_id": 11}
    assert (second.media.kind, second.media.value) == ("file", "8f3a2b1c-dog.png")
    assert (third.media.kind, third.media.value) == ("file", "owl.jpg")


def test_json_min_and_jsonl_shapes():
    flat = [
        {
            "id": 5,
            "video": "https://x.org/v.mp4",
            "caption": "waves",
            "annotator": 1,
            "created_at": "t",
            "choice": "ok",
        },
        {"id": 6, "video": "https://x.org/w.mp4", "caption": "rain", "annotator": 1, "lead_time": 3.2},
    ]
    export = read_export(export_of(flat), "min.json")
    assert export.format == "json-min"
    assert (export.suggested_media_key, export.suggested_prompt_key) == ("video", "caption")
    entries, _ = map_tasks(export, "video", "caption")
    assert entries[0].metadata == {"choice": "ok", "label_studio_task_id": 5}
    lines = b"\n".join(json.dumps(t).encode() for t in TASKS) + b"\n\n{broken\n[1]\n"
    export = read_export(lines, "tasks.jsonl")
    assert export.format == "jsonl" and len(export.tasks) == 3
    assert [(p.index, p.reason[:8]) for p in export.problems] == [(5, "bad JSON"), (6, "a task m")]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"data": {"image": "x.jpg"}}', "this looks like one task"),
        (b'{"tasks": []}', "a list of tasks, but this file holds an object"),
        (b'"tasks"', "holds a string"),
        (b"42", "holds a number"),
        (b"[]", "the export holds no tasks"),
        (b"[1, 2", "not valid JSON"),
        (b"\xff\xfe[\x00]\x00", "UTF-16"),
        (b'["\xff"]', "not UTF-8 text"),
    ],
)
def test_a_file_that_is_not_an_export_is_refused_as_a_whole(raw, message):
    with pytest.raises(ExportError, match=message):
        read_export(raw, "export.json")


def test_too_many_tasks_or_bytes_are_refused():
    with pytest.raises(ExportError, match="3 tasks, more than the limit of 2"):
        read_export(export_of(TASKS), limits=LabelStudioLimits(max_tasks=2))
    with pytest.raises(ExportError, match="larger than the limit"):
        read_export(b"[" + b" " * 2_000_000 + b"]", limits=LabelStudioLimits(max_bytes=1024 * 1024))


def test_bad_tasks_fail_alone_with_their_index():
    tasks = [
        TASKS[0],
        "not a task",
        {"id": 3},
        {"id": 4, "data": ["image"]},
        {"id": {"nested": 1}, "data": {"image": "https://x.org/a.jpg"}},
        {"id": 6, "data": {"prompt": "no media"}},
        {"id": 7, "data": {"image": 42}},
        {"id": 8, "data": {"image": "/etc/passwd"}},
        {"id": 9, "data": {"image": "/data/upload/../../../etc/passwd"}},
        {"id": 10, "data": {"image": "/data/local-files/?d=../../secret/key.jpg"}},
        {"id": 11, "data": {"image": "s3://bucket/a.jpg"}},
        {"id": 12, "data": {"image": "data:image/png;base64,iVBOR"}},
        {"id": 13, "data": {"image": "C:\\Users\\me\\a.jpg"}},
        {"id": 14, "data": {"image": "https://x.org/b.jpg", "prompt": "p" * 20_000}},
        {"id": 15, "data": {"image": "https://x.org/c.jpg", "notes": "n" * 100_000}},
        {"id": 16, "data": {"image": "https://x.org/" + "d" * 5000}},
        {"id": 17, "data": {"image": "https://x.org/e.jpg", "prompt": {"text": "x"}}},
        {"id": 18, "data": {"image": "https://x.org/f.jpg", "prompt": "bad \x00 nul"}},
        {"id": 19, "data": {"image": "ftp://x.org/g.jpg"}},
        {"id": 20, "data": {"image": "/data/local-files/?x=1"}},
        {"id": 21, "data": {"image": "photos/ok.jpg", "prompt": 7}},
    ]
    export = read_export(export_of(tasks))
    entries, problems = map_tasks(export, "image", "prompt", FieldLimits())
    assert [(e.index, e.media.value, e.prompt) for e in entries] == [
        (1, "https://media.example.org/a.jpg", "a cat"),
        (21, "ok.jpg", "7"),
    ]
    reasons = {p.index: p.reason for p in problems}
    assert sorted(reasons) == list(range(2, 21))
    assert reasons[2] == "a task must be an object, not a string"
    assert reasons[3] == "the task has no `data` object"
    assert reasons[4] == "`data` must be an object, not an array"
    assert reasons[5] == "`id` must be a number or a string, not an object"
    assert reasons[6] == "`data` has no `image` key"
    assert "must be a string" in reasons[7]
    assert "is an absolute file path" in reasons[8] and "is an absolute file path" in reasons[13]
    assert "path traversal is refused" in reasons[9] and "path traversal is refused" in reasons[10]
    assert "cloud storage (`s3://`)" in reasons[11]
    assert "inline `data:` media" in reasons[12]
    assert "`data.prompt`" in reasons[14] and "10,000" in reasons[14]
    assert reasons[15].startswith("the asset's metadata (the other `data` fields) is 100,0")
    assert "at most 4,096" in reasons[16]
    assert "`data.prompt`" in reasons[17] and "`data.prompt`" in reasons[18]
    assert "a `ftp://` URL cannot be imported" in reasons[19]
    assert "no `?d=` path" in reasons[20]
    assert str(problems[0]).startswith("task 2: ") and str(problems[2]).startswith("task 4 (id 4): ")


def test_huge_strings_do_not_end_up_in_messages():
    export = read_export(export_of([{"id": 1, "data": {"image": "/" + "a" * 1_000_000}}]))
    entries, problems = map_tasks(export, "image")
    assert entries == [] and len(problems[0].reason) < 400
    assert len(export.keys[0].example) <= 120


@pytest.mark.parametrize(
    ("value", "kind", "name"),
    [
        ("https://x.org/a.jpg?sig=1", "url", "https://x.org/a.jpg?sig=1"),
        ("http://x.org/a.jpg", "url", "http://x.org/a.jpg"),
        ("/data/upload/12/abc-cat%20photo.jpg", "file", "abc-cat photo.jpg"),
        ("/data/local-files/?d=mnt/data/v1.mp4", "file", "v1.mp4"),
        ("cat.jpg", "file", "cat.jpg"),
        ("images/cat.jpg", "file", "cat.jpg"),
    ],
)
def test_media_references(value, kind, name):
    ref, why = media_reference(value)
    assert why == "" and (ref.kind, ref.value, ref.original) == (kind, name, value)
