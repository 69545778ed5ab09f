"""Dataset versions in the datasets storage, on both backends: an export reads the assets' media
from the media storage, builds the folder on this host and publishes it (renamed into place on
the filesystem, uploaded under ``datasets/<name>/v<n>/`` on S3, the row turning ready last);
a duplicate publishes nothing; a crashed attempt's leftover is replaced; a failed upload leaves
no version visible; archives are built as objects and downloaded; a push reaches the Hub from
the store. On S3 nothing is written to MEDIA_ROOT or VR_DATASETS_ROOT (the ``s3_storage``
fixture checks)."""

from __future__ import annotations

import io
import json
import random
import zipfile

import pytest
import requests

from annotator import storage
from datasets_app.models import DatasetVersion
from tests import factories as f
from tests.hub_server import WRITE_TOKEN, fake_hub_fixture
from tests.worker import test_export_jobs
from tests.worker.conftest import jpeg_bytes
from tests.worker.preference_data import answer, random_options
from worker.models import Job

pytestmark = pytest.mark.django_db

annotated = test_export_jobs.annotated  # the fixture: 9 answered JPEG assets (3 distinct images), rated pairs
export = test_export_jobs.export


@pytest.fixture(params=["filesystem", "s3"])
def backend(request):
    """The test on a filesystem storage, or on a real S3 server (``None`` / the bucket)."""
    return request.getfixturevalue("s3_storage") if request.param == "s3" else None


def stored(prefix: str) -> list[str]:
    """Every file under ``prefix`` in the datasets storage, relative to it."""
    return sorted(name[len(prefix) + 1 :] for name in storage.walk(storage.datasets_storage(), prefix))


def downloaded(response) -> bytes:
    """A download's bytes: answered by the app, or by the bucket a redirect names."""
    if response.status_code in (301, 302, 303, 307):
        fetched = requests.get(response["Location"], timeout=30)
        assert fetched.status_code == 200, fetched.text[:300]
        return fetched.content
    assert response.status_code == 200, getattr(response, "content", b"")[:300]
    return b"".join(response.streaming_content)


def test_an_export_is_published_into_the_datasets_storage_and_loads(
    backend, eager, annotated, image_project, people, django_capture_on_commit_callbacks, tmp_path
):
    import datasets

    client = f.api(people["researcher"])
    version = export(client, image_project, django_capture_on_commit_callbacks, settings={"seed": 1})
    version.refresh_from_db()
    job = Job.objects.get(pk=version.job_id)
    assert job.state == Job.State.SUCCEEDED, (job.error, job.log)
    assert version.state == "ready" and version.path == "hpd-image/v1"
    assert stored("hpd-image/v1") == sorted(version.files)
    assert "README.md" in version.files and any(rel.endswith(".parquet") for rel in version.files)
    assert version.has_files()
    if backend is not None:
        keys = backend.keys("datasets/")
        assert keys == sorted(f"datasets/hpd-image/v1/{rel}" for rel in version.files)  # nothing staged aside
        assert version.folder is None
        assert all(key.startswith("media/") for key in set(backend.keys()) - set(keys))
        local = storage.get_tree(storage.datasets_storage(), "hpd-image/v1", tmp_path / "copy")
    else:
        local = version.folder
        assert not any(p for p in (local.parent.parent / ".staging").iterdir())

    loaded = datasets.load_dataset(str(local))
    assert sum(len(split) for split in loaded.values()) == 9
    row = next(iter(loaded.values()))[0]
    assert row["image"].size[1] == 24  # the embedded JPEG decodes
    pairs = datasets.load_dataset(str(local), "pairs")
    assert sum(len(split) for split in pairs.values()) == 9

    # the detail answers; a second version with one more asset diffs against the first
    assert client.get(f"/api/dataset-versions/{version.pk}/").json()["state"] == "ready"
    extra = f.ready_asset(image_project, prompt="prompt 9", name="new.jpg", content=jpeg_bytes(30, 24))
    answer(extra, people["annotator"], random_options(image_project.checklist_version.checklist, random.Random(3)))
    second = export(client, image_project, django_capture_on_commit_callbacks)
    second.refresh_from_db()
    assert second.state == "ready" and second.path == "hpd-image/v2"
    diff = client.get(f"/api/dataset-versions/{second.pk}/diff/?against={version.pk}")
    assert diff.status_code == 200, diff.content
    assert "added" in str(diff.json())


