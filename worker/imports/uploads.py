"""Direct uploads: large files go from the browser straight to the bucket as an S3 multipart
upload, never through the web tier, and the import job then reads them from storage.

1. ``create_upload``: the server checks the name and size, starts the multipart upload with its
   own client and answers presigned URLs, one per part (``annotator.storage.s3.presigned_part``).
2. The browser PUTs each part to its URL (several at once). After a dropped connection or a
   reload it asks ``describe`` again: the parts the bucket already holds (the server's own
   ListParts) and fresh URLs for the missing ones.
3. ``complete_upload``: the server lists the parts itself (the browser need not read ETag
   headers, which CORS may hide), checks they are 1..n and add up to the declared size, and
   completes the object ``uploads/<project>/<uuid>/<safe name>`` of the media storage.
4. ``plan_uploads``: completed uploads (with an optional manifest matching them by file name)
   become an ordinary import plan whose entries are ``origin="stored"`` sources; each upload is
   imported once.

``abandon_stale`` (the import kind's beat sweep) aborts uploads left ``created`` for
``VR_UPLOAD_ABANDON_HOURS``, which deletes their parts, and removes the objects of uploads whose
import succeeded (the asset keeps its own copy).

Only the S3 backend has multipart uploads: on the filesystem backend browsers send files to the
import endpoint as they always did (``DirectUploadsOff``, a 409).
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from annotator import permissions as perms
from annotator.asset_fields import shown, string_problem
from annotator.models import Asset, Project
from annotator.storage import is_s3, media_storage
from annotator.storage import s3 as s3_storage
from worker.media.formats import MEDIA_EXTENSIONS, is_media_name
from worker.models import Job, Upload

from .archives import normalize
from .job import ImportPlan, ImportValidationError, PlannedEntry, Source, is_url, url_source
from .manifests import parse_manifest

logger = logging.getLogger(__name__)

UPLOADS_DIR = "uploads"
MIN_PART_BYTES = 5 * 1024 * 1024  # S3's smallest part (all but the last)
MAX_PARTS = 10_000  # S3's most parts of one upload
MAX_NAME_CHARS = 500  # Upload.filename, Asset.original_name
SAFE_NAME_CHARS = 150
MAX_UPLOADS_PER_IMPORT = 10_000
OFF_DETAIL = "direct uploads need VR_STORAGE=s3; send the files to /imports/"


# What a call to the bucket may raise when the storage is down or refuses (a 503 for the API).
STORAGE_ERRORS = (BotoCoreError, ClientError)


class DirectUploadsOff(Exception):
    """This installation stores files on the filesystem: no direct uploads (409)."""

    detail = OFF_DETAIL


class UploadRefused(Exception):
    """The request cannot be done; ``errors`` maps a field to readable messages (400)."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        self.detail = "; ".join(m for msgs in errors.values() for m in msgs)
        super().__init__(self.detail)


# --- what this installation offers ---------------------------------------------------------


def direct_uploads() -> bool:
    return is_s3() and s3_storage.is_s3_storage(media_storage())


def max_upload_bytes() -> int:
    """The largest file one upload may be: the import's own limit (``VR_MAX_ASSET_BYTES``)."""
    return int(settings.VR_MAX_ASSET_BYTES)


def part_bytes_for(size: int) -> int:
    """The part size of a ``size``-byte upload: ``VR_S3_PART_BYTES``, at least S3's 5 MiB, and
    large enough that the file needs at most 10,000 parts."""
    configured = max(int(settings.VR_S3_PART_BYTES), MIN_PART_BYTES)
    return max(configured, math.ceil(size / MAX_PARTS))


def storage_info() -> dict:
    return {
        "backend": "s3" if is_s3() else "filesystem",
        "direct_uploads": direct_uploads(),
        "part_bytes": max(int(settings.VR_S3_PART_BYTES), MIN_PART_BYTES),
        "max_upload_bytes": max_upload_bytes(),
    }


# --- names ---------------------------------------------------------------------------------


