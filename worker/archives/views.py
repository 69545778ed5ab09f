"""Dataset archives over HTTP.

- ``GET /api/dataset-versions/<id>/download/?archive=zip|tar``: the finished file (with
  ``Content-Length`` and Range support) once built; before that it starts (or joins) the archive
  job and answers ``202`` with the job, a ``Location`` to follow and a ``Retry-After``. The
  request never builds the archive itself (with eager jobs the job runs inside it, and the file
  is then answered at once).
- ``POST /api/dataset-versions/<id>/archives/`` ``{"archive": "zip"}``: the same start-or-join
  without the file (the datasets screen's "Prepare zip"): ``202`` with the job, or ``200`` once built.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator.files import stored_file_response
from annotator.storage import datasets_storage
from datasets_app.models import DatasetArchive, DatasetVersion
from datasets_app.views import ARCHIVES, DatasetArchiveSerializer, visible_versions
from worker.jobs.serializers import JobSerializer

from .job import ArchiveRequestError, archive_format, download_name, is_built, request_archive

RETRY_AFTER = 5  # seconds a client should wait before asking again


class ArchiveStartedSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What is happening and what to do: request the URL again later.")
    archive = DatasetArchiveSerializer()
    job = JobSerializer(allow_null=True)


class ArchiveRequestSerializer(serializers.Serializer):
    archive = serializers.ChoiceField(choices=list(ARCHIVES), default="zip")


def _version(request, pk: int) -> DatasetVersion:
    version = visible_versions(request.user).filter(pk=pk).first()
    if version is None:
        raise NotFound(f"Dataset version {pk} does not exist or you cannot see it.")
    return version


def _start(request, version: DatasetVersion, fmt: str):
    try:
        return request_archive(version, fmt, request.user)
    except ArchiveRequestError as exc:
        raise ValidationError(exc.errors)


def _started(request, version: DatasetVersion, row: DatasetArchive, job, *, url: str) -> Response:
    pct = round(100 * (job.progress or 0)) if job else 0
    detail = (
        f"The {row.format} of {version.label} is being built by job #{job.pk} ({job.state}, {pct}%). "
        f"Request {url} again when the job has finished; its progress is at /api/jobs/{job.pk}/."
    )
    body = {"detail": detail, "archive": DatasetArchiveSerializer(row).data, "job": JobSerializer(job).data}
    response = Response(body, status=status.HTTP_202_ACCEPTED)
    response["Location"] = f"/api/jobs/{job.pk}/"
    response["Retry-After"] = str(RETRY_AFTER)
    return response


def _file(request, version: DatasetVersion, row: DatasetArchive):
    """The built archive: streamed (or sent by nginx) from a folder, a presigned redirect on S3."""
    return stored_file_response(request, datasets_storage(), row.file, download_name=download_name(version, row.format))


class DownloadView(APIView):
    @extend_schema(
        operation_id="dataset_versions_download",
        summary="Download a dataset version as a zip or tar.gz (built by an archive job first)",
        description=(
            "Once the archive is built: the file (Range requests answered with 206). Before: the request "
            "starts the archive job, or joins the one running, and answers 202 with it; `Location` is the "
            "job, `Retry-After` how long to wait before requesting this URL again."
        ),
        parameters=[
            OpenApiParameter("archive", str, enum=list(ARCHIVES), description="zip (default) or tar (a .tar.gz).")
        ],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(description="The archive file."),
            302: OpenApiResponse(description="VR_STORAGE=s3: a short-lived presigned URL of the archive."),
            202: ArchiveStartedSerializer,
            400: OpenApiResponse(description="A bad `archive`, or the version is not ready (`state` says why)."),
            404: OpenApiResponse(description="No such version, or you cannot see it."),
        },
    )
    def get(self, request, pk: int):
        version = _version(request, pk)
        try:
            fmt = archive_format(request.query_params.get("archive", "zip"))  # not ?format=: DRF's renderers
        except ArchiveRequestError as exc:
            raise ValidationError(exc.errors)
        row = DatasetArchive.objects.filter(version=version, format=fmt).first()
        if not is_built(row):
            row, job = _start(request, version, fmt)
            row.refresh_from_db()  # an eager job has built it by now
            if not is_built(row):
                return _started(request, version, row, job, url=request.get_full_path())
        return _file(request, version, row)


class ArchiveView(APIView):
    serializer_class = ArchiveRequestSerializer

    @extend_schema(
        operation_id="dataset_versions_archive",
        summary="Build a dataset version's zip or tar.gz (an archive job), or join the one building it",
        request=ArchiveRequestSerializer,
        responses={
            200: ArchiveStartedSerializer,
            202: ArchiveStartedSerializer,
            400: OpenApiResponse(description="`errors` names the field: `archive`, or `state` when not ready."),
        },
    )
    def post(self, request, pk: int):
        version = _version(request, pk)
        data = request.data if isinstance(request.data, dict) else {}
        row, job = _start(request, version, data.get("archive", "zip"))
        row.refresh_from_db()
        url = f"/api/dataset-versions/{version.pk}/download/?archive={row.format}"
        if is_built(row):
            body = {"detail": f"The {row.format} of {version.label} is ready: {url}", "job": None}
            body["archive"] = DatasetArchiveSerializer(row).data
            return Response(body)
        return _started(request, version, row, job, url=url)
