"""Importing media into a project: request validation, staging, and the import runner.

Every file goes through the media storage (``annotator.storage.media_storage()``: a folder on
this host, or an S3 bucket). The request side (``start_import``, ``start_plan``) validates
everything it can before anything is created (400 with the field or manifest line and column),
streams the uploaded files, and a zip archive as it was sent (checked from its central directory
only, ``worker.imports.archives``), to the storage as ``staging/<id>/…`` and writes the import
job in one transaction. Other entries are only named: a URL (fetched by the job through the
SSRF-safe fetcher), an ``s3://`` object of a bucket in ``VR_IMPORT_BUCKETS`` (downloaded by the
job, ``worker.imports.buckets``), a direct upload already in the media storage (``stored``:
``uploads/…``, read by the job and deleted once its entry is recorded; an import that never
finishes leaves them to ``clean_staging``, which removes them with its staging folder).

The runner (``run_import``) works on this host: on a filesystem storage in the staging folder
itself, on S3 in a scratch folder (``annotator.storage.scratch_dir``) that gets each entry as a
local copy. It first unpacks the archive's entries, streaming, within the archive limits (an
archive past one fails the job with the limit's name, before any asset exists, and its staging
folder is removed), then turns each entry into an Asset with its processed files and its task,
one entry at a time:

- Resumable: an entry is recorded at most once (unique ``(import_job_id, import_entry)``), so a
  retried attempt skips what an earlier attempt recorded.
- No file without its row, no row without its files: the processed folder is published as
  ``projects/<p>/assets/<a>/`` inside the transaction that creates the row (a rename on a
  filesystem storage; uploads after a marker object on S3) and removed if that transaction fails.
  A folder left by a crash between publishing and the commit carries a marker naming its job and
  entry; the next attempt of that job removes it.
- A file that cannot be processed (a damaged archive entry, a missing bucket object too) becomes
  a failed Asset with a readable reason; the import goes on. The job fails only on an archive
  limit (at once) or an unexpected error (after its retries).
- Unpacking: on a filesystem storage done once per job (``unpacked.json``, the sizes and digests
  of the entries, marks it done, so a later attempt goes straight to the entries not yet
  recorded); on S3 the staged archive is downloaded to scratch once per attempt and the entries
  still pending are unpacked there.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
import uuid
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from annotator import storage
from annotator.asset_fields import shown, string_problem
from annotator.models import Asset, Project, asset_media_dir
from annotator.services.tasks import create_task_for_asset
from worker.jobs import JobCancelled, JobContext, JobFailed, create_job
from worker.models import Job

from .archives import ArchiveLimits, ArchiveRefused, Unpacked, human_bytes, inspect_archive, normalize, unpack
from .fetch import FetchError, FetchLimits, fetch, parse_networks
from .manifests import parse_manifest

STAGING_DIR = "staging"
UPLOADS_DIR = "uploads"  # direct uploads (the browser to the bucket): a stored source's objects
STAGED_FILE = "staged.json"  # written last by the request: the staging folder exists
ARCHIVE_FILE = "archive.zip"  # the uploaded archive, as sent, inside the staging folder
UNPACKED_FILE = "unpacked.json"  # written once the job has unpacked every entry of the archive
MARKER = ".import-in-progress"
MAX_ERRORS_PER_FIELD = 25
CHUNK = 1024 * 1024


# --- validation --------------------------------------------------------------------------


class ImportValidationError(Exception):
    """The request cannot be imported; ``errors`` maps a field to readable messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = {k: v for k, v in errors.items() if v}
        messages = [m for msgs in self.errors.values() for m in msgs]
        more = f"; and {len(messages) - 5} more" if len(messages) > 5 else ""
        self.detail = "; ".join(messages[:5]) + more if messages else "Invalid import."
        super().__init__(self.detail)


class _Errors:
    def __init__(self):
        self.by_field: dict[str, list[str]] = {}
        self.count = 0

    def add(self, field_name: str, message: str) -> None:
        self.count += 1
        messages = self.by_field.setdefault(field_name, [])
        if len(messages) < MAX_ERRORS_PER_FIELD:
            messages.append(message)
        elif len(messages) == MAX_ERRORS_PER_FIELD:
            messages.append("… and more problems (only the first ones are listed)")

    def adder(self, field_name: str):
        return lambda message: self.add(field_name, message)

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ImportValidationError(self.by_field)


URL_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def is_url(value: str) -> bool:
    """A manifest's ``file`` naming a URL (``https://…``, also ``s3://…``) rather than a file."""
    return bool(URL_RE.match(value or ""))


@dataclass
class Source:
    """One media file of the request: an upload, an archive entry, a URL the job fetches, or an
    entry refused before the job (``invalid``: recorded by the job as failed with ``reason``)."""

    name: str
    origin: str  # "upload" | "archive" | "url" | "s3" | "stored" | "invalid"
    upload: object = None  # a django File for uploads
    info: zipfile.ZipInfo | None = None
    url: str = ""
    reason: str = ""
    s3: str = ""  # "s3://bucket/key": an object of a bucket in VR_IMPORT_BUCKETS, downloaded by the job
    stored: str = ""  # a media storage name (``uploads/…``, a direct upload): read by the job, then deleted


