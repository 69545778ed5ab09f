"""A manager uploads media on the Assets screen in a real browser: several images, a manifest
with their prompts and one corrupt file, dropped on the drop zone. Each file's upload progress
and the import job show; the corrupt file is listed with its reason; Retry sends just the files
that failed (after a dropped connection, all of them; then the corrupt one alone, which fails
again for the same reason); the assets appear in the table with their prompts."""

from __future__ import annotations

import base64
import json

import pytest
from playwright.sync_api import expect

from annotator.models import Asset, Membership, Project
from tests.e2e.fixtures import SAMPLES, login, make_user, screenshot
from tests.e2e.test_review_manage import check_accessibility
from tests.factories import builtin
from worker.models import Job

pytestmark = pytest.mark.django_db(transaction=True)

PROMPTS = {"test1.jpg": "a red fox in the snow", "test2.jpg": "a lighthouse at dusk", "broken.jpg": "never seen"}

DROP = """
async ({files}) => {
  const dt = new DataTransfer();
  for (const f of files) {
    const bytes = Uint8Array.from(atob(f.data), (c) => c.charCodeAt(0));
    dt.items.add(new File([bytes], f.name, {type: f.type}));
  }
  const zone = document.querySelector('[data-testid="drop-zone"]');
  for (const type of ['dragenter', 'dragover', 'drop']) {
    zone.dispatchEvent(new DragEvent(type, {dataTransfer: dt, bubbles: true, cancelable: true}));
  }
}
"""


def _file(name: str, data: bytes, type_: str) -> dict:
    return {"name": name, "data": base64.b64encode(data).decode(), "type": type_}


def test_manager_drops_images_with_a_manifest_and_retries_the_failed_file(page, eager_jobs, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    manager = make_user("mona")
    p = Project.objects.create(name="Upload demo", media_type="image", checklist_version=builtin("image"))
    Membership.objects.create(project=p, user=manager, role="manager")
    manifest = "\n".join(json.dumps({"file": name, "prompt": prompt}) for name, prompt in PROMPTS.items()) + "\n"
    files = [
        _file("test1.jpg", (SAMPLES / "test1.jpg").read_bytes(), "image/jpeg"),
        _file("test2.jpg", (SAMPLES / "test2.jpg").read_bytes(), "image/jpeg"),
        _file("broken.jpg", b"\xff\xd8\xff\xe0 this is not really a jpeg" * 20, "image/jpeg"),
        _file("prompts.jsonl", manifest.encode(), "application/jsonl"),
    ]

    login(page, "mona")
    page.goto(f"/projects/{p.pk}/manage")
    page.get_by_role("link", name="Assets").click()
    expect(page.get_by_role("heading", name="Assets: Upload demo")).to_be_visible()
    expect(page.get_by_role("link", name="A Hugging Face dataset")).to_have_attribute(
        "href", f"/projects/{p.pk}/import/huggingface"
    )
    expect(page.get_by_role("link", name="A Label Studio export")).to_be_visible()
    expect(page.get_by_text("No assets yet")).to_be_visible()

    page.evaluate(DROP, {"files": files})
    summary = page.get_by_role("heading", name="Ready to upload: 3 files")
    expect(summary).to_contain_text("3 with a prompt from prompts.jsonl")
    expect(summary).to_be_focused()
    rows = page.get_by_test_id("upload-row")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="test1.jpg")).to_contain_text("a red fox in the snow")
    screenshot(page, "assets-ready-to-upload")
    check_accessibility(page, "the assets screen, files chosen")

    # the first attempt loses its connection: every file fails and can be sent again
    page.route("**/api/projects/*/imports/", lambda route: route.abort())
    page.get_by_role("button", name="Upload 3 files").click()
    expect(page.get_by_role("button", name="Retry 3 failed files")).to_be_visible()
    expect(page.get_by_role("list", name="Failed files")).to_contain_text("cannot be reached")
    assert not Job.objects.exists()
    page.unroute("**/api/projects/*/imports/")

    page.get_by_role("button", name="Retry 3 failed files").click()
    expect(page.get_by_role("status").filter(has_text="Finished: 2 imported, 1 failed")).to_be_visible(timeout=30_000)
    for name in ("test1.jpg", "test2.jpg", "broken.jpg"):  # every file's upload bar is full
        bar = page.get_by_role("progressbar", name=f"Upload of {name}")
        expect(bar).to_have_attribute("value", bar.get_attribute("max"))
    expect(rows.filter(has_text="test1.jpg")).to_contain_text("imported")
    failed = page.get_by_role("list", name="Failed files")
    expect(failed).to_contain_text("broken.jpg")
    reason = Asset.objects.get(original_name="broken.jpg").failure_reason
    assert reason
    expect(failed).to_contain_text(reason)
    first_job = Job.objects.get()
    expect(page.get_by_role("list", name="Import jobs of this upload")).to_contain_text(f"Import job #{first_job.pk}")
    table = page.get_by_role("table", name="Assets 1 to 3 of 3")
    expect(table.get_by_role("row").filter(has_text="test1.jpg")).to_contain_text("a red fox in the snow")
    expect(table.get_by_role("row").filter(has_text="broken.jpg")).to_contain_text(reason)
    screenshot(page, "assets-imported")
    table.scroll_into_view_if_needed()
    screenshot(page, "assets-table")
    check_accessibility(page, "the assets screen, after an import")

    # Retry sends the corrupt file alone, in a new import job; it fails again for the same reason
    page.get_by_role("button", name="Retry 1 failed file").click()
    expect(page.get_by_role("list", name="Import jobs of this upload")).to_contain_text("Import job #", timeout=30_000)
    expect(page.get_by_role("status").filter(has_text="Finished: 2 imported, 1 failed")).to_be_visible(timeout=30_000)
    second_job = Job.objects.exclude(pk=first_job.pk).get()
    assert second_job.params["entry_count"] == 1 and second_job.params["entries"][0]["original_name"] == "broken.jpg"
    assert second_job.params["entries"][0]["prompt"] == "never seen"  # its manifest row went with it
    expect(page.get_by_role("table", name="Assets 1 to 4 of 4")).to_be_visible()

    page.get_by_label("Status").select_option("ready")
    ready = page.get_by_role("table", name="Assets 1 to 2 of 2")
    expect(ready.get_by_role("row").filter(has_text="test2.jpg")).to_contain_text("a lighthouse at dusk")
    assert set(Asset.objects.filter(status="ready").values_list("original_name", "prompt")) == {
        ("test1.jpg", "a red fox in the snow"),
        ("test2.jpg", "a lighthouse at dusk"),
    }


