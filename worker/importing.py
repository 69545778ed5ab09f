"""Importing media into a project: request validation, staging, and the import runner.

The request side (``start_import``) validates everything it can before anything is created
(400 with the field or manifest line), streams the media to ``MEDIA_ROOT/staging/<id>/`` and
writes the import job in one transaction. The runner (``run_import``) turns each staged entry
into an Asset with its processed files and its task, one entry at a time:

- Resumable: an entry is recorded at most once (unique ``(import_job_id, import_entry)``), so a
  retried attempt skips what an earlier attempt recorded.
- No file without its row, no row without its files: the processed folder is renamed into
  ``asset_media_dir`` inside the transaction that creates the row and is removed if that
  transaction fails. A folder left by a crash between the rename and the commit carries a
  marker naming its job and entry; the next attempt of that job removes it.
- A file that cannot be processed becomes a failed Asset with a readable reason; the import
  goes on. The job fails only on an unexpected error (after its retries).
"""

from __future__ import annotations

import csv
import hashlib
import json
import lzma
import os
import posixpath
import re
import shutil
import stat
import uuid
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from annotator.models import Asset, Project, asset_media_dir
from annotator.services.tasks import create_task_for_asset

from .jobs import JobCancelled, JobContext, create_job
from .models import Job

STAGING_DIR = "staging"
MARKER = ".import-in-progress"
MAX_MANIFEST_ROWS = 100_000
MAX_ARCHIVE_ENTRIES = 100_000
MAX_ERRORS_PER_FIELD = 25
CHUNK = 1024 * 1024
MANIFEST_KEYS = ("file", "prompt", "metadata")
ARCHIVE_READ_ERRORS = (zipfile.BadZipFile, EOFError, zlib.error, lzma.LZMAError, NotImplementedError)
SUPPORTED_COMPRESSION = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}


def max_archive_bytes() -> int:
    """Zip-bomb guard: the most an archive may unpack to (its entries' declared sizes)."""
    return int(getattr(settings, "VR_MAX_ARCHIVE_BYTES", 0) or 50 * 1024**3)


def human_bytes(n: int) -> str:
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} bytes"


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

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ImportValidationError(self.by_field)


@dataclass
class Source:
    """One media file of the request: an upload or an archive entry."""

    name: str
    origin: str  # "upload" | "archive"
    upload: object = None  # a django File for uploads
    info: zipfile.ZipInfo | None = None


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


@dataclass
class ManifestRow:
    line: int
    file: str
    prompt: str
    metadata: dict


def _skipped_entry(name: str) -> bool:
    """Directories' litter: macOS resource forks and dotfiles are not media."""
    parts = [p for p in name.split("/") if p]
    return not parts or parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts)


def _normalize(path: str) -> str:
    path = path.strip().replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return posixpath.normpath(path) if path else path


def _inspect_archive(archive, errors: _Errors) -> tuple[zipfile.ZipFile | None, list[zipfile.ZipInfo]]:
    """Open the zip and check every entry; returns (zip, file entries) or (None, [])."""
    name = archive.name or "archive"
    try:
        archive.seek(0)
        if not zipfile.is_zipfile(archive):
            errors.add("archive", f"`{name}` is not a zip file")
            return None, []
        archive.seek(0)
        zf = zipfile.ZipFile(archive)
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        errors.add("archive", f"`{name}` is not a readable zip file ({exc})")
        return None, []
    if len(infos) > MAX_ARCHIVE_ENTRIES:
        errors.add("archive", f"`{name}` has {len(infos)} entries; the limit is {MAX_ARCHIVE_ENTRIES}")
        return None, []
    total = 0
    seen: set[str] = set()
    files: list[zipfile.ZipInfo] = []
    for info in infos:
        entry = info.filename
        slashed = entry.replace("\\", "/")
        if slashed.startswith("/") or re.match(r"^[A-Za-z]:", slashed):
            errors.add("archive", f"archive entry `{entry}` has an absolute path")
            continue
        if ".." in slashed.split("/"):
            errors.add("archive", f"archive entry `{entry}` points outside the archive (`..`)")
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            errors.add("archive", f"archive entry `{entry}` is a symbolic link")
            continue
        if info.is_dir():
            continue
        if info.flag_bits & 0x1:
            errors.add("archive", f"archive entry `{entry}` is encrypted")
            continue
        if info.compress_type not in SUPPORTED_COMPRESSION:
            errors.add("archive", f"archive entry `{entry}` uses an unsupported compression method")
            continue
        key = _normalize(slashed)
        if key in seen:
            errors.add("archive", f"archive entry `{entry}` appears more than once")
            continue
        seen.add(key)
        total += info.file_size
        files.append(info)
    limit = max_archive_bytes()
    if total > limit:
        errors.add(
            "archive",
            f"`{name}` would unpack to {human_bytes(total)}, more than the limit of {human_bytes(limit)}",
        )
    return zf, files


