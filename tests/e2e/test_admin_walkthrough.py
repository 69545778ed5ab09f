"""The capstone walk-through: a new admin runs a project from nothing to a loaded dataset, in the
browser only (issue 16). Log in; New project from an uploaded checklist file; upload images with a
prompts manifest on the Assets screen; invite an annotator, who accepts the link in a second
browser and chooses a password; register the tiny model, test-load it, make it the project's model
and pre-fill; the annotator annotates every task (accepting the model's guesses with `a` on one);
the admin exports a dataset version, downloads its zip from the datasets screen, and the unpacked
download loads with `datasets`.

Outside the browser the test only makes the staff account, writes the files a lab would have on
disk (the checklist, the images and their manifest, the tiny model's folder), and finally reads the
download. Jobs run eagerly inside the request that starts them (the live server has no worker).
"""

from __future__ import annotations

import io
import json
import re
import time
import zipfile

import pytest
from playwright.sync_api import expect

from tests.e2e.fixtures import PASSWORD, VIEWPORT, login, make_user, screenshot
from tests.e2e.test_models_publish import tiny_model  # noqa: F401  (the model files on disk)
from tests.e2e.test_review_manage import check_accessibility

pytestmark = pytest.mark.django_db(transaction=True)

CHECKLIST = """\
key: harbour-photos
title: Harbour photos
media_type: image
dimensions:
  - key: alignment
    title: Alignment
    sub_dimensions:
      - key: subject
        title: Subject
        options:
          - {code: 1, label: as prompted}
          - {code: 0, label: partly}
          - {code: -1, label: missing}
        questions:
          - {key: subject_shown, text: "Does the image show the prompt's subject?", yes_if_at_least: 1}
          - {key: subject_partly, text: "Does the image show at least part of the subject?", yes_if_at_least: 0}
  - key: quality
    title: Quality
    sub_dimensions:
      - key: sharpness
        title: Sharpness
        options:
          - {code: 1, label: sharp}
          - {code: -1, label: blurry}
        questions:
          - {key: sharp, text: "Is the image sharp?", yes_if_at_least: 1}
"""
PROMPTS = {
    "harbour-1.jpg": "a fishing boat in a grey harbour",
    "harbour-2.jpg": "a lighthouse at dusk",
    "harbour-3.jpg": "gulls over a pier",
}
COLOURS = [(200, 40, 40), (40, 160, 60), (40, 60, 200)]
OPTION_CODES = {"subject": [1, 0, -1], "sharpness": [1, -1]}  # in the order the screen lists them
ANNOTATOR_PASSWORD = "harbour-annotator-pw-1"


def jpeg(colour: tuple[int, int, int], n: int) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (96, 64), colour)
    ImageDraw.Draw(img).rectangle((8 * n, 8, 8 * n + 30, 40), fill=(250, 250, 250))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=90)
    return buf.getvalue()


@pytest.fixture
def lab_files(tmp_path):
    """What the lab has on disk before it starts: its checklist, its images and their prompts."""
    folder = tmp_path / "lab"
    folder.mkdir()
    (folder / "harbour.yaml").write_text(CHECKLIST)
    images = []
    for n, (name, colour) in enumerate(zip(PROMPTS, COLOURS, strict=True)):
        (folder / name).write_bytes(jpeg(colour, n))
        images.append(folder / name)
    manifest = folder / "prompts.jsonl"
    manifest.write_text(
        "".join(json.dumps({"file": name, "prompt": prompt}) + "\n" for name, prompt in PROMPTS.items())
    )
    return folder, images, manifest


class Steps:
    """Numbered screenshots, walkthrough-NN-name.png, and the time each step took."""

    def __init__(self):
        self.n = 0
        self.start = self.last = time.monotonic()
        self.times: list[tuple[str, float]] = []

    def shot(self, page, name: str) -> None:
        self.n += 1
        screenshot(page, f"walkthrough-{self.n:02d}-{name}")
        now = time.monotonic()
        self.times.append((name, now - self.last))
        self.last = now


def next_step(page, title: str) -> None:
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=2, name=title)).to_be_focused()


def predicted_code(page, key: str) -> int:
    """The option the model guessed for a row (its radio is marked as the prediction)."""
    row = page.get_by_test_id(f"row-{key}")
    expect(row.locator("button.opt.predicted")).to_have_count(1)
    labels = row.get_by_role("radio").evaluate_all("(els) => els.map((e) => e.classList.contains('predicted'))")
    return OPTION_CODES[key][labels.index(True)]


