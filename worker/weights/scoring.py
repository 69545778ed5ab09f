"""Scores from features and a :class:`~worker.weights.types.WeightVector` (pure; no Django).

The rule is the WeightVector's (see ``types.py``)::

    score = intercept + Σ_name extra[name] · value(name) + N(Σ_key coefficients[key] · x[key])

* ``x`` = the encoded features (:func:`worker.weights.features.encode`, with the vector's
  ``encoding`` and ``gates``);
* ``N`` divides by the number of coefficients for ``normalization == "mean"`` (the reference
  video scorer: ``mean(answers × weight)``) and is the identity for ``"sum"``;
* ``value(name)`` = the asset's ``extra[name]``, else ``extra_defaults[name]`` (the reference
  image scorer's alignment = 0.7), else an error.

Per-dimension scores are the normalised sums of ``coefficient · x`` over each dimension's
questions, so ``total = intercept + Σ extra contributions + Σ dimension scores`` for both
normalisations.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from annotator.checklist.model import Checklist

from .features import encode, encode_many, gate_chain
from .types import ENCODINGS, NORMALIZATIONS, AssetFeatures, WeightsError, WeightVector

__all__ = [
    "ScoreBreakdown",
    "compare",
    "extra_contributions",
    "score",
    "score_many",
    "score_matrix",
    "validate_weight_vector",
    "weight_vector_from_dict",
    "weight_vector_to_dict",
]

NO_DIMENSION = ""  # the dimensions entry for coefficient keys the weight vector gives no dimension


def _suggest(name: str, known: Iterable[str]) -> str:
    match = difflib.get_close_matches(str(name), list(known), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _finite(value: object) -> bool:
    return _is_number(value) and math.isfinite(float(value))


@dataclass(frozen=True)
class ScoreBreakdown:
    """One asset's score and where it comes from.

    ``total`` = ``intercept`` + Σ ``extra`` + Σ ``dimensions`` (= Σ ``contributions``).
    ``contributions``: question key → coefficient · encoded feature, already normalised (÷ the
    number of coefficients for ``"mean"``), in coefficient order. ``dimensions``: dimension key
    → the sum of its questions' contributions, in order of first appearance (empty when the
    weight vector has no dimensions; questions it leaves without one are summed under ``""``).
    ``extra``: extra feature name → coefficient · value."""

    total: float
    dimensions: dict[str, float]
    contributions: dict[str, float]
    extra: dict[str, float]
    intercept: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "intercept": self.intercept,
            "dimensions": dict(self.dimensions),
            "contributions": dict(self.contributions),
            "extra": dict(self.extra),
        }


def _check_coefficients(weights: WeightVector) -> tuple[list[str], np.ndarray]:
    if not isinstance(weights, WeightVector):
        raise WeightsError(f"expected a WeightVector (got {type(weights).__name__})", field="weights")
    if weights.normalization not in NORMALIZATIONS:
        raise WeightsError(
            f"unknown normalization {weights.normalization!r}{_suggest(weights.normalization, NORMALIZATIONS)}; "
            f"use one of {', '.join(NORMALIZATIONS)}",
            field="normalization",
        )
    keys = list(weights.coefficients)
    if not keys:
        raise WeightsError("the weight vector has no coefficients", field="coefficients")
    for key in keys:
        if not _finite(weights.coefficients[key]):
            raise WeightsError(
                f"coefficient of {key} must be a finite number (got {weights.coefficients[key]!r})",
                field=f"coefficients.{key}",
            )
    return keys, np.array([float(weights.coefficients[key]) for key in keys], dtype=np.float64)


def _extra_value(features: AssetFeatures, weights: WeightVector, name: str, index: int | None = None) -> float:
    where = "" if index is None else f"asset {index}: "
    if name in features.extra:
        value = features.extra[name]
    elif name in weights.extra_defaults:
        value = weights.extra_defaults[name]
    else:
        raise WeightsError(
            f"{where}extra feature {name!r} is missing and the weight vector gives no default for it",
            field=f"extra.{name}",
        )
    if not _finite(value):
        raise WeightsError(
            f"{where}extra feature {name!r} must be a finite number (got {value!r})", field=f"extra.{name}"
        )
    return float(value)


def _extra_terms(features: AssetFeatures, weights: WeightVector, index: int | None = None) -> dict[str, float]:
    terms = {}
    for name, coefficient in weights.extra.items():
        if not _finite(coefficient):
            raise WeightsError(
                f"extra coefficient {name!r} must be a finite number (got {coefficient!r})", field=f"extra.{name}"
            )
        terms[name] = float(coefficient) * _extra_value(features, weights, name, index)
    return terms


def _intercept(weights: WeightVector) -> float:
    if not _finite(weights.intercept):
        raise WeightsError(f"intercept must be a finite number (got {weights.intercept!r})", field="intercept")
    return float(weights.intercept)


def score(features: AssetFeatures, weights: WeightVector) -> ScoreBreakdown:
    """The score of one asset, with its per-dimension, per-question and extra parts.

    ``total = intercept + Σ extra[name]·value(name) + N(Σ coefficient·x)`` as in the module
    docstring; sums are exact-rounded (``math.fsum``), so equal multisets of terms give equal
    totals. Raises :class:`WeightsError` for bad weights (unknown encoding or normalization,
    no or non-finite coefficients), bad feature values, or a missing extra feature without a
    default."""
    keys, w = _check_coefficients(weights)
    x = encode(features, keys, weights.encoding, weights.gates or None)
    scale = 1.0 / len(keys) if weights.normalization == "mean" else 1.0
    terms = w * x * scale
    contributions = {key: float(term) for key, term in zip(keys, terms, strict=True)}
    dimensions: dict[str, float] = {}
    if weights.dimensions:
        grouped: dict[str, list[float]] = {}
        for key, term in contributions.items():
            grouped.setdefault(weights.dimensions.get(key, NO_DIMENSION), []).append(term)
        dimensions = {dimension: math.fsum(values) for dimension, values in grouped.items()}
    extra = _extra_terms(features, weights)
    intercept = _intercept(weights)
    total = math.fsum([intercept, *extra.values(), *contributions.values()])
    return ScoreBreakdown(
        total=total, dimensions=dimensions, contributions=contributions, extra=extra, intercept=intercept
    )


def compare(a: AssetFeatures, b: AssetFeatures, weights: WeightVector) -> float:
    """``score(a) − score(b)``: > 0 means A is preferred, 0 a tie. For the video weights this
    has the sign of the reference's ``Σ (a_A − a_B) · w`` (the mean only rescales it)."""
    return score(a, weights).total - score(b, weights).total


