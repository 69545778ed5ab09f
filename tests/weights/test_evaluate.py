"""worker.weights.evaluate: the held-out split, both accuracies with their tie rules (on
hand-made examples with known answers), tie calibration, per-dimension figures. No database."""

from __future__ import annotations

import math

import numpy as np
import pytest

from worker.weights.evaluate import dimension_accuracy, dimension_contribution, preference_accuracy, split_test
from worker.weights.types import WeightsError

# ------------------------------------------------------------------------------------ split


def test_split_is_deterministic_and_per_group():
    groups = [f"prompt-{i // 3}" for i in range(3000)]  # 1000 groups of 3 pairs
    first = split_test(groups, 0.2, seed=7)
    assert first.dtype == bool and first.shape == (3000,)
    np.testing.assert_array_equal(first, split_test(groups, 0.2, seed=7))
    by_group = first.reshape(1000, 3)
    assert (by_group.all(axis=1) | ~by_group.any(axis=1)).all()  # no group straddles
    assert 0.16 < by_group[:, 0].mean() < 0.24
    assert not np.array_equal(first, split_test(groups, 0.2, seed=8))


def test_adding_groups_never_moves_old_ones():
    old = [f"p{i}" for i in range(500)]
    new = [f"new-{i}" for i in range(700)]
    before = split_test(old, 0.3, seed=1)
    mixed = new[:300] + old + new[300:]  # new groups before and after, old order kept
    after = split_test(mixed, 0.3, seed=1)
    np.testing.assert_array_equal(after[300 : 300 + 500], before)
    shuffled = list(reversed(old))
    np.testing.assert_array_equal(split_test(shuffled, 0.3, seed=1), before[::-1])


def test_split_fractions_nest_and_zero_holds_out_nothing():
    groups = [f"g{i}" for i in range(2000)]
    small = split_test(groups, 0.1, seed=3)
    large = split_test(groups, 0.4, seed=3)
    assert (large | ~small).all()  # raising the fraction only adds groups to the test set
    assert not split_test(groups, 0.0, seed=3).any()
    assert 0.36 < large.mean() < 0.44
    assert split_test([], 0.5, seed=0).shape == (0,)


@pytest.mark.parametrize("fraction", [-0.1, 1.0, 1.5, float("nan"), "half"])
def test_split_rejects_bad_fraction(fraction):
    with pytest.raises(WeightsError, match="test_fraction"):
        split_test(["a", "b"], fraction, seed=0)


def test_split_rejects_bad_groups_and_seed():
    with pytest.raises(WeightsError, match="groups must be strings"):
        split_test(["a", 3], 0.5, seed=0)
    with pytest.raises(WeightsError, match="not one string"):
        split_test("abc", 0.5, seed=0)
    with pytest.raises(WeightsError, match="seed"):
        split_test(["a"], 0.5, seed=1.5)


# ------------------------------------------------------------------------------- accuracies


def test_accuracy_diff_by_hand():
    # labels: A, B, A(soft 0.8), B(soft 0.3), tie, tie
    labels = [1.0, 0.0, 0.8, 0.3, 0.5, 0.5]
    score = [2.0, 1.0, 0.0, -0.5, 3.0, 0.0]
    # decisive: right, wrong, model tie (1/2), right  → 2.5 / 4
    out = preference_accuracy(score, labels)
    assert out["accuracy_diff"] == pytest.approx(2.5 / 4)
    assert (out["pairs"], out["ties"], out["decisive_pairs"], out["model_ties"]) == (6, 2, 4, 2)
    m = np.array([2.0, 1.0, 0.0, -0.5])
    t = np.array([1.0, 0.0, 0.8, 0.3])
    expected = np.mean(t * np.log1p(np.exp(-m)) + (1 - t) * np.log1p(np.exp(m)))
    assert out["log_loss"] == pytest.approx(expected)


