"""Comparing two exported versions."""

from __future__ import annotations

from dataclasses import replace

import pytest

from annotator.checklist import load_builtin
from datasets_app.export import diff_folders, diff_versions, export_dataset, read_rows
from tests.datasets import answers_for, make_image_items, settings


@pytest.fixture(scope="module")
def checklist():
    return load_builtin("visionreward-image")


def test_diff_of_two_exports(tmp_path, checklist):
    items = [item for item in make_image_items(tmp_path / "src", checklist, 34, seed=4) if item.annotations]
    version_a, new = items[:25], items[25:]
    assert len(new) >= 4
    # B: drops two items, adds the new ones, changes one item's answers (clarity only)
    changed_index = next(
        i for i, item in enumerate(version_a) if i >= 2 and len(item.annotations) == 1 and item.gold is None
    )
    target = version_a[changed_index]
    options = dict(target.annotations[0].options)
    clarity = checklist.sub_dimension("clarity")
    options["clarity"] = next(code for code in clarity.codes if code != options["clarity"])
    changed = replace(target, annotations=(answers_for(checklist, options, 1, "ann1"),))
    version_b = [item for item in version_a if item.asset_id not in (version_a[0].asset_id, version_a[1].asset_id)]
    version_b = [changed if item.asset_id == target.asset_id else item for item in version_b] + new
    for name, version in (("a", version_a), ("b", version_b)):
        export_dataset(
            tmp_path / name,
            checklist=checklist,
            settings=settings(embed_media=name == "a"),
            items=lambda version=version: iter(version),
        )

    report = diff_folders(tmp_path / "a", tmp_path / "b", max_examples=3)
    assert report["rows_a"] == 25 and report["rows_b"] == 23 + len(new)
    assert report["added"]["count"] == len(new) and len(report["added"]["examples"]) == 3
    assert report["removed"]["count"] == 2
    assert sorted(report["removed"]["examples"]) == sorted(str(item.asset_id) for item in version_a[:2])
    assert report["changed"]["count"] == 1
    (example,) = report["changed"]["examples"]
    clarity_keys = [q.key for q in clarity.questions]
    assert example["id"] == str(target.asset_id)
    assert example["questions"] and set(example["questions"]) <= set(clarity_keys)
    assert report["unchanged"] == 25 - 2 - 1
    assert report["moved_split"]["count"] == 0
    # per-question yes counts agree with the rows
    rows_a, rows_b = list(read_rows(tmp_path / "a")), list(read_rows(tmp_path / "b"))
    for index, key in enumerate(checklist.question_keys):
        yes_a = sum(1 for row in rows_a if row["mask"][index] and row["answers"][index])
        yes_b = sum(1 for row in rows_b if row["mask"][index] and row["answers"][index])
        assert report["questions"][key] == {
            "yes_a": yes_a,
            "yes_b": yes_b,
            "diff": yes_b - yes_a,
            "changed": 1 if key in example["questions"] else 0,
        }
    # read_rows leaves media bytes out and streams plain values
    assert "image" not in rows_a[0] and rows_a[0]["split"] in ("train", "validation", "test")
    with_paths = next(read_rows(tmp_path / "b", with_media_paths=True))
    assert with_paths["image"].startswith("media/")


def test_diff_versions_on_plain_rows():
    a = [
        {"id": "1", "answers": [1, 0], "mask": [1, 1], "split": "train"},
        {"id": "2", "answers": [0, 0], "mask": [1, 0], "split": "train"},
    ]
    b = [
        {"id": "1", "answers": [1, 0], "mask": [1, 1], "split": "test"},
        {"id": "2", "answers": [0, 1], "mask": [1, 1], "split": "train"},
        {"id": "3", "answers": [1, 1], "mask": [1, 1], "split": "train"},
    ]
    report = diff_versions(iter(a), iter(b), question_keys=["x", "y"])
    assert report["added"] == {"count": 1, "examples": ["3"]}
    assert report["removed"] == {"count": 0, "examples": []}
    assert report["changed"] == {"count": 1, "examples": [{"id": "2", "questions": ["y"]}]}
    assert report["moved_split"] == {"count": 1, "examples": [{"id": "1", "from": "train", "to": "test"}]}
    assert report["unchanged"] == 1
    assert report["questions"] == {
        "x": {"yes_a": 1, "yes_b": 2, "diff": 1, "changed": 0},
        "y": {"yes_a": 0, "yes_b": 2, "diff": 2, "changed": 1},
    }
