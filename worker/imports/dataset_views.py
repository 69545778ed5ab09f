"""The dataset import endpoints: preview a Hugging Face dataset (or a local one), then import its
rows as assets or as rated pairs (``worker.imports.huggingface``)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator import permissions as perms
from annotator.models import Project
from worker.jobs.serializers import ImportErrorSerializer, JobSerializer
from worker.jobs.views import validation_error

from .huggingface import preview, start_dataset_import
from .job import ImportValidationError


class DatasetSourceSerializer(serializers.Serializer):
    source = serializers.CharField(
        help_text="A Hugging Face dataset id (owner/name; read from the server's cache) or a local path inside "
        "VR_IMPORT_ROOTS: a save_to_disk folder, a folder of parquet/JSONL/CSV files, or one such file."
    )
    config = serializers.CharField(required=False, allow_blank=True, help_text="The dataset's config (subset).")
    split = serializers.CharField(required=False, allow_blank=True, help_text="The split; `train` or the first.")
    revision = serializers.CharField(required=False, allow_blank=True, help_text="Hub datasets: branch, tag, commit.")


class PreviewRequestSerializer(DatasetSourceSerializer):
    rows = serializers.IntegerField(required=False, min_value=1, max_value=20, help_text="Rows to show (5).")


class DatasetImportRequestSerializer(DatasetSourceSerializer):
    mapping = serializers.DictField(
        help_text="Assets: media, prompt, metadata (list), prompt_required. Pairs: media_a, media_b, prompt, "
        "metadata, preference_format (labels | choice | rating | scores) and preference (its column(s))."
    )
    limit = serializers.IntegerField(required=False, allow_null=True, help_text="Import at most this many rows.")
    rate_again = serializers.BooleanField(
        required=False, help_text="Pairs: also ask the project's annotators to rate the imported pairs."
    )


def _project_for_manager(request, project_id: int) -> Project:
    project = get_object_or_404(Project, pk=project_id)
    if not perms.is_member(request.user, project):
        raise Http404
    if not perms.can_manage(request.user, project):
        raise PermissionDenied("Only the project's managers can import.")
    return project


ERRORS = {
    400: OpenApiResponse(ImportErrorSerializer, description="Nothing was created; `errors` names the field."),
    403: OpenApiResponse(description="Only the project's managers (or staff) can import."),
    404: OpenApiResponse(description="No such project, or you are not a member."),
}


class DatasetPreviewView(APIView):
    """The dataset's configs, splits, columns and first rows, and a suggested column mapping."""

    parser_classes = [JSONParser]
    mode = "assets"

    @extend_schema(
        request=PreviewRequestSerializer, responses={200: OpenApiResponse(description="The preview."), **ERRORS}
    )
    def post(self, request, project_id: int):
        project = _project_for_manager(request, project_id)
        try:
            data = preview(project, request.data, self.mode)
        except ImportValidationError as exc:
            raise validation_error(exc.detail, exc.errors)
        return Response(data)


class DatasetImportView(APIView):
    """Import a dataset's rows as assets (or rated pairs) as a resumable job."""

    parser_classes = [JSONParser]
    mode = "assets"

    @extend_schema(request=DatasetImportRequestSerializer, responses={202: JobSerializer, **ERRORS})
    def post(self, request, project_id: int):
        project = _project_for_manager(request, project_id)
        try:
            job = start_dataset_import(project, request.user, request.data, self.mode)
        except ImportValidationError as exc:
            raise validation_error(exc.detail, exc.errors)
        return Response(JobSerializer(job, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)
