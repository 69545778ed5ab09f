"""Setting a project up in the browser, as a lab coordinator would: the "New project" form from
an uploaded checklist file with one mistake (its problem shown inline with its line, fixed, then
previewed), then the project's settings: a field edited, and the checklist changed to a new
version after the screen has said what happens to the answers made so far."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from annotator.models import Annotation, Membership, Project
from annotator.services.answers import submit
from annotator.services.claims import claim_next
from annotator.services.payload import AnswerPayload
from tests.e2e.fixtures import login, make_user, screenshot
from tests.e2e.test_review_manage import check_accessibility

pytestmark = pytest.mark.django_db(transaction=True)

CHECKLIST = """\
key: street-study
title: Street study
media_type: image
dimensions:
  - key: quality
    title: Quality
    sub_dimensions:
      - key: clarity
        title: Clarity
        options:
          - {code: 1, label: clear}
          - {code: 0, label: ordinary}
          - {code: -1, label: blurry}
        questions:
          - {key: clear, text: "Is the image clear?", yes_if_at_least: 1}
          - {key: not_blurry, text: "Is the image not blurry?", yes_if_at_least: 0}
"""
MISTAKE = CHECKLIST.replace("yes_if_at_least: 0}", "yes_if_at_least: zero}")
MISTAKE_LINE = next(n for n, line in enumerate(MISTAKE.splitlines(), 1) if "zero" in line)
VERSION_2 = (
    CHECKLIST
    + """\
      - key: noise
        title: Noise
        options:
          - {code: 1, label: clean}
          - {code: 0, label: noisy}
        questions:
          - {key: clean, text: "Is the image free of noise?", yes_if_at_least: 1}