@dataclass
class PlannedEntry:
    source: Source
    prompt: str = ""
    metadata: dict = field(default_factory=dict)


@dataclass
class ImportPlan:
    entries: list[PlannedEntry]
    archive: object = None
    zip: zipfile.ZipFile | None = None
    manifest_name: str = ""
    ignored: list[str] = field(default_factory=list)
    source: str = ""  # what the entries came from when not a manifest ("Label Studio export `x.json`")


def _skipped_entry(name: str) -> bool:
    """Directories' litter: macOS resource forks and dotfiles are not media."""
    parts = [p for p in name.split("/") if p]
    return not parts or parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts)


def _upload_size(upload) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, os.SEEK_END)
        size = upload.tell()
    return int(size)


MAX_PATH_CHARS = 500  # Asset.original_name


def _path_problem(path: str) -> str | None:
    """Why ``path`` (a file's place in a folder the browser sent) cannot name an upload, or None."""
    problem = string_problem(path)
    if problem:
        return problem
    if not path.strip():
        return "is empty"
    if len(path) > MAX_PATH_CHARS:
        return f"is longer than {MAX_PATH_CHARS} characters"
    parts = path.replace("\\", "/").split("/")
    if path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path):
        return "must be relative (no leading `/` or drive letter)"
    if ".." in parts:
        return "must not contain `..`"
    return None


def validate_import(files: list, archives: list, manifests: list, paths: list[str] | None = None) -> ImportPlan:
    """Check the whole request; raises ImportValidationError naming each problem. Nothing is
    inflated: an archive is checked from its central directory (``worker.imports.archives``).
    ``paths``, when given, holds one relative path per file (in order): the file's place in the
    folder it was chosen from, which names it (as a manifest's `file` does) instead of its bare
    upload name, which browsers and Django strip to the last part."""
    errors = _Errors()
    if not files and not archives and not manifests:
        errors.add(
            "files",
            "nothing to import: send media files as `files` and/or one .zip as `archive`"
            + (" (a manifest alone names files but does not carry them)" if manifests else ""),
        )
        errors.raise_if_any()
    if len(archives) > 1:
        names = ", ".join(f"`{shown(a.name or '')}`" for a in archives)
        errors.add("archive", f"send at most one archive; got {len(archives)} ({names})")
    if len(manifests) > 1:
        names = ", ".join(f"`{shown(m.name or '')}`" for m in manifests)
        errors.add("manifest", f"send at most one manifest; got {len(manifests)} ({names})")
    for upload in files:
        problem = string_problem(upload.name or "")
        if problem:
            errors.add("files", f"the file name `{shown(upload.name)}` {problem}")
    if paths:
        if len(paths) != len(files):
            errors.add("paths", f"send one path per file, in order: got {len(paths)} path(s) for {len(files)} file(s)")
        for i, path in enumerate(paths):
            problem = _path_problem(path)
            if problem:
                errors.add("paths", f"path {i + 1} `{shown(path)}` {problem}")
    errors.raise_if_any()
    names = [normalize(p) for p in paths] if paths else [f.name or f"upload-{i}" for i, f in enumerate(files)]

    limits = ArchiveLimits.from_settings()
    zf, archive_infos = (None, [])
    if archives:
        archive = archives[0]
        zf, archive_infos = inspect_archive(
            archive, archive.name or "archive", _upload_size(archive), limits, errors.adder("archive")
        )
    uploads = [Source(name=name, origin="upload", upload=f) for name, f in zip(names, files, strict=True)]
    entries_of_archive = [Source(name=info.filename, origin="archive", info=info) for info in archive_infos]
    rows = parse_manifest(manifests[0], errors.adder("manifest")) if manifests else None
    errors.raise_if_any()

    plan = ImportPlan(entries=[], archive=archives[0] if archives else None, zip=zf)
    if rows is None:
        plan.entries = [PlannedEntry(s) for s in uploads]
        plan.entries += [PlannedEntry(s) for s in entries_of_archive if not _skipped_entry(normalize(s.name))]
        if not plan.entries:
            errors.add("archive", f"`{shown(plan.archive.name)}` contains no media files")
        _check_file_count(plan, limits, errors)
        errors.raise_if_any()
        return plan

    plan.manifest_name = manifests[0].name or "manifest"
    if not files and not archives and not any(is_url(row.file) for row in rows):
        errors.add(
            "files",
            "nothing to import: the manifest names files but does not carry them; send them as `files` "
            "or in an `archive`, or list http(s) URLs or s3:// objects in the manifest's `file` column",
        )
        errors.raise_if_any()
    by_name: dict[str, list[Source]] = {}
    for source in uploads:
        by_name.setdefault(source.name, []).append(source)
    for source in entries_of_archive:
        by_name.setdefault(normalize(source.name), []).append(source)
    used: set[int] = set()
    for row in rows:
        if is_url(row.file):
            source = s3_source(row.file, errors.adder("manifest"), f"manifest line {row.line}: ")
            if source is not None:
                plan.entries.append(PlannedEntry(source, prompt=row.prompt, metadata=row.metadata))
            continue
        matches = by_name.get(row.file, []) if row.file in by_name else by_name.get(normalize(row.file), [])
        if not matches:
            errors.add(
                "manifest",
                f"manifest line {row.line}: `{shown(row.file)}` is not among the uploaded files "
                "or the archive's entries",
            )
            continue
        if len(matches) > 1:
            where = ", ".join(f"{m.origin} `{shown(m.name)}`" for m in matches)
            errors.add(
                "manifest", f"manifest line {row.line}: `{shown(row.file)}` matches {len(matches)} files ({where})"
            )
            continue
        used.add(id(matches[0]))
        plan.entries.append(PlannedEntry(matches[0], prompt=row.prompt, metadata=row.metadata))
    _check_file_count(plan, limits, errors)
    errors.raise_if_any()
    plan.ignored = [
        s.name
        for s in uploads + entries_of_archive
        if id(s) not in used and not (s.origin == "archive" and _skipped_entry(normalize(s.name)))
    ]
    return plan