def _text_lines(upload, errors: _Errors):
    """(line number, text) of an uploaded text file, read line by line (never whole)."""
    upload.seek(0)
    for number, raw in enumerate(upload, start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            errors.add("manifest", f"manifest line {number}: not UTF-8 text")
            return
        if number == 1:
            text = text.lstrip("\ufeff")
        yield number, text


def _row(line: int, obj: dict, errors: _Errors, *, strict_keys: bool) -> ManifestRow | None:
    ok = True
    file_value = obj.get("file")
    if file_value is None or (isinstance(file_value, str) and not file_value.strip()):
        errors.add("manifest", f"manifest line {line}: missing `file`")
        ok = False
    elif not isinstance(file_value, str):
        errors.add("manifest", f"manifest line {line}: `file` must be a string")
        ok = False
    prompt = obj.get("prompt")
    if prompt is None:
        prompt = ""
    elif not isinstance(prompt, str):
        errors.add("manifest", f"manifest line {line}: `prompt` must be a string")
        ok = False
    metadata = obj.get("metadata")
    if metadata is None:
        metadata = {}
    elif not isinstance(metadata, dict):
        errors.add("manifest", f"manifest line {line}: `metadata` must be a JSON object, not {_json_type(metadata)}")
        ok = False
    if strict_keys:
        unknown = sorted(k for k in obj if k not in MANIFEST_KEYS)
        if unknown:
            names = ", ".join(f"`{k}`" for k in unknown)
            errors.add(
                "manifest",
                f"manifest line {line}: unknown key(s) {names}; allowed: file, prompt, metadata "
                "(put other fields inside `metadata`)",
            )
            ok = False
    return ManifestRow(line, file_value.strip(), prompt, metadata) if ok else None


def _json_type(value) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


def _parse_jsonl(upload, errors: _Errors) -> list[ManifestRow]:
    rows: list[ManifestRow] = []
    for line, text in _text_lines(upload, errors):
        if not text.strip():
            continue
        if len(rows) >= MAX_MANIFEST_ROWS:
            errors.add("manifest", f"manifest line {line}: more than {MAX_MANIFEST_ROWS} rows")
            break
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            errors.add("manifest", f"manifest line {line}: bad JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(obj, dict):
            errors.add("manifest", f"manifest line {line}: expected a JSON object, got {_json_type(obj)}")
            continue
        row = _row(line, obj, errors, strict_keys=True)
        if row is not None:
            rows.append(row)
    return rows


def _parse_csv(upload, errors: _Errors) -> list[ManifestRow]:
    rows: list[ManifestRow] = []
    lines = (text for _, text in _text_lines(upload, errors))
    reader = csv.reader(lines)
    try:
        header = next(reader, None)
        if header is None:
            errors.add("manifest", "manifest line 1: the file is empty (expected a header with a `file` column)")
            return rows
        header = [h.strip() for h in header]
        if "file" not in header:
            errors.add("manifest", f"manifest line 1: the header has no `file` column (columns: {', '.join(header)})")
            return rows
        duplicated = sorted({h for h in header if header.count(h) > 1})
        if duplicated or "" in header:
            what = ", ".join(f"`{h}`" for h in duplicated) if duplicated else "an empty name"
            errors.add("manifest", f"manifest line 1: the header repeats or misses column names ({what})")
            return rows
        previous = reader.line_num
        for cells in reader:
            line = previous + 1
            previous = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_MANIFEST_ROWS:
                errors.add("manifest", f"manifest line {line}: more than {MAX_MANIFEST_ROWS} rows")
                break
            if len(cells) > len(header):
                errors.add(
                    "manifest", f"manifest line {line}: {len(cells)} fields, but the header has {len(header)} columns"
                )
                continue
            values = dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=True))
            metadata: dict = {}
            raw_metadata = values.pop("metadata", "").strip()
            if raw_metadata:
                try:
                    metadata = json.loads(raw_metadata)
                except json.JSONDecodeError as exc:
                    errors.add("manifest", f"manifest line {line}: `metadata` is not valid JSON ({exc.msg})")
                    continue
                if not isinstance(metadata, dict):
                    errors.add(
                        "manifest",
                        f"manifest line {line}: `metadata` must be a JSON object, not {_json_type(metadata)}",
                    )
                    continue
            for column in header:
                if column not in MANIFEST_KEYS:
                    metadata[column] = values[column]
            row = _row(
                line,
                {"file": values["file"], "prompt": values.get("prompt", ""), "metadata": metadata},
                errors,
                strict_keys=False,
            )
            if row is not None:
                rows.append(row)
    except csv.Error as exc:
        errors.add("manifest", f"manifest line {reader.line_num}: {exc}")
    return rows


