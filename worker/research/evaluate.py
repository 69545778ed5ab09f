"""Evaluate jobs: a model and/or a weight set on a dataset version's held-out split
(``docs/research-jobs.md``).

The split is ``test`` when the version's ``default`` config has one, else the last split it
lists (the result says which, in ``split`` and ``split_note``).

* **Model**: the guesser (``prefill.get_guesser``, batched with ``guess_many`` like pre-fill)
  answers every question of each asset of the split from the row's image and prompt; against the
  ``default`` rows' answers where ``mask`` = 1: accuracy of P(yes) > 0.5 and the Brier score
  (mean of (P(yes) − answer)²), overall and per question. With the ``all`` export rule an asset
  has several rows: each row counts.
* **Weight set**: preference accuracy (``accuracy_tau``, ``accuracy_diff``,
  ``worker.weights.evaluate.preference_accuracy``) on the split's ``pairs`` rows, each asset
  scored from its ``default`` rows' answers (``consensus_features``: one row is that row's
  answers) with the weight set's encoding; with a model too, also from the model's P(yes)
  (``features_from_p_yes``). Pairs whose assets have no ``default`` row are skipped (counted).

The result is stored in the job (``job.result``); ``GET /api/evaluations/?dataset_version=ID``
lists the succeeded evaluations of a version.
"""

from __future__ import annotations

import time

import numpy as np
from django.db import transaction

from annotator import permissions as perms
from worker.jobs import JobCancelled, JobContext, JobFailed, create_job
from worker.models import Job, ModelSpec, WeightSet

from .finetune import (
    ResearchRequestError,
    check_model,
    check_version,
    config_splits,
    first_project,
    is_id,
    local_version,
    open_image,
    read_config,
)

EVALUATE_FIELDS = ("dataset_version", "model", "weight_set")


def _check_weight_set(user, value, version, errors: dict) -> WeightSet | None:
    from worker.weights.scoring import validate_weight_vector
    from worker.weights.sets import weight_vector
    from worker.weights.types import WeightsError

    if not is_id(value):
        errors["weight_set"] = ["must be the id of a weight set"]
        return None
    ws = WeightSet.objects.select_related("project").filter(pk=int(value)).first()
    if ws is None or not (user.is_staff or perms.can_research(user, ws.project)):
        errors["weight_set"] = [f"weight set {value} does not exist or you cannot see it"]
        return None
    if version is not None:
        checklist = version.checklist_version.checklist
        try:
            validate_weight_vector(weight_vector(ws, checklist), checklist)
        except WeightsError as exc:
            errors["weight_set"] = [f"weight set {ws.pk} does not fit the dataset version's checklist: {exc}"]
            return None
    return ws


def validate_evaluate(user, data):
    errors: dict[str, list[str]] = {}
    if not isinstance(data, dict):
        raise ResearchRequestError({"non_field_errors": ["expected a JSON object"]})
    for key in sorted(str(k) for k in data if k not in EVALUATE_FIELDS):
        errors[key] = [f"unknown field; allowed: {', '.join(EVALUATE_FIELDS)}"]
    version = check_version(user, data.get("dataset_version"), errors, need="default")
    has_model = data.get("model") not in (None, "")
    has_ws = data.get("weight_set") not in (None, "")
    if not has_model and not has_ws:
        errors["model"] = ["give a model, a weight_set, or both"]
    spec = check_model(data.get("model"), errors) if has_model else None
    ws = _check_weight_set(user, data.get("weight_set"), version, errors) if has_ws else None
    if ws is not None and version is not None and not (version.row_counts or {}).get("pairs"):
        errors["dataset_version"] = [f"dataset version {version.pk} has no pairs rows to evaluate a weight set on"]
    if errors:
        raise ResearchRequestError(errors)
    return version, spec, ws


