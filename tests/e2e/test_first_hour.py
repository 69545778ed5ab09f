"""The first hour of a new user, in a real browser: a refit that must fail says why before it
starts (its one button disabled), a refit that nothing can measure is promoted only when asked,
`a` accepts only the model's confident guesses and marks the others, and the weights and
statistics pages are read at a glance at 1366×768 (summary strip first, each chart once)."""

from __future__ import annotations

import random

import pytest
from playwright.sync_api import expect

from annotator.checklist import expand
from annotator.checklist.predict import options_from_p_yes
from annotator.models import Annotation, Membership, Project, Task
from tests.e2e.fixtures import VIEWPORT, login, make_user, screenshot
from tests.e2e.test_annotate import best_options, new_project, wait_task_shown
from tests.e2e.test_review_manage import check_accessibility, reviewed_project  # noqa: F401 (a fixture)
from tests.e2e.test_weights import rated_project  # noqa: F401 (a fixture)
from tests.factories import builtin
from tests.worker.preference_data import answer, random_options, rate
from worker.models import WeightSet
from worker.weights.evaluate import split_test
from worker.weights.public import public_weight_vector
from worker.weights.sets import create_weight_set, promote, weights_by_dimension

pytestmark = pytest.mark.django_db(transaction=True)

# a prompt that the default split (test_fraction 0.2, seed 0) keeps for training
TRAINED_PROMPT = next(p for p in (f"a fox in the snow {i}" for i in range(100)) if not split_test([p], 0.2, 0)[0])


def one_prompt_project(add_asset, name: str, assets: int) -> Project:
    """A project whose every pair (all of ``assets`` choose 2) is on one prompt and rated."""
    researcher, annotator = make_user("rosa"), make_user("ann")
    p = Project.objects.create(name=name, media_type="image", checklist_version=builtin("image"))
    Membership.objects.create(project=p, user=researcher, role="researcher")
    Membership.objects.create(project=p, user=annotator, role="annotator")
    checklist = p.checklist_version.checklist
    rng = random.Random(7)
    rows = [add_asset(p, f"test{1 + n % 2}.jpg", TRAINED_PROMPT) for n in range(assets)]
    for asset in rows:
        answer(asset, annotator, random_options(checklist, rng))
    for i in range(len(rows)):
        for j in range(i + 1, len(rows)):
            task = Task.objects.create(project=p, kind=Task.Kind.PAIR, asset=rows[i], asset_b=rows[j])
            rate(task, annotator, rng.choice([1, 2, 4, 5]))
    return p


def test_a_refit_with_too_few_pairs_says_why_and_its_button_is_disabled(page, add_asset):
    p = one_prompt_project(add_asset, "Few pairs", assets=3)  # 3 pairs, min_pairs 10
    login(page, "rosa")
    page.goto(f"/projects/{p.pk}/weights")
    refit = page.get_by_test_id("refit-start")
    expect(refit.get_by_text("A refit cannot run yet")).to_be_visible()
    expect(refit.get_by_test_id("refit-readiness")).to_contain_text(
        "3 rated pairs, 3 with a preference, on 1 prompt; 0 pairs would be held out; at least 10 needed."
    )
    expect(refit.get_by_test_id("refit-reason")).to_contain_text("Only 3 pairs can be fitted")
    button = page.get_by_role("button", name="Start refit")
    expect(button).to_have_count(1)
    expect(button).to_be_disabled()
    expect(button).to_have_accessible_description(
        "Only 3 pairs can be fitted; a refit needs at least 10 (min_pairs). "
        "Rate more pairs, or answer the checklist of their assets."
    )
    screenshot(page, "40-refit-guard-too-few-pairs")
    check_accessibility(page, "the weights screen with too few pairs")


