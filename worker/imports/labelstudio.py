"""Reading a Label Studio export into import entries (pure: plain data in, plain data out).

Three shapes are read: the JSON export (a list of tasks ``{"id", "data": {...}, "annotations":
[...], ...}``), JSON-MIN (a list of flat objects: the data fields beside ``id``, ``annotator``,
``created_at`` and the labels) and a JSONL file of tasks (one task per line). ``read_export``
finds the tasks and the ``data`` keys they use (with a suggestion of which key is the media and
which the prompt); ``map_tasks`` turns each task into an entry with the keys the user chose.

A task's media is referenced by a URL (fetched by the import job through the safe fetcher), by
Label Studio's own paths for uploaded files (``/data/upload/<project>/<file>``) or local storage
(``/data/local-files/?d=<path>``), or by a bare file name: those are matched by file name against
the files sent alongside (the ``upload/`` folder, as a zip or a folder), never read from any disk
path. Each bad task (not an object, no ``data``, no media, an absolute path, ``..``, a bucket URL,
a prompt or metadata past the limits) is a ``TaskProblem`` with its index; the others import.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import parse_qs, unquote, urlsplit

from annotator.asset_fields import FieldLimits, loads_json, metadata_problems, prompt_problem, shown, string_problem

MEDIA_KEYS = ("image", "video", "img", "image_url", "video_url", "url", "media", "file", "src")
PROMPT_KEYS = ("prompt", "text", "caption", "question", "title", "description", "sentence")
MIN_META_KEYS = ("id", "annotator", "annotation_id", "created_at", "updated_at", "lead_time", "agreement")
BUCKETS = ("s3", "gs", "gcs", "azure-blob", "az", "abfs", "abfss")
EXAMPLE_CHARS = 120


class ExportError(Exception):
    """The export as a whole cannot be read (not JSON, not a list of tasks, too big)."""


@dataclass(frozen=True)
class LabelStudioLimits:
    max_tasks: int = 100_000
    max_bytes: int = 200 * 1024 * 1024
    fields: FieldLimits = field(default_factory=FieldLimits)


@dataclass
class RawTask:
    index: int  # 1-based position in the export (the line, for JSONL)
    task_id: object  # Label Studio's task id, when the task has one
    data: dict


@dataclass
class TaskProblem:
    index: int
    task_id: object
    reason: str

    def __str__(self) -> str:
        return f"{task_label(self.index, self.task_id)}: {self.reason}"


@dataclass
class KeyInfo:
    key: str
    tasks: int = 0  # how many tasks have it
    media_like: int = 0  # how many of its values look like a media reference
    text: int = 0  # how many of its values are strings
    example: str = ""


@dataclass
class Export:
    format: str  # "json" | "json-min" | "jsonl"
    tasks: list[RawTask]
    problems: list[TaskProblem]
    keys: list[KeyInfo]
    suggested_media_key: str = ""
    suggested_prompt_key: str = ""


@dataclass
class MediaRef:
    kind: str  # "url" (fetched) | "file" (matched by name among the files sent alongside)
    value: str  # the URL, or the file name to match
    original: str  # as the export wrote it


@dataclass
class TaskEntry:
    index: int
    task_id: object
    media: MediaRef
    prompt: str
    metadata: dict


def task_label(index: int, task_id) -> str:
    return f"task {index}" + (f" (id {shown(str(task_id), 40)})" if task_id not in (None, "") else "")


# --- reading ---------------------------------------------------------------------------------


def _decode(raw: bytes) -> str:
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ExportError("the file is UTF-16 text; save it as UTF-8")
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise ExportError(f"the file is not UTF-8 text (byte {exc.start + 1})") from None


def _type(value) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}.get(
        type(value), "null" if value is None else "an object" if isinstance(value, dict) else type(value).__name__
    )


def _items(text: str, name: str, limits: LabelStudioLimits) -> tuple[str, list[tuple[int, object]]]:
    """(format, [(index, item)]) of the export's text."""
    suffix = PurePosixPath(name.lower()).suffix
    if suffix in (".jsonl", ".ndjson"):
        items = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            if len(items) >= limits.max_tasks:
                raise ExportError(f"more than {limits.max_tasks:,} tasks (VR_MAX_MANIFEST_ROWS)")
            try:
                items.append((number, loads_json(line)))
            except ValueError as exc:
                items.append((number, _BadLine(str(exc))))
        if not items:
            raise ExportError("the file holds no tasks")
        return "jsonl", items
    try:
        value = loads_json(text)
    except ValueError as exc:
        raise ExportError(f"not valid JSON ({shown(str(exc), 200)}); a Label Studio export is a JSON list of tasks")
    if isinstance(value, dict):
        hint = " (an export has many tasks; this looks like one task: wrap it in [ ])" if "data" in value else ""
        raise ExportError(f"a Label Studio export is a list of tasks, but this file holds an object{hint}")
    if not isinstance(value, list):
        raise ExportError(f"a Label Studio export is a list of tasks, but this file holds {_type(value)}")
    if not value:
        raise ExportError("the export holds no tasks")
    if len(value) > limits.max_tasks:
        raise ExportError(f"{len(value):,} tasks, more than the limit of {limits.max_tasks:,} (VR_MAX_MANIFEST_ROWS)")
    with_data = sum(1 for item in value if isinstance(item, dict) and "data" in item)
    return ("json" if with_data * 2 >= len(value) else "json-min"), list(enumerate(value, start=1))


