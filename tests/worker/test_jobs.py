"""Job lifecycle: outbox dispatch, sweep, crash and resume, cancel, retry, permissions."""

from __future__ import annotations

import dataclasses
import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.db.models import F
from django.utils import timezone

from annotator.models import Asset, Membership
from tests import factories as f
from worker import jobs
from worker.imports import job as importing
from worker.jobs import registry
from worker.models import Job, tail

from .conftest import assert_disk_matches_rows, asset_dirs, import_url, jpeg_bytes, staging_dirs, upload

pytestmark = pytest.mark.django_db


def three_files():
    return [upload(f"img{i}.jpg", jpeg_bytes(color=(i * 60, 30, 30))) for i in range(3)]


def queued_import(client, project) -> Job:
    """An import job whose message was never sent (its on_commit never runs in these tests)."""
    response = client.post(import_url(project), {"files": three_files()}, format="multipart")
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == Job.State.QUEUED and job.dispatched_at is None
    return job


# --- pure helpers -----------------------------------------------------------------------------


def test_log_tail_keeps_the_last_lines_within_the_size_limit():
    text = "".join(f"line {i}\n" for i in range(1000))
    kept = tail(text)
    assert kept.splitlines()[-1] == "line 999" and len(kept.splitlines()) == 200
    assert len(tail("x" * 100 + "\n" + "y" * 30_000 + "\n")) <= 20_001


def test_illegal_transitions_are_refused(image_project):
    job = jobs.create_job(Job.Kind.IMPORT, {}, project=image_project, dispatch=False)
    job.state = Job.State.SUCCEEDED
    with pytest.raises(jobs.JobError, match="cannot go from succeeded to running"):
        jobs.runner._check_transition(job, Job.State.RUNNING)
    with pytest.raises(jobs.JobError, match="not implemented"):
        jobs.create_job("nope", {}, project=image_project)


# --- the outbox and the sweep ---------------------------------------------------------------------


