"""Importing a dataset's rows as assets, or as rated pairs: the preview, the request and the job.

A dataset (a Hugging Face Hub id or a local path, ``worker.imports.hf_source``) is streamed row
by row; each row's media goes through the same processing as an uploaded file
(``worker.media.process_media``: probe, transcode, thumbnail; the upload limits) and is recorded
by the file import's own functions (``worker.imports.job``): an asset with its prompt and
metadata and its task, or a failed asset with the row's reason. In pair mode a row's two media
become two assets (an identical file with the same prompt is reused) and a pair task whose
rating is the dataset's preference (``worker.imports.pairs``).

- Progress is rows read / the split's rows (from the dataset's info or its parquet footers;
  unknown for JSON/CSV until the end), or the row limit.
- Resumable: the job's ``result.checkpoint.next_row`` is written as rows are recorded; a later
  attempt (a crash, a retry) streams from there, and a row recorded after the checkpoint is
  recognised by its entry (unique ``(import_job_id, import_entry)``) or its content.
- A malformed row (unreadable media, a missing prompt when one is required, a file past the
  limits, a value of the wrong type) becomes a failed asset named by its row with its reason;
  the import goes on. The job fails at once only when the source cannot be read any more.
- Media are processed by ``VR_IMPORT_WORKERS`` threads (ffprobe and ffmpeg run as processes);
  rows are recorded in order by the job's own thread.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import shutil
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from annotator import storage
from annotator.asset_fields import FieldLimits, metadata_problems, prompt_problem, shown
from annotator.models import Asset, Project
from worker.jobs import JobCancelled, JobContext, JobFailed, create_job
from worker.models import Job

from .fetch import FetchError, FetchLimits, fetch
from .hf_mapping import MediaValue, RowProblem, parse_mapping, preview_cell, row_entry, suggest_mapping
from .hf_source import OpenedSource, SourceError, SourceSpec, local_media, media_roots, open_source
from .job import (
    STAGING_DIR,
    ImportValidationError,
    _record_failure,
    _record_ready,
    fetch_limits_from_settings,
    remove_orphans,
)
from .pairs import record_pair, reusable_asset

MODES = ("assets", "pairs")
PREVIEW_ROWS = 5
MAX_PREVIEW_ROWS = 20
MAX_LIMIT = 100_000_000
CHECKPOINT_SECONDS = 1.0
SNIFF = (
    (b"\x89PNG\r\n\x1a\n", ".png"),
    (b"\xff\xd8\xff", ".jpg"),
    (b"GIF8", ".gif"),
    (b"RIFF", ".webp"),
    (b"BM", ".bmp"),
    (b"\x1aE\xdf\xa3", ".webm"),
)


# --- the request ------------------------------------------------------------------------------


def _spec(body: dict, errors: dict) -> SourceSpec:
    values = {}
    for name in ("source", "config", "split", "revision"):
        value = body.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors.setdefault(name, []).append(f"`{name}` must be text")
            value = ""
        values[name] = value.strip()
    return SourceSpec(**values)


def _open(spec: SourceSpec) -> OpenedSource:
    try:
        return open_source(spec)
    except SourceError as exc:
        raise ImportValidationError({exc.field: [exc.message]}) from None


def _thumbnail(data: bytes):
    """A 96 px PNG of an image cell for the preview, or None (not an image, too large)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > settings.VR_MAX_IMAGE_PIXELS:
                return None
            image.thumbnail((96, 96))
            out = io.BytesIO()
            image.convert("RGB").save(out, format="PNG")
            return "image/png", out.getvalue()
    except Exception:  # noqa: BLE001 - an unreadable image shows as its size only
        return None


