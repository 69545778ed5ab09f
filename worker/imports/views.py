"""The import endpoint: upload media (files, a zip, a manifest) as an import job."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator import permissions as perms
from annotator.models import Project
from worker.jobs.serializers import ImportErrorSerializer, JobSerializer
from worker.jobs.views import validation_error

from .bucket_job import start_bucket_import
from .job import ImportValidationError, start_import
from .labelstudio_job import preview_label_studio, start_label_studio_import
from .serializers import BucketImportRequestSerializer, ImportRequestSerializer, LabelStudioImportRequestSerializer


def _managed_project(request, project_id: int) -> Project:
    project = get_object_or_404(Project, pk=project_id)
    if not perms.is_member(request.user, project):
        raise Http404
    if not perms.can_manage(request.user, project):
        raise PermissionDenied("Only the project's managers can import media.")
    return project


def _refuse_unknown_uploads(request, allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(request.FILES) - set(allowed))
    if unknown:
        names = ", ".join(f"`{n}`" for n in unknown)
        use = ", ".join(allowed[:-1]) + f" and {allowed[-1]}"
        raise ImportValidationError({n: [f"unknown upload field {names}; use {use}"] for n in unknown})


class ImportView(APIView):
    """Import media into a project as a background job."""

    parser_classes = [MultiPartParser, FormParser, JSONParser]
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
        project = _managed_project(request, project_id)
        try:
            _refuse_unknown_uploads(request, ("files", "archive", "manifest"))
            if "uploads" in request.data:
                return self._import_uploads(request, project)
            job = start_import(
                project,
                request.user,
                files=request.FILES.getlist("files"),
                archives=request.FILES.getlist("archive"),
                manifests=request.FILES.getlist("manifest"),
                paths=request.data.getlist("paths") if hasattr(request.data, "getlist") else [],
            )
        except ImportValidationError as exc:
            raise validation_error(exc.detail, exc.errors)
        return Response(JobSerializer(job, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)

    def _import_uploads(self, request, project):
        """Completed direct uploads (``worker.imports.uploads``), with an optional manifest."""
        from .uploads import import_uploads

        if request.FILES.getlist("files") or request.FILES.getlist("archive"):
            raise ImportValidationError(
                {"uploads": ["send completed uploads alone (with an optional manifest), not with files or an archive"]}
            )
        data = request.data
        ids = data.getlist("uploads") if hasattr(data, "getlist") else data.get("uploads")
        job = import_uploads(project, request.user, ids, request.FILES.getlist("manifest"))
        return Response(JobSerializer(job, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)


class LabelStudioImportView(APIView):
    """Import a Label Studio export (its tasks' media and prompts) as an import job, or preview it."""

    parser_classes = [MultiPartParser, FormParser]
    serializer_class = LabelStudioImportRequestSerializer

    @extend_schema(
        operation_id="projects_imports_label_studio_create",
        summary="Preview or import a Label Studio export (tasks with media URLs or upload paths, prompts)",
        request={"multipart/form-data": LabelStudioImportRequestSerializer},
        responses={
            200: OpenApiResponse(description="preview=true: the keys found, suggestions, the first tasks, problems."),
            202: JobSerializer,
            400: OpenApiResponse(ImportErrorSerializer, description="Nothing was created; `errors` names the field."),
            403: OpenApiResponse(description="Only the project's managers (or staff) can import."),
            404: OpenApiResponse(description="No such project, or you are not a member."),
        },
    )
    def post(self, request, project_id: int):
        project = _managed_project(request, project_id)
        preview = str(request.data.get("preview", "")).strip().lower()
        try:
            _refuse_unknown_uploads(request, ("export", "archive", "files"))
            if preview not in ("", "0", "1", "true", "false"):
                raise ImportValidationError({"preview": ["must be true or false"]})
            request_files = {
                "exports": request.FILES.getlist("export"),
                "archives": request.FILES.getlist("archive"),
                "files": request.FILES.getlist("files"),
                "media_key": str(request.data.get("media_key", "")),
                "prompt_key": str(request.data.get("prompt_key", "")),
            }
            if preview in ("1", "true"):
                return Response(preview_label_studio(**request_files))
            job = start_label_studio_import(project, request.user, **request_files)
        except ImportValidationError as exc:
            raise validation_error(exc.detail, exc.errors)
        return Response(JobSerializer(job, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)


class BucketImportView(APIView):
    """Import the media under an s3:// prefix (a bucket in VR_IMPORT_BUCKETS) as an import job."""

    parser_classes = [JSONParser]
    serializer_class = BucketImportRequestSerializer

    @extend_schema(
        operation_id="projects_imports_bucket_create",
        summary="Import every media object under an s3:// prefix, or a manifest's rows, as an import job",
        request=BucketImportRequestSerializer,
        responses={
            202: JobSerializer,
            400: OpenApiResponse(
                ImportErrorSerializer,
                description="Nothing was created; `errors` names `url`, or `manifest` and its line "
                "(a bucket not in VR_IMPORT_BUCKETS, the platform's own media, no media files, too many).",
            ),
            403: OpenApiResponse(description="Only the project's managers (or staff) can import."),
            404: OpenApiResponse(description="No such project, or you are not a member."),
        },
    )
    def post(self, request, project_id: int):
        project = _managed_project(request, project_id)
        try:
            job = start_bucket_import(project, request.user, request.data)
        except ImportValidationError as exc:
            raise validation_error(exc.detail, exc.errors)
        return Response(JobSerializer(job, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)