def test_images_by_path_and_annotations_jsonl_are_copied_from_the_media_storage(
    backend, eager, annotated, image_project, people, django_capture_on_commit_callbacks
):
    client = f.api(people["manager"])
    version = export(client, image_project, django_capture_on_commit_callbacks, settings={"embed_media": False})
    version.refresh_from_db()
    assert version.state == "ready", version.error
    media = [rel for rel in version.files if rel.startswith("media/")]
    assert len(media) == 3  # one file per distinct image (3 among the 9 assets), named by its sha256
    with version.local_folder() as folder:
        rows = [json.loads(line) for line in (folder / "annotations.jsonl").read_text().splitlines()]
        assert len(rows) == 9 and all((folder / row["image"]).is_file() for row in rows)
        assert {(folder / row["image"]).read_bytes()[:2] for row in rows} == {b"\xff\xd8"}


def test_an_asset_whose_media_is_gone_fails_the_export_by_name(
    backend, eager, annotated, image_project, people, django_capture_on_commit_callbacks
):
    gone = annotated[4].files["display"]
    storage.media_storage().delete(gone)
    version = export(f.api(people["manager"]), image_project, django_capture_on_commit_callbacks)
    version.refresh_from_db()
    assert version.state == "failed" and "media file not found" in version.error and gone in version.error
    assert not version.path and stored("hpd-image") == []


def test_a_duplicate_publishes_nothing_new(
    backend, eager, annotated, image_project, people, django_capture_on_commit_callbacks
):
    client = f.api(people["manager"])
    first = export(client, image_project, django_capture_on_commit_callbacks)
    before = backend.keys() if backend is not None else stored("hpd-image")
    again = export(client, image_project, django_capture_on_commit_callbacks, settings={"shard_rows": 100})
    again.refresh_from_db()
    assert again.state == "duplicate" and again.duplicate_of_id == first.pk and not again.path
    assert (backend.keys() if backend is not None else stored("hpd-image")) == before
    assert stored("hpd-image/v2") == []


def test_a_leftover_of_a_crashed_attempt_is_replaced(
    backend, eager, annotated, image_project, people, django_capture_on_commit_callbacks
):
    datasets = storage.datasets_storage()
    storage.put_bytes(datasets, "hpd-image/v1/README.md", b"half written")
    storage.put_bytes(datasets, "hpd-image/v1/data/train-00007-of-00009.parquet", b"stale")
    version = export(f.api(people["manager"]), image_project, django_capture_on_commit_callbacks)
    version.refresh_from_db()
    assert version.state == "ready", version.error
    assert stored("hpd-image/v1") == sorted(version.files)
    with datasets.open("hpd-image/v1/README.md", "rb") as card:
        assert card.read().startswith(b"---")


def test_a_failed_upload_leaves_no_version_visible(
    s3_storage, eager, annotated, image_project, people, django_capture_on_commit_callbacks, monkeypatch
):
    """S3 only: on the filesystem publishing is one rename (test_export_jobs covers its failure)."""
    real_put = storage.put
    calls = []

    def put_then_fail(store, name, built, **kwargs):
        calls.append(name)
        if len(calls) > 2:
            raise OSError("connection reset while uploading")
        return real_put(store, name, built, **kwargs)

    monkeypatch.setattr(storage, "put", put_then_fail)  # put_tree publishes file by file through it
    client = f.api(people["manager"])
    version = export(client, image_project, django_capture_on_commit_callbacks)
    version.refresh_from_db()
    assert version.state in ("queued", "failed") and not version.path
    assert len(calls) > 2 and s3_storage.keys("datasets/") == []  # what was uploaded is deleted again
    assert client.get("/api/dataset-versions/?state=ready").json()["count"] == 0