"""
)


def upload(page, name: str, text: str) -> None:
    page.get_by_label("Checklist file").set_input_files(
        {"name": name, "mimeType": "application/yaml", "buffer": text.encode()}
    )


def next_step(page, title: str) -> None:
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=2, name=title)).to_be_focused()


def test_a_coordinator_creates_a_project_from_a_checklist_file_then_edits_it(page, add_asset):
    lead = make_user("lead")
    lead.user_permissions.add(*Permission.objects.filter(codename__in=["add_project", "add_checklistversion"]))
    login(page, "lead")
    page.get_by_role("link", name="New project").click()

    # 1. name: Next checks it
    expect(page.get_by_role("heading", level=2)).to_have_text("Step 1 of 6: Name")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_label("Name", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Give the project a name.")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Street study")
    page.get_by_label("Description (optional)").fill("Photos of streets at night.")
    screenshot(page, "project-new-1-name")
    check_accessibility(page, "the new project form (name)")
    next_step(page, "Step 2 of 6: Media type")

    # 2. media type
    expect(page.get_by_label("Images", exact=False).first).to_be_checked()
    screenshot(page, "project-new-2-media")
    next_step(page, "Step 3 of 6: Checklist")

    # 3. checklist: an upload with one mistake, listed inline with its line, then fixed
    page.get_by_label("Upload a YAML or JSON file").check()
    upload(page, "street.yaml", MISTAKE)
    problems = page.get_by_test_id("checklist-problems")
    expect(problems).to_contain_text("street.yaml has 1 problem")
    expect(problems).to_contain_text(f"Line {MISTAKE_LINE}, column")
    expect(problems).to_contain_text("dimensions[0].sub_dimensions[0].questions[1].yes_if_at_least")
    expect(problems.locator("pre")).to_contain_text("yes_if_at_least: zero")
    screenshot(page, "project-new-3-checklist-problem")
    check_accessibility(page, "the checklist step with a problem")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("Step 3 of 6: Checklist")
    assert not Project.objects.exists()

    upload(page, "street.yaml", CHECKLIST)
    expect(page.get_by_test_id("checklist-problems")).to_have_count(0)
    preview = page.get_by_test_id("checklist-preview")
    expect(preview).to_contain_text("Street study")
    expect(preview).to_contain_text("1 sub-dimension, 2 questions")
    preview.get_by_text("Clarity").click()
    expect(preview).to_contain_text("Is the image not blurry?")
    expect(page.get_by_text("it becomes street-study v1 when you confirm")).to_be_visible()
    screenshot(page, "project-new-3-checklist-preview")
    check_accessibility(page, "the checklist step with a preview")
    next_step(page, "Step 4 of 6: Overlap, lease and pairs")

    # 4. overlap, lease, pairs
    page.get_by_label("Overlap k: annotators per item").fill("2")
    page.get_by_label("Lease length (minutes)").fill("20")
    page.get_by_label("Pair tasks").check()
    screenshot(page, "project-new-4-work")
    next_step(page, "Step 5 of 6: Instructions")

    # 5. instructions, previewed as annotators see them
    page.get_by_label("Instructions for annotators (Markdown)").fill(
        "# Before you start\n\n- Look at the **whole** image\n- Judge *clarity* only"
    )
    instructions = page.get_by_test_id("instructions-preview")
    expect(instructions.locator("strong")).to_have_text("whole")
    expect(instructions.get_by_role("heading", name="Before you start")).to_be_visible()
    screenshot(page, "project-new-5-instructions")
    check_accessibility(page, "the instructions step")
    next_step(page, "Step 6 of 6: Review")

    # 6. review; Back keeps the values
    values = page.get_by_test_id("review-values")
    expect(values).to_contain_text("Street study (street-study v1, from street.yaml)")
    expect(values).to_contain_text("2 annotators per item")
    page.get_by_role("button", name="Change lease length").click()
    expect(page.get_by_label("Lease length (minutes)")).to_have_value("20")
    page.get_by_role("button", name="6 Review").click()
    screenshot(page, "project-new-6-review")
    page.get_by_role("button", name="Create project").click()

    expect(page.get_by_role("heading", name="Settings: Street study")).to_be_visible()
    expect(page.get_by_text("Project “Street study” created")).to_be_visible()
    project = Project.objects.get()
    assert (project.checklist_version.key, project.overlap, project.lease_seconds, project.pair_tasks) == (
        "street-study",
        2,
        1200,
        True,
    )
    assert project.instructions.startswith("# Before you start")
    assert Membership.objects.get(project=project).user == lead

    # someone answers under v1, so a checklist change has consequences to state
    ann = make_user("ann")
    Membership.objects.create(project=project, user=ann, role="annotator")
    add_asset(project, "test1.jpg", "a night street")
    add_asset(project, "test2.jpg", "a night street")
    assignment = claim_next(ann, project)
    submit(assignment, AnswerPayload(options={"clarity": 1}), uuid.uuid4())

    # settings: a field edited and saved
    page.reload()
    page.get_by_label("Name", exact=True).fill("Street study, round 1")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    assert Project.objects.get().name == "Street study, round 1"
    screenshot(page, "project-settings")
    check_accessibility(page, "the project settings")

    # settings: the checklist changed to a new version, consequences first
    page.get_by_label("Upload a YAML or JSON file").check()
    upload(page, "street-v2.yaml", VERSION_2)
    expect(page.get_by_text("it becomes street-study v2 when you confirm")).to_be_visible()
    page.get_by_role("button", name="See what changes").click()
    plan = page.get_by_test_id("change-plan")
    expect(plan).to_contain_text("From street-study v1 to street-study v2: what happens")
    expect(plan).to_contain_text("1 annotation made with street-study v1 keeps that version")
    expect(plan).to_contain_text("2 unfinished tasks continue: their next answers use street-study v2")
    expect(plan).to_contain_text("Sub-dimensions new")
    assert Project.objects.get().checklist_version.version == 1
    screenshot(page, "project-settings-checklist-change")
    check_accessibility(page, "the checklist change")
    plan.get_by_role("button", name="Change the checklist to street-study v2").click()
    expect(page.get_by_text("The project now uses street-study v2")).to_be_visible()
    project.refresh_from_db()
    assert project.checklist_version.version == 2
    assert Annotation.objects.get().checklist_version.version == 1
    expect(page.get_by_text("In use: Street study (street-study v2)")).to_be_visible()