def s3_source(url: str, add, where: str) -> Source | None:
    """A manifest's URL as a source: ``s3://`` objects of the buckets in VR_IMPORT_BUCKETS
    (anything else ``s3://`` is reported through ``add``, prefixed by ``where``, and gives None),
    other URLs as :func:`url_source` says."""
    from .buckets import BucketRefused, checked

    if url.split("://", 1)[0].lower() != "s3":
        return url_source(url)
    try:
        location = checked(url)
    except BucketRefused as exc:
        add(f"{where}{exc}")
        return None
    return Source(name=url, origin="s3", s3=location.url)


def url_source(url: str) -> Source:
    """A manifest's URL: fetched by the job (``http``/``https``); any other scheme fails alone
    (``s3://`` is :func:`s3_source`'s)."""
    scheme = url.split("://", 1)[0].lower()
    if scheme in ("http", "https"):
        return Source(name=url, origin="url", url=url)
    if scheme in ("gs", "gcs", "az", "abfs", "abfss"):
        reason = (
            f"`{scheme}://` bucket URLs cannot be imported (only s3:// buckets listed in VR_IMPORT_BUCKETS); "
            "give an https:// URL (e.g. a presigned one) or upload the file"
        )
    else:
        reason = f"only http:// and https:// URLs can be imported, not `{shown(scheme, 20)}://`"
    return Source(name=url, origin="invalid", url=url, reason=reason)


def _check_file_count(plan: ImportPlan, limits: ArchiveLimits, errors: _Errors) -> None:
    """The number of files to unpack is exact in the central directory: refuse it here already."""
    count = sum(1 for e in plan.entries if e.source.origin == "archive")
    if plan.archive is not None and count > limits.max_files:
        errors.add("archive", limits.too_many_files(plan.archive.name or "archive", count))


# --- staging ------------------------------------------------------------------------------


def _safe_suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,10}", suffix) else ""


def _stage_file(media, name: str, upload) -> tuple[int, str]:
    """Stream an upload into the stored file ``name`` (built aside, published in one step: a
    rename on a filesystem storage, one upload on S3); (bytes, sha256)."""
    built = storage.scratch_file(media, name)
    digest = hashlib.sha256()
    size = 0
    try:
        with open(built, "wb") as out:
            for chunk in upload.chunks(CHUNK):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        storage.put(media, name, built)
    finally:
        built.unlink(missing_ok=True)
    return size, digest.hexdigest()


def stored_name(name: str) -> str:
    """A stored source's media storage name: a direct upload's object (``uploads/…``), nothing
    else (an import deletes it once recorded, so it must never name an asset's or staged file)."""
    try:
        clean = storage.clean_name(name)
    except ValueError:
        clean = ""
    if not clean.startswith(f"{UPLOADS_DIR}/"):
        raise ImportValidationError(
            {"stored": [f"`{shown(name, 200)}` is not a direct upload's name ({UPLOADS_DIR}/…)"]}
        )
    return clean


def staging_exists(media, name: str) -> bool:
    """Whether the staging folder ``name`` is still there (for a retry)."""
    path = storage.local_path(media, name)
    if path is not None:
        return path.is_dir()
    return next(iter(storage.walk(media, name)), None) is not None


