"""The column-wise way in (datasets_app.export.columnar): the same rows, hash and summary as
item by item, and item by item wherever the vectorised rules do not apply."""

from __future__ import annotations

import dataclasses
import json

import pyarrow.parquet as pq
import pytest

from annotator.checklist import load_builtin
from datasets_app.export import ExportError, export_dataset, read_rows
from datasets_app.export.columnar import ItemBatch, majority_columns, options_checker
from tests.datasets import make_image_items, settings


@pytest.fixture(scope="module")
def checklist():
    return load_builtin("visionreward-image")


def plain(items):
    """Without scores (a weight set's export goes item by item)."""
    return [dataclasses.replace(i, score=None, dimension_scores=None, url="") for i in items]


@pytest.fixture(scope="module")
def items(tmp_path_factory, checklist):
    made = make_image_items(tmp_path_factory.mktemp("src"), checklist, 60, seed=5, max_annotations=4, gold_every=3)
    # gold only where there are annotations (a gold answer standing in goes item by item)
    return plain([i if i.annotations or i.gold is None else dataclasses.replace(i, gold=None) for i in made])


def batches_of(items, checklist, size, packed=False):
    return [ItemBatch.from_items(items[k : k + size], checklist, packed=packed) for k in range(0, len(items), size)]


def export_both(tmp_path, checklist, items, size=7, packed=False, **changes):
    s = settings(balanced_cap=None, **changes)
    common = {"checklist": checklist, "settings": s, "include_visionreward": False, "write_jsonl": False}
    one = export_dataset(tmp_path / "items", items=lambda: iter(items), **common)
    batches = batches_of(items, checklist, size, packed)
    other = export_dataset(tmp_path / "batches", item_batches=lambda: iter(batches), **common)
    return one, other, batches, s


def rows(folder):
    return list(read_rows(folder, with_media_paths=True))


@pytest.mark.parametrize("packed", [False, True], ids=["json-text", "packed"])
def test_majority_batches_write_the_same_rows_hash_and_summary(tmp_path, checklist, items, packed):
    one, other, batches, s = export_both(tmp_path, checklist, items, packed=packed)
    assert all(isinstance(v, bytes) for b in batches for v in b.answers) == packed
    assert all(majority_columns(b, checklist, s) is not None for b in batches)  # column-wise, really
    assert any(n >= 2 for i in items for n in [len(i.annotations)])  # votes, ties to the gold answer
    assert rows(tmp_path / "items") == rows(tmp_path / "batches")
    assert one.content_hash == other.content_hash
    assert one.stats == other.stats and one.num_rows == other.num_rows
    assert one.stats["questions"] and one.stats["mean_kappa"] is not None
    # the embedded bytes too, and the features the card declares
    for a, b in zip(
        sorted((tmp_path / "items" / "data").glob("*.parquet")),
        sorted((tmp_path / "batches" / "data").glob("*.parquet")),
        strict=True,
    ):
        assert pq.read_table(a).equals(pq.read_table(b))
    assert (tmp_path / "items" / "README.md").read_text() == (tmp_path / "batches" / "README.md").read_text()


@pytest.mark.parametrize("packed", [False, True], ids=["json-text", "packed"])
def test_one_annotation_per_item_writes_the_same_rows(tmp_path, checklist, items, packed):
    """Batches whose items have one rater each (no votes to add up, no ties) take the short way."""
    single = [dataclasses.replace(i, annotations=i.annotations[:1]) for i in items]
    one, other, batches, s = export_both(tmp_path, checklist, single, packed=packed)
    assert all(majority_columns(b, checklist, s) is not None for b in batches)
    assert rows(tmp_path / "items") == rows(tmp_path / "batches")
    assert one.content_hash == other.content_hash and one.stats == other.stats


def test_late_extras_and_path_mode(tmp_path, checklist, items):
    late = [
        dataclasses.replace(
            i, annotations=tuple(dataclasses.replace(a, late=k == 1) for k, a in enumerate(i.annotations))
        )
        for i in items
    ]
    for include_late in (False, True):
        folder = tmp_path / str(include_late)
        one, other, _, _ = export_both(folder, checklist, late, size=11, include_late=include_late, embed_media=False)
        assert rows(folder / "items") == rows(folder / "batches")
        assert one.content_hash == other.content_hash and one.stats == other.stats


def test_batches_outside_the_vectorised_rules_go_item_by_item(tmp_path, checklist, items):
    gold_only = [dataclasses.replace(items[0], annotations=(), gold=items[1].annotations[0]), *items[1:]]
    one, other, batches, s = export_both(tmp_path / "gold-only", checklist, gold_only)
    assert majority_columns(batches[0], checklist, s) is None and majority_columns(batches[1], checklist, s)
    assert rows(tmp_path / "gold-only" / "items") == rows(tmp_path / "gold-only" / "batches")
    assert one.content_hash == other.content_hash
    for combine in ("all", "gold"):
        one, other, batches, s = export_both(tmp_path / combine, checklist, items, combine=combine)
        assert majority_columns(batches[0], checklist, s) is None
        assert one.content_hash == other.content_hash
        assert rows(tmp_path / combine / "items") == rows(tmp_path / combine / "batches")