def score_matrix(
    X: np.ndarray,
    weights_array: np.ndarray | Sequence[float],
    normalization: str = "sum",
    intercept: float = 0.0,
    extra: np.ndarray | float | None = None,
) -> np.ndarray:
    """Totals (float64, one per row) for encoded features ``X`` of shape (assets, d).

    ``intercept + extra + N(X @ weights_array)``, ``N`` as in :func:`score`; ``extra`` is the
    per-asset sum of the extra terms (shape (assets,), a scalar or ``None``; see
    :func:`extra_contributions`). A 1-d ``X`` is one asset."""
    if normalization not in NORMALIZATIONS:
        raise WeightsError(
            f"unknown normalization {normalization!r}{_suggest(str(normalization), NORMALIZATIONS)}; "
            f"use one of {', '.join(NORMALIZATIONS)}",
            field="normalization",
        )
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X[None, :]
    w = np.asarray(weights_array, dtype=np.float64)
    if X.ndim != 2 or w.ndim != 1 or X.shape[1] != w.shape[0]:
        raise WeightsError(
            f"features of shape {X.shape} do not match {w.shape[0] if w.ndim == 1 else w.shape} weights",
            field="weights_array",
        )
    if w.shape[0] == 0:
        raise WeightsError("no weights", field="weights_array")
    totals = X @ w
    if normalization == "mean":
        totals = totals / w.shape[0]
    totals = totals + float(intercept)
    if extra is not None:
        extra = np.asarray(extra, dtype=np.float64)
        if extra.ndim not in (0, 1) or (extra.ndim == 1 and extra.shape[0] != X.shape[0]):
            raise WeightsError(f"extra of shape {extra.shape} does not match {X.shape[0]} assets", field="extra")
        totals = totals + extra
    return totals


def extra_contributions(features_list: Sequence[AssetFeatures], weights: WeightVector) -> np.ndarray:
    """Per asset, Σ over the weight vector's extra features of coefficient · value (float64)."""
    if not weights.extra:
        return np.zeros(len(features_list), dtype=np.float64)
    return np.array(
        [math.fsum(_extra_terms(f, weights, index).values()) for index, f in enumerate(features_list)],
        dtype=np.float64,
    )


