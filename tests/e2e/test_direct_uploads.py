"""With VR_STORAGE=s3 (the real moto server) a manager uploads a large image on the Assets
screen: it goes from the browser straight to the bucket as a multipart upload, never through the
web server. The connection to the bucket drops for part 2 (every try): the file fails with the
reason, Retry sends just that part (the upload resumes), the server completes it, one import call
names the upload, and the asset is ready with the file's bytes."""

from __future__ import annotations

import copy
import hashlib

import pytest
from playwright.sync_api import expect

from annotator.models import Asset, Membership, Project
from tests.e2e.fixtures import login, make_user, screenshot
from tests.factories import builtin
from tests.worker.test_direct_uploads import MiB, noise_png
from worker.models import Job, Upload

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_large_file_goes_to_the_bucket_resumes_after_a_drop_and_is_imported(
    page, eager_jobs, s3_storage, settings, tmp_path
):
    settings.VR_S3_PART_BYTES = 5 * MiB
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["connect-src"] = [*policy["DIRECTIVES"]["connect-src"], s3_storage.server.endpoint]
    settings.CONTENT_SECURITY_POLICY = policy
    manager = make_user("mona")
    p = Project.objects.create(name="Big files", media_type="image", checklist_version=builtin("image"))
    Membership.objects.create(project=p, user=manager, role="manager")
    data = noise_png(7 * MiB)  # two parts
    path = tmp_path / "ocean.png"
    path.write_bytes(data)

    login(page, "mona")
    page.goto(f"/projects/{p.pk}/assets")
    expect(page.get_by_role("heading", name="Assets: Big files")).to_be_visible()
    through_web = []
    page.on("request", lambda r: through_web.append(r.url) if "/imports/" in r.url and r.method == "POST" else None)
    page.route(lambda url: "partNumber=2" in url, lambda route: route.abort())
    page.get_by_test_id("files-input").set_input_files(str(path))
    page.get_by_role("button", name="Upload 1 file").click()
    failed = page.get_by_role("list", name="Failed files")
    expect(failed).to_contain_text("ocean.png: part 2 of 2 could not be sent", timeout=30_000)
    upload = Upload.objects.get()
    assert upload.state == Upload.State.CREATED and not Job.objects.exists() and through_web == []
    screenshot(page, "direct-upload-failed-part")

    page.unroute_all()
    parts = []
    page.on("request", lambda r: parts.append(r.url) if "partNumber=" in r.url and r.method == "PUT" else None)
    page.get_by_role("button", name="Retry 1 failed file").click()
    expect(page.get_by_role("status").filter(has_text="Finished: 1 imported, 0 failed")).to_be_visible(timeout=60_000)
    assert len(parts) == 1 and "partNumber=2" in parts[0]  # resumed: part 1 was not sent again
    upload.refresh_from_db()
    assert upload.state == Upload.State.IMPORTED and Upload.objects.count() == 1
    asset = Asset.objects.get(project=p)
    assert asset.status == Asset.Status.READY and asset.original_name == "ocean.png"
    assert asset.sha256 == hashlib.sha256(data).hexdigest()
    assert len(through_web) == 1  # the import call, which names the upload (no file in it)
    expect(page.get_by_role("table", name="Assets 1 to 1 of 1")).to_contain_text("ocean.png")
    screenshot(page, "direct-upload-imported")
