"""Direct uploads: a browser's multipart upload straight to the bucket (the real moto S3 server,
parts PUT with httpx to the presigned URLs as a browser would), resumed after a dropped
connection, completed, then imported; refusals; the filesystem backend's 409; abort; the sweep."""

from __future__ import annotations

import hashlib
import io
import json
import os
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from annotator.models import Asset, Membership
from tests import factories as f
from worker.imports import job as importing
from worker.imports import uploads
from worker.models import Job, Upload

from .conftest import png_bytes

pytestmark = pytest.mark.django_db

MiB = 1024 * 1024


@pytest.fixture
def s3(s3_storage, settings):
    settings.VR_S3_PART_BYTES = 5 * MiB
    return s3_storage


def noise_png(size_bytes: int) -> bytes:
    """A PNG of random pixels of about ``size_bytes`` (random pixels do not compress)."""
    from PIL import Image

    side = int((size_bytes / 3) ** 0.5) + 1
    buf = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buf, "PNG", compress_level=1)
    return buf.getvalue()


@pytest.fixture(scope="module")
def big_png() -> bytes:
    data = noise_png(12 * MiB)
    assert 10 * MiB < len(data) <= 15 * MiB
    return data


def uploads_url(project, *rest) -> str:
    return "/".join([f"/api/projects/{project.pk}/uploads", *rest, ""])


def create(client, project, name: str, data: bytes, **extra):
    return client.post(uploads_url(project), {"filename": name, "size_bytes": len(data), **extra}, format="json")


def put_part(upload: dict, number: int, data: bytes) -> httpx.Response:
    size = upload["part_bytes"]
    url = next(p["url"] for p in upload["parts"] if p["number"] == number)
    response = httpx.put(url, content=data[(number - 1) * size : number * size])
    assert response.status_code == 200, response.text
    return response


def test_storage_answers_the_backend_and_the_upload_limits(manager_api, settings):
    body = manager_api.get("/api/storage/").json()
    assert body == {
        "backend": "filesystem",
        "direct_uploads": False,
        "part_bytes": settings.VR_S3_PART_BYTES,
        "max_upload_bytes": settings.VR_MAX_ASSET_BYTES,
    }
    assert f.api().get("/api/storage/").status_code in (401, 403)


def test_storage_on_s3_offers_direct_uploads(manager_api, s3):
    body = manager_api.get("/api/storage/").json()
    assert body["backend"] == "s3" and body["direct_uploads"] is True and body["part_bytes"] == 5 * MiB


def test_on_the_filesystem_direct_uploads_answer_409(manager_api, image_project):
    response = create(manager_api, image_project, "a.png", b"x" * 10)
    assert response.status_code == 409
    assert response.json()["detail"] == "direct uploads need VR_STORAGE=s3; send the files to /imports/"
    assert not Upload.objects.exists()


def test_a_dropped_upload_resumes_completes_and_imports(
    eager, manager_api, image_project, s3, big_png, django_capture_on_commit_callbacks
):
    response = create(manager_api, image_project, "shoot/big noise.png", big_png, content_type="image/png")
    assert response.status_code == 201, response.content
    upload = response.json()
    assert upload["state"] == "created" and upload["part_bytes"] == 5 * MiB and upload["part_count"] == 3
    assert [p["number"] for p in upload["parts"]] == [1, 2, 3]
    row = Upload.objects.get(public_id=upload["id"])
    assert row.object_name == f"uploads/{image_project.pk}/{upload['id']}/big_noise.png"
    assert row.filename == "shoot/big noise.png" and row.content_type == "image/png"

    put_part(upload, 1, big_png)  # ... and the connection drops
    again = manager_api.get(uploads_url(image_project, upload["id"])).json()
    assert again["parts_done"] == [{"number": 1, "size": 5 * MiB}]
    assert [p["number"] for p in again["parts"]] == [2, 3]  # fresh URLs for the missing parts only
    put_part(again, 2, big_png)
    put_part(again, 3, big_png)

    done = manager_api.post(uploads_url(image_project, upload["id"], "complete"))
    assert done.status_code == 200, done.content
    assert done.json()["state"] == "complete" and done.json()["parts"] == []
    assert s3.read(f"media/{row.object_name}") == big_png
    repeated = manager_api.post(uploads_url(image_project, upload["id"], "complete"))
    assert repeated.status_code == 200 and repeated.json()["state"] == "complete"

    with django_capture_on_commit_callbacks(execute=True):
        started = manager_api.post(
            f"/api/projects/{image_project.pk}/imports/", {"uploads": [upload["id"]]}, format="json"
        )
    assert started.status_code == 202, started.content
    job = Job.objects.get(pk=started.json()["id"])
    assert job.state == Job.State.SUCCEEDED, (job.error, job.log)
    asset = Asset.objects.get(import_job_id=job.pk)
    assert asset.status == Asset.Status.READY and asset.original_name == "shoot/big noise.png"
    assert asset.sha256 == hashlib.sha256(big_png).hexdigest() and asset.size_bytes == len(big_png)
    row.refresh_from_db()
    assert row.state == Upload.State.IMPORTED and row.import_job_id == job.pk

    twice = manager_api.post(f"/api/projects/{image_project.pk}/imports/", {"uploads": [upload["id"]]}, format="json")
    assert twice.status_code == 400
    assert f"upload `{upload['id']}` is already imported" in twice.json()["detail"]


