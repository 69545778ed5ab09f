"""A Label Studio export as an import job: the request side (preview, validation, planning).

The export is read with ``worker.imports.labelstudio`` (pure); its tasks become the entries of an
ordinary import job (``job.start_plan``): a URL is fetched by the job through the safe fetcher, an
upload path or a file name is matched by file name against the files sent alongside (a zip of
Label Studio's ``upload/`` folder as ``archive``, or its files as ``files``), and a task that
cannot be imported is recorded by the job as a failed entry with its index and reason, so that the
job's failures list every task that did not become an asset. Nothing is fetched in the request.
"""

from __future__ import annotations

from dataclasses import asdict

from django.conf import settings

from annotator.asset_fields import FieldLimits, shown
from annotator.models import Project
from worker.models import Job

from .archives import ArchiveLimits, inspect_archive, normalize
from .job import (
    ImportPlan,
    ImportValidationError,
    PlannedEntry,
    Source,
    _check_file_count,
    _Errors,
    _skipped_entry,
    _upload_size,
    start_plan,
)
from .labelstudio import (
    Export,
    ExportError,
    LabelStudioLimits,
    TaskEntry,
    TaskProblem,
    map_tasks,
    read_export,
    task_label,
)

PREVIEW_TASKS = 20
PREVIEW_PROBLEMS = 100


def limits_from_settings() -> LabelStudioLimits:
    return LabelStudioLimits(
        max_tasks=int(settings.VR_MAX_MANIFEST_ROWS),
        max_bytes=int(getattr(settings, "VR_MAX_LABEL_STUDIO_EXPORT_BYTES", LabelStudioLimits.max_bytes)),
        fields=FieldLimits.from_settings(),
    )


def _read(exports: list, errors: _Errors) -> Export | None:
    if not exports:
        errors.add("export", "send the Label Studio export (JSON, JSON-MIN or JSONL of tasks) as `export`")
        return None
    if len(exports) > 1:
        errors.add("export", f"send one export; got {len(exports)}")
        return None
    upload = exports[0]
    name = upload.name or "export.json"
    limits = limits_from_settings()
    if _upload_size(upload) > limits.max_bytes:
        errors.add("export", f"`{shown(name)}` is larger than the limit of {limits.max_bytes // (1024 * 1024)} MB")
        return None
    upload.seek(0)
    try:
        return read_export(upload.read(), name, limits)
    except ExportError as exc:
        errors.add("export", f"`{shown(name)}`: {exc}")
        return None


def _key(value, export: Export, field_name: str, errors: _Errors, *, required: bool) -> str:
    value = (value or "").strip()
    known = [k.key for k in export.keys]
    if not value:
        if required:
            listed = ", ".join(f"`{shown(k, 40)}`" for k in known[:20]) or "none"
            errors.add(field_name, f"choose the `data` key that holds the media (keys found: {listed})")
        return ""
    if value not in known:
        listed = ", ".join(f"`{shown(k, 40)}`" for k in known[:20]) or "none"
        errors.add(field_name, f"`{shown(value, 40)}` is not a key of the tasks' `data` (keys found: {listed})")
    return value


class _Files:
    """The files sent alongside, by file name: a zip's entries and uploaded files."""

    def __init__(self, archives: list, files: list, errors: _Errors):
        self.limits = ArchiveLimits.from_settings()
        self.archive = archives[0] if archives else None
        self.zip = None
        self.by_name: dict[str, list[Source]] = {}
        self.sources: list[Source] = []
        if len(archives) > 1:
            errors.add("archive", f"send at most one archive; got {len(archives)}")
            return
        if self.archive is not None:
            self.zip, infos = inspect_archive(
                self.archive,
                self.archive.name or "archive",
                _upload_size(self.archive),
                self.limits,
                errors.adder("archive"),
            )
            for info in infos:
                if not _skipped_entry(normalize(info.filename)):
                    self.sources.append(Source(name=info.filename, origin="archive", info=info))
        for i, upload in enumerate(files):
            self.sources.append(Source(name=upload.name or f"upload-{i}", origin="upload", upload=upload))
        for source in self.sources:
            self.by_name.setdefault(normalize(source.name).rsplit("/", 1)[-1], []).append(source)
        self.used: dict[int, int] = {}  # id(source) → the task index using it

    def match(self, entry: TaskEntry) -> tuple[Source | None, str]:
        name = entry.media.value
        matches = self.by_name.get(name, [])
        if not matches:
            if not self.sources:
                return None, (
                    f"`{shown(entry.media.original)}` is a file of the Label Studio server: send its upload folder "
                    "alongside (a zip as `archive`, or the files), or export with URLs"
                )
            return None, f"no file named `{shown(name)}` among the files sent alongside"
        if len(matches) > 1:
            where = ", ".join(f"`{shown(m.name)}`" for m in matches[:5])
            return None, f"`{shown(name)}` matches {len(matches)} files sent alongside ({where})"
        source = matches[0]
        if id(source) in self.used:
            return None, f"`{shown(name)}` is already the media of task {self.used[id(source)]}"
        self.used[id(source)] = entry.index
        return source, ""


