"""Weight sets, refits, refit policies and asset scores: thin views over ``refit`` and ``sets``.

Who: the project's managers and researchers (and staff) read and act; everybody else gets 404
for a project they are not in and 403 for one where their role does not allow it.
"""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator import permissions as perms
from annotator.models import Asset, Project
from annotator.pagination import Pagination
from worker.jobs.serializers import JobSerializer
from worker.models import AssetScore, RefitPolicy, WeightSet

from . import refit, sets
from .public import public_weight_vector
from .scoring import weight_vector_from_dict
from .types import WeightsError


def _project(request, project_id: int) -> Project:
    project = get_object_or_404(Project.objects.select_related("checklist_version"), pk=project_id)
    if not perms.is_member(request.user, project):
        raise Http404
    if not perms.can_research(request.user, project):
        raise PermissionDenied("Only the project's managers and researchers can see and change its weights.")
    return project


class WeightSetSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    promoted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    dimensions = serializers.SerializerMethodField()

    class Meta:
        model = WeightSet
        fields = [
            "id",
            "project",
            "version",
            "label",
            "status",
            "source",
            "checklist_version",
            "encoding",
            "normalization",
            "intercept",
            "coefficients",
            "extra",
            "extra_defaults",
            "gates",
            "dimensions",
            "fit_settings",
            "data_counts",
            "metrics",
            "decision",
            "job",
            "created_by",
            "created_at",
            "promoted_at",
            "promoted_by",
        ]
        read_only_fields = fields

    def get_dimensions(self, obj) -> list:
        """The weights grouped by dimension, in checklist order, with each question's text."""
        checklist = obj.checklist_version.checklist
        contribution = (obj.metrics or {}).get("dimension_contribution") or {}
        return [
            {
                "key": dimension.key,
                "title": dimension.title,
                "total_weight": sum(q["weight"] for q in questions),
                "contribution": contribution.get(dimension.key),
                "questions": questions,
            }
            for dimension, questions in sets.weights_by_dimension(checklist, obj.coefficients)
        ]


class WeightSetCreateSerializer(serializers.Serializer):
    """Either ``{"source": "public"}`` (the published VisionReward weights of the project's
    built-in checklist) or an upload: ``coefficients`` keyed by question key, and optionally
    encoding, normalization, intercept, extra, extra_defaults, gates."""

    source = serializers.ChoiceField(choices=["public", "uploaded"], default="uploaded")
    which = serializers.ChoiceField(choices=["full", "select"], default="full", required=False)
    label = serializers.CharField(max_length=200, required=False, allow_blank=True)
    coefficients = serializers.DictField(child=serializers.JSONField(), required=False)
    encoding = serializers.CharField(required=False)
    normalization = serializers.CharField(required=False)
    intercept = serializers.JSONField(required=False)
    extra = serializers.DictField(required=False)
    extra_defaults = serializers.DictField(required=False)
    gates = serializers.DictField(required=False)


class RefitRequestSerializer(serializers.Serializer):
    """Refit settings; every field is optional (defaults in docs/weights.md)."""

    features = serializers.ChoiceField(choices=refit.CHOICES["features"], required=False)
    solver = serializers.ChoiceField(choices=refit.CHOICES["solver"], required=False)
    l2 = serializers.FloatField(required=False)
    l1 = serializers.FloatField(required=False)
    encoding = serializers.ChoiceField(choices=refit.CHOICES["encoding"], required=False)
    test_fraction = serializers.FloatField(required=False)
    seed = serializers.IntegerField(required=False)
    promote = serializers.ChoiceField(choices=refit.CHOICES["promote"], required=False)
    min_pairs = serializers.IntegerField(required=False)
    promote_without_holdout = serializers.BooleanField(
        required=False, help_text="Promote the result even when no held-out pair measured it (default false)."
    )
    label = serializers.CharField(required=False)


