"""The refit and score jobs, and the periodic refit.

Thin shells over the pure code beside them (features, fitting, evaluation, scoring) and the
database side in ``answers`` (features and pair labels) and ``sets`` (weight sets, promotion):
load rows, call it, save. The rules (labels from 1–5 ratings, the held-out split by prompt, when
a candidate is promoted) are documented in ``docs/weights.md``.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.db.models import Max

from annotator.models import Annotation, Asset, GoldAnswer, Prediction, Project, Task
from worker.jobs import JobContext, JobFailed, append_log, create_job
from worker.models import AssetScore, Job, RefitPolicy, WeightSet

from .answers import (
    ANSWERED,
    PairLabel,
    asset_features,
    human_features,
    label_of,
    model_features,
    pair_labels,
    with_asset_extra,
)
from .evaluate import dimension_accuracy, dimension_contribution, preference_accuracy, split_test
from .features import checklist_dimensions, encode_many
from .fit import fit_pairwise
from .readiness import Readiness, refit_readiness
from .scoring import score
from .sets import create_weight_set, promote, weight_vector
from .types import WeightsError, WeightVector

# The refit settings, their defaults and what each accepts (validated by ``refit_settings``).
DEFAULTS: dict = {
    "features": "human",  # human: consensus (or reviewed gold) answers; model: the latest P(yes)
    "solver": "newton",  # newton: bounded projected Newton; masking: the paper's iterative masking
    "l2": 1e-4,
    "l1": 0.0,
    # signed: yes +1 / no −1 / n.a. 0 (the image reference); binary: yes 1, else 0;
    # unmasked: yes +1 / no and n.a. −1 (the video reference, no presence masks)
    "encoding": "signed",
    "test_fraction": 0.2,
    "seed": 0,
    "promote": "if_better",  # if_better | always | never
    "label": "mean",  # mean: the mean rating decides (3 = tie); soft: share of raters preferring A
    "sample_weight": "raters",  # raters: one unit per rating; strength: |mean − 3| / 2; none
    "include_presence": False,  # presence questions gate; by default they get no weight
    "min_pairs": 10,
    # a set with no decisive held-out pair to measure it is kept as a candidate unless this is true
    "promote_without_holdout": False,
}
CHOICES = {
    "features": ("human", "model"),
    "solver": ("newton", "masking"),
    "encoding": ("signed", "binary", "unmasked"),
    "promote": ("if_better", "always", "never"),
    "label": ("mean", "soft"),
    "sample_weight": ("raters", "strength", "none"),
}
NUMBERS = {"l2": (0.0, 1e3), "l1": (0.0, 1e3), "test_fraction": (0.0, 0.9)}
INTEGERS = {"seed": (0, 2**31 - 1), "min_pairs": (2, 10**8)}
SCORE_BATCH = 500


class RefitSettingsError(ValueError):
    """Bad refit settings: ``errors`` maps each field to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def refit_settings(data) -> dict:
    """The complete settings for ``data`` (defaults filled in); RefitSettingsError naming each
    bad field otherwise."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RefitSettingsError({"settings": ["Expected an object of refit settings."]})
    errors: dict[str, list[str]] = {}
    out = dict(DEFAULTS)
    for key, value in data.items():
        if key not in DEFAULTS:
            close = difflib.get_close_matches(key, DEFAULTS, n=1)
            hint = f" Did you mean `{close[0]}`?" if close else f" Known: {', '.join(DEFAULTS)}."
            errors[key] = [f"Unknown setting `{key}`.{hint}"]
        elif key in CHOICES:
            if value not in CHOICES[key]:
                errors[key] = [f"Must be one of {', '.join(CHOICES[key])} (got {value!r})."]
            else:
                out[key] = value
        elif key in NUMBERS:
            low, high = NUMBERS[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                errors[key] = [f"Must be a number (got {value!r})."]
            elif not low <= value <= high:
                errors[key] = [f"Must be between {low:g} and {high:g} (got {value!r})."]
            else:
                out[key] = float(value)
        elif key in INTEGERS:
            low, high = INTEGERS[key]
            if isinstance(value, bool) or not isinstance(value, int):
                errors[key] = [f"Must be an integer (got {value!r})."]
            elif not low <= value <= high:
                errors[key] = [f"Must be between {low} and {high} (got {value!r})."]
            else:
                out[key] = value
        elif key in ("include_presence", "promote_without_holdout"):
            if not isinstance(value, bool):
                errors[key] = [f"Must be true or false (got {value!r})."]
            else:
                out[key] = value
    if errors:
        raise RefitSettingsError(errors)
    return out


def _asset_ids_to_score(project: Project, ws: WeightSet, incremental: bool) -> list[int]:
    """All ready assets, or (incremental) those with answers or a prediction newer than their
    score under ``ws`` (or with answers and no score yet)."""
    ready = Asset.objects.filter(project=project, status=Asset.Status.READY)
    if not incremental:
        return list(ready.order_by("id").values_list("id", flat=True))
    newest: dict[int, object] = {}
    sources = (  # the newest answer, gold answer and prediction per asset, grouped in the database
        Annotation.objects.filter(project=project, task__kind=Task.Kind.SINGLE, state__in=ANSWERED)
        .values("task__asset_id")
        .annotate(at=Max("updated_at"))
        .values_list("task__asset_id", "at"),
        GoldAnswer.objects.filter(project=project, task__kind=Task.Kind.SINGLE)
        .values("task__asset_id")
        .annotate(at=Max("updated_at"))
        .values_list("task__asset_id", "at"),
        Prediction.objects.filter(asset__project=project)
        .values("asset_id")
        .annotate(at=Max("created_at"))
        .values_list("asset_id", "at"),
    )
    for rows in sources:
        for asset_id, at in rows:
            if asset_id not in newest or at > newest[asset_id]:
                newest[asset_id] = at
    scored = dict(AssetScore.objects.filter(weight_set=ws).values_list("asset_id", "answers_at"))
    changed = {
        asset_id
        for asset_id, at in newest.items()
        if asset_id not in scored or scored[asset_id] is None or at > scored[asset_id]
    }
    return sorted(changed & set(ready.filter(pk__in=changed).values_list("id", flat=True)))


def run_score(job: Job, ctx: JobContext) -> dict:
    """Score the project's assets under a weight set: human answers where there are any, the
    model's prediction otherwise; assets with neither get no score."""
    ws = (
        WeightSet.objects.select_related("project", "checklist_version").filter(pk=job.params.get("weight_set")).first()
    )
    if ws is None:
        return {"scored": 0, "skipped": "the weight set no longer exists"}
    if ws.status != WeightSet.Status.ACTIVE:
        ctx.report(progress=1.0, message=f"weight set {ws.version} is no longer active; nothing to do")
        return {"scored": 0, "skipped": "not active"}
    project = ws.project
    checklist = ws.checklist_version.checklist
    vector = weight_vector(ws, checklist)
    incremental = bool(job.params.get("incremental"))
    ids = _asset_ids_to_score(project, ws, incremental)
    counts = {"human": 0, "model": 0, "unscored": 0}
    ctx.report(progress=0.0, message=f"scoring {len(ids)} assets with weight set {ws.version}")
    for start in range(0, len(ids), SCORE_BATCH):
        ctx.check_cancel()
        batch = ids[start : start + SCORE_BATCH]
        human = human_features(project, ws.checklist_version, batch)
        model = model_features(project, ws.checklist_version, [i for i in batch if i not in human])
        metadata = dict(Asset.objects.filter(pk__in=batch).values_list("id", "metadata")) if ws.extra else {}
        rows = []
        for asset_id in batch:
            source, found = ("human", human.get(asset_id)) if asset_id in human else ("model", model.get(asset_id))
            if found is None:
                counts["unscored"] += 1
                continue
            features, at = found
            breakdown = score(with_asset_extra(features, metadata.get(asset_id), ws.extra), vector)
            counts[source] += 1
            rows.append(
                AssetScore(
                    asset_id=asset_id,
                    project=project,
                    weight_set=ws,
                    source=source,
                    total=breakdown.total,
                    dimensions=breakdown.dimensions,
                    answers_at=at,
                )
            )
        AssetScore.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["asset", "weight_set"],
            update_fields=["source", "total", "dimensions", "answers_at", "computed_at"],
        )
        done = min(len(ids), start + SCORE_BATCH)
        ctx.report(progress=done / max(1, len(ids)), message=f"{done}/{len(ids)} assets scored")
    removed = 0
    if not incremental:
        removed, _ = AssetScore.objects.filter(project=project).exclude(weight_set=ws).delete()
    summary = f"{counts['human']} from answers, {counts['model']} from predictions, {counts['unscored']} without either"
    ctx.report(progress=1.0, message=summary, log=f"finished: {summary}")
    return {"weight_set": ws.pk, "scored": counts["human"] + counts["model"], **counts, "stale_removed": removed}


