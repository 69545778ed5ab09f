"""Benchmark: keystrokes and time to annotate a full image checklist in the browser.

    make frontend && DATABASE_URL=postgres://postgres@127.0.0.1:5432/vrplatform \\
        .venv/bin/python -m pytest bench/annotate_keys.py -q -s
    ... .venv/bin/python -m pytest bench/annotate_keys.py -q -s --smoke   # 2 tasks per row: does it still run

Runs the real app in Debian's Chromium (Playwright) against a live server on PostgreSQL with
the VisionReward image checklist (17 sub-dimensions) and the sample images, and reports:

- actions (keys or clicks) and time from "task shown" to "submit" for: the mouse (click an
  option in every sub-dimension, then Submit: the baseline), the keyboard (one number key per
  sub-dimension, then Enter) and the keyboard with a correct model pre-fill (`a`, `Enter`);
- time from submit to the next task visible (its image decoded) with the next task fetched
  ahead (the app's default) against fetching it only after the submit (`?prefetch=0`).

The times are a machine's: they measure how fast the UI responds to each action, not a human's
reading time; the action counts are what a person types.
"""

from __future__ import annotations

import statistics
import time

import pytest

from annotator.checklist import expand
from annotator.models import Membership, Project
from tests.e2e.fixtures import login, make_user
from tests.factories import builtin

pytestmark = pytest.mark.django_db(transaction=True)
TASKS = 6  # per row; --smoke (bench/conftest.py): SMOKE_TASKS
SMOKE_TASKS = 2

VISIBLE = """(prev) => {
  const el = document.querySelector('[data-testid=annotate]');
  const img = el && el.querySelector('img');
  return !!(el && el.dataset.assignmentId !== String(prev) && img && img.complete && img.naturalWidth > 0);
}"""

STAMP_ENTER = """() => window.addEventListener('keydown', (e) => {
  if (e.key === 'Enter') window.__vrEnterAt = performance.now();
}, { capture: true })"""


def _project(user, n: int, add_asset, *, prefill: bool) -> Project:
    from annotator.services.predictions import record_prediction

    p = Project.objects.create(name="bench", media_type="image", checklist_version=builtin("image"), overlap=1)
    Membership.objects.create(project=p, user=user, role="annotator")
    checklist = p.checklist_version.checklist
    truth = {sub.key: sub.options[0].code for sub in checklist.sub_dimensions}
    answers = expand(checklist, truth).answers
    p_yes = {q.key: (0.9 if answers[q.index] else 0.08) for q in checklist.questions}
    for i in range(n):
        asset = add_asset(p, "test1.jpg" if i % 2 == 0 else "test2.jpg", f"bench prompt {i}")
        if prefill:
            record_prediction(asset, p.checklist_version, "bench-model", p_yes)
    return p


def _shown(page) -> int:
    page.wait_for_function(
        "() => { const el = document.querySelector('[data-testid=annotate]');"
        " const img = el && el.querySelector('img'); return el && img && img.complete && img.naturalWidth > 0 }"
    )
    return int(page.get_by_test_id("annotate").get_attribute("data-assignment-id"))


def _run(page, project, mode: str, tasks: int, *, prefetch: bool = True) -> dict:
    page.goto(f"/projects/{project.pk}/annotate" + ("" if prefetch else "?prefetch=0"))
    page.evaluate(STAMP_ENTER)
    subs = project.checklist_version.checklist.sub_dimensions
    actions, durations, next_visible = [], [], []
    for _ in range(tasks):
        assignment = _shown(page)
        page.wait_for_timeout(300)  # let the fetch-ahead settle, as a person's first glance would
        t0 = time.perf_counter()
        count = 0
        if mode == "mouse":
            for sub in subs:
                page.get_by_test_id(f"row-{sub.key}").get_by_role("radio").first.click()
                count += 1
            page.get_by_test_id("submit").click()
            count += 1
        elif mode == "keyboard":
            for _sub in subs:
                page.keyboard.press("1")
                count += 1
            page.keyboard.press("Enter")
            count += 1
        else:  # correct pre-fill
            page.keyboard.press("a")
            page.keyboard.press("Enter")
            count += 2
        durations.append((time.perf_counter() - t0) * 1000)
        actions.append(count)
        if mode != "mouse":
            # Polled every animation frame: the first frame the next task's image is decoded.
            page.wait_for_function(VISIBLE, arg=assignment, polling="raf")
            next_visible.append(page.evaluate("() => performance.now() - window.__vrEnterAt"))
    return {
        "actions": statistics.median(actions),
        "ms": statistics.median(durations),
        "next_ms": statistics.median(next_visible) if next_visible else None,
    }


def test_annotate_keys(page, add_asset, request):
    n = SMOKE_TASKS if request.config.getoption("smoke") else TASKS
    user = make_user("bench")
    login(page, "bench")

    def project(prefill: bool = False) -> Project:
        return _project(user, n + 1, add_asset, prefill=prefill)

    rows = {
        "mouse (baseline)": _run(page, project(), "mouse", n),
        "keyboard": _run(page, project(), "keyboard", n),
        "keyboard + correct pre-fill": _run(page, project(prefill=True), "prefill", n),
    }
    fetch_late = _run(page, project(), "keyboard", n, prefetch=False)
    base = rows["mouse (baseline)"]
    print("\n| input | actions per task | time shown → submit (ms, p50) | actions vs mouse | time vs mouse |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, r in rows.items():
        print(
            f"| {name} | {r['actions']:.0f} | {r['ms']:.0f} | {r['actions'] / base['actions']:.2f}× "
            f"| {r['ms'] / base['ms']:.2f}× |"
        )
    ahead = rows["keyboard"]["next_ms"]
    late = fetch_late["next_ms"]
    print("\n| next task | submit → next task visible (ms, p50) | vs fetched after submit |")
    print("| --- | ---: | ---: |")
    print(f"| fetched after submit (baseline) | {late:.0f} | 1.00× |")
    print(f"| fetched ahead (default) | {ahead:.0f} | {ahead / late:.2f}× |")