def _plan(export: Export, media_key: str, prompt_key: str, alongside: _Files):
    """(entries, problems) in the export's order: each task's Source (or a problem)."""
    entries, problems = map_tasks(export, media_key, prompt_key, FieldLimits.from_settings())
    planned: list[tuple[int, PlannedEntry | None, TaskProblem | None, TaskEntry | None]] = []
    for entry in entries:
        if entry.media.kind == "url":
            source = Source(name=entry.media.value, origin="url", url=entry.media.value)
        else:
            source, why = alongside.match(entry)
            if source is None:
                problems.append(TaskProblem(entry.index, entry.task_id, f"`data.{shown(media_key, 40)}`: {why}"))
                continue
        planned.append((entry.index, PlannedEntry(source, prompt=entry.prompt, metadata=entry.metadata), None, entry))
    for problem in problems:
        label = task_label(problem.index, problem.task_id)
        invalid = Source(name=f"Label Studio {label}", origin="invalid", reason=str(problem))
        planned.append((problem.index, PlannedEntry(invalid), problem, None))
    planned.sort(key=lambda p: p[0])
    return planned


def _read_request(exports, archives, files, media_key, prompt_key, *, preview: bool):
    errors = _Errors()
    export = _read(list(exports), errors)
    errors.raise_if_any()
    media_key = _key(
        media_key or (export.suggested_media_key if preview else ""), export, "media_key", errors, required=not preview
    )
    prompt_key = _key(prompt_key, export, "prompt_key", errors, required=False)
    if media_key and prompt_key and media_key == prompt_key:
        errors.add("prompt_key", "the prompt key must differ from the media key")
    alongside = _Files(list(archives), list(files), errors)
    errors.raise_if_any()
    return export, media_key, prompt_key, alongside, errors


def preview_label_studio(*, exports=(), archives=(), files=(), media_key="", prompt_key="") -> dict:
    """What an import of this export would do: the keys found (with suggestions), the first tasks
    as they would be imported, and every task that would fail. Nothing is stored."""
    export, media_key, prompt_key, alongside, _ = _read_request(
        exports, archives, files, media_key, prompt_key, preview=True
    )
    if alongside.zip is not None:
        alongside.zip.close()
    planned = _plan(export, media_key, prompt_key, alongside) if media_key else []
    problems = [p for _, _, p, _ in planned if p is not None]
    tasks = []
    for index, entry, problem, mapped in planned[:PREVIEW_TASKS]:
        row = {"index": index, "task_id": (mapped or problem).task_id}
        if problem is not None:
            row["problem"] = problem.reason
        else:
            source = entry.source
            row.update(
                media=mapped.media.original,
                media_source="url" if source.origin == "url" else "file",
                matched_file=source.name if source.origin != "url" else "",
                prompt=entry.prompt,
                metadata=entry.metadata,
            )
        tasks.append(row)
    return {
        "format": export.format,
        "task_count": len(export.tasks) + len(export.problems),
        "keys": [asdict(k) for k in export.keys],
        "suggested": {"media_key": export.suggested_media_key, "prompt_key": export.suggested_prompt_key},
        "media_key": media_key,
        "prompt_key": prompt_key,
        "importable": len(planned) - len(problems) if media_key else 0,
        "to_download": sum(1 for _, e, p, _ in planned if p is None and e.source.origin == "url"),
        "files_alongside": len(alongside.sources),
        "tasks": tasks,
        "problem_count": len(problems),
        "problems": [{"index": p.index, "task_id": p.task_id, "reason": p.reason} for p in problems[:PREVIEW_PROBLEMS]],
    }


def start_label_studio_import(
    project: Project, user, *, exports=(), archives=(), files=(), media_key="", prompt_key="", dispatch=True
) -> Job:
    """Validate the export and the key mapping, then start an ordinary import job with one entry
    per task. Raises ImportValidationError (400) naming the field; a bad task fails alone."""
    export, media_key, prompt_key, alongside, errors = _read_request(
        exports, archives, files, media_key, prompt_key, preview=False
    )
    planned = _plan(export, media_key, prompt_key, alongside)
    problems = [p for _, _, p, _ in planned if p is not None]
    if len(problems) == len(planned):
        if alongside.zip is not None:
            alongside.zip.close()
        first = "; ".join(str(p) for p in problems[:5])
        errors.add("export", f"none of the {len(planned)} task(s) can be imported: {first}")
        errors.raise_if_any()
    name = exports[0].name or "export.json"
    plan = ImportPlan(
        entries=[entry for _, entry, _, _ in planned],
        archive=alongside.archive,
        zip=alongside.zip,
        source=f"Label Studio export `{shown(name)}` (media `{media_key}`"
        + (f", prompt `{prompt_key}`)" if prompt_key else ")"),
    )
    used = set(alongside.used)
    plan.ignored = [s.name for s in alongside.sources if id(s) not in used]
    _check_file_count(plan, alongside.limits, errors)
    if errors.by_field:
        if plan.zip is not None:
            plan.zip.close()
        raise ImportValidationError(errors.by_field)
    return start_plan(project, user, plan, dispatch=dispatch)
