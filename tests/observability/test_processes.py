"""Metrics of real processes as docker-compose runs them: gunicorn with several workers adds
every worker's values up (PROMETHEUS_MULTIPROC_DIR, config/gunicorn.py), and a prefork Celery
worker serves its jobs' metrics on VR_WORKER_METRICS_PORT."""

from __future__ import annotations

import time
import urllib.request
import uuid

import pytest
import requests

from annotator.models import Membership
from tests import factories as f
from tests.guarantees.conftest import pytest_runtest_makereport, stack  # noqa: F401 (fixtures)
from tests.guarantees.processes import WebServer, free_port
from worker import jobs
from worker.models import Job

from .scrape import samples, value

pytestmark = pytest.mark.django_db(transaction=True)


def test_gunicorn_workers_add_up_and_a_worker_serves_its_jobs_metrics(stack, tmp_path):  # noqa: F811
    stack.env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "web-metrics")
    (tmp_path / "web-metrics").mkdir()
    (tmp_path / "web-metrics" / "counter_1.db").write_bytes(b"left by a previous run")  # emptied at start
    web = WebServer(dict(stack.env), stack.folder / "web.log", workers=3, threads=2)
    web.argv += ["--config", "python:config.gunicorn"]
    stack._add(web).start()

    ann = f.user("ann")
    project = f.project(members={ann: Membership.Role.ANNOTATOR})
    for name in ("1.jpg", "2.jpg", "3.jpg"):
        f.ready_asset(project, name=name)
    auth = {"Authorization": f"Token {f.api_token(ann)}"}
    options = f.full_image_options(project.checklist_version.checklist)
    for _ in range(3):  # with three workers, the requests land on more than one
        assignment = requests.post(f"{web.url}/api/projects/{project.pk}/tasks/next/", headers=auth, timeout=30)
        assert assignment.status_code == 200, assignment.text
        body = {"client_id": str(uuid.uuid4()), "options": options, "time_spent_ms": 20_000}
        done = requests.post(f"{web.url}/api/assignments/{assignment.json()['id']}/submit/", json=body, headers=auth)
        assert done.status_code == 201, done.text

    scrape = samples(requests.get(f"{web.url}/metrics", timeout=30).text)  # from 127.0.0.1: allowed
    assert value(scrape, "vr_claims_total") == 3 and value(scrape, "vr_submits_total") == 3
    posts = value(scrape, "django_http_requests_total_by_method_total", method="POST")
    assert posts == 6  # every worker's requests, added up

    port = free_port()
    stack.worker(
        "media",
        name="media-worker",
        env={"VR_WORKER_METRICS_PORT": str(port), "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "worker-metrics")},
    )
    job = jobs.create_job(Job.Kind.IMPORT, {"entries": []}, project=project)
    deadline = time.monotonic() + 60
    while job.state in (Job.State.QUEUED, Job.State.RUNNING) and time.monotonic() < deadline:
        time.sleep(0.2)
        job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, (job.state, job.log)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        worker_scrape = samples(response.read().decode())
    assert value(worker_scrape, "vr_jobs_finished_total", kind="import", state="succeeded") == 1
    assert value(worker_scrape, "vr_job_duration_seconds_count", kind="import") == 1
