"""Export jobs: a dataset version's rows, read from the database in batches with a server-side
cursor, written by ``datasets_app.export`` into a staging folder on this host and published in
one step into the datasets storage (``annotator.storage``): renamed into place on a filesystem
storage, uploaded under ``<name>/v<n>/`` on an object store, the row turning ready last.
Media is read from the media storage: by path on a filesystem storage, streamed from the bucket
on an object store.

Thin shell: validation of the request, reading rows into the export library's plain items, the
job runner (progress, cancel), the atomic publish and the duplicate check. The rules of the
rows themselves (combine, splits, schema, card, hash) are in ``datasets_app/export/``.
"""

from __future__ import annotations

import difflib
import re
import shutil
import tempfile
import uuid
from pathlib import Path

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from annotator import metrics, storage
from annotator import permissions as perms
from annotator.models import Asset, Project
from datasets_app.models import NAME_RE, DatasetVersion
from worker.jobs import JobCancelled, JobContext, JobFailed, create_job
from worker.models import Job, WeightSet

from . import credentials
from .reader import (  # noqa: F401  (the readers' names, as the job and its callers know them)
    ANSWER_STATES,
    BATCH,
    iter_item_batches,
    iter_items,
    iter_pairs,
    media_opener,
    media_root,
)

DEFAULTS: dict = {
    "states": ["submitted", "reviewed"],  # which annotations; a reviewer's gold answer is always kept
    "combine": "majority",  # all | majority | gold
    "split_ratios": {"train": 0.8, "validation": 0.1, "test": 0.1},
    "seed": 0,
    "embed_media": True,  # images as bytes in the parquet files; False: files under media/, paths in rows
    "embed_frames": False,  # videos: also the sampled frames, embedded
    "shard_rows": 10000,
    "balanced_cap": 1000,  # the balanced QA subset: at most this many yes and no per question
    "license": "other",
    "jsonl": "auto",  # annotations.jsonl: auto = when it needs no extra media copies (videos, images by path)
    # late extras (submitted after the lease lapsed and the slot went to someone else, beyond k): left out
    "include_late": False,
    # what the version holds: "annotations" (the configs above) or "dominance_pairs" (MPO pairs:
    # ``dominance`` is the rule, see datasets_app.export.dominance and docs/datasets.md)
    "kind": "annotations",
    "dominance": None,
}
KINDS = ("annotations", "dominance_pairs")


class ExportRequestError(ValueError):
    """A bad export request: ``errors`` maps each field to its messages."""

    def __init__(self, errors: dict):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _bool(errors: dict, key: str, value) -> bool:
    if not isinstance(value, bool):
        errors[key] = [f"Must be true or false (got {value!r})."]
    return bool(value)


