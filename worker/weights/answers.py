"""Features and pair labels read from the database, shared by refits, scoring, exports and
evaluations: each asset's consensus (or reviewed gold) answers or latest P(yes) as
``AssetFeatures``, asset extras from metadata, and the ratings of pair tasks.

The math on them is pure and lives beside this module (``features``, ``fit``, ``scoring``)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from annotator.models import Annotation, GoldAnswer, Prediction, Project, Task

from .features import consensus_features, features_from_annotation, features_from_p_yes
from .types import AssetFeatures

ANSWERED = (Annotation.State.SUBMITTED, Annotation.State.REVIEWED)


@dataclass(frozen=True)
class PairLabel:
    task_id: int
    asset_a: int
    asset_b: int
    prompt: str
    ratings: tuple[int, ...]  # 1 = A much better … 3 = no preference … 5 = B much better
    gold: int | None  # a reviewer's rating, which replaces the annotators' ones


def pair_labels(project: Project) -> list[PairLabel]:
    """Every pair task of the project with at least one rating (submitted or reviewed, or gold)."""
    ratings: dict[int, list[int]] = defaultdict(list)
    for task_id, preference in (
        Annotation.objects.filter(project=project, task__kind=Task.Kind.PAIR, state__in=ANSWERED)
        .exclude(preference__isnull=True)
        .order_by("task_id", "id")
        .values_list("task_id", "preference")
    ):
        ratings[task_id].append(preference)
    gold = dict(
        GoldAnswer.objects.filter(project=project, task__kind=Task.Kind.PAIR)
        .exclude(preference__isnull=True)
        .values_list("task_id", "preference")
    )
    ids = set(ratings) | set(gold)
    out = []
    for task_id, a, b, prompt in (
        Task.objects.filter(pk__in=ids).order_by("id").values_list("id", "asset_id", "asset_b_id", "asset__prompt")
    ):
        out.append(PairLabel(task_id, a, b, prompt or "", tuple(ratings.get(task_id, ())), gold.get(task_id)))
    return out


def label_of(pair: PairLabel, rule: str = "mean", sample_weight: str = "raters") -> tuple[float, float]:
    """(label, weight) of a pair: label 1 = A preferred, 0 = B preferred, 0.5 = tie.

    ``mean``: the mean rating decides (below 3: A, above 3: B, exactly 3: a tie), as the paper's
    test labels. ``soft``: the share of decisive raters preferring A (a tie when they split
    evenly or nobody was decisive). A reviewer's gold rating replaces the annotators' ratings.
    Weights: ``raters`` one unit per rating, ``strength`` |mean − 3| / 2, ``none`` 1.
    """
    ratings = (pair.gold,) if pair.gold is not None else pair.ratings
    mean = sum(ratings) / len(ratings)
    if rule == "soft":
        a = sum(1 for r in ratings if r < 3)
        b = sum(1 for r in ratings if r > 3)
        label = 0.5 if a == b else a / (a + b)
    else:
        label = 1.0 if mean < 3 else 0.0 if mean > 3 else 0.5
    if sample_weight == "raters":
        weight = float(len(ratings))
    elif sample_weight == "strength":
        weight = abs(mean - 3) / 2
    else:
        weight = 1.0
    return label, weight


def human_features(project: Project, checklist_version, asset_ids: Iterable[int] | None = None) -> dict:
    """asset id → (features, newest answer time) from people's answers on the asset's single
    tasks: a reviewed gold answer where there is one, else the consensus of the annotations."""
    checklist = checklist_version.checklist
    tasks = Task.objects.filter(project=project, kind=Task.Kind.SINGLE)
    if asset_ids is not None:
        tasks = tasks.filter(asset_id__in=list(asset_ids))
    gold: dict[int, tuple] = {}
    for asset_id, answers, mask, updated in (
        GoldAnswer.objects.filter(task__in=tasks, checklist_version=checklist_version)
        .order_by("updated_at")
        .values_list("task__asset_id", "answers", "mask", "updated_at")
    ):
        gold[asset_id] = (features_from_annotation(checklist, answers, mask), updated)
    rows: dict[int, list] = defaultdict(list)
    newest: dict[int, object] = {}
    for asset_id, answers, mask, at in (
        Annotation.objects.filter(task__in=tasks, state__in=ANSWERED, checklist_version=checklist_version)
        .exclude(task__asset_id__in=list(gold))
        .order_by("id")
        .values_list("task__asset_id", "answers", "mask", "updated_at")
    ):
        rows[asset_id].append((answers, mask))
        newest[asset_id] = max(newest.get(asset_id, at), at)
    out = {asset_id: (consensus_features(checklist, pairs), newest[asset_id]) for asset_id, pairs in rows.items()}
    out.update(gold)
    return out


def model_features(project: Project, checklist_version, asset_ids: Iterable[int] | None = None) -> dict:
    """asset id → (features, prediction time) from the latest prediction of each asset."""
    checklist = checklist_version.checklist
    predictions = Prediction.objects.filter(asset__project=project, checklist_version=checklist_version)
    if asset_ids is not None:
        predictions = predictions.filter(asset_id__in=list(asset_ids))
    out: dict = {}
    for asset_id, p_yes, at in predictions.order_by("asset_id", "-created_at", "-id").values_list(
        "asset_id", "p_yes", "created_at"
    ):
        if asset_id not in out:
            out[asset_id] = (features_from_p_yes(checklist, p_yes), at)
    return out


def asset_features(project: Project, checklist_version, source: str, asset_ids=None) -> dict:
    if source == "model":
        return model_features(project, checklist_version, asset_ids)
    return human_features(project, checklist_version, asset_ids)


def with_asset_extra(features: AssetFeatures, metadata: dict | None, names: Iterable[str]) -> AssetFeatures:
    """Extra features ``names`` (e.g. alignment) come from the asset's metadata when it has them."""
    if not names or not metadata:
        return features
    extra = {name: float(metadata[name]) for name in names if _is_number(metadata.get(name))}
    return AssetFeatures(yes=features.yes, applicable=features.applicable, extra=extra) if extra else features


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
