"""Guarantee: a job whose worker was SIGKILLed is running again on another worker within about a
minute, with the default settings and the real beat schedule (issue 13, item 10).

The platform runs for real: gunicorn, prefork Celery workers, Celery beat (the database
scheduler, the settings' schedule: the sweep every ``VR_JOB_SWEEP_SECONDS``) and a redis-server
of this test's own. Nothing is moved back in time: the killed worker's job falls silent, the
sweep sees it stale after ``VR_JOB_STALE_SECONDS`` and requeues it, and a second worker finishes
it. The job is an export of 4,000 annotated images (several seconds of real work).
"""

from __future__ import annotations

import time

import pytest
import requests
from django.conf import settings

from datasets_app.models import DatasetVersion
from tests import factories as f
from worker.models import Job

from .conftest import token
from .test_redis_down import wait_for_job
from .test_worker_kill_export import annotated_images

ASSETS = 4000

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_a_killed_workers_job_is_requeued_by_beat_and_finished_elsewhere_within_a_minute(
    stack, _media_root, _datasets_root
):
    assert (settings.VR_JOB_HEARTBEAT_SECONDS, settings.VR_JOB_STALE_SECONDS, settings.VR_JOB_SWEEP_SECONDS) == (
        10,
        45,
        15,
    ), "this test measures the defaults: run it without VR_JOB_* in the environment"
    stack.redis()
    manager = f.user("exporter")
    project = f.project(members={manager: "manager"})
    annotated_images(project, _media_root, ASSETS)
    web = stack.web(workers=1, threads=2)
    stack.beat()
    worker = stack.worker(name="worker-1")
    api = requests.Session()
    api.headers["Authorization"] = f"Token {token(manager)}"
    response = api.post(f"{web.url}/api/exports/", json={"name": "requeued", "projects": [project.pk]}, timeout=60)
    assert response.status_code == 202, response.text
    job_id, version_id = response.json()["job"]["id"], response.json()["dataset_version"]["id"]

    job = wait_for_job(job_id, {Job.State.RUNNING}, timeout=60)
    assert job.state == Job.State.RUNNING and job.attempts == 1, (job.state, job.log)
    time.sleep(0.5)
    worker.kill()
    killed = time.monotonic()
    assert Job.objects.get(pk=job_id).state == Job.State.RUNNING  # nobody knows yet
    stack.worker(name="worker-2")

    requeued_after = None
    deadline = killed + 150
    while time.monotonic() < deadline:
        job = Job.objects.get(pk=job_id)
        if requeued_after is None and "the worker was lost; queued again" in job.log:
            requeued_after = time.monotonic() - killed
        if job.state in (Job.State.SUCCEEDED, Job.State.FAILED, Job.State.CANCELLED):
            break
        time.sleep(0.2)
    finished_after = time.monotonic() - killed
    assert job.state == Job.State.SUCCEEDED and job.attempts == 2, (job.state, job.log, stack.logs())
    assert requeued_after is not None and requeued_after <= 45 + 15 + 5, (requeued_after, job.log)
    assert finished_after <= 90, (finished_after, job.log)
    version = DatasetVersion.objects.get(pk=version_id)
    assert version.state == DatasetVersion.State.READY, (version.state, version.error)
    print(f"\nkilled; requeued by beat after {requeued_after:.0f} s, finished elsewhere after {finished_after:.0f} s")
