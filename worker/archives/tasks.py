"""The archive job kind, declared to the runner."""

from worker.jobs import JobKind, register
from worker.models import Job

from . import job

# On "default", beside the export and push jobs that read the same dataset versions: archiving is
# disk and network bound (the zip is stored, not deflated), so it must not hold one of the media
# queue's slots, which are sized for ffmpeg transcodes that annotators wait on.
run_archive_job = register(
    JobKind(
        name=Job.Kind.ARCHIVE,
        task="worker.tasks.run_archive_job",
        queue="default",
        run=job.run_archive,
        on_give_up=job.archive_gave_up,
        sweep=job.clean_archive_scratch,
        description="Run archive job ``job_id``: build a ready dataset version's zip or tar.gz in storage.",
    )
)
