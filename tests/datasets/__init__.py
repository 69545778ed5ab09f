"""Tests of the pure dataset-export library (no database). Builders of small, valid items."""

from __future__ import annotations

import hashlib
import io
import os
import random
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import datasets  # noqa: E402
from PIL import Image as PILImage  # noqa: E402

from annotator.checklist import Checklist, expand  # noqa: E402
from datasets_app.export import Answers, ExportSettings, Item, PairItem  # noqa: E402
from tests.checklist.helpers import random_option_set  # noqa: E402

datasets.disable_progress_bars()

PROMPTS = [f"prompt number {index}: a cat on a {color} sofa" for index, color in enumerate(["red", "blue"] * 20)]


def write_jpeg(path: Path, size: tuple[int, int], color: tuple[int, int, int] = (200, 30, 30)) -> tuple[str, str]:
    """A real JPEG file; returns (absolute path, sha256)."""
    buffer = io.BytesIO()
    PILImage.new("RGB", size, color).save(buffer, "JPEG", quality=80)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return str(path.resolve()), hashlib.sha256(buffer.getvalue()).hexdigest()


def write_bytes(path: Path, data: bytes) -> tuple[str, str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return str(path.resolve()), hashlib.sha256(data).hexdigest()


def answers_for(
    checklist: Checklist,
    options: dict,
    annotation_id: int | None = 1,
    annotator: str = "ann1",
    state: str = "submitted",
) -> Answers:
    """Valid answers from chosen options (via ``expand``)."""
    expansion = expand(checklist, options)
    return Answers(annotation_id, annotator, dict(expansion.options), expansion.answers, expansion.mask, state)


def image_size(asset_id: int) -> tuple[int, int]:
    return 8 + asset_id % 7, 6 + asset_id % 5


def make_image_items(
    root: Path,
    checklist: Checklist,
    n_items: int,
    seed: int = 0,
    n_prompts: int = 12,
    max_annotations: int = 3,
    gold_every: int = 4,
) -> list[Item]:
    """Image items with 0..max_annotations random annotations each, a gold answer every
    ``gold_every`` items, real JPEG files of distinct sizes, prompts shared by several assets."""
    rng = random.Random(seed)
    items = []
    next_annotation = 1
    for asset_id in range(1, n_items + 1):
        path, sha = write_jpeg(root / "src" / f"asset{asset_id}.jpg", image_size(asset_id), (asset_id % 255, 80, 160))
        annotations = []
        for k in range(rng.randint(1 if asset_id % 5 else 0, max_annotations)):
            annotations.append(
                answers_for(checklist, random_option_set(checklist, rng), next_annotation, f"ann{k + 1}")
            )
            next_annotation += 1
        gold = None
        if asset_id % gold_every == 0:
            gold = answers_for(checklist, random_option_set(checklist, rng), None, "reviewer", "gold")
        items.append(
            Item(
                asset_id=asset_id,
                project_id=7,
                prompt=PROMPTS[asset_id % n_prompts],
                media_type="image",
                media_path=path,
                media_sha256=sha,
                url=f"https://example.org/{asset_id}.jpg",
                metadata={"model": "sdxl", "seed": asset_id},
                annotations=tuple(annotations),
                gold=gold,
                score=round(rng.uniform(-3, 3), 6),
                dimension_scores={d.key: round(rng.uniform(-1, 1), 6) for d in checklist.dimensions},
            )
        )
    return items


def make_video_items(root: Path, checklist: Checklist, n_items: int, seed: int = 0, n_frames: int = 3) -> list[Item]:
    """Video items: a tiny byte file as the video and small JPEG frames."""
    rng = random.Random(seed)
    items = []
    for asset_id in range(1, n_items + 1):
        path, sha = write_bytes(root / "src" / f"video{asset_id}.mp4", b"\x00\x00\x00\x18ftypmp42" + bytes([asset_id]))
        frames = tuple(
            write_jpeg(root / "src" / f"video{asset_id}-f{index}.jpg", (6 + index, 4), (index * 40, asset_id, 90))[0]
            for index in range(n_frames)
        )
        annotations = tuple(
            answers_for(checklist, random_option_set(checklist, rng), asset_id * 10 + k, f"ann{k + 1}")
            for k in range(rng.randint(1, 3))
        )
        items.append(
            Item(
                asset_id=asset_id,
                project_id=3,
                prompt=PROMPTS[asset_id % 6],
                media_type="video",
                media_path=path,
                media_sha256=sha,
                frame_paths=frames,
                url="",
                metadata={},
                annotations=annotations,
            )
        )
    return items


def make_pairs(items: list[Item], seed: int = 0) -> list[PairItem]:
    """Pairs of consecutive assets sharing a prompt, with random ratings (some with gold)."""
    rng = random.Random(seed)
    by_prompt: dict[str, list[Item]] = {}
    for item in items:
        by_prompt.setdefault(item.prompt, []).append(item)
    pairs = []
    task_id = 100
    for group in by_prompt.values():
        for a, b in zip(group, group[1:], strict=False):
            task_id += 1
            ratings = tuple(rng.randint(1, 5) for _ in range(rng.randint(0, 3)))
            gold = rng.randint(1, 5) if task_id % 3 == 0 else None
            pairs.append(
                PairItem(
                    task_id, a.project_id, a.prompt, a.asset_id, b.asset_id, a.media_path, b.media_path, ratings, gold
                )
            )
    return pairs


def settings(**changes) -> ExportSettings:
    base = {
        "combine": "majority",
        "split_ratios": {"train": 0.6, "validation": 0.2, "test": 0.2},
        "seed": 13,
        "embed_media": True,
        "embed_frames": False,
        "shard_rows": 10000,
        "balanced_cap": 5,
        "pretty_name": "Test export",
        "description": "Made by the tests.",
    }
    base.update(changes)
    return ExportSettings(**base)