def test_accuracy_tau_with_a_given_threshold_by_hand():
    labels = [1.0, 0.0, 0.8, 0.3, 0.5, 0.5]
    score = [2.0, 1.0, 0.0, -0.5, 3.0, 0.0]
    # ε = 0: predictions A, A, tie, B, A, tie → right, wrong, wrong, right, wrong, right = 3/6
    assert preference_accuracy(score, labels, tie_threshold=0.0)["accuracy_tau"] == pytest.approx(3 / 6)
    # ε = 1: A, tie, tie, tie, A, tie → right, wrong, wrong, wrong, wrong, right = 2/6
    out = preference_accuracy(score, labels, tie_threshold=1.0)
    assert out["accuracy_tau"] == pytest.approx(2 / 6) and out["tie_threshold"] == 1.0


def test_tie_calibration_picks_the_best_threshold():
    # small |diff| where people tie, large where they decide
    labels = np.array([0.5, 0.5, 0.5, 1.0, 0.0, 1.0, 1.0, 0.0])
    score = np.array([0.05, -0.1, 0.2, 0.25, -0.9, 1.2, 2.0, 0.3])
    out = preference_accuracy(score, labels)
    # ε = 0.2: ties predicted at 0.05, −0.1, 0.2 → the 3 tie labels right; 0.25, −0.9, 1.2, 2.0 right;
    # 0.3 (label B) wrong → 7/8. ε = 0.1 or 0.25: 6/8; ε = 0: 4/8
    assert out["tie_threshold"] == pytest.approx(0.2)
    assert out["accuracy_tau"] == pytest.approx(7 / 8)
    brute = max(preference_accuracy(score, labels, tie_threshold=eps)["accuracy_tau"] for eps in [0.0, *np.abs(score)])
    assert out["accuracy_tau"] == pytest.approx(brute)
    # no tied labels: calibration keeps ε = 0 and tau equals diff accuracy without model ties
    decided = preference_accuracy([1.0, -2.0, 0.5], [1.0, 0.0, 0.0])
    assert decided["tie_threshold"] == 0.0
    assert decided["accuracy_tau"] == pytest.approx(2 / 3) == decided["accuracy_diff"]


def test_tie_calibration_matches_brute_force_on_random_data():
    rng = np.random.default_rng(0)
    for _ in range(20):
        n = int(rng.integers(1, 60))
        score = np.round(rng.normal(size=n), 1)  # repeated |values| and exact zeros
        labels = rng.choice([0.0, 0.25, 0.5, 0.75, 1.0], size=n)
        weights = rng.uniform(0, 2, size=n)
        out = preference_accuracy(score, labels, weights)
        candidates = [0.0, *np.abs(score)]
        scored = [
            (preference_accuracy(score, labels, weights, tie_threshold=e)["accuracy_tau"], -e) for e in candidates
        ]
        best, neg_eps = max(scored)
        assert out["accuracy_tau"] == pytest.approx(best)
        assert out["tie_threshold"] == pytest.approx(-neg_eps)


def test_sample_weights_weight_the_accuracies():
    score = [1.0, 1.0, -1.0]
    labels = [1.0, 0.0, 0.0]
    out = preference_accuracy(score, labels, [3.0, 1.0, 0.0])
    assert out["accuracy_diff"] == pytest.approx(3 / 4)
    repeated = preference_accuracy([1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 0.0])
    assert out["accuracy_diff"] == repeated["accuracy_diff"]


def test_empty_and_undecided_inputs_give_none_not_nan():
    empty = preference_accuracy([], [])
    assert empty["accuracy_diff"] is None and empty["accuracy_tau"] is None
    assert empty["log_loss"] is None and empty["tie_threshold"] is None and empty["pairs"] == 0
    only_ties = preference_accuracy([0.3, -1.0], [0.5, 0.5])
    assert only_ties["accuracy_diff"] is None and only_ties["log_loss"] is None
    assert only_ties["accuracy_tau"] == 1.0 and only_ties["decisive_pairs"] == 0
    zero_weight = preference_accuracy([1.0], [1.0], [0.0])
    assert zero_weight["accuracy_diff"] is None and zero_weight["accuracy_tau"] is None
    for value in (*empty.values(), *only_ties.values()):
        assert not (isinstance(value, float) and math.isnan(value))


