"""What an annotator sends for a task (a draft, a submit, a revision or a reviewer's correction)
and how it is checked against the task's checklist: loosely for a draft, completely otherwise."""

from __future__ import annotations

from dataclasses import dataclass

from ..checklist import AnswerError, expand, validate_options
from ..models import Task
from .errors import AssignmentError

MAX_TIME_SPENT_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class AnswerPayload:
    """What an annotator sends for a task (a draft, a submit or a revision)."""

    options: dict
    preference: int | None = None
    dimension_preferences: dict | None = None
    comment: str = ""
    time_spent_ms: int = 0


def _check_pair_fields(task: Task, payload: AnswerPayload, *, complete: bool) -> dict:
    errors: dict = {}
    checklist = task.project.checklist_version.checklist
    if task.kind == Task.Kind.PAIR:
        pref = payload.preference
        if pref is None:
            if complete:
                errors["preference"] = ["This field is required for a pair: 1 (A much better) … 5 (B much better)."]
        elif isinstance(pref, bool) or not isinstance(pref, int) or not 1 <= pref <= 5:
            errors["preference"] = [f"{pref!r} is not a preference: use an integer from 1 to 5 (3 = no preference)."]
        dim_errors = {}
        dimension_keys = {d.key for d in checklist.dimensions}
        for key, value in (payload.dimension_preferences or {}).items():
            if key not in dimension_keys:
                dim_errors[key] = [f"unknown dimension {key!r}; known: {', '.join(sorted(dimension_keys))}"]
            elif value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5):
                dim_errors[key] = [f"{value!r} is not a preference: use an integer from 1 to 5."]
        if dim_errors:
            errors["dimension_preferences"] = dim_errors
        if payload.options:
            errors["options"] = ["A pair task takes a preference, not checklist options."]
    else:
        if payload.preference is not None:
            errors["preference"] = ["Only pair tasks take a preference."]
        if payload.dimension_preferences:
            errors["dimension_preferences"] = ["Only pair tasks take per-dimension preferences."]
    return errors


def _problems_to_errors(problems) -> dict:
    out: dict = {}
    for problem in problems:
        out.setdefault(problem.path or "options", []).append(problem.message)
    return out


def draft_errors(task: Task, payload: AnswerPayload) -> dict:
    """The problems of a draft (answers may be missing), as ``{field: [messages]}``; empty when
    it can be saved."""
    errors = _check_pair_fields(task, payload, complete=False)
    if task.kind == Task.Kind.SINGLE:
        problems = validate_options(task.project.checklist_version.checklist, payload.options, partial=True)
        if problems:
            errors["options"] = _problems_to_errors(problems)
    return errors


def derive_answers(task: Task, payload: AnswerPayload) -> tuple[dict, list, list]:
    """Validate a complete answer; returns (options, answers, mask)."""
    errors = _check_pair_fields(task, payload, complete=True)
    options, answers, mask = {}, [], []
    if task.kind == Task.Kind.SINGLE:
        try:
            expansion = expand(task.project.checklist_version.checklist, payload.options)
        except AnswerError as exc:
            errors["options"] = _problems_to_errors(exc.problems)
        else:
            options = {k: v for k, v in expansion.options.items() if v is not None}
            answers, mask = list(expansion.answers), list(expansion.mask)
    if not 0 <= payload.time_spent_ms <= MAX_TIME_SPENT_MS:
        errors["time_spent_ms"] = [f"must be between 0 and {MAX_TIME_SPENT_MS} milliseconds"]
    if errors:
        raise AssignmentError("The answers are incomplete or invalid.", errors)
    return options, answers, mask
