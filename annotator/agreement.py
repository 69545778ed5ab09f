"""Inter-annotator agreement, as plain functions (no Django, no database).

An *item* is one task; its *ratings* are the values its annotators gave for one question
(binary answers) or one sub-dimension (option codes, or their ranks). ``None`` means not
applicable or missing and is ignored. Only items with at least two ratings count.

* percent agreement: the mean over items of the fraction of agreeing rater pairs,
  ``P_i = Σ_j n_ij (n_ij − 1) / (n_i (n_i − 1))``;
* Fleiss' kappa (Fleiss 1971), generalised to a varying number of raters per item:
  ``κ = (P̄ − P̄e) / (1 − P̄e)`` with ``P̄`` the mean of ``P_i`` and ``P̄e = Σ_j p_j²``, where
  ``p_j`` is category ``j``'s share of all ratings of the counted items. With the same number
  of raters on every item this is exactly Fleiss' statistic. ``None`` when undefined (no
  counted item, or every rating in one category);
* Krippendorff's alpha (Krippendorff 2011, "Computing Krippendorff's alpha-reliability") with
  the nominal, ordinal or interval metric, from the coincidence matrix; missing values and a
  varying number of raters are part of its definition. ``None`` when undefined.

Every statistic can be accumulated item by item (:class:`AgreementAccumulator`), so a large
project is streamed rather than held in memory.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .checklist import Checklist

METRICS = ("nominal", "ordinal", "interval")


@dataclass(frozen=True)
class Agreement:
    """Agreement on one binary question (or any nominal rating)."""

    n_items: int
    percent_agreement: float | None
    kappa: float | None


@dataclass(frozen=True)
class OrdinalAgreement:
    """Agreement on one ordinal rating (e.g. the option of a sub-dimension)."""

    n_items: int
    percent_agreement: float | None
    alpha: float | None


class AgreementAccumulator:
    """Collects items one at a time; every statistic is computed from running sums."""

    def __init__(self) -> None:
        self.n_items = 0
        self._agreement_sum = 0.0
        self._totals: Counter = Counter()  # category → ratings in counted items (n_c)
        self._coincidence: defaultdict = defaultdict(float)  # (c, k) → o_ck

    def add(self, ratings: Iterable) -> None:
        """One item's ratings; ``None`` values are ignored, items with < 2 ratings too."""
        counts = Counter(value for value in ratings if value is not None)
        m = sum(counts.values())
        if m < 2:
            return
        self.n_items += 1
        self._agreement_sum += sum(n * (n - 1) for n in counts.values()) / (m * (m - 1))
        self._totals.update(counts)
        for c, n_c in counts.items():
            for k, n_k in counts.items():
                pairs = n_c * (n_c - 1) if c == k else n_c * n_k
                if pairs:
                    self._coincidence[(c, k)] += pairs / (m - 1)

    def percent_agreement(self) -> float | None:
        return self._agreement_sum / self.n_items if self.n_items else None

    def fleiss_kappa(self) -> float | None:
        if not self.n_items:
            return None
        total = sum(self._totals.values())
        expected = sum((n / total) ** 2 for n in self._totals.values())
        if len(self._totals) < 2 or expected >= 1:
            return None
        observed = self._agreement_sum / self.n_items
        return (observed - expected) / (1 - expected)

    def krippendorff_alpha(self, metric: str = "ordinal") -> float | None:
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; use one of {', '.join(METRICS)}")
        n = sum(self._totals.values())
        if n < 2 or len(self._totals) < 2:
            return None
        delta = _distance(metric, self._totals)
        observed = sum(o * delta(c, k) for (c, k), o in self._coincidence.items())
        expected = sum(n_c * n_k * delta(c, k) for c, n_c in self._totals.items() for k, n_k in self._totals.items())
        if expected <= 0:
            return None
        return 1 - (n - 1) * observed / expected


