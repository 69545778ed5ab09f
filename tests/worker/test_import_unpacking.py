"""The import job unpacks an archive once, before importing any entry, and its retry semantics
hold across crashes: while unpacking (unpacked again, from scratch) and after (not unpacked
again; the entries not yet recorded are imported, each entry recorded once)."""

from __future__ import annotations

import hashlib

import pytest

from annotator.models import Asset
from worker.imports import archives
from worker.imports import job as importing
from worker.models import Job

from .conftest import assert_disk_matches_rows, import_url, jpeg_bytes, staging_dirs, upload, zip_bytes

pytestmark = pytest.mark.django_db

IMAGES = {f"img{i}.jpg": jpeg_bytes(color=(i * 60, 30, 30)) for i in range(3)}


def run(manager_api, project, django_capture_on_commit_callbacks) -> Job:
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_api.post(
            import_url(project), {"archive": [upload("set.zip", zip_bytes(IMAGES))]}, format="multipart"
        )
    assert response.status_code == 202, response.content
    return Job.objects.get(pk=response.json()["id"])


def assert_each_entry_once(job: Job, media_root, project) -> None:
    assets = Asset.objects.filter(import_job_id=job.pk).order_by("import_entry")
    assert [a.import_entry for a in assets] == [0, 1, 2]
    for asset in assets:
        content = IMAGES[asset.original_name]
        assert asset.sha256 == hashlib.sha256(content).hexdigest() and asset.size_bytes == len(content)
    assert_disk_matches_rows(media_root, project)
    assert staging_dirs(media_root) == []


def test_a_crash_while_unpacking_unpacks_again_on_the_next_attempt(
    eager, manager_api, image_project, monkeypatch, _media_root, django_capture_on_commit_callbacks
):
    real = archives._inflate
    calls = {"n": 0}

    def dies_once(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("simulated crash while unpacking")
        return real(*args, **kwargs)

    monkeypatch.setattr(archives, "_inflate", dies_once)
    job = run(manager_api, image_project, django_capture_on_commit_callbacks)
    assert job.state == Job.State.SUCCEEDED, job.log
    assert job.attempts == 2 and "simulated crash while unpacking" in job.log
    assert job.log.count("unpacking `set.zip`: 3 file(s)") == 2 and calls["n"] == 2 + 3
    assert_each_entry_once(job, _media_root, image_project)


def test_a_crash_after_unpacking_resumes_without_unpacking_again(
    eager, manager_api, image_project, monkeypatch, _media_root, django_capture_on_commit_callbacks
):
    real = importing.create_task_for_asset
    calls = {"n": 0}

    def flaky(asset):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("simulated crash while importing")
        return real(asset)

    monkeypatch.setattr(importing, "create_task_for_asset", flaky)
    job = run(manager_api, image_project, django_capture_on_commit_callbacks)
    assert job.state == Job.State.SUCCEEDED, job.log
    assert job.attempts == 2 and "resuming: 1 of 3" in job.log
    assert job.log.count("unpacking `set.zip`") == 1, job.log  # the second attempt used unpacked.json
    assert_each_entry_once(job, _media_root, image_project)
