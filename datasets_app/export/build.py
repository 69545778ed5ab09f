"""One export, end to end: items (and pairs) in, a Hugging Face dataset folder out.

:func:`export_dataset` is what the export job calls. It streams: pass 1 over the items writes
the ``default`` and ``visionreward`` configs (and the JSON lines) and plans the balanced
subset, one pass over the pairs writes ``pairs`` and ``regression``, and pass 2 over the same
items (``items`` is a callable so it can be iterated twice, in the same order) writes
``balanced_qa``. Then the card, ``checklist.json`` and ``weights.json``.

Folder layout::

    README.md                 dataset card (YAML header: configs, dataset_info)
    checklist.json            checklist.to_dict()
    weights.json              the weight set (absent when none)
    annotations.jsonl         default config as JSON lines (see ``write_jsonl``)
    data/<split>-0000N-of-0000M.parquet           config "default"
    visionreward/<split>-…    regression/<split>-…    pairs/<split>-…    balanced_qa/<split>-…
    media/<sha[:2]>/<sha256><ext>                 path-mode images, videos

The content hash covers the checklist's content hash, the weight set, every row of the primary
configs (``default`` and ``pairs``, per split in row order), media by the sha256 of their
content, and the settings the derived configs (``visionreward``, ``regression``,
``balanced_qa``) are computed from (see :class:`~datasets_app.export.writers.ContentHasher`).

Items come either one by one (``items``) or column-wise in batches (``item_batches``, see
:mod:`datasets_app.export.columnar`): then a batch that the vectorised majority rules cover, in
an export with no item-by-item consumer (``visionreward``, ``balanced_qa``, JSON lines), is
written as whole columns; any other batch goes item by item. Both give the same rows.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from annotator.checklist import Checklist

from .balanced import BalancedPlanner, balanced_rows, qa_source_row
from .card import dataset_card, write_card_files
from .columnar import ItemBatch, batch_splits, majority_batches, majority_columns, summarize_batch
from .combine import AgreementSummary, counted, counted_pair, pair_row, rows_of
from .items import ExportError, ExportSettings, Item, PairItem
from .schema import BALANCED_CONFIG, DEFAULT_CONFIG, PAIRS_CONFIG, balanced_features, features_for, pair_features
from .splits import splitter
from .visionreward import (
    REGRESSION_CONFIG,
    VISIONREWARD_CONFIG,
    regression_features,
    regression_row,
    visionreward_features,
    visionreward_row,
)
from .writers import (
    DEFAULT_BATCH_ROWS,
    ContentHasher,
    FileDigests,
    JsonlWriter,
    MediaOpener,
    MediaStore,
    ParquetSplitWriter,
    WrittenConfig,
)

JSONL_NAME = "annotations.jsonl"
HASHED_CONFIGS = frozenset({DEFAULT_CONFIG, PAIRS_CONFIG})
Progress = Callable[[str, int], None]


@dataclass
class ExportResult:
    """What an export wrote: the content hash, each config's splits, the agreement summary,
    per-question k of ``balanced_qa``, the JSON-lines row count and every file (relative)."""

    folder: str
    content_hash: str
    configs: dict[str, WrittenConfig]
    stats: dict[str, Any]
    balanced: dict[str, int] | None = None
    jsonl_rows: int | None = None
    files: list[str] = field(default_factory=list)

    @property
    def num_rows(self) -> dict[str, int]:
        return {name: config.num_rows for name, config in self.configs.items()}

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary (for the dataset version row)."""
        return {
            "content_hash": self.content_hash,
            "configs": {
                name: {
                    split.name: {"num_examples": split.num_examples, "files": split.files, "num_bytes": split.num_bytes}
                    for split in config.splits.values()
                }
                for name, config in self.configs.items()
            },
            "num_rows": self.num_rows,
            "stats": self.stats,
            "balanced": self.balanced,
            "jsonl_rows": self.jsonl_rows,
            "files": len(self.files),
        }


def _prepare_folder(folder: Path) -> None:
    if folder.exists() and any(folder.iterdir()):
        raise ExportError(f"{folder} is not empty; export into a new folder", "folder")
    folder.mkdir(parents=True, exist_ok=True)