def start_evaluate(user, data) -> Job:
    version, spec, ws = validate_evaluate(user, data)
    params = {"dataset_version": version.pk}
    if spec is not None:
        params.update(model=spec.name, model_id=spec.pk)
    if ws is not None:
        params.update(weight_set=ws.pk, weight_set_project=ws.project_id)
    what = " and ".join(x for x in (spec and f"model {spec.name}", ws and f"weight set {ws.pk}") if x)
    with transaction.atomic():
        return create_job(
            Job.Kind.EVALUATE,
            params,
            project=first_project(version),
            user=user,
            queue=spec.queue if spec is not None else None,
            message=f"queued: evaluate {what} on {version.label}",
        )


# --- the runner -------------------------------------------------------------------------------


def choose_split(version, *, folder=None) -> tuple[str, str]:
    splits = list(dict.fromkeys(split for split, _ in config_splits(version, "default", folder=folder)))
    if not splits:
        raise JobFailed(f"dataset version {version.pk} has no default rows")
    if "test" in splits:
        return "test", "the test split"
    return splits[-1], f"no test split: the last split ({splits[-1]}) of {', '.join(splits)}"


def _model_answers(
    spec: ModelSpec, version, checklist, rows: list[dict], ctx: JobContext, *, folder=None
) -> dict[int, dict]:
    """asset id → P(yes) per question key, for the assets of ``rows`` (one guess per asset)."""
    from worker.prefill.guessers.base import GuessRequest, MediaInput
    from worker.prefill.loading import ModelLoadError, get_guesser

    try:
        guesser = get_guesser(spec)
    except ModelLoadError as exc:
        raise JobFailed(str(exc)) from exc
    first: dict[int, dict] = {}
    for row in rows:
        first.setdefault(row["asset_id"], row)
    assets = list(first)
    per_call = max(1, int(getattr(guesser, "assets_per_batch", 1)))
    answers: dict[int, dict] = {}
    for start in range(0, len(assets), per_call):
        chunk = assets[start : start + per_call]
        requests = [
            GuessRequest(
                media=MediaInput(kind="image", frames=[open_image(version, first[a].get("image"), folder=folder)]),
                prompt=first[a].get("prompt") or "",
                checklist=checklist,
            )
            for a in chunk
        ]
        results = guesser.guess_many(requests) if hasattr(guesser, "guess_many") else map(guesser.guess, requests)
        for asset_id, result in zip(chunk, results, strict=True):
            answers[asset_id] = dict(result.p_yes)
        done = start + len(chunk)
        if ctx.report(progress=0.8 * done / len(assets), message=f"model: {done}/{len(assets)} asset(s)"):
            raise JobCancelled()
    return answers


def question_metrics(checklist, rows: list[dict], answers: dict[int, dict]) -> dict:
    keys = list(checklist.question_keys)
    hits = np.zeros(len(keys))
    brier = np.zeros(len(keys))
    counts = np.zeros(len(keys))
    for row in rows:
        p_yes = answers.get(row["asset_id"])
        if p_yes is None:
            continue
        for index, key in enumerate(keys):
            if not row["mask"][index] or p_yes.get(key) is None:
                continue
            truth = float(row["answers"][index])
            p = float(p_yes[key])
            counts[index] += 1
            hits[index] += float((p > 0.5) == (truth == 1.0))
            brier[index] += (p - truth) ** 2
    total = counts.sum()
    per_question = {
        key: {
            "answers": int(counts[i]),
            "accuracy": float(hits[i] / counts[i]) if counts[i] else None,
            "brier": float(brier[i] / counts[i]) if counts[i] else None,
        }
        for i, key in enumerate(keys)
    }
    return {
        "answers": int(total),
        "accuracy": float(hits.sum() / total) if total else None,
        "brier": float(brier.sum() / total) if total else None,
        "per_question": per_question,
    }