def export_settings(data) -> dict:
    """The complete export settings (defaults filled in), or ExportRequestError naming fields."""
    data = dict(data or {})
    errors: dict = {}
    out = dict(DEFAULTS)
    for key, value in data.items():
        if key not in DEFAULTS:
            close = difflib.get_close_matches(key, DEFAULTS, n=1)
            errors[key] = [f"Unknown setting `{key}`." + (f" Did you mean `{close[0]}`?" if close else "")]
        elif key == "states":
            if not isinstance(value, list) or not value or any(v not in ANSWER_STATES for v in value):
                errors[key] = [f"A non-empty list of {', '.join(ANSWER_STATES)} (got {value!r})."]
            else:
                out[key] = sorted(set(value))
        elif key == "combine":
            if value not in ("all", "majority", "gold"):
                errors[key] = [f"Must be all, majority or gold (got {value!r})."]
            else:
                out[key] = value
        elif key == "split_ratios":
            problem = _ratio_problem(value)
            if problem:
                errors[key] = [problem]
            else:
                out[key] = {str(k): float(v) for k, v in value.items()}
        elif key == "balanced_cap" and value is None:
            out[key] = None  # no balanced_qa config
        elif key in ("seed", "shard_rows", "balanced_cap"):
            low = {"seed": 0, "shard_rows": 100, "balanced_cap": 1}[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                errors[key] = [f"Must be an integer ≥ {low} (got {value!r})."]
            else:
                out[key] = value
        elif key in ("embed_media", "embed_frames", "include_late"):
            out[key] = _bool(errors, key, value)
        elif key == "jsonl":
            if value not in ("auto", True, False):
                errors[key] = [f"Must be auto, true or false (got {value!r})."]
            else:
                out[key] = value
        elif key == "kind":
            if value not in KINDS:
                errors[key] = [f"Must be {' or '.join(KINDS)} (got {value!r:.50})."]
            else:
                out[key] = value
        elif key == "dominance":
            if value is not None and not isinstance(value, dict):
                errors[key] = [
                    "An object: source, margins (dimension → margin), pairs_per_prompt, max_uses, tolerance."
                ]
            else:
                out[key] = value
        elif key == "license":
            if not isinstance(value, str) or not re.fullmatch(r"[a-z0-9][a-z0-9.+-]{0,63}", value):
                errors[key] = ["A license identifier as the Hub uses them, e.g. cc-by-4.0, apache-2.0, other."]
            else:
                out[key] = value
    if errors:
        raise ExportRequestError(errors)
    return out


def _ratio_problem(value) -> str | None:
    from datasets_app.export.items import ExportError, validate_split_ratios

    try:
        validate_split_ratios(value)
    except ExportError as exc:
        return f"{str(exc)[:1].upper()}{str(exc)[1:]}."
    return None


def start_export(user, data: dict, *, dispatch: bool = True) -> tuple[DatasetVersion, Job]:
    """Validate an export request, write the dataset version (queued) and its job in one
    transaction; the job is sent when it commits (``dispatch=False``: not sent, for a caller that
    runs it itself, as ``load_demo`` does). ExportRequestError names bad fields; then nothing is
    written."""
    if not isinstance(data, dict):
        raise ExportRequestError({"detail": ["Expected a JSON object."]})
    errors: dict = {}
    known = {"name", "description", "projects", "weight_set", "settings"}
    for key in sorted(set(data) - known):
        errors[key] = [f"Unknown field `{key}`; the fields are {', '.join(sorted(known))}."]
    name = data.get("name")
    if not isinstance(name, str) or not re.fullmatch(NAME_RE, name):
        errors["name"] = ["Lower-case letters, digits, '.', '_' and '-' (1–80), starting with a letter or digit."]
    description = data.get("description", "")
    if not isinstance(description, str):
        errors["description"] = ["Must be a string."]
    project_ids = data.get("projects")
    projects: list[Project] = []
    if not isinstance(project_ids, list) or not project_ids or not all(isinstance(i, int) for i in project_ids):
        errors["projects"] = ["A non-empty list of project ids."]
    else:
        found = {p.pk: p for p in Project.objects.filter(pk__in=project_ids).select_related("checklist_version")}
        for pid in project_ids:
            project = found.get(pid)
            if project is None or not perms.is_member(user, project):
                errors["projects"] = [f"Project {pid} does not exist or you are not a member."]
                break
            if not perms.can_research(user, project):
                errors["projects"] = [f"Only managers and researchers can export project {pid}."]
                break
            projects.append(project)
        if projects and len({p.checklist_version_id for p in projects}) > 1:
            errors["projects"] = ["These projects use different checklist versions; export them separately."]
    settings = dict(DEFAULTS)
    if not isinstance(data.get("settings") or {}, dict):
        errors["settings"] = [f"An object of export settings (got {type(data['settings']).__name__})."]
    else:
        try:
            settings = export_settings(data.get("settings"))
        except ExportRequestError as exc:
            errors.update({f"settings.{k}": v for k, v in exc.errors.items()})
    if projects and "settings" not in {k.split(".")[0] for k in errors}:
        errors.update(dominance_problems(settings, projects[0].checklist_version.checklist))
    weight_set = None
    if data.get("weight_set") is not None and projects:
        ws_id = data["weight_set"]
        weight_set = (
            WeightSet.objects.filter(pk=ws_id, project__in=projects).first() if isinstance(ws_id, int) else None
        )
        if weight_set is None:
            errors["weight_set"] = [f"Weight set {ws_id!r} is not a weight set of these projects."]
        elif weight_set.checklist_version_id != projects[0].checklist_version_id:
            errors["weight_set"] = [f"Weight set {ws_id} was made for another checklist version."]
    if errors:
        raise ExportRequestError(errors)
    if weight_set is None:  # the active set of the first project, when there is one
        weight_set = WeightSet.objects.filter(project=projects[0], status=WeightSet.Status.ACTIVE).first()
    if weight_set is None and settings["kind"] == "dominance_pairs":
        raise ExportRequestError(
            {
                "weight_set": [
                    "Dominance pairs compare per-dimension scores: give a weight set (the project has no active one)."
                ]
            }
        )
    with transaction.atomic():
        latest = DatasetVersion.objects.select_for_update().filter(name=name).aggregate(v=Max("version"))["v"] or 0
        version = DatasetVersion.objects.create(
            name=name,
            version=latest + 1,
            description=description,
            checklist_version=projects[0].checklist_version,
            export_settings=settings,
            weight_set_id=weight_set.pk if weight_set else None,
            weights=_weights_snapshot(weight_set),
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        version.projects.set(projects)
        job = create_job(
            Job.Kind.EXPORT,
            {"dataset_version": version.pk},
            project=projects[0],
            user=user,
            dispatch=dispatch,
            message=f"queued: {version.label}",
        )
        version.job_id = job.pk
        version.save(update_fields=["job_id"])
    return version, job


def dominance_problems(settings: dict, checklist) -> dict:
    """For ``kind: dominance_pairs``: check the rule against the checklist's dimensions and store
    it complete (defaults filled in) in ``settings``; the problems as ``settings.dominance.<field>``."""
    from datasets_app.export.dominance import rule_from_dict
    from datasets_app.export.items import ExportError

    if settings.get("kind") != "dominance_pairs":
        if settings.get("dominance") is not None:
            return {"settings.dominance": ["Only for kind dominance_pairs."]}
        return {}
    try:
        rule = rule_from_dict(settings.get("dominance") or {}, [d.key for d in checklist.dimensions])
    except ExportError as exc:
        where = f"settings.dominance.{exc.field}" if exc.field else "settings.dominance"
        return {where: [f"{str(exc)[:1].upper()}{str(exc)[1:]}."]}
    settings["dominance"] = rule.to_dict()
    return {}


def preview_dominance(project, data) -> dict:
    """``POST /api/projects/<id>/datasets/dominance-stats/``: what a rule would yield on the
    project now (:func:`datasets_app.export.dominance.dominance_stats`), nothing written.
    ``data``: ``{"dominance": rule, "weight_set": id (default: the active one)}``. Raises
    :class:`~worker.exports.job.ExportRequestError` naming the field."""
    from datasets_app.export.dominance import dominance_stats, rule_from_dict
    from datasets_app.export.items import ExportError

    from .dominance import scored_assets

    if not isinstance(data, dict):
        raise ExportRequestError({"detail": ["Expected a JSON object."]})
    errors: dict = {}
    for key in sorted(set(data) - {"dominance", "weight_set"}):
        errors[key] = [f"Unknown field `{key:.50}`; the fields are dominance and weight_set."]
    checklist_version = project.checklist_version
    rule = None
    try:
        rule = rule_from_dict(data.get("dominance"), [d.key for d in checklist_version.checklist.dimensions])
    except ExportError as exc:
        errors[f"dominance.{exc.field}" if exc.field else "dominance"] = [f"{str(exc)[:1].upper()}{str(exc)[1:]}."]
    ws_id = data.get("weight_set")
    if ws_id is None:
        weight_set = WeightSet.objects.filter(project=project, status=WeightSet.Status.ACTIVE).first()
        if weight_set is None:
            errors["weight_set"] = ["The project has no active weight set: choose one."]
    else:
        weight_set = (
            WeightSet.objects.filter(pk=ws_id, project=project).first()
            if isinstance(ws_id, int) and not isinstance(ws_id, bool)
            else None
        )
        if weight_set is None:
            errors["weight_set"] = [f"Weight set {ws_id!r:.50} is not a weight set of this project."]
        elif weight_set.checklist_version_id != checklist_version.pk:
            errors["weight_set"] = [f"Weight set {ws_id} was made for another checklist version."]
    if errors:
        raise ExportRequestError(errors)
    assets, unscored = scored_assets([project], checklist_version, _weights_snapshot(weight_set), rule, media_root())
    return {
        **dominance_stats(assets, rule, unscored=unscored),
        "weight_set": {"id": weight_set.pk, "label": weight_set.label},
    }


def _weights_snapshot(ws: WeightSet | None) -> dict:
    if ws is None:
        return {}
    return {
        "id": ws.pk,
        "project": ws.project_id,
        "version": ws.version,
        "label": ws.label,
        "status": ws.status,
        "coefficients": ws.coefficients,
        "encoding": ws.encoding,
        "normalization": ws.normalization,
        "intercept": ws.intercept,
        "extra": ws.extra,
        "extra_defaults": ws.extra_defaults,
        "gates": ws.gates,
        "metrics": ws.metrics,
    }


# --- publishing ---------------------------------------------------------------------------------


STAGING = ".staging"  # on a filesystem storage: beside the versions, so publishing is one rename


def version_prefix(version: DatasetVersion) -> str:
    """Where a version's files are stored: ``<name>/v<n>``."""
    return storage.join(version.name, f"v{version.version}")


def staging_folder() -> Path:
    """A fresh folder on this host to build an export in: under ``.staging`` of the datasets
    storage's folder on a filesystem storage (same disk: publishing is a rename), else a
    scratch folder (``VR_SCRATCH_DIR``). The caller removes it."""
    root = storage.local_path(storage.datasets_storage(), STAGING)
    if root is None:
        return storage.scratch_dir("export")
    folder = root / uuid.uuid4().hex
    folder.mkdir(parents=True)
    return folder


def _same_content(row: DatasetVersion, content_hash: str) -> DatasetVersion | None:
    return (
        DatasetVersion.objects.filter(content_hash=content_hash, state=DatasetVersion.State.READY)
        .exclude(pk=row.pk)
        .order_by("id")
        .first()
    )


def _as_duplicate(row: DatasetVersion, same: DatasetVersion) -> DatasetVersion:
    row.state, row.duplicate_of, row.files = DatasetVersion.State.DUPLICATE, same, []
    row.save()
    return row


def publish(version: DatasetVersion, staged: Path, *, content_hash: str, row_counts: dict, stats: dict, files: list):
    """Make a staged export visible in one step, or record it as a duplicate of a ready version
    with the same content (then nothing is published and the staged copy is removed). Returns
    the final row. The row turns ready last: a version's files are read only once it is.

    On a filesystem storage the folder is renamed into place inside the row's transaction. On
    an object store the folder is uploaded under ``<name>/v<n>/`` first (anything a crashed
    attempt left there deleted before), then the row turns ready in one transaction; a
    duplicate found then (another export of the same content won the race) deletes the upload."""
    datasets = storage.datasets_storage()
    relative = version_prefix(version)

    def fill(row: DatasetVersion) -> None:
        row.content_hash = content_hash
        row.row_counts, row.stats, row.finished_at = row_counts, stats, timezone.now()

    if not storage.is_local(datasets):
        with transaction.atomic():
            row = DatasetVersion.objects.select_for_update().get(pk=version.pk)
            if row.state == DatasetVersion.State.READY:  # another attempt published it meanwhile
                return row
            same = _same_content(row, content_hash)
            if same is not None:  # a duplicate: nothing is uploaded
                fill(row)
                return _as_duplicate(row, same)
        storage.delete_tree(datasets, relative)  # a leftover of a crashed attempt that never became ready
        try:
            storage.put_tree(datasets, relative, staged)
        except BaseException:
            _forget(datasets, relative)
            raise
        with transaction.atomic():
            row = DatasetVersion.objects.select_for_update().get(pk=version.pk)
            fill(row)
            same = _same_content(row, content_hash)
            if same is not None:
                transaction.on_commit(lambda: _forget(datasets, relative))
                return _as_duplicate(row, same)
            row.path, row.files, row.state = relative, files, DatasetVersion.State.READY
            row.save()
        return row

    with transaction.atomic():
        row = DatasetVersion.objects.select_for_update().get(pk=version.pk)
        fill(row)
        same = _same_content(row, content_hash)
        if same is not None:
            _as_duplicate(row, same)
            transaction.on_commit(lambda: shutil.rmtree(staged, ignore_errors=True))
            return row
        final = storage.local_path(datasets, relative)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():  # a leftover of a crashed attempt that never became ready
            shutil.rmtree(final)
        staged.rename(final)  # one step: the folder appears whole
        row.path, row.files, row.state = relative, files, DatasetVersion.State.READY
        try:
            row.save()
        except BaseException:
            final.rename(staged)
            raise
    return row


def _forget(datasets, prefix: str) -> None:
    """Delete an upload that will not be published (best effort: the next attempt deletes a
    leftover before uploading anyway)."""
    try:
        storage.delete_tree(datasets, prefix)
    except Exception:  # noqa: BLE001 - the store may be what failed; the leftover is harmless
        pass


def fail_version(version_id: int, reason: str) -> None:
    DatasetVersion.objects.filter(pk=version_id).exclude(state=DatasetVersion.State.READY).update(
        state=DatasetVersion.State.FAILED, error=reason[:4000], finished_at=timezone.now()
    )


def export_gave_up(job: Job) -> None:
    """``worker.jobs`` ends an export job failed or cancelled: its version, unless published
    or already failed with its own reason, fails with the job's (e.g. a worker lost mid-export
    whose attempts are spent, which no runner is left to record)."""
    DatasetVersion.objects.filter(pk=job.params.get("dataset_version")).exclude(
        state__in=(DatasetVersion.State.READY, DatasetVersion.State.DUPLICATE, DatasetVersion.State.FAILED)
    ).update(
        state=DatasetVersion.State.FAILED,
        error=(job.error or job.message or job.state)[:4000],
        finished_at=timezone.now(),
    )


def run_export(job: Job, ctx: JobContext) -> dict:
    """Write the dataset version into a staging folder (rows and formats: ``datasets_app.export``),
    then publish it in one step, or record it as a duplicate of a ready version with the same
    content. Bad data fails at once; a cancel or a last failed attempt marks the version failed
    and removes what was staged."""
    from datasets_app.export.items import ExportError, ExportSettings

    version = (
        DatasetVersion.objects.select_related("checklist_version", "created_by")
        .filter(pk=job.params.get("dataset_version"))
        .first()
    )
    if version is None:
        raise JobFailed(f"dataset version {job.params.get('dataset_version')} no longer exists")
    if version.state in (DatasetVersion.State.READY, DatasetVersion.State.DUPLICATE):
        return {"dataset_version": version.pk, "state": version.state}  # an earlier attempt finished it
    DatasetVersion.objects.filter(pk=version.pk).update(state=DatasetVersion.State.BUILDING, error="")
    s = version.export_settings
    settings = ExportSettings(
        combine=s["combine"],
        split_ratios=s["split_ratios"],
        seed=s["seed"],
        embed_media=s["embed_media"],
        embed_frames=s["embed_frames"],
        shard_rows=s["shard_rows"],
        balanced_cap=s["balanced_cap"],
        license=s["license"],
        include_late=s.get("include_late", False),  # settings stored before the setting existed
        pretty_name=version.label,
        description=version.description,
    )
    projects = list(version.projects.order_by("id"))
    total = Asset.objects.filter(project__in=projects, status=Asset.Status.READY).count()
    provenance = {
        "dataset": version.label,
        "projects": [{"id": p.pk, "name": p.name} for p in projects],
        "annotation_states": s["states"],
        "late_extras_included": s.get("include_late", False),
        "created_by": version.created_by.get_username() if version.created_by else None,
        "created_at": version.created_at.isoformat(),
        "weight_set": version.weights.get("label") if version.weights else None,
    }

    def progress(stage: str, count: int) -> None:
        share = {"items": 0.85 * count / max(1, total), "pairs": 0.87, "balanced": 0.9}.get(stage, 0.9)
        if ctx.report(progress=min(0.95, share), message=f"{stage}: {count} written"):
            raise JobCancelled()

    staging = staging_folder()
    staged = staging / f"{version.name}-v{version.version}"
    ctx.report(progress=0.0, message=f"writing {version.label}: {total} assets")
    try:
        if s.get("kind") == "dominance_pairs":
            result = _export_dominance(version, staged, settings, provenance, progress)
            stats = result.stats
        else:
            result = _export_annotations(version, staged, settings, provenance, progress)
            stats = {**result.stats, "balanced": result.balanced, "jsonl_rows": result.jsonl_rows}
        ctx.check_cancel()
        if not storage.is_local(storage.datasets_storage()) and ctx.report(
            progress=0.96, message=f"uploading {len(result.files)} files of {version.label}"
        ):
            raise JobCancelled()
        row = publish(
            version,
            staged,
            content_hash=result.content_hash,
            row_counts=_row_counts(result),
            stats=stats,
            files=result.files,
        )
        metrics.export_rows(sum(n for splits in row.row_counts.values() for n in splits.values()))
    except ExportError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        fail_version(version.pk, f"{exc.field}: {exc}" if getattr(exc, "field", None) else str(exc))
        raise JobFailed(str(exc)) from exc
    except JobCancelled:
        shutil.rmtree(staging, ignore_errors=True)
        fail_version(version.pk, "cancelled")
        raise
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        job.refresh_from_db(fields=["attempts", "max_attempts"])
        if isinstance(exc, JobFailed) or job.attempts >= job.max_attempts:
            fail_version(version.pk, f"{type(exc).__name__}: {exc}")
        else:
            DatasetVersion.objects.filter(pk=version.pk).update(state=DatasetVersion.State.QUEUED)
        raise
    return _finish(version, row, staging, ctx)


def _export_dominance(version: DatasetVersion, staged: Path, settings, provenance: dict, progress):
    from datasets_app.export.dominance import export_dominance, rule_from_dict

    from .dominance import scored_assets

    checklist = version.checklist_version.checklist
    rule = rule_from_dict(version.export_settings["dominance"], [d.key for d in checklist.dimensions])
    assets, unscored = scored_assets(
        list(version.projects.order_by("id")), version.checklist_version, version.weights, rule, media_root()
    )
    return export_dominance(
        staged,
        checklist=checklist,
        settings=settings,
        rule=rule,
        assets=assets,
        unscored=unscored,
        weights=version.weights or None,
        provenance={**provenance, "kind": "dominance_pairs", "source": rule.source},
        dataset_name=f"{version.name}-v{version.version}",
        open_media=media_opener(),
        progress=progress,
    )


def _export_annotations(version: DatasetVersion, staged: Path, settings, provenance: dict, progress):
    from datasets_app.export.build import export_dataset

    s = version.export_settings
    return export_dataset(
        staged,
        checklist=version.checklist_version.checklist,
        settings=settings,
        item_batches=lambda: iter_item_batches(version),
        pairs=lambda: iter_pairs(version),
        weights=version.weights or None,
        provenance=provenance,
        progress=progress,
        dataset_name=f"{version.name}-v{version.version}",
        write_jsonl=None if s.get("jsonl", "auto") == "auto" else bool(s["jsonl"]),
        open_media=media_opener(),
    )


def _finish(version: DatasetVersion, row: DatasetVersion, staging: Path, ctx: JobContext) -> dict:
    shutil.rmtree(staging, ignore_errors=True)
    if row.state == DatasetVersion.State.DUPLICATE:
        message = f"{version.label} has the same content as {row.duplicate_of.label}; no second copy was kept"
    else:
        message = f"{row.label} published: " + ", ".join(
            f"{config} {sum(splits.values())} rows" for config, splits in row.row_counts.items()
        )
    ctx.report(progress=1.0, message=message[:300], log=message)
    return {
        "dataset_version": row.pk,
        "state": row.state,
        "duplicate_of": row.duplicate_of_id,
        "content_hash": row.content_hash,
    }


def _row_counts(result) -> dict:
    return {
        name: {split.name: split.num_examples for split in config.splits.values()}
        for name, config in result.configs.items()
    }


STAGING_MAX_AGE = 24 * 3600


def clean_export_staging(max_age: float = STAGING_MAX_AGE) -> list[str]:
    """Remove staging folders older than ``max_age`` seconds, left by killed export workers
    (a running export's folder is younger than its stale-heartbeat limit): under ``.staging``
    of a filesystem datasets storage, else this host's ``export-*`` scratch folders."""
    import time

    local = storage.local_path(storage.datasets_storage(), STAGING)
    if local is not None:
        root, pattern = local, "*"
    else:
        root = Path(getattr(django_settings, "VR_SCRATCH_DIR", "") or tempfile.gettempdir()) / "vr-scratch"
        pattern = "export-*"
    removed = []
    if root.is_dir():
        for folder in root.glob(pattern):
            if folder.is_dir() and time.time() - folder.stat().st_mtime > max_age:
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder.name)
    return removed


# --- pushing to the Hub ----------------------------------------------------------------------------

REPO_ID_RE = r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}"
TOKEN_RE = r"[!-~]{8,1000}"  # printable ASCII, no spaces (Hub tokens are hf_ and 34 letters)
PUSH_FIELDS = ("repo_id", "private", "token")


