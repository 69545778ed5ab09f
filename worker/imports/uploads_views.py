"""Direct uploads' API: where files are stored, and a file's multipart upload straight to the
bucket (create with part URLs, resume, complete, abort). Importing completed uploads is the
import endpoint's ``uploads`` field (``views.ImportView``)."""

from __future__ import annotations

import logging

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from worker.jobs.views import validation_error

from . import uploads
from .views import _managed_project

logger = logging.getLogger(__name__)


class DirectUploadsOffError(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = uploads.OFF_DETAIL
    default_code = "direct_uploads_off"


class StorageUnavailableError(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "the storage cannot be reached or refused the request; try again"
    default_code = "storage_unavailable"


def _answer(call):
    try:
        return call()
    except uploads.DirectUploadsOff:
        raise DirectUploadsOffError() from None
    except uploads.STORAGE_ERRORS as exc:
        logger.warning("direct upload: the storage failed: %s", exc)
        raise StorageUnavailableError() from None
    except uploads.UploadRefused as exc:
        raise validation_error(exc.detail, exc.errors) from None


StorageSerializer = inline_serializer(
    "StorageInfo",
    {
        "backend": serializers.ChoiceField(choices=["filesystem", "s3"]),
        "direct_uploads": serializers.BooleanField(),
        "part_bytes": serializers.IntegerField(),
        "max_upload_bytes": serializers.IntegerField(),
    },
)

PART = {"number": serializers.IntegerField(), "url": serializers.URLField()}
PART_DONE = {"number": serializers.IntegerField(), "size": serializers.IntegerField()}
UploadSerializer = inline_serializer(
    "Upload",
    {
        "id": serializers.UUIDField(),
        "filename": serializers.CharField(),
        "size_bytes": serializers.IntegerField(),
        "content_type": serializers.CharField(),
        "part_bytes": serializers.IntegerField(),
        "part_count": serializers.IntegerField(),
        "state": serializers.ChoiceField(choices=["created", "complete", "aborted", "imported"]),
        "created_at": serializers.DateTimeField(),
        "completed_at": serializers.DateTimeField(allow_null=True),
        "import_job": serializers.IntegerField(allow_null=True),
        "parts_done": inline_serializer("UploadPartDone", PART_DONE, many=True),
        "parts": inline_serializer("UploadPart", PART, many=True),
    },
)
CreateSerializer = inline_serializer(
    "UploadCreate",
    {
        "filename": serializers.CharField(max_length=500),
        "size_bytes": serializers.IntegerField(),
        "content_type": serializers.CharField(required=False),
    },
)
COMMON = {
    403: OpenApiResponse(description="Only the project's managers (or staff) can import."),
    404: OpenApiResponse(description="No such project or upload, or you are not a member."),
    409: OpenApiResponse(description="VR_STORAGE is not s3: send the files to the import endpoint."),
}


class StorageView(APIView):
    """Where this installation stores files, and whether browsers upload straight to it."""

    @extend_schema(operation_id="storage_retrieve", responses={200: StorageSerializer})
    def get(self, request):
        return Response(uploads.storage_info())


class UploadListView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="projects_uploads_create",
        summary="Start a direct upload: a multipart upload to the bucket, with a presigned URL per part",
        request=CreateSerializer,
        responses={201: UploadSerializer, 400: OpenApiResponse(description="`errors` names the field."), **COMMON},
    )
    def post(self, request, project_id: int):
        project = _managed_project(request, project_id)
        upload = _answer(lambda: uploads.create_upload(project, request.user, request.data))
        body = _answer(lambda: uploads.describe(upload, parts_done=[]))
        return Response(body, status=status.HTTP_201_CREATED)


class UploadDetailView(APIView):
    @extend_schema(
        operation_id="projects_uploads_retrieve",
        summary="An upload's state, the parts the bucket holds, and fresh URLs for the missing parts",
        responses={200: UploadSerializer, **COMMON},
    )
    def get(self, request, project_id: int, upload_id: str):
        project = _managed_project(request, project_id)

        def read():
            uploads._require_direct()
            upload = uploads.find_upload(project, upload_id)
            if upload is None:
                raise Http404
            return uploads.describe(upload)

        return Response(_answer(read))

    @extend_schema(
        operation_id="projects_uploads_destroy",
        summary="Abort an upload (its parts are deleted; a completed one's object too)",
        responses={204: None, 400: OpenApiResponse(description="It is imported."), **COMMON},
    )
    def delete(self, request, project_id: int, upload_id: str):
        project = _managed_project(request, project_id)
        if _answer(lambda: uploads.abort_upload(project, upload_id)) is None:
            raise Http404
        return Response(status=status.HTTP_204_NO_CONTENT)


class UploadCompleteView(APIView):
    @extend_schema(
        operation_id="projects_uploads_complete",
        summary="Complete an upload: the server lists its parts, checks them 1..n and their size",
        request=None,
        responses={
            200: UploadSerializer,
            400: OpenApiResponse(description="`errors.parts` names what is missing."),
            **COMMON,
        },
    )
    def post(self, request, project_id: int, upload_id: str):
        project = _managed_project(request, project_id)
        upload = _answer(lambda: uploads.complete_upload(project, upload_id))
        if upload is None:
            raise Http404
        return Response(_answer(lambda: uploads.describe(upload)))
