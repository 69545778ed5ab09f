"""Where a problem is in the file: a problem path (``dimensions[2].sub_dimensions[0].key``) to
its line and column in the YAML or JSON source.

The source is composed into YAML nodes (PyYAML's ``compose``, which reads JSON too) and the
path is walked node by node: a field is found at its key (the last one, where a key is
repeated, as the loaded value is the last), a list item at its first character. A path that
goes past what the file has (a missing field) stops at the deepest part that exists, so a
"required field is missing" problem points at the object that lacks it. Pure: no Django.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

import yaml

from .errors import Problem
from .parse import is_json

_STEP = re.compile(r"\[(\d+)\]|\.?([^.\[\]]+)")
_MESSAGE_MARK = re.compile(r"\bline (\d+), column (\d+)")
_MAX_STEPS = 64


def path_steps(path: str) -> list[str | int]:
    """``dimensions[2].sub_dimensions[0].key`` → ``["dimensions", 2, "sub_dimensions", 0, "key"]``."""
    steps: list[str | int] = []
    for match in _STEP.finditer(path or ""):
        index, name = match.groups()
        steps.append(int(index) if index is not None else name)
    return steps


def _compose(text: str, json_source: bool) -> yaml.Node | None:
    if json_source:
        # Tabs may indent JSON but not YAML; inside JSON strings they must be escaped, so
        # replacing them one for one keeps every line and column where it was.
        text = text.replace("\t", " ")
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):
        return None


def _child(node: yaml.Node, step: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    """(the node to report, the node to walk on) for one step, or None when it is not there."""
    if isinstance(node, yaml.SequenceNode):
        if isinstance(step, int) and 0 <= step < len(node.value):
            item = node.value[step]
            return item, item
        return None
    if isinstance(node, yaml.MappingNode):
        found = None
        merged = []
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                merged.append(value_node)
            elif isinstance(key_node, yaml.ScalarNode) and key_node.value == str(step):
                found = (key_node, value_node)
        if found is not None:
            return found
        for value_node in merged:  # `<<: *base` brings the fields of another mapping
            for source in value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]:
                inner = _child(source, step)
                if inner is not None:
                    return inner
    return None


def _locate_in(root: yaml.Node, path: str) -> tuple[int, int]:
    reported = root
    node = root
    for step in path_steps(path)[:_MAX_STEPS]:
        found = _child(node, step)
        if found is None:
            break
        reported, node = found
    mark = reported.start_mark
    return mark.line + 1, mark.column + 1


def locate(text: str, path: str, *, json_source: bool = False) -> tuple[int, int] | None:
    """The (line, column), 1-based, of ``path`` in ``text``; the deepest existing part of the
    path when it goes further than the file; None when the text cannot be composed."""
    root = _compose(text, json_source)
    if root is None:
        return None
    return _locate_in(root, path)


def locate_problems(problems: Iterable[Problem], content: str | bytes, filename: str = "") -> list[Problem]:
    """``problems`` with their ``line`` and ``column`` filled in from the source: a problem of
    the whole document (a syntax error) takes the line its message names, if any; a problem
    with a path takes where that path is. The file is composed once."""
    problems = list(problems)
    if isinstance(content, bytes | bytearray):
        try:
            content = bytes(content).decode("utf-8-sig")
        except UnicodeDecodeError:
            return problems
    content = content.removeprefix("\ufeff")
    root: yaml.Node | None | bool = False  # False: not composed yet
    out = []
    for problem in problems:
        if problem.line is not None:
            out.append(problem)
            continue
        if not problem.path:
            mark = _MESSAGE_MARK.search(problem.message)
            if mark:
                problem = dataclasses.replace(problem, line=int(mark.group(1)), column=int(mark.group(2)))
            out.append(problem)
            continue
        if root is False:
            root = _compose(content, is_json(content, filename))
        if root is not None:
            line, column = _locate_in(root, problem.path)
            problem = dataclasses.replace(problem, line=line, column=column)
        out.append(problem)
    return out
