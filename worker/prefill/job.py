"""Pre-fill: a model answers the checklist for a project's assets before people do.

The request side (``start_prefill``) validates the body (400 naming the field, nothing saved)
and writes a ``prefill`` job on its model's queue (transactional outbox, ``worker.jobs``). The
runner (``run_prefill``) loads the model once per worker process (``loading.get_guesser``: a cache
keyed by the model's row and its ``updated_at``, so an edit in the admin reloads it), then per asset
reads its media, asks the model and records a ``Prediction`` (which also sets the task's
uncertainty). Progress is reported after every asset and a cancel is honoured between assets.

- An asset whose media cannot be read, or that the model fails on, fails alone: its reason is
  in the job's result (``failed``) and log; the other assets go on.
- A whole-job error (the model cannot load) is raised: ``worker.jobs`` retries the job with
  back-off until ``max_attempts`` and then fails it with the readable message.
- Resumable: an attempt skips the assets an earlier attempt of the same job already predicted.
- ``only_missing``: assets that already have a prediction of this model version under the
  project's checklist version are skipped.
- Auto pre-fill: when an import job succeeds and its project's active model has
  ``auto_prefill`` and is enabled, ``auto_prefill_after_import`` writes a pre-fill job for the
  newly imported ready assets in the transaction that marks the import succeeded.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from django.db import transaction

from annotator import metrics
from annotator.api_errors import summarize
from annotator.models import Asset, Prediction, Project
from annotator.services.predictions import PredictionError, record_prediction
from worker.jobs import JobCancelled, JobContext, append_log, create_job
from worker.models import Job, ModelSpec, ProjectModel

from .loading import ModelLoadError, get_guesser

logger = logging.getLogger(__name__)

MAX_ASSETS = 100_000  # per job (the ids are the job's params)
MAX_FAILURES_LISTED = 1000  # in the job's result; the count is always exact
CHUNK = 200  # assets loaded per query


class PrefillValidationError(Exception):
    """The pre-fill request is invalid; ``errors`` maps a field to readable messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        self.detail = summarize(errors)
        super().__init__(self.detail)


# --- the request ------------------------------------------------------------------------------


def _enabled_spec(name, errors: dict) -> ModelSpec | None:
    if not isinstance(name, str) or not name.strip():
        errors["model"] = ["must be the name of a registered model"]
        return None
    # PostgreSQL text cannot hold NUL (the lookup would fail): such a name names no model
    spec = ModelSpec.objects.filter(name=name.strip()).first() if "\x00" not in name else None
    if spec is None:
        known = ", ".join(ModelSpec.objects.filter(enabled=True).values_list("name", flat=True)[:20]) or "none"
        errors["model"] = [f"no model named {name.strip()!r} (enabled models: {known})"]
        return None
    if not spec.enabled:
        errors["model"] = [f"model {spec.name!r} is disabled"]
        return None
    return spec


PREFILL_FIELDS = ("assets", "only_missing", "model")


