"""worker.weights.fit: input checks, the tie / soft-label / sample-weight rules, constant
features, separable data, and the optimum itself (KKT, newton vs masking vs independent
oracles). Pure numpy; no database."""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
import pytest

from worker.weights.fit import FitResult, fit_pairwise, pairwise_objective, sgd_reference
from worker.weights.types import WeightsError


def names(d: int) -> list[str]:
    return [f"q{j}" for j in range(d)]


def planted(n: int, d: int, seed: int, zero_share: float = 0.3, scale: float = 1.0, dtype=np.float64):
    """Signed answers (+1 / −1 / 0 = not applicable) of A and B, labels drawn from
    σ(scale·w·(x_A − x_B)) with non-negative planted w, some of it exactly 0."""
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.1, 1.0, d) * (rng.random(d) >= zero_share)
    xa = rng.choice([-1.0, 0.0, 1.0], p=[0.45, 0.1, 0.45], size=(n, d))
    xb = rng.choice([-1.0, 0.0, 1.0], p=[0.45, 0.1, 0.45], size=(n, d))
    x = (xa - xb).astype(dtype)
    p = 1.0 / (1.0 + np.exp(-scale * (x @ w)))
    y = (rng.random(n) < p).astype(np.float64)
    return x, y, w


def full_gradient(x, y, w, l2, l1=0.0, s=None):
    """∇ of the smooth part of F, in float64 with no chunking (an independent check)."""
    x = np.asarray(x, dtype=np.float64)
    keep = y != 0.5
    x, y = x[keep], y[keep]
    s = np.ones(len(y)) if s is None else np.asarray(s, dtype=np.float64)[keep]
    p = 1.0 / (1.0 + np.exp(-(x @ w)))
    return x.T @ (s * (p - y)) / s.sum() + l2 * w + l1


def fista(x, y, l2, l1=0.0, nonnegative=True, iters=20000):
    """Accelerated proximal gradient on F: an oracle independent of the Newton code."""
    x = np.asarray(x, dtype=np.float64)
    n, d = x.shape
    lipschitz = np.linalg.eigvalsh(x.T @ x / n).max() / 4 + l2
    step = 1.0 / lipschitz
    w = v = np.zeros(d)
    t = 1.0
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(x @ v)))
        g = x.T @ (p - y) / n + l2 * v
        u = v - step * g
        if nonnegative:
            new = np.maximum(u - step * l1, 0.0)
        else:
            new = np.sign(u) * np.maximum(np.abs(u) - step * l1, 0.0)
        t_new = (1 + np.sqrt(1 + 4 * t * t)) / 2
        v = new + (t - 1) / t_new * (new - w)
        w, t = new, t_new
    return w


# ------------------------------------------------------------------------------------ input checks


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"diff": np.zeros((0, 3)), "labels": np.zeros(0)}, "no pairs"),
        ({"diff": np.ones((4, 3)), "labels": np.full(4, 0.5)}, "all 4 pairs are ties"),
        ({"diff": np.ones(4), "labels": np.ones(4)}, "2-D"),
        ({"labels": np.ones(5)}, "labels must have shape (4,)"),
        ({"labels": np.array([1.0, np.nan, 0.0, 1.0])}, "labels contain NaN"),
        ({"labels": np.array([1.0, 2.0, 0.0, 1.0])}, "labels must lie in [0, 1]"),
        ({"labels": np.array([1.0, -0.1, 0.0, 1.0])}, "labels must lie in [0, 1]"),
        ({"sample_weight": np.ones(3)}, "sample_weight must have shape (4,)"),
        ({"sample_weight": np.array([1.0, -1.0, 1.0, 1.0])}, "sample_weight must be non-negative"),
        ({"sample_weight": np.array([1.0, np.inf, 1.0, 1.0])}, "sample_weight contains NaN or inf"),
        ({"sample_weight": np.zeros(4)}, "sample weight 0"),
        ({"feature_names": ["a", "b"]}, "feature_names has 2 names but diff has 3 columns"),
        ({"feature_names": ["a", "b", "a"]}, "'a' twice"),
        ({"solver": "lbfgs"}, "unknown solver 'lbfgs'"),
        ({"l2": -1.0}, "l2 must be a finite number ≥ 0"),
        ({"l1": -0.5}, "l1 must be a finite number ≥ 0"),
        ({"l2": float("nan")}, "l2 must be a finite number ≥ 0"),
        ({"constant_features": "ignore"}, "constant_features must be one of"),
        ({"max_iter": 0}, "max_iter"),
        ({"tol": 0.0}, "tol"),
    ],
)
def test_bad_input_is_named(kwargs, message):
    args = {
        "diff": np.array([[1.0, 0.0, -1.0], [0.0, 2.0, 1.0], [-1.0, 1.0, 0.0], [2.0, -1.0, 1.0]]),
        "labels": np.array([1.0, 0.0, 1.0, 0.0]),
        "feature_names": ["a", "b", "c"],
    }
    args.update(kwargs)
    if args["diff"].ndim == 2 and "feature_names" not in kwargs:
        args["feature_names"] = names(args["diff"].shape[1])
    with pytest.raises(WeightsError) as caught:
        fit_pairwise(**args)
    assert message in str(caught.value)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_diff_is_rejected_even_on_a_tie_row(bad):
    x, y, _ = planted(50, 3, seed=1)
    x[7, 1] = bad
    y[7] = 0.5
    with pytest.raises(WeightsError, match="diff contains NaN or inf"):
        fit_pairwise(x, y, feature_names=names(3))