def export_dataset(
    folder: str | os.PathLike,
    *,
    checklist: Checklist,
    settings: ExportSettings,
    items: Callable[[], Iterable[Item]] | None = None,
    pairs: Callable[[], Iterable[PairItem]] | None = None,
    weights: Mapping[str, Any] | None = None,
    provenance: Mapping[str, Any] | None = None,
    write_jsonl: bool | None = None,
    include_visionreward: bool = True,
    progress: Progress | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    dataset_name: str | None = None,
    open_media: MediaOpener | None = None,
    item_batches: Callable[[], Iterable[ItemBatch]] | None = None,
) -> ExportResult:
    """Write a complete dataset folder (layout in the module docstring) and return what was
    written. ``folder`` must be new or empty (publish it atomically afterwards).

    ``items`` / ``pairs``: callables returning the items / pairs in a deterministic order (by
    asset id / task id); ``items`` is called twice when the balanced subset is on.
    ``item_batches``: instead of ``items``, a callable returning the same items as
    :class:`~datasets_app.export.columnar.ItemBatch` values (see the module docstring).
    ``weights``: the weight set dict behind the scores (``weights.json``), or ``None``.
    ``write_jsonl``: write ``annotations.jsonl``; ``None`` (default) writes it only when it costs
    no extra media copies (videos, or images not embedded). ``progress(stage, n)`` is called
    every 1000 items / pairs. ``dataset_name``: how the card's loading examples name the dataset
    (the published folder or a Hub repo id; a placeholder by default, since ``folder`` is
    usually a temporary folder renamed on publish). ``open_media``: how a media source (an
    item's ``media_path``, ``frame_paths``, a pair's ``media_a`` / ``media_b``) is opened for
    reading; by default it is a path on this host (an object store's caller passes a reader).
    """
    settings.validate()
    if (items is None) == (item_batches is None):
        raise TypeError("pass exactly one of items and item_batches")
    if checklist.media_type not in ("image", "video"):
        raise ExportError(f"unknown media type {checklist.media_type!r}", "media_type")
    media_type = checklist.media_type
    folder = Path(folder)
    _prepare_folder(folder)
    if write_jsonl is None:
        write_jsonl = media_type == "video" or not settings.embed_media

    digests = FileDigests(open_media)
    media = MediaStore(folder, embed=settings.embed_media, digests=digests)
    hasher = ContentHasher()
    hasher.update_meta("checklist", checklist.content_hash())
    hasher.update_meta("weights", dict(weights) if weights is not None else None)
    order = list(settings.split_ratios)
    split_of = splitter(settings.split_ratios, settings.seed)

    def writer(name: str, features) -> ParquetSplitWriter:
        return ParquetSplitWriter(
            folder,
            name,
            features,
            settings.shard_rows,
            media=media,
            split_order=order,
            batch_rows=batch_rows,
            hasher=hasher if name in HASHED_CONFIGS else None,
        )

    writers: dict[str, ParquetSplitWriter] = {
        DEFAULT_CONFIG: writer(DEFAULT_CONFIG, features_for(checklist, media_type, settings))
    }
    if include_visionreward:
        writers[VISIONREWARD_CONFIG] = writer(
            VISIONREWARD_CONFIG, visionreward_features(checklist, media_type, settings)
        )
    if pairs is not None:
        writers[PAIRS_CONFIG] = writer(PAIRS_CONFIG, pair_features(media_type, settings))
        if include_visionreward:
            writers[REGRESSION_CONFIG] = writer(REGRESSION_CONFIG, regression_features(media_type))
    planner = (
        BalancedPlanner(checklist, settings.balanced_cap, settings.seed) if settings.balanced_cap is not None else None
    )
    if planner is not None:
        writers[BALANCED_CONFIG] = writer(BALANCED_CONFIG, balanced_features(media_type, settings))
    jsonl = JsonlWriter(folder / JSONL_NAME, MediaStore(folder, embed=False, digests=digests)) if write_jsonl else None
    stats = AgreementSummary(checklist)

    # The hash covers the primary rows (default, pairs) and the settings the derived configs
    # depend on; visionreward / regression / balanced_qa are functions of those, so hashing
    # their rows again would only cost time (the balanced subset alone can be 10× the items).
    hasher.update_meta(
        "derived",
        {
            "visionreward": include_visionreward,
            "balanced_cap": settings.balanced_cap,
            "seed": settings.seed,
            "embed_frames": settings.embed_frames,
        },
    )

    # late extras count only when the settings say so (pure: datasets_app.export.combine.counted)
    source_items, source_pairs = items, pairs
    if source_items is None:

        def source_items() -> Iterable[Item]:
            return (item for batch in item_batches() for item in batch.items())

    def items() -> Iterable[Item]:
        return (counted(item, settings) for item in source_items())

    if source_pairs is not None:

        def pairs() -> Iterable[PairItem]:
            return (counted_pair(pair, settings) for pair in source_pairs())

    def emit(config: str, split: str, row: dict) -> None:
        writers[config].add(split, row)  # hashed as written (primary configs)

    def one_item(item: Item) -> None:
        rows = rows_of(item, checklist, settings)  # checks the item first: a clear error, not an IndexError
        stats.add(item)
        if rows:
            split = split_of(item.prompt)
            for row in rows:
                emit(DEFAULT_CONFIG, split, row)
                if jsonl is not None:
                    jsonl.add(row, split)
                if include_visionreward:
                    emit(VISIONREWARD_CONFIG, split, visionreward_row(item, row, checklist))
            if planner is not None:
                source = qa_source_row(item, checklist, settings, rows)
                if source is not None:
                    planner.observe(item.asset_id, source["answers"], source["mask"])

    column_wise = not include_visionreward and planner is None and jsonl is None

    def one_batch(batch: ItemBatch) -> None:
        columns = majority_columns(batch, checklist, settings) if column_wise else None
        if columns is None:
            for item in batch.items():
                one_item(counted(item, settings))
            return
        summarize_batch(stats, batch, columns)
        if not columns.rows.size:
            return
        default = writers[DEFAULT_CONFIG]
        names, codes = batch_splits(batch, columns.rows, split_of)
        order = np.argsort(codes, kind="stable")  # rows of one split together, in their order
        for part, record in majority_batches(
            batch, columns, checklist, default.schema, media, default.batch_bytes, order=order
        ):
            part_codes = codes[part]
            bounds = [0, *(np.flatnonzero(np.diff(part_codes)) + 1).tolist(), len(part)]
            for start, end in zip(bounds, bounds[1:], strict=False):
                default.add_batch(names[part_codes[start]], record.slice(start, end - start))

    try:
        if item_batches is not None:
            count = 0
            for batch in item_batches():
                one_batch(batch)
                before, count = count, count + len(batch)
                if progress is not None and count // 1000 > before // 1000:
                    progress("items", count)
        else:
            for count, item in enumerate(items(), start=1):
                one_item(item)
                if progress is not None and count % 1000 == 0:
                    progress("items", count)
        if pairs is not None:
            for count, pair in enumerate(pairs(), start=1):
                row = pair_row(pair, media_type)
                if row is not None:
                    split = split_of(pair.prompt)
                    emit(PAIRS_CONFIG, split, row)
                    if include_visionreward:
                        emit(REGRESSION_CONFIG, split, regression_row(row, media_type))
                if progress is not None and count % 1000 == 0:
                    progress("pairs", count)
        plan = planner.plan() if planner is not None else None
        if plan is not None and plan.num_rows:
            for count, item in enumerate(items(), start=1):
                if plan.for_asset(item.asset_id):
                    split = split_of(item.prompt)
                    for row in balanced_rows(item, plan, checklist, settings, split):
                        emit(BALANCED_CONFIG, split, row)
                if progress is not None and count % 1000 == 0:
                    progress("balanced", count)
        configs = {name: w.close() for name, w in writers.items()}
    except BaseException:
        for w in writers.values():
            w.abort()
        if jsonl is not None:
            jsonl.close()
        raise
    jsonl_rows = jsonl.close() if jsonl is not None else None
    content_hash = hasher.hexdigest()
    summary = stats.to_dict()
    card = dataset_card(
        settings=settings,
        checklist=checklist,
        configs=list(configs.values()),
        provenance=provenance,
        weights=weights,
        stats=summary,
        content_hash=content_hash,
        balanced=plan.per_question if plan is not None else None,
        dataset_name=dataset_name or "path/to/this/folder",
    )
    write_card_files(folder, card, checklist, weights)
    files = sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())
    return ExportResult(
        folder=str(folder),
        content_hash=content_hash,
        configs={name: config for name, config in configs.items() if config.splits},
        stats=summary,
        balanced=plan.per_question if plan is not None else None,
        jsonl_rows=jsonl_rows,
        files=files,
    )
