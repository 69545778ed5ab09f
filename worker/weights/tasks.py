"""The refit and score job kinds, declared to the runner, and the beat task that starts them
when enough new pair ratings or changed answers arrived."""

from celery import shared_task

from worker.jobs import JobKind, register
from worker.jobs.tasks import CELERY_RETRY
from worker.models import Job

from . import refit

run_refit_job = register(
    JobKind(
        name=Job.Kind.REFIT,
        task="worker.tasks.run_refit_job",
        run=refit.run_refit,
        description="Run refit job ``job_id``: fit a candidate weight set, evaluate it, maybe promote it.",
    )
)
run_score_job = register(
    JobKind(
        name=Job.Kind.SCORE,
        task="worker.tasks.run_score_job",
        run=refit.run_score,
        description="Run scoring job ``job_id``: recompute asset scores under the active weight set.",
    )
)


@shared_task(bind=True, name="worker.tasks.refit_weights", **CELERY_RETRY)
def refit_weights(self) -> dict:
    """Beat: start refits where enough new pair ratings arrived (per project refit policy) and
    incremental scoring where answers changed."""
    return refit.refit_due()