@pytest.mark.parametrize(
    "args, message",
    [
        (([1.0, 2.0], [1.0]), "labels must have shape (2,)"),
        (([1.0, np.nan], [1.0, 0.0]), "score_diff contains NaN"),
        (([1.0, 2.0], [1.0, 1.5]), "labels must lie in [0, 1]"),
        (([1.0, 2.0], [1.0, 0.0], [1.0, -1.0]), "sample_weight must be non-negative"),
        (([[1.0, 2.0]], [1.0]), "score_diff must have shape"),
    ],
)
def test_accuracy_input_errors(args, message):
    with pytest.raises(WeightsError) as caught:
        preference_accuracy(*args)
    assert message in str(caught.value)


def test_negative_tie_threshold_rejected():
    with pytest.raises(WeightsError, match="tie_threshold"):
        preference_accuracy([1.0], [1.0], tie_threshold=-0.1)


# ------------------------------------------------------------------------------ dimensions


def test_dimension_contribution_shares():
    diff = np.array([[2.0, 0.0, 1.0, -1.0], [-2.0, 1.0, 1.0, 1.0]], dtype=np.float32)
    weights = np.array([1.0, 2.0, 0.5, 0.0])
    dims = ["quality", "alignment", "quality", "safety"]
    shares = dimension_contribution(diff, weights, dims)
    # w·mean|diff| = 2, 1, 0.5, 0 → quality 2.5/3.5, alignment 1/3.5, safety 0
    assert list(shares) == ["quality", "alignment", "safety"]
    assert shares["quality"] == pytest.approx(2.5 / 3.5) and shares["alignment"] == pytest.approx(1 / 3.5)
    assert shares["safety"] == 0.0
    assert sum(shares.values()) == pytest.approx(1.0)
    rng = np.random.default_rng(1)
    many = dimension_contribution(rng.normal(size=(500, 9)), rng.uniform(size=9), list("aabbbccdd"))
    assert sum(many.values()) == pytest.approx(1.0)


def test_dimension_contribution_all_zero_and_errors():
    assert dimension_contribution(np.zeros((3, 2)), [1.0, 1.0], ["a", "b"]) == {"a": 0.0, "b": 0.0}
    assert dimension_contribution(np.ones((3, 2)), [0.0, 0.0], ["a", "a"]) == {"a": 0.0}
    assert dimension_contribution(np.zeros((0, 2)), [1.0, 1.0], ["a", "b"]) == {"a": 0.0, "b": 0.0}
    with pytest.raises(WeightsError, match="dimensions has 1 entries but diff has 2 columns"):
        dimension_contribution(np.ones((3, 2)), [1.0, 1.0], ["a"])
    with pytest.raises(WeightsError, match="weights must have shape"):
        dimension_contribution(np.ones((3, 2)), [1.0], ["a", "b"])


def test_dimension_accuracy_uses_partial_scores():
    diff = np.array([[1.0, -1.0], [1.0, 1.0], [-1.0, 0.0], [0.0, 1.0], [2.0, 2.0]])
    labels = np.array([1.0, 1.0, 0.0, 0.0, 0.5])
    acc = dimension_accuracy(diff, labels, [1.0, 1.0], ["quality", "motion"])
    # quality: 1, 1, −1, 0 vs A, A, B, B → right, right, right, model tie ½ → 3.5/4
    # motion: −1, 1, 0, 1 → wrong, right, ½, wrong → 1.5/4; the tie-labelled pair is dropped
    assert acc == {"quality": pytest.approx(3.5 / 4), "motion": pytest.approx(1.5 / 4)}
    assert dimension_accuracy(diff[4:], labels[4:], [1.0, 1.0], ["a", "b"]) == {"a": None, "b": None}
