"""From chosen options to binary answers (``expand``) and back (``collapse``).

Rules (see ``docs/checklist-format.md``):

* a question is *yes* iff the chosen option is at or above its threshold option, by position
  in the best → worst list;
* choosing a sub-dimension's not-present option makes its questions not applicable
  (mask 0), except its presence question, which is applicable and answered *no*;
* a sub-dimension ``gated_by`` a presence question whose answer is *no* (or is itself not
  applicable) is not applicable: it needs no answer, all its questions are masked, and its
  implied option is its not-present option (or ``None`` if it has none).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .errors import AnswerError, Problem, suggestion
from .model import Checklist, Question, SubDimension

OPEN, CLOSED, UNKNOWN = "open", "closed", "unknown"


@dataclass(frozen=True)
class Expansion:
    """Binary answers in question-position order, their applicability mask (1 = applicable;
    answers are 0 where not applicable) and the completed option per sub-dimension (``None``
    where not applicable and the sub-dimension has no not-present option)."""

    answers: tuple[int, ...]
    mask: tuple[int, ...]
    options: dict[str, int | None]
    question_keys: tuple[str, ...] = field(default=())

    def by_key(self) -> dict[str, tuple[int, int]]:
        """question key → (answer, mask)."""
        return dict(zip(self.question_keys, zip(self.answers, self.mask, strict=True), strict=True))


@dataclass(frozen=True)
class Collapse:
    """Options implied by binary answers.

    ``options``: every sub-dimension (hierarchy order) → implied option code, or ``None`` when
    it is not determined (see ``unknown``), contradictory (see ``inconsistencies``) or not
    applicable without a not-present option. ``inconsistencies``: one problem per
    sub-dimension whose answers contradict each other or its gate (path = sub-dimension key).
    ``unknown``: keys of sub-dimensions whose option the answers leave open (answers missing,
    or its gate is undetermined, or its questions cannot tell the remaining options apart).
    """

    options: dict[str, int | None]
    inconsistencies: list[Problem]
    unknown: list[str]

    @property
    def complete(self) -> bool:
        return not self.inconsistencies and not self.unknown


def _describe(sub: SubDimension) -> str:
    return ", ".join(f"{option.code} ({option.label})" for option in sub.options)


def _is_code(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- options → answers ------------------------------------------------------------------


def _resolve(checklist: Checklist, options: Mapping | None, partial: bool) -> tuple[list[Problem], dict, dict]:
    """Check chosen options; returns (problems, valid choices, gate state per sub-dimension).

    Problems come in a stable order: unknown keys first, then by sub-dimension in hierarchy
    order. A choice that is itself wrong makes the gates it drives undetermined, so one
    mistake is reported once rather than again on every sub-dimension it gates.
    """
    if options is None:
        options = {}
    if not isinstance(options, Mapping):
        return [Problem("", "answers must be a mapping of sub-dimension key to option code")], {}, {}
    known = {sub.key for sub in checklist.sub_dimensions}
    problems = [
        Problem(str(key), f"unknown sub-dimension {key!r}{suggestion(str(key), known)}")
        for key in options
        if key not in known
    ]
    per_sub: dict[str, Problem] = {}
    choices: dict[str, int] = {}
    gates: dict[str, str] = {}
    for sub in checklist.gate_order:
        gate = OPEN
        if sub.gated_by is not None:
            source = checklist.sub_dimension_of(sub.gated_by)
            if gates[source.key] != OPEN:
                gate = gates[source.key]
            elif source.key not in choices:
                gate = UNKNOWN
            else:
                gate = CLOSED if choices[source.key] == source.not_present_option.code else OPEN
        gates[sub.key] = gate
        value = options.get(sub.key)
        absent = sub.not_present_option
        if value is None:
            if gate == OPEN and not partial:
                per_sub[sub.key] = Problem(sub.key, f"no option chosen; choose one of {_describe(sub)}")
        elif not _is_code(value):
            per_sub[sub.key] = Problem(
                sub.key, f"must be an integer option code (got {type(value).__name__} {value!r})"
            )
        elif not sub.has_option(value):
            per_sub[sub.key] = Problem(
                sub.key, f"{value} is not an option of {sub.key!r}; its options are {_describe(sub)}"
            )
        elif gate == OPEN and sub.gated_by is not None and absent is not None and value == absent.code:
            source = checklist.sub_dimension_of(sub.gated_by)
            per_sub[sub.key] = Problem(
                sub.key,
                f"{absent.label!r} contradicts {source.key!r}, whose answer means {sub.gated_by} "
                f"({checklist.question(sub.gated_by).text!r}) is yes; choose another option",
            )
        elif gate == CLOSED and (absent is None or value != absent.code):
            source = checklist.sub_dimension_of(sub.gated_by)
            if gates[source.key] == OPEN:
                because = f"{source.key!r} is {source.not_present_option.label!r}"
            else:
                because = f"{source.key!r} is itself not applicable"
            allowed = (
                f"leave it unanswered or choose {absent.code} ({absent.label})" if absent else "leave it unanswered"
            )
            per_sub[sub.key] = Problem(
                sub.key,
                f"not applicable: {sub.gated_by} ({checklist.question(sub.gated_by).text!r}) is no because "
                f"{because}; {allowed}",
            )
        else:
            choices[sub.key] = value
    problems.extend(per_sub[sub.key] for sub in checklist.sub_dimensions if sub.key in per_sub)
    return problems, choices, gates


def validate_options(checklist: Checklist, options: Mapping | None, partial: bool = True) -> list[Problem]:
    """Every problem with these chosen options (path = sub-dimension key). With ``partial``
    (a draft) unanswered sub-dimensions are fine; the other checks are the same as ``expand``'s."""
    return _resolve(checklist, options, partial)[0]