def test_complete_with_a_missing_part_answers_400_naming_it(manager_api, image_project, s3, big_png):
    upload = create(manager_api, image_project, "big.png", big_png).json()
    put_part(upload, 1, big_png)
    put_part(upload, 3, big_png)
    response = manager_api.post(uploads_url(image_project, upload["id"], "complete"))
    assert response.status_code == 400
    body = response.json()
    assert body["errors"]["parts"] == ["1 of 3 part(s) are not uploaded: part(s) 2"]
    assert "part(s) 2" in body["detail"]
    assert Upload.objects.get(public_id=upload["id"]).state == Upload.State.CREATED
    assert s3.keys("media/uploads/") == []  # nothing completed


def test_a_short_part_is_named(manager_api, image_project, s3, big_png):
    upload = create(manager_api, image_project, "big.png", big_png).json()
    put_part(upload, 1, big_png)
    put_part(upload, 2, big_png)
    url = upload["parts"][2]["url"]
    assert httpx.put(url, content=b"too short").status_code == 200
    response = manager_api.post(uploads_url(image_project, upload["id"], "complete"))
    assert response.status_code == 400
    want = len(big_png) - 10 * MiB
    assert response.json()["errors"]["parts"] == [f"part 3 holds 9 bytes, expected {want}"]


def test_uploads_of_another_project_are_not_found(people, manager_api, image_project, s3):
    other = f.project(name="other", members={people["manager"]: Membership.Role.MANAGER})
    upload = create(manager_api, image_project, "a.png", png_bytes()).json()
    assert manager_api.get(uploads_url(other, upload["id"])).status_code == 404
    assert manager_api.post(uploads_url(other, upload["id"], "complete")).status_code == 404
    assert manager_api.delete(uploads_url(other, upload["id"])).status_code == 404
    assert manager_api.get(uploads_url(image_project, "not-a-uuid")).status_code == 404
    response = manager_api.post(f"/api/projects/{other.pk}/imports/", {"uploads": [upload["id"]]}, format="json")
    assert response.status_code == 400
    assert f"upload `{upload['id']}` is not an upload of this project" in response.json()["detail"]
    assert not Job.objects.exists()


def test_only_managers_upload(people, image_project, s3):
    for name, code in (("researcher", 403), ("annotator", 403), ("outsider", 404)):
        assert create(f.api(people[name]), image_project, "a.png", b"x").status_code == code, name
    assert create(f.api(people["staff"]), image_project, "a.png", b"x").status_code == 201
    assert Upload.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"filename": "notes.txt", "size_bytes": 10}, "filename", "is not an image or a video by its extension"),
        ({"filename": "../a.png", "size_bytes": 10}, "filename", "must not contain `..`"),
        ({"filename": "/etc/a.png", "size_bytes": 10}, "filename", "must be relative"),
        ({"filename": "a\x00.png", "size_bytes": 10}, "filename", "NUL"),
        ({"filename": "a" * 501 + ".png", "size_bytes": 10}, "filename", "longer than 500"),
        ({"size_bytes": 10}, "filename", "is required"),
        ({"filename": "a.png"}, "size_bytes", "is required"),
        ({"filename": "a.png", "size_bytes": 0}, "size_bytes", "the file is empty"),
        ({"filename": "a.png", "size_bytes": "10"}, "size_bytes", "whole number"),
        ({"filename": "a.png", "size_bytes": 10, "color": "red"}, "color", "unknown field"),
    ],
)
def test_bad_uploads_answer_400_naming_the_field(manager_api, image_project, s3, body, field, message):
    response = manager_api.post(uploads_url(image_project), body, format="json")
    assert response.status_code == 400, response.content
    assert any(message in m for m in response.json()["errors"][field]), response.json()
    assert not Upload.objects.exists()
    assert s3.server.client().list_multipart_uploads(Bucket=s3.bucket).get("Uploads", []) == []


