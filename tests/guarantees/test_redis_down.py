"""Guarantee: a stopped Redis stops no annotator, loses no job, and runs no job twice.

The platform (gunicorn, then a Celery worker and the beat sweep as ``manage.py shell``
processes) runs against a redis-server of this test's own, which is SIGKILLed. While it is
down, annotators claim, autosave drafts and submit (2xx, rows written; no job written and no
broker error in the web server's log: nothing on the annotation path touches the broker), and a manager
starts an import: the request answers 202 at once and the job stays ``queued`` with
``dispatched_at`` null ("waiting for the broker"); a sweep during the outage leaves it so.
Redis comes back, the sweep sends the job, a worker runs it exactly once (``succeeded``,
``attempts == 1``, every file imported once).
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from annotator.models import Annotation, Asset, Assignment, Task
from tests import factories as f
from tests.worker.conftest import jpeg_bytes
from worker.models import Job

from .conftest import token
from .processes import port_open

pytestmark = pytest.mark.django_db(transaction=True)

SWEEP = (
    "import json; from worker.jobs.tasks import redispatch_lost_jobs; "
    "print('RESULT ' + json.dumps(redispatch_lost_jobs()))"
)


def wait_for_job(job_id: int, states: set, timeout: float) -> Job:
    deadline = time.monotonic() + timeout
    job = Job.objects.get(pk=job_id)
    while job.state not in states and time.monotonic() < deadline:
        time.sleep(0.2)
        job.refresh_from_db()
    return job


def test_annotation_goes_on_and_jobs_wait_for_the_broker_while_redis_is_down(stack):
    redis = stack.redis()
    annotators = [f.user(f"ann{i}") for i in range(3)]
    manager = f.user("boss")
    project = f.project(overlap=1, members={**{u: "annotator" for u in annotators}, manager: "manager"})
    for i in range(3):
        f.ready_asset(project, name=f"{i}.jpg", prompt=f"prompt {i}")
    checklist = project.checklist_version.checklist
    options = f.full_image_options(checklist)
    first_sub = checklist.sub_dimensions[0].key
    web = stack.web(workers=1, threads=4)

    redis.kill()
    assert not port_open(redis.port)

    # annotators: claim, autosave, submit, all 2xx, all written
    for user in annotators:
        client = requests.Session()
        client.headers["Authorization"] = f"Token {token(user)}"
        claimed = client.post(f"{web.url}/api/projects/{project.pk}/tasks/next/", timeout=30)
        assert claimed.status_code == 200, claimed.text
        assignment = claimed.json()["id"]
        draft = client.put(
            f"{web.url}/api/assignments/{assignment}/draft/",
            json={"options": {first_sub: options[first_sub]}},
            timeout=30,
        )
        assert draft.status_code == 200, draft.text
        saved = Assignment.objects.get(pk=assignment)
        assert saved.draft["options"] == {first_sub: options[first_sub]} and saved.draft_saved_at is not None
        client_id = str(uuid.uuid4())
        submitted = client.post(
            f"{web.url}/api/assignments/{assignment}/submit/",
            json={"client_id": client_id, "options": options, "time_spent_ms": 3000},
            timeout=30,
        )
        assert submitted.status_code == 201, submitted.text
        annotation = Annotation.objects.get(user=user, client_id=client_id)
        assert annotation.assignment_id == assignment and annotation.pk == submitted.json()["id"]
        client.close()
    assert Task.objects.filter(project=project, status=Task.Status.DONE).count() == 3
    # nothing on that path wrote a job or tried the broker
    assert not Job.objects.exists()
    assert "broker" not in web.output(100_000) and "Connection refused" not in web.output(100_000)

    # a manager starts an import: accepted, queued, waiting for the broker
    boss = requests.Session()
    boss.headers["Authorization"] = f"Token {token(manager)}"
    started = time.monotonic()
    response = boss.post(
        f"{web.url}/api/projects/{project.pk}/imports/",
        files=[
            ("files", ("red.jpg", jpeg_bytes(), "image/jpeg")),
            ("files", ("blue.jpg", jpeg_bytes(color=(0, 0, 200)), "image/jpeg")),
        ],
        timeout=60,
    )
    import_seconds = time.monotonic() - started
    assert response.status_code == 202, response.text
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == Job.State.QUEUED and job.dispatched_at is None, (job.state, job.dispatched_at)
    assert job.message == "waiting for the broker" and "could not reach the broker" in job.log
    assert f"could not send job {job.pk} to the broker" in web.output(100_000)  # what the check above looks for
    shown = boss.get(f"{web.url}/api/jobs/{job.pk}/", timeout=30)
    assert shown.status_code == 200 and shown.json()["state"] == "queued"

    # the sweep while Redis is still down (the job is past its creation grace): still queued
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=1))
    counts = stack.manage(SWEEP)
    assert counts["redispatched"] == 0, counts
    job.refresh_from_db()
    assert job.state == Job.State.QUEUED and job.dispatched_at is None and job.attempts == 0

    # Redis is back: the sweep sends it, one worker runs it once
    redis.start()
    counts = stack.manage(SWEEP)
    assert counts["redispatched"] == 1, counts
    job.refresh_from_db()
    assert job.dispatched_at is not None and job.state == Job.State.QUEUED
    stack.worker("media,default", name="media-worker")
    job = wait_for_job(job.pk, {Job.State.SUCCEEDED, Job.State.FAILED, Job.State.CANCELLED}, timeout=60)
    assert job.state == Job.State.SUCCEEDED, (job.state, job.log, job.error)
    assert job.attempts == 1, job.log
    assert job.result["imported"] == 2
    assert Asset.objects.filter(import_job_id=job.pk, status=Asset.Status.READY).count() == 2
    assert Task.objects.filter(project=project).count() == 5
    print(f"\nimport request with Redis down answered 202 in {import_seconds:.1f} s; job log:\n{job.log}")
