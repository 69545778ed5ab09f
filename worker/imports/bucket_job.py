"""An import from where the media already are: every media object under an ``s3://`` prefix of
a bucket in ``VR_IMPORT_BUCKETS`` (or the rows of a manifest stored there) as an ordinary import
job (``job.start_plan``) whose entries the job downloads one by one (``worker.imports.buckets``).

The request lists the prefix (nothing is downloaded but the manifest) and refuses, with a 400
naming ``url`` or the manifest line, a bucket or prefix that is not allowed, the platform's own
media, a prefix without media files or with more than ``VR_MAX_ARCHIVE_FILES`` of them. An object
that cannot be read or processed fails alone in the job, with its reason.
"""

from __future__ import annotations

from annotator.asset_fields import shown
from annotator.models import Project
from worker.media.formats import is_media_name
from worker.models import Job

from .archives import ArchiveLimits, normalize
from .buckets import BucketRefused, S3Location, checked, list_media, read_small
from .job import ImportPlan, ImportValidationError, PlannedEntry, Source, _Errors, is_url, s3_source, start_plan
from .manifests import parse_manifest


def _manifest_location(value, prefix: S3Location) -> S3Location:
    """The manifest object: an ``s3://`` URL, or a key relative to the prefix."""
    if not isinstance(value, str) or not value.strip():
        raise BucketRefused("must be the manifest's s3:// URL or its key under the prefix (`manifest.jsonl`)")
    value = value.strip()
    if is_url(value):
        return checked(value)
    return checked(f"s3://{prefix.bucket}/{prefix.key}{normalize(value)}")


def plan_bucket_import(url, manifest=None) -> ImportPlan:
    """The import plan of ``{"url": "s3://bucket/prefix/", "manifest": optional}``; raises
    ImportValidationError naming the field or the manifest line."""
    errors = _Errors()
    try:
        prefix = checked(url, prefix=True)
    except BucketRefused as exc:
        errors.add("url", str(exc))
        errors.raise_if_any()
    limits = ArchiveLimits.from_settings()
    plan = ImportPlan(entries=[], source=f"bucket `{shown(prefix.url, 200)}`")
    if manifest not in (None, ""):
        try:
            location = _manifest_location(manifest, prefix)
            upload = read_small(location)
        except BucketRefused as exc:
            errors.add("manifest", str(exc))
            errors.raise_if_any()
        with upload:
            rows = parse_manifest(upload, errors.adder("manifest"))
        errors.raise_if_any()
        plan.manifest_name = location.url
        for row in rows:
            where = f"manifest line {row.line}: "
            if is_url(row.file):
                source = s3_source(row.file, errors.adder("manifest"), where)
            else:
                try:
                    location = checked(f"s3://{prefix.bucket}/{prefix.key}{normalize(row.file)}")
                except BucketRefused as exc:
                    errors.add("manifest", f"{where}`{shown(row.file)}`: {exc}")
                    continue
                source = Source(name=row.file, origin="s3", s3=location.url)
            if source is not None:
                plan.entries.append(PlannedEntry(source, prompt=row.prompt, metadata=row.metadata))
        if len(plan.entries) > limits.max_files:
            errors.add(
                "manifest",
                f"the manifest lists {len(plan.entries):,} files; the limit is {limits.max_files:,} "
                "(VR_MAX_ARCHIVE_FILES)",
            )
        errors.raise_if_any()
        return plan
    try:
        objects = list_media(prefix, limits.max_files, is_media_name)
    except BucketRefused as exc:
        errors.add("url", str(exc))
        errors.raise_if_any()
    if not objects:
        errors.add("url", f"`{shown(prefix.url, 200)}` holds no media files (images or videos, by extension)")
        errors.raise_if_any()
    for item in objects:
        location = S3Location(prefix.bucket, item.key)
        plan.entries.append(PlannedEntry(Source(name=item.key[len(prefix.key) :], origin="s3", s3=location.url)))
    return plan


def start_bucket_import(project: Project, user, body, *, dispatch: bool = True) -> Job:
    """Validate the request body and start the import job. Raises ImportValidationError."""
    if not isinstance(body, dict):
        raise ImportValidationError({"url": ['send a JSON object: {"url": "s3://bucket/prefix/", "manifest": …}']})
    unknown = sorted(set(body) - {"url", "manifest"})
    if unknown:
        names = ", ".join(f"`{shown(str(n), 40)}`" for n in unknown)
        raise ImportValidationError({str(n): [f"unknown field {names}; use `url` and `manifest`"] for n in unknown})
    if "url" not in body:
        raise ImportValidationError({"url": ["required: the s3://bucket/prefix/ to import"]})
    plan = plan_bucket_import(body.get("url"), body.get("manifest"))
    return start_plan(project, user, plan, dispatch=dispatch)