def test_a_file_over_the_import_limit_is_refused(manager_api, image_project, s3, settings):
    settings.VR_MAX_ASSET_BYTES = 1000
    response = manager_api.post(uploads_url(image_project), {"filename": "a.png", "size_bytes": 1001}, format="json")
    assert response.status_code == 400
    assert "over the import limit of 1000 bytes" in response.json()["errors"]["size_bytes"][0]


def test_the_object_name_is_a_safe_name():
    assert uploads.safe_name("shoot/Été à Paris (1).JPG") == "Ete_a_Paris_1.jpg"
    assert uploads.safe_name("..\\..\\evil.png") == "evil.png"
    assert uploads.safe_name(".png") == "file.png"
    assert len(uploads.safe_name("x" * 400 + ".webm")) == 150


def test_imports_refuse_uploads_not_complete_and_unknown_ids(manager_api, image_project, s3):
    upload = create(manager_api, image_project, "a.png", png_bytes()).json()
    url = f"/api/projects/{image_project.pk}/imports/"
    response = manager_api.post(url, {"uploads": [upload["id"], "nope", upload["id"]]}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]["uploads"]
    assert errors == [
        f"upload `{upload['id']}` is created, not complete; complete it first",
        "upload `nope` is not an upload of this project",
        f"upload `{upload['id']}` is listed twice",
    ]
    assert manager_api.post(url, {"uploads": []}, format="json").json()["errors"]["uploads"] == [
        "send at least one upload id"
    ]
    assert not Job.objects.exists()


def test_an_upload_with_files_is_refused(manager_api, image_project, s3):
    from .conftest import upload as file_upload

    response = manager_api.post(
        f"/api/projects/{image_project.pk}/imports/",
        {"uploads": ["x"], "files": [file_upload("a.png", png_bytes())]},
        format="multipart",
    )
    assert response.status_code == 400 and "send completed uploads alone" in response.json()["detail"]


def small_complete_upload(client, project, name: str, data: bytes) -> dict:
    upload = create(client, project, name, data).json()
    put_part(upload, 1, data)
    done = client.post(uploads_url(project, upload["id"], "complete"))
    assert done.status_code == 200, done.content
    return done.json()


def test_a_manifest_matches_uploads_by_file_name(people, manager_api, image_project, s3, monkeypatch):
    """The plan the import job gets: stored sources named by the upload's filename, prompts and
    metadata from the manifest, uploads no row names ignored (and left complete)."""
    a = small_complete_upload(manager_api, image_project, "cats/a.png", png_bytes())
    b = small_complete_upload(manager_api, image_project, "b.png", png_bytes())
    manifest = io.BytesIO(json.dumps({"file": "cats/a.png", "prompt": "a cat", "metadata": {"k": 1}}).encode())
    manifest.name = "m.jsonl"
    planned = uploads.plan_uploads(image_project, people["manager"], [a["id"], b["id"]], [manifest])
    [entry] = planned.plan.entries
    assert entry.source.origin == "stored" and entry.source.name == "cats/a.png"
    assert entry.source.stored == Upload.objects.get(public_id=a["id"]).object_name
    assert (entry.prompt, entry.metadata) == ("a cat", {"k": 1})
    assert planned.plan.ignored == ["b.png"] and [u.public_id for u in planned.uploads] == [
        Upload.objects.get(public_id=a["id"]).public_id
    ]
    bad = io.BytesIO(b'{"file": "c.png"}\n')
    bad.name = "m.jsonl"
    with pytest.raises(importing.ImportValidationError) as refused:
        uploads.plan_uploads(image_project, people["manager"], [a["id"]], [bad])
    assert refused.value.errors["manifest"] == ["manifest line 1: `c.png` is not among the uploads"]


