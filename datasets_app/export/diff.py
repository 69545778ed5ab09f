"""Compare two dataset versions row by row (streamed, media bytes never read).

:func:`read_rows` reads one config of an exported folder with pyarrow, batch by batch, leaving
out media columns that hold bytes (Image features and lists of them) and adding the row's
``split``. :func:`diff_versions` matches rows by ``id`` and reports what changed.
"""

from __future__ import annotations

import glob
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from annotator.checklist import checklist_from_dict

from .writers import config_dir

_SHARD_RE = re.compile(r"^(?P<split>[a-z0-9_]+)-\d{5}-of-\d{5}\.parquet$")


def read_card_header(folder: str | os.PathLike) -> dict[str, Any]:
    """The YAML front matter of ``<folder>/README.md`` (``{}`` when there is none)."""
    path = Path(folder) / "README.md"
    if not path.exists():
        return {}
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return {}
    end = text.find("\n---", 3)
    if end < 0:
        return {}
    return yaml.safe_load(text[3:end]) or {}


def config_files(folder: str | os.PathLike, config: str = "default") -> list[tuple[str, str]]:
    """(split, absolute parquet path) of a config: from the card's ``configs`` when present,
    else every ``<split>-NNNNN-of-NNNNN.parquet`` in the config's folder."""
    folder = Path(folder)
    header = read_card_header(folder)
    for entry in header.get("configs") or []:
        if entry.get("config_name") != config:
            continue
        files: list[tuple[str, str]] = []
        for data_file in entry.get("data_files") or []:
            patterns = data_file["path"] if isinstance(data_file["path"], list) else [data_file["path"]]
            for pattern in patterns:
                for path in sorted(glob.glob(str(folder / pattern))):
                    files.append((data_file["split"], path))
        return files
    files = []
    for path in sorted((folder / config_dir(config)).glob("*.parquet")):
        match = _SHARD_RE.match(path.name)
        if match:
            files.append((match["split"], str(path)))
    if not files:
        raise FileNotFoundError(f"no parquet files for config {config!r} in {folder}")
    return files


def _holds_bytes(data_type: pa.DataType) -> bool:
    if pa.types.is_binary(data_type) or pa.types.is_large_binary(data_type):
        return True
    if pa.types.is_struct(data_type):
        return any(_holds_bytes(data_type.field(i).type) for i in range(data_type.num_fields))
    if pa.types.is_list(data_type) or pa.types.is_large_list(data_type) or pa.types.is_fixed_size_list(data_type):
        return _holds_bytes(data_type.value_type)
    return False


def read_rows(
    folder: str | os.PathLike, config: str = "default", batch_size: int = 1000, with_media_paths: bool = False
) -> Iterator[dict[str, Any]]:
    """Stream the rows of one config, without the columns that hold media bytes (with
    ``with_media_paths`` an Image column is read as its ``path`` only), plus ``split``."""
    for split, path in config_files(folder, config):
        parquet = pq.ParquetFile(path)
        schema = parquet.schema_arrow
        columns = [name for name in schema.names if not _holds_bytes(schema.field(name).type)]
        media = [
            name
            for name in schema.names
            if with_media_paths
            and pa.types.is_struct(schema.field(name).type)
            and schema.field(name).type.get_field_index("path") >= 0
            and name not in columns
        ]
        selected = columns + [f"{name}.path" for name in media]  # the path leaf only, never the bytes
        for batch in parquet.iter_batches(batch_size=batch_size, columns=selected):
            for row in batch.to_pylist():
                for name in media:
                    row[name] = row[name]["path"] if row[name] is not None else None
                row["split"] = split
                yield row


def _answers_key(values: Any) -> tuple:
    return tuple(values or ())


