"""Reading checklist definitions (YAML or JSON): the two entry points.

A file is parsed (:mod:`.parse`: text → data, duplicate keys and syntax errors with their
line), validated (:mod:`.validate`: every problem with its path in the file, collected before
raising, so an admin can fix a file in one pass) and built (:mod:`.build`). The format is
documented in ``docs/checklist-format.md``.
"""

from __future__ import annotations

from .model import Checklist
from .parse import read_document
from .validate import validate


def parse_checklist(content: str | bytes, filename: str = "checklist.yaml") -> Checklist:
    """Parse and validate a checklist file. JSON when ``filename`` ends in ``.json`` or the
    content starts with ``{``, YAML otherwise (safe loader; duplicate keys are errors).
    Raises :class:`ChecklistError` listing every problem."""
    data, problems = read_document(content, filename)
    return validate(data, problems, filename)


def checklist_from_dict(data: dict) -> Checklist:
    """Validate a parsed definition (e.g. ``Checklist.to_dict()`` or a stored copy) and build
    the checklist; raises :class:`ChecklistError` listing every problem."""
    return validate(data)
