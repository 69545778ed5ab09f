"""Streaming writers, media copying and the content hash."""

from __future__ import annotations

import json
import threading
import tracemalloc
from dataclasses import replace

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from datasets import Features, Image, List, Value, load_dataset

from annotator.checklist import load_builtin
from datasets_app.export import (
    ContentHasher,
    ExportError,
    JsonlWriter,
    MediaRef,
    MediaStore,
    ParquetSplitWriter,
    export_dataset,
    read_rows,
)
from datasets_app.export.writers import canonical_json
from tests.datasets import answers_for, make_image_items, make_pairs, settings, write_jpeg


@pytest.fixture(scope="module")
def checklist():
    return load_builtin("visionreward-image")


@pytest.fixture(scope="module")
def items(tmp_path_factory, checklist):
    return make_image_items(tmp_path_factory.mktemp("src"), checklist, 24, seed=3)


def export(folder, checklist, items, **changes):
    jsonl = changes.pop("write_jsonl", None)
    return export_dataset(
        folder,
        checklist=checklist,
        settings=settings(**changes),
        items=lambda: iter(items),
        pairs=lambda: iter(make_pairs(items)),
        write_jsonl=jsonl,
    )


def test_same_content_same_hash(tmp_path, checklist, items):
    base = export(tmp_path / "a", checklist, items)
    other_shards = export(tmp_path / "b", checklist, items, shard_rows=3)
    paths = export(tmp_path / "c", checklist, items, embed_media=False, write_jsonl=True)
    assert base.content_hash == other_shards.content_hash == paths.content_hash
    assert len(other_shards.configs["default"].splits["train"].files) > 1
    assert len(base.content_hash) == 64
    # the hash is the card's
    assert base.content_hash in (tmp_path / "a" / "README.md").read_text()


def test_any_answer_change_changes_the_hash(tmp_path, checklist, items):
    base = export(tmp_path / "a", checklist, items)
    index = next(i for i, item in enumerate(items) if len(item.annotations) == 1 and item.gold is None)
    item = items[index]
    answers = item.annotations[0]
    flipped = dict(answers.options)
    sub = checklist.sub_dimension("symmetry")
    flipped["symmetry"] = next(code for code in sub.codes if code != answers.options["symmetry"])
    changed = list(items)
    changed[index] = replace(item, annotations=(answers_for(checklist, flipped, answers.annotation_id, "ann1"),))
    assert export(tmp_path / "b", checklist, changed).content_hash != base.content_hash
    # other seeds move prompts between splits: also a content change
    assert export(tmp_path / "c", checklist, items, seed=99).content_hash != base.content_hash
    # a different image file (same everything else) is a change too
    swapped = list(items)
    path, sha = write_jpeg(tmp_path / "other.jpg", (3, 3))
    swapped[index] = replace(item, media_path=path, media_sha256=sha)
    assert export(tmp_path / "d", checklist, swapped).content_hash != base.content_hash


def test_media_named_by_content_not_by_the_recorded_sha(tmp_path, checklist, items):
    """The platform's sha256 may be the original upload's; files are named by what is exported,
    so an asset shared by rows and pairs is copied once, and the hash follows the content."""
    recorded = [replace(item, media_sha256=f"{item.asset_id:064x}") for item in items]
    result = export(tmp_path / "a", checklist, recorded, embed_media=False)
    names = {path.stem for path in (tmp_path / "a" / "media").rglob("*.jpg")}
    assert names <= {item.media_sha256 for item in items}  # content hashes of the source files
    assert len(names) == len(list((tmp_path / "a" / "media").rglob("*.jpg")))
    rows = {row["asset_id"]: row for row in read_rows(tmp_path / "a", with_media_paths=True)}
    some = next(iter(rows.values()))
    assert some["media_sha256"] == f"{some['asset_id']:064x}"
    assert some["image"].endswith(next(i.media_sha256 for i in items if i.asset_id == some["asset_id"]) + ".jpg")
    assert not list((tmp_path / "a" / "media").rglob("*.partial"))
    # the recorded value is a column, so it is content too; the media hash part is unchanged
    assert result.content_hash != export(tmp_path / "b", checklist, items, embed_media=False).content_hash


