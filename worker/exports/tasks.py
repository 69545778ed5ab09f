"""The export and push job kinds, declared to the runner."""

from worker.jobs import JobKind, register
from worker.models import Job

from . import job

run_export_job = register(
    JobKind(
        name=Job.Kind.EXPORT,
        task="worker.tasks.run_export_job",
        run=job.run_export,
        on_give_up=job.export_gave_up,
        sweep=job.clean_export_staging,
        description="Run export job ``job_id``: write a dataset version and publish it in one step.",
    )
)
run_push_job = register(
    JobKind(
        name=Job.Kind.PUSH,
        task="worker.tasks.run_push_job",
        run=job.run_push,
        retry_problem=job.push_retry_problem,
        on_give_up=job.push_gave_up,
        shown_params=job.shown_push_params,
        description="Run push job ``job_id``: upload a ready dataset version to the Hugging Face Hub.",
    )
)
