"""The refit readiness (pure): whether a refit can run and be measured, and why not."""

from __future__ import annotations

import pytest

from worker.weights.evaluate import split_test
from worker.weights.readiness import refit_readiness


def ready(prompts, labels, *, rated=None, min_pairs=3, test_fraction=0.5, seed=0):
    return refit_readiness(
        len(labels) if rated is None else rated,
        prompts,
        labels,
        min_pairs=min_pairs,
        test_fraction=test_fraction,
        seed=seed,
    )


def test_too_few_pairs_cannot_start_and_say_how_many_are_missing():
    r = ready(["p"] * 2, [1.0, 0.0], rated=5)
    assert not r.can_start and not r.can_measure
    assert r.usable_pairs == 2 and r.rated_pairs == 5 and r.min_pairs == 3
    assert "Only 2 pairs can be fitted (3 of the 5 rated ones lack answers for both assets)" in r.reasons[0]
    assert "at least 3 (min_pairs)" in r.reasons[0]
    assert r.warnings == []


def test_no_pairs_at_all():
    r = ready([], [], min_pairs=10)
    assert not r.can_start and r.prompts == 0 and r.decisive_pairs == 0
    assert r.reasons[0].startswith("Only 0 pairs can be fitted;")


def test_all_pairs_on_one_prompt_can_start_but_cannot_be_measured():
    prompts = ["a fox"] * 6
    seed = next(s for s in range(100) if not split_test(["a fox"], 0.5, s)[0])  # the prompt trains
    r = ready(prompts, [1.0, 0.0, 1.0, 0.5, 0.0, 1.0], seed=seed)
    assert r.can_start and not r.can_measure
    assert (r.prompts, r.decisive_pairs, r.held_out_pairs, r.train_decisive) == (1, 5, 0, 5)
    assert "all pairs are on one prompt" in r.warnings[0]
    assert "promote it without a held-out measurement" in r.warnings[0]


def test_a_held_out_fraction_of_zero_cannot_be_measured():
    r = ready(["a", "b", "c"], [1.0, 0.0, 1.0], test_fraction=0.0)
    assert r.can_start and not r.can_measure and r.held_out_pairs == 0
    assert "the held-out fraction is 0" in r.warnings[0]


def test_many_prompts_hold_some_out_and_can_be_measured():
    prompts = [f"prompt {i // 3}" for i in range(60)]
    labels = [1.0 if i % 2 else 0.0 for i in range(60)]
    r = ready(prompts, labels, test_fraction=0.2, seed=0, min_pairs=10)
    held = split_test(prompts, 0.2, 0)
    assert r.can_start and r.can_measure and r.reasons == r.warnings == []
    assert r.held_out_pairs == int(held.sum()) > 0
    assert r.train_pairs == 60 - r.held_out_pairs
    assert r.held_out_prompts == len({p for p, h in zip(prompts, held, strict=True) if h})
    assert r.prompts == 20


def test_only_ties_cannot_start():
    r = ready(["a", "b", "c"], [0.5, 0.5, 0.5])
    assert not r.can_start and "every pair is a tie (rated 3, no preference)" in r.reasons[0]


def test_every_decisive_prompt_held_out_cannot_start():
    # one prompt, held out by the split: nothing left to train on
    seed = next(s for s in range(100) if split_test(["a fox"], 0.5, s)[0])
    r = ready(["a fox"] * 4, [1.0, 0.0, 1.0, 0.0], seed=seed)
    assert not r.can_start and "every prompt with one is held out" in r.reasons[0]
    assert "Lower the held-out fraction" in r.reasons[0]


def test_to_dict_is_the_api_body_and_lengths_must_match():
    body = ready(["a"] * 3, [1.0, 0.0, 1.0], test_fraction=0.0).to_dict()
    assert set(body) >= {"rated_pairs", "decisive_pairs", "prompts", "held_out_pairs", "min_pairs", "can_start"}
    with pytest.raises(ValueError):
        ready(["a"], [1.0, 0.0])