def test_manager_chooses_a_tar_gz_with_its_manifest_inside(page, eager_jobs, settings, tmp_path):
    """A .tar.gz is read in the browser into its files (the API takes zips): its entries are sent
    with their paths, and the manifest inside it gives them their prompts."""
    import io
    import tarfile

    settings.MEDIA_ROOT = tmp_path / "media"
    manager = make_user("mona")
    p = Project.objects.create(name="Tar demo", media_type="image", checklist_version=builtin("image"))
    Membership.objects.create(project=p, user=manager, role="manager")
    buf = io.BytesIO()
    rows = [{"file": "cats/test1.jpg", "prompt": "a cat photo"}, {"file": "test2.jpg", "prompt": "a second photo"}]
    members = {
        "batch/cats/test1.jpg": (SAMPLES / "test1.jpg").read_bytes(),
        "batch/test2.jpg": (SAMPLES / "test2.jpg").read_bytes(),
        "batch/manifest.jsonl": "".join(json.dumps(r) + "\n" for r in rows).encode(),
    }
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("batch/link.jpg")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tar.addfile(link)
    archive = tmp_path / "batch.tar.gz"
    archive.write_bytes(buf.getvalue())

    login(page, "mona")
    page.goto(f"/projects/{p.pk}/assets")
    page.get_by_test_id("files-input").set_input_files(str(archive))
    expect(page.get_by_role("heading", name="Ready to upload: 2 files")).to_contain_text(
        "2 with a prompt from batch/manifest.jsonl"
    )
    page.get_by_text("1 file not sent").click()
    expect(page.get_by_text("batch/link.jpg: not a regular file in batch.tar.gz")).to_be_visible()
    page.get_by_role("button", name="Upload 2 files").click()
    expect(page.get_by_role("status").filter(has_text="Finished: 2 imported, 0 failed")).to_be_visible(timeout=30_000)
    assert set(Asset.objects.values_list("original_name", "prompt", "status")) == {
        ("cats/test1.jpg", "a cat photo", "ready"),
        ("test2.jpg", "a second photo", "ready"),
    }
    table = page.get_by_role("table", name="Assets 1 to 2 of 2")
    expect(table.get_by_role("row").filter(has_text="cats/test1.jpg")).to_contain_text("a cat photo")
