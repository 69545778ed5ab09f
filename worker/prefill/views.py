"""The pre-fill endpoint and the model registry: register models, set a project's active model,
start a pre-fill job. Thin views over ``worker.prefill.job`` and ``worker.prefill.remote_code``."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator import permissions as perms
from annotator.models import Project
from worker.jobs.serializers import ImportErrorSerializer, JobSerializer
from worker.jobs.views import validation_error
from worker.models import ModelSpec, ProjectModel, RemoteCodeDecision

from . import remote_code
from .check import ModelCheckValidationError, start_model_check
from .job import PrefillValidationError, start_prefill
from .remote_code import visible_models
from .serializers import (
    ModelSpecSerializer,
    PrefillRequestSerializer,
    ProjectModelRequestSerializer,
    ProjectModelSerializer,
)

# --- pre-fill -----------------------------------------------------------------------------------


def _managed_project(request, project_id: int, what: str) -> Project:
    """The project, for a member who may manage it (404 for others, 403 for other members)."""
    project = get_object_or_404(Project, pk=project_id)
    if not perms.is_member(request.user, project):
        raise Http404
    if not perms.can_manage(request.user, project):
        raise PermissionDenied(f"Only the project's managers can {what}.")
    return project


class PrefillView(APIView):
    """Ask a model to pre-fill the checklist for a project's assets, as a background job."""

    parser_classes = [JSONParser]
    serializer_class = PrefillRequestSerializer

    @extend_schema(
        operation_id="projects_prefill_create",
        summary="Pre-fill the checklist with a model's P(yes) for the project's assets (a prefill job)",
        request=PrefillRequestSerializer,
        responses={
            202: JobSerializer,
            400: OpenApiResponse(ImportErrorSerializer, description="Nothing was created; `errors` names the field."),
            403: OpenApiResponse(description="Only the project's managers (or staff) can start a pre-fill."),
            404: OpenApiResponse(description="No such project, or you are not a member."),
        },
    )
    def post(self, request, project_id: int):
        project = _managed_project(request, project_id, "start a pre-fill")
        try:
            job = start_prefill(project, request.user, request.data)
        except PrefillValidationError as exc:
            raise validation_error(exc.detail, exc.errors)
        return Response(JobSerializer(job, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)


# --- the model registry ---------------------------------------------------------------------------


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


class ModelSpecViewSet(viewsets.ModelViewSet):
    """Registered models (question-answering VLMs) the workers can load. Staff see every one;
    managers and researchers the enabled ones and those active in their projects; annotators and
    reviewers none (a model they may not see answers 404). Staff create, edit and delete them
    (also in the Django admin). ``trust_remote_code`` on: only admins with the
    ``worker.allow_remote_code`` permission, with ``confirm_trust_remote_code: true`` (403 / 400
    otherwise); every such decision is recorded (admin: Remote code decisions). Staff test a
    model's load with ``POST /api/models/<name>/test-load/`` (a ``model_check`` job)."""

    serializer_class = ModelSpecSerializer
    queryset = ModelSpec.objects.none()
    lookup_field = "name"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    filterset_fields = ["enabled", "queue"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return ModelSpec.objects.none()
        return visible_models(self.request.user)

    def check_permissions(self, request):
        super().check_permissions(request)
        if request.method not in ("GET", "HEAD", "OPTIONS") and not request.user.is_staff:
            raise PermissionDenied("Only staff can change the model registry.")

    def perform_create(self, serializer):
        with transaction.atomic():
            spec = serializer.save()
            remote_code.record(spec, serializer.remote_code_change, self.request.user, RemoteCodeDecision.Via.API)

    def perform_update(self, serializer):
        with transaction.atomic():
            spec = serializer.save()
            remote_code.record(spec, serializer.remote_code_change, self.request.user, RemoteCodeDecision.Via.API)

    @extend_schema(
        operation_id="models_test_load",
        summary="Test-load the model on its queue's worker (a model_check job): does it load, and answer?",
        request=None,
        responses={
            202: JobSerializer,
            400: OpenApiResponse(ImportErrorSerializer, description="Nothing was created; `errors` names the field."),
            403: OpenApiResponse(description="Only staff can test-load models."),
            404: OpenApiResponse(description="No such model."),
        },
    )
    @action(detail=True, methods=["post"], url_path="test-load", parser_classes=[JSONParser])
    def test_load(self, request, name=None):
        """Start a ``model_check`` job: the model's worker loads it (``worker.prefill.loading``) and,
        unless ``{"answer": false}``, asks it one question about a generated image (``{"media":
        "video"}``: generated frames). The job's result and the model's ``last_check_*`` fields
        say whether it loaded, in how many seconds, its model version, or the load error."""
        spec = self.get_object()
        try:
            job = start_model_check(spec, request.user, request.data if request.data else None)
        except ModelCheckValidationError as exc:
            raise validation_error(exc.detail, exc.errors)
        return Response(JobSerializer(job, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)

    def perform_destroy(self, instance):
        projects = list(
            ProjectModel.objects.filter(model=instance).order_by("project_id").values_list("project_id", flat=True)
        )
        if projects:
            names = ", ".join(map(str, projects[:20]))
            raise Conflict(
                f"model {instance.name!r} is the active model of project(s) {names}; "
                "choose another model for them (or disable this one) first"
            )
        instance.delete()


def _project_model_data(project: Project, active: ProjectModel | None, request) -> dict:
    if active is None:
        return {
            "project": project.pk,
            "model": None,
            "auto_prefill": None,
            "spec": None,
            "updated_by": None,
            "updated_at": None,
        }
    return {
        "project": project.pk,
        "model": active.model.name,
        "auto_prefill": active.auto_prefill,
        "spec": (
            ModelSpecSerializer(active.model, context={"request": request}).data
            if visible_models(request.user).filter(pk=active.model_id).exists()
            else None  # members who may not see model sources (annotators, reviewers) get the name only
        ),
        "updated_by": active.updated_by.get_username() if active.updated_by else None,
        "updated_at": active.updated_at,
    }


class ProjectModelView(APIView):
    """A project's active model: pre-fill jobs use it by default and, with ``auto_prefill``,
    every finished import pre-fills its new assets. Members read; managers and staff set it."""

    parser_classes = [JSONParser]
    serializer_class = ProjectModelSerializer

    def _project(self, request, project_id: int) -> Project:
        project = get_object_or_404(Project, pk=project_id)
        if not perms.is_member(request.user, project):
            raise Http404
        return project

    def _active(self, project: Project) -> ProjectModel | None:
        return ProjectModel.objects.select_related("model", "updated_by").filter(project=project).first()

    @extend_schema(responses={200: ProjectModelSerializer})
    def get(self, request, project_id: int):
        """The active model (``model`` null when none is set). Members."""
        project = self._project(request, project_id)
        return Response(ProjectModelSerializer(_project_model_data(project, self._active(project), request)).data)

    @extend_schema(
        request=ProjectModelRequestSerializer,
        responses={200: ProjectModelSerializer, 400: ImportErrorSerializer},
    )
    def put(self, request, project_id: int):
        """Set the active model: ``{"model": name, "auto_prefill": true}``. Managers and staff."""
        project = _managed_project(request, project_id, "choose the project's model")
        data = request.data
        if not isinstance(data, dict):
            raise ValidationError({"non_field_errors": ["expected a JSON object"]})
        unknown = sorted(str(k) for k in data if k not in ("model", "auto_prefill"))
        if unknown:
            raise ValidationError({k: ["unknown field; allowed: model, auto_prefill"] for k in unknown})
        body = ProjectModelRequestSerializer(data=data)
        body.is_valid(raise_exception=True)
        name = body.validated_data["model"].strip()
        spec = ModelSpec.objects.filter(name=name).first()
        if spec is None:
            known = ", ".join(ModelSpec.objects.filter(enabled=True).values_list("name", flat=True)[:20]) or "none"
            raise ValidationError({"model": [f"no model named {name!r} (enabled models: {known})"]})
        if not spec.enabled:
            raise ValidationError({"model": [f"model {spec.name!r} is disabled"]})
        ProjectModel.objects.update_or_create(
            project=project,
            defaults={
                "model": spec,
                "auto_prefill": body.validated_data["auto_prefill"],
                "updated_by": request.user,
            },
        )
        return Response(ProjectModelSerializer(_project_model_data(project, self._active(project), request)).data)

    @extend_schema(request=None, responses={204: OpenApiResponse(description="The project has no active model.")})
    def delete(self, request, project_id: int):
        """Remove the active model (predictions stay). Managers and staff."""
        project = _managed_project(request, project_id, "choose the project's model")
        ProjectModel.objects.filter(project=project).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
