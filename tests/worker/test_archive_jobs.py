"""Dataset archives on PostgreSQL, through the API: a download of an archive not built yet starts
the archive job and answers 202; the job writes the file (zip or tar.gz) into the datasets
storage in one step; the download then answers the file (Range too) and every later request
reuses it; requests while it builds join the one job; a cancel leaves no partial file."""

from __future__ import annotations

import io
import tarfile
import threading
import time
import zipfile

import pytest
from django.conf import settings
from django.db import connection

from datasets_app.models import DatasetArchive, DatasetVersion, datasets_root
from tests import factories as f
from tests.worker.test_real_worker import _purge
from worker import jobs
from worker.archives import job as archiving
from worker.models import Job

pytestmark = pytest.mark.django_db

FILES = {
    "README.md": b"# hpd\n",
    "checklist.json": b'{"dimensions": []}',
    "data/train-00000-of-00001.parquet": bytes(range(256)) * 40,
}


@pytest.fixture
def version(image_project, people):
    """A ready version whose folder holds FILES (as an export publishes it)."""
    folder = datasets_root() / "hpd" / "v1"
    for rel, data in FILES.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    v = DatasetVersion.objects.create(
        name="hpd",
        version=1,
        checklist_version=image_project.checklist_version,
        state=DatasetVersion.State.READY,
        content_hash="ab" * 32,
        path="hpd/v1",
        files=sorted(FILES),
        created_by=people["manager"],
    )
    v.projects.add(image_project)
    return v


