"""Celery tasks: thin shells over ``worker.jobs`` (the Job row is the source of truth).

Transient database/broker errors are retried by Celery with exponential back-off; every
other error is the job's business (recorded on the row, retried by ``worker.jobs``).
"""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError

from . import jobs

TRANSIENT = (OperationalError, InterfaceError, BrokerError)
RETRY = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(bind=True, name="worker.tasks.run_import_job", acks_late=True, **RETRY)
def run_import_job(self, job_id: int) -> str:
    """Run import job ``job_id`` (routed to the ``media`` queue by the settings)."""
    return jobs.execute(int(job_id), task_id=self.request.id or "")


@shared_task(bind=True, name="worker.tasks.run_prefill_job", acks_late=True, **RETRY)
def run_prefill_job(self, job_id: int) -> str:
    """Run pre-fill job ``job_id`` (sent to its model's queue, ``gpu`` by default)."""
    return jobs.execute(int(job_id), task_id=self.request.id or "")


@shared_task(bind=True, name="worker.tasks.run_refit_job", acks_late=True, **RETRY)
def run_refit_job(self, job_id: int) -> str:
    """Run refit job ``job_id``: fit a candidate weight set, evaluate it, maybe promote it."""
    return jobs.execute(int(job_id), task_id=self.request.id or "")


@shared_task(bind=True, name="worker.tasks.run_score_job", acks_late=True, **RETRY)
def run_score_job(self, job_id: int) -> str:
    """Run scoring job ``job_id``: recompute asset scores under the active weight set."""
    return jobs.execute(int(job_id), task_id=self.request.id or "")


@shared_task(bind=True, name="worker.tasks.run_export_job", acks_late=True, **RETRY)
def run_export_job(self, job_id: int) -> str:
    """Run export job ``job_id``: write a dataset version and publish it in one step."""
    return jobs.execute(int(job_id), task_id=self.request.id or "")


@shared_task(bind=True, name="worker.tasks.run_push_job", acks_late=True, **RETRY)
def run_push_job(self, job_id: int) -> str:
    """Run push job ``job_id``: upload a ready dataset version to the Hugging Face Hub."""
    return jobs.execute(int(job_id), task_id=self.request.id or "")


@shared_task(bind=True, name="worker.tasks.run_finetune_job", acks_late=True, **RETRY)
def run_finetune_job(self, job_id: int) -> str:
    """Run fine-tune job ``job_id``: LoRA on a dataset version, merged into a new model (its base's queue)."""
    return jobs.execute(int(job_id), task_id=self.request.id or "")


@shared_task(bind=True, name="worker.tasks.run_evaluate_job", acks_late=True, **RETRY)
def run_evaluate_job(self, job_id: int) -> str:
    """Run evaluate job ``job_id``: a model and/or weight set on a dataset version's test split."""
    return jobs.execute(int(job_id), task_id=self.request.id or "")


@shared_task(bind=True, name="worker.tasks.refit_weights", **RETRY)
def refit_weights(self) -> dict:
    """Beat: start refits where enough new pair ratings arrived (per project refit policy) and
    incremental scoring where answers changed."""
    from .refit import refit_due

    return refit_due()


@shared_task(bind=True, name="worker.tasks.redispatch_lost_jobs", **RETRY)
def redispatch_lost_jobs(self) -> dict:
    """Beat: resend queued jobs whose message was lost; requeue jobs whose worker died; remove
    staging folders no import will use again."""
    from .exporting import clean_export_staging
    from .importing import clean_staging

    counts = jobs.redispatch_lost_jobs()
    counts["staging_removed"] = len(clean_staging()) + len(clean_export_staging())
    return counts


@shared_task(bind=True, name="worker.tasks.expire_leases", **RETRY)
def expire_leases(self) -> int:
    """Beat: return the slots of lapsed assignment leases to the pool."""
    from annotator.services.assignment import expire_leases as expire

    return expire()
