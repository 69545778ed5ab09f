"""Dataset versions: list, detail, download (zip or tar) and diff. New versions are made by
export jobs (``POST /api/exports/``, in ``worker``).

Visibility: staff see every version; others the versions all of whose projects they manage or
research. Anything else answers 404.
"""

from __future__ import annotations

import os
import tarfile
import tempfile
import zipfile
from pathlib import Path

from django.db.models import Count, F, Q
from django.http import FileResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from annotator import permissions as perms
from annotator.files import protect
from annotator.models import Membership

from .models import DatasetVersion, datasets_root

ARCHIVES = {"zip": ("application/zip", ".zip"), "tar": ("application/x-tar", ".tar")}


class DatasetVersionSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    settings = serializers.JSONField(source="export_settings", read_only=True)
    weight_set = serializers.IntegerField(source="weight_set_id", read_only=True, allow_null=True)
    job = serializers.IntegerField(source="job_id", read_only=True, allow_null=True)
    download = serializers.SerializerMethodField()

    class Meta:
        model = DatasetVersion
        fields = [
            "id",
            "name",
            "version",
            "label",
            "description",
            "projects",
            "checklist_version",
            "settings",
            "weight_set",
            "state",
            "content_hash",
            "duplicate_of",
            "row_counts",
            "stats",
            "files",
            "error",
            "pushes",
            "job",
            "created_by",
            "created_at",
            "finished_at",
            "download",
        ]
        read_only_fields = fields

    def get_download(self, obj) -> dict | None:
        """Where to download it (ready versions only)."""
        if obj.state != DatasetVersion.State.READY:
            return None
        base = f"/api/dataset-versions/{obj.pk}/download/"
        return {name: f"{base}?archive={name}" for name in ARCHIVES}


def visible_versions(user):
    rows = DatasetVersion.objects.all()
    if user.is_staff:
        return rows
    allowed = Membership.objects.filter(user=user, role__in=perms.RESEARCH).values("project_id")
    # every project of the version must be one the user manages or researches
    return rows.annotate(
        n_projects=Count("projects", distinct=True),
        n_allowed=Count("projects", filter=Q(projects__in=allowed), distinct=True),
    ).filter(n_projects=F("n_allowed"))


class DatasetVersionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Immutable dataset versions with their row counts, files and content hash."""

    serializer_class = DatasetVersionSerializer
    filterset_fields = ["name", "state"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return DatasetVersion.objects.none()
        return (
            visible_versions(self.request.user)
            .select_related("created_by")
            .prefetch_related("projects")
            .order_by("-created_at", "-id")
        )

    def _ready(self) -> DatasetVersion:
        version = self.get_object()
        if version.state != DatasetVersion.State.READY or version.folder is None or not version.folder.is_dir():
            raise ValidationError({"state": [f"{version.label} is {version.state}; only ready versions have files."]})
        return version

    @extend_schema(
        summary="Download the dataset folder as a zip or tar archive",
        parameters=[OpenApiParameter("archive", str, enum=list(ARCHIVES), description="Default: zip.")],
        responses={200: OpenApiResponse(description="The archive."), 400: OpenApiResponse(description="Not ready.")},
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        fmt = request.query_params.get("archive", "zip")  # not ?format=: DRF reserves it for renderers
        if fmt not in ARCHIVES:
            raise ValidationError({"archive": [f"Must be one of {', '.join(ARCHIVES)} (got {fmt!r})."]})
        version = self._ready()
        path = archive(version, fmt)
        content_type, ext = ARCHIVES[fmt]
        response = FileResponse(
            open(path, "rb"),  # noqa: SIM115  (FileResponse closes it)
            as_attachment=True,
            filename=f"{version.name}-v{version.version}{ext}",
            content_type=content_type,
        )
        return protect(response, filename=f"{version.name}-v{version.version}{ext}")

    @extend_schema(
        summary="What changed from another version: items added and removed, answers changed, per-question counts",
        parameters=[OpenApiParameter("against", int, required=True, description="The other (older) version's id.")],
        responses={200: OpenApiResponse(description="The differences.")},
    )
    @action(detail=True, methods=["get"])
    def diff(self, request, pk=None):
        from .export.diff import diff_versions, read_rows

        version = self._ready()
        against = request.query_params.get("against", "")
        if not against.isdecimal():  # isdigit() admits "²", which int() refuses
            raise ValidationError({"against": ["Give the other version's id: ?against=<id>."]})
        other = self.get_queryset().filter(pk=int(against)).first()
        if other is None:
            raise NotFound(f"Dataset version {against} does not exist or you cannot see it.")
        if other.state != DatasetVersion.State.READY or other.folder is None:
            raise ValidationError({"against": [f"{other.label} is {other.state}; only ready versions compare."]})
        result = diff_versions(read_rows(other.folder), read_rows(version.folder))
        return Response({"from": other.pk, "to": version.pk, **result})


def archive(version: DatasetVersion, fmt: str) -> Path:
    """The version's folder as one archive file, made on first request and kept (written aside
    and renamed into place, so a concurrent or interrupted request never serves half a file)."""
    folder = version.folder
    name = f"{version.name}-v{version.version}-{version.content_hash[:12]}{ARCHIVES[fmt][1]}"
    target = datasets_root() / ".archives" / name
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
    os.close(fd)
    root = f"{version.name}-v{version.version}"
    try:
        if fmt == "zip":
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
                for path in sorted(folder.rglob("*")):
                    if path.is_file():
                        zf.write(path, f"{root}/{path.relative_to(folder)}")
        else:
            with tarfile.open(tmp, "w") as tf:
                tf.add(folder, arcname=root)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