def filename_problem(filename) -> str | None:
    """Why ``filename`` (the browser's name, maybe a folder path) cannot name an upload, or None."""
    if not isinstance(filename, str):
        return "must be a string"
    problem = string_problem(filename)
    if problem:
        return problem
    if not filename.strip():
        return "is empty"
    if len(filename) > MAX_NAME_CHARS:
        return f"is longer than {MAX_NAME_CHARS} characters"
    if filename.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", filename):
        return "must be relative (no leading `/` or drive letter)"
    if ".." in filename.replace("\\", "/").split("/"):
        return "must not contain `..`"
    if any(unicodedata.category(c) == "Cc" for c in filename):
        return "contains a control character"
    if not is_media_name(filename):
        return (
            "is not an image or a video by its extension; direct uploads take media files "
            f"({', '.join(sorted(MEDIA_EXTENSIONS)[:12])}, …), send archives and manifests to /imports/"
        )
    return None


def safe_name(filename: str) -> str:
    """The last part of ``filename`` as a plain storage name: ASCII letters, digits, ``._-``,
    at most 150 characters, its extension kept (never empty, never a dotfile)."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_-") or "file"
    ext = re.sub(r"[^A-Za-z0-9]+", "", ext).lower()[:10]
    stem = stem[: SAFE_NAME_CHARS - len(ext) - 1]
    return f"{stem}.{ext}" if ext else stem


def _content_type(value, filename: str) -> str:
    value = (value or "").strip().lower() if isinstance(value, str) else ""
    if re.fullmatch(r"(image|video)/[a-z0-9.+-]{1,80}", value) and "svg" not in value:
        return value
    return "application/octet-stream"


# --- the S3 side ---------------------------------------------------------------------------


def _client():
    return s3_storage.server_client(media_storage())


def _key(upload: Upload) -> str:
    return s3_storage.key(media_storage(), upload.object_name)


def part_count(upload: Upload) -> int:
    return max(1, math.ceil(upload.size_bytes / upload.part_bytes))


def stored_parts(upload: Upload) -> list[dict]:
    """The parts the bucket holds, by the server's own ListParts: ``[{number, size}]``, sorted."""
    client, storage = _client(), media_storage()
    parts: list[dict] = []
    marker = 0
    while True:
        page = client.list_parts(
            Bucket=storage.bucket_name, Key=_key(upload), UploadId=upload.s3_upload_id, PartNumberMarker=marker
        )
        parts += [{"number": p["PartNumber"], "size": p["Size"], "etag": p["ETag"]} for p in page.get("Parts", [])]
        if not page.get("IsTruncated"):
            break
        marker = int(page["NextPartNumberMarker"])
    return sorted(parts, key=lambda p: p["number"])


def _part_urls(upload: Upload, numbers) -> list[dict]:
    storage = media_storage()
    key = _key(upload)
    return [{"number": n, "url": s3_storage.presigned_part(storage, key, upload.s3_upload_id, n)} for n in numbers]


def describe(upload: Upload, *, parts_done: list[dict] | None = None, urls: bool = True) -> dict:
    """The API's view of an upload; while ``created``, its stored parts and URLs for the others."""
    count = part_count(upload)
    body = {
        "id": str(upload.public_id),
        "filename": upload.filename,
        "size_bytes": upload.size_bytes,
        "content_type": upload.content_type,
        "part_bytes": upload.part_bytes,
        "part_count": count,
        "state": upload.state,
        "created_at": upload.created_at,
        "completed_at": upload.completed_at,
        "import_job": upload.import_job_id,
    }
    if upload.state == Upload.State.CREATED and parts_done is None:
        parts_done = _parts_or_settle(upload)
        body["state"] = upload.state
    if upload.state == Upload.State.CREATED:
        done = parts_done
        body["parts_done"] = [{"number": p["number"], "size": p["size"]} for p in done]
        have = {p["number"] for p in done}
        body["parts"] = _part_urls(upload, [n for n in range(1, count + 1) if n not in have]) if urls else []
    else:
        body["parts_done"] = []
        body["parts"] = []
    return body


def _parts_or_settle(upload: Upload) -> list[dict]:
    """The stored parts of a created upload; when the bucket no longer knows its multipart
    upload (completed by a request whose answer was lost, or aborted by a bucket lifecycle
    rule) the row is settled: complete when the object is whole, else aborted."""
    try:
        return stored_parts(upload)
    except ClientError as exc:
        if _code(exc) != "NoSuchUpload":
            raise
    settled = Upload.State.COMPLETE if _object_complete(upload) else Upload.State.ABORTED
    Upload.objects.filter(pk=upload.pk, state=Upload.State.CREATED).update(
        state=settled, completed_at=timezone.now() if settled == Upload.State.COMPLETE else None
    )
    upload.refresh_from_db()
    return []