def _distance(metric: str, totals: Mapping):
    """The squared difference function δ²(c, k) of Krippendorff's alpha."""
    if metric == "nominal":
        return lambda c, k: 0.0 if c == k else 1.0
    if metric == "interval":
        return lambda c, k: float(c - k) ** 2
    values = sorted(totals)
    position = {value: index for index, value in enumerate(values)}
    cumulative = [0]
    for value in values:
        cumulative.append(cumulative[-1] + totals[value])

    def ordinal(c, k) -> float:
        i, j = sorted((position[c], position[k]))
        if i == j:
            return 0.0
        # Σ_{g=c..k} n_g − (n_c + n_k) / 2
        between = cumulative[j + 1] - cumulative[i] - (totals[values[i]] + totals[values[j]]) / 2
        return float(between) ** 2

    return ordinal


def _accumulate(items: Iterable[Iterable]) -> AgreementAccumulator:
    accumulator = AgreementAccumulator()
    for ratings in items:
        accumulator.add(ratings)
    return accumulator


def binary_agreement(items: Iterable[Iterable[bool | int | None]]) -> Agreement:
    """Percent agreement and Fleiss' kappa of one binary question.

    ``items``: per item, the answers of its raters (True/False or 1/0; None is ignored).
    """
    accumulator = AgreementAccumulator()
    for ratings in items:
        values = []
        for value in ratings:
            if value is None:
                continue
            if value not in (0, 1):
                raise ValueError(f"{value!r} is not a binary answer (use True/False, 1/0 or None)")
            values.append(int(value))
        accumulator.add(values)
    return result_of_binary(accumulator)


def result_of_binary(accumulator: AgreementAccumulator) -> Agreement:
    return Agreement(accumulator.n_items, accumulator.percent_agreement(), accumulator.fleiss_kappa())


def fleiss_kappa(table: Sequence[Sequence[int]]) -> float | None:
    """Fleiss' kappa from a table of counts: one row per item, one column per category."""
    accumulator = AgreementAccumulator()
    for row in table:
        accumulator.add([category for category, count in enumerate(row) for _ in range(count)])
    return accumulator.fleiss_kappa()


def krippendorff_alpha(items: Iterable[Iterable], metric: str = "ordinal") -> float | None:
    """Krippendorff's alpha of rated items (None = missing) with the given metric."""
    return _accumulate(items).krippendorff_alpha(metric)


def ordinal_agreement(items: Iterable[Iterable], metric: str = "ordinal") -> OrdinalAgreement:
    """Exact-option percent agreement and Krippendorff's alpha of one ordinal rating.

    The values must be ordered as the scale is (for options: their rank, best = 0), since
    option codes themselves need not follow the order of the options.
    """
    accumulator = _accumulate(items)
    return result_of_ordinal(accumulator, metric)


def result_of_ordinal(accumulator: AgreementAccumulator, metric: str = "ordinal") -> OrdinalAgreement:
    return OrdinalAgreement(
        accumulator.n_items, accumulator.percent_agreement(), accumulator.krippendorff_alpha(metric)
    )


# --- disagreements of one task ----------------------------------------------------------


def _comparable(value) -> Hashable:
    if value is None or isinstance(value, (str, int, float)):
        return (type(value) is bool, value)
    return ("json", json.dumps(value, sort_keys=True))


def disagreements(annotations_options: Sequence[Mapping], checklist: Checklist | None = None) -> list[str]:
    """Sub-dimension keys whose chosen option differs among the annotations of one task.

    A key chosen by some annotators and absent from the options of others (e.g. gated
    closed for them) differs too. Keys come in checklist hierarchy order (unknown keys after,
    sorted); without a checklist, sorted.
    """
    if len(annotations_options) < 2:
        return []
    present = set().union(*(options.keys() for options in annotations_options))
    if checklist is not None:
        known = [sub.key for sub in checklist.sub_dimensions]
        keys = known + sorted(present - set(known))
    else:
        keys = sorted(present)
    return [
        key
        for key in keys
        if key in present and len({_comparable(options.get(key)) for options in annotations_options}) > 1
    ]


