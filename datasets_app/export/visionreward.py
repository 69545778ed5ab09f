"""The VisionRewardDB-compatible configs.

* ``visionreward`` (one row per default-config row, so per asset with the "majority" and
  "gold" rules, per annotation with "all"): ``internal_id`` (the default row's ``id``),
  ``prompt``, ``url``, ``annotation`` (a struct with one int64 per sub-dimension named by its
  ``hf_field``, holding the chosen option code; null where not applicable without a
  not-present option, or unknown), ``meta_result`` / ``meta_mask`` (int64 lists in
  question-file order: our ``answers`` / ``mask``) and ``image`` (Image, first column, as in
  VisionRewardDB-Image) or ``video_path`` (string, first column, as in VisionRewardDB-Video).
* ``regression`` (one row per pairwise task, like VisionRewardDB-Video's ``regression`` and
  ``test`` configs): ``internal_id``, ``prompt``, ``standard_answer``, ``video1_path`` /
  ``video2_path`` for videos; for images the media columns are ``image1`` / ``image2``
  (Image features — the Hub has no image counterpart to copy, this is our choice).

``standard_answer``: the public card only says it is a string; what it holds is not
documented. We write "1" when the first asset is preferred, "2" when the second is and "0"
for a tie, judged on the gold rating when there is one, else on the mean rating (below 3 →
first). This is our documented choice, not a reproduction of the original values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from datasets import Features, Image, List, Value

from annotator.checklist import Checklist

from .items import ExportError, ExportSettings, Item

VISIONREWARD_CONFIG = "visionreward"
REGRESSION_CONFIG = "regression"


def visionreward_features(checklist: Checklist, media_type: str, settings: ExportSettings) -> Features:
    """Columns of the ``visionreward`` config (see the module docstring)."""
    del settings
    fields = [sub.hf_field for sub in checklist.sub_dimensions]
    if len(set(fields)) != len(fields):
        raise ExportError("the checklist's hf_field names are not unique", "checklist")
    if media_type == "image":
        media = {"image": Image()}
    elif media_type == "video":
        media = {"video_path": Value("string")}
    else:
        raise ExportError(f"unknown media type {media_type!r}", "media_type")
    return Features(
        {
            **media,
            "internal_id": Value("string"),
            "prompt": Value("string"),
            "url": Value("string"),
            "annotation": {field: Value("int64") for field in fields},
            "meta_result": List(Value("int64")),
            "meta_mask": List(Value("int64")),
        }
    )


def visionreward_row(item: Item, row: Mapping[str, Any], checklist: Checklist) -> dict[str, Any]:
    """The ``visionreward`` row of one default-config row of ``item``."""
    media = {"image": row["image"]} if item.media_type == "image" else {"video_path": row["video_path"]}
    options = row["options"]
    return {
        **media,
        "internal_id": row["id"],
        "prompt": item.prompt,
        "url": item.url,
        "annotation": {sub.hf_field: options.get(sub.key) for sub in checklist.sub_dimensions},
        "meta_result": list(row["answers"]),
        "meta_mask": list(row["mask"]),
    }


def regression_features(media_type: str) -> Features:
    """Columns of the ``regression`` config."""
    if media_type == "image":
        media = {"image1": Image(), "image2": Image()}
    elif media_type == "video":
        media = {"video1_path": Value("string"), "video2_path": Value("string")}
    else:
        raise ExportError(f"unknown media type {media_type!r}", "media_type")
    return Features(
        {"internal_id": Value("string"), "prompt": Value("string"), "standard_answer": Value("string"), **media}
    )


def regression_row(pair_row_: Mapping[str, Any], media_type: str) -> dict[str, Any]:
    """The ``regression`` row of one ``pairs`` row."""
    if media_type == "image":
        media = {"image1": pair_row_["image_a"], "image2": pair_row_["image_b"]}
    else:
        media = {"video1_path": pair_row_["video_a_path"], "video2_path": pair_row_["video_b_path"]}
    return {
        "internal_id": pair_row_["internal_id"],
        "prompt": pair_row_["prompt"],
        "standard_answer": pair_row_["standard_answer"],
        **media,
    }
