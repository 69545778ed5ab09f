"""What an asset's prompt and metadata may hold: one set of rules for every way they enter
(import manifests, the admin), as pure functions over plain values.

PostgreSQL cannot store some text Python can hold: a NUL character (``\\x00``) in ``text`` or
``jsonb``, an unpaired surrogate (``"\\ud800"`` in JSON, or an undecodable byte read with
``surrogateescape``) in anything, NaN or Infinity in ``jsonb``. Those are refused here, before
anything is written, with a problem naming the key; so are prompts and metadata past their
size limits, metadata nested past its depth limit, and integers no export can hold (64 bits).

A problem is a ``(path, message)`` pair: ``path`` names the key inside the metadata
(``"model.seed"``, ``"tags[2]"``; empty for the value itself), ``message`` says what is wrong
in words a manifest's author can act on.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

INT_LIMIT = 2**64  # integers must fit in 64 bits (signed or unsigned): what Arrow/parquet exports hold
SHOWN_CHARS = 60


@dataclass(frozen=True)
class FieldLimits:
    max_prompt_chars: int = 10_000
    max_metadata_bytes: int = 64 * 1024
    max_metadata_depth: int = 10

    @classmethod
    def from_settings(cls) -> FieldLimits:
        from django.conf import settings

        return cls(
            max_prompt_chars=int(getattr(settings, "VR_MAX_PROMPT_CHARS", cls.max_prompt_chars)),
            max_metadata_bytes=int(getattr(settings, "VR_MAX_METADATA_BYTES", cls.max_metadata_bytes)),
            max_metadata_depth=int(getattr(settings, "VR_MAX_METADATA_DEPTH", cls.max_metadata_depth)),
        )


def shown(value: str, limit: int = SHOWN_CHARS) -> str:
    """``value`` safe to put in a message: control characters and surrogates escaped as in JSON,
    cut to ``limit`` characters."""
    text = json.dumps(value, ensure_ascii=False)[1:-1]
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def string_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None."""
    if "\x00" in value:
        return "contains a NUL character (\\x00), which cannot be stored"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = value[exc.start]
        if 0xDC80 <= ord(bad) <= 0xDCFF:
            return "is not UTF-8 text (save the file as UTF-8)"
        return f"contains an unpaired surrogate (\\u{ord(bad):04x}), which is not text"
    return None


def prompt_problem(value, limits: FieldLimits) -> str | None:
    """Why ``value`` cannot be an asset's prompt, or None."""
    if not isinstance(value, str):
        return "must be a string"
    problem = string_problem(value)
    if problem:
        return problem
    if len(value) > limits.max_prompt_chars:
        return (
            f"is {len(value):,} characters long; the limit is {limits.max_prompt_chars:,} characters "
            "(VR_MAX_PROMPT_CHARS)"
        )
    return None


def _path(parent: str, key) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    name = shown(key, 40) if isinstance(key, str) else repr(key)
    return f"{parent}.{name}" if parent else name


def json_value_problems(value, limits: FieldLimits, path: str = "", depth: int = 1) -> list[tuple[str, str]]:
    """Everything in the JSON value ``value`` PostgreSQL or an export cannot hold, with its path."""
    problems: list[tuple[str, str]] = []
    if isinstance(value, dict | list):
        if depth > limits.max_metadata_depth:
            return [(path, f"is nested more than {limits.max_metadata_depth} levels deep (VR_MAX_METADATA_DEPTH)")]
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(value, dict):
                if not isinstance(key, str):
                    problems.append((_path(path, repr(key)), "has a key that is not a string"))
                    continue
                problem = string_problem(key)
                if problem:
                    problems.append((_path(path, key), f"the key {problem}"))
                    continue
            problems += json_value_problems(item, limits, _path(path, key), depth + 1)
            if len(problems) >= 10:
                break
    elif isinstance(value, str):
        problem = string_problem(value)
        if problem:
            problems.append((path, problem))
    elif isinstance(value, bool) or value is None:
        pass
    elif isinstance(value, int):
        if not -INT_LIMIT < value < INT_LIMIT:
            problems.append((path, "is a number too large to store exactly (more than 64 bits); quote it as a string"))
    elif isinstance(value, float):
        if not math.isfinite(value):
            problems.append((path, f"is {value!r}: NaN and Infinity are not JSON numbers"))
    else:
        problems.append((path, f"is a {type(value).__name__}, not a JSON value"))
    return problems


def metadata_problems(value, limits: FieldLimits) -> list[tuple[str, str]]:
    """Why ``value`` cannot be an asset's metadata (empty when it can)."""
    if not isinstance(value, dict):
        return [("", "must be a JSON object")]
    problems = json_value_problems(value, limits)
    if problems:
        return problems
    size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    if size > limits.max_metadata_bytes:
        return [
            (
                "",
                f"is {size:,} bytes as JSON; the limit is {limits.max_metadata_bytes:,} bytes (VR_MAX_METADATA_BYTES)",
            )
        ]
    return []


def loads_json(text: str):
    """``json.loads`` that raises only ``ValueError`` with a readable message: nesting past
    Python's stack and integers past Python's digit limit are bad JSON too. NaN and Infinity
    parse (so that the checks above can name their key)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise ValueError(str(exc).split(";")[0]) from None
