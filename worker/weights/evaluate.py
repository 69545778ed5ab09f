"""Evaluating a reward on preference pairs (pure numpy; no Django, no database).

Conventions (as in ``worker.weights.fit``): for a pair (A, B) the model's ``score_diff`` is
R(A) − R(B) (with a linear reward: w·(x_A − x_B)); a label y ∈ [0, 1] says A is preferred when
y > 0.5, B when y < 0.5, and **a tie exactly when y == 0.5** (soft labels, e.g. the mean of
several raters, are read by which side of 1/2 they fall on).

Two accuracies, as in VisionReward (arXiv 2412.21059) section 3:

* ``accuracy_diff`` drops tied labels: over the decisive pairs, the (weighted) share where
  sign(score_diff) agrees with the label; a model tie (score_diff == 0) counts 1/2.
* ``accuracy_tau`` keeps every pair (tie-aware pairwise accuracy, Deutsch et al. 2023, "Ties
  matter: meta-evaluating modern metrics with pairwise accuracy and tie calibration"): the
  model predicts a tie when |score_diff| ≤ ε, and a pair counts 1 when the predicted
  relation (A, B or tie) equals the label's, else 0. ε is found by *tie calibration*: the
  value among 0 and the observed |score_diff| that maximises this accuracy (the smallest
  such value on equality), unless it is given. Calibrating on the evaluated pairs is
  optimistic, as Deutsch et al. note: to avoid that, calibrate on other pairs and pass
  ``tie_threshold``.

Undefined values are ``None``, never NaN: ``accuracy_diff`` and ``log_loss`` when there is no
decisive pair (or their weights sum to 0), ``accuracy_tau`` and ``tie_threshold`` when there
is no pair at all (or the weights sum to 0). With only tied labels ``accuracy_tau`` is defined
(1.0: calibration predicts every pair a tie).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from worker.weights.types import WeightsError

TIE = 0.5
CHUNK_ROWS = 8192


def _hash_unit(seed: int, group: str) -> float:
    """A uniform number in [0, 1) from sha256 of (seed, group): the first 8 bytes / 2^64."""
    digest = hashlib.sha256(f"{seed}\x1f{group}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def split_test(groups: Sequence[str], test_fraction: float, seed: int) -> np.ndarray:
    """Held-out mask (True = test) decided per group, e.g. per prompt.

    A group is held out when u(seed, group) < ``test_fraction``, u being sha256 of the seed and
    the group mapped to [0, 1): every pair of a group lands on the same side, the decision
    for a group does not depend on which other groups exist (adding groups never moves old
    ones), and the same seed always gives the same split. The share of held-out groups (not
    pairs) is ``test_fraction`` in expectation."""
    try:
        fraction = float(test_fraction)
    except (TypeError, ValueError):
        raise WeightsError(f"test_fraction must be a number, got {test_fraction!r}", "test_fraction")
    if not (0.0 <= fraction < 1.0):
        raise WeightsError(f"test_fraction must be in [0, 1), got {test_fraction!r}", "test_fraction")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise WeightsError(f"seed must be an integer, got {seed!r}", "seed")
    if isinstance(groups, str):
        raise WeightsError("groups must be a sequence of group names, not one string", "groups")
    decided: dict[str, bool] = {}
    out = np.zeros(len(groups), dtype=bool)
    for i, group in enumerate(groups):
        if not isinstance(group, str):
            raise WeightsError(f"groups must be strings, got {type(group).__name__} at position {i}", "groups")
        held = decided.get(group)
        if held is None:
            held = decided[group] = _hash_unit(int(seed), group) < fraction
        out[i] = held
    return out


def _vector(value: Any, name: str, n: int | None = None) -> np.ndarray:
    v = np.asarray(value, dtype=np.float64)
    if v.ndim != 1 or (n is not None and v.shape[0] != n):
        want = f"({n},)" if n is not None else "a 1-D shape"
        raise WeightsError(f"{name} must have shape {want}, got {v.shape}", name)
    if not np.isfinite(v).all():
        raise WeightsError(f"{name} contains NaN or inf", name)
    return v


def _labels(labels: Any, n: int) -> np.ndarray:
    y = _vector(labels, "labels", n)
    if n and (y.min() < 0.0 or y.max() > 1.0):
        raise WeightsError(f"labels must lie in [0, 1], got values in [{y.min():g}, {y.max():g}]", "labels")
    return y


def _weights(sample_weight: Any, n: int) -> np.ndarray:
    if sample_weight is None:
        return np.ones(n)
    s = _vector(sample_weight, "sample_weight", n)
    if n and s.min() < 0:
        raise WeightsError("sample_weight must be non-negative", "sample_weight")
    return s


def _calibrate(abs_diff: np.ndarray, correct_decided: np.ndarray, tie_label: np.ndarray, s: np.ndarray):
    """Tie calibration: the ε among {0} ∪ {|score_diff|} maximising the tie-aware accuracy
    Σ s·(|sd| ≤ ε ? [label tie] : [sign agrees]) / Σ s; the smallest ε on equality."""
    order = np.argsort(abs_diff, kind="stable")
    values = abs_diff[order]
    gain = (s * (tie_label.astype(np.float64) - correct_decided.astype(np.float64)))[order]
    base = float(s @ correct_decided)
    cumulative = np.cumsum(gain)
    # candidate ε = each distinct value: every pair with |sd| ≤ ε predicted a tie
    last = np.r_[values[1:] != values[:-1], True]
    candidates = values[last]
    totals = base + cumulative[last]
    if candidates[0] > 0:  # ε = 0 predicts no tie (no |sd| is 0)
        candidates = np.r_[0.0, candidates]
        totals = np.r_[base, totals]
    best = int(np.argmax(totals))  # first maximum = smallest ε
    return float(candidates[best]), float(totals[best])


def preference_accuracy(
    score_diff: Any,
    labels: Any,
    sample_weight: Any = None,
    *,
    tie_threshold: float | None = None,
) -> dict[str, Any]:
    """Agreement of ``score_diff`` = R(A) − R(B) with preference ``labels`` (module docstring).

    Returns ``{"accuracy_diff", "accuracy_tau", "tie_threshold", "log_loss", "pairs", "ties",
    "decisive_pairs", "model_ties"}``: the two accuracies (weighted by ``sample_weight``), the
    ε used by ``accuracy_tau`` (calibrated unless ``tie_threshold`` is given), the weighted mean
    logistic loss of σ(score_diff) against the (soft) labels over the decisive pairs, and the
    counts: all pairs, tied labels, decisive (non-tie) labels, and pairs with score_diff == 0."""
    sd = _vector(score_diff, "score_diff")
    n = sd.shape[0]
    y = _labels(labels, n)
    s = _weights(sample_weight, n)
    if tie_threshold is not None:
        tie_threshold = float(tie_threshold)
        if not (math.isfinite(tie_threshold) and tie_threshold >= 0):
            raise WeightsError(f"tie_threshold must be a finite number ≥ 0, got {tie_threshold!r}", "tie_threshold")
    truth = np.sign(y - TIE)  # +1 A, −1 B, 0 tie
    predicted = np.sign(sd)
    tie_label = truth == 0
    decisive = ~tie_label
    result: dict[str, Any] = {
        "accuracy_diff": None,
        "accuracy_tau": None,
        "tie_threshold": None,
        "log_loss": None,
        "pairs": int(n),
        "ties": int(tie_label.sum()),
        "decisive_pairs": int(decisive.sum()),
        "model_ties": int((sd == 0).sum()),
    }
    s_decisive = float(s[decisive].sum())
    if s_decisive > 0:
        score = np.where(predicted == 0, 0.5, (predicted == truth).astype(np.float64))
        result["accuracy_diff"] = float(s[decisive] @ score[decisive]) / s_decisive
        m, t = sd[decisive], y[decisive]
        loss = t * np.logaddexp(0.0, -m) + (1.0 - t) * np.logaddexp(0.0, m)
        result["log_loss"] = float(s[decisive] @ loss) / s_decisive
    total = float(s.sum())
    if total > 0:
        abs_diff = np.abs(sd)
        correct_decided = (predicted == truth) & (predicted != 0)
        if tie_threshold is None:
            eps, hits = _calibrate(abs_diff, correct_decided, tie_label, s)
        else:
            eps = tie_threshold
            model_tie = abs_diff <= eps
            hits = float(s @ np.where(model_tie, tie_label, correct_decided))
        result["accuracy_tau"] = hits / total
        result["tie_threshold"] = eps
    return result


def _matrix(diff: Any, weights: Any, dimensions: Sequence[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    x = np.asarray(diff)
    if x.ndim != 2:
        raise WeightsError(f"diff must be a 2-D array (pairs × features), got shape {x.shape}", "diff")
    if x.dtype not in (np.float32, np.float64):
        x = x.astype(np.float64)
    d = x.shape[1]
    w = _vector(weights, "weights", d)
    if isinstance(dimensions, str):
        raise WeightsError("dimensions must be a sequence (one dimension per column), not one string", "dimensions")
    dims = list(dimensions)
    if len(dims) != d:
        raise WeightsError(f"dimensions has {len(dims)} entries but diff has {d} columns", "dimensions")
    return x, w, dims


def _groups(dims: list[str]) -> dict[str, np.ndarray]:
    groups: dict[str, list[int]] = {}
    for j, dim in enumerate(dims):
        groups.setdefault(dim, []).append(j)
    return {dim: np.asarray(cols) for dim, cols in groups.items()}


def dimension_contribution(diff: Any, weights: Any, dimensions: Sequence[str]) -> dict[str, float]:
    """Each dimension's share of Σ_j |w_j|·mean_i |diff_ij| (how much of the typical score
    difference it accounts for; |w_j| = w_j for the usual non-negative weights).
    ``dimensions[j]`` is column j's dimension; the shares sum to 1, or are all 0 when the total
    is 0 (or there are no pairs). Keys in order of first appearance."""
    x, w, dims = _matrix(diff, weights, dimensions)
    n = x.shape[0]
    mean_abs = np.zeros(x.shape[1])
    for start in range(0, n, CHUNK_ROWS):
        mean_abs += np.abs(x[start : start + CHUNK_ROWS]).sum(axis=0, dtype=np.float64)
    if n:
        mean_abs /= n
    if not np.isfinite(mean_abs).all():
        raise WeightsError("diff contains NaN or inf", "diff")
    part = np.abs(w) * mean_abs
    total = float(part.sum())
    return {dim: (float(part[cols].sum()) / total if total > 0 else 0.0) for dim, cols in _groups(dims).items()}


def dimension_accuracy(diff: Any, labels: Any, weights: Any, dimensions: Sequence[str]) -> dict[str, float | None]:
    """Per dimension, ``accuracy_diff`` of its partial score difference Σ_{j in dim} w_j·diff_ij
    against the labels (ties dropped, model ties count 1/2; None without decisive pairs)."""
    x, w, dims = _matrix(diff, weights, dimensions)
    y = _labels(labels, x.shape[0])
    out: dict[str, float | None] = {}
    for dim, cols in _groups(dims).items():
        partial = np.asarray(x[:, cols] @ w[cols].astype(x.dtype), dtype=np.float64)
        out[dim] = preference_accuracy(partial, y)["accuracy_diff"]
    return out
