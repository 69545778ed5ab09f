"""Zip bombs sent over HTTP to the platform as it runs: gunicorn and a Celery worker (the
``media`` queue), on the test database, with the archive limits set small through their
environment (VR_MAX_ARCHIVE_BYTES 4 MiB, VR_MAX_ARCHIVE_RATIO 100, VR_MAX_ARCHIVE_FILES 5).

- The request never inflates: it answers at once, and before any worker runs, the staging
  folder holds the archive as sent and no unpacked entry.
- A bomb whose central directory tells the truth is refused by the request (400 naming the limit).
- A bomb whose central directory lies (sizes declared small, the real data large) passes the
  request; the job counts the real bytes, stops at the limit and fails naming it and its
  setting; no asset of it exists (not even the good image beside the bomb) and nothing is left
  under MEDIA_ROOT/staging.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import requests

from annotator.models import Asset, Membership
from tests import factories as f
from tests.guarantees.conftest import stack, token  # noqa: F401  (the real-processes fixture)
from tests.guarantees.test_redis_down import wait_for_job
from tests.worker.conftest import jpeg_bytes, lie_about_sizes, staging_dirs, zip_bytes
from worker.models import Job

pytestmark = pytest.mark.django_db(transaction=True)

MB = 1024 * 1024
LIMITS = {"VR_MAX_ARCHIVE_BYTES": str(4 * MB), "VR_MAX_ARCHIVE_RATIO": "100", "VR_MAX_ARCHIVE_FILES": "5"}
FINISHED = {Job.State.SUCCEEDED, Job.State.FAILED, Job.State.CANCELLED}


@pytest.fixture
def platform(stack):  # noqa: F811
    procs = stack
    procs.env.update(LIMITS)
    manager = f.user("bomb-manager")
    project = f.project(media_type="image", members={manager: Membership.Role.MANAGER})
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token(manager)}"
    return procs, session, project


def send(procs, session, project, archive: bytes, name: str = "set.zip") -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = session.post(
        f"{procs.web_url}/api/projects/{project.pk}/imports/",
        files=[("archive", (name, archive, "application/zip"))],
        timeout=60,
    )
    return response, time.monotonic() - started


def assert_refused_by(job: Job, setting: str, media_root: Path) -> None:
    assert job.state == Job.State.FAILED, (job.state, job.log)
    assert job.attempts == 1, "a bomb is not retried"
    assert f"({setting})" in job.error and "nothing was imported" in job.error, job.error
    assert setting in job.message and "unpacking `" in job.log
    assert not Asset.objects.filter(import_job_id=job.pk).exists()
    assert staging_dirs(media_root) == []


def start(procs, *, worker: bool = True):
    procs.web_url = procs.web(workers=1, threads=4).url
    if worker:
        procs.worker("media", name="media-worker")


def test_the_request_does_not_inflate_and_the_job_stops_a_lying_bomb_at_the_size_limit(platform, _media_root):
    """64 MB of zeros declared as 64 kB: the request reads the directory and stores the 64 kB
    archive; the worker stops at 4 MiB (VR_MAX_ARCHIVE_BYTES), before the 64 MB are written."""
    procs, session, project = platform
    honest = zip_bytes({"zeros.bin": b"\0" * (64 * MB)})
    liar = lie_about_sizes(honest, {"zeros.bin": 64 * 1024})
    start(procs, worker=False)
    response, seconds = send(procs, session, project, liar)
    assert response.status_code == 202, response.text
    assert seconds < 5, f"the request took {seconds:.1f} s"
    (folder,) = staging_dirs(_media_root)
    assert (folder / "archive.zip").read_bytes() == liar
    assert list((folder / "entries").iterdir()) == []  # nothing unpacked by the request
    job = Job.objects.get(pk=response.json()["id"])
    assert "1 to unpack from `set.zip`" in job.message

    procs.worker("media", name="media-worker")
    job = wait_for_job(job.pk, FINISHED, timeout=60)
    assert_refused_by(job, "VR_MAX_ARCHIVE_BYTES", _media_root)
    assert "archive `set.zip` inflates past the limit of 4.0 MB (VR_MAX_ARCHIVE_BYTES)" in job.error
    retry = session.post(f"{procs.web_url}/api/jobs/{job.pk}/retry/", timeout=30)
    assert retry.status_code == 400 and "staged files were removed" in retry.json()["detail"]


def test_a_bomb_entry_is_refused_by_its_ratio_whether_its_directory_tells_the_truth_or_not(platform, _media_root):
    """10 MB of zeros deflate to ~10 kB (ratio ~1000). Told truthfully: a 400 at once. With the
    size declared as 20 kB: the job stops that entry at 1 MiB (100 x its compressed size) and
    the good image beside it is not imported either."""
    procs, session, project = platform
    start(procs)
    entries = {"good.jpg": jpeg_bytes(), "zeros.bin": b"\0" * (10 * MB)}
    response, _ = send(procs, session, project, zip_bytes(entries))
    assert response.status_code == 400, response.text
    (problem,) = response.json()["errors"]["archive"]
    assert "archive entry `zeros.bin` declares it inflates" in problem and "(VR_MAX_ARCHIVE_RATIO)" in problem
    assert not Job.objects.exists() and staging_dirs(_media_root) == []

    response, _ = send(procs, session, project, lie_about_sizes(zip_bytes(entries), {"zeros.bin": 20_000}))
    assert response.status_code == 202, response.text
    job = wait_for_job(response.json()["id"], FINISHED, timeout=60)
    assert_refused_by(job, "VR_MAX_ARCHIVE_RATIO", _media_root)
    assert "archive entry `zeros.bin` of `set.zip` inflates to more than 100 times its compressed size" in job.error


def test_many_small_lying_entries_are_refused_by_the_archive_ratio(platform, _media_root):
    """Four entries of 700 kB of zeros, each declared as 1 kB: each stays under the 1 MiB ratio
    exemption, together they are ~400 times the archive's size."""
    procs, session, project = platform
    start(procs)
    entries = {f"{i}.bin": b"\0" * 700_000 for i in range(4)}
    response, _ = send(procs, session, project, zip_bytes(entries))
    assert response.status_code == 400 and "(VR_MAX_ARCHIVE_RATIO)" in response.text, response.text
    response, _ = send(procs, session, project, lie_about_sizes(zip_bytes(entries), dict.fromkeys(entries, 1000)))
    assert response.status_code == 202, response.text
    job = wait_for_job(response.json()["id"], FINISHED, timeout=60)
    assert_refused_by(job, "VR_MAX_ARCHIVE_RATIO", _media_root)
    assert "inflates to more than 100 times its size" in job.error