def _require_direct() -> None:
    if not direct_uploads():
        raise DirectUploadsOff()


def create_upload(project: Project, user, data) -> Upload:
    """Check a new upload's name and size, start its multipart upload, keep its row."""
    _require_direct()
    if not isinstance(data, dict):
        raise UploadRefused({"filename": ["send a JSON object with filename and size_bytes"]})
    errors: dict[str, list[str]] = {}
    filename = data.get("filename")
    problem = "is required" if filename is None else filename_problem(filename)
    if problem:
        errors["filename"] = [f"`{shown(filename) if isinstance(filename, str) else filename!r}` {problem}"]
    size = data.get("size_bytes")
    limit = max_upload_bytes()
    if size is None:
        errors["size_bytes"] = ["is required"]
    elif isinstance(size, bool) or not isinstance(size, int):
        errors["size_bytes"] = ["must be a whole number of bytes"]
    elif size <= 0:
        errors["size_bytes"] = ["must be at least 1 (the file is empty)"]
    elif size > limit:
        errors["size_bytes"] = [f"{size} bytes is over the import limit of {limit} bytes (VR_MAX_ASSET_BYTES)"]
    content_type = data.get("content_type", "")
    if content_type is not None and not isinstance(content_type, str):
        errors["content_type"] = ["must be a string"]
    unknown = sorted(set(data) - {"filename", "size_bytes", "content_type"})
    for name in unknown:
        errors[name] = ["unknown field; send filename, size_bytes and content_type"]
    if errors:
        raise UploadRefused(errors)

    public_id = uuid.uuid4()
    object_name = f"{UPLOADS_DIR}/{project.pk}/{public_id}/{safe_name(filename)}"
    storage = media_storage()
    key = s3_storage.key(storage, object_name)
    kind = _content_type(content_type, filename)
    started = _client().create_multipart_upload(Bucket=storage.bucket_name, Key=key, ContentType=kind)
    try:
        return Upload.objects.create(
            public_id=public_id,
            project=project,
            user=user if getattr(user, "is_authenticated", False) else None,
            filename=filename,
            size_bytes=size,
            content_type=kind,
            object_name=object_name,
            s3_upload_id=started["UploadId"],
            part_bytes=part_bytes_for(size),
        )
    except BaseException:
        _client().abort_multipart_upload(Bucket=storage.bucket_name, Key=key, UploadId=started["UploadId"])
        raise


def find_upload(project: Project, upload_id, *, lock: bool = False) -> Upload | None:
    try:
        public_id = uuid.UUID(str(upload_id))
    except ValueError:
        return None
    rows = Upload.objects.select_for_update() if lock else Upload.objects
    return rows.filter(project=project, public_id=public_id).first()


def _missing_detail(upload: Upload, parts: list[dict]) -> dict[str, list[str]]:
    count = part_count(upload)
    have = {p["number"] for p in parts}
    problems: list[str] = []
    missing = [n for n in range(1, count + 1) if n not in have]
    if missing:
        shown_missing = ", ".join(str(n) for n in missing[:20]) + (" …" if len(missing) > 20 else "")
        problems.append(f"{len(missing)} of {count} part(s) are not uploaded: part(s) {shown_missing}")
    extra = sorted(n for n in have if n > count)
    if extra:
        problems.append(f"part(s) {', '.join(map(str, extra[:20]))} are past the last part ({count})")
    for p in parts:
        if p["number"] > count:
            continue
        want = upload.part_bytes if p["number"] < count else upload.size_bytes - (count - 1) * upload.part_bytes
        if p["size"] != want:
            problems.append(f"part {p['number']} holds {p['size']} bytes, expected {want}")
    total = sum(p["size"] for p in parts)
    if not problems and total != upload.size_bytes:
        problems.append(f"the parts hold {total} bytes, the upload declared {upload.size_bytes}")
    return {"parts": problems[:25]} if problems else {}


