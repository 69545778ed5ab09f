"""A researcher's weights screen in a real browser: load the published weights, promote them (the
assets get scores), read an asset's breakdown, and refit on the project's labelled pairs."""

from __future__ import annotations

import random

import pytest
from playwright.sync_api import expect

from annotator.models import Membership, Project, Task
from tests.e2e.fixtures import login, make_user, screenshot
from tests.e2e.test_review_manage import check_accessibility
from tests.factories import builtin
from tests.worker.preference_data import answer, random_options, rate
from worker.models import AssetScore, WeightSet

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def rated_project(add_asset):
    researcher, annotator = make_user("rosa"), make_user("ann")
    p = Project.objects.create(name="Weights demo", media_type="image", checklist_version=builtin("image"))
    Membership.objects.create(project=p, user=researcher, role="researcher")
    Membership.objects.create(project=p, user=annotator, role="annotator")
    checklist = p.checklist_version.checklist
    rng = random.Random(5)
    for prompt in ("a fox in the snow", "a lighthouse at dusk"):
        assets = [add_asset(p, f"test{1 + n % 2}.jpg", prompt) for n in range(5)]
        for asset in assets:
            answer(asset, annotator, random_options(checklist, rng))
        for i in range(len(assets)):
            for j in range(i + 1, len(assets)):
                task = Task.objects.create(project=p, kind=Task.Kind.PAIR, asset=assets[i], asset_b=assets[j])
                rate(task, annotator, rng.choice([1, 2, 4, 5]))
    return p


def test_researcher_promotes_published_weights_reads_a_breakdown_and_refits(page, rated_project, eager_jobs):
    p = rated_project
    login(page, "rosa")
    page.goto(f"/projects/{p.pk}/weights")
    expect(page.get_by_role("heading", name="Weights: Weights demo")).to_be_visible()
    expect(page.get_by_text("No weight set is active").first).to_be_visible()

    page.get_by_role("button", name="Load the published VisionReward weights").click()
    expect(page.get_by_text("added as version 1")).to_be_visible()
    # the new candidate is shown under the History tab
    expect(page.get_by_role("tab", name="History")).to_have_attribute("aria-selected", "true")
    page.get_by_role("button", name="Promote version 1").click()
    dialog = page.get_by_test_id("confirm-dialog")
    expect(dialog.get_by_role("heading", name="Promote version 1?")).to_be_visible()
    dialog.get_by_role("button", name="Promote", exact=True).click()
    expect(page.get_by_test_id("glance-active")).to_contain_text("Version 1")
    page.get_by_role("tab", name="Active weights").click()
    expect(page.get_by_role("heading", name="Active weights")).to_be_visible()
    expect(page.locator("section[aria-labelledby='active-title'] svg[role='img']").first).to_be_visible()
    assert WeightSet.objects.get(project=p).status == "active"
    assert AssetScore.objects.filter(project=p).count() == 10

    page.get_by_role("tab", name="Scores").click()
    scores = page.locator("section[aria-labelledby='scores-title']")
    expect(scores.get_by_role("row")).to_have_count(11)  # header + 10 assets
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "13-weights")
    check_accessibility(page, "the weights screen")

    scores.get_by_role("button", name="Score breakdown of asset").first.click()
    breakdown = page.get_by_test_id("score-breakdown")
    expect(breakdown).to_be_visible()
    expect(breakdown.get_by_text("alignment").first).to_be_visible()
    screenshot(page, "14-score-breakdown")
    page.keyboard.press("Escape")
    expect(breakdown).to_be_hidden()

    page.get_by_role("button", name="Start refit").click()
    expect(page.get_by_role("progressbar", name="Refit progress")).to_be_visible()
    expect(page.get_by_text("Version 2").first).to_be_visible(timeout=20_000)
    fitted = WeightSet.objects.get(project=p, version=2)
    assert fitted.source == "fitted" and fitted.data_counts["pairs_used"] == 20
    expect(page.get_by_text(fitted.decision).first).to_be_visible()
    screenshot(page, "15-weights-refit")