def test_an_archive_is_built_in_the_datasets_storage_and_downloaded(
    backend, eager, annotated, image_project, people, django_capture_on_commit_callbacks
):
    client = f.api(people["researcher"])
    version = export(client, image_project, django_capture_on_commit_callbacks)
    version.refresh_from_db()
    url = f"/api/dataset-versions/{version.pk}/download/?archive=zip"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(url).status_code == 202
    archives = stored(".archives")
    assert archives == [f"hpd-image-v1-{version.content_hash[:12]}.zip"]
    if backend is not None:
        assert backend.keys("datasets/.archives/") == [f"datasets/.archives/{archives[0]}"]
    archive = zipfile.ZipFile(io.BytesIO(downloaded(client.get(url))))
    assert sorted(archive.namelist()) == sorted(f"hpd-image-v1/{rel}" for rel in version.files)
    with storage.datasets_storage().open("hpd-image/v1/README.md", "rb") as card:
        assert archive.read("hpd-image-v1/README.md") == card.read()


@pytest.fixture
def fake_hub(settings, monkeypatch):
    hub = fake_hub_fixture(settings, monkeypatch)
    yield hub
    hub.stop()


def test_a_push_uploads_the_stored_version_to_the_hub(
    backend, fake_hub, eager, annotated, image_project, people, settings, django_capture_on_commit_callbacks
):
    settings.HF_TOKEN = WRITE_TOKEN
    client = f.api(people["manager"])
    version = export(client, image_project, django_capture_on_commit_callbacks)
    version.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/dataset-versions/{version.pk}/push/", {"repo_id": "lab/hpd"}, format="json")
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == Job.State.SUCCEEDED, (job.error, job.log)
    repo = fake_hub.repos["lab/hpd"]
    assert set(repo.files) == set(version.files)
    datasets = storage.datasets_storage()
    for rel in version.files:
        with datasets.open(version.stored_name(rel), "rb") as stored_file:
            assert repo.files[rel] == stored_file.read(), rel
    assert DatasetVersion.objects.get(pk=version.pk).pushes[0]["repo_id"] == "lab/hpd"


def test_a_video_export_copies_the_videos_and_embeds_the_frames_from_the_media_storage(
    backend, eager, video_project, people, django_capture_on_commit_callbacks
):
    import pyarrow.parquet as pq

    checklist = video_project.checklist_version.checklist
    rng = random.Random(5)
    for n in range(2):
        asset = f.ready_asset(video_project, prompt=f"clip {n}", name=f"{n}.mp4", content=b"video bytes %d" % n)
        answer(asset, people["manager"], random_options(checklist, rng))
    client = f.api(people["manager"])
    payload = {"name": "hpd-video", "projects": [video_project.pk], "settings": {"embed_frames": True}}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/exports/", payload, format="json")
    assert response.status_code == 202, response.content
    version = DatasetVersion.objects.get(pk=response.json()["dataset_version"]["id"])
    assert version.state == "ready", version.error
    # the two videos, and their (identical) frame for annotations.jsonl, copied once
    assert len([rel for rel in version.files if rel.startswith("media/")]) == 3
    with version.local_folder() as folder:
        shards = [rel for rel in version.files if rel.startswith("data/")]
        rows = [row for rel in shards for row in pq.read_table(folder / rel).to_pylist()]
        videos = sorted((folder / row["video_path"]).read_bytes() for row in rows)
        lines = (folder / "annotations.jsonl").read_text().splitlines()
        assert {(folder / json.loads(line)["frames"][0]).read_bytes() for line in lines} == {b"frame0"}
    assert videos == [b"video bytes 0", b"video bytes 1"]
    assert all(row["frames"][0]["bytes"] == b"frame0" for row in rows)  # the sampled frame, embedded


def test_the_sweep_removes_old_staging_folders_on_this_host(backend):
    from worker.exports import job as exporting

    folder = exporting.staging_folder()  # beside the versions on the filesystem, in VR_SCRATCH_DIR on S3
    (folder / "part.parquet").write_bytes(b"x")
    assert exporting.clean_export_staging(max_age=3600) == []
    assert exporting.clean_export_staging(max_age=-1) == [folder.name]
    assert not folder.exists()
    if backend is not None:
        assert backend.keys() == []