@dataclass
class _BadLine:
    error: str


def read_export(raw: bytes, name: str = "export.json", limits: LabelStudioLimits | None = None) -> Export:
    """The tasks of an export and the keys their ``data`` uses. Raises ExportError when the file
    as a whole is not an export; a bad task is a problem of its own."""
    limits = limits or LabelStudioLimits()
    if len(raw) > limits.max_bytes:
        raise ExportError(f"the file is larger than the limit of {limits.max_bytes // (1024 * 1024)} MB")
    fmt, items = _items(_decode(raw), name, limits)
    tasks: list[RawTask] = []
    problems: list[TaskProblem] = []
    for index, item in items:
        if isinstance(item, _BadLine):
            problems.append(TaskProblem(index, None, f"bad JSON ({shown(item.error, 200)})"))
            continue
        if not isinstance(item, dict):
            problems.append(TaskProblem(index, None, f"a task must be an object, not {_type(item)}"))
            continue
        task_id = item.get("id")
        if isinstance(task_id, bool) or (task_id is not None and not isinstance(task_id, (int, str))):
            problems.append(TaskProblem(index, None, f"`id` must be a number or a string, not {_type(task_id)}"))
            continue
        if fmt == "json-min":
            data = {k: v for k, v in item.items() if k not in MIN_META_KEYS}
        else:
            data = item.get("data")
            if data is None:
                problems.append(TaskProblem(index, task_id, "the task has no `data` object"))
                continue
            if not isinstance(data, dict):
                problems.append(TaskProblem(index, task_id, f"`data` must be an object, not {_type(data)}"))
                continue
        bad_key = next((k for k in data if string_problem(k)), None)
        if bad_key is not None:
            problems.append(TaskProblem(index, task_id, f"a key of `data` {string_problem(bad_key)}"))
            continue
        tasks.append(RawTask(index, task_id, data))
    keys = _keys(tasks)
    return Export(
        format=fmt,
        tasks=tasks,
        problems=problems,
        keys=keys,
        suggested_media_key=suggest_media_key(keys),
        suggested_prompt_key=suggest_prompt_key(keys),
    )


def looks_like_media(value) -> bool:
    if not isinstance(value, str) or not value.strip():
        return False
    text = value.strip()
    return bool(
        re.match(r"^(https?|s3|gs|gcs|azure-blob)://", text, re.I)
        or text.startswith("/data/")
        or re.search(r"\.(jpe?g|png|webp|gif|bmp|tiff?|mp4|webm|mov|mkv|avi|m4v)(\?|$)", text, re.I)
    )


def _keys(tasks: list[RawTask]) -> list[KeyInfo]:
    infos: dict[str, KeyInfo] = {}
    for task in tasks:
        for key, value in task.data.items():
            info = infos.setdefault(key, KeyInfo(key))
            info.tasks += 1
            info.text += isinstance(value, str)
            info.media_like += looks_like_media(value)
            if not info.example and value not in (None, ""):
                info.example = shown(value if isinstance(value, str) else repr(value), EXAMPLE_CHARS)
    return sorted(infos.values(), key=lambda i: (-i.tasks, i.key))


