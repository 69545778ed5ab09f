"""Reviewers and managers in a real browser: compare k annotations, accept or correct (the
correction becomes the gold answer), and read the project's statistics."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from annotator.models import Annotation, GoldAnswer, Membership, Project
from annotator.services.answers import submit
from annotator.services.claims import claim_next
from annotator.services.payload import AnswerPayload
from tests.e2e.fixtures import login, make_user, screenshot
from tests.factories import builtin

pytestmark = pytest.mark.django_db(transaction=True)


def annotate(user, project, options: dict) -> Annotation:
    a = claim_next(user, project)
    annotation, _ = submit(a, AnswerPayload(options=options, time_spent_ms=42_000), uuid.uuid4())
    return annotation


@pytest.fixture
def reviewed_project(add_asset):
    reviewer = make_user("rita")
    ann1, ann2 = make_user("ann"), make_user("bob")
    p = Project.objects.create(name="Review demo", media_type="image", checklist_version=builtin("image"), overlap=2)
    for u, role in ((reviewer, "manager"), (ann1, "annotator"), (ann2, "annotator")):
        Membership.objects.create(project=p, user=u, role=role)
    add_asset(p, "test1.jpg", "a fox in the snow")
    add_asset(p, "test2.jpg", "a lighthouse at dusk")
    checklist = p.checklist_version.checklist
    best = {sub.key: sub.options[0].code for sub in checklist.sub_dimensions}
    other = dict(best)
    first, second = checklist.sub_dimensions[0], checklist.sub_dimensions[1]
    other[first.key] = first.options[1].code
    other[second.key] = second.options[2].code
    for _ in range(2):
        annotate(ann1, p, best)
        annotate(ann2, p, other)
    return p, checklist, best, other


def check_accessibility(page, name: str) -> None:
    """No serious or critical axe-core violations (labels, contrast, roles) on this screen."""
    from tests.e2e.fixtures import REPO

    # evaluated by the test driver, not added as an inline <script> (which the app's CSP refuses)
    source = (REPO / "frontend" / "node_modules" / "axe-core" / "axe.min.js").read_text()
    page.evaluate(f"() => {{ {source}\n }}")
    page.wait_for_function("() => typeof window.axe !== 'undefined'")
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => ['serious', 'critical'].includes(v.impact))"
        ".map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))"
    )
    assert result == [], f"accessibility violations on {name}: {result}"


def test_reviewer_accepts_and_corrects(page, reviewed_project):
    p, checklist, best, other = reviewed_project
    first = checklist.sub_dimensions[0]
    login(page, "rita")
    page.goto(f"/projects/{p.pk}/review")
    expect(page.get_by_role("heading", name="Review: Review demo")).to_be_visible()
    table = page.get_by_role("table")
    expect(table.get_by_role("columnheader", name="ann")).to_be_visible()
    expect(table.get_by_role("columnheader", name="bob")).to_be_visible()
    expect(page.locator("tr.disagree")).to_have_count(2)
    screenshot(page, "09-review")
    check_accessibility(page, "the review screen")

    page.get_by_role("button", name="Accept ann").click()
    expect(page.get_by_role("status").filter(has_text="ccept")).to_be_visible()
    gold = GoldAnswer.objects.get(source="accepted")
    assert gold.options == best
    assert set(Annotation.objects.filter(task=gold.task).values_list("state", flat=True)) == {"reviewed"}

    # The next item: correct it with an option neither annotator chose.
    page.keyboard.press("c")
    page.get_by_label(first.title, exact=True).select_option(str(first.options[2].code))
    page.get_by_label("Comment (optional)").fill("both missed the asymmetry")
    page.get_by_role("button", name="Save correction").click()
    expect(page.get_by_role("status").filter(has_text="orrect")).to_be_visible()
    corrected = GoldAnswer.objects.get(source="corrected")
    assert corrected.options[first.key] == first.options[2].code
    assert corrected.comment == "both missed the asymmetry"


def test_manager_statistics(page, reviewed_project):
    p, *_ = reviewed_project
    login(page, "rita")
    page.goto(f"/projects/{p.pk}/manage")
    expect(page.get_by_role("heading", name="Statistics: Review demo")).to_be_visible()
    expect(page.get_by_role("heading", name="Throughput per annotator")).to_be_visible()
    annotators = page.get_by_role("table").filter(has_text="bob").first
    expect(annotators).to_contain_text("ann")
    expect(page.get_by_role("heading", name="Agreement per question")).to_be_visible()
    expect(page.get_by_test_id("annotations")).to_have_text("4")
    screenshot(page, "10-statistics")
    check_accessibility(page, "the statistics screen")


def test_annotate_and_projects_screens_are_accessible(page, reviewed_project, add_asset):
    p, *_ = reviewed_project
    add_asset(p, "test2.jpg", "a third item")
    login(page, "ann")
    check_accessibility(page, "the projects screen")
    page.goto(f"/projects/{p.pk}/annotate")
    page.get_by_test_id("annotate").wait_for()
    check_accessibility(page, "the annotate screen")
