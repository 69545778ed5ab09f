"""Mapping a dataset's columns to assets (or rated pairs), pure: no Django, no ``datasets``.

A dataset import reads rows (dicts of column → value) and a description of the columns (name →
``ColumnInfo``). The manager chooses which column is the media, which the prompt, which go into
metadata, and for a pair import which two columns hold media A and B and how the preference is
written. This module checks such a mapping against the columns (problems by field), suggests
one from the column names and types, turns one row into what the import job records (the media
value, the prompt, the metadata; a :class:`RowProblem` naming what is wrong with the row), reads
a preference as the platform's 1–5 pair rating, and shows a cell in the preview.

The 1–5 pair scale: 1 = A much better, 2 = A better, 3 = no preference, 4 = B better, 5 = B much
better. A dataset's binary choice (Pick-a-Pic's ``label_0``/``label_1``, "A"/"B"/"tie", two
scores) says which one won, not by how much: it becomes 2, 3 or 4.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import json
import math
from dataclasses import dataclass, field

MEDIA_TYPES = ("image", "video", "binary", "string")  # column types that can hold media
PROMPT_NAMES = ("prompt", "caption", "text", "prompt_text", "caption_text", "description", "title")
MEDIA_NAMES = ("image", "img", "video", "file", "file_name", "filename", "path", "image_path", "video_path", "media")
PAIR_NAMES = (
    ("jpg_0", "jpg_1"),
    ("image_0", "image_1"),
    ("image_a", "image_b"),
    ("image1", "image2"),
    ("img_0", "img_1"),
    ("video_0", "video_1"),
    ("video_a", "video_b"),
    ("media_a", "media_b"),
    ("path_a", "path_b"),
    ("file_a", "file_b"),
)
PREFERENCE_FORMATS = ("labels", "choice", "rating", "scores")
CHOICE_NAMES = ("preference", "choice", "winner", "label", "preferred", "chosen")
RATING_NAMES = ("rating", "score", "preference_rating")
SCORE_PAIRS = (("score_0", "score_1"), ("score_a", "score_b"), ("reward_0", "reward_1"))
TEXT_PREVIEW_CHARS = 200
MAX_METADATA_COLUMNS = 200

A_WINS, TIE, B_WINS = 2, 3, 4
CHOICE_WORDS = {
    "a": A_WINS,
    "0": A_WINS,
    "left": A_WINS,
    "first": A_WINS,
    "image_0": A_WINS,
    "b": B_WINS,
    "1": B_WINS,
    "right": B_WINS,
    "second": B_WINS,
    "image_1": B_WINS,
    "tie": TIE,
    "equal": TIE,
    "same": TIE,
    "none": TIE,
    "draw": TIE,
    "no preference": TIE,
    "0.5": TIE,
}


class RowProblem(ValueError):
    """A row that cannot be imported; the message says why (the job records it with the row)."""


@dataclass(frozen=True)
class ColumnInfo:
    """One column: ``type`` is image, video, binary, string, int, float, bool, class_label,
    list, struct or other; ``detail`` what the dataset says of it (e.g. ``Image()``); ``names``
    the labels of a class_label column."""

    name: str
    type: str
    detail: str = ""
    names: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        out = {"name": self.name, "type": self.type, "detail": self.detail}
        if self.names:
            out["names"] = list(self.names)
        return out


@dataclass(frozen=True)
class Mapping:
    """Which columns make an asset (``mode="assets"``) or a rated pair (``mode="pairs"``)."""

    mode: str = "assets"
    media: str = ""
    prompt: str = ""
    metadata: tuple[str, ...] = ()
    prompt_required: bool = False
    media_a: str = ""
    media_b: str = ""
    preference_format: str = ""
    preference: tuple[str, ...] = ()

    def media_columns(self) -> tuple[str, ...]:
        return (self.media,) if self.mode == "assets" else (self.media_a, self.media_b)

    def as_dict(self) -> dict:
        out = {"prompt": self.prompt, "metadata": list(self.metadata), "prompt_required": self.prompt_required}
        if self.mode == "assets":
            out["media"] = self.media
        else:
            out |= {
                "media_a": self.media_a,
                "media_b": self.media_b,
                "preference_format": self.preference_format,
                "preference": list(self.preference),
            }
        return out


def _text(value, field_name: str, errors: dict) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.setdefault(field_name, []).append(f"`{field_name}` must be a column name (a string)")
        return ""
    return value


def _names(value, field_name: str, errors: dict, limit: int = MAX_METADATA_COLUMNS) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.setdefault(field_name, []).append(f"`{field_name}` must be a list of column names")
        return ()
    if len(value) > limit:
        errors.setdefault(field_name, []).append(f"`{field_name}` names {len(value)} columns; at most {limit}")
        return ()
    if len(set(value)) != len(value):
        errors.setdefault(field_name, []).append(f"`{field_name}` names a column twice")
    return tuple(value)


def parse_mapping(body, mode: str, columns: dict[str, ColumnInfo]) -> tuple[Mapping | None, dict[str, list[str]]]:
    """The mapping in a request body checked against ``columns``: (mapping, {}) or (None, problems
    by field, e.g. ``{"mapping.prompt": ["no column `caption`; the columns are …"]}``)."""
    errors: dict[str, list[str]] = {}
    if not isinstance(body, dict):
        return None, {"mapping": ["`mapping` must be an object naming the columns"]}
    known = {"media", "prompt", "metadata", "prompt_required"}
    if mode == "pairs":
        known = (known - {"media"}) | {"media_a", "media_b", "preference_format", "preference"}
    unknown = sorted(set(body) - known)
    if unknown:
        errors["mapping"] = [f"unknown field(s) {', '.join(f'`{k}`' for k in unknown)}; use {', '.join(sorted(known))}"]
    raw: dict = {}
    for name in ("media", "prompt", "media_a", "media_b", "preference_format"):
        if name in known:
            raw[name] = _text(body.get(name), f"mapping.{name}", errors)
    for name in ("metadata", "preference"):
        if name in known:
            raw[name] = _names(body.get(name), f"mapping.{name}", errors)
    required = body.get("prompt_required", False)
    if not isinstance(required, bool):
        errors.setdefault("mapping.prompt_required", []).append("`prompt_required` must be true or false")
        required = False
    mapping = Mapping(mode=mode, prompt_required=required, **raw)
    listed = ", ".join(f"`{c}`" for c in list(columns)[:30]) or "none"

    def column(field_name: str, name: str, *, types: tuple[str, ...] | None = None) -> None:
        if name not in columns:
            errors.setdefault(field_name, []).append(f"no column `{name[:100]}`; the columns are {listed}")
        elif types and columns[name].type not in types:
            errors.setdefault(field_name, []).append(
                f"column `{name}` is {columns[name].type}; it must be one of {', '.join(types)}"
            )

    media_fields = ("media",) if mode == "assets" else ("media_a", "media_b")
    for name in media_fields:
        value = raw.get(name, "")
        if not value:
            errors.setdefault(f"mapping.{name}", []).append(f"choose the column that holds the media ({name})")
        else:
            column(f"mapping.{name}", value, types=MEDIA_TYPES)
    if mode == "pairs" and raw.get("media_a") and raw.get("media_a") == raw.get("media_b"):
        errors.setdefault("mapping.media_b", []).append("media A and media B must be two different columns")
    if mapping.prompt:
        column("mapping.prompt", mapping.prompt, types=("string",))
    elif mapping.prompt_required:
        errors.setdefault("mapping.prompt", []).append("a prompt is required: choose its column")
    for name in mapping.metadata:
        column("mapping.metadata", name)
        if name in mapping.media_columns() or name == mapping.prompt:
            errors.setdefault("mapping.metadata", []).append(f"`{name}` is already the media or the prompt")
    if mode == "pairs":
        fmt = mapping.preference_format
        if fmt not in PREFERENCE_FORMATS:
            errors.setdefault("mapping.preference_format", []).append(
                f"`preference_format` must be one of {', '.join(PREFERENCE_FORMATS)}"
            )
        else:
            wanted = 2 if fmt in ("labels", "scores") else 1
            if len(mapping.preference) != wanted:
                errors.setdefault("mapping.preference", []).append(
                    f"the {fmt} format reads {wanted} column(s); got {len(mapping.preference)}"
                )
            for name in mapping.preference:
                column("mapping.preference", name, types=_preference_types(fmt))
    errors = {k: v for k, v in errors.items() if v}
    return (None, errors) if errors else (mapping, {})


def _preference_types(fmt: str) -> tuple[str, ...]:
    if fmt == "choice":
        return ("string", "int", "float", "bool", "class_label")
    return ("int", "float", "bool", "class_label") if fmt in ("labels", "scores", "rating") else ()


# --- suggestions ---------------------------------------------------------------------------


def _first(columns: dict[str, ColumnInfo], names, types=None, exclude=()) -> str:
    lowered = {c.lower(): c for c in columns if c not in exclude}
    for name in names:
        found = lowered.get(name)
        if found and (types is None or columns[found].type in types):
            return found
    return ""


def suggest_mapping(columns: dict[str, ColumnInfo], mode: str = "assets") -> dict:
    """A mapping to pre-fill the form with: the media column (an Image/Video feature first, then
    a column named like media), the prompt (``prompt``, ``caption``, ``text``…), and for pairs the
    two media columns and the preference; the other plain columns as metadata."""
    media_typed = [c for c, info in columns.items() if info.type in ("image", "video")]
    prompt = _first(columns, PROMPT_NAMES, types=("string",))
    out: dict = {"prompt": prompt, "prompt_required": False}
    if mode == "assets":
        media = media_typed[0] if media_typed else _first(columns, MEDIA_NAMES, types=MEDIA_TYPES)
        out["media"] = media
        used = {media, prompt}
    else:
        a = b = ""
        for left, right in PAIR_NAMES:
            found_a, found_b = _first(columns, (left,), MEDIA_TYPES), _first(columns, (right,), MEDIA_TYPES)
            if found_a and found_b:
                a, b = found_a, found_b
                break
        if not a and len(media_typed) >= 2:
            a, b = media_typed[0], media_typed[1]
        fmt, preference = "", []
        labels = [_first(columns, (n,)) for n in ("label_0", "label_1")]
        scores = next(
            (
                [_first(columns, (x,)), _first(columns, (y,))]
                for x, y in SCORE_PAIRS
                if _first(columns, (x,)) and _first(columns, (y,))
            ),
            [],
        )
        if all(labels):
            fmt, preference = "labels", labels
        elif _first(columns, RATING_NAMES, types=("int", "float")):
            fmt, preference = "rating", [_first(columns, RATING_NAMES, types=("int", "float"))]
        elif _first(columns, CHOICE_NAMES):
            fmt, preference = "choice", [_first(columns, CHOICE_NAMES)]
        elif scores:
            fmt, preference = "scores", scores
        out |= {"media_a": a, "media_b": b, "preference_format": fmt, "preference": preference}
        used = {a, b, prompt, *preference}
    plain = ("string", "int", "float", "bool", "class_label")
    out["metadata"] = [c for c, info in columns.items() if c and c not in used and info.type in plain][:50]
    return out


# --- rows ------------------------------------------------------------------------------------


@dataclass
class MediaValue:
    """One row's media as the dataset gives it: bytes, a path (relative to the dataset's folder
    or absolute inside it), or an http(s) URL; ``name`` a file name for the asset."""

    data: bytes | None = None
    path: str = ""
    url: str = ""
    name: str = ""


@dataclass
class RowEntry:
    """What one row becomes: media (one, or A and B), prompt, metadata, rating (pairs)."""

    media: list[MediaValue] = field(default_factory=list)
    prompt: str = ""
    metadata: dict = field(default_factory=dict)
    preference: int | None = None


def media_value(value, column: str) -> MediaValue:
    """The media of a cell: an Image/Video cell undecoded (``{"bytes", "path"}``), raw bytes,
    a PIL image, a path string or a URL. Raises RowProblem for anything else or an empty cell."""
    if value is None:
        raise RowProblem(f"`{column}` is empty")
    if isinstance(value, dict) and ("bytes" in value or "path" in value):
        data, path = value.get("bytes"), value.get("path") or ""
        if data:
            if not isinstance(data, (bytes, bytearray, memoryview)):
                raise RowProblem(f"`{column}` holds {type(data).__name__} bytes, not a file's bytes")
            return MediaValue(data=bytes(data), name=_base(path))
        if isinstance(path, str) and path:
            return _string_media(path, column)
        raise RowProblem(f"`{column}` is empty (neither bytes nor a path)")
    if isinstance(value, (bytes, bytearray, memoryview)):
        if not value:
            raise RowProblem(f"`{column}` is empty")
        return MediaValue(data=bytes(value))
    if isinstance(value, str):
        return _string_media(value, column)
    if hasattr(value, "save") and hasattr(value, "size") and hasattr(value, "mode"):  # a PIL image
        import io

        buffer = io.BytesIO()
        try:
            value.save(buffer, format="PNG")
        except Exception as exc:  # noqa: BLE001 - any encoder error is the row's problem
            raise RowProblem(f"`{column}`: the image cannot be encoded ({exc})") from None
        return MediaValue(data=buffer.getvalue(), name="image.png")
    raise RowProblem(f"`{column}` holds a {type(value).__name__}, not an image, a video, a path or a URL")


def _base(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1][:200] if isinstance(path, str) else ""


def _string_media(text: str, column: str) -> MediaValue:
    text = text.strip()
    if not text:
        raise RowProblem(f"`{column}` is empty")
    if "\x00" in text:
        raise RowProblem(f"`{column}` contains a NUL character")
    lowered = text.lower()
    if lowered.startswith(("http://", "https://")):
        return MediaValue(url=text, name=_base(text.split("?", 1)[0]))
    if "://" in text[:20] or lowered.startswith(("data:", "file:")):
        raise RowProblem(f"`{column}`: `{text[:80]}` is neither a local path nor an http(s) URL")
    return MediaValue(path=text, name=_base(text))


def json_safe(value):
    """A cell as a JSON value for metadata (dates as ISO text, decimals as numbers; bytes and
    media are not metadata). Raises RowProblem for what has no JSON form."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise RowProblem(f"{value!r} is not a JSON number")
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, dict):
        if "bytes" in value and "path" in value:
            raise RowProblem("a media cell cannot go into metadata")
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return json_safe(value.tolist())
    raise RowProblem(f"a {type(value).__name__} cannot go into metadata")


