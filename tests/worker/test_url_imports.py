"""URL manifests: entries whose `file` is an http(s) URL are fetched by the import job (never in
the request) with the safe fetcher, from a real local server allowed through
VR_FETCH_ALLOWED_NETWORKS; each failed URL fails alone with its reason."""

from __future__ import annotations

import hashlib
import json

import pytest

from annotator.models import Asset, Task
from worker.models import Job

from .conftest import assert_disk_matches_rows, import_url, jpeg_bytes, png_bytes, staging_dirs, upload
from .http_server import MediaServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def server():
    with MediaServer({"a.jpg": jpeg_bytes(), "b.png": png_bytes(), "notes.txt": b"just text, not media"}) as running:
        yield running


def jsonl(*rows) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def post(client, project, capture, **data):
    with capture(execute=True):
        return client.post(import_url(project), data, format="multipart")


def test_a_manifest_of_urls_alone_imports_each_url_and_fails_each_bad_one_alone(
    eager, settings, server, manager_api, image_project, _media_root, django_capture_on_commit_callbacks
):
    settings.VR_FETCH_ALLOWED_NETWORKS = "127.0.0.1/32"
    settings.VR_MAX_ASSET_BYTES = 1_000_000
    server.files["huge.png"] = b"\0" * 1_000_001
    manifest = jsonl(
        {"file": server.url("/files/a.jpg"), "prompt": "a red square", "metadata": {"seed": 7}},
        {"file": server.url("/chain/2/b.png"), "prompt": "a blue square"},
        {"file": server.url("/files/missing.jpg")},
        {"file": server.url("/files/notes.txt")},
        {"file": server.url("/files/huge.png")},
        {"file": server.url("/redirect?to=http://169.254.169.254/latest/meta-data/")},
        {"file": "http://10.0.0.9/private.jpg"},
        {"file": "gs://bucket/key.jpg", "prompt": "later"},
        {"file": "ftp://example.org/c.jpg"},
    )
    response = post(
        manager_api, image_project, django_capture_on_commit_callbacks, manifest=upload("urls.jsonl", manifest)
    )
    assert response.status_code == 202, response.content
    assert response.json()["message"].endswith("9 file(s) to import, 7 to download")
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == Job.State.SUCCEEDED, (job.error, job.log)
    assert job.result["imported"] == 2 and job.result["failed"] == 7
    assets = {a.original_name: a for a in Asset.objects.filter(import_job_id=job.pk)}
    first = assets[server.url("/files/a.jpg")]
    assert first.status == Asset.Status.READY and first.prompt == "a red square" and first.metadata == {"seed": 7}
    assert first.sha256 == hashlib.sha256(server.files["a.jpg"]).hexdigest()
    assert first.width == 64 and Task.objects.filter(asset=first).exists()
    assert assets[server.url("/chain/2/b.png")].status == Asset.Status.READY
    reasons = {f["file"]: f["reason"] for f in job.result["failures"]}
    assert reasons[server.url("/files/missing.jpg")] == "the server answered 404 Not Found"
    assert "image" in reasons[server.url("/files/notes.txt")].lower()
    assert "larger than the limit" in reasons[server.url("/files/huge.png")]
    assert (
        "169.254.169.254 is a link-local address"
        in reasons[server.url("/redirect?to=http://169.254.169.254/latest/meta-data/")]
    )
    assert "10.0.0.9 is a private address" in reasons["http://10.0.0.9/private.jpg"]
    assert "`gs://` bucket URLs cannot be imported" in reasons["gs://bucket/key.jpg"]
    assert "only http:// and https:// URLs" in reasons["ftp://example.org/c.jpg"]
    assert assets["gs://bucket/key.jpg"].prompt == "later"
    assert f"{server.url('/files/missing.jpg')}: failed: the server answered 404" in job.log
    assert_disk_matches_rows(_media_root, image_project)
    assert staging_dirs(_media_root) == []
    assert {path for path, _host in server.requests} >= {"/files/a.jpg", "/chain/2/b.png", "/files/b.png"}


def test_without_the_setting_the_local_server_is_refused_per_url(
    eager, server, manager_api, image_project, _media_root, django_capture_on_commit_callbacks
):
    manifest = jsonl({"file": server.url("/files/a.jpg")}, {"file": "http://localhost:1/x.jpg"})
    job = Job.objects.get(
        pk=post(
            manager_api, image_project, django_capture_on_commit_callbacks, manifest=upload("m.jsonl", manifest)
        ).json()["id"]
    )
    assert job.state == Job.State.SUCCEEDED and job.result["imported"] == 0 and job.result["failed"] == 2
    reasons = [f["reason"] for f in job.result["failures"]]
    assert "127.0.0.1 is a loopback address" in reasons[0] and "VR_FETCH_ALLOWED_NETWORKS" in reasons[0]
    assert "`localhost` resolves to" in reasons[1]
    assert server.requests == []


def test_urls_and_uploaded_files_mix_in_one_csv_manifest(
    eager, settings, server, manager_api, image_project, django_capture_on_commit_callbacks
):
    settings.VR_FETCH_ALLOWED_NETWORKS = "127.0.0.1/32"
    manifest = f"file,prompt,source\n{server.url('/files/a.jpg')},from the web,web\nlocal.png,from disk,disk\n"
    response = post(
        manager_api,
        image_project,
        django_capture_on_commit_callbacks,
        manifest=upload("m.csv", manifest.encode()),
        files=[upload("local.png", png_bytes())],
    )
    job = Job.objects.get(pk=response.json()["id"])
    assert job.result["imported"] == 2, job.log
    by_prompt = {a.prompt: a for a in Asset.objects.filter(import_job_id=job.pk)}
    assert by_prompt["from the web"].metadata == {"source": "web"}
    assert by_prompt["from disk"].original_name == "local.png"


def test_a_bad_allowed_networks_setting_fails_the_job_with_its_name(
    eager, settings, server, manager_api, image_project, django_capture_on_commit_callbacks
):
    settings.VR_FETCH_ALLOWED_NETWORKS = "127.0.0.1/33"
    manifest = jsonl({"file": server.url("/files/a.jpg")})
    response = post(
        manager_api, image_project, django_capture_on_commit_callbacks, manifest=upload("m.jsonl", manifest)
    )
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == Job.State.FAILED and "VR_FETCH_ALLOWED_NETWORKS: `127.0.0.1/33` is not a network" in job.error
    assert not Asset.objects.filter(import_job_id=job.pk).exists()