def diff_versions(
    rows_a: Iterable[Mapping[str, Any]],
    rows_b: Iterable[Mapping[str, Any]],
    max_examples: int = 20,
    question_keys: list[str] | None = None,
) -> dict[str, Any]:
    """Differences from version A to version B, rows matched by ``id``.

    Returns ``rows_a``, ``rows_b``; ``added`` / ``removed`` (ids only in B / only in A),
    ``changed`` (same id, different ``answers`` or ``mask``; each example lists the question
    keys that differ), ``moved_split`` (same id, other split), ``unchanged`` — each with
    ``count`` and up to ``max_examples`` ``examples`` in reading order — and ``questions``:
    per question key, the number of applicable *yes* answers in A and in B, their difference
    (B − A) and how many matched rows changed on it. Question keys default to ``q1``, ``q2``, …
    (position order). Holds one small tuple per row of A, never media.
    """
    index: dict[str, tuple[Any, tuple, tuple]] = {}
    yes_a: list[int] = []
    yes_b: list[int] = []
    changed_on: list[int] = []

    def count_yes(counts: list[int], answers: tuple, mask: tuple) -> None:
        if len(counts) < len(answers):
            counts.extend([0] * (len(answers) - len(counts)))
        for position, (answer, applicable) in enumerate(zip(answers, mask, strict=False)):
            if applicable and answer == 1:
                counts[position] += 1

    n_a = 0
    for row in rows_a:
        n_a += 1
        answers, mask = _answers_key(row.get("answers")), _answers_key(row.get("mask"))
        index[str(row["id"])] = (row.get("split"), answers, mask)
        count_yes(yes_a, answers, mask)

    def key_of(position: int) -> str:
        if question_keys is not None and position < len(question_keys):
            return question_keys[position]
        return f"q{position + 1}"

    added: list[str] = []
    changed: list[dict[str, Any]] = []
    moved: list[dict[str, Any]] = []
    counts = {"added": 0, "changed": 0, "moved_split": 0, "unchanged": 0}
    n_b = 0
    for row in rows_b:
        n_b += 1
        row_id = str(row["id"])
        answers, mask = _answers_key(row.get("answers")), _answers_key(row.get("mask"))
        count_yes(yes_b, answers, mask)
        previous = index.pop(row_id, None)
        if previous is None:
            counts["added"] += 1
            if len(added) < max_examples:
                added.append(row_id)
            continue
        split_a, answers_a, mask_a = previous
        if split_a != row.get("split"):
            counts["moved_split"] += 1
            if len(moved) < max_examples:
                moved.append({"id": row_id, "from": split_a, "to": row.get("split")})
        length = max(len(answers), len(answers_a), len(mask), len(mask_a))
        differing = [
            position
            for position in range(length)
            if _at(answers, position) != _at(answers_a, position) or _at(mask, position) != _at(mask_a, position)
        ]
        if differing:
            counts["changed"] += 1
            if len(changed_on) < length:
                changed_on.extend([0] * (length - len(changed_on)))
            for position in differing:
                changed_on[position] += 1
            if len(changed) < max_examples:
                changed.append({"id": row_id, "questions": [key_of(position) for position in differing]})
        else:
            counts["unchanged"] += 1
    removed = list(index)
    width = max(len(yes_a), len(yes_b), len(changed_on))
    return {
        "rows_a": n_a,
        "rows_b": n_b,
        "added": {"count": counts["added"], "examples": added},
        "removed": {"count": len(removed), "examples": removed[:max_examples]},
        "changed": {"count": counts["changed"], "examples": changed},
        "moved_split": {"count": counts["moved_split"], "examples": moved},
        "unchanged": counts["unchanged"],
        "questions": {
            key_of(position): {
                "yes_a": _at(yes_a, position) or 0,
                "yes_b": _at(yes_b, position) or 0,
                "diff": (_at(yes_b, position) or 0) - (_at(yes_a, position) or 0),
                "changed": _at(changed_on, position) or 0,
            }
            for position in range(width)
        },
    }


def _at(values: tuple | list, position: int) -> Any:
    return values[position] if position < len(values) else None


def diff_folders(
    folder_a: str | os.PathLike, folder_b: str | os.PathLike, config: str = "default", max_examples: int = 20
) -> dict[str, Any]:
    """:func:`diff_versions` of one config of two exported folders, with the question keys of
    B's ``checklist.json`` when present."""
    keys = None
    checklist_path = Path(folder_b) / "checklist.json"
    if checklist_path.exists():
        keys = list(checklist_from_dict(json.loads(checklist_path.read_text(encoding="utf-8"))).question_keys)
    return diff_versions(
        read_rows(folder_a, config), read_rows(folder_b, config), max_examples=max_examples, question_keys=keys
    )