def class_name(value, info: ColumnInfo | None):
    """A class_label cell as its label name (other cells unchanged)."""
    if info is not None and info.names and isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value < len(info.names):
            return info.names[value]
    return value


def row_entry(row: dict, mapping: Mapping, columns: dict[str, ColumnInfo]) -> RowEntry:
    """One row as what the import records; RowProblem names the column when the row is malformed."""
    entry = RowEntry()
    for column in mapping.media_columns():
        entry.media.append(media_value(row.get(column), column))
    if mapping.prompt:
        prompt = row.get(mapping.prompt)
        if prompt is None:
            prompt = ""
        if not isinstance(prompt, str):
            raise RowProblem(f"the prompt (`{mapping.prompt}`) is a {type(prompt).__name__}, not text")
        entry.prompt = prompt
    if mapping.prompt_required and not entry.prompt.strip():
        raise RowProblem(f"the prompt (`{mapping.prompt}`) is empty and a prompt is required")
    for column in mapping.metadata:
        try:
            entry.metadata[column] = json_safe(class_name(row.get(column), columns.get(column)))
        except RowProblem as exc:
            raise RowProblem(f"metadata `{column}`: {exc}") from None
    if mapping.mode == "pairs":
        values = [class_name(row.get(c), columns.get(c)) for c in mapping.preference]
        entry.preference = preference_rating(mapping.preference_format, values, mapping.preference)
    return entry