def test_too_many_files_are_refused_by_the_request_and_by_the_job(platform, _media_root):
    """The count is exact in the directory: the request refuses 6 files. A job queued under a
    larger limit (the operator lowered it since) is refused by the worker before it unpacks."""
    procs, session, project = platform
    six = zip_bytes({f"{i}.jpg": jpeg_bytes() for i in range(6)})
    procs.env["VR_MAX_ARCHIVE_FILES"] = "50"
    procs.web_url = procs.web(workers=1, threads=4).url  # this web server allows 50 …
    procs.env["VR_MAX_ARCHIVE_FILES"] = "5"
    procs.worker("media", name="media-worker")  # … its worker 5
    response, _ = send(procs, session, project, six)
    assert response.status_code == 202, response.text
    job = wait_for_job(response.json()["id"], FINISHED, timeout=60)
    assert_refused_by(job, "VR_MAX_ARCHIVE_FILES", _media_root)
    assert "archive `set.zip` has 6 files to unpack; the limit is 5 files (VR_MAX_ARCHIVE_FILES)" in job.error

    procs.env["VR_MAX_ARCHIVE_FILES"] = "5"
    procs.web_url = procs.web(workers=1, threads=4).url
    response, _ = send(procs, session, project, six)
    assert response.status_code == 400, response.text
    assert response.json()["errors"]["archive"] == [
        "archive `set.zip` has 6 files to unpack; the limit is 5 files (VR_MAX_ARCHIVE_FILES)"
    ]


def test_an_honest_archive_is_unpacked_by_the_worker_and_imported(platform, _media_root):
    """The control: under the limits, the worker unpacks, imports and removes the staging."""
    procs, session, project = platform
    start(procs)
    archive = zip_bytes({"a.jpg": jpeg_bytes(), "d/b.jpg": jpeg_bytes(color=(0, 0, 0)), "noise.jpg": os.urandom(9)})
    response, _ = send(procs, session, project, archive)
    assert response.status_code == 202, response.text
    job = wait_for_job(response.json()["id"], FINISHED, timeout=60)
    assert job.state == Job.State.SUCCEEDED, job.log
    assert job.result["imported"] == 2 and job.result["failed"] == 1
    assert "unpacking `set.zip`: 3 file(s)" in job.log and "unpacked 3 file(s) of `set.zip`" in job.log
    assert staging_dirs(_media_root) == []
