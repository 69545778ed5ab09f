"""Problems found in a checklist definition or in a set of answers."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem, located by its path in the file (``dimensions[2].sub_dimensions[0].key``)
    or, for answers, by the sub-dimension or question key it concerns. An empty path means
    the whole document. ``line`` and ``column`` (1-based) locate it in the source text where
    known (:func:`annotator.checklist.lines.locate_problems`)."""

    path: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


def join_path(path: str, name: str) -> str:
    """The path of field ``name`` of the object at ``path`` (the top when ``path`` is empty)."""
    return f"{path}.{name}" if path else name


def suggestion(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` with the closest of ``known`` to a misspelt ``name``, or ``""``."""
    match = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _listing(problems: list[Problem], heading: str) -> str:
    count = len(problems)
    lines = [f"{heading}: {count} problem{'s' if count != 1 else ''}"]
    lines.extend(f"  - {problem}" for problem in problems)
    return "\n".join(lines)


class ChecklistError(Exception):
    """A checklist definition is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem], source: str | None = None):
        self.problems = list(problems)
        self.source = source
        super().__init__(_listing(self.problems, source or "invalid checklist"))

    def __reduce__(self):
        return (type(self), (self.problems, self.source))


class AnswerError(ValueError):
    """Chosen options (or binary answers) do not fit the checklist; ``problems`` lists them all,
    each with the sub-dimension (or question) key as its path."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(_listing(self.problems, "invalid answers"))

    def __reduce__(self):
        return (type(self), (self.problems,))