# --- refit ---------------------------------------------------------------------------------------


@dataclass
class PairData:
    diff: np.ndarray
    labels: np.ndarray
    weights: np.ndarray
    prompts: list[str]
    keys: list[str]
    pair_ids: list[int]
    counts: dict


def build_pair_data(project: Project, settings: dict, keys: Sequence[str], features: dict | None = None) -> PairData:
    """The fitting data: one row per labelled pair whose two assets both have features."""
    pairs = pair_labels(project)
    checklist_version = project.checklist_version
    if features is None:
        ids = {p.asset_a for p in pairs} | {p.asset_b for p in pairs}
        features = asset_features(project, checklist_version, settings["features"], ids)
    usable = [p for p in pairs if p.asset_a in features and p.asset_b in features]
    labels, weights = [], []
    for pair in usable:
        label, weight = label_of(pair, settings["label"], settings["sample_weight"])
        labels.append(label)
        weights.append(weight)
    if usable:
        a = encode_many([features[p.asset_a][0] for p in usable], list(keys), settings["encoding"])
        b = encode_many([features[p.asset_b][0] for p in usable], list(keys), settings["encoding"])
        diff = a - b
    else:
        diff = np.zeros((0, len(keys)), dtype=np.float32)
    labels_arr = np.asarray(labels, dtype=np.float64)
    counts = {
        "pairs": len(pairs),
        "pairs_used": len(usable),
        "pairs_without_answers": len(pairs) - len(usable),
        "ties": int(np.sum(labels_arr == 0.5)),
        "ratings": sum(len(p.ratings) for p in pairs),
        "gold_pairs": sum(1 for p in pairs if p.gold is not None),
        "assets_with_features": len(features),
        "questions": len(keys),
    }
    return PairData(
        diff=diff,
        labels=labels_arr,
        weights=np.asarray(weights, dtype=np.float64),
        prompts=[p.prompt for p in usable],
        keys=list(keys),
        pair_ids=[p.task_id for p in usable],
        counts=counts,
    )


