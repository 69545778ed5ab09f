"""A manager in a real browser makes a reviewed pair a pair gold check (its gold preference is
what annotators who never had it are scored on) and reads each annotator's pair gold agreement
on the statistics screen, apart from single-task gold accuracy."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from annotator.models import GoldCheck, Membership, Project
from annotator.services.answers import submit
from annotator.services.claims import claim_next
from annotator.services.pairs import create_pairs
from annotator.services.payload import AnswerPayload
from tests.e2e.fixtures import login, make_user, screenshot
from tests.factories import builtin

pytestmark = pytest.mark.django_db(transaction=True)


def rate(user, project, preference: int) -> int:
    """Claim the user's next task (a pair) and submit this overall preference; the task id."""
    assignment = claim_next(user, project)
    submit(assignment, AnswerPayload(options={}, preference=preference, time_spent_ms=9_000), uuid.uuid4())
    return assignment.task_id


def test_a_manager_sets_a_pairs_gold_and_sees_the_pair_gold_scores(page, add_asset):
    boss = make_user("rita")
    ann, bob, cara = make_user("ann"), make_user("bob"), make_user("cara")
    p = Project.objects.create(
        name="Pair gold", media_type="image", checklist_version=builtin("image"), overlap=1, gold_check_rate=1.0
    )
    for u, role in ((boss, "manager"), (ann, "annotator"), (bob, "annotator"), (cara, "annotator")):
        Membership.objects.create(project=p, user=u, role=role)
    a = add_asset(p, "test1.jpg", "a fox in the snow", task=False)
    b = add_asset(p, "test2.jpg", "a fox in the snow", task=False)
    (pair,) = create_pairs(p, [(a.pk, b.pk)])
    assert rate(ann, p, 2) == pair.pk  # ann: A better

    login(page, "rita")
    page.goto(f"/projects/{p.pk}/review")
    expect(page.get_by_role("heading", name="Review: Pair gold")).to_be_visible()
    expect(page.get_by_role("heading", level=2, name=f"Task {pair.pk} (pair: A vs B)")).to_be_visible()
    page.get_by_role("button", name="Accept ann").click()
    expect(page.get_by_role("status").filter(has_text="ccept")).to_be_visible()
    use = page.get_by_role("button", name="Use as gold check")
    expect(page.get_by_text("The gold preference becomes the expected one")).to_be_visible()
    use.click()
    expect(page.get_by_role("button", name="Stop using as gold check")).to_be_visible()
    check = GoldCheck.objects.get(task=pair)
    assert check.preference == 2

    # served unseen (rate 1): bob prefers B (disagrees), cara A much better (agrees: the same side)
    assert rate(bob, p, 4) == pair.pk
    assert rate(cara, p, 1) == pair.pk

    page.goto(f"/projects/{p.pk}/manage")
    section = page.get_by_role("region", name="Annotator quality")
    expect(section.get_by_test_id("quality-summary")).to_contain_text(
        "1 pair gold check (pairs with a gold preference)"
    )
    expect(section.get_by_role("columnheader", name="Pair gold agreement")).to_be_visible()
    expect(section.get_by_role("columnheader", name="Answer accuracy")).to_be_visible()  # singles apart
    for name, shown in (("ann", "100%"), ("bob", "0%"), ("cara", "100%")):
        row = section.locator(f'tr[data-annotator="{name}"]')
        expect(row.get_by_test_id("pair-gold-agreement")).to_have_text(shown)
    # the least agreeing first
    expect(section.locator("tbody tr").first).to_have_attribute("data-annotator", "bob")
    expect(
        section.get_by_role(
            "img", name="Agreement with the gold preference of pair gold checks per annotator", exact=False
        )
    ).to_be_visible()
    section.scroll_into_view_if_needed()
    screenshot(page, "pair-gold-quality")
