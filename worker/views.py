"""Jobs API, the import and pre-fill endpoints, and the model registry: thin views over
``worker.jobs``, ``worker.importing`` and ``worker.prefill``.

Visibility: staff see every job; others see their own jobs and the jobs of projects where
they are manager or researcher. A job (or project) the user may not see answers 404.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator import permissions as perms
from annotator.models import Membership, Project

from . import jobs, remote_code
from .importing import ImportValidationError, start_import
from .models import Job, ModelSpec, ProjectModel, RemoteCodeDecision
from .prefill import PrefillValidationError, start_prefill
from .remote_code import visible_models
from .serializers import (
    ImportErrorSerializer,
    ImportRequestSerializer,
    JobDetailSerializer,
    JobSerializer,
    ModelSpecSerializer,
    PrefillRequestSerializer,
    ProjectModelRequestSerializer,
    ProjectModelSerializer,
)


def _error(detail: str, errors: dict) -> ValidationError:
    return ValidationError({"detail": detail, "errors": errors})


class ImportView(APIView):
    """Import media into a project as a background job."""

    parser_classes = [MultiPartParser, FormParser]
    serializer_class = ImportRequestSerializer

    @extend_schema(
        operation_id="projects_imports_create",
        summary="Import media files (uploads, a zip, an optional manifest) as an import job",
        request={"multipart/form-data": ImportRequestSerializer},
        responses={
            202: JobSerializer,
            400: OpenApiResponse(
                ImportErrorSerializer, description="Nothing was created; `errors` names the field or manifest line."
            ),
            403: OpenApiResponse(description="Only the project's managers (or staff) can import."),
            404: OpenApiResponse(description="No such project, or you are not a member."),
        },
    )
    def post(self, request, project_id: int):
        project = get_object_or_404(Project, pk=project_id)
        if not perms.is_member(request.user, project):
            raise Http404
        if not perms.can_manage(request.user, project):
            raise PermissionDenied("Only the project's managers can import media.")
        unknown = sorted(set(request.FILES) - {"files", "archive", "manifest"})
        try:
            if unknown:
                names = ", ".join(f"`{n}`" for n in unknown)
                raise ImportValidationError(
                    {n: [f"unknown upload field {names}; use files, archive and manifest"] for n in unknown}
                )
            job = start_import(
                project,
                request.user,
                files=request.FILES.getlist("files"),
                archives=request.FILES.getlist("archive"),
                manifests=request.FILES.getlist("manifest"),
            )
        except ImportValidationError as exc:
            raise _error(exc.detail, exc.errors)
        return Response(JobSerializer(job, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)


def visible_jobs(user):
    if user.is_staff:
        return Job.objects.all()
    research_projects = Membership.objects.filter(user=user, role__in=perms.RESEARCH).values("project_id")
    return Job.objects.filter(Q(created_by=user) | Q(project_id__in=research_projects))


class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Background jobs: state, progress (0..1 and a message), log tail, result; cancel and retry."""

    filterset_fields = ["project", "kind", "state"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Job.objects.none()
        return visible_jobs(self.request.user).select_related("created_by")

    def get_serializer_class(self):
        return JobDetailSerializer if self.action != "list" else JobSerializer

    def _may_control(self, job: Job) -> bool:
        user = self.request.user
        if user.is_staff:
            return True
        if job.project_id is None:
            return job.created_by_id == user.pk
        if job.kind in (Job.Kind.IMPORT, Job.Kind.PREFILL):
            return perms.can_manage(user, job.project_id)
        return job.created_by_id == user.pk or perms.can_research(user, job.project_id)

    def _control(self, request, operation):
        job = self.get_object()
        if not self._may_control(job):
            raise PermissionDenied(f"You may not control job {job.pk}.")
        try:
            job = operation(job, request.user)
        except jobs.JobError as exc:
            raise _error(exc.detail, exc.errors)
        return Response(JobDetailSerializer(job, context={"request": request}).data)

    @extend_schema(request=None, responses={200: JobDetailSerializer, 400: ImportErrorSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a queued job now, or ask a running job to stop after its current item."""
        return self._control(request, jobs.cancel_job)

    @extend_schema(request=None, responses={200: JobDetailSerializer, 400: ImportErrorSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Queue a failed or cancelled job again (an import resumes where it stopped)."""
        return self._control(request, jobs.retry_job)


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
            raise _error(exc.detail, exc.errors)
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
    otherwise); every such decision is recorded (admin: Remote code decisions)."""

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
