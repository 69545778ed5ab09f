"""Versioned dataset exports in Hugging Face ``datasets`` format — the pure library.

No Django and no database: the export job builds :class:`Item` / :class:`PairItem` values from
the database (in a deterministic order) and calls :func:`export_dataset`, or the pieces:

* :mod:`.items` — the input dataclasses and :class:`ExportSettings`;
* :mod:`.combine` — rows of one item under the combine rules ("all", "majority", "gold"), pair
  rows, agreement summary;
* :mod:`.splits` — split by prompt (:func:`split_of`);
* :mod:`.schema` — ``datasets.Features`` of every config;
* :mod:`.writers` — streaming parquet / JSON-lines writers, media copying, the content hash;
* :mod:`.card` — README.md with the YAML header, ``checklist.json``, ``weights.json``;
* :mod:`.visionreward` — the VisionRewardDB-compatible ``visionreward`` / ``regression`` configs;
* :mod:`.balanced` — the per-question yes/no balanced ``balanced_qa`` config;
* :mod:`.diff` — read an exported folder back and compare two versions;
* :mod:`.build` — :func:`export_dataset`, everything together.
"""

from .balanced import BalancedPlan, BalancedPlanner, balanced_rows
from .build import ExportResult, export_dataset
from .card import dataset_card, write_card_files
from .combine import AgreementSummary, Vote, majority_vote, pair_row, rows_of
from .diff import diff_folders, diff_versions, read_rows
from .items import Answers, ExportError, ExportSettings, Item, MediaRef, PairItem
from .schema import balanced_features, features_for, pair_features
from .splits import split_of
from .visionreward import regression_features, regression_row, visionreward_features, visionreward_row
from .writers import (
    ContentHasher,
    FileDigests,
    JsonlWriter,
    MediaOpener,
    MediaStore,
    ParquetSplitWriter,
    WrittenConfig,
    WrittenSplit,
)

__all__ = [
    "AgreementSummary",
    "Answers",
    "BalancedPlan",
    "BalancedPlanner",
    "ExportError",
    "ExportResult",
    "ExportSettings",
    "FileDigests",
    "Item",
    "JsonlWriter",
    "MediaOpener",
    "MediaRef",
    "MediaStore",
    "PairItem",
    "ParquetSplitWriter",
    "ContentHasher",
    "Vote",
    "WrittenConfig",
    "WrittenSplit",
    "balanced_features",
    "balanced_rows",
    "dataset_card",
    "diff_folders",
    "diff_versions",
    "export_dataset",
    "features_for",
    "majority_vote",
    "pair_features",
    "pair_row",
    "read_rows",
    "regression_features",
    "regression_row",
    "rows_of",
    "split_of",
    "visionreward_features",
    "visionreward_row",
    "write_card_files",
]
