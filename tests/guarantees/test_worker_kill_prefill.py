"""Guarantee: a worker killed mid pre-fill loses no prediction and makes none twice; the retry
resumes where the dead attempt stopped.

The platform runs for real (gunicorn, prefork Celery workers, a redis-server of this test's
own) with a real model: a tiny random-weight LLaVA saved like a Hub checkpoint, loaded by the
same ``HFGuesser`` code as a downloaded one, on the CPU. A manager asks for a pre-fill of 40
images. Once the job is running and has recorded 10 predictions, the worker is SIGKILLed
(its whole process group). The predictions it committed are whole (every question), one per
asset. The beat sweep, once the heartbeat is past the stale limit, requeues the job and sends it
to a fresh worker, which resumes: it predicts only the assets the dead attempt had not, and at
the end every asset has exactly one prediction from the job.
"""

from __future__ import annotations

import re
import time
from collections import Counter

import pytest
import requests

from annotator.models import Prediction
from tests import factories as f
from tests.worker.conftest import jpeg_bytes
from worker.models import Job, ModelSpec

from .conftest import token
from .test_redis_down import SWEEP, wait_for_job
from .test_worker_kill_export import stale_heartbeat

ASSETS = 40
KILL_AFTER = 10  # predictions recorded by attempt 1

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def tiny_llava(tmp_path_factory):
    from worker.prefill.tiny import build_tiny_llava

    return build_tiny_llava(tmp_path_factory.mktemp("models") / "tiny-llava")


def test_a_worker_killed_mid_prefill_resumes_without_predicting_an_asset_twice(stack, tiny_llava):
    stack.redis()
    manager = f.user("modeller")
    project = f.project(members={manager: "manager"})
    for i in range(ASSETS):
        f.ready_asset(project, name=f"{i}.jpg", prompt=f"a cat {i}", content=jpeg_bytes(32, 32, (6 * i, 90, 30)))
    ModelSpec.objects.create(
        name="tiny-llava", source=str(tiny_llava), device="cpu", dtype="float32", batch_size=16, queue="default"
    )
    questions = set(project.checklist_version.checklist.question_keys)
    web = stack.web(workers=1, threads=2)
    api = requests.Session()
    api.headers["Authorization"] = f"Token {token(manager)}"
    response = api.post(f"{web.url}/api/projects/{project.pk}/prefill/", json={"model": "tiny-llava"}, timeout=60)
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]

    # attempt 1: killed once it has recorded a quarter of the predictions
    worker = stack.worker(name="gpu-worker-1")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = Job.objects.get(pk=job_id)
        if job.state not in (Job.State.QUEUED, Job.State.RUNNING):
            raise AssertionError(f"the pre-fill ended {job.state} before it could be killed (more assets):\n{job.log}")
        if job.state == Job.State.RUNNING and Prediction.objects.filter(job_id=job_id).count() >= KILL_AFTER:
            worker.kill()
            break
        time.sleep(0.02)
    else:
        raise AssertionError(f"the pre-fill never got going:\n{Job.objects.get(pk=job_id).log}")
    kept = list(Prediction.objects.filter(job_id=job_id))
    assert 0 < len(kept) < ASSETS, f"{len(kept)} of {ASSETS} predicted before the kill: make the job longer"
    assert max(Counter(p.asset_id for p in kept).values()) == 1
    assert all(set(p.p_yes) == questions for p in kept)  # what was committed is whole
    assert Job.objects.get(pk=job_id).state == Job.State.RUNNING  # nobody knows yet

    # the sweep: the worker is lost → queued again and sent to a fresh worker, which resumes
    stale_heartbeat(job_id)
    counts = stack.manage(SWEEP)
    assert (counts["requeued"], counts["redispatched"], counts["failed"]) == (1, 1, 0), counts
    stack.worker(name="gpu-worker-2")
    job = wait_for_job(job_id, {Job.State.SUCCEEDED, Job.State.FAILED}, timeout=120)
    assert job.state == Job.State.SUCCEEDED and job.attempts == 2, (job.state, job.log, job.error)
    resumed = re.search(r"resuming: (\d+) of (\d+) asset\(s\) were already predicted by this job", job.log)
    assert resumed and (int(resumed[1]), int(resumed[2])) == (len(kept), ASSETS), job.log
    assert job.result["predicted"] == ASSETS and job.result["failed"] == []

    per_asset = Counter(Prediction.objects.filter(job_id=job_id).values_list("asset_id", flat=True))
    assert len(per_asset) == ASSETS and set(per_asset.values()) == {1}
    assert Prediction.objects.count() == ASSETS
    print(f"\nkilled after {len(kept)} of {ASSETS} predictions; the retry predicted the other {ASSETS - len(kept)}")
