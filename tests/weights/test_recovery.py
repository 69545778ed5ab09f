"""Weight recovery from simulated annotators: preferences drawn from planted weights (the
public VisionReward video weights) on random checklist answers; the fit must find the
weights again, reach the simulator's accuracy ceiling on held-out prompts, and show the
saturation of accuracy with the number of pairs the paper reports. Seeded; no database."""

from __future__ import annotations

import numpy as np
import pytest

from worker.weights.evaluate import preference_accuracy, split_test
from worker.weights.fit import fit_pairwise

# The 29 weights of the shipped VisionReward video scorer, copied from video_weight.json of
# THUDM/VisionReward (Apache-2.0), as in /work/shared/data/visionreward/video_weight.json.
VIDEO_WEIGHTS = np.array(
    [
        0.9543901856422174,
        0.25239747290239256,
        1.141818673357406,
        0.03495652038170829,
        0.025237463294006605,
        0.12600844108184325,
        0.03221505988621183,
        0.16286819641189937,
        0.21673935360893115,
        0.01970324496671629,
        0.13604019362894557,
        0.09647134683834487,
        0.15490927135496332,
        0.1294164598219855,
        0.09891696198970226,
        0.18839328668539077,
        0.1844335421380767,
        0.2635526157239052,
        0.11168980468489233,
        0.05173789659242723,
        0.02562797122879315,
        0.4389890596048526,
        0.26857694964769424,
        0.42925171836383774,
        0.00846154228462919,
        0.12757277121689847,
        0.05798205026065391,
        0.1446334304609205,
        0.39418111694677266,
    ]
)
D = len(VIDEO_WEIGHTS)
NAMES = [f"video_q{j + 1}" for j in range(D)]
SCALE = 1.0  # logit = SCALE · w·(x_A − x_B); with these answers the ceiling is about 81 %
PAIRS_PER_PROMPT = 4


def simulate(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """n pairs of assets with signed answers (yes +1 with probability 0.55, else no −1; 10 %
    not applicable → 0), labels from noisy raters: 1 with probability σ(SCALE·w·(x_A − x_B)),
    else 0; PAIRS_PER_PROMPT consecutive pairs share a prompt (the split's group)."""
    rng = np.random.default_rng(seed)

    def answers() -> np.ndarray:
        x = np.where(rng.random((n, D)) < 0.55, 1.0, -1.0)
        x[rng.random((n, D)) < 0.1] = 0.0
        return x

    diff = answers() - answers()
    p = 1.0 / (1.0 + np.exp(-SCALE * (diff @ VIDEO_WEIGHTS)))
    labels = (rng.random(n) < p).astype(np.float64)
    groups = [f"prompt-{i // PAIRS_PER_PROMPT}" for i in range(n)]
    return diff, labels, groups


@pytest.fixture(scope="module")
def pool():
    diff, labels, groups = simulate(80_000, seed=2412)
    test = split_test(groups, 0.25, seed=21059)
    train = np.flatnonzero(~test)
    ceiling = preference_accuracy(diff[test] @ VIDEO_WEIGHTS, labels[test])["accuracy_diff"]
    return diff, labels, train, test, ceiling


def held_out_accuracy(pool, n_train: int, **kwargs) -> tuple[float, np.ndarray]:
    diff, labels, train, test, _ = pool
    rows = train[:n_train]
    fit = fit_pairwise(diff[rows], labels[rows], feature_names=NAMES, **kwargs)
    assert fit.converged and np.isfinite(fit.vector).all()
    return preference_accuracy(diff[test] @ fit.vector, labels[test])["accuracy_diff"], fit.vector


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_split_keeps_prompts_whole(pool):
    _, _, train, test, _ = pool
    assert 0.2 < test.mean() < 0.3
    by_prompt = test.reshape(-1, PAIRS_PER_PROMPT)
    assert (by_prompt.all(axis=1) | ~by_prompt.any(axis=1)).all()
    assert len(train) > 40_000


@pytest.mark.parametrize("solver", ["newton", "masking"])
def test_planted_weights_are_recovered(pool, solver):
    accuracy, vector = held_out_accuracy(pool, 20_000, solver=solver)
    planted = SCALE * VIDEO_WEIGHTS
    assert cosine(vector, planted) >= 0.99
    assert np.linalg.norm(vector) == pytest.approx(np.linalg.norm(planted), rel=0.05)  # the scale too
    ceiling = pool[4]
    assert 0.78 < ceiling < 0.84
    assert accuracy >= ceiling - 0.01
    # the two heaviest planted weights stay the two heaviest
    assert set(np.argsort(vector)[-2:]) == set(np.argsort(planted)[-2:])


def test_accuracy_saturates_with_pairs(pool):
    ceiling = pool[4]
    curve = {n: held_out_accuracy(pool, n)[0] for n in (50, 5_000, 10_000, 40_000)}
    plateau = [curve[n] for n in (5_000, 10_000, 40_000)]
    assert max(plateau) - min(plateau) <= 0.01
    assert min(plateau) >= ceiling - 0.01
    assert curve[50] < min(plateau) - 0.03  # visibly lower with 50 pairs