class RefitReadinessSerializer(serializers.Serializer):
    """Whether a refit with these settings can run (``can_start``, else ``reasons``) and be
    measured on held-out pairs (``can_measure``, else ``warnings``)."""

    rated_pairs = serializers.IntegerField()
    usable_pairs = serializers.IntegerField()
    decisive_pairs = serializers.IntegerField()
    prompts = serializers.IntegerField()
    train_pairs = serializers.IntegerField()
    train_decisive = serializers.IntegerField()
    held_out_pairs = serializers.IntegerField()
    held_out_decisive = serializers.IntegerField()
    held_out_prompts = serializers.IntegerField()
    min_pairs = serializers.IntegerField()
    test_fraction = serializers.FloatField()
    can_start = serializers.BooleanField()
    can_measure = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())
    warnings = serializers.ListField(child=serializers.CharField())


class RefitPolicySerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    min_new_pairs = serializers.IntegerField(min_value=1, max_value=2_147_483_647)  # the column's range
    settings = serializers.DictField()
    new_pairs = serializers.IntegerField(read_only=True)
    last_fit_at = serializers.DateTimeField(read_only=True, allow_null=True)


def _settings_error(exc: refit.RefitSettingsError) -> ValidationError:
    return ValidationError(exc.errors)


class WeightSetListView(APIView):
    serializer_class = WeightSetSerializer

    @extend_schema(
        operation_id="projects_weight_sets_list",
        summary="The project's weight sets, newest first",
        responses={200: WeightSetSerializer(many=True)},
    )
    def get(self, request, project_id: int):
        project = _project(request, project_id)
        rows = (
            WeightSet.objects.filter(project=project)
            .select_related("checklist_version", "created_by", "promoted_by")
            .order_by("-version")
        )
        status_filter = request.query_params.get("status")
        if status_filter:
            if status_filter not in WeightSet.Status.values:
                raise ValidationError({"status": [f"Must be one of {', '.join(WeightSet.Status.values)}."]})
            rows = rows.filter(status=status_filter)
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(WeightSetSerializer(page, many=True).data)

    @extend_schema(
        operation_id="projects_weight_sets_create",
        summary="Add a weight set (the published VisionReward weights, or uploaded coefficients) as a candidate",
        request=WeightSetCreateSerializer,
        responses={
            201: WeightSetSerializer,
            200: OpenApiResponse(
                WeightSetSerializer, description="The same weights are already a version: that one, with `message`."
            ),
            400: OpenApiResponse(description="The message names the field or key."),
        },
    )
    def post(self, request, project_id: int):
        project = _project(request, project_id)
        body = WeightSetCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        unknown = (
            sorted(set(request.data) - set(WeightSetCreateSerializer().fields))
            if isinstance(request.data, dict)
            else []
        )
        if unknown:
            raise ValidationError({key: [f"Unknown field `{key}`."] for key in unknown})
        checklist = project.checklist_version.checklist
        try:
            if data["source"] == "public":
                vector = public_weight_vector(checklist, data.get("which", "full"))
                label = data.get("label") or f"VisionReward published weights ({data.get('which', 'full')})"
                source = WeightSet.Source.PUBLIC
            else:
                if "coefficients" not in data:
                    raise ValidationError({"coefficients": ["This field is required for an upload."]})
                fields = {
                    k: request.data[k]
                    for k in (
                        "coefficients",
                        "encoding",
                        "normalization",
                        "intercept",
                        "extra",
                        "extra_defaults",
                        "gates",
                    )
                    if k in request.data
                }
                vector = weight_vector_from_dict(fields)
                label = data.get("label") or ""
                source = WeightSet.Source.UPLOADED
            existing = sets.identical_weight_set(project, vector)
            if existing is not None:
                # the same weights again (e.g. the published ones loaded twice): no second version
                body = WeightSetSerializer(existing).data
                body["message"] = (
                    f"These weights are already version {existing.version} ({existing.status}); "
                    "no new version was made."
                )
                return Response(body, status=status.HTTP_200_OK)
            ws = sets.create_weight_set(project, vector, source=source, user=request.user, label=label)
        except WeightsError as exc:
            raise ValidationError({exc.field or "coefficients": [str(exc)]})
        return Response(WeightSetSerializer(ws).data, status=status.HTTP_201_CREATED)


