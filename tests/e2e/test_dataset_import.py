"""A manager imports a small local Hugging Face dataset through the browser: the preview, the
column mapping pre-filled from the suggestion, the job's progress and the row that failed."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from annotator.models import Asset, Membership, Project
from tests.e2e.fixtures import login, make_user, screenshot
from tests.e2e.test_review_manage import check_accessibility
from tests.factories import builtin
from tests.worker.hf_datasets import image_dataset, pair_dataset, parquet_folder

pytestmark = pytest.mark.django_db(transaction=True)


def test_manager_imports_a_local_dataset_and_a_pair_dataset(page, eager_jobs, settings, tmp_path):
    root = tmp_path / "imports"
    settings.VR_IMPORT_ROOTS = [root]
    parquet_folder(image_dataset(4, broken={2}), root / "generations")
    pair_dataset(3).save_to_disk(str(root / "pickapic"))
    manager = make_user("mona")
    p = Project.objects.create(name="HF import", media_type="image", checklist_version=builtin("image"))
    Membership.objects.create(project=p, user=manager, role="manager")

    login(page, "mona")
    page.goto(f"/projects/{p.pk}/import/huggingface")
    expect(page.get_by_role("heading", name="Import from a Hugging Face dataset")).to_be_visible()
    page.get_by_label("Dataset id or local path").fill("generations")
    page.get_by_role("button", name="Preview").click()
    mapping = page.get_by_role("heading", name="Map the columns")
    expect(mapping).to_be_focused(timeout=60_000)
    expect(page.get_by_text("Local dataset · split train")).to_contain_text("4 rows · 4 columns")
    expect(page.get_by_label("Media", exact=True)).to_have_value("image")
    expect(page.get_by_label("Prompt", exact=True)).to_have_value("caption")
    expect(page.get_by_role("checkbox", name="seed")).to_be_checked()
    page.get_by_role("checkbox", name="model").uncheck()
    screenshot(page, "40-import-huggingface-mapping")
    check_accessibility(page, "the dataset import mapping")
    page.get_by_role("button", name="Start import").click()
    expect(page.get_by_role("heading", name="succeeded")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("status")).to_contain_text("4 rows: 3 assets, 1 failed")
    failures = page.get_by_role("table", name="Each failed row and why; the other rows were imported.")
    expect(failures.get_by_role("cell", name="2", exact=True)).to_be_visible()
    page.get_by_role("heading", name="Failed rows").scroll_into_view_if_needed()
    screenshot(page, "41-import-huggingface-done")
    check_accessibility(page, "the dataset import progress")
    ready = Asset.objects.filter(project=p, status=Asset.Status.READY).order_by("import_entry")
    assert [(a.prompt, a.metadata) for a in ready] == [
        ("prompt 0", {"seed": 0}),
        ("prompt 1", {"seed": 1}),
        ("prompt 3", {"seed": 3}),
    ]

    page.get_by_role("link", name="Preference pairs as rated pairs").click()
    expect(page.get_by_role("heading", name="Import rated pairs")).to_be_visible()
    page.get_by_label("Dataset id or local path").fill("pickapic")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_label("Media A")).to_have_value("jpg_0", timeout=30_000)
    expect(page.get_by_label("Preference", exact=True)).to_have_value("labels")
    screenshot(page, "42-import-pairs-mapping")
    page.get_by_role("button", name="Import rated pairs").click()
    expect(page.get_by_role("heading", name="succeeded")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("status")).to_contain_text("3 rows: 5 assets, 3 rated pairs, 0 failed")
    assert p.gold_answers.filter(source="imported").count() == 3
