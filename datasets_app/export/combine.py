"""From an asset's annotations to the rows of the default config.

Combine rules (``ExportSettings.combine``):

* ``"all"``: one row per annotation (``source="annotation"``, id ``"<asset>-<annotation>"``),
  plus the gold answer as a row of its own (``source="gold"``, id ``"<asset>-gold"``).
  ``agreement`` is null on these rows.
* ``"majority"``: one row per asset (id ``"<asset>"``, ``source="majority"``):

  - per question, among the raters for whom it applied (their mask is 1), the answer given by
    more than half of them; a tie (including 1–1) goes to the gold answer when there is a gold
    answer and the question applies to it, otherwise to *no*. The gold answer is never
    counted as a vote, it only breaks ties;
  - the mask follows the checklist's own structure applied to the majority answers (in gate
    order): a question is applicable iff its sub-dimension's gate question is applicable and
    answered *yes* in the majority row, and, for a sub-dimension with a presence question, that
    presence question is answered *yes* (the presence question itself stays applicable), and at
    least one rater answered it. With one level of gating this is exactly "applicable for a
    strict majority of the raters, ties toward the gold answer's applicability, else not
    applicable"; with nested gates it keeps the row consistent (never a gated question
    applicable under a *no* gate);
  - ``agreement[i]`` = share of the raters for whom question i applied who gave the chosen
    answer; null where the row's mask is 0;
  - ``options``: the options the majority answers imply
    (:func:`annotator.checklist.collapse`), ``None`` for a sub-dimension whose majority answers
    are inconsistent or leave the option open;
  - with no annotation but a gold answer, the gold answer stands in (``source="gold"``).
* ``"gold"``: the gold answer where there is one (``source="gold"``, id ``"<asset>"``, its
  agreement = share of the applicable raters who gave the gold answer), the majority row
  otherwise.

Items without any annotation and without a gold answer give no rows. ``num_annotations`` is
the number of rater annotations of the asset (gold excluded) on every row of it. An annotation
without an id (``annotation_id=None``) gets the row id ``"<asset>-n<index>"`` (its position
among the asset's annotations).

Pairs (:func:`pair_row`, the ``pairs`` config): the judgement is made on the gold rating when
there is one, else on the mean of the ratings; below 3 → A preferred (``label`` 1.0,
``standard_answer`` "1"), above 3 → B (0.0, "2"), exactly 3 → tie (0.5, "0"). Pairs with neither
ratings nor a gold rating give no row.
"""

from __future__ import annotations

import dataclasses
import json
import operator
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from annotator.agreement import AgreementAccumulator
from annotator.checklist import Checklist

from .items import ANSWER_STATES, MEDIA_TYPES, Answers, ExportError, ExportSettings, Item, MediaRef, PairItem

SOURCES = ("annotation", "gold", "majority")


@dataclass(frozen=True)
class Vote:
    """The majority row's answers, mask, per-question agreement and implied options."""

    answers: tuple[int, ...]
    mask: tuple[int, ...]
    agreement: tuple[float | None, ...]
    options: dict[str, int | None]


def check_answers(answers: Answers, checklist: Checklist, where: str) -> None:
    """Shape checks: answer and mask vectors of the checklist's length, binary values, a known
    state and known sub-dimension keys. Raises :class:`ExportError` naming ``where``."""
    n = len(checklist.questions)
    if len(answers.answers) != n or len(answers.mask) != n:
        raise ExportError(
            f"expected {n} answers and mask values, got {len(answers.answers)} and {len(answers.mask)}", where
        )
    if not _binary(answers.answers) or not _binary(answers.mask):
        raise ExportError("answers and mask must be 0 or 1", where)
    if answers.state not in ANSWER_STATES:
        raise ExportError(f"unknown state {answers.state!r}; use one of {', '.join(ANSWER_STATES)}", where)
    codes = _per_checklist(checklist, "codes", _option_codes)
    unknown = sorted(set(answers.options) - codes.keys())
    if unknown:
        raise ExportError(f"unknown sub-dimension(s) {', '.join(map(repr, unknown))} in options", where)
    for key, code in answers.options.items():
        if code is not None and (code.__class__ is not int or code not in codes[key]):
            if not checklist.sub_dimension(key).has_option(code):
                raise ExportError(f"{code!r} is not an option code of sub-dimension {key!r}", where)


