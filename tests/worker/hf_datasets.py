"""Small Hugging Face datasets built offline for the dataset import tests (and the browser test)."""

from __future__ import annotations

import io
import os
from pathlib import Path

from .conftest import png_bytes


def tiny_png(seed: int) -> bytes:
    """A distinct 2x2 PNG per seed (distinct content: no row is a duplicate of another)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), (seed % 256, (seed // 256) % 256, (seed // 65536) % 256)).save(buffer, "PNG")
    return buffer.getvalue()


def image_dataset(rows: int, *, broken: set[int] = frozenset(), image=tiny_png):
    import datasets

    features = datasets.Features(
        {
            "image": datasets.Image(),
            "caption": datasets.Value("string"),
            "seed": datasets.Value("int64"),
            "model": datasets.Value("string"),
        }
    )
    return datasets.Dataset.from_dict(
        {
            "image": [
                {"bytes": b"not an image" if i in broken else image(i), "path": f"img{i}.png"} for i in range(rows)
            ],
            "caption": [f"prompt {i % 7}" for i in range(rows)],
            "seed": list(range(rows)),
            "model": ["sdxl" if i % 2 else "flux" for i in range(rows)],
        },
        features=features,
    )


def parquet_folder(dataset, folder: Path, *, split: str = "train") -> Path:
    """A dataset repository's layout: ``data/<split>-00000-of-00001.parquet``."""
    (folder / "data").mkdir(parents=True, exist_ok=True)
    dataset.to_parquet(str(folder / "data" / f"{split}-00000-of-00001.parquet"))
    return folder


def hub_cache(dataset, cache: Path, repo_id: str, commit: str = "0" * 40) -> Path:
    """``repo_id`` as the Hugging Face cache holds a downloaded dataset repository (refs/main, a
    snapshot whose files link to blobs), so that a Hub id is read the way a cached one is."""
    repo = cache / f"datasets--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / commit
    blobs = repo / "blobs"
    blobs.mkdir(parents=True, exist_ok=True)
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    staged = parquet_folder(dataset, cache / f"staged-{repo_id.replace('/', '--')}")
    for path in staged.rglob("*.parquet"):
        blob = blobs / f"blob-{path.name}"
        path.rename(blob)
        target = snapshot / path.relative_to(staged)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.relpath(blob, target.parent), target)
    return snapshot


def pair_dataset(rows: int):
    """Pick-a-Pic style rows: caption, jpg_0, jpg_1, label_0, label_1 (row 2 repeats row 0's
    first image; row 3 is a tie)."""
    import datasets

    features = datasets.Features(
        {
            "caption": datasets.Value("string"),
            "jpg_0": datasets.Image(),
            "jpg_1": datasets.Image(),
            "label_0": datasets.Value("float64"),
            "label_1": datasets.Value("float64"),
            "user_id": datasets.Value("int64"),
        }
    )
    label_0 = [1.0, 0.0, 1.0, 0.5] + [float(i % 2) for i in range(4, rows)]
    first = [tiny_png(1000 + (0 if i == 2 else i)) for i in range(rows)]
    return datasets.Dataset.from_dict(
        {
            "caption": ["a red cube" if i in (0, 2) else f"prompt {i}" for i in range(rows)],
            "jpg_0": [{"bytes": b, "path": None} for b in first],
            "jpg_1": [{"bytes": tiny_png(2000 + i), "path": None} for i in range(rows)],
            "label_0": label_0[:rows],
            "label_1": [1.0 - v if v != 0.5 else 0.5 for v in label_0[:rows]],
            "user_id": [7 * i for i in range(rows)],
        },
        features=features,
    )


__all__ = ["hub_cache", "image_dataset", "pair_dataset", "parquet_folder", "png_bytes", "tiny_png"]
