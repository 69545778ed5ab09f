"""The ``datasets.Features`` of every config an export writes.

Media columns:

* images: ``datasets.Image()``. With ``embed_media`` the parquet cell holds the bytes (and the
  file's name, ``<sha256><ext>``, so the format can be told); otherwise the bytes are null and
  ``path`` is relative to the dataset folder (``media/<sha[:2]>/<sha256><ext>``). ``datasets``
  opens such a path relative to the *working directory*, so path-mode datasets are loaded
  with ``Image(decode=False)`` and the paths joined to the folder (the dataset card shows how);
* videos: ``video_path``, a string relative to the dataset folder (as VisionRewardDB-Video),
  the file copied under ``media/``; with ``embed_frames`` also ``frames``, a list of embedded
  images (the sampled frames).
"""

from __future__ import annotations

from datasets import Features, Image, List, Value

from annotator.checklist import Checklist

from .items import ExportError, ExportSettings

DEFAULT_CONFIG = "default"
PAIRS_CONFIG = "pairs"
BALANCED_CONFIG = "balanced_qa"


def _check_media_type(media_type: str) -> None:
    if media_type not in ("image", "video"):
        raise ExportError(f"unknown media type {media_type!r}; use 'image' or 'video'", "media_type")


def media_features(media_type: str, settings: ExportSettings) -> dict:
    """The media columns of a one-asset row."""
    _check_media_type(media_type)
    if media_type == "image":
        return {"image": Image()}
    columns: dict = {"video_path": Value("string")}
    if settings.embed_frames:
        columns["frames"] = List(Image())
    return columns


def features_for(checklist: Checklist, media_type: str, settings: ExportSettings) -> Features:
    """The default config: one row per annotation / asset (see :mod:`.combine`)."""
    _check_media_type(media_type)
    return Features(
        {
            "id": Value("string"),
            "asset_id": Value("int64"),
            "project_id": Value("int64"),
            "prompt": Value("string"),
            "media_type": Value("string"),
            **media_features(media_type, settings),
            "options": {sub.key: Value("int64") for sub in checklist.sub_dimensions},
            "answers": List(Value("int64")),
            "mask": List(Value("int64")),
            "agreement": List(Value("float64")),
            "num_annotations": Value("int64"),
            "annotator": Value("string"),
            "source": Value("string"),
            "state": Value("string"),
            "score": Value("float64"),
            "dimension_scores": {dimension.key: Value("float64") for dimension in checklist.dimensions},
            "metadata": Value("string"),
            "media_sha256": Value("string"),
        }
    )


def pair_media_features(media_type: str, names: tuple[str, str]) -> dict:
    """Two media columns named ``names`` (images) or ``<name>_path`` strings (videos)."""
    _check_media_type(media_type)
    if media_type == "image":
        return {names[0]: Image(), names[1]: Image()}
    return {f"{names[0]}_path": Value("string"), f"{names[1]}_path": Value("string")}


def pair_features(media_type: str, settings: ExportSettings) -> Features:
    """The ``pairs`` config: one row per pairwise task.

    ``ratings``: every rating, 1 (A much better) … 3 (no preference) … 5 (B much better);
    ``preference_mean``: their mean (null without ratings); ``gold_rating``: the reviewer's;
    ``label``: 1.0 when A is preferred, 0.0 when B is, 0.5 for a tie, judged on the gold rating
    when there is one, else on the mean (below 3 → A); ``standard_answer``: the same judgement
    as "1" (first), "2" (second) or "0" (tie) — see :mod:`.visionreward`."""
    del settings  # pairs never embed anything but the images
    return Features(
        {
            "internal_id": Value("string"),
            "project_id": Value("int64"),
            "prompt": Value("string"),
            "asset_a_id": Value("int64"),
            "asset_b_id": Value("int64"),
            **pair_media_features(
                media_type, ("image_a", "image_b") if media_type == "image" else ("video_a", "video_b")
            ),
            "ratings": List(Value("int64")),
            "num_ratings": Value("int64"),
            "gold_rating": Value("int64"),
            "preference_mean": Value("float64"),
            "label": Value("float64"),
            "standard_answer": Value("string"),
        }
    )


def balanced_features(media_type: str, settings: ExportSettings) -> Features:
    """The ``balanced_qa`` config: one binary question about one asset per row."""
    return Features(
        {
            "id": Value("string"),
            "asset_id": Value("int64"),
            "question_key": Value("string"),
            "question": Value("string"),
            "answer": Value("string"),
            "prompt": Value("string"),
            **media_features(media_type, settings),
            "split": Value("string"),
        }
    )