def validate_prefill(project: Project, data) -> tuple[ModelSpec, list[int], bool]:
    """Check a pre-fill request body; returns (model, asset ids, only_missing) or raises
    :class:`PrefillValidationError` naming each field."""
    errors: dict[str, list[str]] = {}
    if not isinstance(data, dict):
        raise PrefillValidationError({"non_field_errors": ["expected a JSON object"]})
    unknown = sorted(str(k) for k in data if k not in PREFILL_FIELDS)
    for key in unknown:
        errors[key] = [f"unknown field; allowed: {', '.join(PREFILL_FIELDS)}"]

    only_missing = data.get("only_missing", True)
    if not isinstance(only_missing, bool):
        errors["only_missing"] = [f"must be true or false, not {only_missing!r}"]

    spec = None
    if data.get("model") is not None:
        spec = _enabled_spec(data["model"], errors)
    else:
        active = ProjectModel.objects.select_related("model").filter(project=project).first()
        if active is None:
            errors["model"] = [
                f"this project has no active model: name one here, or set it with PUT /api/projects/{project.pk}/model/"
            ]
        elif not active.model.enabled:
            errors["model"] = [f"the project's model {active.model.name!r} is disabled"]
        else:
            spec = active.model

    ids: list[int] = []
    raw = data.get("assets")
    if raw is None:
        ids = list(
            Asset.objects.filter(project=project, status=Asset.Status.READY).order_by("id").values_list("id", flat=True)
        )
        if not ids:
            errors["assets"] = ["the project has no ready assets to pre-fill"]
    elif not isinstance(raw, list) or not raw:
        errors["assets"] = ["must be a non-empty list of asset ids (or left out for every ready asset)"]
    elif any(isinstance(v, bool) or not isinstance(v, int) for v in raw):
        bad = ", ".join(repr(v) for v in raw if isinstance(v, bool) or not isinstance(v, int))
        errors["assets"] = [f"asset ids must be integers (got {bad[:200]})"]
    else:
        ids = list(dict.fromkeys(raw))
        found = dict(Asset.objects.filter(project=project, pk__in=ids).values_list("id", "status"))
        missing = [i for i in ids if i not in found]
        if missing:
            errors.setdefault("assets", []).append(
                f"not assets of this project: {', '.join(map(str, missing[:20]))}"
                + (f" and {len(missing) - 20} more" if len(missing) > 20 else "")
            )
        failed = [i for i in ids if found.get(i) == Asset.Status.FAILED]
        if failed:
            errors.setdefault("assets", []).append(
                f"failed imports have no media to look at: {', '.join(map(str, failed[:20]))}"
                + (f" and {len(failed) - 20} more" if len(failed) > 20 else "")
            )
    if len(ids) > MAX_ASSETS:
        errors.setdefault("assets", []).append(f"at most {MAX_ASSETS} assets per job (got {len(ids)})")
    if errors:
        raise PrefillValidationError(errors)
    return spec, ids, only_missing


def prefill_params(spec: ModelSpec, asset_ids: Sequence[int], only_missing: bool, **extra) -> dict:
    return {
        "model": spec.name,
        "model_id": spec.pk,
        "only_missing": only_missing,
        "asset_count": len(asset_ids),
        "assets": list(asset_ids),
        **extra,
    }


def create_prefill_job(project: Project, user, spec: ModelSpec, asset_ids, only_missing: bool, **extra) -> Job:
    """Write a queued pre-fill job on the model's queue (sent when the transaction commits)."""
    return create_job(
        Job.Kind.PREFILL,
        prefill_params(spec, asset_ids, only_missing, **extra),
        project=project,
        user=user,
        queue=spec.queue,
        message=f"queued: {len(asset_ids)} asset(s) for model {spec.name}",
    )


def start_prefill(project: Project, user, data) -> Job:
    """Validate and create the pre-fill job (one transaction)."""
    spec, ids, only_missing = validate_prefill(project, data)
    with transaction.atomic():
        return create_prefill_job(project, user, spec, ids, only_missing)


def shown_params(params: dict) -> dict:
    """A pre-fill's params for the jobs API: an asset list of more than 100 ids as its length."""
    params = dict(params)
    if isinstance(params.get("assets"), list) and len(params["assets"]) > 100:
        params["asset_count"] = len(params.pop("assets"))
    return params


def retry_problem(job: Job) -> str | None:
    """Why a pre-fill job cannot be retried (its model is gone or disabled), or None."""
    params = job.params or {}
    spec = ModelSpec.objects.filter(pk=params.get("model_id")).first()
    name = params.get("model", "?")
    if spec is None:
        return f"job {job.pk} cannot be retried: its model {name!r} was removed; start a new pre-fill"
    if not spec.enabled:
        return f"job {job.pk} cannot be retried: its model {spec.name!r} is disabled"
    return None


# --- auto pre-fill after an import --------------------------------------------------------------