def preference_disagreements(preferences: Sequence[int | None]) -> list[str]:
    """``["preference"]`` when the preferences given to one pair differ, else ``[]``."""
    return ["preference"] if len(set(preferences)) > 1 else []


# --- model predictions: uncertainty, and agreement with people ----------------------------


def binary_entropy(p: float) -> float:
    """The entropy, in bits, of a yes/no answer that is *yes* with probability ``p``:
    ``−p·log2 p − (1−p)·log2(1−p)``; 0 at 0 and 1, 1 at 0.5."""
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{p!r} is not a probability")
    if p in (0.0, 1.0):
        return 0.0
    return -(p * math.log2(p) + (1.0 - p) * math.log2(1.0 - p))


def mean_binary_entropy(probabilities: Iterable[float]) -> float | None:
    """How unsure a prediction is: the mean binary entropy (bits, 0..1) of its P(yes) values;
    ``None`` for no values."""
    values = [binary_entropy(p) for p in probabilities]
    if not values:
        return None
    return min(1.0, math.fsum(values) / len(values))


@dataclass(frozen=True)
class ModelAgreement:
    """How well a model's P(yes) matched people's answers on one question.

    ``n``: applicable human answers with a model probability; ``accuracy``: share where
    ``p ≥ 0.5`` equals the answer; ``brier``: mean ``(p − answer)²``; ``mean_p_human``: mean
    probability the model gave to the answer people chose. ``None`` when ``n`` is 0.
    """

    n: int
    accuracy: float | None
    brier: float | None
    mean_p_human: float | None


class ModelAgreementAccumulator:
    """Collects (model P(yes), human answers, applicability mask) item by item, one slot per
    question (the answer-vector order), so a large project is streamed."""

    def __init__(self, width: int) -> None:
        self.width = width
        self._n = [0] * width
        self._correct = [0] * width
        self._squared = [0.0] * width
        self._p_human = [0.0] * width

    def add(self, p_yes: Sequence[float | None], answers: Sequence, mask: Sequence) -> None:
        """One human annotation against the model's prediction for the same item. A question
        counts where the mask says it applies, the answer is yes/no and the model gave a
        probability (``None`` in ``p_yes``: no probability)."""
        if not (len(p_yes) == len(answers) == len(mask) == self.width):
            raise ValueError(
                f"expected {self.width} values each; got {len(p_yes)} probabilities, "
                f"{len(answers)} answers and {len(mask)} mask entries"
            )
        counted = []
        for index, (p, answer, applies) in enumerate(zip(p_yes, answers, mask, strict=True)):
            if not applies or p is None or answer is None or answer not in (0, 1):
                continue
            p = float(p)
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"{p!r} is not a probability (question {index + 1})")
            counted.append((index, p, bool(answer)))
        for index, p, yes in counted:  # all checked first: a refused item adds nothing
            self._n[index] += 1
            self._correct[index] += int((p >= 0.5) == yes)
            self._squared[index] += (p - float(yes)) ** 2
            self._p_human[index] += p if yes else 1.0 - p

    def results(self) -> list[ModelAgreement]:
        out = []
        for n, correct, squared, p_human in zip(self._n, self._correct, self._squared, self._p_human, strict=True):
            if not n:
                out.append(ModelAgreement(0, None, None, None))
            else:
                out.append(ModelAgreement(n, correct / n, squared / n, p_human / n))
        return out


def model_agreement(items: Iterable[tuple[Sequence, Sequence, Sequence]], width: int) -> list[ModelAgreement]:
    """Per question, agreement of a model with people over ``items`` of
    ``(p_yes, answers, mask)`` vectors in question order (see :class:`ModelAgreementAccumulator`)."""
    accumulator = ModelAgreementAccumulator(width)
    for p_yes, answers, mask in items:
        accumulator.add(p_yes, answers, mask)
    return accumulator.results()