def test_a_refit_nothing_can_measure_is_promoted_only_when_asked(page, add_asset, eager_jobs):
    p = one_prompt_project(add_asset, "One prompt", assets=5)  # 10 pairs, all on one prompt
    login(page, "rosa")
    page.goto(f"/projects/{p.pk}/weights")
    refit = page.get_by_test_id("refit-start")
    expect(refit.get_by_text("A refit can run, but nothing would measure it")).to_be_visible()
    expect(refit.get_by_test_id("refit-reason")).to_contain_text("all pairs are on one prompt")
    box = refit.get_by_role("checkbox", name="Promote it without a held-out measurement")
    expect(box).not_to_be_checked()
    screenshot(page, "41-refit-guard-no-held-out")
    check_accessibility(page, "the weights screen with nothing to hold out")

    refit.get_by_role("button", name="Start refit").click()
    expect(refit.get_by_test_id("refit-outcome")).to_contain_text("is candidate", timeout=20_000)
    first = WeightSet.objects.get(project=p, version=1)
    assert first.status == "candidate" and first.decision.startswith("kept as a candidate: nothing measured it")
    expect(refit.get_by_test_id("refit-outcome")).to_contain_text("kept as a candidate: nothing measured it")

    box.check()
    refit.get_by_role("button", name="Start refit").click()
    expect(refit.get_by_test_id("refit-outcome")).to_contain_text("Version 2", timeout=20_000)
    second = WeightSet.objects.get(project=p, version=2)
    assert second.status == "active" and second.fit_settings["promote_without_holdout"] is True
    expect(refit.get_by_test_id("refit-outcome")).to_contain_text("promoted without a held-out measurement")
    expect(page.get_by_test_id("glance-active")).to_contain_text("Version 2")


@pytest.fixture
def prefilled(add_asset):
    """An annotator's project with accept threshold 80% and one asset whose prediction is sure of
    every sub-dimension but two."""
    from annotator.services.predictions import record_prediction

    ann = make_user("ann")
    p = new_project("image", ann, accept_threshold=0.8)
    asset = add_asset(p, "test2.jpg", "a lighthouse at dusk")
    checklist = p.checklist_version.checklist
    truth = best_options(checklist)
    answers = expand(checklist, truth).answers
    unsure = [s for s in checklist.sub_dimensions if s.gated_by is None][:2]
    unsure_questions = {q.key for s in unsure for q in s.questions}
    p_yes = {
        q.key: (0.55 if answers[q.index] else 0.45)
        if q.key in unsure_questions
        else (0.92 if answers[q.index] else 0.06)
        for q in checklist.questions
    }
    options = options_from_p_yes(checklist, p_yes)
    uncertain = {key for key, guess in options.items() if guess["confidence"] < 0.8}
    assert uncertain == {s.key for s in unsure}, options  # the data is what the test means
    record_prediction(asset, p.checklist_version, "tiny-vlm", p_yes, model_version="test")
    return p, asset, truth, [s.key for s in unsure]


def test_a_accepts_only_confident_guesses_and_the_uncertain_rows_are_marked(page, prefilled):
    p, asset, truth, unsure = prefilled
    login(page, "ann")
    page.goto(f"/projects/{p.pk}/annotate")
    wait_task_shown(page)
    note = page.get_by_test_id("prefill-note")
    rows = len(truth)
    expect(note).to_contain_text(
        f"press a to accept the {rows - 2} guesses at or above 80% confidence; "
        '2 uncertain, marked "uncertain — check", stay for you.'
    )
    for key in unsure:
        expect(page.get_by_test_id(f"uncertain-{key}")).to_have_text("uncertain — check")
    expect(page.locator("[data-testid^='uncertain-']")).to_have_count(2)

    page.keyboard.press("a")
    expect(page.get_by_test_id("accept-note")).to_have_text(
        f"Accepted {rows - 2} guesses; 2 left for you (2 uncertain — check)."
    )
    for key in unsure:
        expect(page.get_by_test_id(f"row-{key}")).to_have_attribute("data-chosen", "")
        expect(page.get_by_test_id(f"uncertain-{key}")).to_be_visible()
    expect(page.get_by_test_id(f"row-{unsure[0]}")).to_be_focused()  # the first to check
    expect(page.get_by_test_id("submit")).to_be_disabled()
    screenshot(page, "42-annotate-accept-threshold")
    check_accessibility(page, "the annotate screen with uncertain rows")

    # the annotator checks the two rows (their best option), then submits
    for key in unsure:
        page.get_by_test_id(f"row-{key}").get_by_role("radio").first.click()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("no-more-tasks")).to_be_visible()
    page.wait_for_function("() => (JSON.parse(localStorage.getItem('vr.outbox') || '[]')).length === 0")
    assert Annotation.objects.get(task__asset=asset).options == truth