def complete_upload(project: Project, upload_id) -> Upload | None:
    """List the stored parts, check them, complete the object. None: no such upload here."""
    _require_direct()
    with transaction.atomic():
        upload = find_upload(project, upload_id, lock=True)
        if upload is None:
            return None
        if upload.state in (Upload.State.COMPLETE, Upload.State.IMPORTED):
            return upload  # a repeated request (its answer was lost)
        if upload.state != Upload.State.CREATED:
            raise UploadRefused({"id": [f"upload {upload.public_id} was {upload.state}; start a new upload"]})
        storage = media_storage()
        try:
            parts = stored_parts(upload)
        except ClientError as exc:
            if _code(exc) != "NoSuchUpload" or not _object_complete(upload):
                raise
            parts = None  # completed by an earlier request whose row update was lost
        if parts is not None:
            problems = _missing_detail(upload, parts)
            if problems:
                raise UploadRefused(problems)
            _client().complete_multipart_upload(
                Bucket=storage.bucket_name,
                Key=_key(upload),
                UploadId=upload.s3_upload_id,
                MultipartUpload={"Parts": [{"PartNumber": p["number"], "ETag": p["etag"]} for p in parts]},
            )
        upload.state = Upload.State.COMPLETE
        upload.completed_at = timezone.now()
        upload.save(update_fields=["state", "completed_at"])
    return upload


def _code(exc) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def _object_complete(upload: Upload) -> bool:
    storage = media_storage()
    try:
        head = _client().head_object(Bucket=storage.bucket_name, Key=_key(upload))
    except ClientError:
        return False
    return int(head.get("ContentLength", -1)) == upload.size_bytes


def _remove(upload: Upload) -> None:
    """Abort the multipart upload (its parts are deleted) or delete the completed object."""
    storage = media_storage()
    client = _client()
    if upload.state == Upload.State.CREATED:
        try:
            client.abort_multipart_upload(Bucket=storage.bucket_name, Key=_key(upload), UploadId=upload.s3_upload_id)
        except ClientError as exc:
            if _code(exc) not in ("NoSuchUpload", "404"):
                raise
    client.delete_object(Bucket=storage.bucket_name, Key=_key(upload))


def abort_upload(project: Project, upload_id) -> Upload | None:
    """Abort a created upload (or delete a completed one not yet imported). None: not here."""
    _require_direct()
    with transaction.atomic():
        upload = find_upload(project, upload_id, lock=True)
        if upload is None:
            return None
        if upload.state == Upload.State.ABORTED:
            return upload
        if upload.state == Upload.State.IMPORTED:
            raise UploadRefused({"id": [f"upload {upload.public_id} is imported (job {upload.import_job_id})"]})
        _remove(upload)
        upload.state = Upload.State.ABORTED
        upload.save(update_fields=["state"])
    return upload


# --- importing completed uploads -------------------------------------------------------------


@dataclass
class UploadsPlan:
    plan: ImportPlan
    uploads: list[Upload] = field(default_factory=list)


def _ids(raw) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list | tuple):
        return [str(v) for v in raw]
    raise ImportValidationError({"uploads": ["must be a list of upload ids"]})


