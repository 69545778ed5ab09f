"""What the demo holds (worker/management/demo.py), checked without a database: every simulated
answer sheet is a complete answer of its checklist, a blur is what the ratings follow, and the
demo refit's split holds out one prompt of two."""

from __future__ import annotations

import itertools

import pytest

from annotator.checklist import expand, load_builtin
from worker.management import demo as content
from worker.weights.evaluate import split_test
from worker.weights.refit import refit_settings


@pytest.mark.parametrize("demo", content.DEMOS, ids=lambda d: d.media_type)
def test_every_demo_asset_has_a_prompt_a_complete_sheet_and_says_what_it_is(demo):
    checklist = load_builtin(demo.checklist)
    assert len({a.name for a in demo.assets}) == len(demo.assets)
    for asset in demo.assets:
        assert asset.prompt in (content.PORTRAIT, content.ELEPHANTS)
        assert asset.name.endswith(".jpg" if demo.media_type == "image" else ".mp4")
        options = content.complete_options(checklist, content.sheet_of(asset, demo.checklist))
        expand(checklist, options)  # a complete, consistent answer (raises otherwise)
        meta = asset.metadata
        assert ("demo_transformation" in meta) == (asset.make != "sample")
        if asset.blurred:
            assert "Gaussian blur" in meta["demo_transformation"]
            sharp = content.sheet_of(
                next(a for a in demo.assets if a.sheet == asset.sheet and not a.blurred), demo.checklist
            )
            worse = content.sheet_of(asset, demo.checklist)
            assert worse["clarity"] < sharp["clarity"] and worse["detail_refinement"] < sharp["detail_refinement"]
    # two prompts, four assets each: two sharp, two blurred
    for prompt in (content.PORTRAIT, content.ELEPHANTS):
        group = [a for a in demo.assets if a.prompt == prompt]
        assert len(group) == 4 and sum(a.blurred for a in group) == 2


def test_the_raters_rate_only_the_pairs_a_blur_decides_and_prefer_the_sharp_side():
    assets = {a.name: a for a in content.IMAGE_ASSETS}
    sharp, sharp2, blurred = assets["test1.jpg"], assets["test2.jpg"], assets["test1-blurred.jpg"]
    assert content.simulated_preference(sharp, blurred) == 1  # its own blurred copy: much better
    assert content.simulated_preference(blurred, sharp) == 5
    assert content.simulated_preference(sharp2, blurred) == 2  # another sample's blurred copy: better
    assert content.simulated_preference(sharp, sharp2) is None  # left for people
    assert content.simulated_preference(blurred, assets["test2-blurred.jpg"]) is None
    for demo in content.DEMOS:
        decided = [
            (a, b)
            for a, b in itertools.combinations(demo.assets, 2)
            if a.prompt == b.prompt and content.simulated_preference(a, b) is not None
        ]
        assert len(decided) == 8 >= refit_settings(content.REFIT_SETTINGS)["min_pairs"]


def test_the_demo_refit_trains_on_one_prompt_and_holds_out_the_other():
    settings = refit_settings(content.REFIT_SETTINGS)
    held = split_test([content.PORTRAIT, content.ELEPHANTS], settings["test_fraction"], settings["seed"])
    assert held.tolist() == [False, True]
    assert settings["promote"] == "never"  # the published weights stay active