def stage(plan: ImportPlan) -> tuple[str, list[dict]]:
    """Stream every uploaded file, and the archive as it was sent, into a fresh staging folder of
    the media storage (``staging/<id>/``; its name, the entry list). Archive entries are unpacked,
    URLs and bucket objects downloaded, stored objects read by the job. On any error the folder
    is removed."""
    media = storage.media_storage()
    rel = f"{STAGING_DIR}/{uuid.uuid4().hex}"
    entries: list[dict] = []
    try:
        local = storage.local_path(media, rel)
        if local is not None:
            (local / "entries").mkdir(parents=True)
        if plan.archive is not None:
            _stage_file(media, f"{rel}/{ARCHIVE_FILE}", plan.archive)
        for index, planned in enumerate(plan.entries):
            source = planned.source
            entry = {
                "index": index,
                "file": f"entries/{index:06d}{_safe_suffix(source.name)}",
                "original_name": source.name[:500],
                "source": source.origin,
                "prompt": planned.prompt,
                "metadata": planned.metadata,
            }
            if source.origin == "archive":
                entry["member"] = source.info.filename  # unpacked, digested and sized by the job
            elif source.origin == "url":
                entry["url"] = source.url  # fetched by the job
                entry["file"] = f"entries/{index:06d}{_safe_suffix(source.url.split('?', 1)[0].split('#', 1)[0])}"
            elif source.origin == "s3":
                entry["s3"] = source.s3  # downloaded by the job
                entry["file"] = f"entries/{index:06d}{_safe_suffix(source.s3)}"
            elif source.origin == "stored":
                entry["stored"] = stored_name(source.stored)  # read, sized and digested by the job
            elif source.origin == "invalid":
                entry["reason"] = source.reason  # recorded as failed by the job
            else:
                entry["size_bytes"], entry["sha256"] = _stage_file(media, f"{rel}/{entry['file']}", source.upload)
            entries.append(entry)
        # the folder's own mark: a staging of URLs or bucket objects holds no file until the job runs
        storage.put_bytes(media, f"{rel}/{STAGED_FILE}", json.dumps({"entries": len(entries)}).encode())
    except BaseException:
        storage.delete_tree(media, rel)
        raise
    return rel, entries


def start_import(
    project: Project, user, *, files=(), archives=(), manifests=(), paths=(), dispatch: bool = True
) -> Job:
    """Validate, stage and create the import job (one transaction). Raises ImportValidationError."""
    plan = validate_import(list(files), list(archives), list(manifests), list(paths))
    return start_plan(project, user, plan, dispatch=dispatch)


def start_plan(project: Project, user, plan: ImportPlan, *, dispatch: bool = True) -> Job:
    """Stage a validated plan and create its import job (one transaction): the one way every
    import source (uploads and manifests, a Label Studio export, …) becomes an import job."""
    if plan.zip is not None:
        plan.zip.close()
    staging_rel, entries = stage(plan)
    params = {
        "staging_dir": staging_rel,
        "expected_kind": project.media_type,
        "archive": getattr(plan.archive, "name", "") or "",
        "manifest": plan.manifest_name,
        "source": plan.source,
        "entry_count": len(entries),
        "ignored": plan.ignored[:1000],
        "entries": entries,
    }
    if plan.archive is not None:
        params["archive_file"] = ARCHIVE_FILE
    unpacking = sum(1 for e in entries if e["source"] == "archive")
    fetching = sum(1 for e in entries if e["source"] == "url")
    try:
        with transaction.atomic():
            job = create_job(
                Job.Kind.IMPORT,
                params,
                project=project,
                user=user,
                dispatch=dispatch,
                message=f"queued: {len(entries)} file(s) to import"
                + (f", {unpacking} to unpack from `{shown(params['archive'])}`" if unpacking else "")
                + (f", {fetching} to download" if fetching else ""),
            )
    except BaseException:
        storage.delete_tree(storage.media_storage(), staging_rel)
        raise
    return job


def shown_params(params: dict) -> dict:
    """An import's params for the jobs API: the entry list as its length, without the ignored names."""
    params = dict(params)
    if "entries" in params:
        params["entry_count"] = len(params.pop("entries") or [])
    params.pop("ignored", None)
    return params


def retry_problem(job: Job) -> str | None:
    """Why an import job cannot be retried (its staged files are gone), or None."""
    params = job.params or {}
    total = len(params.get("entries", []))
    recorded = Asset.objects.filter(import_job_id=job.pk).count()
    staging = params.get("staging_dir")
    if recorded < total and (not staging or not staging_exists(storage.media_storage(), staging)):
        return (
            f"job {job.pk} cannot be retried: its staged files were removed and {total - recorded} "
            "file(s) were not imported; start a new import with them"
        )
    return None


# --- the runner ---------------------------------------------------------------------------


def _relocate(files: dict, folder: str) -> dict:
    """ProcessedMedia.files (relative to its folder) → media storage names."""
    out: dict = {}
    for key, value in files.items():
        if isinstance(value, str):
            out[key] = f"{folder}/{value}"
        elif isinstance(value, list):
            out[key] = [
                {**item, "file": f"{folder}/{item['file']}"} if isinstance(item, dict) and "file" in item else item
                for item in value
            ]
        else:
            out[key] = value
    return out


def _base_fields(job: Job, entry: dict) -> dict:
    return {
        "project_id": job.project_id,
        "original_name": entry["original_name"][:500],
        "prompt": entry.get("prompt") or "",
        "metadata": entry.get("metadata") or {},
        "sha256": entry.get("sha256", ""),
        "size_bytes": entry.get("size_bytes"),
        "import_job_id": job.pk,
        "import_entry": entry["index"],
    }


def _already_recorded(job: Job, entry: dict) -> bool:
    return Asset.objects.filter(import_job_id=job.pk, import_entry=entry["index"]).exists()