# --- quality control: disagreement of one task, agreement with peers, accuracy on gold -----


def _applicable(answers, mask) -> list[int | None]:
    """One annotation's binary answers with ``None`` where the mask says it does not apply."""
    return [int(bool(answer)) if applies else None for answer, applies in zip(answers, mask, strict=True)]


def task_disagreement(vectors: Sequence[tuple[Sequence, Sequence]]) -> float | None:
    """How much the annotations of one task disagree: the mean pairwise disagreement, 0..1.

    Over every question and every pair of annotations to which that question applies (both
    masks say 1): the share of such pairs whose binary answers differ. ``vectors``: one
    ``(answers, mask)`` per annotation, in question order. ``None`` when no pair is comparable
    (fewer than two annotations, or no question applies to two of them). With two annotators
    this is the share of the questions applying to both on which they differ.
    """
    rows = [_applicable(answers, mask) for answers, mask in vectors]
    differing = compared = 0
    for i in range(len(rows)):
        for j in range(i + 1, len(rows)):
            for a, b in zip(rows[i], rows[j], strict=True):
                if a is None or b is None:
                    continue
                compared += 1
                differing += a != b
    return differing / compared if compared else None


def preference_disagreement(preferences: Sequence[int | None]) -> float | None:
    """For a pair task: the share of annotation pairs whose preferences (1..5) differ; ``None``
    when fewer than two preferences were given."""
    given = [p for p in preferences if p is not None]
    pairs = len(given) * (len(given) - 1) // 2
    if not pairs:
        return None
    return sum(given[i] != given[j] for i in range(len(given)) for j in range(i + 1, len(given))) / pairs


@dataclass(frozen=True)
class Rate:
    """A share with what it is a share of: ``value`` = hits / n (``None`` when n is 0)."""

    n: int
    hits: int

    @property
    def value(self) -> float | None:
        return self.hits / self.n if self.n else None


class PeerAgreementAccumulator:
    """Per annotator, how often their binary answers agree with the other annotators of the
    same task: for each question applying to them and to another annotator of the task, one
    comparison per such other annotator. Tasks are added one at a time (streamed)."""

    def __init__(self) -> None:
        self._n: Counter = Counter()
        self._hits: Counter = Counter()

    def add(self, annotations: Sequence[tuple[Hashable, Sequence, Sequence]]) -> None:
        """One task's annotations as ``(annotator, answers, mask)``; vectors of one width."""
        rows = [(who, _applicable(answers, mask)) for who, answers, mask in annotations]
        for index, (who, mine) in enumerate(rows):
            for other_index, (_, theirs) in enumerate(rows):
                if other_index == index:
                    continue
                for a, b in zip(mine, theirs, strict=True):
                    if a is None or b is None:
                        continue
                    self._n[who] += 1
                    self._hits[who] += a == b

    def annotators(self) -> set:
        return set(self._n)

    def result(self, who) -> Rate:
        return Rate(self._n[who], self._hits[who])


