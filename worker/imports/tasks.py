"""The import job kind, declared to the runner (media work: the ``media`` queue), and its
follow-up for projects with pair tasks on: the new assets' pairs; the ``import.finished`` webhook
event."""

from annotator.models import Project
from annotator.services.pairs import make_project_pairs
from annotator.webhooks import events
from worker.jobs import JobKind, append_log, follow_up, register
from worker.jobs.webhooks import emit_succeeded
from worker.models import Job

from . import huggingface, job, uploads


def sweep_imports() -> list[str]:
    """The import kind's housekeeping: staging folders no import will use again, and direct
    uploads abandoned unfinished (or imported, their object no longer needed)."""
    return job.clean_staging() + uploads.abandon_stale()


run_import_job = register(
    JobKind(
        name=Job.Kind.IMPORT,
        task="worker.tasks.run_import_job",
        queue="media",
        run=job.run_import,
        retry_problem=job.retry_problem,
        controlled_by="manager",
        sweep=sweep_imports,
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


def pairs_after_import(import_job: Job) -> None:
    """Inside the transaction that marks ``import_job`` succeeded: the pair tasks of a project
    with pair tasks on (two ready assets of one prompt each)."""
    project = Project.objects.filter(pk=import_job.project_id, pair_tasks=True).first()
    if project is None:
        return
    tasks = make_project_pairs(project)
    if tasks:
        append_log(import_job, f"pair tasks: {len(tasks)} new pair(s) of assets with the same prompt")


follow_up(Job.Kind.IMPORT, pairs_after_import)
follow_up(Job.Kind.DATASET_IMPORT, pairs_after_import)
follow_up(Job.Kind.IMPORT, emit_succeeded(events.IMPORT_FINISHED))
follow_up(Job.Kind.DATASET_IMPORT, emit_succeeded(events.IMPORT_FINISHED))