def _record_failure(job: Job, entry: dict, kind: str, reason: str) -> Asset | None:
    try:
        with transaction.atomic():
            return Asset.objects.create(
                **_base_fields(job, entry), kind=kind, status=Asset.Status.FAILED, failure_reason=reason
            )
    except IntegrityError:
        if _already_recorded(job, entry):
            return None
        raise


def _create_ready(job: Job, entry: dict, info) -> Asset:
    return Asset.objects.create(
        **_base_fields(job, entry),
        kind=info.kind,
        status=Asset.Status.READY,
        mime_type=(info.mime_type or "")[:100],
        width=info.width,
        height=info.height,
        duration_seconds=info.duration,
        fps=info.fps,
        frame_count=info.frame_count,
        probe=info.raw or {},
    )


def _record_ready(job: Job, entry: dict, processed, out: Path) -> Asset | None:
    """Create the row, publish the processed folder ``out`` as the asset's files, link them,
    create the task — all or nothing. On a filesystem storage the folder is renamed into place
    (one step); on an object store its files are uploaded under the asset's prefix after a marker
    object naming the job, inside the row's transaction, and the prefix is deleted if that
    transaction fails (a crash in between leaves the marker for :func:`remove_orphans`)."""
    media = storage.media_storage()
    if not storage.is_local(media):
        return _record_ready_in_bucket(media, job, entry, processed, out)
    (out / MARKER).write_text(json.dumps({"job": job.pk, "entry": entry["index"]}))
    moved: Path | None = None
    try:
        with transaction.atomic():
            asset = _create_ready(job, entry, processed.info)
            folder = asset_media_dir(job.project_id, asset.pk)
            target = storage.local_path(media, folder)
            if target.exists():
                raise RuntimeError(f"{folder} already exists; refusing to overwrite another asset's files")
            target.parent.mkdir(parents=True, exist_ok=True)
            os.rename(out, target)
            moved = target
            asset.files = _relocate(processed.files, folder)
            asset.save(update_fields=["files"])
            create_task_for_asset(asset)
    except BaseException as exc:
        if moved is not None:
            shutil.rmtree(moved, ignore_errors=True)
        if isinstance(exc, IntegrityError) and _already_recorded(job, entry):
            return None
        raise
    (moved / MARKER).unlink(missing_ok=True)
    return asset


def _record_ready_in_bucket(media, job: Job, entry: dict, processed, out: Path) -> Asset | None:
    marker = json.dumps({"job": job.pk, "entry": entry["index"]}).encode()
    published: str | None = None
    try:
        with transaction.atomic():
            asset = _create_ready(job, entry, processed.info)
            folder = asset_media_dir(job.project_id, asset.pk)
            if next(iter(storage.walk(media, folder)), None) is not None:
                raise RuntimeError(f"{folder} already exists; refusing to overwrite another asset's files")
            published = folder
            storage.put_bytes(media, f"{folder}/{MARKER}", marker)
            storage.put_tree(media, folder, out)
            asset.files = _relocate(processed.files, folder)
            asset.save(update_fields=["files"])
            create_task_for_asset(asset)
    except BaseException as exc:
        if published is not None:
            storage.delete_tree(media, published)
        if isinstance(exc, IntegrityError) and _already_recorded(job, entry):
            return None
        raise
    media.delete(f"{published}/{MARKER}")
    return asset


def _names_under(media, prefix: str):
    """Every stored name under ``prefix``: one flat listing on S3 (a thousand names a request,
    whatever the folders), :func:`storage.walk` elsewhere."""
    from annotator.storage.s3 import is_s3_storage, key, server_client

    if not is_s3_storage(media):
        yield from storage.walk(media, prefix)
        return
    root = key(media, prefix).rstrip("/") + "/"
    location = root[: len(root) - len(prefix.strip("/")) - 1]
    pages = server_client(media).get_paginator("list_objects_v2").paginate(Bucket=media.bucket_name, Prefix=root)
    for page in pages:
        for item in page.get("Contents", []) or []:
            yield item["Key"][len(location) :]


def remove_orphans(job: Job) -> list[str]:
    """Asset folders a crashed attempt of ``job`` published without committing their row (they
    still hold the marker naming the job)."""
    media = storage.media_storage()
    prefix = f"projects/{job.project_id}/assets"
    base = storage.local_path(media, prefix)
    removed: list[str] = []
    if base is not None:
        if not base.is_dir():
            return removed
        markers = [(child.name, child / MARKER) for child in base.iterdir() if (child / MARKER).is_file()]
        read = lambda path: path.read_text()  # noqa: E731
    else:
        markers = [(name.split("/")[-2], name) for name in _names_under(media, prefix) if name.endswith(f"/{MARKER}")]

        def read(name):
            with media.open(name, "rb") as fh:
                return fh.read().decode()

    for folder, marker in markers:
        try:
            owner = json.loads(read(marker)).get("job")
        except (OSError, ValueError):
            continue
        if owner != job.pk:
            continue
        if folder.isdigit() and Asset.objects.filter(pk=int(folder), import_job_id=job.pk).exists():
            if base is not None:
                marker.unlink(missing_ok=True)  # committed; only the marker was left behind
            else:
                media.delete(marker)
            continue
        storage.delete_tree(media, f"{prefix}/{folder}")
        removed.append(folder)
    return removed