def readiness_of(data: PairData, settings: dict) -> Readiness:
    """The readiness (readiness.refit_readiness) of a refit on this fitting data."""
    return refit_readiness(
        data.counts["pairs"],
        data.prompts,
        data.labels.tolist(),
        min_pairs=settings["min_pairs"],
        test_fraction=settings["test_fraction"],
        seed=settings["seed"],
    )


def refit_readiness_of(project: Project, settings: dict | None = None) -> Readiness:
    """Whether a refit of ``project`` with ``settings`` (validated, defaults filled in) can run
    and be measured, from the project's rated pairs and answers."""
    full = refit_settings(settings)
    checklist = project.checklist_version.checklist
    return readiness_of(build_pair_data(project, full, fit_keys(checklist, full)), full)


def _vector_diff(data_features: dict, pairs: Sequence[PairLabel], vector: WeightVector) -> np.ndarray:
    keys = list(vector.coefficients)
    gates = vector.gates or None
    a = encode_many([data_features[p.asset_a][0] for p in pairs], keys, vector.encoding, gates=gates)
    b = encode_many([data_features[p.asset_b][0] for p in pairs], keys, vector.encoding, gates=gates)
    w = np.asarray([vector.coefficients[k] for k in keys], dtype=np.float64)
    scale = 1.0 / len(keys) if vector.normalization == "mean" and keys else 1.0
    return (a.astype(np.float64) - b) @ w * scale


def fit_keys(checklist, settings: dict) -> list[str]:
    return [q.key for q in checklist.questions if settings["include_presence"] or not q.presence]


def run_refit(job: Job, ctx: JobContext) -> dict:
    """Fit a candidate weight set on the project's labelled pairs, evaluate it and the active set
    on the same held-out pairs, and promote it when the settings say so. Bad data or settings
    (too few pairs, all ties…) fail the job at once with the reason; they are not retried."""
    try:
        return _refit(job, ctx)
    except (WeightsError, RefitSettingsError) as exc:
        raise JobFailed(str(exc)) from exc


