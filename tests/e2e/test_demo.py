"""The first hour of a new user on `make run`'s demo, in a real browser: after `load_demo` the demo
admin sees where to look, the genuine pair of the two samples, the model's pre-filled guesses on
the annotate screen, the refit candidate compared with the published weights, the simulated raters'
agreement with a pair gold check and a dominance-pair dataset version."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from annotator.models import Annotation, GoldCheck, Project, Task
from annotator.services.claims import gold_turn
from datasets_app.models import DatasetVersion
from tests.e2e.fixtures import login, screenshot
from tests.e2e.test_review_manage import check_accessibility
from worker.management import demo as content
from worker.models import WeightSet

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(settings, demo_models_root):
    settings.VR_MODELS_ROOT = demo_models_root
    call_command("load_demo", stdout=io.StringIO())
    return Project.objects.get(name="VisionReward image demo")


def test_the_demo_admin_sees_a_pair_prefill_and_a_refit_without_any_set_up(page, demo):
    project = demo
    login(page, "admin", "admin")
    card = page.get_by_test_id(f"project-{project.pk}")
    expect(card.get_by_text(re.compile(f"Pre-filled by the offline model {content.MODEL_NAME}"))).to_be_visible()
    expect(card.get_by_text(re.compile("a refit on the rated pairs is a candidate"))).to_be_visible()
    screenshot(page, "60-demo-projects")

    # first the genuine pair: the project's two samples, of one real prompt; the pair gold check (a
    # portrait and its blurred copy) comes first or second instead when one of those claims is the
    # admin's gold turn (at the project's gold check rate, a phase fixed per annotator and project)
    admin = project.memberships.get(user__username="admin").user
    genuine = Task.objects.get(project=project, priority=1)
    gold = GoldCheck.objects.get(project=project).task
    served = (
        [gold, genuine]
        if gold_turn(project, admin, 0)
        else [genuine, gold]
        if gold_turn(project, admin, 1)
        else [genuine]
    )
    card.get_by_role("link", name="Start annotating").click()
    page.get_by_test_id("annotate").wait_for()
    for task in served:
        expect(page.get_by_test_id("announce")).to_have_text(f"Task {task.pk} loaded.")
        expect(page.get_by_text("Overall: which is better?")).to_be_visible()
        expect(page.get_by_role("img", name=re.compile("^A: A close-up portrait"))).to_be_visible()
        expect(page.get_by_role("img", name=re.compile("^B: A close-up portrait"))).to_be_visible()
        if task == genuine:
            screenshot(page, "61-demo-pair")
        page.keyboard.press("2")  # A better
        page.keyboard.press("Escape")
        page.keyboard.press("Enter")

    # then a checklist task with the model's guesses pre-filled, and the prompt for alignment
    expect(page.get_by_text(f"Pre-filled by {content.MODEL_NAME}")).to_be_visible(timeout=20_000)
    expect(page.get_by_text(content.PORTRAIT).first).to_be_visible()
    expect(page.get_by_text("(no prompt)")).to_have_count(0)
    screenshot(page, "62-demo-annotate-prefill")
    check_accessibility(page, "the demo's annotate screen")
    rated = Annotation.objects.filter(user__username="admin", task__kind="pair")
    assert {a.task_id: a.preference for a in rated} == {task.pk: 2 for task in served}

    # the weights: the published set active, the demo refit a candidate compared with it
    page.goto(f"/projects/{project.pk}/weights?tab=history")
    expect(page.get_by_role("heading", name=f"Weights: {project.name}")).to_be_visible()
    fitted = WeightSet.objects.get(project=project, source="fitted")
    row = page.locator(f"tr[data-version='{fitted.version}']")
    expect(row.get_by_text(content.REFIT_LABEL)).to_be_visible()
    expect(row.get_by_text("candidate", exact=True)).to_be_visible()
    expect(row.get_by_text(re.compile(r"^v1: \d"))).to_be_visible()  # compared with the published set
    expect(row.get_by_text(fitted.decision)).to_be_visible()
    expect(row.get_by_test_id("held-out")).to_have_text(re.compile(r"\d"))
    row.scroll_into_view_if_needed()
    screenshot(page, "63-demo-weights-refit")

    # the manage screen: the simulated raters agree with the pair gold check's gold preference
    page.goto(f"/projects/{project.pk}/manage")
    section = page.get_by_role("region", name="Annotator quality")
    expect(section.get_by_test_id("quality-summary")).to_contain_text(
        "1 pair gold check (pairs with a gold preference)"
    )
    expect(section.get_by_role("columnheader", name="Pair gold agreement")).to_be_visible()
    for rater in content.RATERS:
        row = section.locator(f'tr[data-annotator="{rater.username}"]')
        expect(row.get_by_test_id("pair-gold-agreement")).to_have_text("100%")
    section.scroll_into_view_if_needed()
    screenshot(page, "64-demo-pair-gold")

    # the datasets screen: the dominance-pair version, ready, with its rule's counts
    version = DatasetVersion.objects.get(name=content.DOMINANCE_NAME)
    page.goto("/datasets")
    table = page.locator("section[aria-labelledby='versions-title']")
    label = f"{content.DOMINANCE_NAME} v1"
    expect(table.get_by_text(label).first).to_be_visible()
    expect(table.locator(".badge.state-ready").first).to_be_visible()
    rows = table.get_by_test_id("rows").first
    expect(rows).to_contain_text("dominance pairs")
    expect(rows).to_contain_text(str(version.stats["selected"]))
    table.get_by_role("button", name=label, exact=True).click()
    details = page.get_by_test_id("version-dominance-stats")
    expect(details).to_contain_text("The full rule")
    expect(details).to_contain_text(str(version.stats["candidates"]))
    screenshot(page, "65-demo-dominance-pairs")
