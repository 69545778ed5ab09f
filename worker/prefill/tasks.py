"""The pre-fill and model-check job kinds, declared to the runner (each job names its model's
queue; ``gpu`` by default), and the pre-fill's follow-up of imports: a project with
``auto_prefill`` pre-fills the new assets of every finished import."""

from worker.jobs import JobKind, follow_up, register
from worker.models import Job

from . import check, job

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
run_model_check_job = register(
    JobKind(
        name=Job.Kind.MODEL_CHECK,
        task="worker.tasks.run_model_check_job",
        queue="gpu",
        run=check.run_model_check,
        retry_problem=check.retry_problem,
        description="Run model-check job ``job_id``: load a registered model (and ask it one question).",
    )
)
follow_up(Job.Kind.IMPORT, job.auto_prefill_after_import)
follow_up(Job.Kind.DATASET_IMPORT, job.auto_prefill_after_import)
