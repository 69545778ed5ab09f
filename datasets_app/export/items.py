"""The plain data an export is built from (no Django, no database).

The Django side reads the database (in a deterministic order, by asset id) and hands these
frozen dataclasses to the export library; everything else in :mod:`datasets_app.export` is a
pure function of them, the checklist, the settings and the weight set.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

COMBINE_RULES = ("all", "majority", "gold")
ANSWER_STATES = ("submitted", "reviewed", "gold")
MEDIA_TYPES = ("image", "video")
SPLIT_NAME_RE = re.compile(r"^[a-z0-9_]+$")
LICENSE_RE = re.compile(r"^[a-z0-9][a-z0-9.+\-]*$")
RATIO_TOLERANCE = 1e-6


class ExportError(ValueError):
    """A bad input to an export; ``field`` names the setting or item field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class MediaRef:
    """A media file to export: ``source`` is its absolute path on this machine (or a name the
    export's ``open_media`` reader opens, e.g. a storage name on an object store), ``sha256`` its
    content hash when known (computed from the file otherwise). ``embed`` forces embedding
    (``True``) or a copied file (``False``); ``None`` follows the export's ``embed_media``."""

    source: str
    sha256: str | None = None
    embed: bool | None = None


@dataclass(frozen=True)
class Answers:
    """One set of checklist answers for one asset: the chosen ``options`` (sub-dimension key →
    option code, ``None`` where not applicable) and the derived binary ``answers`` and
    applicability ``mask`` in question-position order. ``state``: "submitted", "reviewed" or
    "gold" (a reviewer's reference answer). ``late``: a late extra (submitted after its lease
    lapsed and its slot went to someone else), exported only with ``include_late``."""

    annotation_id: int | None
    annotator: str
    options: dict[str, int | None]
    answers: tuple[int, ...]
    mask: tuple[int, ...]
    state: str
    late: bool = False


@dataclass(frozen=True)
class Item:
    """One asset with all its annotations.

    ``media_path``: absolute path of the file to export (the display image or the browser
    video); ``frame_paths``: absolute paths of sampled video frames (may be empty). Either may
    instead be a name the export's ``open_media`` reader opens (a storage name on an object store).
    ``annotations``: the raters' answers (gold excluded); ``gold``: the reviewer's reference
    answer, if any. ``score`` / ``dimension_scores``: from the weight set used for the export
    (``None`` when none). ``metadata``: any JSON-serialisable extra facts about the asset."""

    asset_id: int
    project_id: int
    prompt: str
    media_type: str
    media_path: str
    media_sha256: str
    frame_paths: tuple[str, ...] = ()
    url: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    annotations: tuple[Answers, ...] = ()
    gold: Answers | None = None
    score: float | None = None
    dimension_scores: dict[str, float] | None = None


@dataclass(frozen=True)
class PairItem:
    """One pairwise task: two assets of one prompt rated 1 (A much better) … 3 (no preference)
    … 5 (B much better) by several people (``ratings``), optionally with a reviewer's ``gold``
    rating on the same scale. ``media_a`` / ``media_b``: absolute paths of the files."""

    task_id: int
    project_id: int
    prompt: str
    asset_a: int
    asset_b: int
    media_a: str
    media_b: str
    ratings: tuple[int, ...] = ()
    gold: int | None = None
    late_ratings: tuple[int, ...] = ()  # ratings of late extras: counted only with ``include_late``


@dataclass(frozen=True)
class ExportSettings:
    """How to build a dataset version.

    * ``combine``: "all" (one row per annotation, gold as its own row), "majority" (one row per
      asset, majority vote per question) or "gold" (the reviewer's answer where present, the
      majority row otherwise); see :mod:`datasets_app.export.combine`.
    * ``split_ratios``: split name → share, in order; names ``[a-z0-9_]+``, shares > 0 that sum
      to 1; see :func:`datasets_app.export.splits.split_of`.
    * ``seed``: salts the split assignment and the balanced subset's sampling.
    * ``embed_media``: image bytes inside the parquet files (``True``) or files copied under
      ``media/`` and referenced by a path relative to the dataset folder (``False``).
      Videos are never embedded (``video_path``, as in VisionRewardDB-Video).
    * ``embed_frames``: for videos, a ``frames`` column with the sampled frames embedded.
    * ``shard_rows``: rows per parquet shard.
    * ``balanced_cap``: per question, at most this many *yes* and as many *no* rows in the
      ``balanced_qa`` config; ``None`` leaves the config out.
    * ``include_late``: whether late extras (annotations submitted after their lease lapsed and
      their slot went to someone else: beyond the task's k) count; see
      :func:`datasets_app.export.combine.counted`.
    """

    combine: str = "majority"
    split_ratios: dict[str, float] = field(default_factory=lambda: {"train": 0.8, "validation": 0.1, "test": 0.1})
    seed: int = 0
    embed_media: bool = True
    embed_frames: bool = False
    shard_rows: int = 10000
    balanced_cap: int | None = 1000
    license: str = "other"
    include_late: bool = False
    pretty_name: str = "VisionReward annotations"
    description: str = ""

    def validate(self) -> None:
        """Raise :class:`ExportError` naming the first bad field."""
        if self.combine not in COMBINE_RULES:
            raise ExportError(
                f"unknown combine rule {self.combine!r}; use one of {', '.join(COMBINE_RULES)}", "combine"
            )
        validate_split_ratios(self.split_ratios)
        if not _is_int(self.seed):
            raise ExportError(f"must be an integer (got {self.seed!r})", "seed")
        for name in ("embed_media", "embed_frames", "include_late"):
            if not isinstance(getattr(self, name), bool):
                raise ExportError(f"must be true or false (got {getattr(self, name)!r})", name)
        if not _is_int(self.shard_rows) or self.shard_rows < 1:
            raise ExportError(f"must be a positive integer (got {self.shard_rows!r})", "shard_rows")
        if self.balanced_cap is not None and (not _is_int(self.balanced_cap) or self.balanced_cap < 1):
            raise ExportError(f"must be a positive integer or null (got {self.balanced_cap!r})", "balanced_cap")
        if not isinstance(self.license, str) or not LICENSE_RE.match(self.license):
            raise ExportError(
                f"must be a Hub license identifier such as 'apache-2.0', 'cc-by-4.0' or 'other' (got {self.license!r})",
                "license",
            )
        if not isinstance(self.pretty_name, str) or not self.pretty_name.strip():
            raise ExportError("must be a non-empty string", "pretty_name")
        if "\n" in self.pretty_name:
            raise ExportError("must be a single line", "pretty_name")
        if not isinstance(self.description, str):
            raise ExportError("must be a string", "description")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_split_ratios(ratios: object) -> None:
    """Split names ``[a-z0-9_]+``, shares finite and > 0, summing to 1 (± 1e-6); raises
    :class:`ExportError` with ``field="split_ratios"``."""
    if not isinstance(ratios, Mapping) or not ratios:
        raise ExportError("must be a non-empty mapping of split name to share", "split_ratios")
    total = 0.0
    for name, share in ratios.items():
        if not isinstance(name, str) or not SPLIT_NAME_RE.match(name):
            raise ExportError(f"split name {name!r} must match [a-z0-9_]+", "split_ratios")
        if isinstance(share, bool) or not isinstance(share, int | float) or not math.isfinite(share) or share <= 0:
            raise ExportError(f"share of {name!r} must be a number > 0 (got {share!r})", "split_ratios")
        total += share
    if abs(total - 1.0) > RATIO_TOLERANCE:
        raise ExportError(f"shares must sum to 1 (they sum to {total:g})", "split_ratios")