def hub_endpoint() -> str:
    """Where pushes go: ``settings.HF_ENDPOINT``, else huggingface_hub's own default."""
    from huggingface_hub import constants

    return (getattr(django_settings, "HF_ENDPOINT", "") or constants.ENDPOINT).rstrip("/")


def push_options() -> dict:
    """What the push form needs to know: the Hub it pushes to and whether the server has a token."""
    return {"endpoint": hub_endpoint(), "server_token": bool(django_settings.HF_TOKEN)}


def start_push(version: DatasetVersion, user, data) -> Job:
    """Validate a push request and write its job (sent on commit). ExportRequestError names
    the field: the repository id, ``private``, the token (never echoed), or the version's state.
    A ``token`` given here is used for this push only and held split (``credentials``); without
    one the server's ``HF_TOKEN`` is used."""
    errors: dict = {}
    data = data if isinstance(data, dict) else {}
    repo_id = data.get("repo_id")
    if not isinstance(repo_id, str) or not re.fullmatch(REPO_ID_RE, repo_id.strip()):
        errors["repo_id"] = ["A Hub dataset repository as owner/name, e.g. my-lab/hpd-preferences."]
    else:
        repo_id = repo_id.strip()
    private = data.get("private", True)
    if not isinstance(private, bool):
        errors["private"] = [f"Must be true or false (got {private!r:.50})."]
    for key in sorted(set(data) - set(PUSH_FIELDS)):
        errors[key] = [f"Unknown field `{key:.50}`; the fields are repo_id, private and token."]
    token = data.get("token")
    if token is not None and not isinstance(token, str):
        errors["token"] = ["Must be a Hub access token (text), or left out to use the server's."]
    token = (token or "").strip() if isinstance(token, str) else ""
    if token and not re.fullmatch(TOKEN_RE, token):  # the value is never repeated back
        errors["token"] = ["Not a Hub access token: 8 to 1000 printable characters without spaces (hf_…)."]
    elif not token and not django_settings.HF_TOKEN:
        errors["token"] = ["Give a Hub token with write access for this push (the server has no HF_TOKEN)."]
    if version.state != DatasetVersion.State.READY:
        errors["state"] = [f"{version.label} is {version.state}; only ready versions can be pushed."]
    if errors:
        raise ExportRequestError(errors)
    project = version.projects.order_by("id").first()
    params = {"dataset_version": version.pk, "repo_id": repo_id, "private": private}
    params["token_source"] = "request" if token else "server"
    if token:
        params[credentials.SHARE] = credentials.hold(token)
    with transaction.atomic():
        return create_job(
            Job.Kind.PUSH,
            params,
            project=project,
            user=user,
            message=f"queued: push {version.label} to {repo_id}",
        )