def score_many(features_list: Sequence[AssetFeatures], weights: WeightVector) -> np.ndarray:
    """Totals for many assets at once (float64); equal to ``score(f, weights).total`` up to
    floating-point summation order."""
    keys, w = _check_coefficients(weights)
    X = encode_many(features_list, keys, weights.encoding, weights.gates or None, dtype=np.float64)
    return score_matrix(X, w, weights.normalization, _intercept(weights), extra_contributions(features_list, weights))


# --- validation -------------------------------------------------------------------------


def validate_weight_vector(weights: WeightVector, checklist: Checklist) -> None:
    """Check a weight vector against a checklist; raises :class:`WeightsError` naming the field
    and key of the first problem found (``field`` like ``coefficients.q5``). Checked:

    * ``coefficients``: not empty; keys are questions of the checklist (with a "did you mean");
      values are finite numbers (not booleans);
    * ``encoding`` and ``normalization`` are known; ``intercept`` is a finite number;
    * ``extra`` / ``extra_defaults``: string names, finite numbers; every default belongs to an
      extra feature; extra names are not question keys;
    * ``gates``: both sides are questions of the checklist, the gate is a presence question,
      no question gates itself, no circles;
    * ``dimensions``: every key is a question whose dimension in the checklist is the value; if
      given at all, every coefficient key has one.
    """
    if not isinstance(weights, WeightVector):
        raise WeightsError(f"expected a WeightVector (got {type(weights).__name__})", field="weights")
    known = checklist.question_keys
    known_set = set(known)

    def unknown(key: object, where: str) -> WeightsError:
        return WeightsError(
            f"{where}: {key!r} is not a question of checklist {checklist.key!r}{_suggest(str(key), known)}",
            field=f"{where}.{key}",
        )

    if not isinstance(weights.coefficients, Mapping) or not weights.coefficients:
        raise WeightsError("coefficients: the weight vector has no coefficients", field="coefficients")
    for key, value in weights.coefficients.items():
        if key not in known_set:
            raise unknown(key, "coefficients")
        if not _is_number(value):
            raise WeightsError(
                f"coefficients.{key}: must be a number (got {type(value).__name__} {value!r})",
                field=f"coefficients.{key}",
            )
        if not math.isfinite(float(value)):
            raise WeightsError(f"coefficients.{key}: must be finite (got {value!r})", field=f"coefficients.{key}")
    if weights.encoding not in ENCODINGS:
        raise WeightsError(
            f"encoding: unknown {weights.encoding!r}{_suggest(str(weights.encoding), ENCODINGS)}; "
            f"use one of {', '.join(ENCODINGS)}",
            field="encoding",
        )
    if weights.normalization not in NORMALIZATIONS:
        raise WeightsError(
            f"normalization: unknown {weights.normalization!r}{_suggest(str(weights.normalization), NORMALIZATIONS)}; "
            f"use one of {', '.join(NORMALIZATIONS)}",
            field="normalization",
        )
    if not _finite(weights.intercept):
        raise WeightsError(f"intercept: must be a finite number (got {weights.intercept!r})", field="intercept")
    for where in ("extra", "extra_defaults"):
        mapping = getattr(weights, where)
        if not isinstance(mapping, Mapping):
            raise WeightsError(f"{where}: must map names to numbers", field=where)
        for name, value in mapping.items():
            if not isinstance(name, str) or not name:
                raise WeightsError(f"{where}: names must be non-empty strings (got {name!r})", field=where)
            if not _finite(value):
                raise WeightsError(f"{where}.{name}: must be a finite number (got {value!r})", field=f"{where}.{name}")
    for name in weights.extra:
        if name in known_set:
            raise WeightsError(f"extra.{name}: an extra feature cannot be named like a question", field=f"extra.{name}")
    for name in weights.extra_defaults:
        if name not in weights.extra:
            raise WeightsError(
                f"extra_defaults.{name}: not an extra feature of this weight vector{_suggest(name, weights.extra)}",
                field=f"extra_defaults.{name}",
            )
    if not isinstance(weights.gates, Mapping):
        raise WeightsError("gates: must map question keys to presence question keys", field="gates")
    for key, gate in weights.gates.items():
        if key not in known_set:
            raise unknown(key, "gates")
        if gate not in known_set:
            raise WeightsError(
                f"gates.{key}: gate {gate!r} is not a question of checklist {checklist.key!r}"
                f"{_suggest(str(gate), known)}",
                field=f"gates.{key}",
            )
        if gate == key:
            raise WeightsError(f"gates.{key}: a question cannot gate itself", field=f"gates.{key}")
        if not checklist.question(gate).presence:
            raise WeightsError(
                f"gates.{key}: gate {gate} ({checklist.question(gate).text!r}) is not a presence question",
                field=f"gates.{key}",
            )
        gate_chain(key, weights.gates)
    if not isinstance(weights.dimensions, Mapping):
        raise WeightsError("dimensions: must map question keys to dimension keys", field="dimensions")
    for key, dimension in weights.dimensions.items():
        if key not in known_set:
            raise unknown(key, "dimensions")
        expected = checklist.question(key).dimension
        if dimension != expected:
            raise WeightsError(
                f"dimensions.{key}: {dimension!r} does not match the checklist, where {key} belongs to {expected!r}",
                field=f"dimensions.{key}",
            )
    if weights.dimensions:
        for key in weights.coefficients:
            if key not in weights.dimensions:
                raise WeightsError(
                    f"dimensions.{key}: coefficient {key} has no dimension (give every coefficient one, or none)",
                    field=f"dimensions.{key}",
                )