def suggest_media_key(keys: list[KeyInfo]) -> str:
    by_name = {k.key: k for k in keys}
    for name in MEDIA_KEYS:
        if name in by_name and by_name[name].media_like:
            return name
    media = [k for k in keys if k.media_like]
    return max(media, key=lambda k: k.media_like).key if media else ""


def suggest_prompt_key(keys: list[KeyInfo]) -> str:
    by_name = {k.key: k for k in keys}
    for name in PROMPT_KEYS:
        if name in by_name and by_name[name].text:
            return name
    return ""


# --- mapping --------------------------------------------------------------------------------


def media_reference(value) -> tuple[MediaRef | None, str]:
    """What a task's media value points to: (MediaRef, "") or (None, why it cannot be imported)."""
    if not isinstance(value, str):
        return None, f"must be a string (a URL or a file path), not {_type(value)}"
    text = value.strip()
    if not text:
        return None, "is empty"
    problem = string_problem(text)
    if problem:
        return None, problem
    if len(text) > 4096:
        return None, f"is {len(text):,} characters long; a media reference is at most 4,096"
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme in ("http", "https"):
        return MediaRef("url", text, text), ""
    if scheme in BUCKETS:
        return None, (
            f"`{shown(text)}` is in cloud storage (`{scheme}://`), which cannot be imported yet; "
            "give an https:// URL (e.g. presigned) or send the file alongside"
        )
    if scheme or text.lower().startswith("data:"):
        kind = "inline `data:` media" if text.lower().startswith("data:") else f"a `{shown(scheme, 20)}://` URL"
        return None, f"{kind} cannot be imported; use an http(s) URL or send the file alongside"
    path = text
    if text.startswith("/data/local-files/"):
        query = parse_qs(urlsplit(text).query)
        if not query.get("d"):
            return None, f"`{shown(text)}` has no `?d=` path"
        path = query["d"][0]
    elif text.startswith("/data/upload/"):
        path = unquote(urlsplit(text).path).removeprefix("/data/upload/")
    elif text.startswith("/") or re.match(r"^[a-zA-Z]:[\\/]", text) or text.startswith("\\"):
        return None, (
            f"`{shown(text)}` is an absolute file path; only Label Studio's upload paths (/data/upload/…), "
            "its local-files paths and file names are matched against the files sent alongside"
        )
    parts = path.replace("\\", "/").split("/")
    if ".." in parts:
        return None, f"`{shown(text)}` goes up a folder (`..`); path traversal is refused"
    name = posixpath.basename(path.replace("\\", "/"))
    if not name or name in (".", ".."):
        return None, f"`{shown(text)}` names no file"
    return MediaRef("file", name, text), ""


def map_tasks(
    export: Export, media_key: str, prompt_key: str = "", limits: FieldLimits | None = None
) -> tuple[list[TaskEntry], list[TaskProblem]]:
    """Each task as an entry (its media, its prompt, its metadata: the Label Studio task id and
    the other ``data`` fields), or a problem with its index. The export's own problems come first."""
    limits = limits or FieldLimits()
    entries: list[TaskEntry] = []
    problems = list(export.problems)
    for task in export.tasks:
        if media_key not in task.data:
            problems.append(TaskProblem(task.index, task.task_id, f"`data` has no `{shown(media_key, 40)}` key"))
            continue
        media, why = media_reference(task.data[media_key])
        if media is None:
            problems.append(TaskProblem(task.index, task.task_id, f"`data.{shown(media_key, 40)}` {why}"))
            continue
        prompt = ""
        if prompt_key:
            value = task.data.get(prompt_key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                value = str(value)
            if value is not None:
                problem = prompt_problem(value, limits)
                if problem:
                    problems.append(TaskProblem(task.index, task.task_id, f"`data.{shown(prompt_key, 40)}` {problem}"))
                    continue
                prompt = value
        metadata = {k: v for k, v in task.data.items() if k not in (media_key, prompt_key)}
        if task.task_id is not None:
            metadata["label_studio_task_id"] = task.task_id
        found = metadata_problems(metadata, limits)
        if found:
            path, message = found[0]
            where = f"`data.{shown(path, 60)}`" if path else "the asset's metadata (the other `data` fields)"
            problems.append(TaskProblem(task.index, task.task_id, f"{where} {message}"))
            continue
        entries.append(TaskEntry(task.index, task.task_id, media, prompt, metadata))
    problems.sort(key=lambda p: p.index)
    return entries, problems
