"""Where a dataset import reads its rows: a Hugging Face Hub id or a local path, streamed.

- A **local path** must lie inside one of the admin-configured import roots
  (``VR_IMPORT_ROOTS``, symlinks resolved), so that a manager cannot read ``/etc``. It can be a
  folder written by ``Dataset.save_to_disk`` / ``DatasetDict.save_to_disk`` (memory-mapped, read
  as an iterable), a folder of data files or a dataset repository's layout (parquet, JSON
  lines, CSV, ``imagefolder``…, read by ``datasets.load_dataset``'s builders, streaming), or one
  ``.parquet`` / ``.jsonl`` / ``.json`` / ``.csv`` file.
- A **Hub id** (``owner/name``; a name that is also a folder or file in an import root is read
  as that) is read, with ``VR_HF_LOCAL_FILES_ONLY`` (the default), from its
  snapshot in the local Hugging Face cache, as the model loader does
  (``worker.prefill.guessers.sources``): nothing goes online, and a dataset not in the cache
  fails with how to fetch it. Otherwise it is streamed from the Hub, with ``HF_TOKEN``.

Rows are never all in memory: every source is an ``IterableDataset`` and media columns are
read undecoded (``Image(decode=False)``), so a row's image stays bytes until the job writes it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .hf_mapping import ColumnInfo

HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?$")
DATA_FILE_BUILDERS = {".parquet": "parquet", ".jsonl": "json", ".json": "json", ".csv": "csv"}


class SourceError(ValueError):
    """The source cannot be read; ``field`` names the request field at fault."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class SourceSpec:
    source: str
    config: str = ""
    split: str = ""
    revision: str = ""

    def as_dict(self) -> dict:
        return {"source": self.source, "config": self.config, "split": self.split, "revision": self.revision}


@dataclass
class OpenedSource:
    """A source opened on one split: its rows as an iterable, what it is, and where its files are."""

    spec: SourceSpec
    kind: str  # "local" | "hub"
    layout: str  # "save_to_disk" | "files" | "file" | "hub"
    base: Path | None  # the folder relative paths in media columns are read from (None: online)
    configs: list[str]
    config: str
    splits: list[str]
    split: str
    columns: dict[str, ColumnInfo]
    num_rows: int | None
    dataset: object = field(repr=False, default=None)  # a datasets.IterableDataset

    def describe(self) -> dict:
        return {
            "kind": self.kind,
            "layout": self.layout,
            "configs": self.configs,
            "config": self.config,
            "splits": self.splits,
            "split": self.split,
            "num_rows": self.num_rows,
            "columns": [c.as_dict() for c in self.columns.values()],
        }

    def rows(self, start: int = 0):
        """The split's rows from row ``start`` on, as (row index, row dict)."""
        dataset = self.dataset.skip(start) if start else self.dataset
        for offset, row in enumerate(dataset):
            yield start + offset, row


def import_roots() -> list[Path]:
    from django.conf import settings

    roots = getattr(settings, "VR_IMPORT_ROOTS", None) or []
    return [Path(os.path.realpath(r)) for r in roots if str(r).strip()]


def inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def resolve_local(text: str, roots: list[Path]) -> Path:
    """``text`` as a real path inside one of ``roots`` (relative paths are read against each root
    in turn); SourceError("source", …) otherwise."""
    if not roots:
        raise SourceError(
            "source",
            "local paths are not enabled on this server: an administrator lists the folders imports "
            "may read in VR_IMPORT_ROOTS",
        )
    candidates = [Path(text).expanduser()] if os.path.isabs(os.path.expanduser(text)) else [r / text for r in roots]
    shown_roots = ", ".join(str(r) for r in roots)
    for candidate in candidates:
        real = Path(os.path.realpath(candidate))
        if any(inside(real, root) for root in roots):
            if not real.exists():
                raise SourceError("source", f"`{text[:200]}` does not exist")
            return real
    raise SourceError(
        "source", f"`{text[:200]}` is outside the folders imports may read (VR_IMPORT_ROOTS: {shown_roots})"
    )


def looks_local(text: str) -> bool:
    return text.startswith(("/", "./", "../", "~")) or os.path.sep in text and not HUB_ID.match(text)


def column_info(name: str, feature) -> ColumnInfo:
    """A ``datasets`` feature as a column type the mapping understands."""
    import datasets

    detail = type(feature).__name__ if not isinstance(feature, (dict, list)) else type(feature).__name__
    if isinstance(feature, datasets.Image):
        return ColumnInfo(name, "image", "Image()")
    video = getattr(datasets, "Video", None)
    if video is not None and isinstance(feature, video):
        return ColumnInfo(name, "video", "Video()")
    if isinstance(feature, datasets.ClassLabel):
        return ColumnInfo(name, "class_label", f"ClassLabel({len(feature.names)} names)", tuple(feature.names))
    if isinstance(feature, datasets.Value):
        dtype = feature.dtype
        if dtype in ("string", "large_string"):
            kind = "string"
        elif dtype in ("binary", "large_binary"):
            kind = "binary"
        elif dtype == "bool":
            kind = "bool"
        elif dtype.startswith(("int", "uint")):
            kind = "int"
        elif dtype.startswith("float") or dtype.startswith("decimal"):
            kind = "float"
        else:
            kind = "other"
        return ColumnInfo(name, kind, f"Value({dtype})")
    if isinstance(feature, dict):
        return ColumnInfo(name, "struct", "struct")
    if isinstance(feature, (list, datasets.Sequence)) or type(feature).__name__ in ("List", "LargeList"):
        return ColumnInfo(name, "list", detail)
    return ColumnInfo(name, "other", detail)