def auto_prefill_after_import(import_job: Job) -> Job | None:
    """Called by ``worker.jobs`` inside the transaction that marks ``import_job`` succeeded: a
    pre-fill job for its ready assets when the project's active model says ``auto_prefill``."""
    if import_job.project_id is None:
        return None
    active = ProjectModel.objects.select_related("model", "project").filter(project_id=import_job.project_id).first()
    if active is None or not active.auto_prefill:
        return None
    spec = active.model
    if not spec.enabled:
        append_log(import_job, f"automatic pre-fill skipped: model {spec.name!r} is disabled")
        return None
    ids = list(
        Asset.objects.filter(import_job_id=import_job.pk, status=Asset.Status.READY)
        .order_by("id")
        .values_list("id", flat=True)
    )
    if not ids:
        return None
    job = create_prefill_job(
        active.project, import_job.created_by, spec, ids, True, trigger={"import_job": import_job.pk}
    )
    append_log(import_job, f"automatic pre-fill: job {job.pk} (model {spec.name}, {len(ids)} asset(s))")
    if isinstance(import_job.result, dict):
        import_job.result["prefill_job"] = job.pk
    return job


# --- the runner -------------------------------------------------------------------------------


def _spec_of(job: Job) -> ModelSpec:
    params = job.params or {}
    spec = ModelSpec.objects.filter(pk=params.get("model_id")).first()
    if spec is None:
        spec = ModelSpec.objects.filter(name=params.get("model", "")).first()
    if spec is None:
        raise ModelLoadError(f"model {params.get('model', '?')!r} no longer exists")
    if not spec.enabled:
        raise ModelLoadError(f"model {spec.name!r} is disabled")
    return spec


def _load_media(asset: Asset):
    from .guessers.media import media_input_from_asset

    return media_input_from_asset(asset)


def _predict_one(asset: Asset, guesser, spec: ModelSpec, checklist_version, job: Job, timings: dict) -> str:
    """Predict one asset; returns "" on success or the readable reason it failed."""
    return _predict_many([asset], guesser, spec, checklist_version, job, timings)[0]


def _predict_many(assets: list[Asset], guesser, spec: ModelSpec, checklist_version, job: Job, timings: dict):
    """Predict several assets with one ``guess_many`` call (when the guesser has it); returns
    each asset's reason ("" on success). Media are read first, so an unreadable asset fails
    alone; when the batched call fails, the readable assets are asked one by one, so only the
    asset the model fails on fails."""
    reasons, requests = _requests_of(assets, checklist_version)
    results = None
    if len(requests) > 1 and hasattr(guesser, "guess_many"):
        try:
            results = dict(zip(requests, guesser.guess_many(list(requests.values())), strict=True))
        except Exception:
            logger.warning(
                "model %s failed on a batch of %d assets; asking one by one", spec.name, len(requests), exc_info=True
            )
    return _finish(assets, reasons, requests, results, guesser, spec, checklist_version, job, timings)


def _requests_of(assets: list[Asset], checklist_version):
    """Each asset's reason so far ("" or why its media cannot be read) and the requests of the readable ones."""
    from .guessers.base import GuessRequest

    reasons = [""] * len(assets)
    requests: dict = {}
    for index, asset in enumerate(assets):
        try:
            media = _load_media(asset)
        except Exception as exc:
            reasons[index] = f"cannot read its media: {exc}"
            continue
        requests[index] = GuessRequest(media=media, prompt=asset.prompt or "", checklist=checklist_version.checklist)
    return reasons, requests


def _finish(assets, reasons, requests, results, guesser, spec, checklist_version, job, timings):
    """Record the results (``results`` None: ask each request alone with ``guess``); returns the reasons."""
    for index, request in requests.items():
        if results is not None:
            result = results[index]
        else:
            try:
                result = guesser.guess(request)
            except Exception as exc:
                logger.warning("model %s failed on asset %s", spec.name, assets[index].pk, exc_info=True)
                reasons[index] = f"the model failed: {type(exc).__name__}: {exc}"
                continue
        reasons[index] = _record(assets[index], result, spec, checklist_version, job, timings)
    return reasons


