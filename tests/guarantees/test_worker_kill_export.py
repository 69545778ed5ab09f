"""Guarantee: a worker killed mid-export never leaves a half dataset version visible; the job is
retried, fails with a reason when its attempts are spent, and publishes exactly once.

The platform runs for real: gunicorn, Celery workers (prefork, as docker-compose runs them) and
a redis-server of this test's own, on the test database. A manager asks for an export of 4,000
annotated images (embedded in the parquet files: several seconds of work on this machine, no
test hook slows it down). Its job gets two attempts. Each attempt's worker is SIGKILLed (its
whole process group) once the job is running and has written rows into its staging folder;
then nothing is published: no version ``ready``, nothing under ``VR_DATASETS_ROOT/<name>``.
The beat sweep, run as it runs in production once the heartbeat is old (``heartbeat_at`` moved
back past the stale limit), requeues the first crash and sends it to a fresh worker, and fails
the job after the second crash with a reason, marking the version failed with it; the staging
leftovers of the killed attempts are removed by the same sweep once old (their mtime moved back
past the 24 h limit). A manual retry then publishes the version exactly once.
"""

from __future__ import annotations

import io
import os
import random
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.utils import timezone

from annotator.checklist import expand
from annotator.models import Annotation, Asset, Assignment, Task
from datasets_app.models import DatasetVersion
from tests import factories as f
from tests.worker.preference_data import random_options
from worker.exports.job import STAGING_MAX_AGE
from worker.jobs import stale_limit
from worker.models import Job

from .conftest import token
from .test_redis_down import SWEEP, wait_for_job

ASSETS = 4000  # the first parquet part appears after ~1,250; the rest takes seconds more
NAME = "guarantee-export"

pytestmark = pytest.mark.django_db(transaction=True)


def annotated_images(project, media_root: Path, n: int) -> None:
    """``n`` ready images (one ~12 kB noisy JPEG on disk, shared), each annotated once."""
    from PIL import Image

    rng = random.Random(7)
    buf = io.BytesIO()
    Image.effect_noise((128, 128), 60).convert("RGB").save(buf, "JPEG", quality=90)
    rel = "guarantee/noise.jpg"
    (media_root / "guarantee").mkdir(parents=True)
    (media_root / rel).write_bytes(buf.getvalue())
    files = {"original": rel, "display": rel, "thumbnail": rel, "poster": None, "frames": []}
    raters = [f.user(f"rater{i}") for i in range(4)]
    checklist = project.checklist_version.checklist
    now = timezone.now()
    assets = Asset.objects.bulk_create(
        Asset(
            project=project,
            kind="image",
            status=Asset.Status.READY,
            original_name=f"{i}.jpg",
            prompt=f"prompt {i // 2}",
            sha256=f"{i:064x}",
            files=files,
            width=128,
            height=128,
            size_bytes=len(buf.getvalue()),
            mime_type="image/jpeg",
        )
        for i in range(n)
    )
    tasks = Task.objects.bulk_create(
        Task(project=project, kind=Task.Kind.SINGLE, asset=a, required=1, assigned_count=1, submitted_count=1)
        for a in assets
    )
    Task.objects.filter(project=project).update(status=Task.Status.DONE)
    assignments = Assignment.objects.bulk_create(
        Assignment(
            task=t,
            user=raters[i % len(raters)],
            project=project,
            state=Assignment.State.SUBMITTED,
            leased_at=now,
            expires_at=now + timedelta(hours=1),
            finished_at=now,
        )
        for i, t in enumerate(tasks)
    )
    annotations = []
    for task, assignment in zip(tasks, assignments, strict=True):
        expansion = expand(checklist, random_options(checklist, rng))
        annotations.append(
            Annotation(
                assignment=assignment,
                task=task,
                project=project,
                user=assignment.user,
                checklist_version=project.checklist_version,
                options={k: v for k, v in expansion.options.items() if v is not None},
                answers=list(expansion.answers),
                mask=list(expansion.mask),
                submitted_at=now,
            )
        )
    Annotation.objects.bulk_create(annotations)


def staging_folders(datasets_root: Path) -> set[Path]:
    root = datasets_root / ".staging"
    return set(root.iterdir()) if root.is_dir() else set()


def kill_mid_export(worker, job_id: int, attempt: int, datasets_root: Path, before: set[Path]) -> Path:
    """Wait until attempt ``attempt`` runs and has written a first parquet part (1,000 rows of a
    split) into a new staging folder, then SIGKILL the worker. Returns that staging folder."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        job = Job.objects.get(pk=job_id)
        new = staging_folders(datasets_root) - before
        written = [p for folder in new for p in folder.rglob("*") if p.is_file()]
        if job.state == Job.State.RUNNING and job.attempts == attempt and written:
            worker.kill()
            (staged,) = new
            return staged
        if job.state not in (Job.State.QUEUED, Job.State.RUNNING):
            raise AssertionError(
                f"attempt {attempt} ended {job.state} before it could be killed (export more assets):\n{job.log}"
            )
        time.sleep(0.02)
    raise AssertionError(f"attempt {attempt} never got mid-way:\n{Job.objects.get(pk=job_id).log}")


def assert_nothing_published(version_id: int, datasets_root: Path) -> None:
    version = DatasetVersion.objects.get(pk=version_id)
    assert version.state != DatasetVersion.State.READY and not version.path, (version.state, version.path)
    assert not DatasetVersion.objects.filter(state=DatasetVersion.State.READY).exists()
    assert not (datasets_root / NAME).exists(), sorted(p.name for p in (datasets_root / NAME).iterdir())


def age(folders, seconds: float) -> None:
    """Move the folders' modification time back, as if ``seconds`` had passed."""
    for folder in folders:
        then = time.time() - seconds
        os.utime(folder, (then, then))


