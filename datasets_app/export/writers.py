"""Streaming writers: parquet shards per split, JSON lines, media files and the content hash.

Nothing here holds a dataset in memory: rows are buffered per split in small batches (at most
``batch_rows`` rows or ``batch_bytes`` of embedded media) and written as parquet row groups to
the split's current shard; a shard is closed every ``shard_rows`` rows.

Layout (the dataset card's ``configs`` declare exactly this):

* config ``default``: ``data/<split>-0000N-of-0000M.parquet``;
* any other config ``<name>``: ``<name>/<split>-0000N-of-0000M.parquet``;
* media files (path mode, and videos always): ``media/<sha[:2]>/<sha256><ext>``, each copied
  once (the two-character folders keep every folder well under the Hub's 10k files limit).

Splits without rows get no file and are left out of the card (``datasets`` cannot load a
declared split without data).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
import os
import queue
import shutil
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from datasets import Features, Image, List, Value

from .items import SPLIT_NAME_RE, ExportError, MediaRef

MEDIA_DIR = "media"
DEFAULT_BATCH_ROWS = 1000
DEFAULT_BATCH_BYTES = 64 * 1024 * 1024
_CHUNK = 1024 * 1024


def config_dir(config_name: str) -> str:
    """Folder of a config's parquet files: ``data`` for ``default``, else the config name."""
    return "data" if config_name == "default" else config_name


# How a media file is opened for reading: ``MediaRef.source`` → a binary reader. The default opens
# it as a path on this host; a caller whose media lives elsewhere (an object store) passes its own,
# which raises FileNotFoundError for a file that is not there.
MediaOpener = Callable[[str], BinaryIO]


def open_path(source: str) -> BinaryIO:
    return open(source, "rb")  # noqa: SIM115 - the caller closes it


def file_sha256(path: str | os.PathLike, opener: MediaOpener = open_path) -> str:
    digest = hashlib.sha256()
    with opener(path) as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class FileDigests:
    """sha256 of media files, remembered by path: the one the caller vouched for
    (``MediaRef.sha256``), one recorded while the file was read for embedding or copying, or
    computed from the file on demand. ``opener`` reads a source (a path on this host by
    default); the :class:`MediaStore` sharing these digests reads through it too."""

    def __init__(self, opener: MediaOpener | None = None) -> None:
        self._cache: dict[str, str] = {}
        self.opener: MediaOpener = opener or open_path

    def known(self, ref: MediaRef) -> str | None:
        return ref.sha256 or self._cache.get(ref.source)

    def record(self, source: str, sha: str) -> None:
        self._cache[source] = sha

    def __call__(self, ref: MediaRef) -> str:
        sha = self.known(ref)
        if sha is None:
            try:
                sha = self._cache[ref.source] = file_sha256(ref.source, self.opener)
            except (FileNotFoundError, IsADirectoryError):
                raise ExportError(f"media file not found: {ref.source!r}", "media_path") from None
        return sha


def _missing(ref: MediaRef) -> ExportError:
    return ExportError(f"media file not found: {ref.source!r}", "media_path")