def _predict_batches(items, guesser, spec: ModelSpec, checklist_version, job: Job, timings: dict):
    """For each ``(key, assets)`` of ``items``, ``(key, reasons)`` as ``_predict_many`` gives.
    With a guesser that streams (``guess_chunks``), batch ``i + 1`` is taken from ``items`` (its
    media read) and prepared on the CPU while the model runs batch ``i``; a failed batch is
    asked again one asset at a time."""
    if not hasattr(guesser, "guess_chunks"):
        for key, assets in items:
            yield key, (_predict_many(assets, guesser, spec, checklist_version, job, timings) if assets else [])
        return

    def chunks():
        for key, assets in items:
            reasons, requests = _requests_of(assets, checklist_version)
            yield (key, assets, reasons, requests), list(requests.values())

    for (key, assets, reasons, requests), outcome in guesser.guess_chunks(chunks()):
        results = None
        if isinstance(outcome, BaseException):
            logger.warning(
                "model %s failed on a batch of %d assets; asking one by one",
                spec.name,
                len(requests),
                exc_info=outcome,
            )
        else:
            results = dict(zip(requests, outcome, strict=True))
        yield key, _finish(assets, reasons, requests, results, guesser, spec, checklist_version, job, timings)


def _record(asset: Asset, result, spec: ModelSpec, checklist_version, job: Job, timings: dict) -> str:
    try:
        record_prediction(
            asset,
            checklist_version,
            spec.name,
            result.p_yes,
            model_version=result.model_version,
            job_id=job.pk,
        )
    except PredictionError as exc:
        return f"the model's answer is invalid: {summarize(exc.errors)}"
    metrics.prefill_questions(len(result.p_yes))
    for stage, seconds in (result.timings or {}).items():
        if isinstance(seconds, (int, float)):
            timings[stage] = timings.get(stage, 0.0) + float(seconds)
    return ""


