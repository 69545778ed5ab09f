"""Starting an export: ``POST /api/exports/`` writes a queued dataset version and its export job
(one transaction); the version's rows, files and state are then read from
``/api/dataset-versions/`` (``datasets_app``), the job's progress from ``/api/jobs/``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from datasets_app.views import DatasetVersionSerializer, visible_versions
from worker.jobs.serializers import JobSerializer

from .job import ExportRequestError, preview_dominance, push_options, start_export, start_push


class ExportRequestSerializer(serializers.Serializer):
    """The export request (validated in ``worker.exports.job``; see docs/datasets.md)."""

    name = serializers.CharField(help_text="The dataset's name (lower-case, digits, . _ -); versions count up.")
    description = serializers.CharField(required=False, allow_blank=True)
    projects = serializers.ListField(child=serializers.IntegerField())
    weight_set = serializers.IntegerField(required=False, help_text="Default: the first project's active set.")
    settings = serializers.DictField(required=False)


class ExportView(APIView):
    serializer_class = ExportRequestSerializer

    @extend_schema(
        operation_id="exports_create",
        summary="Export annotations as a new dataset version (a background job)",
        request=ExportRequestSerializer,
        responses={
            202: OpenApiResponse(description="{dataset_version, job}"),
            400: OpenApiResponse(description="Nothing was created; `errors` names each bad field."),
        },
    )
    def post(self, request):
        try:
            version, job = start_export(request.user, request.data)
        except ExportRequestError as exc:
            raise ValidationError(exc.errors)
        return Response(
            {"dataset_version": DatasetVersionSerializer(version).data, "job": JobSerializer(job).data},
            status=status.HTTP_202_ACCEPTED,
        )


class DominanceStatsRequestSerializer(serializers.Serializer):
    """A dominance rule to preview (validated in ``worker.exports.dominance``; docs/datasets.md)."""

    dominance = serializers.DictField(
        help_text="The rule: source (human, model, human_else_model), margins (dimension → margin > 0), "
        "pairs_per_prompt, max_uses (or null), tolerance."
    )
    weight_set = serializers.IntegerField(required=False, help_text="Default: the project's active set.")


class DominanceStatsView(APIView):
    """How many dominance pairs a rule yields on a project, per dimension, before exporting."""

    serializer_class = DominanceStatsRequestSerializer

    @extend_schema(
        operation_id="projects_dominance_stats",
        summary="Preview a dominance-pair rule: candidate pairs per dimension, under the full rule, after the cap",
        request=DominanceStatsRequestSerializer,
        responses={
            200: OpenApiResponse(description="assets, prompts, per_dimension {alone, in_rule}, candidates, selected"),
            400: OpenApiResponse(description="`errors` names each bad field."),
        },
    )
    def post(self, request, project_id: int):
        from annotator import permissions as perms
        from annotator.models import Project

        project = Project.objects.select_related("checklist_version").filter(pk=project_id).first()
        if project is None or not perms.is_member(request.user, project):
            raise NotFound(f"Project {project_id} does not exist or you are not a member.")
        if not perms.can_research(request.user, project):
            raise PermissionDenied("Only managers and researchers can preview dataset versions.")
        try:
            return Response(preview_dominance(project, request.data))
        except ExportRequestError as exc:
            raise ValidationError(exc.errors)


class PushRequestSerializer(serializers.Serializer):
    repo_id = serializers.CharField(help_text="owner/name of a Hub dataset repository (created if missing)")
    private = serializers.BooleanField(default=True)
    token = serializers.CharField(
        required=False,
        write_only=True,
        help_text="A Hub access token with write access, for this push only (held split, never stored in "
        "plain text, deleted when the job ends; docs/security.md). Left out: the server's HF_TOKEN.",
    )


class PushOptionsSerializer(serializers.Serializer):
    endpoint = serializers.CharField(help_text="The Hub pushes go to (HF_ENDPOINT).")
    server_token = serializers.BooleanField(help_text="Whether the server has its own HF_TOKEN to fall back on.")


class PushView(APIView):
    serializer_class = PushRequestSerializer

    def _version(self, request, pk: int):
        version = visible_versions(request.user).filter(pk=pk).first()
        if version is None:
            raise NotFound(f"Dataset version {pk} does not exist or you cannot see it.")
        return version

    @extend_schema(
        operation_id="dataset_versions_push_options",
        summary="Where a push goes (the Hub's address) and whether the server has a token of its own",
        responses={200: PushOptionsSerializer},
    )
    def get(self, request, pk: int):
        self._version(request, pk)
        return Response(push_options())

    @extend_schema(
        operation_id="dataset_versions_push",
        summary="Push a ready dataset version to the Hugging Face Hub (a background job; a token, or HF_TOKEN)",
        request=PushRequestSerializer,
        responses={202: JobSerializer, 400: OpenApiResponse(description="`errors` names the field.")},
    )
    def post(self, request, pk: int):
        version = self._version(request, pk)
        try:
            job = start_push(version, request.user, request.data)
        except ExportRequestError as exc:
            raise ValidationError(exc.errors)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
