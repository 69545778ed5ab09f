"""The platform's own Prometheus metrics (docs/observability.md): what annotators and jobs do,
beside django-prometheus' request metrics. Defined once per process on prometheus_client's
default registry; with ``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn, prefork Celery workers)
prometheus_client writes them to that folder and ``config.observability`` adds every process up.

The core records claims, submits and pre-fill questions (its services do the work); the job
runner (``worker.jobs.runner``) records each job's duration and outcome when it finishes, and
the export job its rows. Names are prefixed ``vr_``; counters get ``_total`` from the client."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

CLAIMS = Counter("vr_claims", "Assignments handed out by a claim (a new lease or a lapsed one taken back).")
SUBMITS = Counter("vr_submits", "Annotations submitted (first submits; a retried submit is not counted again).")
PREFILL_QUESTIONS = Counter(
    "vr_prefill_questions", "Checklist questions answered by a model's pre-fill (one P(yes) each)."
)
EXPORT_ROWS = Counter("vr_export_rows", "Rows written by dataset export jobs (every config and split).")
# Jobs run from under a second (a score job) to hours (a fine-tune).
JOB_DURATION = Histogram(
    "vr_job_duration_seconds",
    "How long a job ran, from its start to its finish, by job kind.",
    ["kind"],
    buckets=(0.5, 1, 5, 15, 60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, float("inf")),
)
JOBS_FINISHED = Counter("vr_jobs_finished", "Jobs finished, by job kind and final state.", ["kind", "state"])


def claimed() -> None:
    CLAIMS.inc()


def submitted() -> None:
    SUBMITS.inc()


def prefill_questions(count: int) -> None:
    if count > 0:
        PREFILL_QUESTIONS.inc(count)


def export_rows(count: int) -> None:
    if count > 0:
        EXPORT_ROWS.inc(count)


def job_finished(kind: str, state: str, seconds: float | None) -> None:
    JOBS_FINISHED.labels(kind=kind, state=state).inc()
    if seconds is not None:
        JOB_DURATION.labels(kind=kind).observe(max(0.0, seconds))
