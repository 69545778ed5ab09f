"""Imports through the media storage, on the filesystem and on a real S3 server (moto): staged
uploads, archives, retries, direct uploads (``stored``), and imports from S3 buckets."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest

from annotator import storage
from annotator.models import Asset, Task
from worker.imports import job as importing
from worker.imports.job import ImportPlan, PlannedEntry, Source, start_plan
from worker.models import Job

from .conftest import import_url, jpeg_bytes, png_bytes, upload, zip_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["filesystem", "s3"])
def backend(request):
    if request.param == "s3":
        return request.getfixturevalue("s3_storage")
    return None


def stored_names(prefix: str) -> list[str]:
    return list(storage.walk(storage.media_storage(), prefix))


def assert_storage_matches_rows(project, backend) -> None:
    """Every ready asset has its files in the media storage; nothing is stored without its row;
    no marker is left; no staging is left."""
    media = storage.media_storage()
    names = stored_names(f"projects/{project.pk}/assets")
    ready = Asset.objects.filter(project=project, status=Asset.Status.READY)
    assert {int(n.split("/")[3]) for n in names} == set(ready.values_list("id", flat=True))
    assert not [n for n in names if n.endswith(importing.MARKER)]
    for asset in ready:
        for key in ("original", "display", "thumbnail"):
            assert media.exists(asset.files[key]), (asset.pk, key)
            assert asset.files[key].startswith(f"projects/{project.pk}/assets/{asset.pk}/")
    for asset in Asset.objects.filter(project=project, status=Asset.Status.FAILED):
        assert asset.files in ({}, None) and not asset.tasks.exists()
    assert stored_names("staging") == []
    if backend is not None:  # the objects are where an operator looks for them
        keys = backend.keys(f"media/projects/{project.pk}/assets/")
        assert len(keys) == len(names) and all(k.startswith("media/") for k in keys)


def post_import(client, project, capture, **data):
    with capture(execute=True):
        return client.post(import_url(project), data, format="multipart")


def finished(response) -> Job:
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == Job.State.SUCCEEDED, (job.error, job.log)
    return job


# --- uploads, archives, retries on both backends ---------------------------------------------------------


def test_an_upload_import_stores_each_asset_in_the_media_storage(
    backend, eager, manager_api, image_project, django_capture_on_commit_callbacks
):
    one = jpeg_bytes()
    response = post_import(
        manager_api,
        image_project,
        django_capture_on_commit_callbacks,
        files=[upload("a.jpg", one), upload("b.png", png_bytes()), upload("notes.jpg", b"not an image")],
    )
    job = finished(response)
    assert job.params["staging_dir"].startswith("staging/")
    assert job.result["imported"] == 2 and job.result["failed"] == 1
    assets = {a.original_name: a for a in Asset.objects.filter(import_job_id=job.pk)}
    assert assets["a.jpg"].sha256 == hashlib.sha256(one).hexdigest() and assets["a.jpg"].size_bytes == len(one)
    assert assets["notes.jpg"].status == Asset.Status.FAILED
    assert Task.objects.filter(asset__in=[assets["a.jpg"], assets["b.png"]]).count() == 2
    with storage.local_copy(storage.media_storage(), assets["a.jpg"].files["original"]) as path:
        assert path.read_bytes() == one
    assert_storage_matches_rows(image_project, backend)


def test_an_archive_import_unpacks_on_this_host_and_publishes_to_the_storage(
    backend, eager, manager_api, image_project, django_capture_on_commit_callbacks
):
    archive = zip_bytes(
        {"set/a.jpg": jpeg_bytes(), "set/b.png": png_bytes(), "__MACOSX/set/._a.jpg": b"fork", "set/.DS_Store": b"x"}
    )
    response = post_import(
        manager_api, image_project, django_capture_on_commit_callbacks, archive=upload("set.zip", archive)
    )
    job = finished(response)
    assert job.result["imported"] == 2 and job.result["failed"] == 0
    assert sorted(Asset.objects.filter(import_job_id=job.pk).values_list("original_name", flat=True)) == [
        "set/a.jpg",
        "set/b.png",
    ]
    assert "unpacked 2 file(s) of `set.zip`" in job.log
    assert_storage_matches_rows(image_project, backend)


def test_an_archive_past_a_limit_fails_the_job_and_leaves_no_staging(
    backend, eager, settings, manager_api, image_project, django_capture_on_commit_callbacks
):
    from .conftest import lie_about_sizes

    settings.VR_MAX_ARCHIVE_BYTES = 1024 * 1024
    honest = zip_bytes({"a.jpg": jpeg_bytes(), "zeros.bin": b"\0" * (2 * 1024 * 1024)})
    liar = lie_about_sizes(honest, {"zeros.bin": 20 * 1024})
    response = post_import(
        manager_api, image_project, django_capture_on_commit_callbacks, archive=upload("z.zip", liar)
    )
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == Job.State.FAILED and "VR_MAX_ARCHIVE_BYTES" in job.error and job.attempts == 1
    assert not Asset.objects.filter(import_job_id=job.pk).exists()
    assert stored_names("staging") == [] and stored_names("projects") == []
    assert "staged files were removed" in manager_api.post(f"/api/jobs/{job.pk}/retry/").json()["detail"]


def test_a_failed_attempt_is_retried_and_its_orphan_folder_removed(
    backend, eager, manager_api, image_project, monkeypatch, django_capture_on_commit_callbacks
):
    """The second asset's transaction fails after its files were published (they go with it),
    and a crash of the same attempt left another folder behind with the job's marker: the next
    attempt removes that one and resumes."""
    real = importing.create_task_for_asset
    calls = {"n": 0}
    media = storage.media_storage()

    def flaky(asset):
        calls["n"] += 1
        if calls["n"] == 2:
            orphan = f"projects/{asset.project_id}/assets/987654"
            storage.put_bytes(media, f"{orphan}/original.jpg", b"half")
            marker = json.dumps({"job": asset.import_job_id, "entry": 1}).encode()
            storage.put_bytes(media, f"{orphan}/{importing.MARKER}", marker)
            raise RuntimeError("simulated crash while creating the task")
        return real(asset)

    monkeypatch.setattr(importing, "create_task_for_asset", flaky)
    files = [upload(f"img{i}.jpg", jpeg_bytes(color=(i * 60, 30, 30))) for i in range(3)]
    job = finished(post_import(manager_api, image_project, django_capture_on_commit_callbacks, files=files))
    assert job.attempts == 2 and "simulated crash" in job.log and "resuming: 1 of 3" in job.log
    assert "removed 1 unfinished folder(s) of an earlier attempt: 987654" in job.log
    assert sorted(Asset.objects.filter(import_job_id=job.pk).values_list("import_entry", flat=True)) == [0, 1, 2]
    assert job.result["imported"] == 3
    assert_storage_matches_rows(image_project, backend)


def test_a_manual_retry_needs_the_staged_files_and_clean_staging_removes_them(backend, manager_api, image_project):
    response = manager_api.post(
        import_url(image_project), {"files": [upload("a.jpg", jpeg_bytes())]}, format="multipart"
    )
    job = Job.objects.get(pk=response.json()["id"])
    media = storage.media_storage()
    staged = stored_names(job.params["staging_dir"])
    assert f"{job.params['staging_dir']}/{importing.STAGED_FILE}" in staged and len(staged) == 2
    assert manager_api.post(f"/api/jobs/{job.pk}/cancel/").json()["state"] == "cancelled"
    assert importing.retry_problem(job) is None
    from datetime import timedelta

    from django.utils import timezone

    assert importing.clean_staging(now=timezone.now() + timedelta(days=8)) == [job.params["staging_dir"]]
    assert stored_names("staging") == []
    response = manager_api.post(f"/api/jobs/{job.pk}/retry/")
    assert response.status_code == 400 and "staged files were removed" in response.json()["detail"]
    storage.put_bytes(media, "staging/deadbeef/entries/000000.jpg", b"left by a request that died")
    assert importing.clean_staging() == []  # fresh
    assert importing.clean_staging(now=timezone.now() + timedelta(days=2)) == ["staging/deadbeef"]


def test_a_url_manifest_with_an_upload_is_fetched_on_this_host(
    backend, eager, settings, manager_api, image_project, django_capture_on_commit_callbacks
):
    from .http_server import MediaServer

    settings.VR_FETCH_ALLOWED_NETWORKS = "127.0.0.1/32"
    with MediaServer({"a.jpg": jpeg_bytes()}) as server:
        manifest = "".join(
            json.dumps(r) + "\n"
            for r in [{"file": server.url("/files/a.jpg"), "prompt": "fetched"}, {"file": "b.png", "prompt": "sent"}]
        )
        response = post_import(
            manager_api,
            image_project,
            django_capture_on_commit_callbacks,
            manifest=upload("m.jsonl", manifest.encode()),
            files=[upload("b.png", png_bytes())],
        )
        job = finished(response)
    assert job.result["imported"] == 2, job.result
    assert sorted(Asset.objects.filter(import_job_id=job.pk).values_list("prompt", flat=True)) == ["fetched", "sent"]
    assert_storage_matches_rows(image_project, backend)


# --- direct uploads: origin "stored" ----------------------------------------------------------------------


def test_a_stored_upload_is_imported_and_then_deleted(
    backend, eager, people, image_project, django_capture_on_commit_callbacks
):
    media = storage.media_storage()
    data = jpeg_bytes(color=(1, 2, 3))
    name = f"uploads/{image_project.pk}/{uuid.uuid4().hex}/holiday.jpg"
    storage.put_bytes(media, name, data)
    gone = f"uploads/{image_project.pk}/{uuid.uuid4().hex}/gone.jpg"
    plan = ImportPlan(
        entries=[
            PlannedEntry(Source(name="holiday.jpg", origin="stored", stored=name), "a prompt", {"k": 1}),
            PlannedEntry(Source(name="gone.jpg", origin="stored", stored=gone)),
        ]
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = start_plan(image_project, people["manager"], plan)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, (job.error, job.log)
    assert [e["stored"] for e in job.params["entries"]] == [name, gone]
    assets = {a.original_name: a for a in Asset.objects.filter(import_job_id=job.pk)}
    ready = assets["holiday.jpg"]
    assert ready.status == Asset.Status.READY and ready.prompt == "a prompt" and ready.metadata == {"k": 1}
    assert ready.sha256 == hashlib.sha256(data).hexdigest() and ready.size_bytes == len(data)
    assert assets["gone.jpg"].failure_reason == "the uploaded file is missing from the storage (it was removed)"
    assert not media.exists(name)  # read, recorded, deleted
    assert_storage_matches_rows(image_project, backend)


@pytest.mark.parametrize("name", ["projects/1/assets/2/original.jpg", "staging/x/a.jpg", "../uploads/a.jpg", ""])
def test_a_stored_source_names_only_a_direct_upload(people, image_project, name):
    plan = ImportPlan(entries=[PlannedEntry(Source(name="a.jpg", origin="stored", stored=name))])
    with pytest.raises(importing.ImportValidationError) as caught:
        start_plan(image_project, people["manager"], plan, dispatch=False)
    assert "stored" in caught.value.errors and not Job.objects.exists()
    assert stored_names("staging") == []


# --- imports from S3 buckets ------------------------------------------------------------------------------


@pytest.fixture
def source_bucket(s3_storage, settings):
    """A bucket of someone's media on the same S3 server, listed in VR_IMPORT_BUCKETS as
    ``<bucket>/photos``."""
    name = f"vr-source-{uuid.uuid4().hex[:10]}"
    client = s3_storage.server.client()
    client.create_bucket(Bucket=name)
    settings.VR_IMPORT_BUCKETS = [f"{name}/photos"]

    def put(key: str, data: bytes):
        client.put_object(Bucket=name, Key=key, Body=data)

    put.name = name
    return put


def bucket_import(client, project, capture, body):
    with capture(execute=True):
        return client.post(f"/api/projects/{project.pk}/imports/bucket/", body, format="json")


def test_a_bucket_prefix_is_imported_and_a_damaged_file_fails_alone(
    s3_storage, source_bucket, eager, manager_api, image_project, django_capture_on_commit_callbacks
):
    a = jpeg_bytes()
    source_bucket("photos/a.jpg", a)
    source_bucket("photos/sub/b.png", png_bytes())
    source_bucket("photos/broken.jpg", b"\xff\xd8\xff not really a jpeg")
    source_bucket("photos/notes.txt", b"not media")
    source_bucket("photos/.hidden.jpg", jpeg_bytes())
    source_bucket("photos/__MACOSX/._a.jpg", b"fork")
    source_bucket("elsewhere/c.jpg", jpeg_bytes())
    response = bucket_import(
        manager_api, image_project, django_capture_on_commit_callbacks, {"url": f"s3://{source_bucket.name}/photos/"}
    )
    job = finished(response)
    assert job.params["source"] == f"bucket `s3://{source_bucket.name}/photos/`"
    assert [e["s3"] for e in job.params["entries"]] == [
        f"s3://{source_bucket.name}/photos/{k}" for k in ("a.jpg", "broken.jpg", "sub/b.png")
    ]
    assert job.result["imported"] == 2 and job.result["failed"] == 1
    assets = {x.original_name: x for x in Asset.objects.filter(import_job_id=job.pk)}
    assert set(assets) == {"a.jpg", "broken.jpg", "sub/b.png"}
    assert assets["a.jpg"].sha256 == hashlib.sha256(a).hexdigest()
    assert assets["broken.jpg"].status == Asset.Status.FAILED and assets["broken.jpg"].failure_reason
    assert "broken.jpg: failed: " in job.log
    assert_storage_matches_rows(image_project, s3_storage)
    assert s3_storage.keys("media/staging/") == []


def test_bucket_objects_past_the_size_limit_or_missing_fail_alone(
    s3_storage, source_bucket, eager, settings, manager_api, image_project, django_capture_on_commit_callbacks
):
    """A manifest object of the prefix names keys under it, other allowed s3:// objects, with
    prompts; a missing object and one past VR_MAX_ASSET_BYTES fail alone."""
    settings.VR_MAX_ASSET_BYTES = 50_000
    source_bucket("photos/a.jpg", jpeg_bytes())
    source_bucket("photos/big.png", b"\x89PNG" + b"\0" * 60_000)
    rows = [
        {"file": "a.jpg", "prompt": "a red square"},
        {"file": "big.png"},
        {"file": f"s3://{source_bucket.name}/photos/missing.jpg", "prompt": "never there"},
    ]
    source_bucket("photos/manifest.jsonl", "".join(json.dumps(r) + "\n" for r in rows).encode())
    response = bucket_import(
        manager_api,
        image_project,
        django_capture_on_commit_callbacks,
        {"url": f"s3://{source_bucket.name}/photos", "manifest": "manifest.jsonl"},
    )
    job = finished(response)
    assert job.result["imported"] == 1 and job.result["failed"] == 2
    reasons = {f["file"]: f["reason"] for f in job.result["failures"]}
    assert "larger than the limit" in reasons["big.png"] and "VR_MAX_ASSET_BYTES" in reasons["big.png"]
    assert "there is no such object" in reasons[f"s3://{source_bucket.name}/photos/missing.jpg"]
    assert Asset.objects.get(import_job_id=job.pk, original_name="a.jpg").prompt == "a red square"
    assert_storage_matches_rows(image_project, s3_storage)


def test_an_uploaded_manifest_may_name_s3_objects(
    s3_storage, source_bucket, eager, manager_api, image_project, django_capture_on_commit_callbacks
):
    source_bucket("photos/shoot/a.jpg", jpeg_bytes())
    manifest = json.dumps({"file": f"s3://{source_bucket.name}/photos/shoot/a.jpg", "prompt": "from a bucket"}) + "\n"
    job = finished(
        post_import(
            manager_api,
            image_project,
            django_capture_on_commit_callbacks,
            manifest=upload("m.jsonl", manifest.encode()),
        )
    )
    (asset,) = Asset.objects.filter(import_job_id=job.pk)
    assert asset.status == Asset.Status.READY and asset.prompt == "from a bucket"
    assert job.params["entries"][0]["source"] == "s3"
    assert_storage_matches_rows(image_project, s3_storage)


def test_buckets_not_allowed_are_refused_with_the_field_or_the_manifest_line(
    s3_storage, source_bucket, manager_api, image_project
):
    other = f"vr-other-{uuid.uuid4().hex[:8]}"
    s3_storage.server.client().create_bucket(Bucket=other)
    url = f"/api/projects/{image_project.pk}/imports/bucket/"
    response = manager_api.post(url, {"url": f"s3://{other}/"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["url"] == [f"bucket `{other}` is not in VR_IMPORT_BUCKETS"]
    response = manager_api.post(url, {"url": f"s3://{source_bucket.name}/private/"}, format="json")
    assert response.status_code == 400 and "is outside the prefixes" in response.json()["errors"]["url"][0]
    response = manager_api.post(url, {"url": f"s3://{source_bucket.name}/photos/../private/"}, format="json")
    assert response.status_code == 400 and "`..` part" in response.json()["errors"]["url"][0]
    response = manager_api.post(url, {"url": f"s3://{source_bucket.name}/photos/"}, format="json")
    assert response.status_code == 400 and "holds no media files" in response.json()["errors"]["url"][0]
    response = manager_api.post(url, {"url": "https://example.org/x/"}, format="json")
    assert response.status_code == 400 and "not an s3://bucket/key URL" in response.json()["errors"]["url"][0]
    response = manager_api.post(url, {"bucket": "x"}, format="json")
    assert response.status_code == 400 and "bucket" in response.json()["errors"]

    manifest = "\n".join(
        [json.dumps({"file": "https://example.org/a.jpg"}), json.dumps({"file": f"s3://{other}/a.jpg"})]
    )
    response = manager_api.post(
        import_url(image_project), {"manifest": upload("m.jsonl", manifest.encode())}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["manifest"] == [f"manifest line 2: bucket `{other}` is not in VR_IMPORT_BUCKETS"]
    assert not Job.objects.exists() and s3_storage.keys("media/") == []


def test_the_prefix_file_count_limit_is_the_archives(s3_storage, source_bucket, settings, manager_api, image_project):
    settings.VR_MAX_ARCHIVE_FILES = 2
    for i in range(3):
        source_bucket(f"photos/{i}.jpg", b"x")
    response = manager_api.post(
        f"/api/projects/{image_project.pk}/imports/bucket/",
        {"url": f"s3://{source_bucket.name}/photos/"},
        format="json",
    )
    assert response.status_code == 400
    assert "more than 2 media files" in response.json()["errors"]["url"][0]
    assert "VR_MAX_ARCHIVE_FILES" in response.json()["errors"]["url"][0]


def test_the_platforms_own_media_are_never_imported(s3_storage, settings, manager_api, image_project):
    media = storage.media_storage()
    storage.put_bytes(media, "projects/1/assets/1/original.jpg", jpeg_bytes())
    bucket = s3_storage.bucket
    url = f"/api/projects/{image_project.pk}/imports/bucket/"
    for listed in ([bucket], [f"{bucket}/media"], [f"{bucket}/media/projects"]):
        settings.VR_IMPORT_BUCKETS = listed
        for target in (f"s3://{bucket}/media/", f"s3://{bucket}/media/projects/1/", f"s3://{bucket}/"):
            response = manager_api.post(url, {"url": target}, format="json")
            assert response.status_code == 400, (listed, target)
            assert "platform's own storage bucket" in response.json()["errors"]["url"][0], (listed, target)
    settings.VR_IMPORT_BUCKETS = [f"{bucket}/incoming"]
    s3_storage.server.client().put_object(Bucket=bucket, Key="incoming/a.jpg", Body=jpeg_bytes())
    response = manager_api.post(url, {"url": f"s3://{bucket}/incoming/"}, format="json")
    assert response.status_code == 202, response.content
    response = manager_api.post(url, {"url": f"s3://{bucket}/datasets/"}, format="json")
    assert response.status_code == 400 and "platform's own storage bucket" in response.json()["errors"]["url"][0]


def test_only_managers_start_bucket_imports(s3_storage, source_bucket, people, image_project):
    from tests import factories as f

    response = f.api(people["annotator"]).post(
        f"/api/projects/{image_project.pk}/imports/bucket/",
        {"url": f"s3://{source_bucket.name}/photos/"},
        format="json",
    )
    assert response.status_code == 403


# --- dataset imports -----------------------------------------------------------------------------------


def test_a_dataset_import_publishes_its_assets_to_the_storage(
    backend, eager, settings, tmp_path, manager_api, image_project, django_capture_on_commit_callbacks
):
    from .hf_datasets import image_dataset

    root = tmp_path / "imports"
    root.mkdir()
    settings.VR_IMPORT_ROOTS = [root]
    image_dataset(4, broken={2}).save_to_disk(str(root / "saved"))
    body = {"source": "saved", "mapping": {"media": "image", "prompt": "caption", "metadata": ["seed", "model"]}}
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_api.post(f"/api/projects/{image_project.pk}/imports/huggingface/", body, format="json")
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == Job.State.SUCCEEDED, (job.error, job.log)
    assert job.result["imported"] == 3 and job.result["failed"] == 1
    assert_storage_matches_rows(image_project, backend)