def open_project_screen(page, project_name: str, link: str | None = None) -> None:
    """From the project list, through the project's statistics page (there with no ``link``),
    to one of its screens."""
    page.get_by_role("link", name="VisionReward Annotator").click()
    card = page.locator("li.project").filter(has=page.get_by_role("heading", name=project_name))
    card.get_by_role("link", name="Statistics").click()
    if link is not None:
        page.get_by_role("link", name=link, exact=True).click()


def test_a_new_admin_runs_a_project_from_checklist_to_loaded_dataset(
    page,
    browser,
    live_server,
    eager_jobs,
    lab_files,
    tiny_model,  # noqa: F811
    tmp_path,
    capsys,
):
    import datasets

    make_user("root", staff=True)
    folder, images, manifest = lab_files
    steps = Steps()

    # 1. log in
    page.goto("/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your projects")).to_be_visible()
    expect(page.get_by_text("No project yet: make the first one with New project.")).to_be_visible()
    steps.shot(page, "projects-empty")

    # 2. New project from the uploaded checklist file
    page.get_by_role("link", name="New project").click()
    page.get_by_label("Name", exact=True).fill("Harbour study")
    page.get_by_label("Description (optional)").fill("Photos of harbours, judged for subject and sharpness.")
    next_step(page, "Step 2 of 6: Media type")
    page.get_by_label("Images", exact=False).first.check()
    next_step(page, "Step 3 of 6: Checklist")
    page.get_by_label("Upload a YAML or JSON file").check()
    page.get_by_label("Checklist file").set_input_files(str(folder / "harbour.yaml"))
    preview = page.get_by_test_id("checklist-preview")
    expect(preview).to_contain_text("Harbour photos")
    expect(page.get_by_text("it becomes harbour-photos v1 when you confirm")).to_be_visible()
    steps.shot(page, "new-project-checklist")
    check_accessibility(page, "the new project form (checklist)")
    next_step(page, "Step 4 of 6: Overlap, lease and pairs")
    page.get_by_label("Overlap k: annotators per item").fill("1")
    next_step(page, "Step 5 of 6: Instructions")
    page.get_by_label("Instructions for annotators (Markdown)").fill(
        "Judge the **subject** against the prompt, then the sharpness."
    )
    next_step(page, "Step 6 of 6: Review")
    expect(page.get_by_test_id("review-values")).to_contain_text(
        "Harbour photos (harbour-photos v1, from harbour.yaml)"
    )
    steps.shot(page, "new-project-review")
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_role("heading", name="Settings: Harbour study")).to_be_visible()
    expect(page.get_by_text("Project “Harbour study” created")).to_be_visible()
    steps.shot(page, "project-created")
    check_accessibility(page, "the settings of the new project")

    # 3. upload the images with their prompts manifest on the Assets screen (the next step the note links)
    page.get_by_role("status").get_by_role("link", name="assets").click()
    expect(page.get_by_role("heading", name="Assets: Harbour study")).to_be_visible()
    expect(page.get_by_text("No assets yet")).to_be_visible()
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Choose files").click()
    chooser.value.set_files([str(path) for path in images] + [str(manifest)])
    summary = page.get_by_role("heading", name="Ready to upload: 3 files")
    expect(summary).to_contain_text("3 with a prompt from prompts.jsonl")
    steps.shot(page, "assets-ready")
    page.get_by_role("button", name="Upload 3 files").click()
    expect(page.get_by_role("status").filter(has_text="Finished: 3 imported, 0 failed")).to_be_visible(timeout=60_000)
    table = page.get_by_role("table", name="Assets 1 to 3 of 3")
    for name, prompt in PROMPTS.items():
        expect(table.get_by_role("row").filter(has_text=name)).to_contain_text(prompt)
    steps.shot(page, "assets-imported")
    check_accessibility(page, "the assets screen")

    # 4. invite an annotator; they accept the link in their own browser and choose a password
    open_project_screen(page, "Harbour study", "Members")
    expect(page.get_by_role("heading", name="Members: Harbour study")).to_be_visible()
    invite = page.get_by_role("form", name="Invite by e-mail")
    invite.get_by_label("E-mail address").fill("ann@harbour-lab.org")
    invite.get_by_label("Role").select_option("annotator")
    invite.get_by_role("button", name="Send invitation").click()
    link_box = page.get_by_label("Invitation link")
    expect(link_box).to_have_value(re.compile(r"/invitation#token="))
    invitation = link_box.input_value()
    steps.shot(page, "members-invited")
    check_accessibility(page, "the members screen")

    annotator_context = browser.new_context(viewport=VIEWPORT, base_url=live_server.url)
    annotator_context.set_default_timeout(15_000)
    ann = annotator_context.new_page()
    ann_errors: list[str] = []
    ann.on("pageerror", lambda exc: ann_errors.append(str(exc)))
    try:
        ann.goto(invitation)
        expect(ann.get_by_text("Invitation for")).to_contain_text("Harbour study")
        ann.get_by_label("Choose a username").fill("ann")
        ann.get_by_label("Choose a password").fill(ANNOTATOR_PASSWORD)
        steps.shot(ann, "invitation-accept")
        check_accessibility(ann, "the invitation screen")
        ann.get_by_role("button", name="Create my account").click()
        expect(ann.get_by_role("status")).to_contain_text("Your account ann is ready")
        login(ann, "ann", ANNOTATOR_PASSWORD)
        expect(ann.get_by_role("heading", name="Harbour study")).to_be_visible()

        page.reload()
        members = page.get_by_role("table", name="Members of this project")
        expect(members.get_by_test_id("member-ann").get_by_label("Role of ann")).to_have_value("annotator")
        steps.shot(page, "members-joined")

        # 5. register the tiny model, test-load it, make it the project's model, pre-fill
        open_project_screen(page, "Harbour study", "Models")
        expect(page.get_by_role("heading", name="Harbour study: models and pre-fill")).to_be_visible()
        page.get_by_role("button", name="Register a model").click()
        form = page.get_by_role("form", name="Register a model")
        form.get_by_label("Name", exact=True).fill("tiny-llava")
        form.get_by_label("Hub id or local path").fill(str(tiny_model))
        form.get_by_label("Weights dtype").select_option("float32")
        form.get_by_label("Device").select_option("cpu")
        steps.shot(page, "models-register")
        form.get_by_role("button", name="Register model").click()
        expect(page.get_by_role("status").filter(has_text="Model tiny-llava is registered")).to_be_visible()
        row = page.get_by_test_id("model-tiny-llava")
        row.get_by_role("button", name="Test-load tiny-llava").click()
        expect(row.locator(".badge.job-succeeded", has_text="loads")).to_be_visible(timeout=60_000)
        page.get_by_label("Model", exact=True).select_option("tiny-llava")
        page.get_by_role("button", name="Use this model").click()
        expect(page.get_by_role("status").filter(has_text="tiny-llava is the project's model")).to_be_visible()
        page.get_by_label("New assets only (without a prediction of this model version)").check()
        page.get_by_role("button", name="Start pre-fill with tiny-llava").click()
        progress = page.get_by_test_id("prefill-progress")
        expect(progress.locator(".badge.job-succeeded")).to_be_visible(timeout=60_000)
        expect(progress.get_by_text("3 of 3")).to_be_visible()
        expect(page.get_by_test_id("prediction-count")).to_have_text("Predictions by tiny-llava: 3")
        page.get_by_role("heading", name="Harbour study: models and pre-fill").scroll_into_view_if_needed()
        steps.shot(page, "models-prefilled")
        check_accessibility(page, "the models and pre-fill screen")

        # the pre-fill bar for `a`: a tiny random model is never 80 % sure, so the admin lowers it to 50 %
        open_project_screen(page, "Harbour study")
        page.get_by_label("Accept pre-fill from (% confidence)").fill("50")
        page.get_by_role("button", name="Save settings").click()
        expect(page.get_by_role("status").filter(has_text="Saved:")).to_be_visible()

        # 6. the annotator annotates every task, accepting the model's guesses on the first
        ann.get_by_role("link", name="VisionReward Annotator").click()
        ann.get_by_role("link", name="Start annotating").click()
        chosen: dict[str, dict[str, int]] = {}
        rows = ["subject", "sharpness"]
        for n in range(len(PROMPTS)):
            ann.get_by_test_id("annotate").wait_for()
            prompt = ann.get_by_test_id("prompt").inner_text().strip()
            assert prompt in PROMPTS.values() and prompt not in chosen
            expect(ann.get_by_text("Pre-filled by tiny-llava")).to_be_visible()
            if n == 0:
                guesses = {key: predicted_code(ann, key) for key in rows}
                ann.keyboard.press("a")  # the model's confident guesses (all, or those above the threshold)
                accepted = {
                    key: int(code)
                    for key in rows
                    if (code := ann.get_by_test_id(f"row-{key}").get_attribute("data-chosen"))
                }
                assert accepted == {key: guesses[key] for key in accepted}  # what `a` took is the model's
                # a two-option guess is always at least 50 % sure: `a` took that one at the project's bar
                assert "sharpness" in accepted, accepted
                steps.shot(ann, "annotate-prefill-accepted")
                check_accessibility(ann, "the annotate screen with a pre-fill")
            for key in rows:  # what the model left open (or every row, on the other tasks)
                item = ann.get_by_test_id(f"row-{key}")
                if not item.get_attribute("data-chosen"):
                    item.get_by_role("radio").nth(n % 2).click()
            for key in rows:
                expect(ann.get_by_test_id(f"row-{key}")).not_to_have_attribute("data-chosen", "")
            if n == 0:
                first_prompt = prompt
            chosen[prompt] = {key: int(ann.get_by_test_id(f"row-{key}").get_attribute("data-chosen")) for key in rows}
            expect(ann.get_by_test_id("answered-count")).to_have_text("2/2 answered")
            shown = ann.get_by_test_id("annotate").get_attribute("data-assignment-id")
            ann.keyboard.press("Enter")
            ann.wait_for_function(  # the next task, or the end of the queue
                "(shown) => document.querySelector('[data-testid=annotate]')?.dataset.assignmentId !== shown",
                arg=shown,
            )
        expect(ann.get_by_test_id("no-more-tasks")).to_be_visible()
        ann.wait_for_function("() => (JSON.parse(localStorage.getItem('vr.outbox') || '[]')).length === 0")
        steps.shot(ann, "annotate-done")
        assert not ann_errors, f"uncaught errors in the annotator's page: {ann_errors}"
    finally:
        annotator_context.close()

    # 7. export a dataset version, wait for it, download the zip from the page
    page.get_by_role("link", name="VisionReward Annotator").click()
    card = page.locator("li.project").filter(has=page.get_by_role("heading", name="Harbour study"))
    card.get_by_role("link", name="Datasets").click()
    expect(page.get_by_role("heading", name="Datasets", level=1)).to_be_visible()
    form = page.get_by_role("form", name="New dataset version")
    form.get_by_label("Name", exact=True).fill("harbour-study")
    form.get_by_role("button", name="Start export").click()
    versions = page.locator("section[aria-labelledby='versions-title']")
    expect(versions.locator(".badge.state-ready").first).to_be_visible(timeout=60_000)
    versions.get_by_role("button", name="Prepare zip of harbour-study v1").click()  # the archive job
    with page.expect_download() as download:
        versions.get_by_role("link", name="zip of harbour-study v1").click()
    assert download.value.suggested_filename == "harbour-study-v1.zip"
    versions.scroll_into_view_if_needed()
    archive = tmp_path / "download.zip"
    download.value.save_as(archive)
    steps.shot(page, "datasets-exported")
    check_accessibility(page, "the datasets screen")

    # 8. the unpacked download loads with `datasets`: a row per annotated image, its prompt and answers
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(archive) as z:
        z.extractall(unpacked)
    loaded = datasets.load_dataset(str(unpacked / "harbour-study-v1"), cache_dir=str(tmp_path / "hf-cache"))
    rows_out = [row for split in loaded.values() for row in split]
    assert len(rows_out) == len(PROMPTS)
    assert {row["prompt"] for row in rows_out} == set(PROMPTS.values())
    for row in rows_out:
        options = chosen[row["prompt"]]
        assert row["options"] == options, row["prompt"]
        # the questions in checklist order: subject_shown, subject_partly, sharp
        assert row["answers"] == [
            int(options["subject"] >= 1),
            int(options["subject"] >= 0),
            int(options["sharpness"] >= 1),
        ]
        assert row["mask"] == [1, 1, 1]
        assert row["image"].size == (96, 64)
    first = next(row for row in rows_out if row["prompt"] == first_prompt)
    assert {key: first["options"][key] for key in accepted} == accepted  # the accepted guesses were exported

    with capsys.disabled():
        total = time.monotonic() - steps.start
        print(f"\nwalk-through: {total:.1f} s; " + ", ".join(f"{name} {t:.1f}" for name, t in steps.times))
