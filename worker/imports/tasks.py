"""The import job kind, declared to the runner (media work: the ``media`` queue)."""

from worker.jobs import JobKind, register
from worker.models import Job

from . import huggingface, job

run_import_job = register(
    JobKind(
        name=Job.Kind.IMPORT,
        task="worker.tasks.run_import_job",
        queue="media",
        run=job.run_import,
        retry_problem=job.retry_problem,
        controlled_by="manager",
        sweep=job.clean_staging,
        shown_params=job.shown_params,
        description="Run import job ``job_id``: unpack, check and transcode the media, make assets and tasks.",
    )
)

run_dataset_import_job = register(
    JobKind(
        name=Job.Kind.DATASET_IMPORT,
        task="worker.tasks.run_dataset_import_job",
        queue="media",
        run=huggingface.run_dataset_import,
        controlled_by="manager",
        description="Run dataset import ``job_id``: stream a Hugging Face dataset's rows into assets "
        "(or rated pairs), resuming from its checkpoint.",
    )
)
