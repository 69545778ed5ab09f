"""A manager imports the images under an S3 prefix from the import screen: the objects are read
where they are (the real moto server), a damaged one fails alone with its reason, and a bucket the
admin did not allow is refused beside the field."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from annotator.models import Asset, Membership, Project
from tests.e2e.fixtures import login, make_user, screenshot
from tests.factories import builtin
from tests.worker.conftest import jpeg_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_manager_imports_an_s3_prefix_from_the_import_screen(page, eager_jobs, s3_storage, settings):
    source = f"lab-media-{uuid.uuid4().hex[:8]}"
    client = s3_storage.server.client()
    client.create_bucket(Bucket=source)
    client.put_object(Bucket=source, Key="gen/2026/cat.jpg", Body=jpeg_bytes(color=(10, 200, 30)))
    client.put_object(Bucket=source, Key="gen/2026/dog.jpg", Body=jpeg_bytes(color=(200, 20, 30)))
    client.put_object(Bucket=source, Key="gen/2026/broken.png", Body=b"not a png at all")
    client.put_object(Bucket=source, Key="gen/2026/notes.txt", Body=b"skipped: not media")
    settings.VR_IMPORT_BUCKETS = [f"{source}/gen"]
    manager = make_user("mona")
    project = Project.objects.create(name="Bucket", media_type="image", checklist_version=builtin("image"))
    Membership.objects.create(project=project, user=manager, role="manager")

    login(page, "mona")
    page.goto(f"/projects/{project.pk}/import/label-studio")
    section = page.locator("#s3-bucket")
    expect(section.get_by_role("heading", name="Import from an S3 bucket")).to_be_visible()
    section.get_by_label("S3 prefix").fill("s3://someone-else/photos/")
    section.get_by_role("button", name="Import from the bucket").click()
    expect(section).to_contain_text("bucket `someone-else` is not in VR_IMPORT_BUCKETS")
    assert not Asset.objects.exists()

    section.get_by_label("S3 prefix").fill(f"s3://{source}/gen/2026/")
    section.get_by_role("button", name="Import from the bucket").click()
    expect(page.get_by_role("status").filter(has_text="Finished: 2 imported, 1 failed")).to_be_visible(timeout=60_000)
    screenshot(page, "import-s3-bucket")
    ready = Asset.objects.filter(project=project, status=Asset.Status.READY)
    assert sorted(a.original_name for a in ready) == ["cat.jpg", "dog.jpg"]
    failed = Asset.objects.get(project=project, status=Asset.Status.FAILED)
    assert failed.original_name == "broken.png" and failed.failure_reason
    assert all(key.startswith("media/") for key in s3_storage.keys())  # the platform's own bucket