_BINARY = frozenset((0, 1))
_PER_CHECKLIST: dict[tuple[int, str], tuple[Checklist, Any]] = {}


def _per_checklist(checklist: Checklist, name: str, build: Callable[[Checklist], Any]) -> Any:
    """``build(checklist)``, remembered while the same checklist object is in use (a whole
    export), so per-row checks do not walk the checklist again."""
    entry = _PER_CHECKLIST.get((id(checklist), name))
    if entry is None or entry[0] is not checklist:
        if len(_PER_CHECKLIST) > 32:
            _PER_CHECKLIST.clear()
        entry = _PER_CHECKLIST[(id(checklist), name)] = (checklist, build(checklist))
    return entry[1]


def _option_codes(checklist: Checklist) -> dict[str, frozenset[int]]:
    return {sub.key: frozenset(sub.codes) for sub in checklist.sub_dimensions}


def _binary(values: Sequence) -> bool:
    """Every value is 0 or 1 (ints or bools, as ``value in (0, 1)``)."""
    return set(values) <= _BINARY


def check_item(item: Item, checklist: Checklist) -> None:
    """Every :class:`Answers` of the item, its media type and its dimension scores."""
    where = f"item {item.asset_id}"
    if not item.media_path:
        raise ExportError(f"{where}: no media file to export", "media_path")
    if item.media_type not in MEDIA_TYPES or item.media_type != checklist.media_type:
        raise ExportError(
            f"{where}: media type {item.media_type!r} does not match the checklist's {checklist.media_type!r}",
            "media_type",
        )
    for index, answers in enumerate(item.annotations):
        check_answers(answers, checklist, f"{where}: annotations[{index}]")
    if item.gold is not None:
        check_answers(item.gold, checklist, f"{where}: gold")
    if item.dimension_scores is not None:
        known = {dimension.key for dimension in checklist.dimensions}
        unknown = sorted(set(item.dimension_scores) - known)
        if unknown:
            raise ExportError(f"{where}: unknown dimension(s) {', '.join(map(repr, unknown))}", "dimension_scores")


def _raw_votes(
    checklist: Checklist, annotations: Sequence[Answers], gold: Answers | None
) -> tuple[list[int | None], list[int], list[int]]:
    """Per question: the majority answer among the raters for whom it applied (``None`` when
    it applied to nobody), the number of such raters and the number of their *yes*."""
    n = len(checklist.questions)
    if len(annotations) == 1:  # the common case (k = 1), without the per-question loop below
        only = annotations[0]
        if len(only.answers) != n or len(only.mask) != n:
            raise ValueError("answers and mask must have one value per question")
        applied = [1 if mask else 0 for mask in only.mask]
        yes = [answer if mask else 0 for answer, mask in zip(only.answers, only.mask, strict=True)]
    else:
        applied, yes = [0] * n, [0] * n
        for annotation in annotations:
            for index, (answer, mask) in enumerate(zip(annotation.answers, annotation.mask, strict=True)):
                if mask:
                    applied[index] += 1
                    yes[index] += answer
    raw: list[int | None] = []
    for index in range(n):
        if applied[index] == 0:
            raw.append(None)
        elif 2 * yes[index] > applied[index]:
            raw.append(1)
        elif 2 * yes[index] < applied[index]:
            raw.append(0)
        elif gold is not None and gold.mask[index]:
            raw.append(gold.answers[index])
        else:
            raw.append(0)
    return raw, applied, yes


def agreement_with(
    answers: Sequence[int], mask: Sequence[int], applied: Sequence[int], yes: Sequence[int]
) -> tuple[float | None, ...]:
    """Share of the raters for whom each question applied who gave ``answers[i]``; ``None``
    where ``mask[i]`` is 0 or the question applied to no rater."""
    out: list[float | None] = []
    for answer, applicable, n, n_yes in zip(answers, mask, applied, yes, strict=True):
        if not applicable or n == 0:
            out.append(None)
        else:
            out.append((n_yes if answer else n - n_yes) / n)
    return tuple(out)