def parse_manifest(upload, errors: _Errors) -> list[ManifestRow]:
    name = upload.name or "manifest"
    suffix = Path(name).suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        rows = _parse_jsonl(upload, errors)
    elif suffix == ".csv":
        rows = _parse_csv(upload, errors)
    else:
        errors.add("manifest", f"`{name}` must be a .jsonl or .csv file")
        return []
    first_line: dict[str, int] = {}
    unique: list[ManifestRow] = []
    for row in rows:
        key = _normalize(row.file)
        if key in first_line:
            errors.add(
                "manifest", f"manifest line {row.line}: `{row.file}` is already listed on line {first_line[key]}"
            )
            continue
        first_line[key] = row.line
        unique.append(row)
    if not rows and not errors.by_field.get("manifest"):
        errors.add("manifest", f"`{name}` has no rows")
    return unique


def validate_import(files: list, archives: list, manifests: list) -> ImportPlan:
    """Check the whole request; raises ImportValidationError naming each problem."""
    errors = _Errors()
    if not files and not archives:
        errors.add(
            "files",
            "nothing to import: send media files as `files` and/or one .zip as `archive`"
            + (" (a manifest alone names files but does not carry them)" if manifests else ""),
        )
        errors.raise_if_any()
    if len(archives) > 1:
        names = ", ".join(f"`{a.name}`" for a in archives)
        errors.add("archive", f"send at most one archive; got {len(archives)} ({names})")
    if len(manifests) > 1:
        names = ", ".join(f"`{m.name}`" for m in manifests)
        errors.add("manifest", f"send at most one manifest; got {len(manifests)} ({names})")
    errors.raise_if_any()

    zf, archive_infos = (None, [])
    if archives:
        zf, archive_infos = _inspect_archive(archives[0], errors)
    uploads = [Source(name=f.name or f"upload-{i}", origin="upload", upload=f) for i, f in enumerate(files)]
    entries_of_archive = [Source(name=info.filename, origin="archive", info=info) for info in archive_infos]
    rows = parse_manifest(manifests[0], errors) if manifests else None
    errors.raise_if_any()

    plan = ImportPlan(entries=[], archive=archives[0] if archives else None, zip=zf)
    if rows is None:
        plan.entries = [PlannedEntry(s) for s in uploads]
        plan.entries += [PlannedEntry(s) for s in entries_of_archive if not _skipped_entry(_normalize(s.name))]
        if not plan.entries:
            errors.add("archive", f"`{plan.archive.name}` contains no media files")
        errors.raise_if_any()
        return plan

    plan.manifest_name = manifests[0].name or "manifest"
    by_name: dict[str, list[Source]] = {}
    for source in uploads:
        by_name.setdefault(source.name, []).append(source)
    for source in entries_of_archive:
        by_name.setdefault(_normalize(source.name), []).append(source)
    used: set[int] = set()
    for row in rows:
        matches = by_name.get(row.file, []) if row.file in by_name else by_name.get(_normalize(row.file), [])
        if not matches:
            errors.add(
                "manifest",
                f"manifest line {row.line}: `{row.file}` is not among the uploaded files or the archive's entries",
            )
            continue
        if len(matches) > 1:
            where = ", ".join(f"{m.origin} `{m.name}`" for m in matches)
            errors.add("manifest", f"manifest line {row.line}: `{row.file}` matches {len(matches)} files ({where})")
            continue
        used.add(id(matches[0]))
        plan.entries.append(PlannedEntry(matches[0], prompt=row.prompt, metadata=row.metadata))
    errors.raise_if_any()
    plan.ignored = [
        s.name
        for s in uploads + entries_of_archive
        if id(s) not in used and not (s.origin == "archive" and _skipped_entry(_normalize(s.name)))
    ]
    return plan


