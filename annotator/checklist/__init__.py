"""Hierarchical VisionReward-style checklists as pure data (no Django, no database).

A checklist is dimension → sub-dimension → options (ordered best to worst) → binary
questions ("is the option at least X?"). Annotators choose one option per sub-dimension;
:func:`expand` derives the binary answers and their applicability mask, :func:`collapse`
goes back. The file format is documented in ``docs/checklist-format.md``.
"""

from .builtin import BUILTIN_FILES, builtin_checklists, load_builtin
from .errors import AnswerError, ChecklistError, Problem
from .expand import Collapse, Expansion, collapse, expand, validate_options
from .loader import MEDIA_TYPES, checklist_from_dict, parse_checklist
from .model import PROMPT_PLACEHOLDER, Checklist, Dimension, Option, Question, SubDimension

__all__ = [
    "AnswerError",
    "BUILTIN_FILES",
    "Checklist",
    "ChecklistError",
    "Collapse",
    "Dimension",
    "Expansion",
    "MEDIA_TYPES",
    "Option",
    "PROMPT_PLACEHOLDER",
    "Problem",
    "Question",
    "SubDimension",
    "builtin_checklists",
    "checklist_from_dict",
    "collapse",
    "expand",
    "load_builtin",
    "parse_checklist",
    "validate_options",
]
