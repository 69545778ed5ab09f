"""The pre-fill job kind, declared to the runner (each job names its model's queue; ``gpu`` by
default), and its follow-up of imports: a project with ``auto_prefill`` pre-fills the new assets
of every finished import."""

from worker.jobs import JobKind, follow_up, register
from worker.models import Job

from . import job

run_prefill_job = register(
    JobKind(
        name=Job.Kind.PREFILL,
        task="worker.tasks.run_prefill_job",
        queue="gpu",
        run=job.run_prefill,
        retry_problem=job.retry_problem,
        controlled_by="manager",
        shown_params=job.shown_params,
        description="Run pre-fill job ``job_id``: a model's P(yes) for every question of the assets.",
    )
)
follow_up(Job.Kind.IMPORT, job.auto_prefill_after_import)