# --- JSON -------------------------------------------------------------------------------

_FIELDS = tuple(f.name for f in fields(WeightVector))


def weight_vector_to_dict(wv: WeightVector) -> dict[str, Any]:
    """Plain JSON-able dict with every field of the weight vector (mapping order preserved)."""
    return {
        "coefficients": {str(key): float(value) for key, value in wv.coefficients.items()},
        "encoding": wv.encoding,
        "normalization": wv.normalization,
        "intercept": float(wv.intercept),
        "extra": {str(key): float(value) for key, value in wv.extra.items()},
        "extra_defaults": {str(key): float(value) for key, value in wv.extra_defaults.items()},
        "gates": {str(key): str(value) for key, value in wv.gates.items()},
        "dimensions": {str(key): str(value) for key, value in wv.dimensions.items()},
    }


def _number_map(data: Mapping, name: str) -> dict[str, float]:
    value = data.get(name, {})
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise WeightsError(f"{name}: must be an object of name → number (got {type(value).__name__})", field=name)
    out = {}
    for key, number in value.items():
        if not isinstance(key, str):
            raise WeightsError(f"{name}: keys must be strings (got {key!r})", field=name)
        if not _finite(number):
            raise WeightsError(f"{name}.{key}: must be a finite number (got {number!r})", field=f"{name}.{key}")
        out[key] = float(number)
    return out


def _string_map(data: Mapping, name: str) -> dict[str, str]:
    value = data.get(name, {})
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise WeightsError(f"{name}: must be an object of key → key (got {type(value).__name__})", field=name)
    for key, text in value.items():
        if not isinstance(key, str) or not isinstance(text, str):
            raise WeightsError(f"{name}.{key}: keys and values must be strings (got {text!r})", field=f"{name}.{key}")
    return dict(value)


def weight_vector_from_dict(data: Mapping[str, Any]) -> WeightVector:
    """The inverse of :func:`weight_vector_to_dict`; omitted fields take the WeightVector
    defaults. Raises :class:`WeightsError` naming the field for unknown fields (with a
    suggestion), a missing ``coefficients`` and values of the wrong type. Checklist-level
    checks are :func:`validate_weight_vector`'s."""
    if not isinstance(data, Mapping):
        raise WeightsError(f"a weight vector must be an object (got {type(data).__name__})", field="")
    for name in data:
        if name not in _FIELDS:
            raise WeightsError(f"unknown field {name!r}{_suggest(str(name), _FIELDS)}", field=str(name))
    if "coefficients" not in data:
        raise WeightsError("coefficients: required field is missing", field="coefficients")
    defaults = WeightVector(coefficients={})
    encoding = data.get("encoding", defaults.encoding)
    normalization = data.get("normalization", defaults.normalization)
    for name, value, allowed in (("encoding", encoding, ENCODINGS), ("normalization", normalization, NORMALIZATIONS)):
        if value not in allowed:
            raise WeightsError(
                f"{name}: unknown {value!r}{_suggest(str(value), allowed)}; use one of {', '.join(allowed)}", field=name
            )
    intercept = data.get("intercept", defaults.intercept)
    if not _finite(intercept):
        raise WeightsError(f"intercept: must be a finite number (got {intercept!r})", field="intercept")
    return WeightVector(
        coefficients=_number_map(data, "coefficients"),
        encoding=encoding,
        normalization=normalization,
        intercept=float(intercept),
        extra=_number_map(data, "extra"),
        extra_defaults=_number_map(data, "extra_defaults"),
        gates=_string_map(data, "gates"),
        dimensions=_string_map(data, "dimensions"),
    )