# ------------------------------------------------------------------ ties, soft labels, weights


def test_ties_are_dropped_and_counted():
    x, y, _ = planted(400, 5, seed=2)
    rng = np.random.default_rng(0)
    ties = rng.normal(size=(37, 5))
    with_ties = fit_pairwise(np.vstack([x, ties]), np.r_[y, np.full(37, 0.5)], feature_names=names(5))
    without = fit_pairwise(x, y, feature_names=names(5))
    assert with_ties.ties_dropped == 37 and without.ties_dropped == 0
    assert with_ties.pairs_used == without.pairs_used == 400
    np.testing.assert_allclose(with_ties.vector, without.vector, atol=1e-10)
    assert with_ties.loss == pytest.approx(without.loss, rel=1e-12)


def test_mostly_ties_compacts_and_agrees():
    """More than half the rows unused: the used rows are copied out; same optimum."""
    x, y, _ = planted(300, 4, seed=3)
    rng = np.random.default_rng(1)
    tied = rng.normal(size=(900, 4))
    fit = fit_pairwise(np.vstack([tied, x]), np.r_[np.full(900, 0.5), y], feature_names=names(4))
    plain = fit_pairwise(x, y, feature_names=names(4))
    np.testing.assert_allclose(fit.vector, plain.vector, atol=1e-10)
    assert fit.ties_dropped == 900


