"""Models, pre-fill and publishing in a real browser, with jobs run eagerly by the live server:
staff register a tiny random-weight model built on disk by the test, test-load it, make it the
project's model and pre-fill the project's assets (predictions counted); a manager publishes a
dataset version to a local server speaking the Hub's endpoints and reads its URL."""

from __future__ import annotations

import random

import pytest
from playwright.sync_api import expect

from annotator.models import Membership, Prediction, Project
from tests.e2e.fixtures import login, make_user, screenshot
from tests.e2e.test_review_manage import check_accessibility
from tests.factories import builtin
from tests.hub_server import WRITE_TOKEN, fake_hub_fixture
from tests.worker.preference_data import answer, random_options
from tests.worker.test_push_api import everything_stored
from worker.models import Job, ModelSpec
from worker.prefill import loading

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tiny_model(tmp_path):
    from tests.worker.tiny_models import ARCHITECTURES

    loading.clear_guessers()
    yield ARCHITECTURES["LLaVA-1.5"].build(tmp_path / "tiny-llava")  # random weights, built offline
    loading.clear_guessers()


@pytest.fixture
def fake_hub(settings, monkeypatch):
    hub = fake_hub_fixture(settings, monkeypatch)
    yield hub
    hub.stop()


def test_staff_register_test_load_and_prefill_with_the_tiny_model(page, add_asset, eager_jobs, tiny_model):
    admin = make_user("root", staff=True)
    p = Project.objects.create(name="Prefill demo", media_type="image", checklist_version=builtin("image"))
    Membership.objects.create(project=p, user=admin, role="manager")
    for n, prompt in enumerate(("a fox in the snow", "a lighthouse at dusk", "a red bicycle")):
        add_asset(p, f"test{1 + n % 2}.jpg", prompt)

    login(page, "root")
    page.goto(f"/projects/{p.pk}/manage")
    page.get_by_role("link", name="Models").click()
    expect(page.get_by_role("heading", name="Prefill demo: models and pre-fill")).to_be_visible()
    expect(page.get_by_text("No model is registered: register one.")).to_be_visible()

    page.get_by_role("button", name="Register a model").click()
    form = page.get_by_role("form", name="Register a model")
    form.get_by_label("Name", exact=True).fill("tiny-llava")
    form.get_by_label("Hub id or local path").fill(str(tiny_model))
    form.get_by_label("Weights dtype").select_option("float32")
    form.get_by_label("Device").select_option("cpu")
    form.get_by_label("Queue").select_option("default")
    form.get_by_label("Batch size").fill("0")
    form.get_by_role("button", name="Register model").click()
    expect(form.get_by_text("A whole number from 1 to 512.")).to_be_visible()
    expect(form.get_by_label("Batch size")).to_be_focused()
    form.get_by_label("Batch size").fill("8")
    form.get_by_role("button", name="Register model").click()
    expect(page.get_by_role("status").filter(has_text="Model tiny-llava is registered")).to_be_visible()
    row = page.get_by_test_id("model-tiny-llava")
    expect(row.get_by_text("never tested")).to_be_visible()
    spec = ModelSpec.objects.get(name="tiny-llava")
    assert (spec.source, spec.device, spec.dtype, spec.queue, spec.batch_size) == (
        str(tiny_model),
        "cpu",
        "float32",
        "default",
        8,
    )

    row.get_by_role("button", name="Test-load tiny-llava").click()
    expect(row.locator(".badge.job-succeeded", has_text="loads")).to_be_visible(timeout=60_000)
    expect(row.get_by_text("model tiny-llava loads in").first).to_be_visible()
    assert Job.objects.get(kind="model_check").result["ok"] is True

    page.get_by_label("Model", exact=True).select_option("tiny-llava")
    page.get_by_role("button", name="Use this model").click()
    expect(page.get_by_role("status").filter(has_text="tiny-llava is the project's model")).to_be_visible()
    expect(page.get_by_test_id("prediction-count")).to_have_text("Predictions by tiny-llava: 0")

    page.get_by_label("All ready assets (predict again)").check()
    page.get_by_role("button", name="Start pre-fill with tiny-llava").click()
    progress = page.get_by_test_id("prefill-progress")
    expect(progress.locator(".badge.job-succeeded")).to_be_visible(timeout=60_000)
    expect(progress.get_by_text("3 of 3")).to_be_visible()
    expect(page.get_by_test_id("prediction-count")).to_have_text("Predictions by tiny-llava: 3")
    recent = page.locator("section[aria-labelledby='recent-title']")
    expect(recent.get_by_text("3 predicted, 0 skipped, 0 failed")).to_be_visible()
    assert Prediction.objects.filter(asset__project=p, model_name="tiny-llava").count() == 3

    # again, new assets only: nothing to do
    page.get_by_label("New assets only (without a prediction of this model version)").check()
    page.get_by_role("button", name="Start pre-fill with tiny-llava").click()
    expect(recent.get_by_text("0 predicted, 3 skipped, 0 failed")).to_be_visible(timeout=60_000)
    assert Prediction.objects.filter(asset__project=p).count() == 3
    page.get_by_role("heading", name="Prefill demo: models and pre-fill").scroll_into_view_if_needed()
    screenshot(page, "models-prefill")
    check_accessibility(page, "the models and pre-fill screen")

    row.get_by_role("button", name="Edit tiny-llava").click()
    edit = page.get_by_role("form", name="Edit model tiny-llava")
    expect(edit.get_by_label("Name", exact=True)).to_have_value("tiny-llava")
    edit.get_by_label("Revision").fill("x" * 201)
    edit.get_by_role("button", name="Save changes").click()
    expect(edit.get_by_text("At most 200 characters.")).to_be_visible()
    edit.get_by_label("Revision").fill("")
    edit.get_by_label("Title").fill("Tiny LLaVA (random weights)")
    edit.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status").filter(has_text="Model tiny-llava is saved.")).to_be_visible()
    expect(row.get_by_text("Tiny LLaVA (random weights)")).to_be_visible()
    screenshot(page, "models-registry")


