"""From a model's P(yes) per binary question to the most likely option per sub-dimension.

A model (VisionReward-style) answers each binary question with a probability of *yes*. The
option of a sub-dimension implies an answer to each of its questions (``SubDimension.is_yes``:
*yes* iff the option is at or above the question's threshold, by position), so, treating the
questions as independent, the likelihood of an option is the product over the sub-dimension's
questions of P(the answer that option implies): ``p`` for an implied *yes*, ``1 - p`` for a *no*.
The likelihoods are normalised over the options; the most likely one (ties: the better option)
is the prediction and its normalised probability the confidence.

Gates are honoured so that the predicted options always form a valid (draft) answer:

* a sub-dimension gated by a presence question whose sub-dimension is predicted absent (or is
  itself not applicable) is not applicable: it gets its not-present option, with the confidence
  of the prediction that closed the gate, or no entry when it has no not-present option;
* a sub-dimension whose gate is predicted open is predicted among its present options only
  (normalised over those: P(option | the thing is there));
* a gate whose sub-dimension has no prediction leaves the gated sub-dimension unconditioned.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

from .errors import AnswerError, Problem, suggestion
from .model import Checklist, Option, SubDimension

CONFIDENCE_DIGITS = 4
_CLAMP = 1e-6  # only used when every option of a sub-dimension has likelihood 0 (contradictory certainties)


def _is_probability(value: object) -> bool:
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
        and 0.0 <= float(value) <= 1.0
    )


def validate_p_yes(checklist: Checklist, p_yes: Mapping | None, partial: bool = False) -> list[Problem]:
    """Every problem with these probabilities (path = question key; ``""`` for the whole mapping).

    Unknown question keys (with a suggestion) come first, then, in question-position order,
    values that are not numbers between 0 and 1 and (unless ``partial``) questions without one.
    """
    if not isinstance(p_yes, Mapping):
        return [Problem("", "must be an object mapping question keys (q1, q2, …) to P(yes) between 0 and 1")]
    known = set(checklist.question_keys)
    problems = [
        Problem(str(key), f"unknown question {key!r}{suggestion(str(key), known)}") for key in p_yes if key not in known
    ]
    for question in checklist.questions:
        if question.key not in p_yes:
            if not partial:
                problems.append(Problem(question.key, "no probability given; every question needs P(yes)"))
            continue
        value = p_yes[question.key]
        if not _is_probability(value):
            problems.append(Problem(question.key, f"must be a number between 0 and 1 (got {value!r})"))
    return problems


def _likelihoods(sub: SubDimension, candidates: list[Option], p_yes: Mapping, clamp: float = 0.0) -> list[float]:
    out = []
    for option in candidates:
        likelihood = 1.0
        for question in sub.questions:
            p = min(max(float(p_yes[question.key]), clamp), 1.0 - clamp)
            likelihood *= p if sub.is_yes(question, option.code) else 1.0 - p
        out.append(likelihood)
    return out


def _most_likely(sub: SubDimension, candidates: list[Option], p_yes: Mapping) -> dict:
    likelihoods = _likelihoods(sub, candidates, p_yes)
    total = sum(likelihoods)
    if total <= 0.0:  # certainties that contradict each other: every option is impossible
        likelihoods = _likelihoods(sub, candidates, p_yes, clamp=_CLAMP)
        total = sum(likelihoods)
    best = 0
    for index, likelihood in enumerate(likelihoods):
        if likelihood > likelihoods[best]:  # strict: a tie keeps the better (earlier) option
            best = index
    return {"option": candidates[best].code, "confidence": round(likelihoods[best] / total, CONFIDENCE_DIGITS)}


def options_from_p_yes(checklist: Checklist, p_yes: Mapping[str, float]) -> dict[str, dict]:
    """The most likely option and its confidence for every sub-dimension whose questions all
    have a probability: ``{sub_key: {"option": code, "confidence": 0.93}}`` in hierarchy order.

    Missing questions are fine (their sub-dimensions get no entry); unknown keys or values that
    are not probabilities raise :class:`AnswerError`. See the module docstring for gates.
    """
    problems = validate_p_yes(checklist, p_yes, partial=True)
    if problems:
        raise AnswerError(problems)
    predicted: dict[str, dict] = {}
    closed: dict[str, float] = {}  # not applicable sub-dimension -> confidence of what closed it
    for sub in checklist.gate_order:
        complete = all(question.key in p_yes for question in sub.questions)
        candidates = list(sub.options)
        if sub.gated_by is not None:
            source = checklist.sub_dimension_of(sub.gated_by)
            absent_source = source.not_present_option
            if source.key in closed:
                closed[sub.key] = closed[source.key]
            elif source.key in predicted and absent_source is not None:
                if predicted[source.key]["option"] == absent_source.code:
                    closed[sub.key] = predicted[source.key]["confidence"]
                else:
                    candidates = [option for option in sub.options if not option.not_present]
            if sub.key in closed:
                absent = sub.not_present_option
                if complete and absent is not None:
                    predicted[sub.key] = {"option": absent.code, "confidence": closed[sub.key]}
                continue
        if complete:
            predicted[sub.key] = _most_likely(sub, candidates, p_yes)
    return {sub.key: predicted[sub.key] for sub in checklist.sub_dimensions if sub.key in predicted}