def test_soft_label_equals_two_weighted_hard_rows():
    """Cross-entropy with target y on d equals a row (d, 1) of weight y plus (d, 0) of weight 1 − y."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(200, 4))
    y = rng.choice([0.0, 0.25, 0.75, 1.0, 0.6], size=200)
    soft = fit_pairwise(x, y, feature_names=names(4), nonnegative=False)
    hard = fit_pairwise(
        np.vstack([x, x]),
        np.r_[np.ones(200), np.zeros(200)],
        np.r_[y, 1.0 - y],
        feature_names=names(4),
        nonnegative=False,
    )
    np.testing.assert_allclose(soft.vector, hard.vector, atol=1e-9)
    assert soft.loss == pytest.approx(hard.loss, rel=1e-10)


def test_sample_weights_equal_duplicated_rows():
    x, y, _ = planted(150, 4, seed=5)
    counts = np.random.default_rng(2).integers(0, 4, size=150)
    weighted = fit_pairwise(x, y, counts.astype(float), feature_names=names(4))
    repeated = fit_pairwise(np.repeat(x, counts, axis=0), np.repeat(y, counts), feature_names=names(4))
    np.testing.assert_allclose(weighted.vector, repeated.vector, atol=1e-10)
    assert weighted.loss == pytest.approx(repeated.loss, rel=1e-10)
    assert weighted.pairs_used == int((counts > 0).sum())


# ------------------------------------------------------------------------------ constant features


@pytest.mark.parametrize("value", [0.0, 1.0])
def test_constant_feature_is_named(value):
    x, y, _ = planted(100, 4, seed=6)
    x[:, 2] = value
    with pytest.raises(WeightsError, match="constant feature 'q2'") as caught:
        fit_pairwise(x, y, feature_names=names(4))
    assert caught.value.field == "q2"


def test_constant_on_non_tie_pairs_only_still_counts():
    x, y, _ = planted(100, 3, seed=7)
    x[:, 0] = 0.0
    x[:5, 0] = 1.0
    y[:5] = 0.5  # the only rows where q0 differs are ties
    with pytest.raises(WeightsError, match="'q0'"):
        fit_pairwise(x, y, feature_names=names(3))


@pytest.mark.parametrize("solver", ["newton", "masking"])
def test_constant_feature_drop(solver):
    x, y, _ = planted(300, 4, seed=8)
    x[:, 1] = 0.0
    fit = fit_pairwise(x, y, feature_names=names(4), constant_features="drop", solver=solver)
    assert fit.dropped == ("q1",)
    assert fit.weights["q1"] == 0.0 and list(fit.weights) == names(4)
    reduced = fit_pairwise(np.delete(x, 1, axis=1), y, feature_names=["q0", "q2", "q3"], solver=solver)
    np.testing.assert_allclose(np.delete(fit.vector, 1), reduced.vector, atol=1e-10)
    assert fit.to_dict()["dropped"] == ["q1"]


# -------------------------------------------------------------------------- separable, finite


def test_separable_data_give_finite_weights_with_l2():
    rng = np.random.default_rng(9)
    x = rng.normal(size=(300, 4))
    y = (x @ np.array([1.0, 0.5, 0.0, 2.0]) > 0).astype(float)
    for solver in ("newton", "masking"):
        fit = fit_pairwise(x, y, feature_names=names(4), l2=1e-4, solver=solver)
        assert np.isfinite(fit.vector).all() and fit.converged
        assert fit.kkt_violation < 1e-8


@pytest.mark.parametrize("nonnegative", [True, False])
def test_separable_data_with_l2_zero_raise(nonnegative):
    rng = np.random.default_rng(10)
    x = rng.normal(size=(300, 4))
    y = (x @ np.array([1.0, 0.5, 0.0, 2.0]) > 0).astype(float)
    with pytest.raises(WeightsError, match="separable") as caught:
        fit_pairwise(x, y, feature_names=names(4), l2=0.0, nonnegative=nonnegative)
    assert caught.value.field == "l2"


def test_quasi_separable_with_l2_zero_raises():
    """Only the pairs where q2 differs are separated (by q2): still no finite optimum."""
    x, y, _ = planted(400, 4, seed=11)
    x[:, 2] = 0.0
    x[:60, 2] = np.random.default_rng(3).choice([-2.0, -1.0, 1.0, 2.0], size=60)
    y[:60] = (x[:60, 2] > 0).astype(float)
    with pytest.raises(WeightsError, match="separable"):
        fit_pairwise(x, y, feature_names=names(4), l2=0.0)
    assert np.isfinite(fit_pairwise(x, y, feature_names=names(4), l2=1e-3).vector).all()


def test_l2_zero_without_separation_fits():
    """No false alarm: noisy data; a duplicated column (collinear, no unique optimum) is not
    separation; separation only along a negative direction is blocked by w ≥ 0."""
    x, y, _ = planted(2000, 4, seed=12)
    fit = fit_pairwise(x, y, feature_names=names(4), l2=0.0)
    assert fit.converged and fit.kkt_violation < 1e-8
    dup = fit_pairwise(np.c_[x, x[:, 0]], y, feature_names=names(5), l2=0.0)
    assert dup.vector[0] + dup.vector[4] == pytest.approx(fit.vector[0], abs=1e-6)
    neg = (x[:, 3] < 0).astype(float)
    blocked = fit_pairwise(x, neg, feature_names=names(4), l2=0.0)
    assert blocked.weights["q3"] == 0.0 and np.isfinite(blocked.vector).all()


def test_extreme_values_never_give_nan():
    rng = np.random.default_rng(13)
    x = rng.normal(size=(200, 3)) * 1e6
    y = (rng.random(200) < 0.5).astype(float)
    for l2 in (1e-4, 1.0):
        fit = fit_pairwise(x, y, feature_names=names(3), l2=l2)
        assert np.isfinite(fit.vector).all() and np.isfinite(fit.loss) and np.isfinite(fit.kkt_violation)
    tiny = fit_pairwise(x * 1e-12, y, feature_names=names(3))
    assert np.isfinite(tiny.vector).all()


# ------------------------------------------------------------------------------------ optimum


@pytest.mark.parametrize("seed", [20, 21, 22])
def test_masking_and_newton_reach_the_same_optimum_on_planted_data(seed):
    x, y, w = planted(20000, 12, seed=seed, zero_share=0.4)
    assert (w == 0).sum() >= 3
    newton = fit_pairwise(x, y, feature_names=names(12))
    masking = fit_pairwise(x, y, feature_names=names(12), solver="masking")
    assert newton.converged and masking.converged
    np.testing.assert_allclose(newton.vector, masking.vector, atol=1e-4)
    assert masking.loss == pytest.approx(newton.loss, rel=1e-8)
    assert newton.kkt_violation < 1e-9
    assert (newton.vector >= 0).all() and (newton.vector == 0).any()


def test_newton_never_worse_than_masking_on_random_problems():
    rng = np.random.default_rng(30)
    worse = 0
    for trial in range(12):
        n, d = int(rng.integers(30, 400)), int(rng.integers(2, 10))
        x = rng.normal(size=(n, d)) * rng.uniform(0.2, 3.0, d)
        y = (rng.random(n) < 1 / (1 + np.exp(-(x @ rng.normal(size=d))))).astype(float)
        l2 = float(10 ** rng.uniform(-4, -1))
        newton = fit_pairwise(x, y, feature_names=names(d), l2=l2)
        masking = fit_pairwise(x, y, feature_names=names(d), l2=l2, solver="masking")
        assert newton.loss <= masking.loss + 1e-12, trial
        assert newton.kkt_violation < 1e-8, trial
        worse += masking.loss > newton.loss + 1e-9
        oracle = fista(x, y, l2, iters=3000)
        assert pairwise_objective(x, y, oracle, l2=l2) >= newton.loss - 1e-12
    assert worse >= 1  # masking can remove a feature for good that the optimum keeps


def test_kkt_against_an_independent_gradient():
    x, y, _ = planted(5000, 8, seed=31)
    fit = fit_pairwise(x, y, feature_names=names(8), l2=1e-3)
    g = full_gradient(x, y, fit.vector, 1e-3)
    positive = fit.vector > 0
    assert np.abs(g[positive]).max() < 1e-9
    assert (g[~positive] >= -1e-9).all()
    assert fit.kkt_violation < 1e-9


def test_l1_nonnegative_and_free_sign_match_proximal_oracle():
    rng = np.random.default_rng(32)
    x = rng.normal(size=(400, 6))
    w_true = np.array([1.5, -1.0, 0.0, 0.3, -0.05, 0.8])
    y = (rng.random(400) < 1 / (1 + np.exp(-(x @ w_true)))).astype(float)
    for nonnegative in (True, False):
        fit = fit_pairwise(x, y, feature_names=names(6), l2=1e-3, l1=0.03, nonnegative=nonnegative)
        oracle = fista(x, y, 1e-3, l1=0.03, nonnegative=nonnegative)
        assert fit.converged and fit.kkt_violation < 1e-9
        np.testing.assert_allclose(fit.vector, oracle, atol=1e-6)
        assert fit.loss == pytest.approx(pairwise_objective(x, y, oracle, l2=1e-3, l1=0.03), rel=1e-9)
        if not nonnegative:
            assert (fit.vector < 0).any() and (fit.vector == 0).any()


def test_unconstrained_fit_matches_plain_newton():
    rng = np.random.default_rng(33)
    x = rng.normal(size=(500, 5))
    y = (rng.random(500) < 1 / (1 + np.exp(-(x @ np.array([1.0, -2.0, 0.5, 0.0, -0.3]))))).astype(float)
    fit = fit_pairwise(x, y, feature_names=names(5), l2=1e-2, nonnegative=False)
    w = np.zeros(5)
    for _ in range(30):  # textbook Newton, full float64
        p = 1 / (1 + np.exp(-(x @ w)))
        g = x.T @ (p - y) / 500 + 1e-2 * w
        h = (x * (p * (1 - p))[:, None]).T @ x / 500 + 1e-2 * np.eye(5)
        w -= np.linalg.solve(h, g)
    np.testing.assert_allclose(fit.vector, w, atol=1e-10)
    assert (fit.vector < 0).sum() == 3
    masking = fit_pairwise(x, y, feature_names=names(5), l2=1e-2, nonnegative=False, solver="masking")
    np.testing.assert_allclose(masking.vector, w, atol=1e-10)


def test_sgd_reference_approaches_the_newton_optimum():
    x, y, _ = planted(2000, 6, seed=34)
    fit = fit_pairwise(x, y, feature_names=names(6), l2=1e-3)
    sgd = sgd_reference(x, y, epochs=30, lr=0.002, l2=1e-3, seed=0)
    assert (sgd >= 0).all()
    np.testing.assert_allclose(sgd, fit.vector, atol=0.05)
    assert pairwise_objective(x, y, sgd, l2=1e-3) == pytest.approx(fit.loss, rel=2e-3)
    again = sgd_reference(x, y, epochs=30, lr=0.002, l2=1e-3, seed=0)
    np.testing.assert_array_equal(sgd, again)


def test_float32_input_matches_float64_and_is_not_copied():
    x, y, _ = planted(200_000, 32, seed=35, dtype=np.float32)
    tracemalloc.start()
    try:
        fit32 = fit_pairwise(x, y, feature_names=names(32))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 0.5 * x.nbytes, (peak, x.nbytes)  # a float64 copy would be 2 × x.nbytes
    fit64 = fit_pairwise(x.astype(np.float64), y, feature_names=names(32))
    np.testing.assert_allclose(fit32.vector, fit64.vector, atol=1e-10)
    assert fit32.kkt_violation < 1e-9


def test_integer_input_is_accepted():
    x, y, _ = planted(500, 4, seed=36)
    as_int = fit_pairwise(x.astype(np.int8), y, feature_names=names(4))
    as_float = fit_pairwise(x, y, feature_names=names(4))
    np.testing.assert_allclose(as_int.vector, as_float.vector, atol=1e-12)


def test_result_metadata_is_json_safe():
    x, y, _ = planted(300, 3, seed=37)
    y[:10] = 0.5
    fit = fit_pairwise(x, y, feature_names=["alpha", "beta", "gamma"])
    assert isinstance(fit, FitResult)
    meta = json.loads(json.dumps(fit.to_dict()))
    assert meta["weights"] == fit.weights and list(meta["weights"]) == ["alpha", "beta", "gamma"]
    assert meta["ties_dropped"] == 10 and meta["pairs_used"] == 290
    assert meta["solver"] == "newton" and meta["converged"] is True
    assert set(meta) >= {"loss", "iterations", "kkt_violation", "dropped", "l2", "l1", "nonnegative"}
    assert not fit.vector.flags.writeable
    assert all(fit.weights[name] == fit.vector[j] for j, name in enumerate(["alpha", "beta", "gamma"]))


def test_objective_reported_is_the_objective():
    x, y, _ = planted(1000, 5, seed=38)
    fit = fit_pairwise(x, y, feature_names=names(5), l2=0.01, l1=0.002)
    assert fit.loss == pytest.approx(pairwise_objective(x, y, fit.vector, l2=0.01, l1=0.002), rel=1e-14)


def test_iteration_cap_reports_not_converged():
    x, y, _ = planted(3000, 6, seed=39)
    capped = fit_pairwise(x, y, feature_names=names(6), max_iter=1)
    assert capped.iterations == 1 and not capped.converged
    assert capped.kkt_violation > 1e-9 and np.isfinite(capped.vector).all()
    full = fit_pairwise(x, y, feature_names=names(6))
    assert full.converged and full.loss < capped.loss