def _weight_set(request, project_id: int, weight_set_id: int) -> WeightSet:
    project = _project(request, project_id)
    return get_object_or_404(
        WeightSet.objects.select_related("checklist_version", "project"), pk=weight_set_id, project=project
    )


class WeightSetDetailView(APIView):
    serializer_class = WeightSetSerializer

    @extend_schema(operation_id="projects_weight_sets_retrieve", responses={200: WeightSetSerializer})
    def get(self, request, project_id: int, weight_set_id: int):
        return Response(WeightSetSerializer(_weight_set(request, project_id, weight_set_id)).data)


class WeightSetPromoteView(APIView):
    serializer_class = WeightSetSerializer

    @extend_schema(
        operation_id="projects_weight_sets_promote",
        summary="Make this weight set the active one (the active one retires); scores are recomputed in the background",
        request=None,
        responses={200: WeightSetSerializer, 400: OpenApiResponse(description="It cannot be promoted (why).")},
    )
    def post(self, request, project_id: int, weight_set_id: int):
        ws = _weight_set(request, project_id, weight_set_id)
        if ws.status == WeightSet.Status.ACTIVE:
            raise ValidationError({"status": [f"Weight set {ws.version} is already active."]})
        try:
            row, job = sets.promote(ws, request.user, reason=f"promoted by {request.user.get_username()}")
        except sets.PromotionError as exc:
            raise ValidationError({"checklist_version": [str(exc)]})
        response = Response(WeightSetSerializer(row).data)
        response["X-Score-Job"] = str(job.pk)
        return response


class WeightSetRetireView(APIView):
    serializer_class = WeightSetSerializer

    @extend_schema(
        operation_id="projects_weight_sets_retire",
        summary="Retire this weight set (the project then has no active set until another is promoted)",
        request=None,
        responses={200: WeightSetSerializer},
    )
    def post(self, request, project_id: int, weight_set_id: int):
        ws = _weight_set(request, project_id, weight_set_id)
        if ws.status == WeightSet.Status.RETIRED:
            raise ValidationError({"status": [f"Weight set {ws.version} is already retired."]})
        return Response(WeightSetSerializer(sets.retire(ws)).data)


class RefitView(APIView):
    serializer_class = RefitRequestSerializer

    @extend_schema(
        operation_id="projects_refit_create",
        summary="Start a refit job with these settings",
        request=RefitRequestSerializer,
        responses={202: JobSerializer, 400: OpenApiResponse(description="The message names the bad setting.")},
    )
    def post(self, request, project_id: int):
        project = _project(request, project_id)
        if not isinstance(request.data, dict):
            raise ValidationError({"settings": ["Expected a JSON object of refit settings."]})
        data = dict(request.data)
        label = data.pop("label", "")
        if not isinstance(label, str) or len(label) > 200:
            raise ValidationError({"label": ["Must be a string of at most 200 characters."]})
        running = refit.active_refit(project)
        if running is not None:
            raise ValidationError({"detail": f"Refit job {running.pk} of this project is still {running.state}."})
        try:
            ready = refit.refit_readiness_of(project, data)
            if not ready.can_start:
                # what must fail is refused here, with the reason, rather than started and failed
                field = (
                    "min_pairs"
                    if ready.usable_pairs < ready.min_pairs
                    else "test_fraction"
                    if ready.decisive_pairs
                    else "pairs"
                )
                raise ValidationError({field: ready.reasons})
            with transaction.atomic():
                job = refit.start_refit(project, request.user, data, label=label)
        except refit.RefitSettingsError as exc:
            raise _settings_error(exc)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


