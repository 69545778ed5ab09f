"""The annotator's day in a real browser: log in, annotate by keyboard, pre-fill, video, pairs,
drafts across reloads and submits across a lost network. Answers are checked in the database."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from annotator.checklist import expand
from annotator.models import Annotation, Assignment, Membership, Project, Task
from tests.e2e.fixtures import login, make_user, screenshot
from tests.factories import builtin

pytestmark = pytest.mark.django_db(transaction=True)


def new_project(media_type: str, annotator, **kw) -> Project:
    p = Project.objects.create(
        name=kw.pop("name", f"Demo {media_type}s"),
        media_type=media_type,
        checklist_version=builtin(media_type),
        overlap=kw.pop("overlap", 1),
        **kw,
    )
    Membership.objects.create(project=p, user=annotator, role="annotator")
    return p


def best_options(checklist) -> dict:
    return {sub.key: sub.options[0].code for sub in checklist.sub_dimensions}


def wait_task_shown(page):
    page.get_by_test_id("annotate").wait_for()
    return int(page.get_by_test_id("annotate").get_attribute("data-assignment-id"))


def wait_all_landed(page):
    expect(page.get_by_test_id("save-state")).to_have_text("Saved", timeout=20_000)


def test_log_in_and_see_my_projects(page):
    ann = make_user("ann")
    p = new_project("image", ann)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))
    screenshot(page, "01-login")
    page.get_by_label("Username").fill("ann")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong username or password")
    login(page, "ann")
    card = page.get_by_test_id(f"project-{p.pk}")
    expect(card.get_by_role("heading", name="Demo images")).to_be_visible()
    expect(card.get_by_test_id("mine-done")).to_have_text("0")
    expect(card.get_by_role("link", name="Start annotating")).to_be_visible()
    screenshot(page, "02-projects")


def test_full_image_checklist_by_keyboard_only(page, add_asset):
    ann = make_user("ann")
    p = new_project("image", ann)
    asset = add_asset(p, "test1.jpg", "a red fox in the snow")
    checklist = p.checklist_version.checklist
    login(page, "ann")
    page.goto(f"/projects/{p.pk}/annotate")
    wait_task_shown(page)
    expect(page.get_by_test_id("prompt")).to_have_text("a red fox in the snow")
    subs = checklist.sub_dimensions
    presses = 0
    for i, _sub in enumerate(subs):
        page.keyboard.press("1")  # the best option of the focused sub-dimension, then the next
        presses += 1
        if i == 5:
            screenshot(page, "03-annotate-image")
    expect(page.get_by_test_id("answered-count")).to_have_text(f"{len(subs)}/{len(subs)} answered")
    page.keyboard.press("Enter")
    presses += 1
    assert presses == len(subs) + 1  # one key per sub-dimension, and Enter
    expect(page.get_by_test_id("no-more-tasks")).to_be_visible()
    wait_all_landed_or_finished(page)
    annotation = Annotation.objects.get(task__asset=asset)
    assert annotation.user == ann
    assert annotation.options == best_options(checklist)
    assert annotation.answers == list(expand(checklist, best_options(checklist)).answers)
    assert annotation.time_spent_ms > 0


def wait_all_landed_or_finished(page):
    # The finished screen shows no save state; wait for the outbox to empty instead.
    page.wait_for_function("() => (JSON.parse(localStorage.getItem('vr.outbox') || '[]')).length === 0")


def test_accept_a_correct_prefill_in_two_keys(page, add_asset):
    from annotator.services.predictions import record_prediction

    ann = make_user("ann")
    p = new_project("image", ann, instructions="Judge only what you see; the prompt is for alignment.")
    asset = add_asset(p, "test2.jpg", "a lighthouse at dusk")
    checklist = p.checklist_version.checklist
    truth = best_options(checklist)
    answers = expand(checklist, truth).answers
    p_yes = {q.key: (0.92 if answers[q.index] else 0.06) for q in checklist.questions}
    record_prediction(asset, p.checklist_version, "tiny-vlm", p_yes, model_version="test")
    login(page, "ann")
    page.goto(f"/projects/{p.pk}/annotate")
    wait_task_shown(page)
    expect(page.get_by_text("Pre-filled by tiny-vlm")).to_be_visible()
    page.keyboard.press("i")
    expect(page.get_by_test_id("instructions")).to_contain_text("Judge only what you see")
    screenshot(page, "04-annotate-prefill")
    page.keyboard.press("a")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("no-more-tasks")).to_be_visible()
    wait_all_landed_or_finished(page)
    assert Annotation.objects.get(task__asset=asset).options == truth


def test_video_task_with_frame_stepping(page, add_asset):
    ann = make_user("ann")
    p = new_project("video", ann)
    asset = add_asset(p, "test1.mp4", "a paper boat on a stream")
    checklist = p.checklist_version.checklist
    login(page, "ann")
    page.goto(f"/projects/{p.pk}/annotate")
    wait_task_shown(page)
    video = page.get_by_test_id("video")
    page.wait_for_function("() => document.querySelector('video').readyState >= 1")
    counter = page.get_by_test_id("frame-counter")
    expect(counter).to_contain_text("frame 1/")
    for _ in range(3):
        page.keyboard.press(".")
    expect(counter).to_contain_text("frame 4/")
    page.keyboard.press(",")
    expect(counter).to_contain_text("frame 3/")
    assert video.evaluate("v => v.paused")
    strip = page.get_by_role("toolbar", name="Sampled frames").get_by_role("button")
    assert strip.count() > 1
    strip.nth(2).click()
    assert video.evaluate("v => v.currentTime") > 0
    screenshot(page, "05-annotate-video")
    page.get_by_test_id("checklist").locator(".row").first.focus()
    for _ in checklist.sub_dimensions:
        page.keyboard.press("1")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("no-more-tasks")).to_be_visible()
    wait_all_landed_or_finished(page)
    assert Annotation.objects.get(task__asset=asset).options == best_options(checklist)


def test_complete_a_pair(page, add_asset):
    from annotator.services.pairs import create_pairs

    ann = make_user("ann")
    p = new_project("image", ann)
    a = add_asset(p, "test1.jpg", "a castle on a hill", task=False)
    b = add_asset(p, "test2.jpg", "a castle on a hill", task=False)
    (task,) = create_pairs(p, [(a.pk, b.pk)])
    first_dimension = p.checklist_version.checklist.dimensions[0].key
    login(page, "ann")
    page.goto(f"/projects/{p.pk}/annotate")
    wait_task_shown(page)
    expect(page.get_by_text("Overall: which is better?")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("^A: a castle"))).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("^B: a castle"))).to_be_visible()
    page.keyboard.press("2")  # A better; focus moves to the first dimension
    page.keyboard.press("4")  # B better on that dimension
    page.get_by_test_id("comment").fill("B's castle has a floating tower")
    page.keyboard.press("Escape")  # back to the keys
    screenshot(page, "06-annotate-pair")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("no-more-tasks")).to_be_visible()
    wait_all_landed_or_finished(page)
    annotation = Annotation.objects.get(task=task)
    assert annotation.preference == 2
    assert annotation.dimension_preferences == {first_dimension: 4}
    assert annotation.comment == "B's castle has a floating tower"


def test_reload_mid_task_restores_the_draft(page, context, add_asset):
    ann = make_user("ann")
    p = new_project("image", ann)
    add_asset(p, "test1.jpg", "a fox")
    subs = p.checklist_version.checklist.sub_dimensions
    login(page, "ann")
    page.goto(f"/projects/{p.pk}/annotate")
    assignment_id = wait_task_shown(page)
    for key in ("1", "2", "1"):
        page.keyboard.press(key)
    wait_all_landed(page)  # the draft reached the server
    assert Assignment.objects.get(pk=assignment_id).draft["options"] == {
        subs[0].key: subs[0].options[0].code,
        subs[1].key: subs[1].options[1].code,
        subs[2].key: subs[2].options[0].code,
    }
    # Now lose the network: the next choice is only on this device, and survives a reload.
    context.route("**/api/assignments/*/draft/", lambda route: route.abort())
    page.keyboard.press("3")
    expect(page.get_by_test_id("save-state")).to_contain_text("Offline")
    page.reload()
    assert wait_task_shown(page) == assignment_id
    expect(page.get_by_test_id("draft-restored")).to_contain_text("from this device")
    for i, index in enumerate((0, 1, 0, 2)):
        expect(page.get_by_test_id(f"row-{subs[i].key}")).to_have_attribute(
            "data-chosen", str(subs[i].options[index].code)
        )
    screenshot(page, "07-draft-restored")
    context.unroute("**/api/assignments/*/draft/")
    wait_all_landed(page)
    assert Assignment.objects.get(pk=assignment_id).draft["options"][subs[3].key] == subs[3].options[2].code


def test_submit_during_a_network_cut_lands_once(page, context, add_asset):
    ann = make_user("ann")
    p = new_project("image", ann)
    first = add_asset(p, "test1.jpg", "a fox")
    add_asset(p, "test2.jpg", "a lighthouse")
    subs = p.checklist_version.checklist.sub_dimensions
    login(page, "ann")
    page.goto(f"/projects/{p.pk}/annotate")
    assignment_id = wait_task_shown(page)
    calls = {"n": 0}

    def flaky(route):
        calls["n"] += 1
        if calls["n"] == 1:
            route.fetch()  # the server receives and stores it; the acknowledgement is lost
        route.abort()

    context.route("**/api/assignments/*/submit/", flaky)
    for _ in subs:
        page.keyboard.press("1")
    page.keyboard.press("Enter")
    # The next task is on screen at once, while the submit waits for the network.
    page.wait_for_function(
        f"() => document.querySelector('[data-testid=annotate]')?.dataset.assignmentId !== '{assignment_id}'"
    )
    expect(page.get_by_test_id("save-state")).to_contain_text("Offline", timeout=10_000)
    page.wait_for_timeout(1500)  # a few retries, all cut
    assert calls["n"] >= 2
    screenshot(page, "08-offline-submit")
    context.unroute("**/api/assignments/*/submit/")
    page.wait_for_function("() => (JSON.parse(localStorage.getItem('vr.outbox') || '[]')).length === 0", timeout=20_000)
    assert Annotation.objects.filter(task__asset=first).count() == 1
    assert Task.objects.get(asset=first, kind="single").submitted_count == 1