def columns_of(features) -> dict[str, ColumnInfo]:
    return {name: column_info(name, feature) for name, feature in (features or {}).items()}


def _undecoded(dataset, columns: dict[str, ColumnInfo]):
    """Image and Video columns read as ``{"bytes", "path"}`` (no decoding in the reader)."""
    import datasets

    for name, info in columns.items():
        if info.type == "image":
            dataset = dataset.cast_column(name, datasets.Image(decode=False))
        elif info.type == "video":
            dataset = dataset.cast_column(name, datasets.Video(decode=False))
    return dataset


def _pick(options: list[str], wanted: str, field_name: str, what: str) -> str:
    if wanted:
        if wanted not in options:
            raise SourceError(field_name, f"no {what} `{wanted[:100]}`; the dataset has {', '.join(options) or 'none'}")
        return wanted
    if what == "split" and "train" in options:
        return "train"
    return options[0]


def _parquet_rows(files) -> int | None:
    try:
        import pyarrow.parquet as pq

        return sum(pq.ParquetFile(str(f)).metadata.num_rows for f in files)
    except Exception:  # noqa: BLE001 - an unreadable footer: the total is unknown, the rows say why
        return None


def _from_disk(spec: SourceSpec, path: Path, kind: str) -> OpenedSource:
    import datasets

    try:
        loaded = datasets.load_from_disk(str(path))
    except Exception as exc:  # noqa: BLE001
        raise SourceError("source", f"`{path.name}` cannot be read as a saved dataset: {str(exc)[:300]}") from None
    if isinstance(loaded, datasets.DatasetDict):
        splits = list(loaded)
        split = _pick(splits, spec.split, "split", "split")
        table = loaded[split]
    else:
        splits = [str(loaded.split) if loaded.split else "train"]
        split = _pick(splits, spec.split, "split", "split")
        table = loaded
    if spec.config and spec.config != "default":
        raise SourceError("config", f"a saved dataset has no configs; got `{spec.config[:100]}`")
    columns = columns_of(table.features)
    dataset = _undecoded(table.to_iterable_dataset(), columns)
    return OpenedSource(
        spec, kind, "save_to_disk", path, ["default"], "default", splits, split, columns, len(table), dataset
    )


def _from_builder(spec: SourceSpec, target: str, kind: str, base: Path | None, *, data_file: Path | None = None):
    import datasets

    kwargs: dict = {}
    if spec.revision and kind == "hub" and base is None:
        kwargs["revision"] = spec.revision
    if kind == "hub" and base is None:
        from django.conf import settings

        kwargs["token"] = getattr(settings, "HF_TOKEN", "") or None
    configs: list[str] = []
    if data_file is not None:
        builder_name = DATA_FILE_BUILDERS[data_file.suffix.lower()]
        configs = ["default"]
        if spec.config and spec.config != "default":
            raise SourceError("config", f"a single data file has no configs; got `{spec.config[:100]}`")
        try:
            builder = datasets.load_dataset_builder(builder_name, data_files={"train": str(data_file)})
        except Exception as exc:  # noqa: BLE001
            raise SourceError("source", f"`{data_file.name}` cannot be read: {str(exc)[:300]}") from None
        layout = "file"
    else:
        try:
            configs = list(datasets.get_dataset_config_names(target, **kwargs)) or ["default"]
        except Exception as exc:  # noqa: BLE001
            raise SourceError("source", _read_problem(target, kind, exc)) from None
        config = _pick(configs, spec.config, "config", "config")
        try:
            builder = datasets.load_dataset_builder(
                target, None if config == "default" and len(configs) == 1 else config, **kwargs
            )
        except Exception as exc:  # noqa: BLE001
            raise SourceError("source", _read_problem(target, kind, exc)) from None
        layout = "files" if base is not None else "hub"
    config = configs[0] if data_file is not None else config
    data_files = builder.config.data_files or {}
    splits = [str(s) for s in data_files] or [str(s) for s in (builder.info.splits or {})]
    if not splits:
        raise SourceError("source", f"`{spec.source[:200]}` has no data files")
    split = _pick(splits, spec.split, "split", "split")
    try:
        dataset = builder.as_streaming_dataset(split=split)
    except Exception as exc:  # noqa: BLE001
        raise SourceError("source", _read_problem(target, kind, exc)) from None
    features = dataset.features
    if features is None:  # JSON/CSV: the types are known once a row is read
        try:
            dataset = dataset._resolve_features()
            features = dataset.features
        except Exception as exc:  # noqa: BLE001
            raise SourceError("source", f"the first rows cannot be read: {str(exc)[:300]}") from None
    columns = columns_of(features)
    num_rows = None
    info_split = (builder.info.splits or {}).get(split) if builder.info.splits else None
    if info_split is not None and info_split.num_examples:
        num_rows = int(info_split.num_examples)
    files = list(data_files.get(split, []))
    if num_rows is None and files and all(str(f).endswith(".parquet") for f in files) and base is not None:
        num_rows = _parquet_rows(files)
    dataset = _undecoded(dataset, columns)
    return OpenedSource(spec, kind, layout, base, configs, config, splits, split, columns, num_rows, dataset)


