"""A real Celery worker against Redis: a job created through the API runs to succeeded."""

from __future__ import annotations

import threading
import time

import pytest
from django.conf import settings
from django.db import connection, transaction

from annotator.models import Asset, Membership
from tests import factories as f
from worker import jobs
from worker.models import Job

from .conftest import assert_disk_matches_rows, import_url, jpeg_bytes, upload

pytestmark = pytest.mark.django_db(transaction=True)


def _purge(app, queues):
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        for queue in queues:
            try:
                channel.queue_purge(queue)
            except Exception:  # the queue may not exist yet
                pass


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (the suite runs on Redis)")
def test_real_worker_runs_an_import_created_through_the_api(_media_root, samples, monkeypatch):
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    # the worker thread's connection must not outlive the test (the test database is dropped later)
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)

    assert not app.conf.task_always_eager
    manager = f.user("manager")
    project = f.project(media_type="image", members={manager: Membership.Role.MANAGER})
    queues = ["media", "default"]
    _purge(app, queues)
    with start_worker(app, perform_ping_check=False, queues=queues, pool="solo", shutdown_timeout=20):
        response = f.api(manager).post(
            import_url(project),
            {"files": [upload("test1.jpg", (samples / "test1.jpg").read_bytes()), upload("x.jpg", jpeg_bytes())]},
            format="multipart",
        )
        assert response.status_code == 202, response.content
        job_id = response.json()["id"]
        deadline = time.monotonic() + 60
        job = Job.objects.get(pk=job_id)
        while time.monotonic() < deadline and job.state in (Job.State.QUEUED, Job.State.RUNNING):
            time.sleep(0.2)
            job.refresh_from_db()
    _purge(app, queues)
    assert job.dispatched_at is not None and job.celery_task_id
    assert job.state == Job.State.SUCCEEDED, (job.state, job.log, job.error)
    assert job.result["imported"] == 2
    assert Asset.objects.filter(import_job_id=job_id, status=Asset.Status.READY).count() == 2
    assert_disk_matches_rows(_media_root, project)


def test_two_workers_never_take_the_same_job(_media_root):
    """Row lock + state flip: while one worker holds the row, another delivery skips it."""
    project = f.project(media_type="image")
    job = jobs.create_job(Job.Kind.IMPORT, {"entries": []}, project=project, dispatch=False)
    holding = threading.Event()
    release = threading.Event()

    def first_worker():
        try:
            with transaction.atomic():
                Job.objects.select_for_update().get(pk=job.pk)
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=first_worker)
    thread.start()
    assert holding.wait(10)
    try:
        assert jobs.claim(job.pk) is None  # skipped, not blocked
    finally:
        release.set()
        thread.join()
    claimed = jobs.claim(job.pk)
    assert claimed is not None and claimed.state == Job.State.RUNNING
    assert jobs.claim(job.pk) is None


def test_heartbeat_thread_keeps_a_long_item_alive_and_stops_when_the_job_is_taken(_media_root):
    project = f.project(media_type="image")
    job = jobs.create_job(Job.Kind.IMPORT, {"entries": []}, project=project, dispatch=False)
    claimed = jobs.claim(job.pk)
    started = claimed.heartbeat_at
    with jobs.runner._Heartbeat(job.pk, claimed.attempts, interval=0.05) as beat:
        time.sleep(0.3)
        assert Job.objects.get(pk=job.pk).heartbeat_at > started
        Job.objects.filter(pk=job.pk).update(attempts=claimed.attempts + 1)  # taken by another attempt
        beat.thread.join(2)
        assert not beat.thread.is_alive()