def test_content_hasher_column_wise():
    """Format vr-export-content-hash/2: the columns as written, per config and split, in row
    order; batches do not matter, media count by file name (<sha256><ext>), never bytes."""
    features = Features({"id": Value("string"), "x": Value("float64"), "ys": List(Value("int64")), "image": Image()})
    rows = [
        {"id": "1", "x": 0.5, "ys": [1, 2], "image": {"bytes": b"a", "path": "ab.jpg"}},
        {"id": "22", "x": None, "ys": None, "image": {"bytes": None, "path": "media/ab/ab.jpg"}},
        {"id": "", "x": 1.0, "ys": [], "image": None},
    ]
    schema = features.arrow_schema

    def digest(*batches, config="default", split="train"):
        hasher = ContentHasher()
        hasher.update_meta("checklist", "c" * 64)
        for batch in batches:
            hasher.update_batch(config, split, features, pa.RecordBatch.from_pylist(batch, schema=schema))
        return hasher.hexdigest()

    whole = digest(rows)
    assert whole == digest(rows[:1], rows[1:]) == digest(rows[:2], [], rows[2:])
    assert len(whole) == 64
    # sliced batches (what shard roll-over writes) hash like their rows
    hasher = ContentHasher()
    hasher.update_meta("checklist", "c" * 64)
    full = pa.RecordBatch.from_pylist(rows, schema=schema)
    hasher.update_batch("default", "train", features, full.slice(0, 2))
    hasher.update_batch("default", "train", features, full.slice(2))
    assert hasher.hexdigest() == whole
    by_name = [dict(rows[0]), dict(rows[1], image={"bytes": b"zz", "path": "ab.jpg"}), rows[2]]
    assert digest(by_name) == whole
    assert digest(rows[::-1]) != whole  # row order
    assert digest(rows, split="test") != whole
    assert digest(rows, config="pairs") != whole
    assert digest([dict(rows[0], x=0.5000001), *rows[1:]]) != whole
    assert digest([dict(rows[0], id="12"), dict(rows[1], id="2"), rows[2]]) != whole  # string boundaries
    assert digest([dict(rows[0], ys=[1]), dict(rows[1], ys=[2]), rows[2]]) != whole  # list boundaries
    assert digest([dict(rows[1], x=0.0), *rows[1:]]) != digest([dict(rows[1], x=None), *rows[1:]])  # null ≠ 0
    assert canonical_json({"f": -0.0, "n": float("nan"), "b": b"xy"}) == (
        '{"b":{"sha256":"' + __import__("hashlib").sha256(b"xy").hexdigest() + '"},"f":0.0,"n":"NaN"}'
    )
    with pytest.raises(TypeError):
        canonical_json({"x": object()})


def test_shards_roll_over_and_rename(tmp_path):
    features = Features({"id": Value("string"), "n": Value("int64")})
    writer = ParquetSplitWriter(tmp_path, "extra", features, shard_rows=4, split_order=["train", "test"], batch_rows=3)
    for i in range(10):
        writer.add("test" if i % 5 == 0 else "train", {"id": str(i), "n": i})
    written = writer.close()
    assert list(written.splits) == ["train", "test"]
    assert written.splits["train"].files == [f"extra/train-{i:05d}-of-00002.parquet" for i in range(2)]
    assert written.splits["train"].num_examples == 8 and written.splits["test"].num_examples == 2
    assert [pq.ParquetFile(tmp_path / f).metadata.num_rows for f in written.splits["train"].files] == [4, 4]
    rows = pq.read_table(tmp_path / written.splits["train"].files[1]).to_pylist()
    assert [r["n"] for r in rows] == [6, 7, 8, 9]
    assert Features.from_arrow_schema(pq.read_schema(tmp_path / written.splits["test"].files[0])) == features
    assert written.data_files() == [
        {"split": "train", "path": "extra/train-*.parquet"},
        {"split": "test", "path": "extra/test-*.parquet"},
    ]
    with pytest.raises(ExportError):
        ParquetSplitWriter(tmp_path, "x", features, shard_rows=4).add("Bad-Split", {"id": "1", "n": 1})