class MediaStore:
    """Turns :class:`MediaRef` values into what the files hold.

    ``image_cell``: an Image cell, ``{"bytes": <file bytes>, "path": "<sha><ext>"}`` when
    embedded, else ``{"bytes": None, "path": "media/<sha[:2]>/<sha><ext>"}`` with the file
    copied there; ``path_cell``: the relative path of the copied file (videos, JSON lines).
    Embedding follows ``MediaRef.embed`` when set, ``embed`` otherwise. Files are named by the
    sha256 of their content, computed while they are read (each file is read once). Sources are
    read through ``digests.opener`` (paths on this host unless the caller said otherwise)."""

    def __init__(self, folder: str | os.PathLike, embed: bool, digests: FileDigests | None = None):
        self.folder = Path(folder)
        self.embed = embed
        self.digests = digests or FileDigests()
        self._copied: set[str] = set()
        self._last_read: tuple[str | None, bytes] = (None, b"")
        self._last_cell: tuple[str | None, str] = (None, "")
        self.copied_files = 0
        self.copied_bytes = 0

    @staticmethod
    def extension(source: str) -> str:
        return os.path.splitext(source)[1].lower()  # not Path(): this runs once per row

    def _relative(self, sha: str, source: str) -> str:
        return f"{MEDIA_DIR}/{sha[:2]}/{sha}{self.extension(source)}"

    def _copy_hashing(self, ref: MediaRef) -> str:
        """Copy the file into ``media/`` while hashing it; returns its relative path."""
        staging = self.folder / MEDIA_DIR / f".incoming-{os.getpid()}-{self.copied_files}.partial"
        staging.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        try:
            with self.digests.opener(ref.source) as source, open(staging, "wb") as target:
                while chunk := source.read(_CHUNK):
                    digest.update(chunk)
                    target.write(chunk)
        except (FileNotFoundError, IsADirectoryError):
            staging.unlink(missing_ok=True)
            raise _missing(ref) from None
        sha = digest.hexdigest()
        self.digests.record(ref.source, sha)
        relative = self._relative(sha, ref.source)
        final = self.folder / relative
        if final.exists():
            staging.unlink()
        else:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging, final)
            self.copied_files += 1
            self.copied_bytes += final.stat().st_size
        return relative

    def path_cell(self, ref: MediaRef) -> str:
        sha = self.digests.known(ref)
        if sha is None:
            relative = self._copy_hashing(ref)
            self._copied.add(relative)
            return relative
        relative = self._relative(sha, ref.source)
        if relative not in self._copied:
            target = self.folder / relative
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                partial = target.with_name(target.name + ".partial")
                try:
                    if self.digests.opener is open_path:  # a path on this host: the kernel's copy
                        if not os.path.isfile(ref.source):
                            raise FileNotFoundError(ref.source)
                        shutil.copyfile(ref.source, partial)
                    else:
                        with self.digests.opener(ref.source) as source, open(partial, "wb") as out:
                            shutil.copyfileobj(source, out, _CHUNK)
                except (FileNotFoundError, IsADirectoryError):
                    partial.unlink(missing_ok=True)
                    raise _missing(ref) from None
                os.replace(partial, target)
                self.copied_files += 1
                self.copied_bytes += target.stat().st_size
            self._copied.add(relative)
        return relative

    def image_cell(self, ref: MediaRef) -> dict[str, Any]:
        embed = self.embed if ref.embed is None else ref.embed
        if not embed:
            return {"bytes": None, "path": self.path_cell(ref)}
        if self._last_read[0] == ref.source:  # rows of one asset come together (e.g. balanced_qa)
            data = self._last_read[1]
            if self._last_cell[0] == ref.source:  # and so does its cell: no digest or name again
                return {"bytes": data, "path": self._last_cell[1]}
        else:
            try:
                with self.digests.opener(ref.source) as handle:
                    data = handle.read()
            except (FileNotFoundError, IsADirectoryError):
                raise _missing(ref) from None
            self._last_read = (ref.source, data)
        sha = self.digests.known(ref)
        if sha is None:
            sha = hashlib.sha256(data).hexdigest()
            self.digests.record(ref.source, sha)
        path = f"{sha}{self.extension(ref.source)}"
        self._last_cell = (ref.source, path)
        return {"bytes": data, "path": path}


def _column_encoder(feature: Any, media: MediaStore | None) -> Callable[[Any], Any] | None:
    """How to encode one column's value: MediaRef → Image cell or relative path; else as is."""

    def need_media() -> MediaStore:
        if media is None:
            raise ExportError("a MediaStore is needed to write media columns", "media_path")
        return media

    if isinstance(feature, Image):

        def encode_image(value: Any) -> Any:
            return need_media().image_cell(value) if isinstance(value, MediaRef) else value

        return encode_image
    if isinstance(feature, List) and isinstance(feature.feature, Image):

        def encode_images(value: Any) -> Any:
            if value is None:
                return None
            return [need_media().image_cell(v) if isinstance(v, MediaRef) else v for v in value]

        return encode_images
    if isinstance(feature, Value) and feature.dtype == "string":

        def encode_path(value: Any) -> Any:
            return need_media().path_cell(value) if isinstance(value, MediaRef) else value

        return encode_path
    return None


