"""Fitting checklist weights on preference pairs (pure numpy; no Django, no database).

The model (VisionReward, arXiv 2412.21059, section on weights): every asset is a feature
vector x (one encoded number per checklist question); the reward is R = w·x, and for a pair
(A, B) with d = x_A − x_B

    P(A preferred to B) = σ(w·d),           σ(t) = 1 / (1 + e^(−t)),  no intercept.

Labels y ∈ [0, 1]: 1 = A preferred, 0 = B preferred, exactly 0.5 = tie; other values are
soft targets (e.g. the mean of several raters) used as they are in the cross-entropy.
**Ties are dropped for fitting** (a tie says nothing about the sign of w·d that the logistic
model can use; it is counted in ``FitResult.ties_dropped``); evaluation keeps them (see
``worker.weights.evaluate``).

Objective, with sample weights s_i ≥ 0 (1 by default) over the non-tie pairs and S = Σ s_i:

    F(w) = (1/S) Σ s_i ℓ_i(w) + (l2/2)·||w||² + l1·Σ|w_j|,
    ℓ_i(w) = y_i·softplus(−m_i) + (1 − y_i)·softplus(m_i),  m_i = w·d_i,

(softplus(t) = log(1 + e^t), computed with ``np.logaddexp``; this form has no cancellation),
minimised subject to w ≥ 0 when ``nonnegative`` (the paper's constraint; then the L1 term is
the linear, smooth l1·Σw_j). Gradient and Hessian of the data term:

    ∇ = (1/S) Dᵀ (s ⊙ (p − y)),     ∇² = (1/S) Dᵀ diag(s ⊙ p(1 − p)) D,     p = σ(m).

Solvers:

* ``"newton"``: projected Newton for bound constraints (Bertsekas 1982, "Projected Newton
  methods for optimization problems with simple constraints"). At each iteration the
  *binding* set is {j : w_j ≤ ε and g_j > 0} (near the bound, gradient pushing into it,
  ε = min(1e-3, ||w − P[w − g]||∞)); the other variables take a Newton step with the d×d
  Hessian restricted to them, the binding ones a diagonally scaled gradient step; the trial
  point is projected on the feasible set (w ≥ 0) and the step length backtracked until the
  Armijo condition along the projection arc holds. The Hessian is Dᵀ diag(h) D by BLAS
  (``syrk``, in the input's precision), accumulated over row chunks of ~2 MiB so the scaled
  copy of D it needs never exists whole (one product over all rows would need an (n, d)
  temporary, 244 MiB at 1M × 64 float32); the margins, loss and gradient are accumulated in
  float64 over the same chunks, so a float32 input is never copied whole to float64. With
  ``nonnegative=False`` and ``l1 > 0`` the same step runs orthant-wise (each variable keeps
  the sign it has, or the one its pseudo-gradient points to, and is projected onto zero
  rather than crossing it), so the L1 kink is handled exactly.
* ``"masking"``: the paper's "iterative regression with weight masking": fit the
  unconstrained regression (Newton) on the active features, set the negative weights to zero
  and remove them from the active set, repeat until no active weight is negative. A feature
  once removed never comes back, so the result may miss the constrained optimum;
  ``kkt_violation`` (measured against the constrained problem) shows when it does. With
  ``nonnegative=False`` there is nothing to mask and it is the same as ``"newton"``.

Optimality (reported as ``kkt_violation``, the max over features of): |g_j| where the
variable is free; for w ≥ 0 at w_j = 0: max(0, −g_j); with an L1 kink at w_j = 0:
max(0, |g_j| − l1); g = ∇F of the smooth part (incl. the linear L1 term when nonnegative).

Constant features: a column that takes one value on every used pair (e.g. all zero: no pair
differs on that question) cannot be told apart from a shift of the other weights (or has no
information at all): ``constant_features="error"`` raises ``WeightsError`` naming it,
``"drop"`` fixes its weight at 0 and lists it in ``FitResult.dropped``.

Separable data: with l2 > 0 the optimum is finite. With ``l2 == 0`` and (quasi-)separable
data the infimum is only approached as some weights go to infinity: Newton then stops at
large finite weights whose margins are all saturated; this is detected (the Hessian in some
free direction is below ``SEPARATION_RATIO`` times its value at p = 1/2, i.e. every pair that
moves along that direction has |margin| ≳ 12) and ``WeightsError`` is raised, asking for
``l2 > 0``. Weights returned are always finite.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from worker.weights.types import WeightsError

SOLVERS = ("newton", "masking")
CONSTANT_FEATURES = ("error", "drop")
TIE = 0.5
CHUNK_BYTES = 2 << 20  # rows per chunk: about 2 MiB of float64 per chunk
ARMIJO = 1e-4
EPS_BAR = 1e-3
SEPARATION_RATIO = 1e-5
MIN_STEP = 1e-12


@dataclass(frozen=True)
class FitResult:
    """The fitted weights and how they were obtained.

    ``weights`` maps every feature name (dropped ones included, at 0.0) to its weight;
    ``vector`` is the same in ``feature_names`` order (float64, read-only); ``loss`` is the
    objective F at the returned weights (see the module docstring); ``pairs_used`` counts the
    non-tie pairs with a positive sample weight, ``ties_dropped`` the pairs labelled 0.5."""

    weights: dict[str, float]
    vector: np.ndarray = field(compare=False, repr=False)
    loss: float
    iterations: int
    converged: bool
    solver: str
    pairs_used: int
    ties_dropped: int
    dropped: tuple[str, ...]
    kkt_violation: float
    l2: float = 0.0
    l1: float = 0.0
    nonnegative: bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe metadata (plain floats, ints, strings, lists; no arrays)."""
        return {
            "weights": {name: float(value) for name, value in self.weights.items()},
            "loss": float(self.loss),
            "iterations": int(self.iterations),
            "converged": bool(self.converged),
            "solver": self.solver,
            "pairs_used": int(self.pairs_used),
            "ties_dropped": int(self.ties_dropped),
            "dropped": list(self.dropped),
            "kkt_violation": float(self.kkt_violation),
            "l2": float(self.l2),
            "l1": float(self.l1),
            "nonnegative": bool(self.nonnegative),
        }


