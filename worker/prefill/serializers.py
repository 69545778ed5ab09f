"""The model registry's and pre-fill's request and response shapes."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from worker.models import ModelSpec

from .remote_code import (
    CONFIRM_FIELD,
    CONFIRMATION_NEEDED,
    may_allow_remote_code,
    refusal,
    remote_code_change,
    spec_values,
)

# --- the model registry -------------------------------------------------------------------


class ModelSpecSerializer(serializers.ModelSerializer):
    """A registered model. Staff, and the managers and researchers who may use it, read; staff
    create, edit and delete. Turning ``trust_remote_code`` on (or changing a trusted model's
    source or revision) needs the ``worker.allow_remote_code`` permission and
    ``confirm_trust_remote_code: true``; see ``worker.prefill.remote_code``."""

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
            "last_check_at",
            "last_check_ok",
            "last_check_message",
        ]
        read_only_fields = ["id", "created_at", "updated_at", "last_check_at", "last_check_ok", "last_check_message"]
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