def _embedded_bytes(row: Mapping[str, Any], columns: Sequence[str]) -> int:
    total = 0
    for name in columns:
        value = row.get(name)
        cells = value if isinstance(value, list) else [value]
        for cell in cells:
            if isinstance(cell, dict) and isinstance(cell.get("bytes"), bytes | bytearray):
                total += len(cell["bytes"])
    return total


@dataclass
class WrittenSplit:
    """One split of one config as written: row count, files (relative to the dataset folder)
    and their total size on disk."""

    name: str
    num_examples: int
    files: list[str]
    num_bytes: int


@dataclass
class WrittenConfig:
    """One config as written (what the dataset card declares)."""

    name: str
    data_dir: str
    features: Features
    splits: dict[str, WrittenSplit] = field(default_factory=dict)

    @property
    def num_rows(self) -> int:
        return sum(split.num_examples for split in self.splits.values())

    def data_files(self) -> list[dict[str, str]]:
        """The card's ``data_files`` entries: one glob per split."""
        return [{"split": name, "path": f"{self.data_dir}/{name}-*.parquet"} for name in self.splits]


@dataclass
class _SplitState:
    buffer: list[dict] = field(default_factory=list)
    pending: list[pa.RecordBatch] = field(default_factory=list)  # from add_batch, not yet written
    pending_rows: int = 0
    buffered_bytes: int = 0
    writer: pq.ParquetWriter | None = None  # the background's: the open shard's writer
    shard_open: bool = False  # whether the last shard is open (as the caller's thread sees it)
    shard_rows: int = 0
    parts: list[Path] = field(default_factory=list)
    rows: int = 0