def test_writer_abort_removes_partial_files(tmp_path):
    features = Features({"id": Value("string")})
    with pytest.raises(RuntimeError), ParquetSplitWriter(tmp_path, "default", features, 2, batch_rows=1) as writer:
        writer.add("train", {"id": "1"})
        raise RuntimeError("boom")
    assert not list(tmp_path.rglob("*.parquet*"))


def test_a_write_that_fails_in_the_background_fails_the_writer(tmp_path):
    """Shards are encoded in a background thread; its error (here: ``data`` is a file, so no
    shard can be made) comes out of the writer in the caller's thread and nothing is left."""
    (tmp_path / "data").write_text("not a folder")
    threads = set(threading.enumerate())
    features = Features({"id": Value("string")})
    writer = ParquetSplitWriter(tmp_path, "default", features, 2, batch_rows=1)
    with pytest.raises(FileExistsError):
        for i in range(100):
            writer.add("train", {"id": str(i)})
        writer.close()
    writer.abort()
    assert not list(tmp_path.rglob("*.parquet*"))
    assert [t.name for t in set(threading.enumerate()) - threads] == []  # its threads ended


def test_many_shards_in_the_background_keep_their_order(tmp_path):
    features = Features({"n": Value("int64")})
    writer = ParquetSplitWriter(tmp_path, "default", features, shard_rows=7, batch_rows=3)
    for i in range(100):
        writer.add("train" if i % 3 else "test", {"n": i})
    written = writer.close()
    for split in ("train", "test"):
        files = written.splits[split].files
        assert len(files) == -(-written.splits[split].num_examples // 7)
        values = [n for f in files for n in pq.read_table(tmp_path / f).column("n").to_pylist()]
        assert values == [i for i in range(100) if bool(i % 3) == (split == "train")]


def test_media_store_embeds_or_copies_once(tmp_path):
    path, sha = write_jpeg(tmp_path / "src" / "a.JPG", (5, 4))
    embedded = MediaStore(tmp_path / "out", embed=True)
    cell = embedded.image_cell(MediaRef(path, sha))
    assert cell["path"] == f"{sha}.jpg" and cell["bytes"] == (tmp_path / "src" / "a.JPG").read_bytes()
    copies = MediaStore(tmp_path / "out", embed=False)
    assert copies.image_cell(MediaRef(path)) == {"bytes": None, "path": f"media/{sha[:2]}/{sha}.jpg"}
    assert copies.path_cell(MediaRef(path, sha)) == f"media/{sha[:2]}/{sha}.jpg"
    assert copies.copied_files == 1 and (tmp_path / "out" / "media" / sha[:2] / f"{sha}.jpg").is_file()
    # an explicit per-reference choice wins over the store's default
    assert embedded.image_cell(MediaRef(path, sha, embed=False))["bytes"] is None
    with pytest.raises(ExportError) as error:
        copies.path_cell(MediaRef(str(tmp_path / "missing.jpg")))
    assert error.value.field == "media_path"


def test_jsonl_writer(tmp_path):
    path, sha = write_jpeg(tmp_path / "src" / "a.jpg", (5, 4))
    with JsonlWriter(tmp_path / "out" / "rows.jsonl", MediaStore(tmp_path / "out", embed=False)) as writer:
        writer.add({"id": "1", "image": MediaRef(path, sha), "frames": [MediaRef(path, sha)], "x": 0.5}, "train")
        writer.add({"id": "2", "image": None, "x": float("inf")})
    lines = [json.loads(line) for line in (tmp_path / "out" / "rows.jsonl").read_text().splitlines()]
    assert lines[0] == {
        "id": "1",
        "image": f"media/{sha[:2]}/{sha}.jpg",
        "frames": [f"media/{sha[:2]}/{sha}.jpg"],
        "x": 0.5,
        "split": "train",
    }
    assert lines[1] == {"id": "2", "image": None, "x": None}
    assert writer.count == 2


def test_images_written_by_the_writer_load(tmp_path):
    path, sha = write_jpeg(tmp_path / "src" / "a.jpg", (9, 7))
    features = Features({"id": Value("string"), "image": Image(), "frames": List(Image())})
    writer = ParquetSplitWriter(tmp_path / "ds", "default", features, 10, media=MediaStore(tmp_path / "ds", embed=True))
    writer.add("train", {"id": "1", "image": MediaRef(path, sha), "frames": [MediaRef(path, sha)] * 2})
    written = writer.close()
    ds = load_dataset(
        "parquet", data_files=str(tmp_path / "ds" / written.splits["train"].files[0]), cache_dir=str(tmp_path / "c")
    )
    row = ds["train"][0]
    assert row["image"].size == (9, 7) and [f.size for f in row["frames"]] == [(9, 7), (9, 7)]


def test_streaming_memory_stays_bounded(tmp_path):
    """20k rows, shards of 2000: the writer's peak (Python) memory is a small fraction of the rows'."""
    features = Features(
        {
            "id": Value("string"),
            "answers": List(Value("int64")),
            "agreement": List(Value("float64")),
            "prompt": Value("string"),
        }
    )

    def rows():
        for i in range(20000):
            yield {
                "id": f"row-{i}",
                "answers": [(i >> k) & 1 for k in range(59)],
                "agreement": [1.0 / (1 + k) for k in range(59)],
                "prompt": f"prompt {i} " + "x" * 200,
            }

    tracemalloc.start()
    everything = list(rows())
    all_rows = tracemalloc.get_traced_memory()[0]
    del everything
    tracemalloc.stop()

    tracemalloc.start()
    writer = ParquetSplitWriter(tmp_path, "default", features, shard_rows=2000, batch_rows=500)
    for index, row in enumerate(rows()):
        writer.add("train" if index % 10 else "test", row)
    written = writer.close()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    assert written.splits["train"].num_examples == 18000 and written.splits["test"].num_examples == 2000
    assert len(written.splits["train"].files) == 9 and len(written.splits["test"].files) == 1
    assert all_rows > 20_000_000, all_rows  # ~ 1 kB of Python objects per row
    assert peak < all_rows / 8, (peak, all_rows)


def test_media_read_through_an_opener_gives_the_same_dataset(tmp_path, checklist, items):
    """Media named as a caller's store names them (not paths), read through ``open_media``: the
    same content hash and files as reading the paths; a name the opener does not know fails."""
    import io
    from pathlib import Path

    store = {f"assets/{item.asset_id}/display.jpg": Path(item.media_path).read_bytes() for item in items}
    named = [replace(item, media_path=f"assets/{item.asset_id}/display.jpg") for item in items]
    reads = []

    def open_media(name: str):
        reads.append(name)
        if name not in store:
            raise FileNotFoundError(name)
        return io.BytesIO(store[name])

    def run(folder, source, opener, **changes):
        return export_dataset(
            folder,
            checklist=checklist,
            settings=settings(**changes),
            items=lambda: iter(source),
            pairs=lambda: iter(make_pairs(source)),
            open_media=opener,
        )

    by_path = run(tmp_path / "paths", items, None, embed_media=False)
    by_name = run(tmp_path / "names", named, open_media, embed_media=False)
    assert by_name.content_hash == by_path.content_hash and sorted(by_name.files) == sorted(by_path.files)
    copied = [rel for rel in by_name.files if rel.startswith("media/")]
    assert copied and all(
        (tmp_path / "names" / rel).read_bytes() == (tmp_path / "paths" / rel).read_bytes() for rel in copied
    )
    embedded = run(tmp_path / "embedded", named, open_media)
    assert embedded.content_hash == by_path.content_hash and set(reads) == set(store)
    lost = [replace(named[0], media_path="assets/none/display.jpg"), *named[1:]]
    with pytest.raises(ExportError, match="assets/none/display.jpg") as error:
        run(tmp_path / "lost", lost, open_media)
    assert error.value.field == "media_path"