def _read_problem(target: str, kind: str, exc: Exception) -> str:
    text = str(exc)[:300]
    if kind == "hub":
        lowered = text.lower()
        words = (
            "connection",
            "resolve",
            "offline",
            "max retries",
            "timed out",
            "network",
            "reach",
            "localentrynotfound",
        )
        if any(w in lowered for w in words):
            return (
                f"cannot reach the Hugging Face Hub to read `{target}` (no internet?): fetch it on a machine "
                f"with access (`hf download --repo-type dataset {target}`) into this server's cache, or "
                "import it from a local folder"
            )
        return f"cannot read the Hub dataset `{target}`: {text}"
    return f"`{Path(target).name}` cannot be read as a dataset: {text}"


def local_snapshot(repo_id: str, revision: str) -> Path:
    """The cached snapshot folder of dataset ``repo_id`` (nothing is downloaded)."""
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(repo_id, repo_type="dataset", revision=revision or None, local_files_only=True))
    except Exception:  # noqa: BLE001 - not cached (or the cache is unreadable): say how to fetch it
        raise SourceError(
            "source",
            f"the dataset `{repo_id}` is not in this server's Hugging Face cache and the server reads the "
            "cache only (VR_HF_LOCAL_FILES_ONLY; no internet is used): fetch it first "
            f"(`hf download --repo-type dataset {repo_id}`"
            + (f" --revision {revision}" if revision else "")
            + ") or import it from a local folder",
        ) from None


def open_source(spec: SourceSpec) -> OpenedSource:
    """Open ``spec`` on its split (the ``train`` split, else the first, when none is named).
    Raises SourceError naming the field (source, config, split, revision)."""
    from django.conf import settings

    text = (spec.source or "").strip()
    if not text:
        raise SourceError("source", "give a Hugging Face dataset id (owner/name) or a local path")
    if "\x00" in text or len(text) > 1000:
        raise SourceError("source", "the source is not a path or a dataset id")
    if spec.revision and not re.fullmatch(r"[A-Za-z0-9._/-]{1,200}", spec.revision):
        raise SourceError("revision", "a revision is a branch, tag or commit id (letters, digits, . _ - /)")
    under_a_root = any(os.path.lexists(root / text) for root in import_roots()) if HUB_ID.match(text) else False
    if looks_local(text) or not HUB_ID.match(text) or under_a_root:
        path = resolve_local(text, import_roots())
        if spec.revision:
            raise SourceError("revision", "a local path has no revisions")
        return _open_path(spec, path, "local")
    if getattr(settings, "VR_HF_LOCAL_FILES_ONLY", True):
        return _open_path(spec, local_snapshot(text, spec.revision), "hub")
    return _from_builder(spec, text, "hub", None)


def _open_path(spec: SourceSpec, path: Path, kind: str) -> OpenedSource:
    if path.is_file():
        if path.suffix.lower() not in DATA_FILE_BUILDERS:
            raise SourceError(
                "source", f"`{path.name}` is not a dataset file (.parquet, .jsonl, .json or .csv) or folder"
            )
        return _from_builder(spec, str(path), kind, path.parent, data_file=path)
    if (path / "dataset_dict.json").is_file() or (path / "state.json").is_file():
        return _from_disk(spec, path, kind)
    return _from_builder(spec, str(path), kind, path)


def media_roots(opened: OpenedSource) -> list[Path]:
    """The folders a path cell may point into: the dataset's folder, and for a cached Hub
    snapshot the repository's cache folder (a snapshot's files are links to its blobs)."""
    if opened.base is None:
        return []
    roots = [Path(os.path.realpath(opened.base))]
    if opened.kind == "hub" and opened.base.parent.name == "snapshots":
        roots.append(Path(os.path.realpath(opened.base.parent.parent)))
    return roots


def local_media(base: Path | None, text: str, roots: list[Path]) -> Path:
    """A path cell as a file inside the dataset's folder ``base`` (absolute paths must be inside
    ``roots`` too, after resolving symlinks). Raises ``RowProblem``."""
    from .hf_mapping import RowProblem

    if base is None:
        raise RowProblem(f"`{text[:100]}` is a local path, but this dataset is read from the Hub, not a folder")
    candidate = Path(text) if os.path.isabs(text) else base / text
    real = Path(os.path.realpath(candidate))
    if not any(inside(real, root) for root in roots):
        raise RowProblem(f"`{text[:100]}` is outside the dataset's folder")
    if not real.is_file():
        raise RowProblem(f"`{text[:100]}` does not exist in the dataset's folder")
    return real