def url(version, fmt="zip"):
    return f"/api/dataset-versions/{version.pk}/download/?archive={fmt}"


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def archive_files() -> list[str]:
    folder = datasets_root() / ".archives"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_a_download_starts_the_job_then_answers_the_file_and_reuses_it(
    eager, version, people, django_capture_on_commit_callbacks
):
    client = f.api(people["researcher"])
    with django_capture_on_commit_callbacks(execute=True):
        first = client.get(url(version))
    assert first.status_code == 202, first.content
    started = first.json()
    job = Job.objects.get(pk=started["job"]["id"])
    assert first["Location"] == f"/api/jobs/{job.pk}/" and int(first["Retry-After"]) > 0
    assert "again when the job has finished" in started["detail"] and url(version) in started["detail"]
    assert job.kind == "archive" and job.queue == "default"
    assert job.params == {"dataset_version": version.pk, "archive": "zip"}
    job.refresh_from_db()  # the job ran on commit
    assert job.state == Job.State.SUCCEEDED, (job.error, job.log)
    assert job.message.startswith("the zip of hpd v1 is ready: 3 files")
    assert archive_files() == [f"hpd-v1-{'ab' * 6}.zip"]  # no scratch file left

    done = client.get(url(version))
    assert done.status_code == 200 and done["Content-Disposition"].endswith('filename="hpd-v1.zip"')
    data = body(done)
    assert int(done["Content-Length"]) == len(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert sorted(zf.namelist()) == sorted(f"hpd-v1/{rel}" for rel in FILES)
        assert zf.read("hpd-v1/data/train-00000-of-00001.parquet") == FILES["data/train-00000-of-00001.parquet"]
    part = client.get(url(version), HTTP_RANGE="bytes=0-3")
    assert part.status_code == 206 and body(part) == data[:4] and part["Content-Range"] == f"bytes 0-3/{len(data)}"

    # the version lists it as ready with its size; a third request starts nothing
    listed = client.get(f"/api/dataset-versions/{version.pk}/").json()
    assert listed["archives"]["zip"]["state"] == "ready" and listed["archives"]["zip"]["size"] == len(data)
    assert listed["archives"]["tar"] is None
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(url(version)).status_code == 200
        again = client.post(f"/api/dataset-versions/{version.pk}/archives/", {"archive": "zip"}, format="json")
    assert again.status_code == 200 and again.json()["job"] is None
    assert Job.objects.filter(kind="archive").count() == 1

    # a file removed from storage behind the row's back is built again, not served half-missing
    (datasets_root() / ".archives" / archive_files()[0]).unlink()
    rebuilt = client.get(url(version))
    assert rebuilt.status_code == 202 and rebuilt.json()["job"]["id"] != job.pk


def test_the_tar_is_gzip_compressed_and_holds_every_file(eager, version, people, django_capture_on_commit_callbacks):
    client = f.api(people["manager"])
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(f"/api/dataset-versions/{version.pk}/archives/", {"archive": "tar"}, format="json")
    assert started.status_code == 202 and started.json()["archive"]["state"] == "building"
    response = client.get(url(version, "tar"))
    assert response.status_code == 200 and response["Content-Disposition"].endswith('filename="hpd-v1.tar.gz"')
    data = body(response)
    assert data[:2] == b"\x1f\x8b"
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tf:
        assert sorted(tf.getnames()) == sorted(f"hpd-v1/{rel}" for rel in FILES)
        assert tf.extractfile("hpd-v1/README.md").read() == FILES["README.md"]


def test_requests_while_it_builds_join_the_one_job(version, people):
    """Without a worker the job stays queued: every request answers 202 with that same job."""
    client = f.api(people["researcher"])
    first = client.get(url(version))
    second = client.get(url(version))
    start = f"/api/dataset-versions/{version.pk}/archives/"
    third = f.api(people["manager"]).post(start, {"archive": "zip"}, format="json")
    assert first.status_code == second.status_code == third.status_code == 202
    assert first.json()["job"]["id"] == second.json()["job"]["id"] == third.json()["job"]["id"]
    assert Job.objects.filter(kind="archive").count() == 1
    other = client.get(url(version, "tar"))  # the other format is another archive, another job
    assert other.status_code == 202 and other.json()["job"]["id"] != first.json()["job"]["id"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_start_one_job(image_project, people):
    folder = datasets_root() / "hpd" / "v1"
    folder.mkdir(parents=True)
    (folder / "README.md").write_bytes(b"x")
    version = DatasetVersion.objects.create(
        name="hpd",
        version=1,
        checklist_version=image_project.checklist_version,
        state="ready",
        content_hash="cd" * 32,
        path="hpd/v1",
        files=["README.md"],
    )
    version.projects.add(image_project)
    gate, answers = threading.Barrier(4), []

    def ask():
        try:
            gate.wait()
            answers.append(f.api(people["researcher"]).get(url(version)))
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status_code for r in answers] == [202] * 4
    assert len({r.json()["job"]["id"] for r in answers}) == 1
    assert Job.objects.filter(kind="archive").count() == 1


def test_a_version_that_is_not_ready_answers_400_naming_why(version, people):
    client = f.api(people["researcher"])
    DatasetVersion.objects.filter(pk=version.pk).update(state="building")
    response = client.get(url(version))
    assert response.status_code == 400
    assert "hpd v1 is building; only ready versions have files to archive." in response.json()["errors"]["state"]
    DatasetVersion.objects.filter(pk=version.pk).update(state="duplicate", duplicate_of=version.pk)
    twin = client.get(url(version))
    assert twin.status_code == 400 and "download the version with the same content" in str(twin.json()["errors"])
    start = f"/api/dataset-versions/{version.pk}/archives/"
    for hostile in ({"archive": ["zip"]}, {"archive": {"a": 1}}, {"archive": "ZIP"}):
        refused = client.post(start, hostile, format="json")
        assert refused.status_code == 400 and "archive" in refused.json()["errors"], hostile
    bad = client.get(url(version, "rar"))
    assert bad.status_code == 400 and "archive" in bad.json()["errors"]
    assert f.api(people["outsider"]).get(url(version)).status_code == 404
    assert f.api(people["annotator"]).get(url(version)).status_code == 404
    assert not Job.objects.filter(kind="archive").exists()


def test_a_cancel_leaves_no_partial_file_and_the_next_request_builds_again(
    version, people, monkeypatch, django_capture_on_commit_callbacks
):
    client = f.api(people["researcher"])
    job_id = client.get(url(version)).json()["job"]["id"]
    real = archiving.write_archive

    def cancelled_while_writing(out, fmt, members, *, mtime, progress):
        def press_cancel(files, done):
            jobs.cancel_job(job_id, user=people["researcher"])  # the researcher presses Cancel
            progress(files, done)

        return real(out, fmt, members, mtime=mtime, progress=press_cancel)

    monkeypatch.setattr(archiving, "write_archive", cancelled_while_writing)
    monkeypatch.setattr(archiving, "REPORT_EVERY", 0)
    assert jobs.execute(job_id) == Job.State.CANCELLED
    row = DatasetArchive.objects.get(version=version, format="zip")
    assert row.state == "failed" and row.error == "cancelled" and not row.file
    assert archive_files() == []  # neither the archive nor its scratch file
    listed = client.get(f"/api/dataset-versions/{version.pk}/").json()["archives"]["zip"]
    assert listed["state"] == "failed" and listed["job"] == job_id

    again = client.get(url(version))
    assert again.status_code == 202 and again.json()["job"]["id"] != job_id


def test_a_version_whose_files_are_gone_fails_the_job_with_the_file(
    eager, version, people, django_capture_on_commit_callbacks
):
    (datasets_root() / "hpd" / "v1" / "README.md").unlink()
    with django_capture_on_commit_callbacks(execute=True):
        job_id = f.api(people["manager"]).get(url(version)).json()["job"]["id"]
    job = Job.objects.get(pk=job_id)
    assert job.state == Job.State.FAILED and "lacks its file README.md" in job.error
    assert DatasetArchive.objects.get(version=version).state == "failed"
    assert archive_files() == []


def test_old_scratch_files_are_swept(version):
    folder = datasets_root() / ".archives"
    folder.mkdir(parents=True)
    (folder / ".hpd-v1.zip.abc.part").write_bytes(b"half")
    (folder / "hpd-v1-x.zip").write_bytes(b"whole")
    assert archiving.clean_archive_scratch(max_age=-1) == [".hpd-v1.zip.abc.part"]
    assert archive_files() == ["hpd-v1-x.zip"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (the suite runs on Redis)")
def test_a_real_worker_builds_the_archive_the_download_then_serves(version, people, monkeypatch):
    """The web answers 202 at once; a Celery worker (on the default queue) builds the file."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    assert not app.conf.task_always_eager
    client = f.api(people["researcher"])
    _purge(app, ["default"])
    with start_worker(app, perform_ping_check=False, queues=["default"], pool="solo", shutdown_timeout=20):
        first = client.get(url(version, "tar"))
        assert first.status_code == 202, first.content
        job = Job.objects.get(pk=first.json()["job"]["id"])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and job.state in (Job.State.QUEUED, Job.State.RUNNING):
            time.sleep(0.2)
            job.refresh_from_db()
    _purge(app, ["default"])
    assert job.state == Job.State.SUCCEEDED, (job.state, job.log, job.error)
    done = client.get(url(version, "tar"))
    assert done.status_code == 200
    with tarfile.open(fileobj=io.BytesIO(body(done)), mode="r:gz") as tf:
        assert len(tf.getnames()) == len(FILES)