def test_manager_publishes_a_version_to_the_hub_with_a_token_for_that_push(
    page, add_asset, eager_jobs, fake_hub, settings
):
    settings.HF_TOKEN = ""
    manager, annotator = make_user("mona"), make_user("ann")
    p = Project.objects.create(name="Publish demo", media_type="image", checklist_version=builtin("image"))
    Membership.objects.create(project=p, user=manager, role="manager")
    Membership.objects.create(project=p, user=annotator, role="annotator")
    rng = random.Random(4)
    for n, prompt in enumerate(("a fox in the snow", "a lighthouse at dusk")):
        answer(add_asset(p, f"test{1 + n}.jpg", prompt), annotator, random_options(p.checklist_version.checklist, rng))

    login(page, "mona")
    page.goto(f"/datasets?project={p.pk}")
    form = page.get_by_role("form", name="New dataset version")
    form.get_by_label("Name", exact=True).fill("publish-demo")
    form.get_by_role("button", name="Start export").click()
    table = page.locator("section[aria-labelledby='versions-title']")
    expect(table.locator(".badge.state-ready").first).to_be_visible(timeout=30_000)
    table.get_by_role("button", name="publish-demo v1", exact=True).click()
    page.get_by_role("button", name="Publish publish-demo v1 to the Hub…").click()

    dialog = page.get_by_role("dialog", name="Publish publish-demo v1 to the Hub")
    expect(dialog.get_by_text(fake_hub.url)).to_be_visible()
    expect(dialog.get_by_label("Repository")).to_be_focused()
    dialog.get_by_label("Repository").fill("not a repo")
    dialog.get_by_role("button", name="Publish").click()
    expect(dialog.get_by_text("A Hub dataset repository as owner/name")).to_be_visible()
    expect(dialog.get_by_text("the server has no HF_TOKEN")).to_be_visible()

    wrong = "hf_notATokenTheHubKnows000000000000"
    dialog.get_by_label("Repository").fill("lab/publish-demo")
    dialog.get_by_label("Public").check()
    dialog.get_by_label("Access token").fill(wrong)
    dialog.get_by_role("button", name="Publish").click()
    expect(dialog.get_by_role("alert").filter(has_text="the Hub refused the token (401)")).to_be_visible(timeout=30_000)
    expect(dialog.get_by_label("Access token")).to_have_value("")

    dialog.get_by_label("Access token").fill(WRITE_TOKEN)
    dialog.get_by_role("button", name="Publish again").click()
    url = f"{fake_hub.url}/datasets/lab/publish-demo"
    link = dialog.get_by_test_id("publish-url").get_by_role("link", name=url)
    expect(link).to_be_visible(timeout=30_000)
    expect(dialog.get_by_test_id("publish-url")).to_contain_text("(public)")
    screenshot(page, "datasets-publish")
    check_accessibility(page, "the publish dialog")
    dialog.get_by_role("button", name="Close").click()
    expect(page.get_by_test_id("version-pushes").get_by_role("link", name="lab/publish-demo")).to_be_visible()

    repo = fake_hub.repos["lab/publish-demo"]
    assert repo.private is False and "README.md" in repo.files
    assert any(name.endswith(".parquet") for name in repo.files)
    stored = everything_stored()
    assert WRITE_TOKEN not in stored and wrong not in stored
