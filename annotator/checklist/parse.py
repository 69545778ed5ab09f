"""Checklist files as text → data: JSON or YAML (safe loader), with duplicate mapping keys
reported as problems with their path (and, for YAML, their line and column), and syntax errors
with their line and column. What the data means is checked by :mod:`.validate`."""

from __future__ import annotations

import json
from typing import Any

import yaml

from .errors import ChecklistError, Problem, join_path

MAX_YAML_NODES = 100_000

_UNREADABLE = object()  # no data to validate (a syntax error): the problems say why


class _DuplicateKeysDict(dict):
    """A JSON object that had repeated keys (the last value wins, as in ``json``)."""

    duplicates: list[str]


def _json_object(pairs: list[tuple[str, Any]]) -> dict:
    result = _DuplicateKeysDict()
    duplicates = []
    for key, value in pairs:
        if key in result and key not in duplicates:
            duplicates.append(key)
        result[key] = value
    result.duplicates = duplicates
    return result if duplicates else dict(result)


def _json_duplicates(data: Any, path: str = "") -> list[Problem]:
    problems: list[Problem] = []
    stack = [(data, path)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, dict):
            for key in getattr(value, "duplicates", ()):
                problems.append(Problem(join_path(where, key), f"duplicate key {key!r} in the JSON object"))
            stack.extend((child, join_path(where, str(key))) for key, child in reversed(list(value.items())))
        elif isinstance(value, list):
            stack.extend((child, f"{where}[{index}]") for index, child in reversed(list(enumerate(value))))
    return sorted(problems, key=lambda p: p.path)


def _parse_json(text: str) -> tuple[Any, list[Problem]]:
    try:
        data = json.loads(text, object_pairs_hook=_json_object)
    except json.JSONDecodeError as exc:
        return _UNREADABLE, [Problem("", f"JSON syntax error at line {exc.lineno}, column {exc.colno}: {exc.msg}")]
    except RecursionError:
        return _UNREADABLE, [Problem("", "the JSON is nested too deeply")]
    return data, _json_duplicates(data)


def _mark(mark) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


def _yaml_duplicates(root: yaml.Node) -> tuple[list[Problem], bool]:
    """Duplicate mapping keys, with their paths; False when the document is too large
    (alias expansion beyond MAX_YAML_NODES)."""
    problems: list[Problem] = []
    reported: set[int] = set()
    visited = 0
    stack: list[tuple[yaml.Node, str]] = [(root, "")]
    while stack:
        node, path = stack.pop()
        visited += 1
        if visited > MAX_YAML_NODES:
            return problems, False
        if isinstance(node, yaml.MappingNode):
            first_seen: dict[tuple[str, str], yaml.Node] = {}
            children = []
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    children.append((value_node, path))
                    continue
                name = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
                identity = (key_node.tag, name)
                if isinstance(key_node, yaml.ScalarNode) and identity in first_seen:
                    if id(key_node) not in reported:
                        reported.add(id(key_node))
                        problems.append(
                            Problem(
                                join_path(path, name),
                                f"duplicate key {name!r} in the YAML at {_mark(key_node.start_mark)} "
                                f"(first at {_mark(first_seen[identity].start_mark)}); keep only one",
                            )
                        )
                else:
                    first_seen[identity] = key_node
                children.append((value_node, join_path(path, name)))
            stack.extend(reversed(children))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed([(child, f"{path}[{index}]") for index, child in enumerate(node.value)]))
    return problems, True


def _parse_yaml(text: str) -> tuple[Any, list[Problem]]:
    try:
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as exc:  # the reader refuses control characters before any parsing
        return _UNREADABLE, [Problem("", f"YAML error: {exc}")]
    try:
        node = loader.get_single_node()
        if node is None:
            return _UNREADABLE, [Problem("", "the file is empty")]
        problems, small_enough = _yaml_duplicates(node)
        if not small_enough:
            return _UNREADABLE, [
                Problem("", f"the YAML expands to more than {MAX_YAML_NODES} nodes (too many aliases?)")
            ]
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at {_mark(mark)}" if mark is not None else ""
        message = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            context_where = f" started at {_mark(exc.context_mark)}" if exc.context_mark is not None else ""
            message = f"{exc.problem} ({exc.context}{context_where})"
        return _UNREADABLE, [Problem("", f"YAML syntax error{where}: {message}")]
    except yaml.YAMLError as exc:
        return _UNREADABLE, [Problem("", f"YAML error: {exc}")]
    except RecursionError:
        return _UNREADABLE, [Problem("", "the YAML is nested too deeply")]
    finally:
        loader.dispose()
    return data, problems


def is_json(content: str, filename: str) -> bool:
    """Whether a checklist file is read as JSON: its name ends in ``.json`` or it starts with ``{``."""
    return filename.lower().endswith(".json") or content.lstrip().startswith("{")


def read_document(content: str | bytes, filename: str = "checklist.yaml") -> tuple[Any, list[Problem]]:
    """The data of a checklist file and the problems already found in it (duplicate keys);
    raises :class:`ChecklistError` when there is no data to validate (not UTF-8, empty, a
    syntax error). JSON when ``filename`` ends in ``.json`` or the content starts with ``{``,
    YAML otherwise."""
    if isinstance(content, bytes | bytearray):
        try:
            content = bytes(content).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ChecklistError(
                [Problem("", f"the file is not UTF-8 text (invalid byte at offset {exc.start})")], filename
            ) from None
    elif not isinstance(content, str):
        raise TypeError(f"content must be str or bytes, not {type(content).__name__}")
    content = content.removeprefix("\ufeff")
    if not content.strip():
        raise ChecklistError([Problem("", "the file is empty")], filename)
    if is_json(content, filename):
        data, problems = _parse_json(content)
    else:
        data, problems = _parse_yaml(content)
    if data is _UNREADABLE:
        raise ChecklistError(problems, filename)
    return data, problems
