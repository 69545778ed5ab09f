"""The jobs API's shapes: a job in lists and in detail, and the error body every job-starting
view answers a 400 with."""

from __future__ import annotations

from rest_framework import serializers

from worker.models import Job

from .registry import is_known, kind_of


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
        """The job's parameters as its kind shows them (an import's entry list, and a pre-fill's
        asset list of more than 100 ids, are shown as their lengths)."""
        params = dict(obj.params or {})
        shown = kind_of(obj.kind).shown_params if is_known(obj.kind) else None
        return shown(params) if shown is not None else params


class ImportErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="One readable sentence naming the field or manifest line.")
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