def expand(checklist: Checklist, options: Mapping[str, int]) -> Expansion:
    """Binary answers and mask, in question-position order, for one option per applicable
    sub-dimension. Raises :class:`AnswerError` listing every problem."""
    problems, choices, gates = _resolve(checklist, options, partial=False)
    if problems:
        raise AnswerError(problems)
    completed: dict[str, int | None] = {}
    for sub in checklist.sub_dimensions:
        if gates[sub.key] == OPEN:
            completed[sub.key] = choices[sub.key]
        else:
            absent = sub.not_present_option
            completed[sub.key] = absent.code if absent is not None else None
    answers, mask = [], []
    for question in checklist.questions:
        sub = checklist.sub_dimension(question.sub_dimension)
        choice = completed[sub.key]
        absent = sub.not_present_option
        if gates[sub.key] != OPEN:
            answers.append(0)
            mask.append(0)
        elif absent is not None and choice == absent.code:
            answers.append(0)
            mask.append(1 if question.presence else 0)
        else:
            answers.append(1 if sub.is_yes(question, choice) else 0)
            mask.append(1)
    return Expansion(tuple(answers), tuple(mask), completed, checklist.question_keys)


# --- answers → options ------------------------------------------------------------------


def _normalize_answers(checklist: Checklist, answers) -> dict[str, bool | None]:
    problems: list[Problem] = []
    keys = checklist.question_keys
    if isinstance(answers, Mapping):
        items = list(answers.items())
    elif isinstance(answers, Sequence) and not isinstance(answers, str | bytes):
        if len(answers) != len(keys):
            raise AnswerError(
                [Problem("", f"expected {len(keys)} answers in question-position order, got {len(answers)}")]
            )
        items = list(zip(keys, answers, strict=True))
    else:
        raise AnswerError([Problem("", "answers must map question keys to yes/no (or be a list in position order)")])
    known = set(keys)
    normalized: dict[str, bool | None] = dict.fromkeys(keys)
    for key, value in items:
        if key not in known:
            problems.append(Problem(str(key), f"unknown question {key!r}{suggestion(str(key), known)}"))
        elif value is None or isinstance(value, bool):
            normalized[key] = value
        elif _is_code(value) and value in (0, 1):
            normalized[key] = bool(value)
        else:
            problems.append(Problem(str(key), f"an answer must be true/false, 1/0 or null (got {value!r})"))
    if problems:
        raise AnswerError(problems)
    return normalized


