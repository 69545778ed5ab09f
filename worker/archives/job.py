"""The ``archive`` job: a ready dataset version's files as one zip or tar.gz in the datasets
storage (``annotator.storage``), built aside and published in one step, then served as a
finished file by the download view.

One ``DatasetArchive`` row per version and format is the record: ``building`` with the job that
builds it, ``ready`` with its file and size, ``failed`` with why. Asking for an archive while its
job is queued or running joins that job (the version's row is locked while deciding, so two
requests at once start one job); asking once it is ready reuses the file.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from annotator.storage import datasets_storage, local_path, put, scratch_file
from annotator.storage.reading import open_reader
from datasets_app.models import DatasetArchive, DatasetVersion
from datasets_app.views import ARCHIVES
from worker.jobs import JobCancelled, JobContext, JobFailed, create_job
from worker.models import Job

from .writer import Member, write_archive

ARCHIVES_FOLDER = ".archives"
REPORT_EVERY = 0.5  # seconds between progress reports (each one a short transaction)
ACTIVE = (Job.State.QUEUED, Job.State.RUNNING)


class ArchiveRequestError(ValueError):
    """A bad archive request: ``errors`` maps each field to its messages."""

    def __init__(self, errors: dict):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def archive_format(value) -> str:
    if not isinstance(value, str) or value not in ARCHIVES:
        raise ArchiveRequestError({"archive": [f"Must be one of {', '.join(ARCHIVES)} (got {str(value)[:50]!r})."]})
    return value


def download_name(version: DatasetVersion, fmt: str) -> str:
    return f"{version.name}-v{version.version}{ARCHIVES[fmt]}"


def storage_name(version: DatasetVersion, fmt: str) -> str:
    """Content-addressed: a version's content never changes, so its archive's name never does."""
    return f"{ARCHIVES_FOLDER}/{version.name}-v{version.version}-{version.content_hash[:12]}{ARCHIVES[fmt]}"


def not_ready_problem(version: DatasetVersion) -> str | None:
    if version.state == DatasetVersion.State.READY and version.path:
        return None
    if version.state == DatasetVersion.State.DUPLICATE and version.duplicate_of_id:
        same = version.duplicate_of_id
        return f"{version.label} is a duplicate: download the version with the same content (id {same})."
    return f"{version.label} is {version.state}; only ready versions have files to archive."


def is_built(row: DatasetArchive | None) -> bool:
    """Ready, and its file is still in storage."""
    return bool(row and row.state == DatasetArchive.State.READY and row.file and datasets_storage().exists(row.file))


def request_archive(version: DatasetVersion, fmt: str, user) -> tuple[DatasetArchive, Job | None]:
    """The archive ``fmt`` of ``version``: ready (no job), or building (the job that builds it,
    started now unless one is queued or running). ArchiveRequestError names the field."""
    fmt = archive_format(fmt)
    with transaction.atomic():
        version = DatasetVersion.objects.select_for_update().get(pk=version.pk)
        problem = not_ready_problem(version)
        if problem:
            raise ArchiveRequestError({"state": [problem]})
        row = DatasetArchive.objects.filter(version=version, format=fmt).first()
        if is_built(row):
            return row, None
        if row is not None and row.state == DatasetArchive.State.BUILDING and row.job_id:
            running = Job.objects.filter(pk=row.job_id, state__in=ACTIVE).first()
            if running is not None:
                return row, running
        job = create_job(
            Job.Kind.ARCHIVE,
            {"dataset_version": version.pk, "archive": fmt},
            project=version.projects.order_by("id").first(),
            user=user,
            message=f"queued: the {fmt} of {version.label}",
        )
        row, _ = DatasetArchive.objects.update_or_create(
            version=version,
            format=fmt,
            defaults={"state": DatasetArchive.State.BUILDING, "job_id": job.pk, "file": "", "size": None, "error": ""},
        )
        return row, job


def run_archive(job: Job, ctx: JobContext) -> dict:
    """Write the archive into a scratch file, publish it under its storage name in one step and
    mark the row ready. A cancel (checked with every progress report) or an error removes the
    scratch file: no partial archive is ever under the archive's name."""
    fmt = job.params.get("archive")
    version = DatasetVersion.objects.filter(pk=job.params.get("dataset_version")).first()
    if version is None:
        raise JobFailed(f"dataset version {job.params.get('dataset_version')} no longer exists")
    if fmt not in ARCHIVES:
        raise JobFailed(f"unknown archive format {fmt!r}")
    problem = not_ready_problem(version)
    if problem:
        raise JobFailed(problem)
    row = DatasetArchive.objects.filter(version=version, format=fmt).first()
    if is_built(row):  # an earlier attempt (or another job) finished it
        return {"dataset_version": version.pk, "archive": fmt, "file": row.file, "size": row.size}
    DatasetArchive.objects.update_or_create(
        version=version, format=fmt, defaults={"state": DatasetArchive.State.BUILDING, "job_id": job.pk, "error": ""}
    )

    storage = datasets_storage()
    root = f"{version.name}-v{version.version}"
    members = []
    for rel in version.files:
        name = f"{version.path}/{rel}"
        if not storage.exists(name):
            raise JobFailed(f"{version.label} lacks its file {rel}: the version's folder was changed or removed")
        # streamed from the store (an object store's file never whole in memory)
        members.append(Member(f"{root}/{rel}", storage.size(name), lambda name=name: open_reader(storage, name)))
    total_files, total_bytes = len(members), sum(m.size for m in members)
    mb = total_bytes / 1e6
    ctx.report(progress=0.0, message=f"the {fmt} of {version.label}: 0/{total_files} files, 0.0/{mb:.1f} MB")
    last = [time.monotonic()]

    def progress(files: int, done: int) -> None:
        now = time.monotonic()
        if now - last[0] < REPORT_EVERY:
            return
        last[0] = now
        share = done / total_bytes if total_bytes else files / max(1, total_files)
        text = f"the {fmt} of {version.label}: {files}/{total_files} files, {done / 1e6:.1f}/{mb:.1f} MB"
        if ctx.report(progress=min(0.99, share), message=text):
            raise JobCancelled()

    name = storage_name(version, fmt)
    scratch = scratch_file(storage, name)
    stamp = (version.finished_at or version.created_at).timestamp()
    try:
        write_archive(str(scratch), fmt, members, mtime=stamp, progress=progress)
        ctx.check_cancel()
        saved = put(storage, name, scratch)
    finally:
        scratch.unlink(missing_ok=True)
    size = storage.size(saved)
    with transaction.atomic():
        DatasetArchive.objects.filter(version=version, format=fmt).update(
            state=DatasetArchive.State.READY, file=saved, size=size, job_id=job.pk, error="", built_at=timezone.now()
        )
    message = f"the {fmt} of {version.label} is ready: {total_files} files, {size / 1e6:.1f} MB"
    ctx.report(progress=1.0, message=message, log=message)
    return {"dataset_version": version.pk, "archive": fmt, "file": saved, "size": size, "files": total_files}


def archive_gave_up(job: Job) -> None:
    """The job ended failed or cancelled (whoever ended it): its archive row, if still this job's
    and not ready, fails with the reason, so the next request starts a new job."""
    reason = "cancelled" if job.state == Job.State.CANCELLED else (job.error or job.message or job.state)
    DatasetArchive.objects.filter(job_id=job.pk, state=DatasetArchive.State.BUILDING).update(
        state=DatasetArchive.State.FAILED, error=str(reason)[:4000]
    )


SCRATCH_MAX_AGE = 24 * 3600


def clean_archive_scratch(max_age: float = SCRATCH_MAX_AGE) -> list[str]:
    """Remove scratch files (``.*.part``) older than ``max_age`` seconds, left by killed workers
    beside the archives of a filesystem storage."""
    folder = local_path(datasets_storage(), ARCHIVES_FOLDER)
    removed = []
    if folder is not None and folder.is_dir():
        for path in Path(folder).glob(".*.part"):
            if path.is_file() and time.time() - path.stat().st_mtime > max_age:
                path.unlink(missing_ok=True)
                removed.append(path.name)
    return removed
