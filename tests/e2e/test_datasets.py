"""An admin's datasets screen in a real browser: export a project (the job runs), see the version
ready with its rows, prepare its zip (an archive job) and download it, export again after new
answers and compare the two."""

from __future__ import annotations

import random

import pytest
from playwright.sync_api import expect

from annotator.models import Membership, Project
from datasets_app.models import DatasetVersion
from tests.e2e.fixtures import login, make_user, screenshot
from tests.e2e.test_review_manage import check_accessibility
from tests.factories import builtin
from tests.worker.preference_data import answer, random_options

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def answered_project(add_asset):
    manager, annotator = make_user("mona"), make_user("ann")
    p = Project.objects.create(name="Export demo", media_type="image", checklist_version=builtin("image"))
    Membership.objects.create(project=p, user=manager, role="manager")
    Membership.objects.create(project=p, user=annotator, role="annotator")
    rng = random.Random(2)
    for n, prompt in enumerate(("a fox in the snow", "a lighthouse at dusk", "a red bicycle")):
        asset = add_asset(p, f"test{1 + n % 2}.jpg", prompt)
        answer(asset, annotator, random_options(p.checklist_version.checklist, rng))
    return p, annotator, add_asset


def test_manager_exports_downloads_and_compares(page, answered_project, eager_jobs):
    p, annotator, add_asset = answered_project
    login(page, "mona")
    page.goto(f"/datasets?project={p.pk}")
    expect(page.get_by_role("heading", name="Datasets", level=1)).to_be_visible()
    form = page.get_by_role("form", name="New dataset version")
    expect(form).to_be_visible()
    form.get_by_label("Name", exact=True).fill("export-demo")
    form.get_by_role("button", name="Start export").click()

    table = page.locator("section[aria-labelledby='versions-title']")
    expect(table.get_by_text("export-demo v1").first).to_be_visible()
    expect(table.locator(".badge.state-ready").first).to_be_visible(timeout=30_000)
    first = DatasetVersion.objects.get(name="export-demo", version=1)
    assert first.state == "ready" and sum(first.row_counts["default"].values()) == 3
    # the zip is built by an archive job (run inside the request here), then downloaded as a file
    expect(table.get_by_role("link", name="zip of export-demo v1")).to_have_count(0)
    table.get_by_role("button", name="Prepare zip of export-demo v1").click()
    expect(page.get_by_role("status").filter(has_text="The zip of export-demo v1 is ready to download")).to_be_visible()
    zip_link = table.get_by_role("link", name="zip of export-demo v1")
    expect(zip_link.locator("xpath=..")).to_contain_text(" kB")
    with page.expect_download() as download:
        zip_link.click()
    assert download.value.suggested_filename == "export-demo-v1.zip"
    expect(table.get_by_role("button", name="Prepare tar of export-demo v1")).to_be_visible()
    table.scroll_into_view_if_needed()
    screenshot(page, "16-datasets")
    check_accessibility(page, "the datasets screen")

    # new answers, a second version, and the comparison
    extra = add_asset(p, "test1.jpg", "a quiet harbour")
    answer(extra, annotator, random_options(p.checklist_version.checklist, random.Random(9)))
    if not form.is_visible():
        page.get_by_role("button", name="New dataset version").click()
    form.get_by_label("Name", exact=True).fill("export-demo")
    form.get_by_role("button", name="Start export").click()
    expect(table.get_by_text("export-demo v2").first).to_be_visible()
    expect(table.locator(".badge.state-ready")).to_have_count(2, timeout=30_000)
    second = DatasetVersion.objects.get(name="export-demo", version=2)
    assert second.state == "ready" and second.content_hash != first.content_hash

    page.get_by_label("Compare export-demo v2 with").select_option(label="export-demo v1")
    heading = page.get_by_role("heading", name="Changes from export-demo v1 to export-demo v2")
    expect(heading).to_be_visible()
    heading.scroll_into_view_if_needed()
    expect(page.get_by_role("heading", name="Yes answers per question")).to_be_visible()
    screenshot(page, "17-datasets-diff")
