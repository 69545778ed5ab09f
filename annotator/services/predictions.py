"""Model predictions (P(yes) per question) for assets: validation, storage, lookup.

A prediction is written by a model worker (``job_id``) or posted through the API; its
``options`` (most likely option and confidence per sub-dimension) are derived once, when it
is written, by :func:`annotator.checklist.options_from_p_yes`, and shown to annotators as a
pre-fill. Writing one also sets the asset's single task's ``uncertainty`` (the mean binary
entropy of its P(yes), :func:`annotator.agreement.mean_binary_entropy`), which projects that
prefer uncertain items claim by. Predictions are never edited: a new run writes a new row and the latest one wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import OuterRef, Subquery

from ..agreement import mean_binary_entropy
from ..checklist import options_from_p_yes, validate_p_yes
from ..models import Asset, ChecklistVersion, Prediction, Task
from .errors import AssignmentError

MODEL_NAME_MAX = Prediction._meta.get_field("model_name").max_length
MODEL_VERSION_MAX = Prediction._meta.get_field("model_version").max_length
MAX_BATCH = 1000


class PredictionError(AssignmentError):
    """Invalid prediction input; ``errors`` names the fields (the API answers 400)."""


@dataclass(frozen=True)
class PredictionInput:
    """One prediction to record (the arguments of :func:`record_prediction`)."""

    asset: Asset
    model_name: str
    p_yes: dict
    model_version: str = ""
    job_id: int | None = None


def prediction_errors(
    asset: Asset, checklist_version: ChecklistVersion, model_name: str, p_yes, model_version: str = ""
) -> dict:
    """Every problem with one prediction, as ``{field: [messages]}`` (``p_yes`` problems keyed
    by question key: ``{"p_yes": {"q7": [...]}}``); empty when it can be recorded."""
    errors: dict = {}
    if not isinstance(model_name, str) or not model_name.strip():
        errors["model_name"] = ["This field may not be blank."]
    elif len(model_name) > MODEL_NAME_MAX:
        errors["model_name"] = [f"Ensure this field has no more than {MODEL_NAME_MAX} characters."]
    if not isinstance(model_version, str):
        errors["model_version"] = ["Not a valid string."]
    elif len(model_version) > MODEL_VERSION_MAX:
        errors["model_version"] = [f"Ensure this field has no more than {MODEL_VERSION_MAX} characters."]
    if asset.kind != checklist_version.media_type:
        errors["asset"] = [
            f"asset {asset.pk} is a {asset.kind}; checklist {checklist_version} is for {checklist_version.media_type}s"
        ]
    problems = validate_p_yes(checklist_version.checklist, p_yes)
    if problems:
        p_errors: dict = {}
        whole: list[str] = []
        for problem in problems:
            if problem.path:
                p_errors.setdefault(problem.path, []).append(problem.message)
            else:
                whole.append(problem.message)
        errors["p_yes"] = whole or p_errors
    return errors


def _build(entry: PredictionInput, checklist_version: ChecklistVersion, created_by) -> Prediction:
    checklist = checklist_version.checklist
    p_yes = {q.key: float(entry.p_yes[q.key]) for q in checklist.questions}  # position order, plain floats
    return Prediction(
        asset=entry.asset,
        checklist_version=checklist_version,
        model_name=entry.model_name.strip(),
        model_version=entry.model_version.strip(),
        p_yes=p_yes,
        options=options_from_p_yes(checklist, p_yes),
        job_id=entry.job_id,
        created_by=created_by,
    )


def _set_uncertainty(predictions: Sequence[Prediction]) -> None:
    """The asset's single task(s) take the uncertainty of its latest prediction (the last of
    ``predictions`` per asset), when it is under the project's current checklist version."""
    latest: dict[int, Prediction] = {}
    for prediction in predictions:
        latest[prediction.asset_id] = prediction
    for asset_id, prediction in latest.items():
        Task.objects.filter(
            asset_id=asset_id,
            kind=Task.Kind.SINGLE,
            project__checklist_version_id=prediction.checklist_version_id,
        ).update(uncertainty=mean_binary_entropy(prediction.p_yes.values()))


def record_prediction(
    asset: Asset,
    checklist_version: ChecklistVersion,
    model_name: str,
    p_yes,
    model_version: str = "",
    job_id: int | None = None,
    created_by=None,
) -> Prediction:
    """Validate and store one prediction (every question needs a probability); raises
    :class:`PredictionError` naming the fields."""
    errors = prediction_errors(asset, checklist_version, model_name, p_yes, model_version)
    if errors:
        raise PredictionError("The prediction is invalid.", errors)
    prediction = _build(PredictionInput(asset, model_name, p_yes, model_version, job_id), checklist_version, created_by)
    with transaction.atomic():
        prediction.save()
        _set_uncertainty([prediction])
    return prediction


def record_predictions(
    entries: Sequence[PredictionInput], checklist_version: ChecklistVersion, created_by=None
) -> list[Prediction]:
    """Store several predictions, all or nothing. Raises :class:`PredictionError` with
    ``errors = {"predictions": [per-entry errors or {}]}`` (aligned with ``entries``)."""
    if len(entries) > MAX_BATCH:
        raise PredictionError(
            "Too many predictions.", {"predictions": [f"at most {MAX_BATCH} per request (got {len(entries)})"]}
        )
    per_entry = [prediction_errors(e.asset, checklist_version, e.model_name, e.p_yes, e.model_version) for e in entries]
    if any(per_entry):
        raise PredictionError("Some predictions are invalid; none was saved.", {"predictions": per_entry})
    rows = [_build(entry, checklist_version, created_by) for entry in entries]
    with transaction.atomic():
        created = Prediction.objects.bulk_create(rows)
        _set_uncertainty(created)
        return created


def latest_prediction(asset: Asset | int, checklist_version: ChecklistVersion | int) -> Prediction | None:
    """The newest prediction for the asset under this checklist version, or None."""
    asset_id = getattr(asset, "pk", asset)
    version_id = getattr(checklist_version, "pk", checklist_version)
    return (
        Prediction.objects.filter(asset_id=asset_id, checklist_version_id=version_id)
        .order_by("-created_at", "-id")
        .first()
    )


def latest_predictions(keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Prediction]:
    """The newest prediction per (asset id, checklist version id), in one query; keys without
    a prediction are absent. ``p_yes`` is not loaded (deferred)."""
    keys = set(keys)
    if not keys:
        return {}
    newest = (
        Prediction.objects.filter(asset_id=OuterRef("asset_id"), checklist_version_id=OuterRef("checklist_version_id"))
        .order_by("-created_at", "-id")
        .values("pk")[:1]
    )
    rows = Prediction.objects.filter(
        asset_id__in={asset_id for asset_id, _ in keys},
        checklist_version_id__in={version_id for _, version_id in keys},
        pk=Subquery(newest),
    ).defer("p_yes")
    found = {(row.asset_id, row.checklist_version_id): row for row in rows}
    return {key: row for key, row in found.items() if key in keys}
