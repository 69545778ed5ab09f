"""Jobs API and the import endpoint: thin views over ``worker.jobs`` and ``worker.importing``.

Visibility: staff see every job; others see their own jobs and the jobs of projects where
they are manager or researcher. A job (or project) the user may not see answers 404.
"""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator import permissions as perms
from annotator.models import Membership, Project

from . import jobs
from .importing import ImportValidationError, start_import
from .models import Job
from .serializers import ImportErrorSerializer, ImportRequestSerializer, JobDetailSerializer, JobSerializer


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
        if job.kind == Job.Kind.IMPORT:
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