def _bounds(sub: SubDimension, answers: dict[str, bool | None]) -> tuple[int, int, Question | None, Question | None]:
    """The range [lo, hi] of option ranks consistent with the known answers of ``sub``, with
    the questions that set each bound. A presence question answered no pins the not-present
    option (the other answers are then not applicable and ignored)."""
    worst = len(sub.options) - 1
    presence = sub.presence_question
    if presence is not None and answers[presence.key] is False:
        return worst, worst, presence, presence
    lo, hi, lo_q, hi_q = 0, worst, None, None
    for question in sub.questions:
        answer, rank = answers[question.key], sub.threshold_rank(question)
        if answer is True and rank < hi:
            hi, hi_q = rank, question
        elif answer is False and rank + 1 > lo:
            lo, lo_q = rank + 1, question
    return lo, hi, lo_q, hi_q


def collapse(checklist: Checklist, answers) -> Collapse:
    """The option of every sub-dimension implied by binary answers.

    ``answers`` maps question keys to ``True``/``False``/``1``/``0``/``None`` (``None`` or a
    missing key = unknown), or is a sequence in question-position order (as in
    ``Expansion.answers``). Malformed input (unknown question keys, other values) raises
    :class:`AnswerError`; contradictions are reported in ``inconsistencies``, never guessed.

    For each sub-dimension, every known answer narrows the rank range of the chosen option:
    *yes* to "at least t" keeps options at or above t, *no* keeps those below t. The implied
    option is the only option left; none left is an inconsistency, several left is unknown.
    Presence *no* implies the not-present option and the other answers are ignored. A gate
    that is closed implies the not-present option (or ``None``) and the gated sub-dimension's
    answers are ignored; a gate that is open rules out the not-present option (so "no"
    to its own presence question is an inconsistency); an undetermined gate leaves the
    gated sub-dimension unknown.
    """
    values = _normalize_answers(checklist, answers)
    options: dict[str, int | None] = {}
    inconsistencies: list[Problem] = []
    unknown: set[str] = set()
    # Per sub-dimension: (state, lo, hi): state is "ok", "gate unknown", "inconsistent" or
    # "closed"; [lo, hi] the ranks still possible.
    results: dict[str, tuple[str, int, int]] = {}

    for sub in checklist.gate_order:
        worst = len(sub.options) - 1
        absent = sub.not_present_option
        gate = OPEN
        if sub.gated_by is not None:
            source = checklist.sub_dimension_of(sub.gated_by)
            state, s_lo, s_hi = results[source.key]
            source_worst = len(source.options) - 1
            if state in ("closed", "ok", "gate unknown") and s_lo == source_worst:
                gate = CLOSED  # the gate question is no (or not applicable): either way the thing is absent
            elif state == "ok" and s_hi < source_worst:
                gate = OPEN
            else:
                gate = UNKNOWN
        if gate == CLOSED:
            results[sub.key] = ("closed", worst, worst)
            options[sub.key] = absent.code if absent is not None else None
            continue
        lo, hi, lo_q, hi_q = _bounds(sub, values)
        if lo > hi:
            inconsistencies.append(
                Problem(
                    sub.key,
                    f"{hi_q.key} ({hi_q.text!r}) is yes but {lo_q.key} ({lo_q.text!r}) is no: "
                    f"'at least {sub.option(hi_q.yes_if_at_least).label}' implies "
                    f"'at least {sub.option(lo_q.yes_if_at_least).label}'",
                )
            )
            results[sub.key] = ("inconsistent", lo, hi)
            options[sub.key] = None
            continue
        if gate == OPEN and sub.gated_by is not None and absent is not None:
            if lo == worst:
                inconsistencies.append(
                    Problem(
                        sub.key,
                        f"{lo_q.key} ({lo_q.text!r}) is no, but {sub.gated_by} "
                        f"({checklist.question(sub.gated_by).text!r}) is yes",
                    )
                )
                results[sub.key] = ("inconsistent", lo, hi)
                options[sub.key] = None
                continue
            hi = min(hi, worst - 1)  # the gate says the thing is there
        results[sub.key] = ("gate unknown" if gate == UNKNOWN else "ok", lo, hi)
        if gate == UNKNOWN or lo != hi:
            options[sub.key] = None
            unknown.add(sub.key)
        else:
            options[sub.key] = sub.options[lo].code

    ordered = {sub.key: options[sub.key] for sub in checklist.sub_dimensions}
    position = {sub.key: index for index, sub in enumerate(checklist.sub_dimensions)}
    inconsistencies.sort(key=lambda problem: position[problem.path])
    return Collapse(ordered, inconsistencies, [sub.key for sub in checklist.sub_dimensions if sub.key in unknown])
