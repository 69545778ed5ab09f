"""A researcher's dominance-pair version in a real browser: the form (source, dimensions with
a margin each, pairs per prompt), the live counts per rule, and the version listed ready."""

from __future__ import annotations

import random

import pytest
from playwright.sync_api import expect

from annotator.models import Membership, Project
from datasets_app.models import DatasetVersion
from tests.e2e.fixtures import login, make_user
from tests.factories import builtin
from tests.worker.preference_data import answer, random_options
from worker.models import WeightSet
from worker.weights.public import public_weight_vector
from worker.weights.sets import create_weight_set

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def scored_project(add_asset):
    researcher, annotator = make_user("rita"), make_user("ann")
    p = Project.objects.create(name="MPO demo", media_type="image", checklist_version=builtin("image"))
    Membership.objects.create(project=p, user=researcher, role="researcher")
    Membership.objects.create(project=p, user=annotator, role="annotator")
    rng = random.Random(2)  # 7 quality-alone candidates, 5 under quality and fidelity
    for prompt in ("a fox in the snow", "a lighthouse at dusk"):
        for n in range(4):
            asset = add_asset(p, f"test{1 + n % 2}.jpg", prompt)
            answer(asset, annotator, random_options(p.checklist_version.checklist, rng))
    ws = create_weight_set(p, public_weight_vector(p.checklist_version.checklist), source="public", label="public")
    WeightSet.objects.filter(pk=ws.pk).update(status=WeightSet.Status.ACTIVE)
    return p


def expected_counts(project, margins):
    from datasets_app.export.dominance import dominance_stats, rule_from_dict
    from worker.exports.dominance import scored_assets
    from worker.exports.job import _weights_snapshot, media_root

    ws = WeightSet.objects.get(project=project)
    dims = [d.key for d in project.checklist_version.checklist.dimensions]
    rule = rule_from_dict({"margins": margins, "pairs_per_prompt": 2}, dims)
    assets, unscored = scored_assets([project], project.checklist_version, _weights_snapshot(ws), rule, media_root())
    return dominance_stats(assets, rule, unscored=unscored)


def test_researcher_previews_and_exports_dominance_pairs(page, scored_project, eager_jobs):
    p = scored_project
    login(page, "rita")
    page.goto("/datasets")
    page.get_by_role("button", name="Dominance pairs").click()
    form = page.get_by_role("form", name="Dominance pairs")
    expect(form).to_be_visible()
    expect(form.get_by_text("Choose at least one dimension with a margin")).to_be_visible()

    form.get_by_test_id("dimension-quality").get_by_role("checkbox").check()
    form.get_by_label("Margin of Quality").fill("0.5")
    form.get_by_label("Pairs per prompt, at most").fill("2")
    expected = expected_counts(p, {"quality": 0.5})
    stats = form.get_by_test_id("dominance-stats")
    expect(stats).to_be_visible()
    expect(stats.get_by_role("row", name="Quality alone")).to_contain_text(
        str(expected["per_dimension"]["quality"]["alone"])
    )
    expect(form.get_by_test_id("candidates")).to_have_text(str(expected["candidates"]))
    expect(form.get_by_test_id("selected")).to_have_text(str(expected["selected"]))
    expect(form.get_by_test_id("dominance-summary")).to_contain_text("8 samples with scores")

    # a second dimension: the table gains its row, the counts follow the rule
    form.get_by_test_id("dimension-fidelity").get_by_role("checkbox").check()
    both = expected_counts(p, {"quality": 0.5, "fidelity": 0.5})
    assert both["selected"] > 0
    expect(stats.get_by_role("row", name="Fidelity alone")).to_be_visible()
    expect(form.get_by_test_id("candidates")).to_have_text(str(both["candidates"]))

    # a bad margin is named before anything is sent
    form.get_by_label("Margin of Fidelity").fill("0")
    form.get_by_label("Name", exact=True).fill("mpo-demo")
    form.get_by_role("button", name="Export dominance pairs").click()
    expect(form.get_by_test_id("dominance-error-margins.fidelity")).to_have_text("Enter a margin above 0.")
    assert not DatasetVersion.objects.exists()

    form.get_by_label("Margin of Fidelity").fill("0.5")
    form.get_by_role("button", name="Export dominance pairs").click()
    table = page.locator("section[aria-labelledby='versions-title']")
    expect(table.get_by_text("mpo-demo v1").first).to_be_visible()
    expect(table.locator(".badge.state-ready").first).to_be_visible(timeout=30_000)
    version = DatasetVersion.objects.get(name="mpo-demo")
    assert version.state == "ready" and version.export_settings["kind"] == "dominance_pairs"
    rows = table.get_by_test_id("rows").first
    expect(rows).to_contain_text(str(both["selected"]))
    expect(rows).to_contain_text("dominance pairs")
    table.get_by_role("button", name="mpo-demo v1", exact=True).click()
    details = page.get_by_test_id("version-dominance-stats")
    expect(details).to_contain_text("The full rule")
    expect(details).to_contain_text(str(both["candidates"]))

    # archives work on its folder like on any version's
    table.get_by_role("button", name="Prepare zip of mpo-demo v1").click()
    expect(page.get_by_role("status").filter(has_text="The zip of mpo-demo v1 is ready to download")).to_be_visible()
