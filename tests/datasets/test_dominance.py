"""Dominance (multi-dimensionally consistent) pairs: the rule, the cap, the statistics, the
exported folder read back with ``datasets`` (pure; no database)."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest
from datasets import load_dataset
from PIL import Image as PILImage

from annotator.checklist import load_builtin
from datasets_app.export.dominance import (
    DominanceRule,
    ScoredAsset,
    candidate_pairs,
    dominance_pairs,
    dominance_stats,
    export_dominance,
    rule_from_dict,
)
from datasets_app.export.items import ExportError
from tests.datasets import settings, write_jpeg

IMAGE_DIMENSIONS = ["composition", "quality", "safety_emotion", "fidelity"]


def asset(asset_id: int, prompt: str = "p", **scores: float) -> ScoredAsset:
    return ScoredAsset(asset_id=asset_id, prompt=prompt, scores=scores, total=sum(scores.values()))


# A (1): quality 3, fidelity 2;  B (2): 2, 2;  C (3): 1, 3;  D (4): 1, 1;  margins 1 and 1.
HAND = [asset(1, quality=3, fidelity=2), asset(2, quality=2, fidelity=2), asset(3, quality=1, fidelity=3)]
HAND.append(asset(4, quality=1, fidelity=1))
MARGINS = {"quality": 1.0, "fidelity": 1.0}


def ids(pairs) -> list[tuple[int, int]]:
    return [(p.chosen.asset_id, p.rejected.asset_id) for p in pairs]


def test_hand_computed_candidates_in_strength_order():
    rule = DominanceRule(margins=MARGINS, pairs_per_prompt=10)
    found = candidate_pairs(HAND, rule)
    # A≻D (2 + 1 = 3), B≻D (1 + 1 = 2), C≻D (0 + 2 = 2, after B by id), A≻B (1 + 0 = 1);
    # A/C and B/C trade quality for fidelity, so neither way counts
    assert ids(found) == [(1, 4), (2, 4), (3, 4), (1, 2)]
    assert [p.strength for p in found] == [3.0, 2.0, 2.0, 1.0]
    assert found[0].margins == {"quality": 2.0, "fidelity": 1.0}


def test_hand_computed_cap_and_uses():
    assert ids(dominance_pairs(HAND, DominanceRule(margins=MARGINS, pairs_per_prompt=2))) == [(1, 4), (2, 4)]
    # each asset at most once: A≻D uses D and A, so nothing else fits
    assert ids(dominance_pairs(HAND, DominanceRule(margins=MARGINS, pairs_per_prompt=3, max_uses=1))) == [(1, 4)]


def test_hand_computed_margins_and_tolerance():
    # quality must now improve by 2: only A≻D (2) and C≻D (fidelity 2) qualify
    rule = DominanceRule(margins={"quality": 2.0, "fidelity": 2.0}, pairs_per_prompt=10)
    assert ids(candidate_pairs(HAND, rule)) == [(1, 4), (3, 4)]
    # one dimension alone: every strict improvement by the margin
    assert ids(candidate_pairs(HAND, DominanceRule(margins={"fidelity": 1.0}))) == [
        (3, 4),
        (1, 4),
        (2, 4),
        (3, 1),
        (3, 2),
    ]
    e = asset(5, quality=3, fidelity=1.6)
    strict = DominanceRule(margins=MARGINS, pairs_per_prompt=10)
    loose = DominanceRule(margins=MARGINS, pairs_per_prompt=10, tolerance=0.5)
    assert (5, 2) not in ids(candidate_pairs([HAND[1], e], strict))  # fidelity 0.4 worse
    assert (5, 2) in ids(candidate_pairs([HAND[1], e], loose))


def test_hand_computed_stats():
    stats = dominance_stats(HAND, DominanceRule(margins=MARGINS, pairs_per_prompt=2), unscored=1)
    assert stats["per_dimension"] == {
        "quality": {"margin": 1.0, "alone": 5, "in_rule": 3},  # alone: A>B, A>C, A>D, B>C, B>D
        "fidelity": {"margin": 1.0, "alone": 5, "in_rule": 3},  # alone: A>D, B>D, C>A, C>B, C>D
    }
    assert stats["candidates"] == 4
    assert stats["selected"] == 2
    assert (stats["assets"], stats["unscored"], stats["prompts"], stats["prompts_with_pairs"]) == (4, 1, 1, 1)
    assert stats["ordered_pairs"] == 12


def test_prompts_never_mix():
    pairs = dominance_pairs([asset(1, "x", quality=5), asset(2, "y", quality=0)], DominanceRule(margins=MARGINS))
    assert pairs == []


def brute(group, rule):
    """The rule written out again, independently: all ordered pairs that satisfy it."""
    out = set()
    for a, b in itertools.permutations(group, 2):
        ok_all = all(a.scores.get(d, 0) - b.scores.get(d, 0) >= -rule.tolerance for d in rule.dimensions)
        ok_one = any(a.scores.get(d, 0) - b.scores.get(d, 0) >= rule.margins[d] for d in rule.dimensions)
        if ok_all and ok_one:
            out.add((a.asset_id, b.asset_id))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_simulated_answers_rule_holds_none_missed_cap_respected(seed):
    """Random ±1 answers (scores are sums of weighted answers, so ties are frequent), many prompts."""
    rng = random.Random(seed)
    weights = {d: [rng.choice([0.5, 1.0, 1.5]) for _ in range(3)] for d in IMAGE_DIMENSIONS}
    assets = []
    for asset_id in range(1, 200):
        prompt = f"prompt {rng.randrange(25)}"
        scores = {d: sum(w * rng.choice([-1, 1]) for w in ws) for d, ws in weights.items()}
        assets.append(ScoredAsset(asset_id, prompt, scores))
    dims = rng.sample(IMAGE_DIMENSIONS, rng.randint(1, 4))
    rule = DominanceRule(
        margins={d: rng.choice([0.5, 1.0, 2.0]) for d in dims},
        pairs_per_prompt=rng.randint(1, 5),
        max_uses=rng.choice([None, 1, 2]),
        tolerance=rng.choice([0.0, 0.25]),
    )
    selected = dominance_pairs(assets, rule)
    by_prompt = {}
    for a in assets:
        by_prompt.setdefault(a.prompt, []).append(a)
    total_candidates = 0
    for prompt, group in by_prompt.items():
        expected = brute(group, rule)
        found = candidate_pairs(group, rule)
        assert set(ids(found)) == expected  # no dominated pair missed, nothing else admitted
        assert len(found) == len(expected)
        total_candidates += len(found)
        mine = [p for p in selected if p.chosen.prompt == prompt]
        assert len(mine) <= rule.pairs_per_prompt
        assert set(ids(mine)) <= expected
        if rule.max_uses is not None:
            uses = {}
            for a, b in ids(mine):
                uses[a] = uses.get(a, 0) + 1
                uses[b] = uses.get(b, 0) + 1
            assert max(uses.values(), default=0) <= rule.max_uses
        elif len(expected) >= rule.pairs_per_prompt:
            assert len(mine) == rule.pairs_per_prompt
        else:
            assert len(mine) == len(expected)
    stats = dominance_stats(assets, rule)
    assert stats["candidates"] == total_candidates
    assert stats["selected"] == len(selected)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"margins": {"beauty": 1}}, "margins.beauty"),
        ({"margins": {"quality": 0}}, "margins.quality"),
        ({"margins": {"quality": -1}}, "margins.quality"),
        ({"margins": {"quality": "1"}}, "margins.quality"),
        ({"margins": {"quality": float("nan")}}, "margins.quality"),
        ({"margins": {}}, "margins"),
        ({"margins": {"quality": 1}, "pairs_per_prompt": 0}, "pairs_per_prompt"),
        ({"margins": {"quality": 1}, "pairs_per_prompt": 1.5}, "pairs_per_prompt"),
        ({"margins": {"quality": 1}, "pairs_per_prompt": True}, "pairs_per_prompt"),
        ({"margins": {"quality": 1}, "source": "crowd"}, "source"),
        ({"margins": {"quality": 1}, "max_uses": 0}, "max_uses"),
        ({"margins": {"quality": 1}, "tolerance": 1}, "tolerance"),
        ({"margins": {"quality": 1}, "tolerance": -0.1}, "tolerance"),
        ({"margins": {"quality": 1}, "colour": 1}, "colour"),
    ],
)
def test_rule_validation_names_the_field(data, field):
    with pytest.raises(ExportError) as info:
        rule_from_dict(data, IMAGE_DIMENSIONS)
    assert info.value.field == field


def test_rule_round_trip():
    rule = rule_from_dict({"margins": {"quality": 1, "fidelity": 0.5}, "pairs_per_prompt": 3}, IMAGE_DIMENSIONS)
    assert rule.dimensions == ("quality", "fidelity")
    assert rule_from_dict(rule.to_dict(), IMAGE_DIMENSIONS) == rule


def satisfies(row, rule) -> bool:
    diffs = {d: row["chosen_scores"][d] - row["rejected_scores"][d] for d in row["dimensions"]}
    assert diffs == pytest.approx(row["margins"])
    return all(v >= -rule.tolerance for v in diffs.values()) and any(diffs[d] >= rule.margins[d] for d in diffs)


def simulated(root: Path, n: int, seed: int = 1) -> list[ScoredAsset]:
    rng = random.Random(seed)
    out = []
    for asset_id in range(1, n + 1):
        path, sha = write_jpeg(root / f"a{asset_id}.jpg", (8 + asset_id % 5, 6), (asset_id * 9 % 255, 40, 90))
        scores = {d: float(rng.randint(-2, 2)) for d in IMAGE_DIMENSIONS}
        out.append(
            ScoredAsset(
                asset_id,
                f"prompt {asset_id % 6}",
                scores,
                project_id=7,
                media_path=path,
                media_sha256=sha,
                total=sum(scores.values()),
            )
        )
    return out


def test_export_loads_with_datasets_and_every_row_satisfies_the_rule(tmp_path):
    checklist = load_builtin("visionreward-image")
    assets = simulated(tmp_path / "src", 36)
    rule = DominanceRule(margins={"quality": 1.0, "fidelity": 2.0}, pairs_per_prompt=3, max_uses=2)
    folder = tmp_path / "out"
    result = export_dominance(
        folder, checklist=checklist, settings=settings(), rule=rule, assets=assets, weights={"label": "w v1", "id": 3}
    )
    assert result.stats["selected"] == len(dominance_pairs(assets, rule)) > 0
    ds = load_dataset(str(folder), cache_dir=str(tmp_path / "cache"))
    rows = [row for split in ds for row in ds[split]]
    assert len(rows) == result.stats["selected"]
    by_id = {a.asset_id: a for a in assets}
    for row in rows:
        assert satisfies(row, rule)
        assert isinstance(row["chosen"], PILImage.Image) and isinstance(row["rejected"], PILImage.Image)
        assert row["chosen"].size == PILImage.open(by_id[row["chosen_asset_id"]].media_path).size
        assert row["prompt"] == by_id[row["chosen_asset_id"]].prompt == by_id[row["rejected_asset_id"]].prompt
        assert row["dimensions"] == ["quality", "fidelity"]
    # split by prompt: a prompt lies in one split only
    splits_of = {}
    for split in ds:
        for row in ds[split]:
            splits_of.setdefault(row["prompt"], set()).add(split)
    assert all(len(s) == 1 for s in splits_of.values())
    card = (folder / "README.md").read_text()
    assert "no dimension is traded against another" in card
    assert "w v1" in card and f"| the full rule (candidates) | {result.stats['candidates']} |" in card
    # the same content → the same hash; another rule → another
    again = export_dominance(tmp_path / "again", checklist=checklist, settings=settings(), rule=rule, assets=assets)
    other = export_dominance(
        tmp_path / "other",
        checklist=checklist,
        settings=settings(),
        rule=DominanceRule(margins={"quality": 1.0}, pairs_per_prompt=3),
        assets=assets,
    )
    assert again.content_hash != result.content_hash  # the weight set differs
    assert other.content_hash != again.content_hash
    third = export_dominance(tmp_path / "third", checklist=checklist, settings=settings(), rule=rule, assets=assets)
    assert third.content_hash == again.content_hash


def test_video_export_keeps_paths(tmp_path):
    checklist = load_builtin("visionreward-video")
    files = []
    for i in range(1, 4):
        p = tmp_path / f"v{i}.mp4"
        p.write_bytes(b"not really a video %d" % i)
        files.append(str(p))
    assets = [ScoredAsset(i, "p", {"physics": float(i)}, media_path=files[i - 1], total=float(i)) for i in range(1, 4)]
    rule = DominanceRule(margins={"physics": 1.0}, pairs_per_prompt=5)
    export_dominance(tmp_path / "out", checklist=checklist, settings=settings(), rule=rule, assets=assets)
    ds = load_dataset(str(tmp_path / "out"), cache_dir=str(tmp_path / "cache"))
    rows = [row for split in ds for row in ds[split]]
    assert sorted((r["chosen_asset_id"], r["rejected_asset_id"]) for r in rows) == [(2, 1), (3, 1), (3, 2)]
    for row in rows:
        assert (tmp_path / "out" / row["chosen"]).is_file()
