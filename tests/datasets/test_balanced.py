"""The per-question yes/no balanced subset."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from annotator.checklist import load_builtin
from datasets_app.export import BalancedPlanner, ExportError, export_dataset, read_rows
from tests.checklist.helpers import random_option_set
from tests.datasets import answers_for, make_image_items, settings


@pytest.fixture(scope="module")
def checklist():
    return load_builtin("visionreward-image")


@pytest.fixture(scope="module")
def observations(checklist):
    rng = random.Random(11)
    out = []
    for asset_id in range(1, 301):
        answers = answers_for(checklist, random_option_set(checklist, rng), asset_id)
        out.append((asset_id, answers.answers, answers.mask))
    return out


def plan_of(checklist, observations, cap, seed, order=None):
    planner = BalancedPlanner(checklist, cap, seed)
    for asset_id, answers, mask in order or observations:
        planner.observe(asset_id, answers, mask)
    return planner, planner.plan()


def test_equal_yes_and_no_per_question_up_to_cap(checklist, observations):
    probe, _ = plan_of(checklist, observations, cap=1, seed=1)
    smaller = sorted(min(c["yes"], c["no"]) for c in probe.counts().values())
    cap = smaller[len(smaller) // 2]  # binds for half of the questions, not for the others
    assert 0 < smaller[0] < cap
    planner, plan = plan_of(checklist, observations, cap=cap, seed=1)
    counts = planner.counts()
    chosen = Counter()
    answer_of = {
        asset_id: dict(zip(checklist.question_keys, answers, strict=True)) for asset_id, answers, _ in observations
    }
    mask_of = {asset_id: dict(zip(checklist.question_keys, mask, strict=True)) for asset_id, _, mask in observations}
    for asset_id, pairs in plan.selected.items():
        for key, answer in pairs:
            assert mask_of[asset_id][key] == 1 and answer_of[asset_id][key] == answer
            chosen[key, answer] += 1
    for key in checklist.question_keys:
        k = min(counts[key]["yes"], counts[key]["no"], cap)
        assert plan.per_question[key] == k
        assert chosen[key, 1] == chosen[key, 0] == k
    assert any(plan.per_question[key] == cap for key in checklist.question_keys)  # the cap binds
    assert any(0 < plan.per_question[key] < cap for key in checklist.question_keys)  # the smaller class decides
    assert plan.num_rows == sum(chosen.values())


def test_deterministic_by_seed_not_by_order(checklist, observations):
    _, first = plan_of(checklist, observations, cap=10, seed=4)
    shuffled = list(observations)
    random.Random(0).shuffle(shuffled)
    _, again = plan_of(checklist, observations, cap=10, seed=4, order=shuffled)
    assert first == again
    _, other = plan_of(checklist, observations, cap=10, seed=5)
    assert other.per_question == first.per_question and other.selected != first.selected


def test_cap_must_be_positive(checklist):
    with pytest.raises(ExportError) as error:
        BalancedPlanner(checklist, 0, 1)
    assert error.value.field == "balanced_cap"


def test_balanced_config_in_an_export(tmp_path, checklist):
    items = make_image_items(tmp_path / "src", checklist, 30, seed=2)
    result = export_dataset(
        tmp_path / "out", checklist=checklist, settings=settings(balanced_cap=3), items=lambda: iter(items)
    )
    rows = list(read_rows(tmp_path / "out", "balanced_qa"))
    per = Counter((row["question_key"], row["answer"]) for row in rows)
    for key in checklist.question_keys:
        assert per[key, "yes"] == per[key, "no"] == result.balanced[key] <= 3
    assert len(rows) == result.configs["balanced_qa"].num_rows == 2 * sum(result.balanced.values())
    default = {row["asset_id"]: row for row in read_rows(tmp_path / "out")}
    prompts = {item.asset_id: item.prompt for item in items}
    position = {key: index for index, key in enumerate(checklist.question_keys)}
    for row in rows:
        source = default[row["asset_id"]]
        index = position[row["question_key"]]
        assert source["mask"][index] == 1
        assert row["answer"] == ("yes" if source["answers"][index] else "no")
        assert row["split"] == source["split"]
        assert "[[prompt]]" not in row["question"]
        assert row["question"] == checklist.render_question(row["question_key"], prompts[row["asset_id"]])
    # no balanced config when the cap is off
    off = export_dataset(
        tmp_path / "off", checklist=checklist, settings=settings(balanced_cap=None), items=lambda: iter(items)
    )
    assert "balanced_qa" not in off.configs and off.balanced is None


def test_video_prompt_questions_are_filled(tmp_path):
    from tests.datasets import make_video_items

    video = load_builtin("visionreward-video")
    items = make_video_items(tmp_path / "src", video, 12)
    export_dataset(tmp_path / "out", checklist=video, settings=settings(balanced_cap=4), items=lambda: iter(items))
    rows = [row for row in read_rows(tmp_path / "out", "balanced_qa") if row["question_key"] in ("q1", "q2")]
    assert rows and all(row["prompt"] in row["question"] for row in rows)
