"""Jobs' webhook events: ``job.failed`` for every kind (the runner emits it when a job ends
failed), and the payload a kind's follow-up sends for its own event (``import.finished``,
``export.finished``). Written in the transaction that finishes the job (the outbox)."""

from __future__ import annotations

import json
import logging

from django.db import transaction

from annotator.webhooks import events, outbox
from worker.models import Job

logger = logging.getLogger(__name__)

RESULT_LIMIT = 8 * 1024  # a job's result larger than this (as JSON) is left out of the payload


def job_data(job: Job, state: str | None = None) -> dict:
    result = job.result if isinstance(job.result, dict) else {}
    if len(json.dumps(result, default=str)) > RESULT_LIMIT:
        result = {"omitted": f"larger than {RESULT_LIMIT} bytes; read it at the job's URL"}
    return {
        "job": {
            "id": job.pk,
            "kind": job.kind,
            "state": state or job.state,
            "message": job.message,
            "attempts": job.attempts,
            "url": outbox.api_url(f"/api/jobs/{job.pk}/"),
            "result": result,
        }
    }


def emit_for_job(job: Job, event: str, project_ids=None, *, state: str | None = None, extra: dict | None = None):
    """Emit ``event`` about ``job`` to its project's webhooks (or those of ``project_ids``), in a
    savepoint: a failure to write the deliveries is logged and never fails the job."""
    ids = list(project_ids) if project_ids is not None else ([job.project_id] if job.project_id else [])
    data = {**job_data(job, state), **(extra or {})}
    for project_id in ids:
        try:
            with transaction.atomic():
                outbox.emit(project_id, event, data)
        except Exception:
            logger.exception("could not write the %s webhook deliveries of job %s", event, job.pk)


def emit_failed(job: Job) -> None:
    emit_for_job(job, events.JOB_FAILED, extra={"error": (job.error or "")[-2000:]})


def emit_succeeded(event: str):
    """A follow-up (``worker.jobs.follow_up``) that emits ``event`` when a job of a kind succeeds."""

    def hook(job: Job) -> None:
        emit_for_job(job, event, state=Job.State.SUCCEEDED)

    hook.__name__ = f"emit_{event.replace('.', '_')}"
    return hook
