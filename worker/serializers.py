from __future__ import annotations

from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from .models import Job, ModelSpec
from .remote_code import (
    CONFIRM_FIELD,
    CONFIRMATION_NEEDED,
    may_allow_remote_code,
    refusal,
    remote_code_change,
    spec_values,
)


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
    links = serializers.SerializerMethodField()

    class Meta(JobSerializer.Meta):
        fields = JobSerializer.Meta.fields + ["params", "result", "error", "log", "celery_task_id", "links"]
        read_only_fields = fields

    def get_links(self, obj) -> dict[str, str]:
        """API URLs of what the job is about, from its params and result: ``project``,
        ``dataset_version``, ``weight_set``, ``model`` (the params' model) and ``result_model``
        (a model the job made, e.g. a fine-tune's)."""
        params = obj.params if isinstance(obj.params, dict) else {}
        result = obj.result if isinstance(obj.result, dict) else {}
        links: dict[str, str] = {}

        def ident(value):
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        if obj.project_id:
            links["project"] = f"/api/projects/{obj.project_id}/"
        version = ident(params.get("dataset_version")) or ident(result.get("dataset_version"))
        if version:
            links["dataset_version"] = f"/api/dataset-versions/{version}/"
        weight_set = ident(params.get("weight_set")) or ident(result.get("weight_set"))
        ws_project = ident(params.get("weight_set_project")) or obj.project_id
        if weight_set and ws_project:
            links["weight_set"] = f"/api/projects/{ws_project}/weight-sets/{weight_set}/"
        model = params.get("model")
        if isinstance(model, str) and model:
            links["model"] = f"/api/models/{model}/"
        made = result.get("model")
        if isinstance(made, str) and made and made != model:
            links["result_model"] = f"/api/models/{made}/"
        return links

    def get_params(self, obj) -> dict:
        """The job's parameters; an import's entry list, and a pre-fill's asset list of more than
        100 ids, are shown as their lengths."""
        params = dict(obj.params or {})
        if "entries" in params:
            params["entry_count"] = len(params.pop("entries") or [])
        if isinstance(params.get("assets"), list) and len(params["assets"]) > 100:
            params["asset_count"] = len(params.pop("assets"))
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


# --- the model registry -------------------------------------------------------------------


class ModelSpecSerializer(serializers.ModelSerializer):
    """A registered model. Staff, and the managers and researchers who may use it, read; staff
    create, edit and delete. Turning ``trust_remote_code`` on (or changing a trusted model's
    source or revision) needs the ``worker.allow_remote_code`` permission and
    ``confirm_trust_remote_code: true``; see ``worker.remote_code``."""

    confirm_trust_remote_code = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text="Required (true) with trust_remote_code: you confirm that this source may run its own code.",
    )

    class Meta:
        model = ModelSpec
        fields = [
            "id",
            "name",
            "title",
            "source",
            "revision",
            "dtype",
            "device",
            "queue",
            "batch_size",
            "max_frames",
            "trust_remote_code",
            "confirm_trust_remote_code",
            "enabled",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {
            "batch_size": {"min_value": ModelSpec.BATCH_SIZE_RANGE[0], "max_value": ModelSpec.BATCH_SIZE_RANGE[1]},
            "max_frames": {"min_value": ModelSpec.MAX_FRAMES_RANGE[0], "max_value": ModelSpec.MAX_FRAMES_RANGE[1]},
        }

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(str(k) for k in data if k not in self.fields)
            if unknown:
                allowed = ", ".join(name for name, f in self.fields.items() if not f.read_only)
                raise serializers.ValidationError({k: [f"unknown field; allowed: {allowed}"] for k in unknown})
        return super().to_internal_value(data)

    def validate_source(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError("This field may not be blank.")
        return value

    def validate_revision(self, value: str) -> str:
        return value.strip()

    def validate(self, attrs):
        confirmed = attrs.pop(CONFIRM_FIELD, False)
        before = spec_values(self.instance)
        after = {**(before or {}), **{k: attrs[k] for k in ("trust_remote_code", "source", "revision") if k in attrs}}
        change = remote_code_change(before, after)
        if change == "allowed":
            user = self.context["request"].user
            if not may_allow_remote_code(user):
                raise PermissionDenied(refusal(user))
            if not confirmed:
                revision = f"@{after.get('revision')}" if after.get("revision") else ""
                message = CONFIRMATION_NEEDED.format(source=after.get("source", ""), revision=revision)
                raise serializers.ValidationError({CONFIRM_FIELD: [f"{message}: send {CONFIRM_FIELD}: true"]})
        self.remote_code_change = change
        return attrs


class ProjectModelSerializer(serializers.Serializer):
    """A project's active model (``model`` null: none yet)."""

    project = serializers.IntegerField(read_only=True)
    model = serializers.CharField(allow_null=True, help_text="The model's name (see /api/models/).")
    auto_prefill = serializers.BooleanField(
        required=False, help_text="Start a pre-fill job for the new assets after every import (default true)."
    )
    spec = ModelSpecSerializer(read_only=True, allow_null=True)
    updated_by = serializers.CharField(read_only=True, allow_null=True)
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)


class ProjectModelRequestSerializer(serializers.Serializer):
    model = serializers.CharField(help_text="The name of an enabled registered model.")
    auto_prefill = serializers.BooleanField(required=False, default=True)


class PrefillRequestSerializer(serializers.Serializer):
    """The body of a pre-fill request (for the schema; validation is in worker.prefill)."""

    assets = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="Asset ids of the project (ready ones). Left out: every ready asset.",
    )
    only_missing = serializers.BooleanField(
        required=False, default=True, help_text="Skip assets that already have a prediction of this model version."
    )
    model = serializers.CharField(required=False, help_text="A registered model's name (default: the project's).")