def preview(project: Project, body: dict, mode: str) -> dict:
    """The dataset's configs, splits, columns with their types, its first rows (text cut, media as
    a thumbnail or its size) and a suggested mapping. Raises ImportValidationError."""
    errors: dict = {}
    if not isinstance(body, dict):
        raise ImportValidationError({"source": ["send a JSON object with `source`"]})
    spec = _spec(body, errors)
    count = body.get("rows", PREVIEW_ROWS)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_PREVIEW_ROWS:
        errors.setdefault("rows", []).append(f"`rows` must be an integer from 1 to {MAX_PREVIEW_ROWS}")
    if errors:
        raise ImportValidationError(errors)
    opened = _open(spec)
    rows = []
    try:
        for index, row in itertools.islice(opened.rows(), count):
            rows.append(
                {"row": index, "cells": {c: preview_cell(row.get(c), opened.columns.get(c), _thumbnail) for c in row}}
            )
    except Exception as exc:  # noqa: BLE001 - a source that opens but whose rows do not read
        raise ImportValidationError({"source": [f"the first rows cannot be read: {str(exc)[:300]}"]}) from None
    return {
        **opened.describe(),
        "source": spec.source,
        "rows": rows,
        "suggestion": suggest_mapping(opened.columns, mode),
        "media_type": project.media_type,
    }