def _refit(job: Job, ctx: JobContext) -> dict:
    project = Project.objects.select_related("checklist_version").get(pk=job.project_id)
    settings = refit_settings(job.params.get("settings"))
    checklist_version = project.checklist_version
    checklist = checklist_version.checklist
    keys = fit_keys(checklist, settings)
    dims = checklist_dimensions(checklist)

    ctx.report(progress=0.05, message="gathering labelled pairs and answers")
    pairs = pair_labels(project)
    ids = {p.asset_a for p in pairs} | {p.asset_b for p in pairs}
    features = asset_features(project, checklist_version, settings["features"], ids)
    data = build_pair_data(project, settings, keys, features)
    counts = data.counts
    ready = readiness_of(data, settings)
    if not ready.can_start:
        raise WeightsError(" ".join(ready.reasons), field="min_pairs")
    test = split_test(data.prompts, settings["test_fraction"], settings["seed"])
    train = ~test
    counts.update(train_pairs=int(train.sum()), test_pairs=int(test.sum()))
    ctx.check_cancel()
    ctx.report(progress=0.2, message=f"fitting {len(keys)} weights on {int(train.sum())} pairs")
    fit = fit_pairwise(
        data.diff[train],
        data.labels[train],
        data.weights[train],
        feature_names=keys,
        l2=settings["l2"],
        l1=settings["l1"],
        solver=settings["solver"],
        constant_features="drop",
    )
    vector = WeightVector(
        coefficients={k: float(fit.weights[k]) for k in keys},
        encoding=settings["encoding"],
        normalization="sum",
        dimensions=dims,
    )
    ctx.report(progress=0.7, message="evaluating on the held-out pairs")
    w = np.asarray([vector.coefficients[k] for k in keys])
    dim_list = [dims[k] for k in keys]
    # the tie threshold of the tie-aware accuracy is calibrated on the training pairs and then
    # applied to the held-out ones (calibrating on the held-out pairs would flatter every set)
    train_metrics = preference_accuracy(data.diff[train] @ w, data.labels[train], data.weights[train])
    metrics: dict = {
        "train": train_metrics,
        "test": _held_out(data.diff[test] @ w, data, test, train_metrics),
        "dimension_contribution": dimension_contribution(data.diff[train], w, dim_list),
        "dimension_accuracy": dimension_accuracy(data.diff[test], data.labels[test], w, dim_list),
        "fit": fit.to_dict(),
    }
    active = (
        WeightSet.objects.filter(project=project, status=WeightSet.Status.ACTIVE)
        .select_related("checklist_version")
        .first()
    )
    if active is not None and active.checklist_version_id == checklist_version.pk:
        usable = [p for p in pairs if p.asset_a in features and p.asset_b in features]
        active_vector = weight_vector(active, checklist)

        def active_diff(mask: np.ndarray) -> np.ndarray:
            chosen = [p for p, keep in zip(usable, mask.tolist(), strict=True) if keep]
            return _vector_diff(features, chosen, active_vector) if chosen else np.zeros(0)

        active_train = preference_accuracy(active_diff(train), data.labels[train], data.weights[train])
        compared = _held_out(active_diff(test), data, test, active_train)
        metrics["compared_with"] = {"weight_set": active.pk, "version": active.version, **compared}
    decision, promote_it = _decide(settings, metrics, active, ready)
    ctx.check_cancel()
    with transaction.atomic():
        ws = create_weight_set(
            project,
            vector,
            source=WeightSet.Source.FITTED,
            user=job.created_by,
            label=job.params.get("label") or "",
            fit_settings=settings,
            data_counts=counts,
            metrics=_json_safe(metrics),
            decision=decision,
            job=job,
        )
        if not job.params.get("label"):
            ws.label = f"refit {ws.version}"
            ws.save(update_fields=["label"])
        score_job = None
        if promote_it:
            ws, score_job = promote(ws, user=None, reason=decision)
    acc = metrics["test"].get("accuracy_diff")
    shown = "n/a" if acc is None else f"{100 * acc:.1f}%"
    summary = f"weight set {ws.version}: held-out accuracy {shown}; {'promoted' if promote_it else 'candidate'}"
    ctx.report(progress=1.0, message=summary, log=f"{summary} ({decision})")
    return {
        "weight_set": ws.pk,
        "version": ws.version,
        "promoted": promote_it,
        "accuracy_diff": acc,
        "score_job": score_job.pk if score_job else None,
    }


def _held_out(score_diff: np.ndarray, data: PairData, test: np.ndarray, train_metrics: dict) -> dict:
    """Held-out accuracy with the tie threshold calibrated on the training pairs (0 without any)."""
    threshold = train_metrics.get("tie_threshold") or 0.0
    return preference_accuracy(score_diff, data.labels[test], data.weights[test], tie_threshold=threshold)


