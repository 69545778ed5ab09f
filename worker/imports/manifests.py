"""Import manifests: a .jsonl (one object per line: file, prompt, metadata) or a .csv (a header
with a ``file`` column; ``prompt``; ``metadata`` as a JSON object; any other column goes into
metadata as a string), read line by line, never whole.

Every problem is reported with its line and where on it: the key for JSONL (``key `prompt```,
``key `metadata.seed```), the column for CSV (``column `prompt```). What the rows may hold is
decided by ``annotator.asset_fields`` (NUL characters, invalid UTF-8, unpaired surrogates,
NaN/Infinity, huge numbers, prompt and metadata size and depth), the same rules as everywhere a
prompt or metadata enters. Lines are read with a bounded ``readline``: a line (or a CSV record)
longer than ``VR_MAX_MANIFEST_LINE_BYTES`` stops the parse with its line number.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from annotator.asset_fields import (
    FieldLimits,
    loads_json,
    metadata_problems,
    prompt_problem,
    shown,
    string_problem,
)

from .archives import human_bytes, normalize

MANIFEST_KEYS = ("file", "prompt", "metadata")
MAX_COLUMNS = 100


@dataclass(frozen=True)
class ManifestLimits:
    max_rows: int = 100_000
    max_line_bytes: int = 1024 * 1024
    fields: FieldLimits = field(default_factory=FieldLimits)

    @classmethod
    def from_settings(cls) -> ManifestLimits:
        from django.conf import settings

        return cls(
            max_rows=int(getattr(settings, "VR_MAX_MANIFEST_ROWS", 0) or cls.max_rows),
            max_line_bytes=int(getattr(settings, "VR_MAX_MANIFEST_LINE_BYTES", 0) or cls.max_line_bytes),
            fields=FieldLimits.from_settings(),
        )


@dataclass
class ManifestRow:
    line: int
    file: str
    prompt: str
    metadata: dict


class _TooLong(Exception):
    def __init__(self, line: int):
        self.line = line


class _NotUtf8(Exception):
    """The file as a whole is not UTF-8 text."""


def _json_type(value) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


def _lines(upload, limits: ManifestLimits):
    """(line number, text) of an uploaded text file. Undecodable bytes become surrogate escapes,
    which the field checks report as "not UTF-8 text" with their key or column."""
    upload.seek(0)
    number = 0
    while True:
        raw = upload.readline(limits.max_line_bytes + 1)
        if not raw:
            return
        number += 1
        if len(raw) > limits.max_line_bytes:
            raise _TooLong(number)
        if number == 1 and raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise _NotUtf8("the file is UTF-16 text; save it as UTF-8")
        text = raw.decode("utf-8", "surrogateescape")
        if number == 1:
            text = text.removeprefix("\ufeff")
        yield number, text


def _too_long(line: int, limits: ManifestLimits) -> str:
    return (
        f"manifest line {line}: longer than the limit of {human_bytes(limits.max_line_bytes)} "
        "(VR_MAX_MANIFEST_LINE_BYTES)"
    )


def _key_path(parent: str, path: str) -> str:
    if not path:
        return parent
    return f"{parent}{path}" if path.startswith("[") else f"{parent}.{path}"


class _Row:
    """Checks of one row. A JSONL row names a value by its key (``key `metadata.seed```), a CSV
    row by its column (``column `metadata`, key `seed```)."""

    def __init__(self, line: int, add: Callable[[str], None], *, csv: bool):
        self.line, self.add, self.csv, self.ok = line, add, csv, True

    def where(self, name: str, path: str = "") -> str:
        if self.csv:
            return f"manifest line {self.line}, column `{name}`" + (f", key `{path}`" if path else "")
        return f"manifest line {self.line}, key `{_key_path(name, path)}`"

    def problem(self, name: str, message: str, path: str = "") -> None:
        self.add(f"{self.where(name, path)}: {message}")
        self.ok = False

    def file(self, value) -> str:
        if value is None or (isinstance(value, str) and not value.strip()):
            self.add(f"manifest line {self.line}: missing `file`")
            self.ok = False
            return ""
        if not isinstance(value, str):
            self.problem("file", "must be a string")
            return ""
        problem = string_problem(value)
        if problem:
            self.problem("file", problem)
            return ""
        return value.strip()

    def prompt(self, value, limits: FieldLimits) -> str:
        if value is None:
            return ""
        problem = prompt_problem(value, limits)
        if problem:
            self.problem("prompt", problem)
            return ""
        return value

    def metadata(self, value, limits: FieldLimits) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem("metadata", f"must be a JSON object, not {_json_type(value)}")
            return {}
        for path, message in metadata_problems(value, limits):
            self.problem("metadata", message, path)
        return value


def _parse_jsonl(upload, add, limits: ManifestLimits) -> list[ManifestRow]:
    rows: list[ManifestRow] = []
    for line, text in _lines(upload, limits):
        if not text.strip():
            continue
        if len(rows) >= limits.max_rows:
            add(f"manifest line {line}: more than {limits.max_rows:,} rows (VR_MAX_MANIFEST_ROWS)")
            break
        try:
            obj = loads_json(text)
        except ValueError as exc:
            add(f"manifest line {line}: bad JSON ({shown(str(exc), 200)})")
            continue
        if not isinstance(obj, dict):
            add(f"manifest line {line}: expected a JSON object, got {_json_type(obj)}")
            continue
        row = _Row(line, add, csv=False)
        unknown = sorted(k for k in obj if k not in MANIFEST_KEYS)
        if unknown:
            names = ", ".join(f"`{shown(k, 40)}`" for k in unknown[:10])
            add(
                f"manifest line {line}: unknown key(s) {names}; allowed: file, prompt, metadata "
                "(put other fields inside `metadata`)"
            )
            row.ok = False
        file_value = row.file(obj.get("file"))
        prompt = row.prompt(obj.get("prompt"), limits.fields)
        metadata = row.metadata(obj.get("metadata"), limits.fields)
        if row.ok:
            rows.append(ManifestRow(line, file_value, prompt, metadata))
    return rows


def _csv_error_column(text: str, field_limit: int) -> int:
    """The index of the field where the csv module stopped on ``text`` (one record, the default
    dialect, strict): an unterminated quote, a character after a closing quote, an unquoted
    carriage return, or a field longer than ``field_limit``."""
    index, length, state, i = 0, 0, "start", 0
    while i < len(text):
        c = text[i]
        if state == "start":
            state = "quoted" if c == '"' else "unquoted"
            if c == '"':
                i += 1
                continue
        if state == "unquoted":
            if c == ",":
                index, length, state = index + 1, 0, "start"
            elif c == "\n":
                return index
            elif c == "\r":
                if text[i + 1 : i + 2] != "\n":
                    return index
            else:
                length += 1
        elif state == "quoted":
            if c == '"':
                if text[i + 1 : i + 2] == '"':
                    i += 1
                    length += 1
                else:
                    state = "closed"
            else:
                length += 1
        elif state == "closed":
            if c == ",":
                index, length, state = index + 1, 0, "start"
            else:
                return index
        if length > field_limit:
            return index
        i += 1
    return index


def _parse_csv(upload, add, limits: ManifestLimits) -> list[ManifestRow]:
    rows: list[ManifestRow] = []
    record: dict = {"start": 1, "text": [], "bytes": 0}

    def lines():
        for number, text in _lines(upload, limits):
            if not record["text"]:
                record["start"] = number
            record["text"].append(text)
            record["bytes"] += len(text.encode("utf-8", "surrogateescape"))
            if record["bytes"] > limits.max_line_bytes:
                raise _TooLong(record["start"])
            yield text

    def next_record():
        record["text"], record["bytes"] = [], 0
        return next(reader, None)

    reader = csv.reader(lines(), strict=True)
    header: list[str] = []
    try:
        cells = next_record()
        if cells is None:
            add("manifest line 1: the file is empty (expected a header with a `file` column)")
            return rows
        header = [h.strip() for h in cells]
        if len(header) > MAX_COLUMNS:
            add(f"manifest line 1: the header has {len(header):,} columns; the limit is {MAX_COLUMNS}")
            return rows
        for number, name in enumerate(header, start=1):
            problem = string_problem(name)
            if problem:
                add(f"manifest line 1, column {number}: the column name {problem}")
                return rows
        if "file" not in header:
            columns = ", ".join(shown(h, 40) for h in header)
            add(f"manifest line 1: the header has no `file` column (columns: {columns})")
            return rows
        duplicated = sorted({h for h in header if header.count(h) > 1})
        if duplicated or "" in header:
            what = ", ".join(f"`{shown(h, 40)}`" for h in duplicated) if duplicated else "an empty name"
            add(f"manifest line 1: the header repeats or misses column names ({what})")
            return rows
        extras = [h for h in header if h not in MANIFEST_KEYS]
        while (cells := next_record()) is not None:
            line = record["start"]
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= limits.max_rows:
                add(f"manifest line {line}: more than {limits.max_rows:,} rows (VR_MAX_MANIFEST_ROWS)")
                break
            if len(cells) > len(header):
                add(f"manifest line {line}: {len(cells)} fields, but the header has {len(header)} columns")
                continue
            values = dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=True))
            row = _Row(line, add, csv=True)
            file_value = row.file(values["file"])
            prompt = row.prompt(values.get("prompt", ""), limits.fields)
            metadata: dict = {}
            raw_metadata = values.get("metadata", "").strip()
            if raw_metadata:
                try:
                    metadata = row.metadata(loads_json(raw_metadata), limits.fields)
                except ValueError as exc:
                    row.problem("metadata", f"not valid JSON ({shown(str(exc), 200)})")
            for column in extras:
                problem = string_problem(values[column])
                if problem:
                    row.problem(column, problem)
            if not row.ok:
                continue
            metadata = {**metadata, **{column: values[column] for column in extras}}
            for _path, message in metadata_problems(metadata, limits.fields):  # only the size is left to check
                columns = (["metadata"] if raw_metadata else []) + extras
                names = ", ".join(f"`{shown(c, 40)}`" for c in columns)
                add(f"manifest line {line}, column{'s' if len(columns) > 1 else ''} {names}: the metadata {message}")
                row.ok = False
            if row.ok:
                rows.append(ManifestRow(line, file_value, prompt, metadata))
    except csv.Error as exc:
        text = "".join(record["text"])
        index = _csv_error_column(text, csv.field_size_limit())
        names = header or []
        column = f"`{shown(names[index], 40)}`" if index < len(names) else str(index + 1)
        message = str(exc)
        if message.startswith("field larger than field limit"):
            message = f"longer than the limit of {csv.field_size_limit():,} characters for one field"
        add(f"manifest line {record['start']}, column {column}: {message}")
    return rows


def parse_manifest(upload, add: Callable[[str], None], limits: ManifestLimits | None = None) -> list[ManifestRow]:
    """The rows of an uploaded manifest; each problem goes to ``add`` (the caller reports them
    together as a 400). Rows naming a file twice are reported on the later line."""
    limits = limits or ManifestLimits.from_settings()
    name = upload.name or "manifest"
    suffix = Path(name).suffix.lower()
    problems: list[str] = []

    def collect(message: str) -> None:
        problems.append(message)
        add(message)

    try:
        if suffix in (".jsonl", ".ndjson"):
            rows = _parse_jsonl(upload, collect, limits)
        elif suffix == ".csv":
            rows = _parse_csv(upload, collect, limits)
        else:
            collect(f"`{shown(name)}` must be a .jsonl or .csv file")
            return []
    except _TooLong as exc:
        collect(_too_long(exc.line, limits))
        return []
    except _NotUtf8 as exc:
        collect(f"manifest line 1: {exc}")
        return []
    first_line: dict[str, int] = {}
    unique: list[ManifestRow] = []
    for row in rows:
        key = normalize(row.file)
        if key in first_line:
            collect(f"manifest line {row.line}: `{shown(row.file)}` is already listed on line {first_line[key]}")
            continue
        first_line[key] = row.line
        unique.append(row)
    if not rows and not problems:
        collect(f"`{shown(name)}` has no rows")
    return unique