def _height(page) -> int:
    return page.evaluate("() => document.documentElement.scrollHeight")


def _on_first_screen(locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= VIEWPORT["height"]


def test_the_weights_page_is_read_at_a_glance(page, rated_project, eager_jobs):  # noqa: F811
    p = rated_project
    checklist = p.checklist_version.checklist
    ws = create_weight_set(p, public_weight_vector(checklist), source=WeightSet.Source.PUBLIC, label="published")
    promote(ws)
    candidate = create_weight_set(
        p, public_weight_vector(checklist, "select"), source=WeightSet.Source.PUBLIC, label="select"
    )
    dims = len(weights_by_dimension(checklist, ws.coefficients))
    login(page, "rosa")
    page.goto(f"/projects/{p.pk}/weights")
    # (both prompts of this project fall into training: the readiness says so)
    expect(page.get_by_text("A refit can run, but nothing would measure it")).to_be_visible()
    # the first screen: the active set, the refit readiness and the one refit button
    assert _on_first_screen(page.get_by_test_id("glance-active"))
    expect(page.get_by_test_id("glance-active")).to_contain_text("Version 1 (published)")
    assert _on_first_screen(page.get_by_test_id("refit-readiness"))
    expect(page.get_by_test_id("glance-pairs")).to_contain_text("20")
    refit_buttons = page.get_by_role("button", name="Start refit")
    expect(refit_buttons).to_have_count(1)
    assert _on_first_screen(refit_buttons)
    screenshot(page, "43-weights-at-a-glance")

    # each chart drawn once: one per dimension of the one set shown
    charts = page.locator(".weight-charts svg[role='img']")
    expect(charts).to_have_count(dims)
    heights = {"active": _height(page)}
    page.get_by_role("tab", name="History").click()
    expect(page).to_have_url(f"{page.url.split('?')[0]}?tab=history")
    expect(charts).to_have_count(0)
    page.get_by_role("button", name="Version 1", exact=True).click()
    expect(page.get_by_test_id("selected-set")).to_contain_text("This is the active set")
    expect(charts).to_have_count(0)
    page.get_by_role("button", name=f"Version {candidate.version}", exact=True).click()
    expect(charts).to_have_count(len(weights_by_dimension(checklist, {**ws.coefficients, **candidate.coefficients})))
    heights["history"] = _height(page)
    for tab in ("Fit settings", "Scores"):
        page.get_by_role("tab", name=tab).click()
        heights[tab] = _height(page)
    # the tab is remembered by the URL
    page.reload()
    expect(page.get_by_role("tab", name="Scores")).to_have_attribute("aria-selected", "true")
    print(f"weights page heights at 1366×768 (was 3,900 px in one scroll): {heights}")
    assert heights["active"] < 2000 and max(heights[t] for t in ("Fit settings", "Scores")) < 2000
    check_accessibility(page, "the weights screen's scores tab")


def test_the_statistics_page_is_read_at_a_glance(page, reviewed_project):  # noqa: F811
    p, *_ = reviewed_project
    login(page, "rita")
    page.goto(f"/projects/{p.pk}/manage")
    expect(page.get_by_test_id("annotations")).to_have_text("4")
    assert _on_first_screen(page.get_by_test_id("tasks-done"))
    assert _on_first_screen(page.get_by_test_id("annotations"))
    grid = page.get_by_test_id("manage-grid")
    columns = page.evaluate("(el) => getComputedStyle(el).gridTemplateColumns.split(' ').length", grid.element_handle())
    height = _height(page)
    print(f"statistics page height at 1366×768 (was 5,280 px): {height} px in {columns} columns")
    assert columns == 2
    assert height < 3000
    screenshot(page, "44-statistics-at-a-glance")
    check_accessibility(page, "the statistics screen in its grid")