def stale_heartbeat(job_id: int) -> None:
    """As if the killed worker had been silent for longer than the sweep's stale limit."""
    Job.objects.filter(pk=job_id).update(heartbeat_at=timezone.now() - stale_limit() - timedelta(minutes=1))


def test_a_worker_killed_mid_export_leaves_no_half_version_and_the_job_is_retried(stack, _media_root, _datasets_root):
    stack.redis()
    manager = f.user("exporter")
    project = f.project(members={manager: "manager"})
    annotated_images(project, _media_root, ASSETS)
    web = stack.web(workers=1, threads=2)
    api = requests.Session()
    api.headers["Authorization"] = f"Token {token(manager)}"

    # the export is asked for while no worker runs (its message waits in Redis); two attempts
    response = api.post(f"{web.url}/api/exports/", json={"name": NAME, "projects": [project.pk]}, timeout=60)
    assert response.status_code == 202, response.text
    version_id, job_id = response.json()["dataset_version"]["id"], response.json()["job"]["id"]
    Job.objects.filter(pk=job_id).update(max_attempts=2)
    started = time.monotonic()

    # attempt 1: the worker is killed mid-way; nothing is published
    staged = [kill_mid_export(stack.worker(name="worker-1"), job_id, 1, _datasets_root, set())]
    assert_nothing_published(version_id, _datasets_root)

    # the sweep: the job's worker is lost → queued again and sent; the leftovers, once old, removed
    stale_heartbeat(job_id)
    age(staged, STAGING_MAX_AGE + 3600)
    counts = stack.manage(SWEEP)
    assert counts == {"requeued": 1, "redispatched": 1, "failed": 0, "staging_removed": 1}, counts
    assert not staged[0].exists()
    job = Job.objects.get(pk=job_id)
    assert job.state == Job.State.QUEUED and job.attempts == 1 and job.dispatched_at is not None
    assert_nothing_published(version_id, _datasets_root)

    # attempt 2 (a fresh worker takes the resent message): killed mid-way too
    staged.append(kill_mid_export(stack.worker(name="worker-2"), job_id, 2, _datasets_root, set()))
    assert_nothing_published(version_id, _datasets_root)

    # the sweep: attempts spent → the job fails with a reason, and so does its version
    stale_heartbeat(job_id)
    age(staged[1:], STAGING_MAX_AGE + 3600)
    counts = stack.manage(SWEEP)
    assert counts == {"requeued": 0, "redispatched": 0, "failed": 1, "staging_removed": 1}, counts
    job = Job.objects.get(pk=job_id)
    assert job.state == Job.State.FAILED and job.attempts == 2
    assert "the worker stopped responding" in job.error and "after 2 attempt(s)" in job.message
    version = DatasetVersion.objects.get(pk=version_id)
    assert version.state == DatasetVersion.State.FAILED, version.state
    assert "the worker stopped responding" in version.error
    shown = api.get(f"{web.url}/api/dataset-versions/{version_id}/", timeout=30).json()
    assert shown["state"] == "failed", shown
    assert_nothing_published(version_id, _datasets_root)
    assert not staging_folders(_datasets_root)

    # a manual retry on a fresh worker publishes it, exactly once
    retried = api.post(f"{web.url}/api/jobs/{job_id}/retry/", timeout=30)
    assert retried.status_code == 200, retried.text
    stack.worker(name="worker-3")
    job = wait_for_job(job_id, {Job.State.SUCCEEDED, Job.State.FAILED}, timeout=120)
    assert job.state == Job.State.SUCCEEDED and job.attempts == 3, (job.state, job.log, job.error)
    version = DatasetVersion.objects.get(pk=version_id)
    assert version.state == DatasetVersion.State.READY and version.path == f"{NAME}/v1"
    assert DatasetVersion.objects.filter(name=NAME).count() == 1
    assert sorted(p.name for p in (_datasets_root / NAME).iterdir()) == ["v1"]
    assert (version.folder / "README.md").is_file()
    assert sum(version.row_counts["default"].values()) == ASSETS
    assert not staging_folders(_datasets_root)
    print(f"\nkilled twice, failed, retried, published in {time.monotonic() - started:.1f} s; job log:\n{job.log}")


@pytest.mark.django_db(transaction=False)
def test_an_export_cancelled_before_it_started_fails_its_version_with_the_reason():
    """The same give-up path without a worker: a queued export cancelled ends its version too."""
    from worker import jobs
    from worker.exports.job import start_export

    manager = f.user("canceller")
    project = f.project(members={manager: "manager"})
    version, job = start_export(manager, {"name": NAME, "projects": [project.pk]})  # never sent: no commit
    jobs.cancel_job(job, manager)
    version.refresh_from_db()
    assert (version.state, version.error) == (DatasetVersion.State.FAILED, "cancelled by canceller")
    assert Job.objects.get(pk=job.pk).state == Job.State.CANCELLED