def _decide(settings: dict, metrics: dict, active: WeightSet | None, ready: Readiness) -> tuple[str, bool]:
    """Whether a fresh candidate becomes active, and why (stored as the set's ``decision``).
    A set that no decisive held-out pair measured is never promoted unless the settings ask for
    it with ``promote_without_holdout`` (and ``promote`` is not ``never``)."""
    rule = settings["promote"]
    acc = metrics["test"].get("accuracy_diff")
    if rule != "never" and acc is None:
        held = (
            f"{ready.held_out_pairs} held-out pairs, none decisive"
            if ready.held_out_pairs
            else f"no pair held out: {ready.usable_pairs} pairs on {ready.prompts} prompt"
            + ("" if ready.prompts == 1 else "s")
        )
        if settings["promote_without_holdout"]:
            return f"promoted without a held-out measurement, as asked (promote_without_holdout; {held})", True
        return (
            f"kept as a candidate: nothing measured it ({held}); promote it by hand, or refit with "
            "promote_without_holdout to promote a set without a held-out measurement",
            False,
        )
    if rule == "always":
        return "promoted: the refit was started with promote=always", True
    if rule == "never":
        return "kept as a candidate: the refit was started with promote=never", False
    if active is None:
        return "promoted: the project had no active weight set", True
    compared = metrics.get("compared_with")
    if compared is None:
        return (
            f"kept as a candidate: the active set {active.version} is for another checklist version; "
            "promote one explicitly",
            False,
        )
    old = compared.get("accuracy_diff")
    if acc is None or old is None:
        return "kept as a candidate: no decisive held-out pairs to compare it with the active set", False
    if acc >= old:
        return f"promoted: held-out accuracy {100 * acc:.1f}% ≥ {100 * old:.1f}% of active set {active.version}", True
    return (
        f"kept as a candidate: held-out accuracy {100 * acc:.1f}% < {100 * old:.1f}% of active set {active.version}",
        False,
    )


def _json_safe(value):
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


# --- starting refits: from the API and from beat -----------------------------------------------


def active_refit(project: Project) -> Job | None:
    return (
        Job.objects.filter(project=project, kind=Job.Kind.REFIT, state__in=(Job.State.QUEUED, Job.State.RUNNING))
        .order_by("id")
        .first()
    )


def start_refit(project: Project, user, settings: dict | None, *, label: str = "", trigger: str = "api") -> Job:
    """Validate the settings and write a refit job (sent when the transaction commits)."""
    full = refit_settings(settings)
    return create_job(
        Job.Kind.REFIT, {"settings": full, "label": label, "trigger": trigger}, project=project, user=user
    )


def labelled_pairs_since(project: Project, since) -> int:
    """Pair ratings (submitted, reviewed or gold) recorded after ``since`` (all when None)."""
    annotations = Annotation.objects.filter(project=project, task__kind=Task.Kind.PAIR, state__in=ANSWERED)
    gold = GoldAnswer.objects.filter(project=project, task__kind=Task.Kind.PAIR)
    if since is not None:
        annotations = annotations.filter(updated_at__gt=since)
        gold = gold.filter(updated_at__gt=since)
    return annotations.values("task_id").distinct().count() + gold.count()


def last_fit_at(project: Project):
    ws = WeightSet.objects.filter(project=project, source=WeightSet.Source.FITTED).order_by("-created_at").first()
    return ws.created_at if ws else None


def refit_due(now=None) -> dict:
    """Beat: start a refit for every project whose policy is enabled and that got at least
    ``min_new_pairs`` new pair ratings since its last fit; start an incremental scoring job
    where answers changed since the active set's scores. Never two refits of a project at once."""
    started, scored = [], []
    for policy in RefitPolicy.objects.filter(enabled=True, project__archived=False).select_related("project"):
        project = policy.project
        new = labelled_pairs_since(project, last_fit_at(project))
        if new >= max(1, policy.min_new_pairs) and active_refit(project) is None:
            with transaction.atomic():
                job = start_refit(project, None, policy.fit_settings, trigger="schedule")
                append_log(job, f"started by the schedule: {new} new pair ratings since the last fit")
                job.save(update_fields=["log"])
            started.append(job.pk)
    for ws in WeightSet.objects.filter(status=WeightSet.Status.ACTIVE, project__archived=False).select_related(
        "project"
    ):
        busy = Job.objects.filter(
            project=ws.project, kind=Job.Kind.SCORE, state__in=(Job.State.QUEUED, Job.State.RUNNING)
        ).exists()
        if not busy and _asset_ids_to_score(ws.project, ws, incremental=True):
            with transaction.atomic():
                scored.append(
                    create_job(Job.Kind.SCORE, {"weight_set": ws.pk, "incremental": True}, project=ws.project).pk
                )
    return {"refits": started, "score_jobs": scored}


def policy_of(project: Project) -> RefitPolicy:
    policy, _ = RefitPolicy.objects.get_or_create(project=project, defaults={"fit_settings": {}})
    return policy