def run_prefill(job: Job, ctx: JobContext) -> dict:
    """The pre-fill runner (called by ``worker.jobs.execute``); returns the job's result:
    ``{"model", "model_version", "total", "predicted", "skipped", "failed": [{"asset", "name",
    "reason"}], "failed_count", "seconds_per_asset", "timings", "guesser"}`` (``guesser``: how the
    model is run where that is not the shared-prefix cache: ``exact_path``, ``processor``)."""
    params = job.params or {}
    ids: list[int] = [int(i) for i in params.get("assets") or []]
    only_missing = bool(params.get("only_missing", True))
    total = len(ids)
    project = Project.objects.select_related("checklist_version").get(pk=job.project_id)
    version = project.checklist_version

    spec = _spec_of(job)
    ctx.report(message=f"loading model {spec.name}", log=f"loading model {spec.name} from {spec.source}")
    if spec.trust_remote_code:
        from .remote_code import last_allowed

        decision = last_allowed(spec)
        by = (
            f"allowed by {decision.decided_by_name or 'an unknown user'} on {decision.decided_at:%Y-%m-%d %H:%M} UTC"
            if decision
            else "no recorded decision"
        )
        revision = f"@{spec.revision}" if spec.revision else ""
        ctx.log(f"remote code: model {spec.name} runs its source's own code ({spec.source}{revision}; {by})")
    started = time.perf_counter()
    guesser = get_guesser(spec)
    model_version = getattr(guesser, "version", "")
    loaded = time.perf_counter() - started

    wanted = set(ids)
    of_project = Prediction.objects.filter(asset__project_id=project.pk, checklist_version=version)
    done_here = set(of_project.filter(job_id=job.pk).values_list("asset_id", flat=True)) & wanted
    existing: set[int] = set()
    if only_missing:
        same_version = of_project.filter(model_name=spec.name, model_version=model_version)
        existing = (set(same_version.values_list("asset_id", flat=True)) & wanted) - done_here
    predicted, skipped, failed = len(done_here), len(existing), []
    done = predicted + skipped
    notes = [f"model {spec.name} ({model_version}) ready" + (f" in {loaded:.1f} s" if loaded >= 0.05 else "")]
    # How the guesser runs this model, where it differs from the shared-prefix cache (PaliGemma's
    # exact path) or from the model's own processor (assembled without its video processor).
    how = {
        key: value
        for key, value in (
            ("exact_path", getattr(guesser, "exact_path", None)),
            ("processor", getattr(guesser, "processor_note", None)),
        )
        if value
    }
    notes.extend(f"{key.replace('_', ' ')}: {value}" for key, value in how.items())
    if done_here:
        notes.append(f"resuming: {len(done_here)} of {total} asset(s) were already predicted by this job")
    if existing:
        notes.append(f"skipping {len(existing)} asset(s) that already have a prediction of this model version")
    cancel = ctx.report(
        progress=done / total if total else 0.0,
        message=f"{done}/{total}: {predicted} predicted, {skipped} skipped, 0 failed",
        log="; ".join(notes),
    )

    todo = [i for i in ids if i not in done_here and i not in existing]
    timings: dict[str, float] = {}
    loop_started = time.perf_counter()
    attempted = 0
    # Assets asked together (``guess_many``); a cancel is honoured between such batches.
    per_batch = max(1, int(getattr(guesser, "assets_per_batch", 1) or 1)) if hasattr(guesser, "guess_many") else 1

    def batches():  # (batch, outcomes so far, ready assets); a cancel stops the look-ahead
        for start in range(0, len(todo), CHUNK):
            chunk = todo[start : start + CHUNK]
            assets = Asset.objects.in_bulk(chunk)
            for batch_start in range(0, len(chunk), per_batch):
                if cancel:
                    raise JobCancelled()
                batch = chunk[batch_start : batch_start + per_batch]
                outcomes: dict[int, tuple[str, str]] = {}
                ready = []
                for asset_id in batch:
                    asset = assets.get(asset_id)
                    if asset is None:
                        outcomes[asset_id] = ("", "the asset was deleted")
                    elif asset.project_id != project.pk:
                        reason = f"the asset belongs to another project ({asset.project_id})"
                        outcomes[asset_id] = (asset.original_name, reason)
                    elif asset.status != Asset.Status.READY:
                        reason = f"the asset is {asset.status}: it has no media to look at"
                        outcomes[asset_id] = (asset.original_name, reason)
                    else:
                        ready.append(asset)
                yield (batch, outcomes, ready), ready

    for (batch, outcomes, ready), reasons in _predict_batches(batches(), guesser, spec, version, job, timings):
        for asset, reason in zip(ready, reasons, strict=True):
            outcomes[asset.pk] = (asset.original_name, reason)
        attempted += len(ready)
        for asset_id in batch:
            name, reason = outcomes[asset_id]
            done += 1
            if reason:
                failed.append({"asset": asset_id, "name": name, "reason": reason[:1000]})
                line = f"{name or f'asset {asset_id}'} (asset {asset_id}): failed: {reason[:500]}"
            else:
                predicted += 1
                line = f"{name} (asset {asset_id}): predicted"
            cancel = ctx.report(
                progress=done / total,
                message=f"{done}/{total}: {predicted} predicted, {skipped} skipped, {len(failed)} failed",
                log=line,
            )
    elapsed = time.perf_counter() - loop_started
    summary = f"{predicted} predicted, {skipped} skipped, {len(failed)} failed"
    ctx.report(progress=1.0, message=summary, log=f"finished: {summary}")
    return {
        "model": spec.name,
        "model_version": model_version,
        "total": total,
        "predicted": predicted,
        "skipped": skipped,
        "failed": failed[:MAX_FAILURES_LISTED],
        "failed_count": len(failed),
        "seconds_per_asset": round(elapsed / attempted, 4) if attempted else None,
        "timings": {stage: round(seconds, 3) for stage, seconds in timings.items()},
        "guesser": how,
    }
