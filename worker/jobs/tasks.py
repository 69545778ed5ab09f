"""The runner's Celery side: :func:`register`, which declares a job kind and makes the task that
runs its jobs, and the beat sweep that resends lost messages and requeues dead workers' jobs."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from . import registry, runner
from .registry import JobKind

# Transient database/broker errors are retried by Celery with exponential back-off; every other
# error is the job's business (recorded on the row, retried by the runner with its own back-off).
CELERY_RETRY = {
    "autoretry_for": runner.TRANSIENT,
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


def register(kind: JobKind) -> Any:
    """Declare ``kind`` to the runner and return the Celery task that runs its jobs."""
    registry.add(kind)

    def run_job(self, job_id: int) -> str:
        return runner.execute(int(job_id), task_id=self.request.id or "")

    run_job.__name__ = kind.task.rsplit(".", 1)[-1]
    run_job.__doc__ = kind.description or f"Run {kind.name} job ``job_id``."
    return shared_task(bind=True, name=kind.task, acks_late=True, **CELERY_RETRY)(run_job)


@shared_task(bind=True, name="worker.tasks.redispatch_lost_jobs", **CELERY_RETRY)
def redispatch_lost_jobs(self) -> dict:
    """Beat: resend queued jobs whose message was lost; requeue jobs whose worker died; run each
    kind's clean-up (staging folders no job will use again)."""
    counts = runner.redispatch_lost_jobs()
    counts["staging_removed"] = sum(len(kind.sweep()) for kind in registry.kinds() if kind.sweep is not None)
    return counts
