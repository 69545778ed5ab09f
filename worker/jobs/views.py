"""The jobs API: list, read, cancel and retry background jobs of every kind.

Visibility: staff see every job; others see their own jobs and the jobs of projects where
they are manager or researcher. A job the user may not see answers 404. Who may cancel or retry
a job of a kind is the kind's ``controlled_by`` (see ``worker.jobs.registry``).
"""

from __future__ import annotations

from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from annotator import permissions as perms
from annotator.models import Membership
from worker.models import Job

from . import runner
from .registry import kind_of
from .serializers import ImportErrorSerializer, JobDetailSerializer, JobSerializer


def validation_error(detail: str, errors: dict) -> ValidationError:
    """The 400 every job-starting view answers: one readable ``detail`` and ``errors`` by field."""
    return ValidationError({"detail": detail, "errors": errors})


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
        if kind_of(job.kind).controlled_by == "manager":
            return perms.can_manage(user, job.project_id)
        return job.created_by_id == user.pk or perms.can_research(user, job.project_id)

    def _control(self, request, operation):
        job = self.get_object()
        if not self._may_control(job):
            raise PermissionDenied(f"You may not control job {job.pk}.")
        try:
            job = operation(job, request.user)
        except runner.JobError as exc:
            raise validation_error(exc.detail, exc.errors)
        return Response(JobDetailSerializer(job, context={"request": request}).data)

    @extend_schema(request=None, responses={200: JobDetailSerializer, 400: ImportErrorSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a queued job now, or ask a running job to stop after its current item."""
        return self._control(request, runner.cancel_job)

    @extend_schema(request=None, responses={200: JobDetailSerializer, 400: ImportErrorSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Queue a failed or cancelled job again (an import resumes where it stopped)."""
        return self._control(request, runner.retry_job)