def import_result(job: Job) -> dict:
    assets = Asset.objects.filter(import_job_id=job.pk)
    failures = [
        {"file": name, "reason": reason}
        for name, reason in assets.filter(status=Asset.Status.FAILED)
        .order_by("import_entry")
        .values_list("original_name", "failure_reason")[:1000]
    ]
    failed = assets.filter(status=Asset.Status.FAILED).count()
    return {
        "total": len((job.params or {}).get("entries", [])),
        "imported": assets.filter(status=Asset.Status.READY).count(),
        "failed": failed,
        "failures": failures,
        "ignored": len((job.params or {}).get("ignored", [])),
    }


def _import_entry(
    job: Job, entry: dict, staging: Path, work: Path, limits, kind: str, src: Path | None = None
) -> tuple[Asset | None, str]:
    """Process the entry's file on this host (``src``, else ``staging / entry["file"]``) into
    ``work`` and record it, ready or failed."""
    from worker.media import MediaError, process_media

    src = src or staging / entry["file"]
    if not src.is_file():
        reason = "the staged file is missing (the staging folder was removed)"
        return _record_failure(job, entry, kind, reason), reason
    out = work / f"{entry['index']:06d}"
    shutil.rmtree(out, ignore_errors=True)
    try:
        try:
            processed = process_media(
                src,
                out,
                limits=limits,
                expected_kind=kind,
                thumbnail_size=settings.VR_THUMBNAIL_SIZE,
                max_frames=settings.VR_MAX_MODEL_FRAMES,
            )
        except MediaError as exc:
            reason = getattr(exc, "reason", None) or str(exc)
            return _record_failure(job, entry, kind, reason), reason
        return _record_ready(job, entry, processed, out), ""
    finally:
        shutil.rmtree(out, ignore_errors=True)


@dataclass
class _Staged:
    """An import's staging folder (``name`` in the media storage) as this host sees it:
    ``local`` holds the entries' files while they are imported. On a filesystem storage that is
    the staging folder itself (nothing copied, unpacked entries and downloads kept there for a
    later attempt); on an object store a scratch folder of this attempt (removed at its end)."""

    media: object
    name: str
    local: Path
    scratch: Path | None
    exists: bool

    @property
    def in_place(self) -> bool:
        return self.scratch is None

    def file(self, entry: dict) -> Path:
        return self.local / entry["file"]


def _unpack_archive(job: Job, ctx: JobContext, staged: _Staged, pending: list[dict]) -> dict[int, Unpacked]:
    """Unpack the archive's entries of ``pending`` on this host before any of them is imported
    (so that an archive refused by a limit leaves no asset behind). On a filesystem storage this
    is done once, into the staging folder: the result is kept in ``unpacked.json`` for later
    attempts. On an object store the staged archive is downloaded to scratch once per attempt
    and the entries still pending are unpacked there. An archive past a limit fails the job at
    once (no retry: it is the data, not the weather) and its staging folder is removed."""
    params = job.params or {}
    pending = [e for e in pending if e.get("source") == "archive" and e.get("member") is not None]
    if not pending:
        return {}
    archive_file = str(params.get("archive_file") or ARCHIVE_FILE)
    done_file = staged.local / UNPACKED_FILE
    if staged.in_place:
        if done_file.is_file():
            return {int(k): Unpacked(**v) for k, v in json.loads(done_file.read_text()).items()}
        archive = staged.local / archive_file
        if not archive.is_file():
            return {}  # the entries fail as missing (the staging folder was removed)
    else:
        stored = f"{staged.name}/{archive_file}"
        if not staged.exists or not staged.media.exists(stored):
            return {}
        archive = storage.download(staged.media, stored, staged.scratch / archive_file)
    name = params.get("archive") or "archive"
    total = len(pending)
    ctx.report(
        message=f"unpacking `{shown(name)}`: 0/{total} file(s)", log=f"unpacking `{shown(name)}`: {total} file(s)"
    )
    last = {"at": time.monotonic()}

    def on_entry(done: int, inflated: int) -> None:
        if done < total and time.monotonic() - last["at"] < 1:
            return
        last["at"] = time.monotonic()
        message = f"unpacking `{shown(name)}`: {done}/{total} file(s), {human_bytes(inflated)}"
        if ctx.report(message=message):
            raise JobCancelled()

    members = [(e["member"], staged.file(e)) for e in pending]
    for _member, target in members:
        target.parent.mkdir(parents=True, exist_ok=True)
    try:
        results = unpack(archive, name, members, ArchiveLimits.from_settings(), on_entry)
    except ArchiveRefused as exc:
        storage.delete_tree(staged.media, staged.name)
        raise JobFailed(f"{exc}; nothing was imported") from None
    finally:
        if not staged.in_place:
            archive.unlink(missing_ok=True)
    unpacked = {e["index"]: r for e, r in zip(pending, results, strict=True)}
    if staged.in_place:
        partial = done_file.with_suffix(".part")
        partial.write_text(json.dumps({str(k): asdict(v) for k, v in unpacked.items()}))
        os.replace(partial, done_file)
    damaged = sum(1 for r in results if r.error)
    size = sum(r.size_bytes for r in results)
    ctx.report(
        log=f"unpacked {total - damaged} file(s) of `{shown(name)}` ({human_bytes(size)})"
        + (f"; {damaged} damaged" if damaged else "")
    )
    return unpacked