def _pair_accuracy(pairs: list[dict], scores: dict[int, float]) -> dict:
    from worker.weights.evaluate import preference_accuracy

    usable = [p for p in pairs if p["asset_a_id"] in scores and p["asset_b_id"] in scores and p["label"] is not None]
    diff = [scores[p["asset_a_id"]] - scores[p["asset_b_id"]] for p in usable]
    result = preference_accuracy(np.asarray(diff, dtype=np.float64), [float(p["label"]) for p in usable])
    result["pairs_skipped"] = len(pairs) - len(usable)
    return result


def _weight_set_metrics(ws, checklist, default_rows, pairs, model_answers) -> dict:
    from worker.weights.features import consensus_features, features_from_p_yes
    from worker.weights.scoring import score_many
    from worker.weights.sets import weight_vector

    vector = weight_vector(ws, checklist)
    by_asset: dict[int, list] = {}
    for row in default_rows:
        by_asset.setdefault(row["asset_id"], []).append((row["answers"], row["mask"]))
    assets = list(by_asset)
    human = score_many([consensus_features(checklist, by_asset[a]) for a in assets], vector)
    out = {
        "id": ws.pk,
        "project": ws.project_id,
        "version": ws.version,
        "human": _pair_accuracy(pairs, dict(zip(assets, map(float, human), strict=True))),
    }
    if model_answers is not None:
        ids = list(model_answers)
        model = score_many([features_from_p_yes(checklist, model_answers[a]) for a in ids], vector)
        out["model"] = _pair_accuracy(pairs, dict(zip(ids, map(float, model), strict=True)))
    return out


def run_evaluate(job: Job, ctx: JobContext) -> dict:
    from datasets_app.models import DatasetVersion

    params = job.params or {}
    started = time.perf_counter()
    version = (
        DatasetVersion.objects.select_related("checklist_version").filter(pk=params.get("dataset_version")).first()
    )
    if version is None or version.state != DatasetVersion.State.READY:
        raise JobFailed(f"dataset version {params.get('dataset_version')} is missing or not ready")
    checklist = version.checklist_version.checklist
    with local_version(version) as folder:  # a scratch copy of it on an object store
        return _evaluate(version, folder, checklist, params, ctx, started)


def _evaluate(version, folder, checklist, params: dict, ctx: JobContext, started: float) -> dict:
    split, note = choose_split(version, folder=folder)
    spec = None
    if params.get("model"):
        spec = (
            ModelSpec.objects.filter(pk=params.get("model_id")).first()
            or ModelSpec.objects.filter(name=params["model"]).first()
        )
        if spec is None:
            raise JobFailed(f"model {params['model']!r} no longer exists")
    ws = None
    if params.get("weight_set"):
        ws = WeightSet.objects.filter(pk=params["weight_set"]).first()
        if ws is None:
            raise JobFailed(f"weight set {params['weight_set']} no longer exists")
    ctx.report(progress=0.0, message=f"reading the {split} split", log=f"evaluating on {note}")
    rows = read_config(version, "default", splits={split}, media=spec is not None, folder=folder)
    if not rows:
        raise JobFailed(f"the {split} split of dataset version {version.pk} has no default rows")
    result: dict = {
        "dataset_version": version.pk,
        "dataset": version.label,
        "split": split,
        "split_note": note,
        "assets": len({r["asset_id"] for r in rows}),
        "rows": len(rows),
    }
    answers = None
    if spec is not None:
        answers = _model_answers(spec, version, checklist, rows, ctx, folder=folder)
        result["model"] = {"name": spec.name, **question_metrics(checklist, rows, answers)}
    if ws is not None:
        ctx.report(progress=0.85, message=f"weight set {ws.pk}: preference accuracy")
        pairs = read_config(version, "pairs", splits={split}, folder=folder)
        result["weight_set"] = _weight_set_metrics(ws, checklist, rows, pairs, answers)
    result["seconds"] = round(time.perf_counter() - started, 3)
    ctx.report(progress=1.0, message="done")
    return result
