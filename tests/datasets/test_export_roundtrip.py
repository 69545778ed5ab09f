"""Export → load with ``datasets``: configs, features, splits, values, media, the card."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import datasets
import pyarrow.parquet as pq
import pytest
import yaml
from datasets import Features, Image, load_dataset

from annotator.checklist import load_builtin
from datasets_app.export import export_dataset, features_for, read_rows, rows_of, split_of
from datasets_app.export.diff import read_card_header
from datasets_app.export.schema import balanced_features, pair_features
from datasets_app.export.visionreward import regression_features, visionreward_features
from tests.datasets import image_size, make_image_items, make_pairs, make_video_items, settings

WEIGHTS = {"name": "test weights", "coefficients": {"q4": 0.5, "q5": 0.25}, "encoding": "signed"}


@pytest.fixture(scope="module")
def image_checklist():
    return load_builtin("visionreward-image")


@pytest.fixture(scope="module")
def video_checklist():
    return load_builtin("visionreward-video")


@pytest.fixture(scope="module")
def image_items(tmp_path_factory, image_checklist):
    return make_image_items(tmp_path_factory.mktemp("image-src"), image_checklist, 40)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory, image_checklist, image_items):
    folder = tmp_path_factory.mktemp("exports") / "embedded"
    result = export_dataset(
        folder,
        checklist=image_checklist,
        settings=settings(shard_rows=8),
        items=lambda: iter(image_items),
        pairs=lambda: iter(make_pairs(image_items)),
        weights=WEIGHTS,
        provenance={"projects": [{"id": 7, "name": "Cats"}], "dataset_version": 3},
    )
    return folder, result


@pytest.fixture(scope="module")
def path_mode(tmp_path_factory, image_checklist, image_items):
    folder = tmp_path_factory.mktemp("exports") / "paths"
    result = export_dataset(
        folder,
        checklist=image_checklist,
        settings=settings(embed_media=False, combine="all"),
        items=lambda: iter(image_items),
        pairs=lambda: iter(make_pairs(image_items)),
        dataset_name=str(folder),
    )
    return folder, result


def load(folder: Path, cache: Path, config: str | None = None):
    return load_dataset(str(folder), config, cache_dir=str(cache))


def test_default_config_round_trip(embedded, image_checklist, image_items, tmp_path):
    folder, result = embedded
    ds = load(folder, tmp_path)
    expected_splits = [name for name in ("train", "validation", "test") if name in result.configs["default"].splits]
    assert list(ds) == expected_splits
    assert ds["train"].features == features_for(image_checklist, "image", settings())
    total = sum(len(ds[name]) for name in ds)
    assert (
        total
        == result.configs["default"].num_rows
        == sum(1 for item in image_items if rows_of(item, image_checklist, settings()))
    )
    by_id = {item.asset_id: item for item in image_items}
    seen = 0
    for name in ds:
        for row in ds[name].select(range(min(4, len(ds[name])))):
            item = by_id[row["asset_id"]]
            (expected,) = rows_of(item, image_checklist, settings())
            assert name == split_of(item.prompt, settings().split_ratios, settings().seed)
            assert row["id"] == expected["id"]
            assert row["options"] == expected["options"]
            assert row["answers"] == expected["answers"] and row["mask"] == expected["mask"]
            assert row["agreement"] == pytest.approx(expected["agreement"]) if expected["agreement"] else True
            assert row["image"].size == image_size(item.asset_id)
            assert row["media_sha256"] == item.media_sha256
            assert json.loads(row["metadata"]) == item.metadata
            assert row["score"] == pytest.approx(item.score)
            assert row["dimension_scores"] == pytest.approx(item.dimension_scores)
            seen += 1
    assert seen >= 6


def test_parquet_data_files_load_the_same(embedded, image_checklist, tmp_path):
    folder, result = embedded
    data_files = {name: str(folder / "data" / f"{name}-*.parquet") for name in result.configs["default"].splits}
    ds = load_dataset("parquet", data_files=data_files, cache_dir=str(tmp_path))
    assert {name: len(split) for name, split in ds.items()} == {
        name: split.num_examples for name, split in result.configs["default"].splits.items()
    }
    assert ds["train"].features == features_for(image_checklist, "image", settings())
    assert ds["train"][0]["image"].mode == "RGB"


def test_shards_follow_the_hf_convention(embedded):
    folder, result = embedded
    train = result.configs["default"].splits["train"]
    assert train.num_examples > 8  # several shards of 8 rows
    total = len(train.files)
    assert total == -(-train.num_examples // 8)
    assert train.files == [f"data/train-{index:05d}-of-{total:05d}.parquet" for index in range(total)]
    assert [pq.ParquetFile(folder / name).metadata.num_rows for name in train.files][:-1] == [8] * (total - 1)
    assert not list(folder.rglob("*.tmp")) and not list(folder.rglob("*.partial"))
    schema = pq.read_schema(folder / train.files[0])
    assert Features.from_arrow_schema(schema) == features_for(load_builtin("visionreward-image"), "image", settings())


def test_other_configs_load_by_name(embedded, image_checklist, tmp_path):
    folder, result = embedded
    assert set(result.configs) == {"default", "visionreward", "pairs", "regression", "balanced_qa"}
    pairs = load(folder, tmp_path, "pairs")
    assert pairs["train"].features == pair_features("image", settings())
    assert sum(len(split) for split in pairs.values()) == result.configs["pairs"].num_rows
    row = pairs["train"][0]
    assert isinstance(row["image_a"].size, tuple)
    assert row["label"] in (0.0, 0.5, 1.0)
    assert row["standard_answer"] == {1.0: "1", 0.0: "2", 0.5: "0"}[row["label"]]
    vr = load(folder, tmp_path, "visionreward")
    assert vr["train"].features == visionreward_features(image_checklist, "image", settings())
    assert set(vr["train"].features["annotation"]) == {sub.hf_field for sub in image_checklist.sub_dimensions}
    assert all(len(r["meta_result"]) == 59 and len(r["meta_mask"]) == 59 for r in vr["train"])
    assert vr["train"][0]["image"].size[0] > 0
    regression = load(folder, tmp_path, "regression")
    assert regression["train"].features == regression_features("image")
    assert list(regression["train"].features) == ["internal_id", "prompt", "standard_answer", "image1", "image2"]
    balanced = load(folder, tmp_path, "balanced_qa")
    assert balanced["train"].features == balanced_features("image", settings())
    assert {row["answer"] for row in balanced["train"]} == {"yes", "no"}
    assert all(row["split"] == name for name in balanced for row in balanced[name].select_columns(["split"]))


def test_no_prompt_straddles_splits(embedded, path_mode):
    for folder, _ in (embedded, path_mode):
        split_of_prompt: dict[str, set[str]] = {}
        for config in ("default", "pairs", "balanced_qa", "visionreward"):
            for row in read_rows(folder, config):
                split_of_prompt.setdefault(row["prompt"], set()).add(row["split"])
        assert len(split_of_prompt) > 5
        assert all(len(splits) == 1 for splits in split_of_prompt.values()), split_of_prompt
        assert len(set().union(*split_of_prompt.values())) > 1  # several splits in use


def test_visionreward_layout_matches_default_rows(embedded, image_checklist):
    folder, _ = embedded
    default = {row["id"]: row for row in read_rows(folder)}
    for row in read_rows(folder, "visionreward"):
        source = default[row["internal_id"]]
        assert row["meta_result"] == source["answers"] and row["meta_mask"] == source["mask"]
        assert row["annotation"] == {sub.hf_field: source["options"][sub.key] for sub in image_checklist.sub_dimensions}
        assert row["split"] == source["split"]


def test_card_matches_the_data(embedded, image_checklist, tmp_path):
    folder, result = embedded
    text = (folder / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    header = yaml.safe_load(text.split("---\n")[1])
    assert header == read_card_header(folder)
    assert header["pretty_name"] == "Test export" and header["license"] == "other"
    assert "visual-question-answering" in header["task_categories"]
    configs = {entry["config_name"]: entry for entry in header["configs"]}
    infos = {entry["config_name"]: entry for entry in header["dataset_info"]}
    assert set(configs) == set(infos) == set(result.configs)
    assert configs["default"]["default"] is True
    for name, written in result.configs.items():
        assert [f["split"] for f in configs[name]["data_files"]] == list(written.splits)
        assert {s["name"]: s["num_examples"] for s in infos[name]["splits"]} == {
            split: info.num_examples for split, info in written.splits.items()
        }
        assert Features._from_yaml_list(infos[name]["features"]) == written.features
        # every glob matches exactly the written files, whose schema has the declared columns
        for data_file in configs[name]["data_files"]:
            matched = sorted(p.relative_to(folder).as_posix() for p in folder.glob(data_file["path"]))
            assert matched == written.splits[data_file["split"]].files
            schema = pq.read_schema(folder / matched[0])
            assert schema.names == [f["name"] for f in infos[name]["features"]]
    assert json.loads((folder / "checklist.json").read_text()) == image_checklist.to_dict()
    assert json.loads((folder / "weights.json").read_text()) == WEIGHTS
    assert result.content_hash in text
    assert image_checklist.content_hash() in text
    assert "Cats (id 7)" in text and "test weights" in text and "VisionReward" in text and "Apache-2.0" in text
    # load_dataset verifies the card's num_examples against the data
    ds = load(folder, tmp_path)
    assert {name: len(split) for name, split in ds.items()} == {
        s["name"]: s["num_examples"] for s in infos["default"]["splits"]
    }


def test_path_mode_loads_as_documented(path_mode, image_checklist, image_items, tmp_path, monkeypatch):
    folder, result = path_mode
    assert not (folder / "weights.json").exists()
    files = list((folder / "media").rglob("*.jpg"))
    exported = {item.media_sha256 for item in image_items if item.annotations or item.gold is not None}
    rated = [pair for pair in make_pairs(image_items) if pair.ratings or pair.gold is not None]
    paired = {
        item.media_sha256 for item in image_items for pair in rated if item.asset_id in (pair.asset_a, pair.asset_b)
    }
    assert sorted(f.stem for f in files) == sorted(exported | paired)  # each copied once, named by sha256
    assert all(f.parent.name == f.stem[:2] for f in files)
    assert (folder / "annotations.jsonl").exists()
    text = (folder / "README.md").read_text()
    assert 'cast_column("image", Image(decode=False))' in text
    # the documented recipe
    root = str(folder.resolve())
    ds = load_dataset(root, split="train", cache_dir=str(tmp_path)).cast_column("image", Image(decode=False))
    first = ds[0]["image"]
    assert first["bytes"] is None and first["path"].startswith("media/")
    assert os.path.isfile(os.path.join(root, first["path"]))
    ds = ds.map(lambda row: {"image": {"path": os.path.join(root, row["image"]["path"]), "bytes": None}})
    ds = ds.cast_column("image", Image())
    by_id = {item.asset_id: item for item in image_items}
    for row in ds.select(range(min(5, len(ds)))):
        assert row["image"].size == image_size(row["asset_id"])
        assert row["media_sha256"] == by_id[row["asset_id"]].media_sha256
    # rule "all": one row per annotation plus gold rows
    expected = sum(len(item.annotations) + (item.gold is not None) for item in image_items)
    assert result.configs["default"].num_rows == expected
    # the card's own snippet, run as written
    text = (folder / "README.md").read_text()
    snippet = next(block for block in text.split("```python")[1:] if "Image(decode=False)" in block).split("```")[0]
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "card-cache"))
    namespace: dict = {}
    exec(snippet, namespace)  # noqa: S102 - our own generated documentation
    assert namespace["ds"][0]["image"].size == image_size(namespace["ds"][0]["asset_id"])
    pairs = load_dataset(root, "pairs", split="train", cache_dir=str(tmp_path))
    pairs = pairs.cast_column("image_a", Image(decode=False)).cast_column("image_b", Image(decode=False))
    assert pairs[0]["image_a"]["path"].startswith("media/") and pairs[0]["image_b"]["bytes"] is None


def test_jsonl_mirrors_the_default_config(path_mode):
    folder, result = path_mode
    lines = (folder / "annotations.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == result.jsonl_rows == result.configs["default"].num_rows
    record = json.loads(lines[0])
    assert record["image"].startswith("media/") and (folder / record["image"]).is_file()
    assert record["split"] in ("train", "validation", "test")
    ids = [row["id"] for row in read_rows(folder)]
    assert sorted(json.loads(line)["id"] for line in lines) == sorted(ids)


def test_video_export(tmp_path, video_checklist):
    items = make_video_items(tmp_path / "src", video_checklist, 10)
    folder = tmp_path / "video"
    result = export_dataset(
        folder,
        checklist=video_checklist,
        settings=settings(embed_frames=True, split_ratios={"train": 1.0}),
        items=lambda: iter(items),
        pairs=lambda: iter(make_pairs(items)),
    )
    assert set(result.configs) == {"default", "visionreward", "pairs", "regression", "balanced_qa"}
    ds = load(folder, tmp_path / "cache")
    row = ds["train"][0]
    item = next(i for i in items if i.asset_id == row["asset_id"])
    assert row["video_path"].startswith("media/")
    assert (folder / row["video_path"]).read_bytes() == Path(item.media_path).read_bytes()
    assert [frame.size for frame in row["frames"]] == [(6, 4), (7, 4), (8, 4)]
    vr = load(folder, tmp_path / "cache", "visionreward")["train"]
    assert list(vr.features)[0] == "video_path"
    assert set(vr.features["annotation"]) == {sub.hf_field for sub in video_checklist.sub_dimensions}
    assert all(len(r) == 64 for r in vr["meta_result"]) and all(len(r) == 64 for r in vr["meta_mask"])
    regression = load(folder, tmp_path / "cache", "regression")["train"]
    assert list(regression.features) == ["internal_id", "prompt", "standard_answer", "video1_path", "video2_path"]
    assert all((folder / path).is_file() for path in regression["video1_path"])
    header = read_card_header(folder)
    assert "video-classification" in header["task_categories"]
    assert "sampled frames" in (folder / "README.md").read_text()
    assert (folder / "annotations.jsonl").exists()  # videos: no extra copies, so written by default


def test_progress_and_summary(tmp_path, image_checklist):
    items = make_image_items(tmp_path / "src", image_checklist, 2001, seed=1, max_annotations=1, gold_every=10**6)
    small = [replace(item, media_path=items[0].media_path, media_sha256=items[0].media_sha256) for item in items]
    calls = []
    result = export_dataset(
        tmp_path / "out",
        checklist=image_checklist,
        settings=settings(balanced_cap=None),
        items=lambda: iter(small),
        include_visionreward=False,
        progress=lambda stage, n: calls.append((stage, n)),
    )
    assert calls == [("items", 1000), ("items", 2000)]
    assert set(result.configs) == {"default"}
    summary = result.to_dict()
    assert summary["num_rows"]["default"] == sum(1 for item in small if item.annotations)
    assert summary["stats"]["items"] == 2001 and summary["stats"]["gold"] == 0
    assert json.loads(json.dumps(summary)) == summary
    assert len(list((tmp_path / "out").rglob("*.jpg"))) == 0  # embedded, nothing copied


def test_not_empty_folder_is_refused(tmp_path, image_checklist):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x").write_text("x")
    from datasets_app.export import ExportError

    with pytest.raises(ExportError) as error:
        export_dataset(tmp_path / "out", checklist=image_checklist, settings=settings(), items=lambda: iter(()))
    assert error.value.field == "folder"


def test_missing_media_fails_cleanly(tmp_path, image_checklist):
    from datasets_app.export import ExportError

    items = make_image_items(tmp_path / "src", image_checklist, 3, gold_every=1)
    items[1] = replace(items[1], media_path=str(tmp_path / "gone.jpg"))
    with pytest.raises(ExportError, match="media file not found") as error:
        export_dataset(tmp_path / "out", checklist=image_checklist, settings=settings(), items=lambda: iter(items))
    assert error.value.field == "media_path"
    assert not list((tmp_path / "out").rglob("*.parquet")) and not list((tmp_path / "out").rglob("*.tmp"))
