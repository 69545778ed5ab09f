"""Hierarchical VisionReward-style checklists as pure data (no Django, no database).

A checklist is dimension → sub-dimension → options (ordered best to worst) → binary
questions ("is the option at least X?"). Annotators choose one option per sub-dimension;
:func:`expand` derives the binary answers and their applicability mask, :func:`collapse`
goes back; :func:`options_from_p_yes` turns a model's P(yes) per question into the most
likely option per sub-dimension. The file format is documented in ``docs/checklist-format.md``.
"""

from .builtin import BUILTIN_FILES, builtin_checklists, load_builtin
from .errors import AnswerError, ChecklistError, Problem
from .expand import Collapse, Expansion, collapse, expand, validate_options
from .loader import checklist_from_dict, parse_checklist
from .model import PROMPT_PLACEHOLDER, Checklist, Dimension, Option, Question, SubDimension
from .predict import options_from_p_yes, validate_p_yes
from .validate import MEDIA_TYPES

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
    "options_from_p_yes",
    "parse_checklist",
    "validate_options",
    "validate_p_yes",
]
