"""Per-asset features (people's answers or a model's P(yes)) and their numeric encoding.

Everything here is pure (no Django, no database). An asset is described by an
:class:`~worker.weights.types.AssetFeatures`: per question key, ``yes`` and ``applicable`` in
[0, 1] (see ``types.py``).

**Gates from the checklist** (:func:`checklist_gates`). A question whose sub-dimension is
``gated_by`` a presence question applies only when that question is *yes*; so does every
non-presence question of a sub-dimension that holds its own presence question ("Is there a
background?" gates "Is the background beautiful?"). Gates can chain: a presence question may
itself sit in a gated sub-dimension. The probability that a question applies is then the product
of the gate questions' P(yes) along the chain (:func:`gate_chain`).

**Features** come from one person's binary answers (:func:`features_from_annotation`), from the
answers of several people (:func:`consensus_features`: shares) or from a model
(:func:`features_from_p_yes`).

**Encoding** (:func:`encode`, :func:`encode_many`) turns features into one number per question:
``signed`` = ``applicable · (2·yes − 1)`` (yes = +1, no = −1, not applicable = 0; the reference
image scorer's coding), ``binary`` = ``applicable · yes`` or ``unmasked`` = ``2·applicable·yes − 1``
(yes = +1, no and not applicable = −1: the reference video scorer's coding, which has no presence
masks); unknown questions (absent from ``yes``) give 0. A weight vector's ``gates`` (the
reference image scorer's masks) are applied on top; see :func:`encode_many` for the exact rule,
which reproduces the reference for 0/1 answers.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from annotator.checklist.model import Checklist

from .types import ENCODINGS, AssetFeatures, WeightsError

__all__ = [
    "checklist_dimensions",
    "checklist_gates",
    "consensus_features",
    "encode",
    "encode_many",
    "features_from_annotation",
    "features_from_p_yes",
    "gate_chain",
]


def _suggest(name: str, known: Iterable[str]) -> str:
    match = difflib.get_close_matches(str(name), list(known), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


# --- the checklist's structure ----------------------------------------------------------


def checklist_gates(checklist: Checklist) -> dict[str, str]:
    """Question key → the key of the presence question that must be *yes* for it to apply.

    * every non-presence question of a sub-dimension that holds its own presence question is
      gated by that presence question (background: q14, q15 → q16);
    * every other question of a sub-dimension ``gated_by`` a presence question is gated by it
      (image ``lighting_aesthetic``: q28, q29 → q27), and so is the sub-dimension's own presence
      question, if it has one (which makes a chain);
    * questions that always apply are absent.

    Only the direct gate is listed; follow the map (:func:`gate_chain`) for chains: a question
    applies iff every gate along its chain is *yes*, so its probability of applying is the
    product of their P(yes). Keys are in question-position order.
    """
    gates: dict[str, str] = {}
    for question in checklist.questions:
        sub = checklist.sub_dimension(question.sub_dimension)
        presence = sub.presence_question
        if presence is not None and not question.presence:
            gates[question.key] = presence.key
        elif sub.gated_by is not None:
            gates[question.key] = sub.gated_by
    return gates


def checklist_dimensions(checklist: Checklist) -> dict[str, str]:
    """Question key → dimension key, in question-position order."""
    return {question.key: question.dimension for question in checklist.questions}


def gate_chain(key: str, gates: Mapping[str, str]) -> list[str]:
    """The gates of ``key``, nearest first (``[]`` when it is not gated).

    Raises :class:`WeightsError` when the chain runs in a circle."""
    chain: list[str] = []
    seen = {key}
    current = gates.get(key)
    while current is not None:
        if current in seen:
            raise WeightsError(f"gates run in a circle: {' → '.join([key, *chain, current])}", field=f"gates.{key}")
        seen.add(current)
        chain.append(current)
        current = gates.get(current)
    return chain


# --- features ---------------------------------------------------------------------------


def _binary_matrix(checklist: Checklist, rows: Sequence, what: str) -> np.ndarray:
    """A (raters, questions) float matrix of 0/1 values, validated; ``what`` is ``answers``/``mask``."""
    expected = len(checklist.questions)
    out = np.empty((len(rows), expected), dtype=np.float64)
    for index, row in enumerate(rows):
        field = f"annotations[{index}].{what}"
        if isinstance(row, str | bytes | Mapping) or not isinstance(row, Sequence | np.ndarray):
            raise WeightsError(
                f"annotation {index}: {what} must be a sequence of {expected} values in question-position order "
                f"(got {type(row).__name__})",
                field=field,
            )
        if len(row) != expected:
            raise WeightsError(
                f"annotation {index}: {what} has {len(row)} values, expected {expected} (one per question of "
                f"checklist {checklist.key!r}, in question-position order)",
                field=field,
            )
        for position, value in enumerate(row):
            if isinstance(value, bool | np.bool_):
                out[index, position] = float(value)
            elif isinstance(value, numbers.Real) and float(value) in (0.0, 1.0):
                out[index, position] = float(value)
            else:
                key = checklist.questions[position].key
                raise WeightsError(
                    f"annotation {index}: {what} of {key} must be 0 or 1 (got {value!r})", field=f"{field}.{key}"
                )
    return out


def features_from_annotation(
    checklist: Checklist, answers: Sequence[int | bool], mask: Sequence[int | bool]
) -> AssetFeatures:
    """One person's answers (``Expansion.answers`` / ``.mask``: 0/1 in question-position order).

    ``yes[key]`` = the answer (0 or 1; 0 where the question did not apply, whatever was
    recorded, since an answer that does not apply carries no information), ``applicable[key]``
    = the mask (0 or 1). Every question of the checklist is present in both."""
    a = _binary_matrix(checklist, [answers], "answers")[0]
    m = _binary_matrix(checklist, [mask], "mask")[0]
    keys = checklist.question_keys
    return AssetFeatures(
        yes={key: float(a[i] * m[i]) for i, key in enumerate(keys)},
        applicable={key: float(m[i]) for i, key in enumerate(keys)},
    )


def consensus_features(
    checklist: Checklist, annotations: Sequence[tuple[Sequence[int | bool], Sequence[int | bool]]]
) -> AssetFeatures:
    """Several people's answers to the same asset, each an ``(answers, mask)`` pair.

    Per question: ``yes`` = the share of *yes* among the raters for whom it applied (0.5 when it
    applied to none: no information either way), ``applicable`` = the share of raters for whom
    it applied. Answers where the mask is 0 are ignored. With one rater this equals
    :func:`features_from_annotation` except that ``yes`` is 0.5 (not 0) where the question did
    not apply, which never changes an encoded value (it is multiplied by ``applicable`` = 0).

    Raises :class:`WeightsError` for no annotations, a pair that is not a pair, or vectors of
    the wrong length or with values other than 0/1 (the message names the annotation's index and
    the expected length)."""
    if isinstance(annotations, str | bytes | Mapping) or not isinstance(annotations, Sequence):
        raise WeightsError("annotations must be a sequence of (answers, mask) pairs", field="annotations")
    if not annotations:
        raise WeightsError("no annotations: consensus needs at least one (answers, mask) pair", field="annotations")
    for index, pair in enumerate(annotations):
        if isinstance(pair, str | bytes) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise WeightsError(f"annotation {index} must be an (answers, mask) pair", field=f"annotations[{index}]")
    answers = _binary_matrix(checklist, [pair[0] for pair in annotations], "answers")
    mask = _binary_matrix(checklist, [pair[1] for pair in annotations], "mask")
    applied = mask.sum(axis=0)
    yes_count = (answers * mask).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(applied > 0, yes_count / np.maximum(applied, 1.0), 0.5)
    applicable = applied / len(annotations)
    keys = checklist.question_keys
    return AssetFeatures(
        yes={key: float(share[i]) for i, key in enumerate(keys)},
        applicable={key: float(applicable[i]) for i, key in enumerate(keys)},
    )


def _probability(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    number = float(value)
    return number if math.isfinite(number) and 0.0 <= number <= 1.0 else None


def features_from_p_yes(
    checklist: Checklist, p_yes: Mapping[str, float], gates: Mapping[str, str] | None = None
) -> AssetFeatures:
    """A model's prediction: ``yes[key]`` = P(yes); ``applicable[key]`` = the product of the
    P(yes) of the gates along the key's chain (``gates`` defaults to :func:`checklist_gates`).

    Questions missing from ``p_yes`` (or ``None``) are unknown (absent from ``yes``). A gate whose P(yes) is
    missing is skipped in the product (no evidence that the thing is absent), so a question
    whose gates are all unknown is applicable (1.0, as if it had no gate). ``applicable`` is
    only filled for known, gated questions (absent means 1.0).

    Raises :class:`WeightsError` naming the key for unknown question keys (with a suggestion)
    and for values that are not numbers between 0 and 1."""
    if not isinstance(p_yes, Mapping):
        raise WeightsError("p_yes must map question keys to P(yes) between 0 and 1", field="p_yes")
    known = set(checklist.question_keys)
    for key in p_yes:
        if key not in known:
            raise WeightsError(f"unknown question {key!r}{_suggest(key, known)}", field=f"p_yes.{key}")
    if gates is None:
        gates = checklist_gates(checklist)
    yes: dict[str, float] = {}
    for key in checklist.question_keys:
        if p_yes.get(key) is not None:
            value = _probability(p_yes[key])
            if value is None:
                raise WeightsError(
                    f"P(yes) of {key} must be a number between 0 and 1 (got {p_yes[key]!r})", field=f"p_yes.{key}"
                )
            yes[key] = value
    applicable: dict[str, float] = {}
    for key in yes:
        chain = gate_chain(key, gates)
        if chain:
            product = 1.0
            for gate in chain:
                product *= yes.get(gate, 1.0)
            applicable[key] = product
    return AssetFeatures(yes=yes, applicable=applicable)


# --- encoding ---------------------------------------------------------------------------


def _check_encoding(encoding: str) -> None:
    if encoding not in ENCODINGS:
        raise WeightsError(
            f"unknown encoding {encoding!r}{_suggest(str(encoding), ENCODINGS)}; use one of {', '.join(ENCODINGS)}",
            field="encoding",
        )


def _column(features_list: Sequence[AssetFeatures], key: str, part: str, default: float) -> np.ndarray:
    """One key's values over all assets (``part`` = ``yes``/``applicable``) as float64; a
    missing key gives ``default``, ``None`` gives NaN. Non-numbers raise :class:`WeightsError`."""
    if part == "yes":
        values = [f.yes.get(key, default) for f in features_list]
    else:
        values = [f.applicable.get(key, default) for f in features_list]
    try:
        column = np.array(values)
    except (TypeError, ValueError):  # e.g. sequences among the values
        column = np.array([], dtype=object)
    if column.dtype.kind in "fiub" and column.shape == (len(values),):
        return column.astype(np.float64, copy=False)
    for index, value in enumerate(values):
        if value is not None and not isinstance(value, numbers.Real):
            raise WeightsError(
                f"asset {index}: {part} of {key} must be a number between 0 and 1 (got {value!r})",
                field=f"{part}.{key}",
            )
    return np.array([math.nan if value is None else float(value) for value in values], dtype=np.float64)


def _check_range(column: np.ndarray, key: str, part: str, allow_nan: bool) -> None:
    bad = ~((column >= 0.0) & (column <= 1.0))
    if allow_nan:
        bad &= ~np.isnan(column)
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        raise WeightsError(
            f"asset {index}: {part} of {key} must be a number between 0 and 1 (got {float(column[index])!r})",
            field=f"{part}.{key}",
        )


def encode_many(
    features_list: Sequence[AssetFeatures],
    keys: Sequence[str],
    encoding: str = "signed",
    gates: Mapping[str, str] | None = None,
    dtype: type | np.dtype = np.float32,
) -> np.ndarray:
    """An ``(assets, len(keys))`` matrix of encoded features, columns in ``keys`` order.

    Per asset and key, with ``y`` = ``yes`` and ``a`` = ``applicable`` (default 1.0):

    * unknown (key absent from ``yes``, or ``None``) → 0;
    * ``signed`` → ``a_eff · (2y − 1)``, ``binary`` → ``a_eff · y``, ``unmasked`` →
      ``2 · a_eff · y − 1`` (not applicable counts as *no*: −1).

    Without ``gates``, ``a_eff = a``. With ``gates`` (a weight vector's question key → presence
    question key; the reference image scorer's masks) a gated question also needs its gate
    open: ``a_eff(k) = min(a(k), open(g))`` with ``g = gates[k]`` and
    ``open(g) = yes(g) · a_eff(g)`` (1.0 when ``g`` is unknown: no evidence that the thing is
    absent). Chains inside ``gates`` are followed the same way.

    For 0/1 values this is exactly the reference: the question counts 0 when its gate is not
    *yes* (``min`` of 0/1 values is their product). For fractional values (consensus shares,
    model probabilities) ``min`` is the probability that the question applies *and* its gate is
    open when applying implies the gate (the usual case: the checklist's own gate, which
    ``applicable`` already accounts for, so it is not counted twice; e.g. the consensus of a
    rater who saw a body and one who did not scores the mean of their two reference scores),
    and the product ``a · open(g)`` when the question always applies (``a`` = 1, e.g. the
    harm questions masked by body presence in the reference).

    Raises :class:`WeightsError` for an unknown encoding, values outside [0, 1] or not numbers
    (naming the asset index and key) and gates that run in a circle.
    """
    _check_encoding(encoding)
    keys = list(keys)
    gates = dict(gates or {})
    columns: dict[str, int] = {}
    for key in keys:
        if key not in columns:
            columns[key] = len(columns)
            for gate in gate_chain(key, gates):
                if gate not in columns:
                    columns[gate] = len(columns)
    n, m = len(features_list), len(columns)
    yes = np.empty((n, m), dtype=np.float64)
    applicable = np.empty((n, m), dtype=np.float64)
    for key, j in columns.items():
        yes[:, j] = _column(features_list, key, "yes", math.nan)
        applicable[:, j] = _column(features_list, key, "applicable", 1.0)
        _check_range(yes[:, j], key, "yes", allow_nan=True)
        _check_range(applicable[:, j], key, "applicable", allow_nan=False)
    known = ~np.isnan(yes)
    yes = np.where(known, yes, 0.0)
    effective = applicable
    gated = sorted((key for key in columns if key in gates), key=lambda key: len(gate_chain(key, gates)))
    for key in gated:  # a gate's own effective applicability is final before it is used
        j, g = columns[key], columns[gates[key]]
        open_ = np.where(known[:, g], yes[:, g] * effective[:, g], 1.0)
        effective[:, j] = np.minimum(effective[:, j], open_)
    if encoding == "signed":
        values = np.where(known, effective * (2.0 * yes - 1.0), 0.0)
    elif encoding == "unmasked":
        values = np.where(known, 2.0 * effective * yes - 1.0, 0.0)
    else:
        values = np.where(known, effective * yes, 0.0)
    index = [columns[key] for key in keys]
    return np.ascontiguousarray(values[:, index], dtype=dtype)


def encode(
    features: AssetFeatures,
    keys: Sequence[str],
    encoding: str = "signed",
    gates: Mapping[str, str] | None = None,
) -> np.ndarray:
    """One asset's encoded features (float64 vector in ``keys`` order); the rules are
    :func:`encode_many`'s."""
    return encode_many([features], keys, encoding, gates, dtype=np.float64)[0]
