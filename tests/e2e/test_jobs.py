"""A researcher's jobs screen in a real browser: a refit that failed for lack of rated pairs
shows its reason and log; retried after the pairs are rated, it succeeds."""

from __future__ import annotations

import random

import pytest
from playwright.sync_api import expect

from annotator.models import Membership, Project, Task
from tests.e2e.fixtures import login, make_user, screenshot
from tests.e2e.test_review_manage import check_accessibility
from tests.factories import builtin
from tests.worker.preference_data import answer, random_options, rate
from worker.weights.refit import start_refit

pytestmark = pytest.mark.django_db(transaction=True)


def test_researcher_reads_a_failed_job_and_retries_it(page, add_asset, eager_jobs, django_capture_on_commit_callbacks):
    researcher, annotator = make_user("rhea"), make_user("ann")
    p = Project.objects.create(name="Jobs demo", media_type="image", checklist_version=builtin("image"))
    Membership.objects.create(project=p, user=researcher, role="researcher")
    Membership.objects.create(project=p, user=annotator, role="annotator")
    rng = random.Random(4)
    assets = [add_asset(p, f"test{1 + n % 2}.jpg", "a fox in the snow") for n in range(5)]
    for asset in assets:
        answer(asset, annotator, random_options(p.checklist_version.checklist, rng))
    with django_capture_on_commit_callbacks(execute=True):
        job = start_refit(p, researcher, {"min_pairs": 5})
    job.refresh_from_db()
    assert job.state == "failed"

    login(page, "rhea")
    page.goto(f"/projects/{p.pk}/jobs")
    expect(page.get_by_role("heading", name="Jobs: Jobs demo")).to_be_visible()
    page.get_by_role("button", name=f"#{job.pk}").first.click()
    detail = page.get_by_test_id("job-detail")
    expect(detail.get_by_role("heading", name=f"Job #{job.pk}")).to_be_visible()
    expect(detail.get_by_text("Only 0 pairs can be fitted").first).to_be_visible()
    screenshot(page, "18-jobs")
    check_accessibility(page, "the jobs screen")

    for i in range(5):  # rate the pairs the refit was missing, then retry from the page
        for j in range(i + 1, 5):
            task = Task.objects.create(project=p, kind=Task.Kind.PAIR, asset=assets[i], asset_b=assets[j])
            rate(task, annotator, rng.choice([1, 2, 4, 5]))
    detail.get_by_role("button", name=f"Retry job #{job.pk}").click()
    expect(page.locator(".badge.job-succeeded").first).to_be_visible(timeout=20_000)
    job.refresh_from_db()
    assert job.state == "succeeded" and job.result["weight_set"]