# query parameters of the readiness: the settings that decide which pairs count and the split
_READINESS_PARAMS = {"features": str, "test_fraction": float, "seed": int, "min_pairs": int}


class RefitReadinessView(APIView):
    serializer_class = RefitReadinessSerializer

    @extend_schema(
        operation_id="projects_refit_readiness_retrieve",
        summary="Whether a refit can run and be measured now: rated, usable and decisive pairs, prompts, "
        "how many would be held out, and why not",
        parameters=[OpenApiParameter(name, kind) for name, kind in _READINESS_PARAMS.items()],
        responses={200: RefitReadinessSerializer},
    )
    def get(self, request, project_id: int):
        project = _project(request, project_id)
        # the policy's settings, overridden by the query (the screen sends its form's settings)
        settings = dict(refit.policy_of(project).fit_settings or {})
        errors = {}
        for name, kind in _READINESS_PARAMS.items():
            raw = request.query_params.get(name)
            if raw is None:
                continue
            try:
                settings[name] = kind(raw)
            except ValueError:
                errors[name] = [f"Must be {'an integer' if kind is int else 'a number'} (got {raw!r})."]
        if errors:
            raise ValidationError(errors)
        try:
            ready = refit.refit_readiness_of(project, settings)
        except refit.RefitSettingsError as exc:
            raise _settings_error(exc)
        return Response(RefitReadinessSerializer(ready.to_dict()).data)


def _policy_data(project: Project, policy: RefitPolicy) -> dict:
    last = refit.last_fit_at(project)
    return {
        "enabled": policy.enabled,
        "min_new_pairs": policy.min_new_pairs,
        "settings": refit.refit_settings(policy.fit_settings),
        "new_pairs": refit.labelled_pairs_since(project, last),
        "last_fit_at": last,
    }


class RefitPolicyView(APIView):
    serializer_class = RefitPolicySerializer

    @extend_schema(operation_id="projects_refit_policy_retrieve", responses={200: RefitPolicySerializer})
    def get(self, request, project_id: int):
        project = _project(request, project_id)
        return Response(RefitPolicySerializer(_policy_data(project, refit.policy_of(project))).data)

    @extend_schema(
        operation_id="projects_refit_policy_update",
        summary="When the periodic refit refits this project, and with which settings",
        request=RefitPolicySerializer,
        responses={200: RefitPolicySerializer},
    )
    def put(self, request, project_id: int):
        project = _project(request, project_id)
        body = RefitPolicySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            settings = refit.refit_settings(body.validated_data["settings"])
        except refit.RefitSettingsError as exc:
            raise ValidationError({"settings": exc.errors})
        policy = refit.policy_of(project)
        policy.enabled = body.validated_data["enabled"]
        policy.min_new_pairs = body.validated_data["min_new_pairs"]
        policy.fit_settings = {key: settings[key] for key in body.validated_data["settings"]}
        policy.updated_by = request.user
        policy.save()
        return Response(RefitPolicySerializer(_policy_data(project, policy)).data)


def _active(project: Project) -> WeightSet | None:
    return (
        WeightSet.objects.filter(project=project, status=WeightSet.Status.ACTIVE)
        .select_related("checklist_version")
        .first()
    )


def _asset_brief(asset: Asset) -> dict:
    from django.urls import reverse

    files = asset.files or {}
    thumbnail = reverse("asset-file", args=[asset.pk, "thumbnail"]) if files.get("thumbnail") else None
    return {"id": asset.pk, "prompt": asset.prompt, "kind": asset.kind, "thumbnail": thumbnail}


def _ws_brief(ws: WeightSet | None) -> dict | None:
    return None if ws is None else {"id": ws.pk, "version": ws.version, "label": ws.label}


