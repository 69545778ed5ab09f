"""Split assignment by prompt, and settings validation."""

from __future__ import annotations

from collections import Counter

import pytest

from datasets_app.export import ExportError, ExportSettings, split_of
from datasets_app.export.splits import prompt_unit

RATIOS = {"train": 0.8, "validation": 0.1, "test": 0.1}


def test_deterministic_and_seeded():
    prompts = [f"prompt {i}" for i in range(300)]
    first = [split_of(p, RATIOS, 7) for p in prompts]
    assert first == [split_of(p, dict(RATIOS), 7) for p in prompts]
    other_seed = [split_of(p, RATIOS, 8) for p in prompts]
    assert first != other_seed
    assert all(0.0 <= prompt_unit(p, 7) < 1.0 for p in prompts)


def test_adding_prompts_never_moves_old_ones():
    old = {f"old {i}": split_of(f"old {i}", RATIOS, 1) for i in range(200)}
    for i in range(500):
        split_of(f"new {i}", RATIOS, 1)
    assert old == {p: split_of(p, RATIOS, 1) for p in old}


def test_ratios_roughly_respected():
    counts = Counter(split_of(f"a prompt about thing {i}", RATIOS, 3) for i in range(20000))
    for name, share in RATIOS.items():
        assert abs(counts[name] / 20000 - share) < 0.015, counts
    assert list(counts) != [] and set(counts) == set(RATIOS)


def test_order_of_ratios_is_the_cut_order():
    single = {"only": 1.0}
    assert {split_of(f"p{i}", single, 0) for i in range(50)} == {"only"}
    # the first split takes the lowest units
    for i in range(200):
        prompt = f"p{i}"
        expected = "a" if prompt_unit(prompt, 0) < 0.25 else "b"
        assert split_of(prompt, {"a": 0.25, "b": 0.75}, 0) == expected


@pytest.mark.parametrize(
    "ratios",
    [
        {},
        {"train": 0.5, "test": 0.4},
        {"train": 1.2, "test": -0.2},
        {"train": 1.0, "test": 0.0},
        {"Train": 1.0},
        {"train-x": 1.0},
        {"train": "1"},
        {"train": float("nan")},
        [("train", 1.0)],
    ],
)
def test_bad_ratios_name_the_field(ratios):
    with pytest.raises(ExportError) as error:
        split_of("p", ratios, 0)
    assert error.value.field == "split_ratios"
    with pytest.raises(ExportError) as error:
        ExportSettings(split_ratios=ratios).validate()
    assert error.value.field == "split_ratios"


def test_ratios_tolerate_rounding():
    split_of("p", {"a": 0.7, "b": 0.2, "c": 0.1}, 0)
    ExportSettings(split_ratios={"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}).validate()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"combine": "mean"}, "combine"),
        ({"seed": "1"}, "seed"),
        ({"seed": True}, "seed"),
        ({"embed_media": 1}, "embed_media"),
        ({"embed_frames": None}, "embed_frames"),
        ({"shard_rows": 0}, "shard_rows"),
        ({"balanced_cap": 0}, "balanced_cap"),
        ({"license": "Apache 2.0"}, "license"),
        ({"pretty_name": " "}, "pretty_name"),
        ({"pretty_name": "a\nb"}, "pretty_name"),
        ({"description": None}, "description"),
    ],
)
def test_settings_validation(changes, field):
    with pytest.raises(ExportError) as error:
        ExportSettings(**changes).validate()
    assert error.value.field == field


def test_default_settings_are_valid():
    ExportSettings().validate()
    ExportSettings(combine="all", balanced_cap=None, license="apache-2.0").validate()


def test_many_prompts_at_once_get_the_splits_one_by_one_gives():
    """``splitter(...).many`` (the column-wise export's way: one search over the units) is the
    same rule as asking prompt by prompt, edge units included."""
    from datasets_app.export.splits import splitter

    prompts = [f"prompt {n}" for n in range(3000)] + ["", "中文", "a\nb", "prompt 1"]
    for ratios in ({"train": 0.8, "validation": 0.1, "test": 0.1}, {"train": 0.5, "test": 0.5}, {"all": 1.0}):
        for seed in (0, 7):
            one_by_one = splitter(ratios, seed)
            assert splitter(ratios, seed).many(prompts) == [one_by_one(p) for p in prompts]
    assert splitter({"train": 1.0}, 0).many([]) == []