def fetch_limits_from_settings() -> FetchLimits:
    """The URL fetcher's limits as the settings set them (``VR_FETCH_*``, ``VR_MAX_ASSET_BYTES``);
    ValueError names a bad ``VR_FETCH_ALLOWED_NETWORKS``."""
    return FetchLimits(
        max_bytes=settings.VR_MAX_ASSET_BYTES,
        timeout_seconds=float(settings.VR_FETCH_TIMEOUT_SECONDS),
        max_redirects=int(settings.VR_FETCH_MAX_REDIRECTS),
        allowed_networks=parse_networks(settings.VR_FETCH_ALLOWED_NETWORKS or ""),
        ca_file=getattr(settings, "VR_FETCH_CA_FILE", "") or "",
    )


def _fetch_entry(entry: dict, staging: Path, limits: FetchLimits):
    """Download a URL entry to its staged file: (FetchedFile, "") or (None, the reason)."""
    if not staging.is_dir():
        return None, "the staging folder was removed"
    target = staging / entry["file"]
    target.unlink(missing_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        return fetch(entry["url"], target.parent, limits=limits, filename=target.name), ""
    except FetchError as exc:
        return None, exc.reason


def _digest(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _bring(entry: dict, staged: _Staged, unpacked: dict, fetch_limits: FetchLimits) -> tuple[Path | None, dict, str]:
    """The entry's file on this host: (its path, the entry with its real size and digest, "") or
    (None, the entry, why it fails)."""
    from .buckets import DownloadFailed
    from .buckets import download as download_object

    origin = entry.get("source")
    if origin == "invalid":
        return None, entry, entry.get("reason") or "refused"
    if origin == "archive":
        result = unpacked.get(entry["index"])
        if result is not None and result.error:
            return None, entry, result.error
        if result is not None:
            entry = {**entry, "sha256": result.sha256, "size_bytes": result.size_bytes}
        return staged.file(entry), entry, ""
    if origin == "url":
        fetched, reason = _fetch_entry(entry, staged.local, fetch_limits)
        if fetched is None:
            return None, entry, reason
        return staged.file(entry), {**entry, "sha256": fetched.sha256, "size_bytes": fetched.size}, ""
    if origin in ("s3", "stored") and not staged.local.is_dir():
        return None, entry, "the staging folder was removed"
    if origin == "s3":
        try:
            size, sha256 = download_object(entry["s3"], staged.file(entry), settings.VR_MAX_ASSET_BYTES)
        except DownloadFailed as exc:
            return None, entry, exc.reason
        return staged.file(entry), {**entry, "sha256": sha256, "size_bytes": size}, ""
    if origin == "stored":
        name = entry["stored"]
        path = storage.local_path(staged.media, name)
        try:
            if path is None:
                path = storage.download(staged.media, name, staged.file(entry))
            elif not path.is_file():
                raise FileNotFoundError(name)
        except FileNotFoundError:
            return None, entry, "the uploaded file is missing from the storage (it was removed)"
        size, sha256 = _digest(path)
        return path, {**entry, "sha256": sha256, "size_bytes": size}, ""
    if not staged.in_place:  # an upload staged in the bucket
        name = f"{staged.name}/{entry['file']}"
        if staged.exists and staged.media.exists(name):
            storage.download(staged.media, name, staged.file(entry))
    return staged.file(entry), entry, ""


def _open_staging(media, name: str) -> _Staged:
    exists = staging_exists(media, name)
    local = storage.local_path(media, name)
    if local is not None:
        return _Staged(media, name, local, None, exists)
    scratch = storage.scratch_dir("import")
    local = scratch / "staged"
    if exists:
        (local / "entries").mkdir(parents=True)
    return _Staged(media, name, local, scratch, exists)


def run_import(job: Job, ctx: JobContext) -> dict:
    """The import runner (called by ``worker.jobs.execute``); returns the job's result."""
    params = job.params or {}
    media = storage.media_storage()
    staged = _open_staging(media, params.get("staging_dir") or f"{STAGING_DIR}/missing-{job.pk}")
    try:
        return _run_import(job, ctx, staged)
    finally:
        if staged.scratch is not None:
            shutil.rmtree(staged.scratch, ignore_errors=True)


def _run_import(job: Job, ctx: JobContext, staged: _Staged) -> dict:
    from worker.media import MediaLimits

    params = job.params or {}
    entries = params.get("entries", [])
    total = len(entries)
    kind = params.get("expected_kind") or Project.objects.values_list("media_type", flat=True).get(pk=job.project_id)
    work = staged.local / "work" if staged.in_place else staged.scratch / "work"
    shutil.rmtree(work, ignore_errors=True)
    if staged.exists:
        work.mkdir(parents=True)

    removed = remove_orphans(job) if job.attempts > 1 else []
    recorded = set(Asset.objects.filter(import_job_id=job.pk).values_list("import_entry", flat=True))
    failed = Asset.objects.filter(import_job_id=job.pk, status=Asset.Status.FAILED).count()
    done = len(recorded)
    notes = []
    if removed:
        notes.append(f"removed {len(removed)} unfinished folder(s) of an earlier attempt: {', '.join(removed)}")
    if recorded:
        notes.append(f"resuming: {done} of {total} file(s) were already recorded")
    elif params.get("ignored"):
        notes.append(f"{len(params['ignored'])} file(s) not listed in the manifest are ignored")
    cancel = ctx.report(
        progress=done / total if total else 0.0,
        message=f"{done}/{total} imported, {failed} failed",
        log="; ".join(notes) or f"importing {total} file(s)",
    )
    if cancel:
        raise JobCancelled()
    unpacked = _unpack_archive(job, ctx, staged, [e for e in entries if e["index"] not in recorded])
    limits = MediaLimits(
        max_bytes=settings.VR_MAX_ASSET_BYTES,
        max_pixels=settings.VR_MAX_IMAGE_PIXELS,
        max_video_seconds=settings.VR_MAX_VIDEO_SECONDS,
    )
    try:
        fetch_limits = fetch_limits_from_settings()
    except ValueError as exc:
        raise JobFailed(str(exc)) from None
    for entry in entries:
        if entry["index"] in recorded:
            continue
        if cancel:
            raise JobCancelled()
        src, entry, reason = _bring(entry, staged, unpacked, fetch_limits)
        try:
            if reason:
                asset = _record_failure(job, entry, kind, reason)
            else:
                asset, reason = _import_entry(job, entry, staged.local, work, limits, kind, src=src)
        finally:
            if not staged.in_place:
                staged.file(entry).unlink(missing_ok=True)
        if entry.get("stored"):
            staged.media.delete(entry["stored"])  # recorded: the direct upload has served
        done += 1
        if reason:
            failed += 1
            line = f"{entry['original_name']}: failed: {reason}"
        elif asset is None:
            line = f"{entry['original_name']}: already recorded"
        else:
            line = f"{entry['original_name']}: asset {asset.pk}"
        cancel = ctx.report(progress=done / total, message=f"{done}/{total} imported, {failed} failed", log=line)

    result = import_result(job)
    _remove_staging(staged.media, staged.name, entries)
    ctx.report(
        progress=1.0,
        message=f"{result['imported']} imported, {result['failed']} failed",
        log=f"finished: {result['imported']} imported, {result['failed']} failed; staging removed",
    )
    return result


def _remove_staging(media, name: str, entries: list[dict]) -> None:
    """The staging folder, and the direct uploads the entries read (deleting a missing one is
    nothing)."""
    storage.delete_tree(media, name)
    for entry in entries:
        if entry.get("stored"):
            media.delete(entry["stored"])


def _staging_folders(media, now):
    """(name, age in seconds or None) of every folder under ``staging/``."""
    local = storage.local_path(media, STAGING_DIR)
    if local is not None:
        if not local.is_dir():
            return
        for child in local.iterdir():
            try:
                age = now.timestamp() - child.stat().st_mtime
            except OSError:
                age = None
            yield f"{STAGING_DIR}/{child.name}", age
        return
    try:
        folders, _files = media.listdir(STAGING_DIR)
    except (FileNotFoundError, NotADirectoryError):
        return
    for folder in sorted(folders):
        name = f"{STAGING_DIR}/{folder}"
        newest = None
        for stored in storage.walk(media, name):
            try:
                modified = media.get_modified_time(stored).timestamp()
            except (OSError, NotImplementedError):
                continue
            newest = modified if newest is None else max(newest, modified)
            break  # the first is enough: a staging folder is written in one request
        yield name, None if newest is None else now.timestamp() - newest


def clean_staging(now=None, *, keep_finished=None, orphan_after=None) -> list[str]:
    """Beat housekeeping: remove staging folders nobody will use again — those of finished
    imports (failed or cancelled ones are kept ``keep_finished`` for a retry) and those no job
    refers to (a request that died between staging and commit) once ``orphan_after`` old. The
    direct uploads a removed import's entries name go with its folder."""
    from datetime import timedelta

    from django.utils import timezone

    now = now or timezone.now()
    keep_finished = keep_finished or timedelta(days=7)
    orphan_after = orphan_after or timedelta(days=1)
    media = storage.media_storage()
    removed: list[str] = []
    for rel, age in _staging_folders(media, now):
        job = (
            Job.objects.filter(kind=Job.Kind.IMPORT, params__staging_dir=rel)
            .only("state", "finished_at", "params")
            .first()
        )
        if job is None:
            if age is None:
                continue
            stale = age > orphan_after.total_seconds()
        elif job.state == Job.State.SUCCEEDED:
            stale = True
        elif job.state in (Job.State.FAILED, Job.State.CANCELLED):
            stale = job.finished_at is not None and job.finished_at < now - keep_finished
        else:
            stale = False
        if stale:
            _remove_staging(media, rel, (job.params or {}).get("entries", []) if job else [])
            removed.append(rel)
    return removed
