"""The export and push job kinds, declared to the runner, and the ``export.finished`` webhook
event (to every project of the exported dataset version)."""

from annotator.webhooks import events, outbox
from datasets_app.models import DatasetVersion
from worker.jobs import JobKind, follow_up, register
from worker.jobs.webhooks import emit_for_job
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


def export_finished(export_job: Job) -> None:
    """Inside the transaction that marks ``export_job`` succeeded: ``export.finished`` to the
    webhooks of every project the dataset version holds."""
    version = DatasetVersion.objects.filter(pk=(export_job.result or {}).get("dataset_version")).first()
    if version is None:
        return
    emit_for_job(
        export_job,
        events.EXPORT_FINISHED,
        version.projects.values_list("pk", flat=True),
        state=Job.State.SUCCEEDED,
        extra={
            "dataset_version": {
                "id": version.pk,
                "label": version.label,
                "state": version.state,
                "url": outbox.api_url(f"/api/dataset-versions/{version.pk}/"),
            }
        },
    )


follow_up(Job.Kind.EXPORT, export_finished)