def plan_uploads(project: Project, user, raw_ids, manifests=()) -> UploadsPlan:
    """Completed uploads as an import plan (rows locked: call inside a transaction). Raises
    ImportValidationError naming each id that cannot be imported, and each manifest problem."""
    ids = _ids(raw_ids)
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        messages = errors.setdefault(name, [])
        if len(messages) < 25:
            messages.append(message)

    if not ids:
        add("uploads", "send at least one upload id")
    if len(ids) > MAX_UPLOADS_PER_IMPORT:
        add("uploads", f"send at most {MAX_UPLOADS_PER_IMPORT} upload ids in one import; got {len(ids)}")
    if len(manifests) > 1:
        add("manifest", f"send at most one manifest; got {len(manifests)}")
    if errors:
        raise ImportValidationError(errors)
    manager = perms.can_manage(user, project)
    uploads: list[Upload] = []
    seen: set[str] = set()
    for raw in ids:
        label = f"upload `{shown(raw, 60)}`"
        if raw in seen:
            add("uploads", f"{label} is listed twice")
            continue
        seen.add(raw)
        upload = find_upload(project, raw, lock=True)
        if upload is None:
            add("uploads", f"{label} is not an upload of this project")
        elif upload.user_id != getattr(user, "pk", None) and not manager:
            add("uploads", f"{label} is another user's upload")
        elif upload.state == Upload.State.IMPORTED:
            add("uploads", f"{label} is already imported (job {upload.import_job_id})")
        elif upload.state != Upload.State.COMPLETE:
            hint = "; complete it first" if upload.state == Upload.State.CREATED else ""
            add("uploads", f"{label} is {upload.state}, not complete{hint}")
        else:
            uploads.append(upload)
    if errors:
        raise ImportValidationError(errors)

    def source(upload: Upload) -> Source:
        return Source(name=normalize(upload.filename), origin="stored", stored=upload.object_name)

    plan = ImportPlan(entries=[], source=f"{len(uploads)} direct upload(s)")
    if not manifests:
        plan.entries = [PlannedEntry(source(u)) for u in uploads]
        return UploadsPlan(plan, uploads)

    rows = parse_manifest(manifests[0], lambda message: add("manifest", message))
    if errors:
        raise ImportValidationError(errors)
    plan.manifest_name = manifests[0].name or "manifest"
    plan.source = ""
    by_name: dict[str, list[Upload]] = {}
    for upload in uploads:
        by_name.setdefault(normalize(upload.filename), []).append(upload)
    used: set[int] = set()
    for row in rows:
        if is_url(row.file):
            plan.entries.append(PlannedEntry(url_source(row.file), prompt=row.prompt, metadata=row.metadata))
            continue
        matches = by_name.get(normalize(row.file), [])
        if not matches:
            add("manifest", f"manifest line {row.line}: `{shown(row.file)}` is not among the uploads")
        elif len(matches) > 1:
            add("manifest", f"manifest line {row.line}: `{shown(row.file)}` matches {len(matches)} uploads")
        else:
            used.add(matches[0].pk)
            plan.entries.append(PlannedEntry(source(matches[0]), prompt=row.prompt, metadata=row.metadata))
    if errors:
        raise ImportValidationError(errors)
    plan.ignored = [u.filename for u in uploads if u.pk not in used]
    return UploadsPlan(plan, [u for u in uploads if u.pk in used])


def import_uploads(project: Project, user, raw_ids, manifests=(), *, dispatch: bool = True) -> Job:
    """Start one import job of completed uploads; each upload is marked imported with it, in the
    job's transaction (so an upload is imported once, even by two requests at the same time)."""
    from .job import start_plan

    with transaction.atomic():
        planned = plan_uploads(project, user, raw_ids, list(manifests))
        job = start_plan(project, user, planned.plan, dispatch=dispatch)
        Upload.objects.filter(pk__in=[u.pk for u in planned.uploads]).update(
            state=Upload.State.IMPORTED, import_job=job
        )
    return job


# --- the sweep -----------------------------------------------------------------------------


def abandon_stale(now=None) -> list[str]:
    """Beat housekeeping: abort uploads left ``created`` for ``VR_UPLOAD_ABANDON_HOURS`` (their
    parts are deleted) and delete the objects of uploads whose import succeeded. Returns the
    object names removed."""
    if not direct_uploads():
        return []
    now = now or timezone.now()
    before = now - timedelta(hours=int(getattr(settings, "VR_UPLOAD_ABANDON_HOURS", 24)))
    removed: list[str] = []
    for upload in Upload.objects.filter(state=Upload.State.CREATED, created_at__lt=before)[:500]:
        try:
            with transaction.atomic():
                locked = Upload.objects.select_for_update(skip_locked=True).filter(pk=upload.pk).first()
                if locked is None or locked.state != Upload.State.CREATED:
                    continue
                _remove(locked)
                locked.state = Upload.State.ABORTED
                locked.save(update_fields=["state"])
        except STORAGE_ERRORS as exc:  # the storage is away: the next sweep tries again
            logger.warning("could not abort upload %s: %s", upload.public_id, exc)
            continue
        removed.append(upload.object_name)
    done = Upload.objects.filter(
        state=Upload.State.IMPORTED, import_job__state=Job.State.SUCCEEDED, object_deleted=False
    )[:500]
    for upload in done:
        if Asset.objects.filter(project_id=upload.project_id, files__icontains=upload.object_name).exists():
            continue  # an asset refers to the object itself: it is the asset's now
        try:
            _client().delete_object(Bucket=media_storage().bucket_name, Key=_key(upload))
        except STORAGE_ERRORS as exc:
            logger.warning("could not delete the object of upload %s: %s", upload.public_id, exc)
            continue
        Upload.objects.filter(pk=upload.pk).update(object_deleted=True)
        removed.append(upload.object_name)
    return removed
