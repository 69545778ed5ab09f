"""Model predictions of a project's assets: posted by managers (or their scripts), listed for members.

``POST /api/projects/{project_id}/predictions/`` takes one prediction or
``{"predictions": [...]}`` (all saved, or none); every error names its field, batch errors
their index (``predictions[3].p_yes.q7``).
"""

from __future__ import annotations

from collections.abc import Mapping

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from . import permissions as perms
from .models import Asset, Prediction, Project
from .serializers import PredictionBatchSerializer, PredictionInputSerializer, PredictionSerializer
from .services.predictions import (
    MAX_BATCH,
    PredictionInput,
    prediction_errors,
    record_prediction,
    record_predictions,
)
from .views import get_visible_project

BATCH_HINT = 'send one prediction, or {"predictions": [one or more predictions]}'


class PredictionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Model predictions (P(yes) per question, and the options they imply) for the project's assets."""

    serializer_class = PredictionSerializer
    http_method_names = ["get", "post"]

    def get_project(self) -> Project:
        if not hasattr(self, "_project"):
            self._project = get_visible_project(self.request.user, self.kwargs["project_pk"])
        return self._project

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Prediction.objects.none()
        project = self.get_project()
        predictions = Prediction.objects.filter(asset__project=project).order_by("-created_at", "-id")
        asset = self.request.query_params.get("asset")
        if asset not in (None, ""):
            if not asset.isdecimal():  # isdigit() admits "²", which int() refuses
                raise ValidationError({"asset": [f"must be an asset id (an integer), got {asset!r}"]})
            predictions = predictions.filter(asset_id=int(asset))
        model_name = self.request.query_params.get("model_name")
        if model_name and "\x00" in model_name:  # PostgreSQL text cannot hold NUL: the query would fail
            raise ValidationError({"model_name": ["Null characters are not allowed."]})
        if model_name:
            predictions = predictions.filter(model_name=model_name)
        return predictions

    @extend_schema(
        parameters=[
            OpenApiParameter("asset", int, description="Only this asset's predictions."),
            OpenApiParameter("model_name", str, description="Only this model's predictions."),
        ]
    )
    def list(self, request, *args, **kwargs):
        """Predictions of the project's assets, newest first (members)."""
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=PolymorphicProxySerializer(
            component_name="PredictionCreate",
            serializers=[PredictionInputSerializer, PredictionBatchSerializer],
            resource_type_field_name=None,
        ),
        responses={
            201: OpenApiResponse(
                response={
                    "oneOf": [
                        {"$ref": "#/components/schemas/Prediction"},
                        {"type": "array", "items": {"$ref": "#/components/schemas/Prediction"}},
                    ]
                },
                description="The prediction; a list of them (in request order) for a batch.",
            ),
            400: OpenApiResponse(description="Invalid input; `errors` names each field (and index in a batch)."),
            403: OpenApiResponse(description="Only the project's managers (and admins) post predictions."),
        },
    )
    def create(self, request, *args, **kwargs):
        """Record a model's prediction for an asset of the project (201 with it), or a batch
        ``{"predictions": [...]}`` (201 with the list; all saved, or none). ``p_yes`` needs a
        probability for every question of the project's checklist version."""
        project = self.get_project()
        if not perms.can_manage(request.user, project):
            raise PermissionDenied("Only the project's managers can post predictions.")
        data = request.data
        if isinstance(data, Mapping) and "predictions" in data:
            items = data["predictions"]
            if set(data) - {"predictions"}:
                raise ValidationError({"predictions": [f"a batch takes only `predictions`: {BATCH_HINT}"]})
            if not isinstance(items, list) or not items:
                raise ValidationError({"predictions": [f"must be a non-empty list: {BATCH_HINT}"]})
            if len(items) > MAX_BATCH:
                raise ValidationError({"predictions": [f"at most {MAX_BATCH} per request (got {len(items)})"]})
            entries, errors = self._entries(project, items)
            if any(errors):
                raise ValidationError({"predictions": errors})
            rows = record_predictions(entries, project.checklist_version, created_by=request.user)
            return Response(PredictionSerializer(rows, many=True).data, status=status.HTTP_201_CREATED)
        entries, errors = self._entries(project, [data])
        if errors[0]:
            raise ValidationError(errors[0])
        entry = entries[0]
        row = record_prediction(
            entry.asset,
            project.checklist_version,
            entry.model_name,
            entry.p_yes,
            model_version=entry.model_version,
            created_by=request.user,
        )
        return Response(PredictionSerializer(row).data, status=status.HTTP_201_CREATED)

    def _entries(self, project: Project, items: list) -> tuple[list[PredictionInput], list[dict]]:
        """Checked inputs, and per item its errors (``{}`` when fine), in item order."""
        bodies = [PredictionInputSerializer(data=item) for item in items]
        valid = [body.is_valid() for body in bodies]
        wanted = {body.validated_data["asset"] for body, ok in zip(bodies, valid, strict=True) if ok}
        assets = Asset.objects.filter(project=project).in_bulk(wanted)
        checklist_version = project.checklist_version
        entries: list[PredictionInput] = []
        errors: list[dict] = []
        for body, ok in zip(bodies, valid, strict=True):
            if not ok:
                errors.append(dict(body.errors))
                continue
            data = body.validated_data
            asset = assets.get(data["asset"])
            if asset is None:
                errors.append({"asset": [f"{data['asset']} is not an asset of project {project.pk}"]})
                continue
            problems = prediction_errors(
                asset, checklist_version, data["model_name"], data["p_yes"], data["model_version"]
            )
            errors.append(problems)
            if not problems:
                entries.append(PredictionInput(asset, data["model_name"], data["p_yes"], data["model_version"]))
        return entries, errors