def shown_push_params(params: dict) -> dict:
    """A push's params for the jobs API: never the token's share."""
    return {key: value for key, value in params.items() if key != credentials.SHARE}


def push_retry_problem(job: Job) -> str | None:
    if (job.params or {}).get("token_source") == "request":
        return (
            "the token given for this push was deleted when the job ended; "
            "start a new push from the datasets screen with the token"
        )
    return None


def push_gave_up(job: Job) -> None:
    """The push ended failed or cancelled: delete its token's shares (the row is saved after)."""
    if isinstance(job.params, dict):
        credentials.drop(job.params)


def _drop_token_now(job: Job) -> None:
    with transaction.atomic():
        row = Job.objects.select_for_update().get(pk=job.pk)
        if credentials.drop(row.params):
            row.save(update_fields=["params"])


def _push_token(job: Job) -> str:
    if job.params.get("token_source") == "request":
        token = credentials.join(job.params.get(credentials.SHARE))
        if not token:
            minutes = max(1, credentials.ttl_seconds() // 60)
            raise JobFailed(
                "the token given for this push is no longer held: it is kept at most "
                f"{minutes} minute(s) while the push waits, and the web and worker processes must share "
                "a cache (REDIS_URL); start the push again"
            )
        return token
    if not django_settings.HF_TOKEN:
        raise JobFailed("HF_TOKEN is not set for the worker, and no token was given for this push")
    return django_settings.HF_TOKEN


def hub_problem(exc: Exception, repo_id: str, token: str) -> str:
    """A Hub HTTP error as the person who pushed reads it (the token scrubbed from it)."""
    response = getattr(exc, "response", None)
    code = getattr(response, "status_code", None)
    server = ""
    if response is not None:
        server = response.headers.get("X-Error-Message", "") or ""
    if code == 401:
        text = "the Hub refused the token (401): check that it is a valid access token with write access"
    elif code == 403:
        text = f"the token may not write to {repo_id.split('/')[0]} on the Hub (403): give it write access there"
    elif code == 404:
        text = f"the Hub has no repository {repo_id} the token can reach (404)"
    elif code == 409:
        text = f"the Hub answered 409 (conflict) for {repo_id}: another upload may be running; push again later"
    elif code is not None:
        text = f"the Hub answered HTTP {code} for {repo_id}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    if server and server not in text:
        text += f" ({server[:300]})"
    return text.replace(token, "[token]") if token else text


def run_push(job: Job, ctx: JobContext) -> dict:
    """Upload a ready version's folder to a Hub dataset repository (created if missing) and
    record the push on the version. An HTTP error of the Hub (bad token, no access) fails the
    job with its reason; a network error is retried by the runner."""
    from huggingface_hub import HfApi, constants
    from huggingface_hub.errors import HfHubHTTPError

    version = DatasetVersion.objects.filter(pk=job.params.get("dataset_version")).first()
    if version is None or version.state != DatasetVersion.State.READY or not version.path:
        raise JobFailed("the dataset version is gone or not ready")
    if constants.is_offline_mode():
        raise JobFailed("HF_HUB_OFFLINE is set for the worker: it cannot reach the Hub")
    token = _push_token(job)
    repo_id, private = job.params["repo_id"], bool(job.params.get("private", True))
    endpoint = hub_endpoint()
    api = HfApi(endpoint=endpoint, token=token)
    if not storage.is_local(storage.datasets_storage()):
        ctx.report(progress=0.02, message=f"copying {version.label}'s {len(version.files)} files to this host")
    # the folder itself on a filesystem storage; on an object store a scratch copy, removed after
    with storage.local_tree(storage.datasets_storage(), version.path) as folder:
        if not (folder / "README.md").is_file():
            raise JobFailed(f"{version.label} lacks its files: the version's folder was changed or removed")
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        try:
            ctx.report(progress=0.05, message=f"creating or reusing {repo_id} on {endpoint}")
            repo_url = api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
            ctx.report(progress=0.1, message=f"uploading {len(version.files)} files ({size / 1e6:.1f} MB) to {repo_id}")
            commit = api.upload_folder(
                folder_path=str(folder),
                repo_id=repo_id,
                repo_type="dataset",
                commit_message=f"{version.label} (content {version.content_hash[:12]})",
            )
        except HfHubHTTPError as exc:
            raise JobFailed(hub_problem(exc, repo_id, token)) from None
    record = {
        "repo_id": repo_id,
        "private": private,
        "commit": getattr(commit, "oid", None),
        "url": str(repo_url) or f"{endpoint}/datasets/{repo_id}",
        "commit_url": getattr(commit, "commit_url", None),
        "at": timezone.now().isoformat(),
        "by": job.created_by.get_username() if job.created_by else None,
    }
    with transaction.atomic():
        row = DatasetVersion.objects.select_for_update().get(pk=version.pk)
        row.pushes = [*row.pushes, record]
        row.save(update_fields=["pushes"])
    _drop_token_now(job)
    ctx.report(progress=1.0, message=f"pushed {version.label} to {record['url']}")
    return record