def test_abort_deletes_the_parts_and_the_upload_cannot_be_completed(manager_api, image_project, s3, big_png):
    upload = create(manager_api, image_project, "big.png", big_png).json()
    put_part(upload, 1, big_png)
    client = s3.server.client()
    assert len(client.list_multipart_uploads(Bucket=s3.bucket).get("Uploads", [])) == 1
    assert manager_api.delete(uploads_url(image_project, upload["id"])).status_code == 204
    assert client.list_multipart_uploads(Bucket=s3.bucket).get("Uploads", []) == []
    assert manager_api.get(uploads_url(image_project, upload["id"])).json()["state"] == "aborted"
    response = manager_api.post(uploads_url(image_project, upload["id"], "complete"))
    assert response.status_code == 400 and "was aborted; start a new upload" in response.json()["detail"]
    assert manager_api.delete(uploads_url(image_project, upload["id"])).status_code == 204  # again: nothing to do
    assert httpx.put(upload["parts"][1]["url"], content=b"late").status_code >= 400  # no such upload


def test_aborting_a_completed_upload_deletes_its_object(manager_api, image_project, s3):
    upload = small_complete_upload(manager_api, image_project, "a.png", png_bytes())
    assert len(s3.keys("media/uploads/")) == 1
    assert manager_api.delete(uploads_url(image_project, upload["id"])).status_code == 204
    assert s3.keys("media/uploads/") == []


def test_the_sweep_aborts_abandoned_uploads(manager_api, image_project, s3, big_png, settings):
    settings.VR_UPLOAD_ABANDON_HOURS = 24
    old = create(manager_api, image_project, "old.png", big_png).json()
    put_part(old, 1, big_png)
    fresh = create(manager_api, image_project, "fresh.png", big_png).json()
    Upload.objects.filter(public_id=old["id"]).update(created_at=timezone.now() - timedelta(hours=25))
    from worker.imports.tasks import sweep_imports

    removed = sweep_imports()
    assert removed == [Upload.objects.get(public_id=old["id"]).object_name]
    assert Upload.objects.get(public_id=old["id"]).state == Upload.State.ABORTED
    assert Upload.objects.get(public_id=fresh["id"]).state == Upload.State.CREATED
    left = s3.server.client().list_multipart_uploads(Bucket=s3.bucket).get("Uploads", [])
    assert [u["Key"] for u in left] == [f"media/{Upload.objects.get(public_id=fresh['id']).object_name}"]
    assert sweep_imports() == []


def test_the_sweep_does_nothing_on_the_filesystem(db):
    assert uploads.abandon_stale() == []


def test_an_upload_the_bucket_no_longer_knows_is_settled_when_read(manager_api, image_project, s3):
    """A multipart upload aborted by the bucket (a lifecycle rule) reads as aborted; one completed
    by a request whose answer was lost reads as complete."""
    data = png_bytes()
    client = s3.server.client()
    gone = create(manager_api, image_project, "gone.png", data).json()
    row = Upload.objects.get(public_id=gone["id"])
    client.abort_multipart_upload(Bucket=s3.bucket, Key=f"media/{row.object_name}", UploadId=row.s3_upload_id)
    assert manager_api.get(uploads_url(image_project, gone["id"])).json()["state"] == "aborted"

    whole = create(manager_api, image_project, "whole.png", data).json()
    put_part(whole, 1, data)
    row = Upload.objects.get(public_id=whole["id"])
    etag = client.list_parts(Bucket=s3.bucket, Key=f"media/{row.object_name}", UploadId=row.s3_upload_id)["Parts"][0]
    client.complete_multipart_upload(
        Bucket=s3.bucket,
        Key=f"media/{row.object_name}",
        UploadId=row.s3_upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag["ETag"]}]},
    )
    body = manager_api.get(uploads_url(image_project, whole["id"])).json()
    assert body["state"] == "complete" and body["parts"] == []
    assert manager_api.post(uploads_url(image_project, whole["id"], "complete")).json()["state"] == "complete"


def test_another_users_upload_is_imported_only_by_a_manager(people, manager_api, image_project, s3):
    """Managers import any upload of their project; anyone else (were they let in) only their own."""
    done = small_complete_upload(manager_api, image_project, "a.png", png_bytes())
    with pytest.raises(importing.ImportValidationError) as refused:
        uploads.plan_uploads(image_project, people["researcher"], [done["id"]])
    assert refused.value.errors["uploads"] == [f"upload `{done['id']}` is another user's upload"]
    assert len(uploads.plan_uploads(image_project, people["staff"], [done["id"]]).plan.entries) == 1