# --- staging ------------------------------------------------------------------------------


def _safe_suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,10}", suffix) else ""


def _chunks(plan: ImportPlan, source: Source):
    if source.origin == "upload":
        yield from source.upload.chunks(CHUNK)
        return
    with plan.zip.open(source.info) as fh:
        while chunk := fh.read(CHUNK):
            yield chunk


def stage(plan: ImportPlan) -> tuple[str, list[dict]]:
    """Stream every planned file into a fresh staging folder (relative path, entry list).
    On any error the folder is removed."""
    rel = f"{STAGING_DIR}/{uuid.uuid4().hex}"
    root = Path(settings.MEDIA_ROOT) / rel
    (root / "entries").mkdir(parents=True)
    entries: list[dict] = []
    try:
        for index, planned in enumerate(plan.entries):
            source = planned.source
            staged = f"entries/{index:06d}{_safe_suffix(source.name)}"
            digest = hashlib.sha256()
            size = 0
            try:
                with open(root / staged, "wb") as out:
                    for chunk in _chunks(plan, source):
                        out.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
            except ARCHIVE_READ_ERRORS as exc:
                if source.origin != "archive":
                    raise
                raise ImportValidationError({"archive": [f"archive entry `{source.name}` is corrupt ({exc})"]})
            entries.append(
                {
                    "index": index,
                    "file": staged,
                    "original_name": source.name[:500],
                    "source": source.origin,
                    "prompt": planned.prompt,
                    "metadata": planned.metadata,
                    "sha256": digest.hexdigest(),
                    "size_bytes": size,
                }
            )
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return rel, entries


def start_import(project: Project, user, *, files=(), archives=(), manifests=(), dispatch: bool = True) -> Job:
    """Validate, stage and create the import job (one transaction). Raises ImportValidationError."""
    plan = validate_import(list(files), list(archives), list(manifests))
    try:
        staging_rel, entries = stage(plan)
    finally:
        if plan.zip is not None:
            plan.zip.close()
    params = {
        "staging_dir": staging_rel,
        "expected_kind": project.media_type,
        "archive": getattr(plan.archive, "name", "") or "",
        "manifest": plan.manifest_name,
        "entry_count": len(entries),
        "ignored": plan.ignored[:1000],
        "entries": entries,
    }
    try:
        with transaction.atomic():
            job = create_job(
                Job.Kind.IMPORT,
                params,
                project=project,
                user=user,
                dispatch=dispatch,
                message=f"queued: {len(entries)} file(s) to import",
            )
    except BaseException:
        shutil.rmtree(Path(settings.MEDIA_ROOT) / staging_rel, ignore_errors=True)
        raise
    return job


def retry_problem(job: Job) -> str | None:
    """Why an import job cannot be retried (its staged files are gone), or None."""
    params = job.params or {}
    total = len(params.get("entries", []))
    recorded = Asset.objects.filter(import_job_id=job.pk).count()
    staging = params.get("staging_dir")
    if recorded < total and (not staging or not (Path(settings.MEDIA_ROOT) / staging).is_dir()):
        return (
            f"job {job.pk} cannot be retried: its staged files were removed and {total - recorded} "
            "file(s) were not imported; start a new import with them"
        )
    return None


# --- the runner ---------------------------------------------------------------------------


def _relocate(files: dict, folder: str) -> dict:
    """ProcessedMedia.files (relative to its folder) → paths relative to MEDIA_ROOT."""
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


