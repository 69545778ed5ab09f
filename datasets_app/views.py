"""Dataset versions: list, detail and diff. New versions are made by export jobs
(``POST /api/exports/``), their archives by archive jobs and downloaded from
``/api/dataset-versions/<id>/download/`` (both in ``worker``).

Visibility: staff see every version; others the versions all of whose projects they manage or
research. Anything else answers 404.
"""

from __future__ import annotations

from django.db.models import Count, F, Q
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from annotator import permissions as perms
from annotator.models import Membership

from .models import DatasetArchive, DatasetVersion

# ?archive= → the file's extension (the tar is gzip-compressed)
ARCHIVES = {DatasetArchive.Format.ZIP.value: ".zip", DatasetArchive.Format.TAR.value: ".tar.gz"}


class DatasetArchiveSerializer(serializers.ModelSerializer):
    job = serializers.IntegerField(source="job_id", read_only=True, allow_null=True)

    class Meta:
        model = DatasetArchive
        fields = ["format", "state", "size", "job", "error", "built_at"]
        read_only_fields = fields


class DatasetVersionSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    settings = serializers.JSONField(source="export_settings", read_only=True)
    weight_set = serializers.IntegerField(source="weight_set_id", read_only=True, allow_null=True)
    job = serializers.IntegerField(source="job_id", read_only=True, allow_null=True)
    download = serializers.SerializerMethodField()
    archives = serializers.SerializerMethodField()

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
            "archives",
        ]
        read_only_fields = fields

    def get_download(self, obj) -> dict | None:
        """Where to download it (ready versions only)."""
        if obj.state != DatasetVersion.State.READY:
            return None
        base = f"/api/dataset-versions/{obj.pk}/download/"
        return {name: f"{base}?archive={name}" for name in ARCHIVES}

    def get_archives(self, obj) -> dict:
        """Format → its archive (building, ready with its size, failed) or null when never asked for."""
        rows = {a.format: DatasetArchiveSerializer(a).data for a in obj.archives.all()}
        return {name: rows.get(name) for name in ARCHIVES}


def _default_config(relative: str) -> bool:
    """The files a diff reads (the card and the default config's shards): all an object store's
    version needs to have copied to this host for it."""
    from .export.writers import config_dir

    return relative == "README.md" or relative.startswith(f"{config_dir('default')}/")


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
            .prefetch_related("projects", "archives")
            .order_by("-created_at", "-id")
        )

    def _ready(self) -> DatasetVersion:
        version = self.get_object()
        if version.state != DatasetVersion.State.READY or not version.has_files():
            raise ValidationError({"state": [f"{version.label} is {version.state}; only ready versions have files."]})
        return version

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
        if other.state != DatasetVersion.State.READY or not other.path:
            raise ValidationError({"against": [f"{other.label} is {other.state}; only ready versions compare."]})
        for row, field in ((version, "kind"), (other, "against")):
            if (row.export_settings or {}).get("kind", "annotations") != "annotations":
                raise ValidationError(
                    {field: [f"{row.label} holds dominance pairs; diffs compare annotation versions."]}
                )
        with other.local_folder(only=_default_config) as a, version.local_folder(only=_default_config) as b:
            result = diff_versions(read_rows(a), read_rows(b))
        return Response({"from": other.pk, "to": version.pk, **result})