def _gate_plan(checklist: Checklist) -> list[tuple[int | None, int | None, tuple[int, ...]]]:
    """Per sub-dimension in gate order: its gate question's index, its presence question's
    index and the indices of its other questions (what :func:`majority_vote` walks per row)."""
    plan = []
    for sub in checklist.gate_order:
        gate = checklist.question(sub.gated_by).index if sub.gated_by is not None else None
        presence = sub.presence_question.index if sub.presence_question is not None else None
        plan.append((gate, presence, tuple(q.index for q in sub.questions if not q.presence)))
    return plan


def majority_vote(checklist: Checklist, annotations: Sequence[Answers], gold: Answers | None = None) -> Vote:
    """The majority row of these annotations (rules in the module docstring)."""
    raw, applied, yes = _raw_votes(checklist, annotations, gold)
    n = len(checklist.questions)
    answers, mask = [0] * n, [0] * n
    for gate, presence, others in _per_checklist(checklist, "gates", _gate_plan):
        if gate is not None and not (mask[gate] and answers[gate]):
            continue
        if presence is not None:
            value = raw[presence]
            if value is None:
                continue
            answers[presence], mask[presence] = value, 1
            if value != 1:
                continue
        for index in others:
            value = raw[index]
            if value is not None:
                answers[index], mask[index] = value, 1
    options = collapsed_options(
        checklist, [answer if applicable else None for answer, applicable in zip(answers, mask, strict=True)]
    )
    return Vote(tuple(answers), tuple(mask), agreement_with(answers, mask, applied, yes), options)


# --- answers → options, for many rows ------------------------------------------------------


@dataclass
class _SubCollapse:
    """One sub-dimension's part of :func:`annotator.checklist.collapse`, memoised: its result
    depends only on its gate (open / closed / unknown) and its own questions' answers."""

    key: str
    source: int | None  # index (in gate order) of the gating sub-dimension
    source_worst: int
    indices: tuple[int, ...]  # its questions' positions in the answer vector
    sub: Any
    memo: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        get = operator.itemgetter(*self.indices) if self.indices else (lambda values: ())
        self.values_of = get if len(self.indices) != 1 else (lambda values: (get(values),))

    def result(self, gate: str, values: tuple) -> tuple[str, int, int, int | None]:
        key = (gate, values)
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = self._compute(gate, values)
        return found

    def _compute(self, gate: str, values: tuple) -> tuple[str, int, int, int | None]:
        # the body of annotator.checklist.collapse for one sub-dimension, without the messages
        sub = self.sub
        worst = len(sub.options) - 1
        absent = sub.not_present_option
        if gate == "closed":
            return ("closed", worst, worst, absent.code if absent is not None else None)
        answers = {
            question.key: None if value is None else bool(value)
            for question, value in zip(sub.questions, values, strict=True)
        }
        presence = sub.presence_question
        if presence is not None and answers[presence.key] is False:
            lo = hi = worst
        else:
            lo, hi = 0, worst
            for question in sub.questions:
                answer, rank = answers[question.key], sub.threshold_rank(question)
                if answer is True and rank < hi:
                    hi = rank
                elif answer is False and rank + 1 > lo:
                    lo = rank + 1
        if lo > hi:
            return ("inconsistent", lo, hi, None)
        if gate == "open" and sub.gated_by is not None and absent is not None:
            if lo == worst:
                return ("inconsistent", lo, hi, None)
            hi = min(hi, worst - 1)
        state = "gate unknown" if gate == "unknown" else "ok"
        if gate == "unknown" or lo != hi:
            return (state, lo, hi, None)
        return (state, lo, hi, sub.options[lo].code)