def start_dataset_import(project: Project, user, body: dict, mode: str, *, dispatch: bool = True) -> Job:
    """Check the request against the dataset (the source opens, the columns exist) and write the
    job. Raises ImportValidationError naming each field."""
    if mode not in MODES:
        raise ValueError(mode)
    if not isinstance(body, dict):
        raise ImportValidationError({"source": ["send a JSON object with `source` and `mapping`"]})
    errors: dict = {}
    allowed = {"source", "config", "split", "revision", "mapping", "limit"} | (
        {"rate_again"} if mode == "pairs" else set()
    )
    unknown = sorted(set(body) - allowed)
    if unknown:
        errors["body"] = [f"unknown field(s) {', '.join(f'`{shown(k, 40)}`' for k in unknown)}"]
    spec = _spec(body, errors)
    limit = body.get("limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT):
        errors.setdefault("limit", []).append("`limit` must be a positive integer (or null for every row)")
    rate_again = body.get("rate_again", False)
    if not isinstance(rate_again, bool):
        errors.setdefault("rate_again", []).append("`rate_again` must be true or false")
    if mode == "pairs" and project.checklist_version_id is None:
        errors.setdefault("project", []).append("the project has no checklist")
    if errors:
        raise ImportValidationError(errors)
    opened = _open(spec)
    mapping, problems = parse_mapping(body.get("mapping"), mode, opened.columns)
    if problems:
        raise ImportValidationError(problems)
    total = opened.num_rows
    if limit is not None:
        total = min(total, limit) if total is not None else limit
    params = {
        "mode": mode,
        "source": {**spec.as_dict(), "config": opened.config, "split": opened.split},
        "mapping": mapping.as_dict(),
        "limit": limit,
        "total": total,
        "expected_kind": project.media_type,
        "rate_again": bool(rate_again) if mode == "pairs" else False,
    }
    what = "rated pairs" if mode == "pairs" else "assets"
    rows = f"{total:,} row(s)" if total is not None else "every row"
    with transaction.atomic():
        return create_job(
            Job.Kind.DATASET_IMPORT,
            params,
            project=project,
            user=user,
            dispatch=dispatch,
            message=f"queued: {rows} of `{shown(spec.source, 80)}` ({opened.split}) as {what}",
        )


# --- media of one row -------------------------------------------------------------------------


def fetch_url_media(url: str, target: Path, limits: FetchLimits) -> tuple[int, str]:
    """Fetch an http(s) URL cell into ``target`` → (bytes, sha256), through the safe URL fetcher
    (never a private address; the job's size, time and redirect limits)."""
    try:
        fetched = fetch(url, target.parent, limits=limits, filename=target.name)
    except FetchError as exc:
        raise RowProblem(exc.reason) from None
    return fetched.size, fetched.sha256


def _suffix(media: MediaValue) -> str:
    name = media.name.lower()
    if "." in name:
        suffix = "." + name.rsplit(".", 1)[1]
        if suffix.isascii() and 2 <= len(suffix) <= 11 and suffix[1:].isalnum():
            return suffix
    head = (media.data or b"")[:16]
    return next((s for magic, s in SNIFF if head.startswith(magic)), "")


def _digest(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


@dataclass
class MediaFile:
    path: Path
    size: int
    sha256: str
    name: str


def materialize(
    media: MediaValue, target: Path, opened: OpenedSource, roots, max_bytes: int, fetch_limits: FetchLimits
) -> MediaFile:
    """A row's media as a file to process: its bytes written to ``target``, a path cell resolved
    inside the dataset's folder (read where it is), a URL fetched. Raises RowProblem."""
    suffix = _suffix(media)
    if media.data is not None:
        if len(media.data) > max_bytes:
            raise RowProblem(f"the file is {len(media.data):,} bytes; the limit is {max_bytes:,} (VR_MAX_ASSET_BYTES)")
        path = target.with_suffix(suffix)
        path.write_bytes(media.data)
        return MediaFile(path, len(media.data), hashlib.sha256(media.data).hexdigest(), media.name)
    if media.url:
        path = target.with_suffix(suffix)
        size, sha = fetch_url_media(media.url, path, fetch_limits)
        return MediaFile(path, size, sha, media.name)
    path = local_media(opened.base, media.path, roots)
    size, sha = _digest(path)
    return MediaFile(path, size, sha, media.name)


# --- the job ------------------------------------------------------------------------------------


@dataclass
class Pending:
    """A row on its way: its entry (or its problem) and its media being processed."""

    index: int
    problem: str = ""
    entry: object = None
    files: list[MediaFile] = field(default_factory=list)
    outs: list[Path] = field(default_factory=list)
    futures: list[Future] = field(default_factory=list)
    reuse: list[int | None] = field(default_factory=list)
    duplicate_of: int | None = None
    recorded: bool = False


class _Counts:
    def __init__(self, job: Job, mode: str, next_row: int):
        assets = Asset.objects.filter(import_job_id=job.pk)
        self.failed = assets.filter(status=Asset.Status.FAILED).count()
        self.ready = assets.filter(status=Asset.Status.READY).count()
        self.rows = next_row
        self.mode = mode

    def message(self, total: int | None) -> str:
        of = f"/{total:,}" if total is not None else ""
        return f"{self.rows:,}{of} rows: {self.ready:,} assets, {self.failed:,} failed"


def _checkpoint(job: Job, ctx: JobContext, next_row: int) -> None:
    Job.objects.filter(pk=job.pk, state=Job.State.RUNNING, attempts=ctx.token).update(
        result={"checkpoint": {"next_row": next_row}}
    )


def _entry(job: Job, index: int, name: str, prompt: str = "", metadata=None, file: MediaFile | None = None) -> dict:
    entry = {"index": index, "original_name": name[:500], "prompt": prompt, "metadata": metadata or {}}
    if file is not None:
        entry |= {"sha256": file.sha256, "size_bytes": file.size}
    return entry


def _row_name(split: str, index: int, media: MediaFile | None, side: str = "") -> str:
    label = f"{split}[{index}]{side}"
    return f"{label} {media.name}".strip() if media is not None and media.name else label


def _prepare(index: int, row: dict, ctx_: dict) -> Pending:
    """Everything about a row that is quick: its entry checked, its media written out."""
    pending = Pending(index)
    opened, mapping = ctx_["opened"], ctx_["mapping"]
    try:
        entry = row_entry(row, mapping, opened.columns)
        problem = prompt_problem(entry.prompt, ctx_["field_limits"])
        if problem:
            raise RowProblem(f"the prompt {problem}")
        problems = metadata_problems(entry.metadata, ctx_["field_limits"])
        if problems:
            path, message = problems[0]
            raise RowProblem(f"the metadata{' `' + path + '`' if path else ''} {message}")
        pending.entry = entry
        for side, media in enumerate(entry.media):
            target = ctx_["work"] / f"{index:09d}-{side}-src"
            pending.files.append(
                materialize(media, target, opened, ctx_["roots"], ctx_["max_bytes"], ctx_["fetch_limits"])
            )
        if len(pending.files) == 2 and pending.files[0].sha256 == pending.files[1].sha256:
            raise RowProblem("media A and media B are the same file")
    except RowProblem as exc:
        pending.problem = str(exc)
    return pending


def _process(src: Path, out: Path, ctx_: dict):
    from worker.media import MediaError, process_media

    try:
        return process_media(
            src,
            out,
            limits=ctx_["media_limits"],
            expected_kind=ctx_["kind"],
            thumbnail_size=settings.VR_THUMBNAIL_SIZE,
            max_frames=settings.VR_MAX_MODEL_FRAMES,
        )
    except MediaError as exc:
        return RowProblem(getattr(exc, "reason", None) or str(exc))


def _submit(pool: ThreadPoolExecutor, pending: Pending, ctx_: dict, job: Job, in_flight: dict) -> None:
    """Start processing the row's media, except files the project already holds (pairs reuse
    them; an asset import skips a row whose file and prompt are already an asset)."""
    if pending.problem:
        return
    base = pending.index * 2 if ctx_["mode"] == "pairs" else pending.index
    if job.attempts > 1 and Asset.objects.filter(import_job_id=job.pk, import_entry=base).exists():
        pending.recorded = True  # by an earlier attempt, after its last checkpoint
        if ctx_["mode"] == "assets":
            return
    prompt = pending.entry.prompt
    for side, file in enumerate(pending.files):
        known = reusable_asset(job.project_id, file.sha256, prompt) if ctx_["dedupe"] else None
        key = (file.sha256, prompt)
        if ctx_["mode"] == "assets" and (known is not None or key in in_flight):
            pending.duplicate_of = known if known is not None else in_flight[key]
            return
        pending.reuse.append(known)
        out = ctx_["work"] / f"{pending.index:09d}-{side}-out"
        pending.outs.append(out)
        if known is None and key in in_flight and ctx_["mode"] == "pairs":
            pending.futures.append(None)  # the same file earlier in the window: resolved when recorded
            continue
        in_flight[key] = -1 - pending.index
        pending.futures.append(pool.submit(_process, file.path, out, ctx_))


def _record(job: Job, pending: Pending, ctx_: dict, counts: _Counts) -> str:
    """Record one row in order; returns its log line."""
    split, kind, index = ctx_["split"], ctx_["kind"], pending.index
    mode = ctx_["mode"]
    base = index * 2 if mode == "pairs" else index
    if pending.recorded and mode == "assets":
        return f"row {index}: already recorded"
    if pending.duplicate_of is not None:
        what = f"asset {pending.duplicate_of}" if pending.duplicate_of >= 0 else f"row {-1 - pending.duplicate_of}"
        return f"row {index}: skipped, the same file and prompt as {what}"
    if not pending.problem:
        results = [f.result() if f is not None else None for f in pending.futures]
        problems = [(side, r) for side, r in enumerate(results) if isinstance(r, RowProblem)]
        if problems:
            side, problem = problems[0]
            label = f"media {'AB'[side]}: " if mode == "pairs" else ""
            pending.problem = f"{label}{problem}"
    if pending.problem:
        first = pending.files[0] if pending.files else None
        name = _row_name(split, index, first)
        asset = _record_failure(job, _entry(job, base, name), kind, f"row {index}: {pending.problem}")
        if asset is not None:
            counts.failed += 1
        return f"row {index}: failed: {pending.problem}"
    entry = pending.entry
    ids: list[int] = []
    for side, file in enumerate(pending.files):
        known = pending.reuse[side] if side < len(pending.reuse) else None
        if known is None and results[side] is None:  # the same file earlier in this window, recorded by now
            known = reusable_asset(job.project_id, file.sha256, entry.prompt)
            if known is None:
                reason = f"media {'AB'[side]} is the file of an earlier row, which failed"
                name = _row_name(split, index, file)
                if _record_failure(job, _entry(job, base + side, name), kind, f"row {index}: {reason}") is not None:
                    counts.failed += 1
                return f"row {index}: failed: {reason}"
        if known is not None:
            ids.append(known)
            continue
        label = f" {'AB'[side]}" if mode == "pairs" else ""
        fields = _entry(job, base + side, _row_name(split, index, file, label), entry.prompt, entry.metadata, file)
        asset = _record_ready(job, fields, results[side], pending.outs[side])
        if asset is None:  # recorded by an earlier attempt
            asset_id = Asset.objects.filter(import_job_id=job.pk, import_entry=base + side).values_list("id", "status")
            found = asset_id.first()
            if found is None or found[1] != Asset.Status.READY:
                return f"row {index}: already recorded"
            ids.append(found[0])
            continue
        counts.ready += 1
        ids.append(asset.pk)
    if mode == "assets":
        return f"row {index}: asset {ids[0]}"
    if ids[0] == ids[1]:
        reason = "media A and media B are the same file"
        asset = _record_failure(job, _entry(job, base, _row_name(split, index, None)), kind, f"row {index}: {reason}")
        if asset is not None:
            counts.failed += 1
        return f"row {index}: failed: {reason}"
    mapping = ctx_["mapping"]
    provenance = f"imported from `{ctx_['source']}` ({split}) row {index}: " + ", ".join(
        f"{c}={shown(str(ctx_['raw_preference'].get(index, '')), 40)}" for c in mapping.preference[:1]
    )
    task, created = record_pair(
        ctx_["project"], ids[0], ids[1], entry.preference, provenance, rate_again=ctx_["rate_again"]
    )
    return f"row {index}: pair task {task.pk} rated {entry.preference}" + (
        "" if created else " (the pair existed; its rating is kept)"
    )


def run_dataset_import(job: Job, ctx: JobContext) -> dict:
    """The dataset import runner (called by ``worker.jobs.execute``)."""
    from worker.media import MediaLimits

    params = job.params or {}
    mode = params.get("mode", "assets")
    source = params.get("source") or {}
    spec = SourceSpec(**{k: source.get(k, "") or "" for k in ("source", "config", "split", "revision")})
    try:
        opened = open_source(spec)
    except SourceError as exc:
        raise JobFailed(f"{exc.field}: {exc.message}") from None
    mapping, problems = parse_mapping(params.get("mapping"), mode, opened.columns)
    if problems:
        raise JobFailed("the dataset's columns changed: " + "; ".join(m for ms in problems.values() for m in ms))
    project = Project.objects.get(pk=job.project_id)
    total, limit = params.get("total"), params.get("limit")
    next_row = int(((job.result or {}).get("checkpoint") or {}).get("next_row", 0))
    removed = remove_orphans(job) if job.attempts > 1 else []
    counts = _Counts(job, mode, next_row)
    # this host's work folder: beside the assets on a filesystem storage (publishing is a rename),
    # else a scratch folder (the processed files are uploaded from there)
    media = storage.media_storage()
    work = storage.local_path(media, f"{STAGING_DIR}/dataset-import-{job.pk}") or storage.scratch_dir(
        f"dataset-import-{job.pk}"
    )
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    notes = [f"removed {len(removed)} unfinished folder(s) of an earlier attempt"] if removed else []
    notes.append(
        f"resuming at row {next_row:,}" if next_row else f"reading `{shown(spec.source, 100)}` ({opened.split})"
    )
    if ctx.report(progress=(next_row / total) if total else 0.0, message=counts.message(total), log="; ".join(notes)):
        raise JobCancelled()
    try:
        fetch_limits = fetch_limits_from_settings()  # once per job; a bad setting fails it by name
    except ValueError as exc:
        raise JobFailed(str(exc)) from None
    ctx_ = {
        "fetch_limits": fetch_limits,
        "opened": opened,
        "mapping": mapping,
        "mode": mode,
        "kind": params.get("expected_kind") or project.media_type,
        "split": opened.split,
        "source": shown(spec.source, 100),
        "project": project,
        "rate_again": bool(params.get("rate_again")),
        "dedupe": True,
        "work": work,
        "roots": media_roots(opened),
        "max_bytes": settings.VR_MAX_ASSET_BYTES,
        "field_limits": FieldLimits.from_settings(),
        "media_limits": MediaLimits(
            max_bytes=settings.VR_MAX_ASSET_BYTES,
            max_pixels=settings.VR_MAX_IMAGE_PIXELS,
            max_video_seconds=settings.VR_MAX_VIDEO_SECONDS,
        ),
        "raw_preference": {},
    }
    workers = max(1, int(getattr(settings, "VR_IMPORT_WORKERS", 2)))
    window: deque[Pending] = deque()
    in_flight: dict = {}
    last = {"at": time.monotonic()}

    def finish_oldest() -> None:
        pending = window.popleft()
        line = _record(job, pending, ctx_, counts)
        ctx_["raw_preference"].pop(pending.index, None)
        for file in pending.files:
            if file.path.is_relative_to(work):
                file.path.unlink(missing_ok=True)
        for out in pending.outs:
            shutil.rmtree(out, ignore_errors=True)
        counts.rows = pending.index + 1
        now = time.monotonic()
        failed_line = any(word in line for word in (": failed: ", ": skipped, ", "already recorded"))
        if failed_line or now - last["at"] >= CHECKPOINT_SECONDS:
            last["at"] = now
            _checkpoint(job, ctx, counts.rows)
            progress = counts.rows / total if total else None
            if ctx.report(progress=progress, message=counts.message(total), log=line if failed_line else None):
                raise JobCancelled()

    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"import-{job.pk}") as pool:
            try:
                rows = opened.rows(next_row)
                if limit is not None:
                    rows = itertools.islice(rows, max(0, limit - next_row))
                for index, row in rows:
                    if mode == "pairs":
                        ctx_["raw_preference"][index] = row.get(mapping.preference[0]) if mapping.preference else ""
                    pending = _prepare(index, row, ctx_)
                    _submit(pool, pending, ctx_, job, in_flight)
                    window.append(pending)
                    while len(window) > workers * 2:
                        finish_oldest()
                    if len(in_flight) > 10_000:
                        in_flight.clear()
                while window:
                    finish_oldest()
            except BaseException:
                for pending in window:
                    for future in pending.futures:
                        if future is not None:
                            future.cancel()
                raise
    except (JobCancelled, JobFailed):
        raise
    except Exception as exc:
        if _is_read_error(exc):
            _checkpoint(job, ctx, counts.rows)
            raise JobFailed(f"the dataset could not be read after row {counts.rows:,}: {str(exc)[:300]}") from None
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _checkpoint(job, ctx, counts.rows)
    result = dataset_import_result(job, counts.rows)
    done = (
        f"{result['rows']:,} rows: {result['imported']:,} assets"
        + (
            f", {result['pairs']:,} rated pairs"
            if mode == "pairs"
            else f", {result['duplicates']:,} duplicates skipped"
            if result["duplicates"]
            else ""
        )
        + f", {result['failed']:,} failed"
    )
    ctx.report(progress=1.0, message=done, log=f"finished: {done}")
    return result


def _is_read_error(exc: Exception) -> bool:
    """Errors of the dataset's reader (a damaged parquet file, a truncated JSON line) rather than
    of the platform: another attempt reads the same bytes, so the job fails with the reason."""
    module = type(exc).__module__ or ""
    return module.startswith(("pyarrow", "datasets")) or isinstance(exc, (UnicodeDecodeError,))


def dataset_import_result(job: Job, rows: int) -> dict:
    """The job's result from its records (exact across attempts): rows read, assets made,
    failed rows with their reasons, duplicates skipped, pairs rated (pair mode)."""
    mode = (job.params or {}).get("mode", "assets")
    assets = Asset.objects.filter(import_job_id=job.pk)
    failed = assets.filter(status=Asset.Status.FAILED)
    failures = [
        {"row": entry // 2 if mode == "pairs" else entry, "file": name, "reason": reason}
        for entry, name, reason in failed.order_by("import_entry").values_list(
            "import_entry", "original_name", "failure_reason"
        )[:1000]
    ]
    failed_count = failed.count()
    imported = assets.filter(status=Asset.Status.READY).count()
    out = {
        "mode": mode,
        "rows": rows,
        "total": (job.params or {}).get("total"),
        "imported": imported,
        "failed": failed_count,
        "failures": failures,
        "checkpoint": {"next_row": rows},
    }
    if mode == "pairs":
        out["pairs"] = rows - failed_count
    else:
        out["duplicates"] = max(0, rows - imported - failed_count)
    return out