class _DownBroker:
    def apply_async(self, *args, **kwargs):
        from kombu.exceptions import OperationalError

        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def test_broker_down_keeps_the_job_queued_and_the_sweep_sends_it_later(
    eager, manager_api, image_project, monkeypatch, _media_root, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(jobs.runner, "_task", lambda kind: _DownBroker())
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_api.post(import_url(image_project), {"files": three_files()}, format="multipart")
    assert response.status_code == 202  # the request never sees the broker error
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == Job.State.QUEUED and job.dispatched_at is None
    assert job.message == "waiting for the broker" and "could not reach the broker" in job.log
    monkeypatch.undo()

    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.redispatch_lost_jobs()["redispatched"] == 0  # too fresh: its on_commit may be on the way
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        counts = jobs.redispatch_lost_jobs()
    assert counts["redispatched"] == 1
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED and job.result["imported"] == 3
    assert_disk_matches_rows(_media_root, image_project)


def test_sweep_resends_a_queued_job_whose_message_was_lost(eager, manager_api, image_project):
    job = queued_import(manager_api, image_project)
    Job.objects.filter(pk=job.pk).update(dispatched_at=timezone.now() - timedelta(minutes=1))
    assert jobs.redispatch_lost_jobs()["redispatched"] == 0  # sent recently: give it time
    Job.objects.filter(pk=job.pk).update(dispatched_at=timezone.now() - timedelta(minutes=10))
    assert jobs.redispatch_lost_jobs()["redispatched"] == 1  # the sweep sends directly (eager: runs now)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED and job.attempts == 1


def test_duplicate_delivery_is_a_no_op(eager, manager_api, image_project, django_capture_on_commit_callbacks):
    from worker.imports.tasks import run_import_job

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_api.post(import_url(image_project), {"files": three_files()}, format="multipart")
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == Job.State.SUCCEEDED
    before = (job.attempts, job.finished_at, Asset.objects.count())
    assert jobs.execute(job.pk) == "skipped"
    assert run_import_job.apply(args=[job.pk]).get() == "skipped"
    job.refresh_from_db()
    assert (job.attempts, job.finished_at, Asset.objects.count()) == before


def test_a_worker_whose_job_was_taken_away_stops(manager_api, image_project):
    job = queued_import(manager_api, image_project)
    claimed = jobs.claim(job.pk, "task-1")
    assert claimed.state == Job.State.RUNNING and claimed.attempts == 1 and claimed.celery_task_id == "task-1"
    assert jobs.claim(job.pk) is None  # a second delivery of a running job does nothing
    ctx = jobs.JobContext(claimed)
    assert ctx.report(progress=0.5, message="half", log="halfway") is False
    Job.objects.filter(pk=job.pk).update(attempts=F("attempts") + 1)  # the sweep gave it to another worker
    with pytest.raises(jobs.JobLost):
        ctx.report(progress=0.6)


# --- crashes and resume ------------------------------------------------------------------------


def test_an_error_mid_import_is_retried_without_duplicates_or_orphans(
    eager, manager_api, image_project, monkeypatch, _media_root, django_capture_on_commit_callbacks
):
    real = importing.create_task_for_asset
    calls = {"n": 0}

    def flaky(asset):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("simulated crash while creating the task")
        return real(asset)

    monkeypatch.setattr(importing, "create_task_for_asset", flaky)
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_api.post(import_url(image_project), {"files": three_files()}, format="multipart")
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == Job.State.SUCCEEDED, job.log
    assert job.attempts == 2 and "simulated crash" in job.log and "resuming: 1 of 3" in job.log
    entries = list(Asset.objects.filter(import_job_id=job.pk).values_list("import_entry", flat=True))
    assert sorted(entries) == [0, 1, 2]
    assert job.result["imported"] == 3
    assert_disk_matches_rows(_media_root, image_project)
    assert staging_dirs(_media_root) == []


def test_a_killed_worker_is_detected_and_the_next_attempt_cleans_up_and_resumes(
    eager, manager_api, image_project, _media_root, django_capture_on_commit_callbacks
):
    from worker.media import MediaLimits, process_media

    job = queued_import(manager_api, image_project)
    job = jobs.claim(job.pk)  # attempt 1 starts …
    staging = Path(_media_root) / job.params["staging_dir"]
    work = staging / "work"
    work.mkdir()
    limits = MediaLimits(max_bytes=10**9, max_pixels=10**9, max_video_seconds=600)
    entries = job.params["entries"]
    importing._import_entry(job, entries[0], staging, work, limits, "image")  # … records entry 0 …
    # … moves entry 1's folder into place and dies before its transaction commits:
    processed = process_media(staging / entries[1]["file"], work / "000001", limits=limits, expected_kind="image")
    assert processed.files["original"]
    (work / "000001" / importing.MARKER).write_text(json.dumps({"job": job.pk, "entry": 1}))
    orphan = Path(_media_root) / "projects" / str(image_project.pk) / "assets" / "987654"
    os.rename(work / "000001", orphan)
    (work / "000002.partial").mkdir()  # and leaves half-processed work behind
    assert asset_dirs(_media_root, image_project) == {Asset.objects.get(import_job_id=job.pk).pk, 987654}

    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        counts = jobs.redispatch_lost_jobs()
    assert counts["requeued"] == 1 and counts["redispatched"] == 1
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.log
    assert job.attempts == 2
    assert "worker was lost" in job.log and "removed 1 unfinished folder" in job.log
    entries = list(Asset.objects.filter(import_job_id=job.pk).values_list("import_entry", flat=True))
    assert sorted(entries) == [0, 1, 2]
    assert not orphan.exists()
    assert_disk_matches_rows(_media_root, image_project)
    assert staging_dirs(_media_root) == []


def test_a_job_whose_worker_keeps_dying_fails_with_a_reason(manager_api, image_project):
    job = queued_import(manager_api, image_project)
    jobs.claim(job.pk)
    Job.objects.filter(pk=job.pk).update(attempts=3, heartbeat_at=timezone.now() - timedelta(hours=1))
    assert jobs.redispatch_lost_jobs()["failed"] == 1
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and job.finished_at is not None
    assert "stopped responding" in job.error and "after 3 attempt(s)" in job.error


def test_unexpected_errors_are_retried_then_fail_and_a_manual_retry_resumes(
    eager, manager_api, image_project, monkeypatch, _media_root, django_capture_on_commit_callbacks
):
    def broken(job, ctx):
        raise RuntimeError("boom")

    declared = registry.kind_of(Job.Kind.IMPORT)
    monkeypatch.setitem(registry._KINDS, Job.Kind.IMPORT, dataclasses.replace(declared, run=broken))
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_api.post(import_url(image_project), {"files": three_files()}, format="multipart")
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == Job.State.FAILED and job.attempts == 3
    assert "RuntimeError: boom" in job.error and job.message.startswith("failed after 3 attempt(s)")
    assert staging_dirs(_media_root)  # kept for a retry
    monkeypatch.undo()

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_api.post(f"/api/jobs/{job.pk}/retry/")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "queued"
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED and job.attempts == 4 and job.error == ""
    assert job.result["imported"] == 3
    assert_disk_matches_rows(_media_root, image_project)


# --- cancel and retry through the API -----------------------------------------------------------


def test_cancel_between_items_then_retry_resumes(
    eager, manager_api, image_project, monkeypatch, _media_root, django_capture_on_commit_callbacks
):
    real = importing._import_entry
    state = {"job": None}

    def then_cancel(job, *args, **kwargs):
        out = real(job, *args, **kwargs)
        if state["job"] is None:
            state["job"] = job.pk
            response = manager_api.post(f"/api/jobs/{job.pk}/cancel/")
            assert response.status_code == 200 and response.json()["cancel_requested"] is True
            assert response.json()["state"] == "running"
        return out

    monkeypatch.setattr(importing, "_import_entry", then_cancel)
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_api.post(import_url(image_project), {"files": three_files()}, format="multipart")
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == Job.State.CANCELLED, job.log
    assert Asset.objects.filter(import_job_id=job.pk).count() == 1
    assert "cancel requested by manager" in job.log
    assert staging_dirs(_media_root)
    monkeypatch.undo()

    response = manager_api.post(f"/api/jobs/{job.pk}/cancel/")
    assert response.status_code == 400
    assert response.json()["detail"] == f"job {job.pk} is cancelled; only queued or running jobs can be cancelled"

    with django_capture_on_commit_callbacks(execute=True):
        assert manager_api.post(f"/api/jobs/{job.pk}/retry/").status_code == 200
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED
    assert sorted(Asset.objects.filter(import_job_id=job.pk).values_list("import_entry", flat=True)) == [0, 1, 2]
    assert_disk_matches_rows(_media_root, image_project)

    response = manager_api.post(f"/api/jobs/{job.pk}/retry/")
    assert response.status_code == 400
    assert response.json()["detail"] == f"job {job.pk} is succeeded; only failed or cancelled jobs can be retried"
    response = manager_api.post(f"/api/jobs/{job.pk}/cancel/")
    assert response.json()["detail"] == f"job {job.pk} is succeeded; only queued or running jobs can be cancelled"


def test_cancel_a_queued_job_and_retry_needs_its_staged_files(manager_api, image_project, _media_root):
    job = queued_import(manager_api, image_project)
    response = manager_api.post(f"/api/jobs/{job.pk}/cancel/")
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    for folder in staging_dirs(_media_root):
        import shutil

        shutil.rmtree(folder)
    response = manager_api.post(f"/api/jobs/{job.pk}/retry/")
    assert response.status_code == 400
    assert "staged files were removed" in response.json()["detail"]


def test_clean_staging_removes_what_no_import_will_use(manager_api, image_project, _media_root):
    job = queued_import(manager_api, image_project)
    stray = Path(_media_root) / "staging" / "deadbeef"
    stray.mkdir()
    assert importing.clean_staging() == []  # the queued job's folder is in use; the stray one is fresh
    old = timezone.now() + timedelta(days=2)
    assert importing.clean_staging(now=old) == ["staging/deadbeef"]
    jobs.cancel_job(job)
    assert importing.clean_staging(now=old) == []  # kept for a retry …
    assert importing.clean_staging(now=timezone.now() + timedelta(days=8)) == [job.params["staging_dir"]]


# --- visibility and permissions ------------------------------------------------------------------


def test_job_visibility_and_filters(people, image_project, video_project):
    mine = queued_import(f.api(people["manager"]), image_project)
    other_project = f.project(name="someone else's", members={people["outsider"]: Membership.Role.MANAGER})
    theirs = jobs.create_job(Job.Kind.IMPORT, {}, project=other_project, user=people["outsider"], dispatch=False)

    def ids(user, query=""):
        response = f.api(user).get(f"/api/jobs/{query}")
        assert response.status_code == 200
        return {j["id"] for j in response.json()["results"]}

    assert ids(people["manager"]) == {mine.pk}
    assert ids(people["researcher"]) == {mine.pk}
    assert ids(people["annotator"]) == set()
    assert ids(people["outsider"]) == {theirs.pk}
    assert ids(people["staff"]) == {mine.pk, theirs.pk}
    assert ids(people["staff"], f"?project={other_project.pk}") == {theirs.pk}
    assert ids(people["staff"], "?kind=import&state=queued") == {mine.pk, theirs.pk}
    assert ids(people["staff"], "?state=running") == set()

    assert f.api(people["manager"]).get(f"/api/jobs/{theirs.pk}/").status_code == 404
    assert f.api(people["annotator"]).get(f"/api/jobs/{mine.pk}/").status_code == 404
    assert f.api(people["annotator"]).post(f"/api/jobs/{mine.pk}/cancel/").status_code == 404
    detail = f.api(people["researcher"]).get(f"/api/jobs/{mine.pk}/").json()
    assert detail["state"] == "queued" and detail["created_by"] == "manager" and "log" in detail
    # researchers see imports but only managers control them
    assert f.api(people["researcher"]).post(f"/api/jobs/{mine.pk}/cancel/").status_code == 403
    assert f.api(people["staff"]).post(f"/api/jobs/{theirs.pk}/cancel/").status_code == 200


def test_admin_lists_jobs_and_cancels(people, image_project, client):
    job = jobs.create_job(Job.Kind.IMPORT, {}, project=image_project, dispatch=False)
    admin = f.user("root", staff=True)
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    assert client.get("/admin/worker/job/").status_code == 200
    assert client.get(f"/admin/worker/job/{job.pk}/change/").status_code == 200
    response = client.post("/admin/worker/job/", {"action": "cancel_jobs", "_selected_action": [job.pk]}, follow=True)
    assert response.status_code == 200
    job.refresh_from_db()
    assert job.state == Job.State.CANCELLED


def test_imports_go_to_the_media_queue_unless_the_installation_routes_them(settings):
    assert jobs.default_queue(Job.Kind.IMPORT) == "media"
    assert jobs.default_queue(Job.Kind.EXPORT) == "default"
    settings.CELERY_TASK_ROUTES = {"worker.tasks.run_export_job": {"queue": "exports"}}
    assert jobs.default_queue(Job.Kind.EXPORT) == "exports"
