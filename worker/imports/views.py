"""The import endpoint: upload media (files, a zip, a manifest) as an import job."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator import permissions as perms
from annotator.models import Project
from worker.jobs.serializers import ImportErrorSerializer, JobSerializer
from worker.jobs.views import validation_error

from .job import ImportValidationError, start_import
from .serializers import ImportRequestSerializer


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
                paths=request.data.getlist("paths") if hasattr(request.data, "getlist") else [],
            )
        except ImportValidationError as exc:
            raise validation_error(exc.detail, exc.errors)
        return Response(JobSerializer(job, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)
