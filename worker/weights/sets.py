"""Weight sets in the database: the vector of a stored set, new candidates, promotion (which
starts a scoring job) and retirement, and one asset's score broken down question by question."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from annotator.models import Asset, Project
from annotator.webhooks import events, outbox
from worker.jobs import create_job
from worker.models import Job, WeightSet

from .answers import human_features, model_features, with_asset_extra
from .features import checklist_dimensions, encode_many
from .scoring import score, validate_weight_vector
from .types import WeightVector


def weight_vector(ws: WeightSet, checklist=None) -> WeightVector:
    checklist = checklist or ws.checklist_version.checklist
    return WeightVector(
        coefficients={k: float(v) for k, v in ws.coefficients.items()},
        encoding=ws.encoding,
        normalization=ws.normalization,
        intercept=float(ws.intercept),
        extra={k: float(v) for k, v in (ws.extra or {}).items()},
        extra_defaults={k: float(v) for k, v in (ws.extra_defaults or {}).items()},
        gates=dict(ws.gates or {}),
        dimensions=checklist_dimensions(checklist),
    )


def next_version(project: Project) -> int:
    """The next weight-set number of the project (call inside a transaction that locked the project)."""
    return (WeightSet.objects.filter(project=project).aggregate(v=Max("version"))["v"] or 0) + 1


def identical_weight_set(project: Project, vector: WeightVector) -> WeightSet | None:
    """The project's weight set for its current checklist version with exactly these weights and
    scoring settings (coefficients, encoding, normalization, intercept, extras, gates), if any."""
    rows = WeightSet.objects.filter(
        project=project,
        checklist_version=project.checklist_version,
        encoding=vector.encoding,
        normalization=vector.normalization,
    ).order_by("version")
    wanted = (
        float(vector.intercept),
        {k: float(v) for k, v in vector.coefficients.items()},
        {k: float(v) for k, v in vector.extra.items()},
        {k: float(v) for k, v in vector.extra_defaults.items()},
        dict(vector.gates),
    )
    for ws in rows:
        stored = (
            float(ws.intercept),
            {k: float(v) for k, v in (ws.coefficients or {}).items()},
            {k: float(v) for k, v in (ws.extra or {}).items()},
            {k: float(v) for k, v in (ws.extra_defaults or {}).items()},
            dict(ws.gates or {}),
        )
        if stored == wanted:
            return ws
    return None


def create_weight_set(
    project: Project, vector: WeightVector, *, source: str, user=None, label="", **fields
) -> WeightSet:
    """Validate ``vector`` against the project's checklist and store it as a new candidate."""
    checklist_version = project.checklist_version
    validate_weight_vector(vector, checklist_version.checklist)
    with transaction.atomic():
        Project.objects.select_for_update().filter(pk=project.pk).first()
        version = next_version(project)
        return WeightSet.objects.create(
            project=project,
            version=version,
            label=label or f"{source} {version}",
            checklist_version=checklist_version,
            source=source,
            encoding=vector.encoding,
            normalization=vector.normalization,
            intercept=vector.intercept,
            coefficients=dict(vector.coefficients),
            extra=dict(vector.extra),
            extra_defaults=dict(vector.extra_defaults),
            gates=dict(vector.gates),
            created_by=user if user is not None and getattr(user, "is_authenticated", False) else None,
            **fields,
        )


# --- promotion and scoring ----------------------------------------------------------------------


class PromotionError(ValueError):
    pass


def promote(ws: WeightSet, user=None, reason: str = "") -> tuple[WeightSet, Job]:
    """Make ``ws`` the project's active weight set (the active one retires) and start a job that
    recomputes the scores of all assets. Returns (weight set, score job)."""
    with transaction.atomic():
        rows = list(WeightSet.objects.select_for_update().filter(project_id=ws.project_id).order_by("id"))
        row = next((r for r in rows if r.pk == ws.pk), None)
        if row is None:
            raise PromotionError(f"weight set {ws.pk} no longer exists")
        if row.checklist_version_id != row.project.checklist_version_id:
            raise PromotionError(
                f"weight set {row.version} was made for checklist version {row.checklist_version_id}; "
                f"the project now uses {row.project.checklist_version_id}"
            )
        for other in rows:
            if other.status == WeightSet.Status.ACTIVE and other.pk != row.pk:
                other.status = WeightSet.Status.RETIRED
                other.save(update_fields=["status"])
        row.status = WeightSet.Status.ACTIVE
        row.promoted_at = timezone.now()
        row.promoted_by = user if user is not None and getattr(user, "is_authenticated", False) else None
        if reason:
            row.decision = reason
        row.save(update_fields=["status", "promoted_at", "promoted_by", "decision"])
        job = create_job(Job.Kind.SCORE, {"weight_set": row.pk}, project=row.project, user=user)
        outbox.emit(
            row.project,
            events.WEIGHT_SET_PROMOTED,
            {
                "weight_set": {
                    "id": row.pk,
                    "version": row.version,
                    "promoted_at": row.promoted_at.isoformat(),
                    "promoted_by": row.promoted_by_id,
                    "url": outbox.api_url(f"/api/projects/{row.project_id}/weight-sets/{row.pk}/"),
                },
                "score_job": {"id": job.pk, "url": outbox.api_url(f"/api/jobs/{job.pk}/")},
            },
        )
    return row, job


def retire(ws: WeightSet) -> WeightSet:
    with transaction.atomic():
        row = WeightSet.objects.select_for_update().get(pk=ws.pk)
        row.status = WeightSet.Status.RETIRED
        row.save(update_fields=["status"])
    return row


def weights_by_dimension(checklist, coefficients: dict) -> list[tuple]:
    """(dimension, [{key, text, sub_dimension, weight}]) in checklist order, for the dimensions
    that have weighted questions."""
    out = []
    for dimension in checklist.dimensions:
        questions = [
            {"key": q.key, "text": q.text, "sub_dimension": q.sub_dimension, "weight": coefficients[q.key]}
            for q in dimension.questions
            if q.key in coefficients
        ]
        if questions:
            out.append((dimension, questions))
    return out


def breakdown_of(asset: Asset, ws: WeightSet) -> dict | None:
    """The score of one asset under ``ws`` with each question's part; None without answers."""
    checklist = ws.checklist_version.checklist
    vector = weight_vector(ws, checklist)
    source = "human"
    found = human_features(asset.project, ws.checklist_version, [asset.pk]).get(asset.pk)
    if found is None:
        source = "model"
        found = model_features(asset.project, ws.checklist_version, [asset.pk]).get(asset.pk)
    if found is None:
        return None
    features = with_asset_extra(found[0], asset.metadata, ws.extra)
    result = score(features, vector)
    values = dict(
        zip(
            vector.coefficients,
            encode_many([features], list(vector.coefficients), vector.encoding, gates=vector.gates or None)[0].tolist(),
            strict=True,
        )
    )
    dimensions = [
        {
            "key": dimension.key,
            "title": dimension.title,
            "score": result.dimensions.get(dimension.key, 0.0),
            "questions": [
                {**q, "value": values[q["key"]], "contribution": result.contributions.get(q["key"], 0.0)}
                for q in questions
            ],
        }
        for dimension, questions in weights_by_dimension(checklist, vector.coefficients)
    ]
    extra = [
        {
            "name": name,
            "value": features.extra.get(name, vector.extra_defaults.get(name)),
            "weight": weight,
            "contribution": result.extra.get(name, 0.0),
        }
        for name, weight in vector.extra.items()
    ]
    return {
        "total": result.total,
        "source": source,
        "intercept": vector.intercept,
        "dimensions": dimensions,
        "extra": extra,
    }