def test_bad_answers_fail_as_item_by_item(tmp_path, checklist, items):
    first = items[0]
    bad_option = dataclasses.replace(
        first.annotations[0], options={**first.annotations[0].options, checklist.sub_dimensions[0].key: 99}
    )
    short = dataclasses.replace(first.annotations[0], answers=first.annotations[0].answers[:-1])
    for bad in (bad_option, short):
        broken = [dataclasses.replace(first, annotations=(bad,)), *items[1:]]
        batch = ItemBatch.from_items(broken, checklist)
        assert majority_columns(batch, checklist, settings(balanced_cap=None)) is None
        with pytest.raises(ExportError) as item_error:
            export_dataset(tmp_path / "a", checklist=checklist, settings=settings(), items=lambda b=broken: iter(b))
        with pytest.raises(ExportError) as batch_error:
            export_dataset(
                tmp_path / "b", checklist=checklist, settings=settings(), item_batches=lambda b=batch: iter([b])
            )
        assert str(batch_error.value) == str(item_error.value)
        assert batch_error.value.field == item_error.value.field
        for folder in ("a", "b"):
            import shutil

            shutil.rmtree(tmp_path / folder, ignore_errors=True)


def test_items_of_a_batch_are_the_items(checklist, items):
    assert list(ItemBatch.from_items(items, checklist).items()) == items
    assert list(ItemBatch.from_items(items, checklist, packed=True).items()) == items


def _printed(options: dict) -> str:
    """An options object as PostgreSQL prints jsonb: keys by length then bytes, ", " and ": "."""
    keys = sorted(options, key=lambda k: (len(k.encode()), k.encode()))
    return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {json.dumps(options[k])}" for k in keys) + "}"


def test_options_are_checked_in_bulk_as_one_by_one(checklist):
    check = options_checker(checklist)
    full = {sub.key: sub.options[-1].code for sub in checklist.sub_dimensions}
    first = checklist.sub_dimensions[0].key
    texts = [
        _printed(full),
        _printed({**full, first: 99}),  # not a code of that sub-dimension
        _printed({**full, first: None}),  # skipped
        _printed({k: v for k, v in full.items() if k != first}),  # one left out
        _printed({**full, "nope": 1}),
        _printed(full).replace(": ", ":"),  # another spelling: check_answers decides
        "{}",
        full,
        "[1]",
        _printed({**full, first: True}),
    ]
    assert (
        check.all(texts).tolist()
        == [check(t) for t in texts]
        == [True, False, True, True, False, True, True, True, False, False]
    )


@pytest.mark.parametrize(
    "text",
    [
        "{}",
        '{"bench": true, "index": 5}',
        '{"a": -3, "b": "x, \\"y"}',
        '{"a!": 1, "a": 2}',
        '{"a": 1.50}',
        '{"a": -0}',
        '{"z": {"b": 1, "a": 2}}',
        '{"é": "ü", "e": null}',
        '{"k": "a: b, c", "l": ""}',
        '{"n": 123456789012345678901234567890}',
        '{"k": "x, ", "l": 1}',
        '{": x": 1}',
        '{"a{": 1, "b": 2}',
        '{"a": 1, "a": 2}',
        '{"b": 1, "a: 1": 2}',
        '{"b": 1, "aa": 2}',
        '{"a": "x}y", "b": "[z", "c": "}"}',
        '{"a": "{", "b": 1}',
        '{"a": "x", "b": 1e5}',
        '{"k, y": 1, "l": "m, n"}',
        '{"a": "\u2028 é 中", "b": false}',
        '{"a": [1, 2]}',
    ],
)
def test_metadata_text_is_metadata_json(text):
    """Metadata as PostgreSQL prints it becomes the canonical JSON (fast for flat objects)."""
    import json

    import pyarrow as pa

    from datasets_app.export.columnar import _metadata_text, _metadata_texts, metadata_column
    from datasets_app.export.combine import metadata_json

    assert _metadata_text(text) == metadata_json(json.loads(text))
    assert _metadata_text(json.loads(text)) == metadata_json(json.loads(text))
    # a batch at once (the reader's way), alone and beside the usual flat objects
    assert _metadata_texts([text]) == [metadata_json(json.loads(text))]
    batch = ['{"bench": true, "index": 1}', text, "{}", '{"index": 2}']
    assert _metadata_texts(batch) == [metadata_json(json.loads(t)) for t in batch]
    # the COPY reader's way: an Arrow column (a null is no metadata)
    column = pa.array([*batch, None], pa.string())
    assert metadata_column(column).to_pylist() == [*(metadata_json(json.loads(t)) for t in batch), "{}"]
    assert metadata_column(pa.array([text], pa.string())).to_pylist() == [metadata_json(json.loads(text))]
