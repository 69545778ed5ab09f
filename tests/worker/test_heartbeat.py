"""Job heartbeats (issue 13, item 10): a job beats for its whole attempt, so a slow but alive job
(one long item, no progress reported) is never taken for a dead one by the sweep, while a
silent one is requeued once its heartbeat is older than the stale limit."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests import factories as f
from worker import jobs
from worker.models import Job

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_defaults_requeue_a_silent_job_within_about_a_minute(settings):
    beat, stale, sweep = settings.VR_JOB_HEARTBEAT_SECONDS, settings.VR_JOB_STALE_SECONDS, settings.VR_JOB_SWEEP_SECONDS
    assert stale + sweep <= 60 and stale >= 3 * beat
    assert settings.CELERY_BEAT_SCHEDULE["redispatch-lost-jobs"]["schedule"] == timedelta(seconds=sweep)


def test_a_slow_but_alive_job_is_not_requeued_and_a_silent_one_is(settings, monkeypatch):
    # the same rule on a shorter clock: beats every 0.2 s, stale after 1 s, one item of 3 s
    settings.VR_JOB_HEARTBEAT_SECONDS = 0.2
    settings.VR_JOB_STALE_SECONDS = 1
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    project = f.project(media_type="image")
    job = jobs.create_job(Job.Kind.IMPORT, {"entries": []}, project=project, dispatch=False)
    sweeps: list[dict] = []

    def one_long_item(job, ctx):
        time.sleep(3)  # no report, no progress: only the heartbeat says it is alive
        return {"slow": True}

    outcome: dict = {}

    def run():
        try:
            outcome["state"] = jobs.execute(job.pk, runner=one_long_item)
        finally:
            connection.close()

    runner = threading.Thread(target=run)
    runner.start()
    while runner.is_alive():
        sweeps.append(jobs.redispatch_lost_jobs())
        time.sleep(0.25)
    runner.join()
    assert outcome["state"] == Job.State.SUCCEEDED
    assert len(sweeps) >= 8 and all(s["requeued"] == 0 and s["failed"] == 0 for s in sweeps), sweeps
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED and job.attempts == 1 and job.result == {"slow": True}, job.log

    # a job whose process is gone (claimed, then nothing beats) is requeued once stale
    silent = jobs.create_job(Job.Kind.IMPORT, {"entries": []}, project=project, dispatch=False)
    jobs.claim(silent.pk)
    assert jobs.redispatch_lost_jobs()["requeued"] == 0
    Job.objects.filter(pk=silent.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=1.5))
    assert jobs.redispatch_lost_jobs()["requeued"] == 1
    silent.refresh_from_db()
    assert silent.state == Job.State.QUEUED and "the worker was lost; queued again" in silent.log