# ---------------------------------------------------------------------------------------------
# input checking


def _as_features(diff: Any) -> np.ndarray:
    """The (n, d) feature-difference array without copying float32/float64 input; small
    integer/bool/float16 arrays become float32 (exact), other real arrays float64."""
    x = np.asarray(diff)
    if x.ndim != 2:
        raise WeightsError(f"diff must be a 2-D array (pairs × features), got shape {x.shape}", "diff")
    if x.dtype in (np.float32, np.float64):
        return x
    if x.dtype.kind in "biu" or x.dtype == np.float16:
        small = x.dtype.kind == "b" or x.dtype.itemsize <= 2
        return x.astype(np.float32 if small else np.float64)
    if x.dtype.kind == "f":
        return x.astype(np.float64)
    raise WeightsError(f"diff must be a real numeric array, got dtype {x.dtype}", "diff")


def _chunk_rows(d: int) -> int:
    return max(256, CHUNK_BYTES // (8 * max(d, 1)))


def _check_labels(labels: Any, n: int) -> np.ndarray:
    y = np.asarray(labels, dtype=np.float64)
    if y.ndim != 1 or y.shape[0] != n:
        raise WeightsError(f"labels must have shape ({n},) to match diff, got {y.shape}", "labels")
    if not np.isfinite(y).all():
        raise WeightsError(f"labels contain NaN or inf ({int((~np.isfinite(y)).sum())} of {n})", "labels")
    if n and (y.min() < 0.0 or y.max() > 1.0):
        raise WeightsError(f"labels must lie in [0, 1], got values in [{y.min():g}, {y.max():g}]", "labels")
    return y


def _check_sample_weight(sample_weight: Any, n: int) -> np.ndarray | None:
    if sample_weight is None:
        return None
    s = np.asarray(sample_weight, dtype=np.float64)
    if s.ndim != 1 or s.shape[0] != n:
        raise WeightsError(f"sample_weight must have shape ({n},) to match diff, got {s.shape}", "sample_weight")
    if not np.isfinite(s).all():
        raise WeightsError("sample_weight contains NaN or inf", "sample_weight")
    if n and s.min() < 0:
        raise WeightsError(f"sample_weight must be non-negative, got a minimum of {s.min():g}", "sample_weight")
    return s


def _check_names(feature_names: Sequence[str], d: int) -> tuple[str, ...]:
    if isinstance(feature_names, str):
        raise WeightsError("feature_names must be a sequence of names, not one string", "feature_names")
    names = tuple(feature_names)
    if len(names) != d:
        raise WeightsError(f"feature_names has {len(names)} names but diff has {d} columns", "feature_names")
    if not all(isinstance(name, str) for name in names):
        raise WeightsError("feature_names must be strings", "feature_names")
    if len(set(names)) != len(names):
        seen: set[str] = set()
        duplicate = next(name for name in names if name in seen or seen.add(name))
        raise WeightsError(f"feature_names contains {duplicate!r} twice", "feature_names")
    return names


def _check_penalty(name: str, value: float) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise WeightsError(f"{name} must be a number, got {value!r}", name)
    if not math.isfinite(value) or value < 0:
        raise WeightsError(f"{name} must be a finite number ≥ 0, got {value!r}", name)
    return value


def _column_ranges(x: np.ndarray, used: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Column minimum and maximum over the used rows, and whether the whole array (every row,
    used or not) is finite; in row chunks (no (n, d) temporary). NaN and ±inf show in the
    chunk minima / maxima, so no boolean (n, d) mask is needed."""
    n, d = x.shape
    lo = np.full(d, np.inf)
    hi = np.full(d, -np.inf)
    finite = True
    step = _chunk_rows(d)
    for start in range(0, n, step):
        block = x[start : start + step]
        if finite and not (np.isfinite(block.min(axis=0)).all() and np.isfinite(block.max(axis=0)).all()):
            finite = False
        rows = used[start : start + step]
        if rows.all():
            part = block
        elif rows.any():
            part = block[rows]
        else:
            continue
        np.minimum(lo, part.min(axis=0), out=lo)
        np.maximum(hi, part.max(axis=0), out=hi)
    return lo, hi, finite


# ---------------------------------------------------------------------------------------------
# the data term, chunked


class _Design:
    """The used pairs: features ``x`` (n, d; float32 or float64, never copied whole), labels,
    normalised sample weights (zero for rows that are not used). Margins, loss and gradient
    in float64 over row chunks; the Hessian in ``x``'s precision, one GEMM (``syrk``) per
    chunk."""

    def __init__(self, x: np.ndarray, y: np.ndarray, s: np.ndarray):
        self.x = x
        self.y = y
        self.s = s / s.sum()  # weighted mean → plain sums
        self.n, self.d = x.shape
        self.step = _chunk_rows(self.d)

    def _slices(self):
        for start in range(0, self.n, self.step):
            yield slice(start, min(start + self.step, self.n))

    def evaluate(self, w: np.ndarray, root_out: np.ndarray) -> tuple[float, np.ndarray]:
        """Data term (1/S) Σ s ℓ and its gradient at ``w``; writes sqrt(s p(1 − p)) (the
        Hessian's row scales at ``w``) into ``root_out``."""
        loss = 0.0
        grad = np.zeros(self.d)
        for sl in self._slices():
            xc = np.asarray(self.x[sl], dtype=np.float64)
            zc = xc @ w
            a = np.logaddexp(0.0, zc)  # softplus(m) = −log(1 − p)
            b = np.logaddexp(0.0, -zc)  # softplus(−m) = −log p
            yc, sc = self.y[sl], self.s[sl]
            loss += float(sc @ (yc * b + (1.0 - yc) * a))
            grad += (sc * (np.exp(-b) - yc)) @ xc
            root_out[sl] = np.sqrt(sc * np.exp(-(a + b)))
        return loss, grad

    def hessian(self, root: np.ndarray | None) -> np.ndarray:
        """(1/S) Dᵀ diag(s p(1 − p)) D given ``root`` = sqrt(s p(1 − p)) from ``evaluate``;
        with ``root=None`` the same at p(1 − p) = 1/4 (the largest it can be)."""
        out = np.zeros((self.d, self.d))
        dtype = self.x.dtype
        for sl in self._slices():
            r = np.sqrt(self.s[sl] * 0.25) if root is None else root[sl]
            m = self.x[sl] * r.astype(dtype, copy=False)[:, None]
            out += m.T @ m
        return out


# ---------------------------------------------------------------------------------------------
# the solver


@dataclass
class _Problem:
    """Penalties and the sign rule: ``mode`` is "none" (unconstrained, no kink), "nonneg"
    (w ≥ 0) or "l1" (free sign, L1 kink at 0); ``linear`` is added to the gradient of every
    movable variable (the L1 term on w ≥ 0); ``l1abs`` multiplies Σ|w| in "l1" mode."""

    l2: float
    linear: float
    l1abs: float
    mode: str

    def value(self, data: float, w: np.ndarray) -> float:
        return data + 0.5 * self.l2 * float(w @ w) + self.linear * float(w.sum()) + self.l1abs * float(np.abs(w).sum())

    def orthant(self, w: np.ndarray, g: np.ndarray, movable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per variable the sign it may take this iteration (+1/−1; 0 = held at 0; all +1 in
        "nonneg"; unused in "none") and the (pseudo-)gradient along it."""
        if self.mode in ("none", "nonneg"):
            return np.ones_like(w), np.where(movable, g, 0.0)
        sign = np.sign(w)
        zero = w == 0
        sign[zero & (g + self.l1abs < 0)] = 1.0
        sign[zero & (g - self.l1abs > 0)] = -1.0
        sign[~movable] = 0.0
        pg = np.where(sign != 0, g + self.l1abs * sign, 0.0)
        return sign, pg

    def kkt(self, w: np.ndarray, g: np.ndarray, movable: np.ndarray) -> float:
        """Max violation of the optimality conditions over the movable variables."""
        if not movable.any():
            return 0.0
        if self.mode == "none":
            v = np.abs(g)
        elif self.mode == "nonneg":
            v = np.where(w > 0, np.abs(g), np.maximum(0.0, -g))
        else:
            v = np.where(w != 0, np.abs(g + self.l1abs * np.sign(w)), np.maximum(0.0, np.abs(g) - self.l1abs))
        return float(v[movable].max())

    def project(self, trial: np.ndarray, sign: np.ndarray) -> np.ndarray:
        if self.mode == "none":
            return trial
        trial[trial * sign <= 0] = 0.0
        return trial


@dataclass
class _State:
    w: np.ndarray
    root: np.ndarray
    value: float
    grad: np.ndarray
    iterations: int
    converged: bool
    kkt: float


def _newton_direction(hessian: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """−H⁻¹g for a symmetric positive (semi-)definite H: Cholesky, with a growing ridge if H is
    singular; an eigen-decomposition with clamped eigenvalues as the last resort."""
    if hessian.size == 0:
        return np.zeros(0)
    scale = float(np.trace(hessian)) / hessian.shape[0] or 1.0
    ridge = 0.0
    for _ in range(6):
        try:
            chol = np.linalg.cholesky(hessian + ridge * np.eye(hessian.shape[0]))
            step = -np.linalg.solve(chol.T, np.linalg.solve(chol, grad))
            if np.isfinite(step).all():
                return step
        except np.linalg.LinAlgError:
            pass
        ridge = scale * 1e-12 if ridge == 0 else ridge * 100
    values, vectors = np.linalg.eigh(hessian)
    values = np.maximum(values, scale * 1e-10)
    return -(vectors @ ((vectors.T @ grad) / values))


def _solve(
    design: _Design, problem: _Problem, w0: np.ndarray, movable: np.ndarray, max_iter: int, tol: float
) -> _State:
    """Projected (orthant-wise) Newton with an Armijo line search along the projection arc."""
    w = np.where(movable, w0, 0.0)
    if problem.mode == "nonneg":
        w = np.maximum(w, 0.0)
    root = np.empty(design.n)
    root_trial = np.empty(design.n)
    data, grad = design.evaluate(w, root)
    value = problem.value(data, w)
    g = grad + problem.l2 * w + problem.linear
    iterations = 0
    converged = False
    kkt = problem.kkt(w, g, movable)
    while iterations < max_iter:
        if kkt <= tol:
            converged = True
            break
        sign, pg = problem.orthant(w, g, movable)
        hess = design.hessian(root)
        hess[np.diag_indices_from(hess)] += problem.l2
        if problem.mode == "none":
            binding = np.zeros_like(movable)
            free = movable.copy()
        else:
            step_norm = float(np.abs(w - problem.project(w - pg, sign))[movable].max())
            eps = min(EPS_BAR, step_norm)
            binding = movable & (sign != 0) & (w * sign <= eps) & (pg * sign > 0)
            free = movable & (sign != 0) & ~binding
        delta = np.zeros_like(w)
        idx = np.flatnonzero(free)
        if idx.size:
            delta[idx] = _newton_direction(hess[np.ix_(idx, idx)], pg[idx])
            if not float(pg[idx] @ delta[idx]) < 0:  # numerically not a descent direction
                delta[idx] = -pg[idx] / np.maximum(np.diag(hess)[idx], 1e-300)
        bidx = np.flatnonzero(binding)
        if bidx.size:
            delta[bidx] = -pg[bidx] / np.maximum(np.diag(hess)[bidx], 1e-300)
        predicted_free = float(pg[idx] @ delta[idx]) if idx.size else 0.0
        slack = 1e-13 * max(abs(value), 1e-300)
        alpha = 1.0
        accepted = False
        while alpha >= MIN_STEP:
            trial = problem.project(w + alpha * delta, sign)
            trial[~movable] = 0.0
            if not np.isfinite(trial).all():
                alpha *= 0.5
                continue
            t_data, t_grad = design.evaluate(trial, root_trial)
            t_value = problem.value(t_data, trial)
            decrease = alpha * predicted_free + float(pg[bidx] @ (trial[bidx] - w[bidx]))
            if t_value <= value + ARMIJO * decrease + slack:
                accepted = True
                break
            alpha *= 0.5
        if not accepted:
            break
        iterations += 1
        w, value = trial, t_value
        root, root_trial = root_trial, root
        g = t_grad + problem.l2 * w + problem.linear
        kkt = problem.kkt(w, g, movable)
    else:
        converged = kkt <= tol
    return _State(w=w, root=root, value=value, grad=g, iterations=iterations, converged=converged, kkt=kkt)


def _check_separation(design: _Design, state: _State, movable: np.ndarray, problem: _Problem) -> None:
    """With l2 = 0: raise if some direction of the free variables has a Hessian below
    SEPARATION_RATIO times its value at p = 1/2, i.e. every pair moving along it is saturated
    (the data are (quasi-)separable and the optimum lies at infinity). Directions with no
    variation at all (collinear columns) are left out: they are not separation."""
    free = movable & (state.w != 0) if problem.mode != "none" else movable
    idx = np.flatnonzero(free)
    if not idx.size:
        return
    h = design.hessian(state.root)[np.ix_(idx, idx)]
    h0 = design.hessian(None)[np.ix_(idx, idx)]
    values, vectors = np.linalg.eigh(h0)
    keep = values > values.max() * 1e-10
    if not keep.any():
        return
    t = vectors[:, keep] / np.sqrt(values[keep])
    ratio = float(np.linalg.eigvalsh(t.T @ h @ t).min())
    if ratio < SEPARATION_RATIO:
        raise WeightsError(
            "the pairs are (quasi-)linearly separable: with l2 = 0 the optimum lies at infinity "
            f"(the Hessian in some direction is {ratio:.1e} of its value at p = 1/2); use l2 > 0",
            "l2",
        )


# ---------------------------------------------------------------------------------------------
# public entry points


@dataclass
class _Prepared:
    x: np.ndarray
    y: np.ndarray
    s: np.ndarray
    names: tuple[str, ...]
    pairs_used: int
    ties: int
    constant: np.ndarray


def _prepare(diff: Any, labels: Any, sample_weight: Any, feature_names: Sequence[str]) -> _Prepared:
    x = _as_features(diff)
    n, d = x.shape
    if n == 0:
        raise WeightsError("no pairs to fit (diff has 0 rows)", "diff")
    y = _check_labels(labels, n)
    s = _check_sample_weight(sample_weight, n)
    names = _check_names(feature_names, d)
    ties = y == TIE
    used = ~ties if s is None else ~ties & (s > 0)
    n_ties = int(ties.sum())
    if n_ties == n:
        raise WeightsError(f"all {n} pairs are ties (label 0.5): nothing to fit", "labels")
    if not used.any():
        raise WeightsError("every non-tie pair has sample weight 0: nothing to fit", "sample_weight")
    lo, hi, finite = _column_ranges(x, used)
    if not finite:
        raise WeightsError("diff contains NaN or inf", "diff")
    weights = used.astype(np.float64) if s is None else np.where(used, s, 0.0)
    pairs_used = int(used.sum())
    if pairs_used <= n // 2:  # mostly unused rows: compact (a copy of at most half the rows)
        x, y, weights = x[used], y[used], weights[used]
    return _Prepared(x, y, weights, names, pairs_used, n_ties, constant=lo == hi)


def fit_pairwise(
    diff: Any,
    labels: Any,
    sample_weight: Any = None,
    *,
    feature_names: Sequence[str],
    l2: float = 1e-4,
    l1: float = 0.0,
    solver: str = "newton",
    nonnegative: bool = True,
    constant_features: str = "error",
    max_iter: int = 100,
    tol: float = 1e-9,
) -> FitResult:
    """Fit w minimising F(w) (module docstring) on preference pairs.

    ``diff``: (n, d) x_A − x_B (float32 or float64 are used without a copy); ``labels``: (n,)
    in [0, 1], 1 = A preferred, 0 = B, exactly 0.5 = tie (dropped, counted), anything else a
    soft target; ``sample_weight``: (n,) ≥ 0 or None. Raises ``WeightsError`` on bad input
    (the message names the problem). ``tol`` bounds the KKT violation at convergence."""
    if solver not in SOLVERS:
        raise WeightsError(f"unknown solver {solver!r}; expected one of {', '.join(SOLVERS)}", "solver")
    if constant_features not in CONSTANT_FEATURES:
        raise WeightsError(
            f"constant_features must be one of {', '.join(CONSTANT_FEATURES)}, got {constant_features!r}",
            "constant_features",
        )
    l2 = _check_penalty("l2", l2)
    l1 = _check_penalty("l1", l1)
    if int(max_iter) < 1:
        raise WeightsError(f"max_iter must be ≥ 1, got {max_iter!r}", "max_iter")
    if not (math.isfinite(float(tol)) and float(tol) > 0):
        raise WeightsError(f"tol must be a positive number, got {tol!r}", "tol")
    prep = _prepare(diff, labels, sample_weight, feature_names)
    names = prep.names
    constant = prep.constant
    if constant.any() and constant_features == "error":
        bad = [names[j] for j in np.flatnonzero(constant)]
        raise WeightsError(
            f"constant feature{'s' if len(bad) > 1 else ''} {', '.join(map(repr, bad))}: the same value on every "
            "non-tie pair, so its weight cannot be fitted (pass constant_features='drop' to fix it at 0)",
            bad[0],
        )
    movable = ~constant
    design = _Design(prep.x, prep.y, prep.s)
    d = design.d
    if nonnegative:
        final = _Problem(l2=l2, linear=l1, l1abs=0.0, mode="nonneg")
    elif l1 > 0:
        final = _Problem(l2=l2, linear=0.0, l1abs=l1, mode="l1")
    else:
        final = _Problem(l2=l2, linear=0.0, l1abs=0.0, mode="none")

    if solver == "newton" or not nonnegative:
        state = _solve(design, final, np.zeros(d), movable, int(max_iter), float(tol))
        iterations = state.iterations
    else:  # masking: unconstrained fits on a shrinking active set
        inner = _Problem(l2=l2, linear=l1, l1abs=0.0, mode="none")
        active = movable.copy()
        w = np.zeros(d)
        iterations = 0
        while True:
            state = _solve(design, inner, w, active, int(max_iter), float(tol))
            iterations += state.iterations
            negative = active & (state.w < 0)
            if not negative.any():
                break
            w = np.where(negative, 0.0, state.w)
            active &= ~negative
        # the final KKT check is against the constrained problem, over every fitted feature
        state.kkt = final.kkt(state.w, state.grad, movable)

    if l2 == 0:
        _check_separation(design, state, movable, final)
    w = state.w
    if not np.isfinite(w).all() or not math.isfinite(state.value):  # pragma: no cover - guarded above
        raise WeightsError("the fit diverged (non-finite weights); use l2 > 0", "l2")
    vector = np.array(w, dtype=np.float64)
    vector[vector == 0] = 0.0  # no −0.0
    vector.setflags(write=False)
    return FitResult(
        weights={name: float(vector[j]) for j, name in enumerate(names)},
        vector=vector,
        loss=float(state.value),
        iterations=int(iterations),
        converged=bool(state.converged),
        solver=solver,
        pairs_used=prep.pairs_used,
        ties_dropped=prep.ties,
        dropped=tuple(names[j] for j in np.flatnonzero(constant)),
        kkt_violation=float(state.kkt),
        l2=l2,
        l1=l1,
        nonnegative=bool(nonnegative),
    )


def pairwise_objective(
    diff: Any,
    labels: Any,
    w: Any,
    sample_weight: Any = None,
    *,
    l2: float = 1e-4,
    l1: float = 0.0,
) -> float:
    """F(w) of the module docstring for any weight vector (ties dropped, as in fitting):
    weighted mean logistic loss + (l2/2)·||w||² + l1·Σ|w_j|."""
    x = _as_features(diff)
    n, d = x.shape
    vector = np.asarray(w, dtype=np.float64)
    if vector.shape != (d,):
        raise WeightsError(f"w must have shape ({d},), got {vector.shape}", "w")
    prep = _prepare(x, labels, sample_weight, [f"f{j}" for j in range(d)])
    design = _Design(prep.x, prep.y, prep.s)
    data, _ = design.evaluate(vector, np.empty(design.n))
    problem = _Problem(l2=_check_penalty("l2", l2), linear=0.0, l1abs=_check_penalty("l1", l1), mode="l1")
    return problem.value(data, vector)


def sgd_reference(
    diff: Any,
    labels: Any,
    *,
    epochs: int,
    lr: float,
    l2: float,
    seed: int,
    nonnegative: bool = True,
    after_epoch: Callable[[int, np.ndarray], bool] | None = None,
) -> np.ndarray:
    """The paper-style baseline: plain per-sample SGD in a Python loop.

    Ties (label 0.5) are dropped as in ``fit_pairwise``. Each epoch visits the pairs in a
    fresh random order (``np.random.default_rng(seed)``); for each pair i with margin
    m = w·d_i the step is w ← (1 − lr·l2)·w − lr·(σ(m) − y_i)·d_i (the stochastic gradient of
    ℓ_i + (l2/2)||w||²); after every pass the negative weights are set to 0 (with
    ``nonnegative``). Constant learning rate, start at w = 0. Returns the (d,) float64 weights.
    ``after_epoch(epoch, w)`` (epoch counted from 1; ``w`` a copy) is called after every pass
    and may return True to stop early (the benchmark uses it to track held-out accuracy).
    Deliberately unvectorised: it is the benchmark's baseline and a test oracle."""
    x = _as_features(diff)
    n, d = x.shape
    y = _check_labels(labels, n)
    if int(epochs) < 1:
        raise WeightsError(f"epochs must be ≥ 1, got {epochs!r}", "epochs")
    lr = float(lr)
    if not (math.isfinite(lr) and lr > 0):
        raise WeightsError(f"lr must be a positive number, got {lr!r}", "lr")
    l2 = _check_penalty("l2", l2)
    keep = np.flatnonzero(y != TIE)
    if not keep.size:
        raise WeightsError("no non-tie pairs to fit", "labels")
    rng = np.random.default_rng(seed)
    w = np.zeros(d)
    shrink = 1.0 - lr * l2
    exp = math.exp
    for epoch in range(1, int(epochs) + 1):
        for i in rng.permutation(keep):
            row = x[i]
            m = float(row @ w)
            p = 1.0 / (1.0 + exp(-m)) if m >= 0 else exp(m) / (1.0 + exp(m))
            if shrink != 1.0:
                w *= shrink
            w -= (lr * (p - y[i])) * row
        if nonnegative:
            np.maximum(w, 0.0, out=w)
        if after_epoch is not None and after_epoch(epoch, w.copy()):
            break
    return w