class ScoresView(APIView):
    @extend_schema(
        operation_id="projects_scores_list",
        summary="Asset scores under the active weight set",
        parameters=[
            OpenApiParameter("ordering", str, enum=["-total", "total"], description="Default: highest first."),
            OpenApiParameter("limit", int),
            OpenApiParameter("offset", int),
        ],
        responses={200: OpenApiResponse(description="{count, next, previous, results, weight_set}")},
    )
    def get(self, request, project_id: int):
        project = _project(request, project_id)
        ws = _active(project)
        ordering = request.query_params.get("ordering", "-total")
        if ordering not in ("-total", "total"):
            raise ValidationError({"ordering": ["Must be total or -total."]})
        rows = (
            AssetScore.objects.filter(weight_set=ws).select_related("asset").order_by(ordering, "asset_id")
            if ws
            else AssetScore.objects.none()
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        results = [
            {
                "asset": _asset_brief(row.asset),
                "total": row.total,
                "dimensions": row.dimensions,
                "source": row.source,
                "computed_at": row.computed_at,
            }
            for row in page
        ]
        response = paginator.get_paginated_response(results)
        response.data["weight_set"] = _ws_brief(ws)
        return response


class AssetScoreView(APIView):
    @extend_schema(
        operation_id="projects_assets_score_retrieve",
        summary="One asset's score under the active weight set, question by question",
        responses={200: OpenApiResponse(description="total, dimensions with their questions, extra features")},
    )
    def get(self, request, project_id: int, asset_id: int):
        project = _project(request, project_id)
        asset = get_object_or_404(Asset, pk=asset_id, project=project)
        ws = _active(project)
        if ws is None:
            raise NotFound("The project has no active weight set.")
        breakdown = sets.breakdown_of(asset, ws)
        if breakdown is None:
            raise NotFound("Nobody and no model has answered this asset's checklist yet.")
        return Response({"asset": _asset_brief(asset), "weight_set": _ws_brief(ws), **breakdown})


class CompareView(APIView):
    @extend_schema(
        operation_id="projects_compare_retrieve",
        summary="Compare two assets under the active weight set: which is preferred, by how much, per dimension",
        parameters=[OpenApiParameter("a", int, required=True), OpenApiParameter("b", int, required=True)],
        responses={200: OpenApiResponse(description="{a, b, difference, dimensions, preferred}")},
    )
    def get(self, request, project_id: int):
        project = _project(request, project_id)
        ids = {}
        errors = {}
        for name in ("a", "b"):
            raw = request.query_params.get(name)
            if raw is None or not raw.isdecimal():  # isdigit() admits "²", which int() refuses
                errors[name] = [f"Give asset {name.upper()} as ?{name}=<asset id>."]
            else:
                ids[name] = int(raw)
        if not errors and ids["a"] == ids["b"]:
            errors["b"] = ["Choose two different assets."]
        if errors:
            raise ValidationError(errors)
        ws = _active(project)
        if ws is None:
            raise NotFound("The project has no active weight set.")
        out = {"weight_set": _ws_brief(ws)}
        for name, asset_id in ids.items():
            asset = Asset.objects.filter(pk=asset_id, project=project).first()
            if asset is None:
                raise NotFound(f"Asset {name.upper()} ({asset_id}) is not an asset of this project.")
            breakdown = sets.breakdown_of(asset, ws)
            if breakdown is None:
                raise NotFound(f"Asset {name.upper()} ({asset_id}) has no answers and no prediction yet.")
            out[name] = {
                "asset": _asset_brief(asset),
                "total": breakdown["total"],
                "source": breakdown["source"],
                "dimensions": {d["key"]: d["score"] for d in breakdown["dimensions"]},
            }
        difference = out["a"]["total"] - out["b"]["total"]
        keys = list(dict.fromkeys([*out["a"]["dimensions"], *out["b"]["dimensions"]]))
        out["difference"] = difference
        out["dimensions"] = {k: out["a"]["dimensions"].get(k, 0.0) - out["b"]["dimensions"].get(k, 0.0) for k in keys}
        out["preferred"] = "a" if difference > 0 else "b" if difference < 0 else "tie"
        return Response(out)