class Background:
    """One worker thread that runs the calls given to :meth:`submit` in order, at most
    ``depth`` of them waiting: the caller goes on building the next batch while the last one
    is hashed and encoded (sha256 and Arrow's parquet writer release the GIL). An error in a
    call stops the rest and is raised in the caller's thread by the next ``submit`` or by
    :meth:`join`; :meth:`cancel` drops what is waiting and stops the thread."""

    def __init__(self, depth: int = 1, name: str = "export-writer") -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._cancelled = False
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            call = self._queue.get()
            if call is None:
                return
            if self._error is None and not self._cancelled:
                try:
                    call()
                except BaseException as error:  # raised again in the caller's thread
                    self._error = error

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            self._cancelled = True
            raise error

    def submit(self, call: Callable[[], Any]) -> None:
        self._raise()
        self._queue.put(call)

    def join(self) -> None:
        """Wait for every call submitted; raises the first error of one."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        self._raise()

    def cancel(self) -> None:
        self._cancelled = True
        if self._thread.is_alive():
            while True:  # make room for the stop, dropping what waits
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break
            self._queue.put(None)
            self._thread.join()
        self._error = None


class ParquetSplitWriter:
    """Writes one config's rows, split by split, as HF-style parquet shards.

    ``add(split, row)`` encodes the row's media (with ``media``) and buffers it; full batches
    go to the split's current shard as a record batch (one parquet row group) with the
    features' arrow schema, whose ``huggingface`` metadata makes the features round-trip.
    ``add_batch(split, batch)`` appends a record batch built column-wise (media already
    encoded). ``close()`` renames the shards ``<split>-0000N-of-0000M.parquet`` and returns the
    :class:`WrittenConfig`; splits appear in ``split_order`` first, then in order of first row.
    With ``hasher`` (a :class:`ContentHasher`) every batch written is also hashed. Hashing and
    parquet encoding run in two :class:`Background` threads, each a batch behind the caller,
    each in the order written (so the files and the hash are the same as without them); their
    errors come out of the next ``add`` / ``add_batch`` or of ``close``.
    """

    def __init__(
        self,
        folder: str | os.PathLike,
        config_name: str,
        features: Features,
        shard_rows: int,
        media: MediaStore | None = None,
        split_order: Sequence[str] = (),
        batch_rows: int = DEFAULT_BATCH_ROWS,
        batch_bytes: int = DEFAULT_BATCH_BYTES,
        hasher: ContentHasher | None = None,
    ):
        if shard_rows < 1:
            raise ExportError("must be a positive integer", "shard_rows")
        self.folder = Path(folder)
        self.config_name = config_name
        self.features = features
        self.schema = features.arrow_schema
        self.shard_rows = shard_rows
        self.hasher = hasher
        self.batch_rows = max(1, batch_rows)
        self.batch_bytes = batch_bytes
        self.data_dir = config_dir(config_name)
        self._order = list(split_order)
        self._splits: dict[str, _SplitState] = {}
        self._encoders = [
            (name, encoder) for name, feature in features.items() if (encoder := _column_encoder(feature, media))
        ]
        self._media_columns = [
            name
            for name, feature in features.items()
            if isinstance(feature, Image) or (isinstance(feature, List) and isinstance(feature.feature, Image))
        ]
        self._closed = False
        self._background: dict[str, Background] = {}

    def _submit(self, call: Callable[[], Any], lane: str = "export-writer") -> None:
        """Runs ``call`` in the lane's background thread, after the lane's calls before it."""
        background = self._background.get(lane)
        if background is None:
            background = self._background[lane] = Background(name=lane)
        background.submit(call)

    def add(self, split: str, row: Mapping[str, Any]) -> None:
        if self._closed:
            raise RuntimeError("writer is closed")
        if not SPLIT_NAME_RE.match(split):
            raise ExportError(f"split name {split!r} must match [a-z0-9_]+", "split_ratios")
        state = self._splits.get(split)
        if state is None:
            state = self._splits[split] = _SplitState()
        encoded = dict(row)
        for name, encoder in self._encoders:
            value = encoded.get(name)
            if value is not None and value.__class__ is not str:  # plain strings need no encoding
                encoded[name] = encoder(value)
        state.buffer.append(encoded)
        if self._media_columns:
            state.buffered_bytes += _embedded_bytes(encoded, self._media_columns)
        if (
            len(state.buffer) + state.pending_rows >= self.batch_rows
            or state.buffered_bytes >= self.batch_bytes
            or state.shard_rows + len(state.buffer) + state.pending_rows >= self.shard_rows
        ):
            self._flush(split, state)

    def add_batch(self, split: str, batch: pa.RecordBatch) -> None:
        """Append a record batch already in this config's arrow schema (media encoded) to
        ``split``: the column-wise way in. Row groups end where ``add`` would end them (every
        ``batch_rows`` rows, ``batch_bytes`` of embedded media, a shard's end), so the files
        come out the same either way."""
        if self._closed:
            raise RuntimeError("writer is closed")
        if not SPLIT_NAME_RE.match(split):
            raise ExportError(f"split name {split!r} must match [a-z0-9_]+", "split_ratios")
        if batch.schema != self.schema:
            batch = pa.RecordBatch.from_arrays(batch.columns, schema=self.schema)
        state = self._splits.get(split)
        if state is None:
            state = self._splits[split] = _SplitState()
        if state.buffer:  # rows added one by one before this batch stay before it
            state.pending.append(pa.RecordBatch.from_pylist(state.buffer, schema=self.schema))
            state.pending_rows += len(state.buffer)
            state.buffer = []
        sizes = self._row_bytes(batch)
        start, total = 0, batch.num_rows
        while start < total:
            limit = min(self.batch_rows, self.shard_rows - state.shard_rows)
            rows = max(1, limit - state.pending_rows)
            reached = np.flatnonzero(np.cumsum(sizes[start : start + rows]) + state.buffered_bytes >= self.batch_bytes)
            if reached.size:
                rows, full = int(reached[0]) + 1, True
            else:
                full = start + rows <= total
                rows = min(rows, total - start)
            state.pending.append(batch.slice(start, rows))
            state.pending_rows += rows
            state.buffered_bytes += int(sizes[start : start + rows].sum())
            start += rows
            if full:
                self._flush(split, state)

    def _row_bytes(self, batch: pa.RecordBatch) -> np.ndarray:
        """Embedded media bytes per row (what ``add`` counts toward ``batch_bytes``)."""
        sizes = np.zeros(batch.num_rows, dtype=np.int64)
        for name in self._media_columns:
            column = batch.column(name)
            if isinstance(self.features[name], Image):
                data = column.flatten()[0]
                sizes += pc.fill_null(pc.binary_length(data), 0).to_numpy(zero_copy_only=False)
            else:  # a list of images: per row, the sum over its cells
                cells = column.flatten()
                lengths = pc.fill_null(pc.binary_length(cells.flatten()[0]), 0).to_numpy(zero_copy_only=False)
                parents = pc.list_parent_indices(column).to_numpy(zero_copy_only=False)
                sizes += np.bincount(parents, weights=lengths, minlength=batch.num_rows).astype(np.int64)
        return sizes

    def _flush(self, split: str, state: _SplitState) -> None:
        batches = state.pending
        if state.buffer:
            batches.append(pa.RecordBatch.from_pylist(state.buffer, schema=self.schema))
            state.buffer = []
        state.pending, state.pending_rows, state.buffered_bytes = [], 0, 0
        if len(batches) == 1:
            self._write(split, state, batches[0])
        elif batches:
            table = pa.Table.from_batches(batches, schema=self.schema).combine_chunks()
            self._write(split, state, table.to_batches()[0])

    def _write(self, split: str, state: _SplitState, batch: pa.RecordBatch) -> None:
        """Plans the batch's shards here (so ``add`` / ``add_batch`` see the counts at once);
        hashing, encoding and closing shards go to the background, in order."""
        if self.hasher is not None:
            update = functools.partial(self.hasher.update_batch, self.config_name, split, self.features, batch)
            self._submit(update, "export-hasher")
        start = 0
        while start < batch.num_rows:
            room = self.shard_rows - state.shard_rows
            chunk = batch.slice(start, room)
            if not state.shard_open:
                part = self.folder / self.data_dir / f".{split}.part{len(state.parts):05d}.parquet.tmp"
                state.parts.append(part)
                state.shard_open = True
                self._submit(functools.partial(self._open_shard, state, part))
            self._submit(functools.partial(self._write_chunk, state, chunk))
            start += chunk.num_rows
            state.shard_rows += chunk.num_rows
            state.rows += chunk.num_rows
            if state.shard_rows >= self.shard_rows:
                self._submit(functools.partial(self._close_shard, state))
                state.shard_open, state.shard_rows = False, 0

    def _open_shard(self, state: _SplitState, part: Path) -> None:
        part.parent.mkdir(parents=True, exist_ok=True)
        state.writer = pq.ParquetWriter(part, self.schema)

    @staticmethod
    def _write_chunk(state: _SplitState, chunk: pa.RecordBatch) -> None:
        state.writer.write_batch(chunk)

    @staticmethod
    def _close_shard(state: _SplitState) -> None:
        if state.writer is not None:
            state.writer.close()
            state.writer = None

    def close(self) -> WrittenConfig:
        """Flush, close and rename every shard; returns what was written."""
        if self._closed:
            raise RuntimeError("writer is closed")
        self._closed = True
        config = WrittenConfig(self.config_name, self.data_dir, self.features)
        names = [name for name in self._order if name in self._splits]
        names += [name for name in self._splits if name not in names]
        try:
            for name in names:
                state = self._splits[name]
                self._flush(name, state)
                if state.shard_open:
                    self._submit(functools.partial(self._close_shard, state))
                    state.shard_open = False
            for background in self._background.values():
                background.join()
        except BaseException:
            self.abort()
            raise
        for name in names:
            state = self._splits[name]
            if not state.rows:
                continue
            files, size = [], 0
            total = len(state.parts)
            for index, part in enumerate(state.parts):
                final = part.with_name(f"{name}-{index:05d}-of-{total:05d}.parquet")
                os.replace(part, final)
                files.append(final.relative_to(self.folder).as_posix())
                size += final.stat().st_size
            config.splits[name] = WrittenSplit(name, state.rows, files, size)
        return config

    def abort(self) -> None:
        """Close and delete everything written so far (after an error)."""
        self._closed = True
        for background in self._background.values():
            background.cancel()
        for state in self._splits.values():
            state.shard_open = False
            if state.writer is not None:
                state.writer.close()
                state.writer = None
            for part in state.parts:
                with contextlib.suppress(FileNotFoundError, NotADirectoryError):  # never made
                    part.unlink()
            state.buffer.clear()
            state.pending.clear()

    def __enter__(self) -> ParquetSplitWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort()
        elif not self._closed:
            self.close()


def _json_value(value: Any, media: MediaStore | None) -> Any:
    if isinstance(value, MediaRef):
        if media is None:
            raise ExportError("a MediaStore is needed to write media columns", "media_path")
        return media.path_cell(value)
    if isinstance(value, dict):
        return {key: _json_value(item, media) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(item, media) for item in value]
    if isinstance(value, bytes | bytearray):
        raise ExportError("JSON lines cannot hold bytes; pass media as MediaRef", "media_path")
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class JsonlWriter:
    """One JSON object per line (UTF-8), media as paths relative to the dataset folder (the
    files are copied under ``media/`` by ``media``, which should be a path-mode store)."""

    def __init__(self, path: str | os.PathLike, media: MediaStore | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.media = media
        self._handle = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self.count = 0

    def add(self, row: Mapping[str, Any], split: str | None = None) -> None:
        record = _json_value(dict(row), self.media)
        if split is not None:
            record["split"] = split
        self._handle.write(json.dumps(record, ensure_ascii=False, allow_nan=False, separators=(",", ":")))
        self._handle.write("\n")
        self.count += 1

    def close(self) -> int:
        if not self._handle.closed:
            self._handle.close()
        return self.count

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()


@functools.lru_cache(maxsize=4096)  # agreement shares repeat (k / n): formatting is the cost
def _canonical_float(value: float) -> Any:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    rounded = float(f"{value:.12g}")
    return 0.0 if rounded == 0 else rounded


_PLAIN = frozenset((str, int, bool, type(None)))
_NUMBERS = frozenset((float, type(None)))
_STR = frozenset((str,))


def _canonical(value: Any, digests: FileDigests) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        return _canonical_float(value)
    if kind is dict:
        if set(map(type, value.values())) <= _PLAIN and set(map(type, value)) <= _STR:
            return value  # e.g. the options: str keys, plain values, nothing to convert
        return {str(key): _canonical(item, digests) for key, item in value.items()}
    if kind is list or kind is tuple:
        # fast paths for the long answer / mask / agreement vectors
        kinds = set(map(type, value))
        if kinds <= _PLAIN:
            return list(value)
        if kinds <= _NUMBERS:
            return [None if item is None else _canonical_float(item) for item in value]
        return [_canonical(item, digests) for item in value]
    if isinstance(value, MediaRef):
        return {"sha256": digests(value)}
    if isinstance(value, bool | int | str):  # subclasses
        return value
    if isinstance(value, float):
        return _canonical_float(value)
    if isinstance(value, Mapping):
        return {str(key): _canonical(item, digests) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(item, digests) for item in value]
    if isinstance(value, bytes | bytearray):
        return {"sha256": hashlib.sha256(value).hexdigest()}
    if hasattr(value, "item"):  # numpy scalars
        return _canonical(value.item(), digests)
    raise TypeError(f"cannot hash a {type(value).__name__}")


def canonical_json(value: Any, digests: FileDigests | None = None) -> str:
    """Sorted keys, no spaces, media by sha256, floats rounded to 12 significant digits."""
    return json.dumps(
        _canonical(value, digests or FileDigests()),
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
    )


HASH_FORMAT = "vr-export-content-hash/2"


class ContentHasher:
    """The content hash of an export (format ``vr-export-content-hash/2``), column-wise.

    Per (config, split), every column of the rows *as written* is fed, in row order, into a
    few running sha256 streams: each leaf's validity bytes, list lengths, string lengths and
    bytes, fixed-width values (int64 / float64 little-endian, nulls as 0). Media columns
    count by file name only, ``<sha256><ext>`` of the file's content (the ``path`` of an
    Image cell without its folder; never the bytes), so the hash does not depend on
    ``embed_media``. Streams are concatenations, so how the rows were batched, sharded or
    built (row by row or column-wise) does not matter; equal content gives an equal hash.
    ``update_meta`` adds non-row content (checklist hash, weight set, settings) as canonical
    JSON lines, in call order. :meth:`hexdigest` combines the format name, the meta lines
    and, per (config, split) in sorted order, the arrow schema, the row count and every
    stream's digest."""

    def __init__(self) -> None:
        self._meta = hashlib.sha256(HASH_FORMAT.encode() + b"\n")
        self._tables: dict[tuple[str, str], dict[str, Any]] = {}

    def update_meta(self, name: str, value: Any) -> None:
        line = canonical_json({"meta": name, "value": value})
        self._meta.update(line.encode("utf-8"))
        self._meta.update(b"\n")

    def update_batch(self, config: str, split: str, features: Features, batch: pa.RecordBatch) -> None:
        table = self._tables.get((config, split))
        if table is None:
            schema = features.arrow_schema.remove_metadata()
            table = self._tables[(config, split)] = {"schema": schema.to_string(), "rows": 0, "streams": {}}
        table["rows"] += batch.num_rows
        streams = table["streams"]
        for name, feature in features.items():
            self._column(streams, name, feature, batch.column(name))

    @staticmethod
    def _feed(streams: dict, key: str, data: Any) -> None:
        sha = streams.get(key)
        if sha is None:
            sha = streams[key] = hashlib.sha256()
        sha.update(data)

    def _column(self, streams: dict, key: str, feature: Any, array: pa.Array) -> None:
        self._feed(streams, key + ":valid", array.is_valid().to_numpy(zero_copy_only=False).tobytes())
        if isinstance(feature, Image):
            paths = array.flatten()[1]  # (bytes, path), with this array's offset and nulls
            names = pc.replace_substring_regex(paths, pattern=r"^.*/", replacement="")
            self._strings(streams, key + ".name", names)
        elif isinstance(feature, List):
            lengths = pc.fill_null(pc.list_value_length(array), 0)
            self._feed(streams, key + ":len", lengths.to_numpy(zero_copy_only=False).astype("<i8").tobytes())
            self._column(streams, key + "[]", feature.feature, array.flatten())
        elif isinstance(feature, dict):
            for (name, sub), child in zip(feature.items(), array.flatten(), strict=True):
                self._column(streams, f"{key}.{name}", sub, child)
        elif pa.types.is_string(array.type) or pa.types.is_binary(array.type):
            self._strings(streams, key, array)
        else:
            values = pc.fill_null(array, 0) if array.null_count else array
            self._feed(streams, key + ":values", values.to_numpy(zero_copy_only=False).tobytes())

    def _strings(self, streams: dict, key: str, array: pa.Array) -> None:
        lengths = pc.fill_null(pc.binary_length(array), 0).to_numpy(zero_copy_only=False).astype("<i8")
        self._feed(streams, key + ":len", lengths.tobytes())
        buffers = array.buffers()
        if len(array) and buffers[2] is not None:
            offsets = np.frombuffer(buffers[1], dtype=np.int32, count=len(array) + 1, offset=array.offset * 4)
            self._feed(streams, key + ":data", memoryview(buffers[2])[offsets[0] : offsets[-1]])

    def hexdigest(self) -> str:
        out = hashlib.sha256(self._meta.digest())
        for (config, split), table in sorted(self._tables.items()):
            out.update(canonical_json({"config": config, "split": split, "rows": table["rows"]}).encode())
            out.update(table["schema"].encode())
            for key, sha in sorted(table["streams"].items()):
                out.update(f"\n{key}={sha.hexdigest()}".encode())
        return out.hexdigest()