class GoldAccuracyAccumulator:
    """Per annotator, accuracy against gold checks (known answers).

    * binary: over the questions the expected answer says apply (expected mask 1), the share
      the annotator answered the same (an answer they marked not applicable counts as wrong);
    * options: over the sub-dimensions the expected answer chose an option for, the share where
      the annotator chose the same option, in total and per sub-dimension.
    """

    def __init__(self) -> None:
        self._checks: Counter = Counter()
        self._binary_n: Counter = Counter()
        self._binary_hits: Counter = Counter()
        self._option_n: Counter = Counter()
        self._option_hits: Counter = Counter()
        self._sub_n: Counter = Counter()  # (annotator, sub key) → n
        self._sub_hits: Counter = Counter()

    def add(
        self,
        who: Hashable,
        answers: Sequence,
        mask: Sequence,
        options: Mapping,
        expected_answers: Sequence,
        expected_mask: Sequence,
        expected_options: Mapping,
        comparable_options: Iterable[str] | None = None,
    ) -> None:
        """One annotation of a gold-check task against that check's expected answers.

        An annotation made under another checklist version comes in that check's question order
        (:func:`annotator.checklist.diff.carried_answers`): a question that did not carry over
        has ``None`` in ``mask`` and is not compared; ``comparable_options`` then names the
        sub-dimensions whose options carried over (the others are not compared either)."""
        self._checks[who] += 1
        if len(answers) == len(mask) == len(expected_answers) == len(expected_mask):
            for answer, applies, expected, expected_applies in zip(
                answers, mask, expected_answers, expected_mask, strict=True
            ):
                if not expected_applies or applies is None:
                    continue
                self._binary_n[who] += 1
                self._binary_hits[who] += bool(applies) and int(bool(answer)) == int(bool(expected))
        comparable = None if comparable_options is None else set(comparable_options)
        for key, expected in expected_options.items():
            if expected is None or (comparable is not None and key not in comparable):
                continue
            hit = _comparable(options.get(key)) == _comparable(expected)
            self._option_n[who] += 1
            self._option_hits[who] += hit
            self._sub_n[(who, key)] += 1
            self._sub_hits[(who, key)] += hit

    def annotators(self) -> set:
        return set(self._checks)

    def checks(self, who) -> int:
        return self._checks[who]

    def binary(self, who) -> Rate:
        return Rate(self._binary_n[who], self._binary_hits[who])

    def options(self, who) -> Rate:
        return Rate(self._option_n[who], self._option_hits[who])

    def sub_dimension(self, who, key: str) -> Rate:
        return Rate(self._sub_n[(who, key)], self._sub_hits[(who, key)])


# --- pair gold checks: agreement with a gold preference ------------------------------------


def preference_side(preference) -> str | None:
    """Which side a 1..5 preference takes: ``"A"`` (1, 2), ``"tie"`` (3, no preference) or
    ``"B"`` (4, 5); ``None`` for anything else (missing or not a preference)."""
    if isinstance(preference, bool) or not isinstance(preference, int) or not 1 <= preference <= 5:
        return None
    return "A" if preference < 3 else "tie" if preference == 3 else "B"


class PairGoldAccumulator:
    """Per annotator, agreement with the gold preference of pair gold checks.

    An annotation agrees when its preference takes the same side as the gold one
    (:func:`preference_side`): the strength (1 vs 2, 4 vs 5) does not count, and a tie is a
    side of its own, so a gold tie agrees only with "no preference" (3) and a gold "A better"
    disagrees with a tie. Per-dimension preferences are compared the same way, for each
    dimension the gold check gives one for; one the annotator left out counts as not agreeing.
    """

    def __init__(self) -> None:
        self._checks: Counter = Counter()
        self._n: Counter = Counter()
        self._hits: Counter = Counter()
        self._dim_n: Counter = Counter()
        self._dim_hits: Counter = Counter()

    def add(
        self,
        who: Hashable,
        preference,
        dimension_preferences: Mapping,
        expected_preference,
        expected_dimensions: Mapping,
    ) -> None:
        """One annotation of a pair gold check against that check's gold preference."""
        self._checks[who] += 1
        expected = preference_side(expected_preference)
        if expected is not None:
            self._n[who] += 1
            self._hits[who] += preference_side(preference) == expected
        for key, gold in expected_dimensions.items():
            side = preference_side(gold)
            if side is None:
                continue
            self._dim_n[who] += 1
            self._dim_hits[who] += preference_side(dimension_preferences.get(key)) == side

    def annotators(self) -> set:
        return set(self._checks)

    def checks(self, who) -> int:
        return self._checks[who]

    def preference(self, who) -> Rate:
        return Rate(self._n[who], self._hits[who])

    def dimensions(self, who) -> Rate:
        return Rate(self._dim_n[who], self._dim_hits[who])