def _record_ready(job: Job, entry: dict, processed, out: Path) -> Asset | None:
    """Create the row, move the processed folder into place, link files, create the task —
    all or nothing."""
    media_root = Path(settings.MEDIA_ROOT)
    info = processed.info
    (out / MARKER).write_text(json.dumps({"job": job.pk, "entry": entry["index"]}))
    moved: Path | None = None
    try:
        with transaction.atomic():
            asset = Asset.objects.create(
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
            folder = asset_media_dir(job.project_id, asset.pk)
            target = media_root / folder
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


def remove_orphans(job: Job) -> list[str]:
    """Folders a crashed attempt of ``job`` moved into place without committing their row."""
    base = Path(settings.MEDIA_ROOT) / "projects" / str(job.project_id) / "assets"
    removed: list[str] = []
    if not base.is_dir():
        return removed
    for child in base.iterdir():
        marker = child / MARKER
        if not marker.is_file():
            continue
        try:
            owner = json.loads(marker.read_text()).get("job")
        except (OSError, ValueError):
            continue
        if owner != job.pk:
            continue
        if child.name.isdigit() and Asset.objects.filter(pk=int(child.name), import_job_id=job.pk).exists():
            marker.unlink(missing_ok=True)  # committed; only the marker was left behind
            continue
        shutil.rmtree(child, ignore_errors=True)
        removed.append(child.name)
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


def _import_entry(job: Job, entry: dict, staging: Path, work: Path, limits, kind: str) -> tuple[Asset | None, str]:
    from .media import MediaError, process_media

    src = staging / entry["file"]
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


def run_import(job: Job, ctx: JobContext) -> dict:
    """The import runner (called by ``worker.jobs.execute``); returns the job's result."""
    from .media import MediaLimits

    params = job.params or {}
    entries = params.get("entries", [])
    total = len(entries)
    kind = params.get("expected_kind") or Project.objects.values_list("media_type", flat=True).get(pk=job.project_id)
    staging = Path(settings.MEDIA_ROOT) / params.get("staging_dir", f"{STAGING_DIR}/missing-{job.pk}")
    work = staging / "work"
    shutil.rmtree(work, ignore_errors=True)
    if staging.is_dir():
        work.mkdir()

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
    limits = MediaLimits(
        max_bytes=settings.VR_MAX_ASSET_BYTES,
        max_pixels=settings.VR_MAX_IMAGE_PIXELS,
        max_video_seconds=settings.VR_MAX_VIDEO_SECONDS,
    )
    for entry in entries:
        if entry["index"] in recorded:
            continue
        if cancel:
            raise JobCancelled()
        asset, reason = _import_entry(job, entry, staging, work, limits, kind)
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
    shutil.rmtree(staging, ignore_errors=True)
    ctx.report(
        progress=1.0,
        message=f"{result['imported']} imported, {result['failed']} failed",
        log=f"finished: {result['imported']} imported, {result['failed']} failed; staging removed",
    )
    return result


def clean_staging(now=None, *, keep_finished=None, orphan_after=None) -> list[str]:
    """Beat housekeeping: remove staging folders nobody will use again — those of finished
    imports (failed or cancelled ones are kept ``keep_finished`` for a retry) and those no job
    refers to (a request that died between staging and commit) once ``orphan_after`` old."""
    from datetime import timedelta

    from django.utils import timezone

    now = now or timezone.now()
    keep_finished = keep_finished or timedelta(days=7)
    orphan_after = orphan_after or timedelta(days=1)
    root = Path(settings.MEDIA_ROOT) / STAGING_DIR
    removed: list[str] = []
    if not root.is_dir():
        return removed
    for child in root.iterdir():
        rel = f"{STAGING_DIR}/{child.name}"
        job = Job.objects.filter(kind=Job.Kind.IMPORT, params__staging_dir=rel).only("state", "finished_at").first()
        if job is None:
            try:
                age = now.timestamp() - child.stat().st_mtime
            except OSError:
                continue
            stale = age > orphan_after.total_seconds()
        elif job.state == Job.State.SUCCEEDED:
            stale = True
        elif job.state in (Job.State.FAILED, Job.State.CANCELLED):
            stale = job.finished_at is not None and job.finished_at < now - keep_finished
        else:
            stale = False
        if stale:
            shutil.rmtree(child, ignore_errors=True)
            removed.append(rel)
    return removed