class OptionCollapser:
    """``collapse(checklist, answers).options`` for answer vectors already known to be well
    formed (0 / 1 / ``None`` per question), at a fraction of the cost: each sub-dimension's
    result is looked up by (gate, its own answers) instead of worked out again per row."""

    def __init__(self, checklist: Checklist):
        order = list(checklist.gate_order)
        position = {sub.key: index for index, sub in enumerate(order)}
        self._order = [sub.key for sub in checklist.sub_dimensions]
        self._subs = []
        for sub in order:
            source = checklist.sub_dimension_of(sub.gated_by) if sub.gated_by is not None else None
            self._subs.append(
                _SubCollapse(
                    key=sub.key,
                    source=position[source.key] if source is not None else None,
                    source_worst=len(source.options) - 1 if source is not None else 0,
                    indices=tuple(question.index for question in sub.questions),
                    sub=sub,
                )
            )

    def __call__(self, values: Sequence[int | None]) -> dict[str, int | None]:
        results: list = []
        options: dict[str, int | None] = {}
        for spec in self._subs:
            gate = "open"
            if spec.source is not None:
                state, s_lo, s_hi, _ = results[spec.source]
                if state in ("closed", "ok", "gate unknown") and s_lo == spec.source_worst:
                    gate = "closed"
                elif state == "ok" and s_hi < spec.source_worst:
                    gate = "open"
                else:
                    gate = "unknown"
            found = spec.result(gate, spec.values_of(values))
            results.append(found)
            options[spec.key] = found[3]
        return {key: options[key] for key in self._order}

    def columns(self, values: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The same for many rows at once: ``values`` is rows × questions (1 / 0, -1 for
        ``None``); returns sub-dimension key → (option codes, valid), ``valid`` False where the
        option is ``None``. Each row's (gate, answers) combination is a number, base 3; its
        result is looked up in a table of every combination (worked out once per collapser),
        or, for a sub-dimension with too many questions for one, of the distinct ones."""
        rows = values.shape[0]
        results: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        options: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for spec in self._subs:
            if spec.source is None:
                key = np.zeros(rows, dtype=np.int64)
            else:
                state, lo, hi = results[spec.source]
                closed = (state != _STATE_CODES["inconsistent"]) & (lo == spec.source_worst)
                opened = ~closed & (state == _STATE_CODES["ok"]) & (hi < spec.source_worst)
                key = np.where(closed, 1, np.where(opened, 0, 2))
            if spec.indices:
                digits = values[:, list(spec.indices)] + 1  # rows × its questions: 0 None, 1 no, 2 yes
                key = key + digits @ (3 ** np.arange(1, len(spec.indices) + 1, dtype=np.int64))
            if len(spec.indices) <= _TABLE_QUESTIONS:
                table = self._table(spec)
                at = key
            else:
                distinct, at = np.unique(key, return_inverse=True)
                table = _lookup(spec, distinct.tolist())
                at = at.reshape(-1)
            state_of, lo_of, hi_of, code_of, valid_of = table
            results.append((state_of[at], lo_of[at], hi_of[at]))
            options[spec.key] = (code_of[at], valid_of[at])
        return {key: options[key] for key in self._order}

    def _table(self, spec: _SubCollapse) -> tuple[np.ndarray, ...]:
        """``_lookup`` of every (gate, answers) number of a sub-dimension, kept on it."""
        table = spec.memo.get("table")
        if table is None:
            table = spec.memo["table"] = _lookup(spec, range(3 ** (len(spec.indices) + 1)))
        return table


_TABLE_QUESTIONS = 8  # a sub-dimension of up to this many questions gets a full table (3^9 entries)


def _lookup(spec: _SubCollapse, codes) -> tuple[np.ndarray, ...]:
    """(state, lo, hi, option code, valid) arrays of the (gate, answers) numbers ``codes``."""
    table = []
    for code in codes:
        found = spec.result(
            _GATES[code % 3],
            tuple((None, 0, 1)[(code // 3 ** (p + 1)) % 3] for p in range(len(spec.indices))),
        )
        table.append((_STATE_CODES[found[0]], found[1], found[2], found[3]))
    return (
        np.array([t[0] for t in table], dtype=np.int64),
        np.array([t[1] for t in table], dtype=np.int64),
        np.array([t[2] for t in table], dtype=np.int64),
        np.array([0 if t[3] is None else t[3] for t in table], dtype=np.int64),
        np.array([t[3] is not None for t in table], dtype=bool),
    )


_GATES = ("open", "closed", "unknown")
_STATE_CODES = {"closed": 0, "ok": 1, "gate unknown": 2, "inconsistent": 3}


def collapsed_options(checklist: Checklist, values: Sequence[int | None]) -> dict[str, int | None]:
    """``dict(collapse(checklist, values).options)`` for a well-formed vector (one 0 / 1 /
    ``None`` per question), memoised per checklist (see :class:`OptionCollapser`)."""
    return _per_checklist(checklist, "collapser", OptionCollapser)(values)


def media_columns(item: Item, settings: ExportSettings) -> dict[str, Any]:
    """The media columns of a one-asset row, as MediaRef values (videos never embedded). Files
    are identified by the sha256 of their content, computed on export: ``Item.media_sha256`` is
    the platform's record (possibly of the original upload, not of the exported display file)."""
    if item.media_type == "image":
        return {"image": MediaRef(item.media_path)}
    columns: dict[str, Any] = {"video_path": MediaRef(item.media_path, embed=False)}
    if settings.embed_frames:
        columns["frames"] = [MediaRef(path, None, embed=True) for path in item.frame_paths]
    return columns


def _options(checklist: Checklist, options: dict[str, int | None]) -> dict[str, int | None]:
    return {sub.key: options.get(sub.key) for sub in checklist.sub_dimensions}


def _dimension_scores(checklist: Checklist, scores: dict[str, float] | None) -> dict[str, float | None] | None:
    if scores is None:
        return None
    return {
        dimension.key: (float(scores[dimension.key]) if scores.get(dimension.key) is not None else None)
        for dimension in checklist.dimensions
    }


def metadata_json(metadata: dict[str, Any]) -> str:
    """Canonical JSON of the item's metadata (sorted keys; non-JSON values as ``str``)."""
    return json.dumps(metadata or {}, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def rows_of(item: Item, checklist: Checklist, settings: ExportSettings) -> list[dict]:
    """The default config's rows of one item (rules in the module docstring). Media columns
    hold :class:`~datasets_app.export.items.MediaRef` values that the writers encode."""
    if not item.annotations and item.gold is None:
        return []  # nothing to export (its media is not even looked at)
    check_item(item, checklist)
    n_annotations = len(item.annotations)
    common = {
        "asset_id": item.asset_id,
        "project_id": item.project_id,
        "prompt": item.prompt,
        "media_type": item.media_type,
        **media_columns(item, settings),
    }
    tail = {
        "num_annotations": n_annotations,
        "score": float(item.score) if item.score is not None else None,
        "dimension_scores": _dimension_scores(checklist, item.dimension_scores),
        "metadata": metadata_json(item.metadata),
        "media_sha256": item.media_sha256,
    }

    def row(
        row_id: str, answers: Answers | Vote, agreement, annotator: str | None, source: str, state: str | None
    ) -> dict:
        return {
            "id": row_id,
            **common,
            "options": _options(checklist, answers.options),
            "answers": list(answers.answers),
            "mask": list(answers.mask),
            "agreement": list(agreement) if agreement is not None else None,
            "annotator": annotator,
            "source": source,
            "state": state,
            **tail,
        }

    if settings.combine == "all":
        rows = [
            row(
                f"{item.asset_id}-{answers.annotation_id if answers.annotation_id is not None else f'n{index}'}",
                answers,
                None,
                answers.annotator,
                "annotation",
                answers.state,
            )
            for index, answers in enumerate(item.annotations)
        ]
        if item.gold is not None:
            rows.append(row(f"{item.asset_id}-gold", item.gold, None, item.gold.annotator, "gold", "gold"))
        return rows
    if item.gold is not None and (settings.combine == "gold" or not item.annotations):
        _, applied, yes = _raw_votes(checklist, item.annotations, None)
        agreement = agreement_with(item.gold.answers, item.gold.mask, applied, yes)
        return [row(str(item.asset_id), item.gold, agreement, item.gold.annotator, "gold", "gold")]
    vote = majority_vote(checklist, item.annotations, item.gold)
    return [row(str(item.asset_id), vote, vote.agreement, None, "majority", None)]


# --- pairs ------------------------------------------------------------------------------


def counted(item: Item, settings: ExportSettings) -> Item:
    """The item as the export counts it: without its late extras (annotations submitted after
    their lease lapsed and their slot went to someone else, beyond the task's k) unless
    ``settings.include_late``."""
    if settings.include_late or not any(a.late for a in item.annotations):
        return item
    return dataclasses.replace(item, annotations=tuple(a for a in item.annotations if not a.late))


def counted_pair(pair: PairItem, settings: ExportSettings) -> PairItem:
    """The pair as the export counts it: its late extras' ratings join ``ratings`` only with
    ``settings.include_late``."""
    if not pair.late_ratings:
        return pair
    ratings = pair.ratings + pair.late_ratings if settings.include_late else pair.ratings
    return dataclasses.replace(pair, ratings=ratings, late_ratings=())


def preference(pair: PairItem) -> float | None:
    """The rating the label is judged on: the gold rating, else the mean (``None`` if neither)."""
    if pair.gold is not None:
        return float(pair.gold)
    if pair.ratings:
        return sum(pair.ratings) / len(pair.ratings)
    return None


def label_of(value: float) -> float:
    """1.0 when A (first) is preferred (rating below 3), 0.0 when B is, 0.5 for a tie."""
    return 1.0 if value < 3 else 0.0 if value > 3 else 0.5


def standard_answer_of(value: float) -> str:
    """ "1" (first preferred), "2" (second preferred) or "0" (tie)."""
    return "1" if value < 3 else "2" if value > 3 else "0"


def check_pair(pair: PairItem) -> None:
    where = f"pair {pair.task_id}"
    for rating in (*pair.ratings, *(() if pair.gold is None else (pair.gold,))):
        if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
            raise ExportError(f"{where}: ratings must be integers 1..5 (got {rating!r})", "ratings")


def pair_row(pair: PairItem, media_type: str) -> dict[str, Any] | None:
    """The ``pairs`` row of one pairwise task; ``None`` when it has no rating and no gold."""
    check_pair(pair)
    value = preference(pair)
    if value is None:
        return None
    a, b = MediaRef(pair.media_a), MediaRef(pair.media_b)
    if media_type == "image":
        media = {"image_a": a, "image_b": b}
    else:
        media = {
            "video_a_path": MediaRef(pair.media_a, embed=False),
            "video_b_path": MediaRef(pair.media_b, embed=False),
        }
    return {
        "internal_id": str(pair.task_id),
        "project_id": pair.project_id,
        "prompt": pair.prompt,
        "asset_a_id": pair.asset_a,
        "asset_b_id": pair.asset_b,
        **media,
        "ratings": list(pair.ratings),
        "num_ratings": len(pair.ratings),
        "gold_rating": pair.gold,
        "preference_mean": sum(pair.ratings) / len(pair.ratings) if pair.ratings else None,
        "label": label_of(value),
        "standard_answer": standard_answer_of(value),
    }


class AgreementSummary:
    """Inter-annotator agreement per question over the exported items, streamed item by item
    (percent agreement and Fleiss' kappa from :mod:`annotator.agreement`, over the raters for
    whom the question applied; items with fewer than two such raters do not count)."""

    def __init__(self, checklist: Checklist):
        self.checklist = checklist
        self._accumulators = [AgreementAccumulator() for _ in checklist.questions]
        self.items = 0
        self.items_with_annotations = 0
        self.annotations = 0
        self.gold = 0
        self.annotators: set[str] = set()
        self.states: Counter = Counter()

    def add(self, item: Item) -> None:
        self.items += 1
        self.annotations += len(item.annotations)
        self.items_with_annotations += bool(item.annotations)
        self.gold += item.gold is not None
        for answers in item.annotations:
            self.annotators.add(answers.annotator)
            self.states[answers.state] += 1
        if len(item.annotations) < 2:
            return
        for index, accumulator in enumerate(self._accumulators):
            accumulator.add(answers.answers[index] if answers.mask[index] else None for answers in item.annotations)

    def per_question(self) -> dict[str, dict[str, Any]]:
        return {
            question.key: {
                "n_items": accumulator.n_items,
                "percent_agreement": accumulator.percent_agreement(),
                "kappa": accumulator.fleiss_kappa(),
            }
            for question, accumulator in zip(self.checklist.questions, self._accumulators, strict=True)
        }

    def to_dict(self) -> dict[str, Any]:
        per_question = self.per_question()
        percents = [
            value["percent_agreement"] for value in per_question.values() if value["percent_agreement"] is not None
        ]
        kappas = [value["kappa"] for value in per_question.values() if value["kappa"] is not None]
        return {
            "items": self.items,
            "items_with_annotations": self.items_with_annotations,
            "annotations": self.annotations,
            "gold": self.gold,
            "annotators": len(self.annotators),
            "annotation_states": dict(sorted(self.states.items())),
            "mean_percent_agreement": sum(percents) / len(percents) if percents else None,
            "mean_kappa": sum(kappas) / len(kappas) if kappas else None,
            "questions": per_question,
        }


def all_rows(items: Iterable[Item], checklist: Checklist, settings: ExportSettings) -> Iterable[dict]:
    """``rows_of`` over many items, lazily."""
    for item in items:
        yield from rows_of(item, checklist, settings)
