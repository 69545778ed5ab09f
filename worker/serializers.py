from __future__ import annotations

from rest_framework import serializers

from .models import Job


class JobSerializer(serializers.ModelSerializer):
    """A job as lists show it: state, progress, the short message and timings."""

    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "state",
            "progress",
            "message",
            "project",
            "created_by",
            "queue",
            "attempts",
            "max_attempts",
            "cancel_requested",
            "created_at",
            "dispatched_at",
            "started_at",
            "heartbeat_at",
            "finished_at",
            "duration_seconds",
        ]
        read_only_fields = fields


class JobDetailSerializer(JobSerializer):
    """One job: everything above plus its log tail, result, error and (summarized) params."""

    params = serializers.SerializerMethodField()

    class Meta(JobSerializer.Meta):
        fields = JobSerializer.Meta.fields + ["params", "result", "error", "log", "celery_task_id"]
        read_only_fields = fields

    def get_params(self, obj) -> dict:
        """The job's parameters; an import's entry list is shown as its length."""
        params = dict(obj.params or {})
        if "entries" in params:
            params["entry_count"] = len(params.pop("entries") or [])
        params.pop("ignored", None)
        return params


class ImportRequestSerializer(serializers.Serializer):
    """The multipart body of an import (for the schema; validation is in worker.importing)."""

    files = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        help_text="Media files (repeat the field for many). Without a manifest each is one asset, empty prompt.",
    )
    archive = serializers.FileField(
        required=False,
        help_text="One .zip of media files. Without a manifest every file entry is one asset "
        "(directories, __MACOSX/ and dotfiles are skipped).",
    )
    manifest = serializers.FileField(
        required=False,
        help_text="One .jsonl (objects with file, prompt, metadata) or .csv (columns file, prompt, metadata "
        "as a JSON string; any other column goes into metadata as a string). `file` is an uploaded file's "
        "name or a path inside the archive. With a manifest exactly its rows are imported.",
    )


class ImportErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="One readable sentence naming the field or manifest line.")
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