def _number(value, column: str) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise RowProblem(f"the preference `{column}` is `{value[:40]}`, not a number") from None
        if math.isfinite(number):
            return number
    raise RowProblem(f"the preference `{column}` is {'empty' if value is None else repr(value)[:40]}, not a number")


def preference_rating(fmt: str, values: list, columns=("preference",)) -> int:
    """A dataset's preference as the 1–5 pair rating (see the module doc). ``labels``: two
    columns, the share of votes for A and for B (Pick-a-Pic: 1/0, 0/1, 0.5/0.5); ``choice``: one
    column naming the winner ("A"/"B"/"tie", 0/1 as the winner's index, a class label);
    ``rating``: already 1–5; ``scores``: two scores, the higher wins."""
    names = list(columns) + ["preference"] * 2
    if fmt == "labels" or fmt == "scores":
        a, b = _number(values[0], names[0]), _number(values[1], names[1])
        if fmt == "labels" and (a < 0 or b < 0):
            raise RowProblem(f"the labels `{names[0]}`, `{names[1]}` are negative ({a:g}, {b:g})")
        if fmt == "labels" and a == 0 and b == 0:
            raise RowProblem(f"the labels `{names[0]}` and `{names[1]}` are both 0: no vote")
        return A_WINS if a > b else B_WINS if b > a else TIE
    if fmt == "rating":
        number = _number(values[0], names[0])
        if number != int(number) or not 1 <= number <= 5:
            raise RowProblem(f"the rating `{names[0]}` is {number:g}; it must be an integer from 1 to 5")
        return int(number)
    if fmt == "choice":
        value = values[0]
        if isinstance(value, bool):
            value = int(value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        key = str(value).strip().lower() if value is not None else ""
        if key in CHOICE_WORDS:
            return CHOICE_WORDS[key]
        shown = "empty" if not key else f"`{str(value)[:40]}`"
        raise RowProblem(f"the preference `{names[0]}` is {shown}; expected A, B or tie (or 0, 1)")
    raise RowProblem(f"unknown preference format `{fmt}`")


# --- preview -------------------------------------------------------------------------------


def preview_cell(value, info: ColumnInfo | None, thumbnail=None) -> dict:
    """A cell for the preview table: text cut to 200 characters, numbers as they are, media as
    its size (and a small data URL when ``thumbnail(bytes) -> (mime, bytes) | None`` makes one)."""
    kind = info.type if info else ""
    if isinstance(value, dict) and ("bytes" in value or "path" in value) or isinstance(value, (bytes, bytearray)):
        data = value.get("bytes") if isinstance(value, dict) else bytes(value)
        path = value.get("path") if isinstance(value, dict) else ""
        out: dict = {"kind": "media", "size": len(data) if data else None, "path": (path or "")[:200]}
        if data and thumbnail is not None and kind != "video":
            made = thumbnail(bytes(data))
            if made:
                mime, small = made
                out["data_url"] = f"data:{mime};base64,{base64.b64encode(small).decode('ascii')}"
        return out
    if hasattr(value, "save") and hasattr(value, "size") and hasattr(value, "mode"):
        return {"kind": "media", "size": None, "path": "", "width": value.size[0], "height": value.size[1]}
    value = class_name(value, info)
    if isinstance(value, str):
        cut = value[:TEXT_PREVIEW_CHARS]
        return {"kind": "text", "value": cut, "truncated": len(value) > len(cut)}
    if value is None or isinstance(value, (bool, int)) or (isinstance(value, float) and math.isfinite(value)):
        return {"kind": "value", "value": value}
    try:
        text = json.dumps(json_safe(value), ensure_ascii=False)
    except (RowProblem, TypeError, ValueError):
        text = f"<{type(value).__name__}>"
    cut = text[:TEXT_PREVIEW_CHARS]
    return {"kind": "text", "value": cut, "truncated": len(text) > len(cut)}
