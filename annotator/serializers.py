from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import models
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from . import permissions as perms
from .models import (
    Annotation,
    AnnotationRevision,
    Asset,
    Assignment,
    ChecklistVersion,
    Membership,
    Prediction,
    Project,
    Task,
)
from .services.checklists import question_rows
from .services.predictions import latest_prediction, latest_predictions

User = get_user_model()


class ChecklistVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChecklistVersion
        fields = [
            "id",
            "key",
            "version",
            "title",
            "media_type",
            "content_hash",
            "question_count",
            "sub_dimension_count",
            "builtin",
            "source_name",
            "created_at",
        ]


class ChecklistVersionDetailSerializer(ChecklistVersionSerializer):
    questions = serializers.SerializerMethodField()

    class Meta(ChecklistVersionSerializer.Meta):
        fields = ChecklistVersionSerializer.Meta.fields + ["definition", "questions"]

    def get_questions(self, obj) -> list[dict]:
        """The binary questions in position (question-file) order."""
        return question_rows(obj.checklist)


class ChecklistUploadSerializer(serializers.Serializer):
    file = serializers.FileField(required=False, help_text="A checklist definition, .yaml/.yml or .json.")
    content = serializers.CharField(required=False, trim_whitespace=False, help_text="The definition as text.")
    filename = serializers.CharField(required=False, default="checklist.yaml")

    def validate(self, attrs):
        if bool(attrs.get("file")) == bool(attrs.get("content")):
            raise serializers.ValidationError({"file": "Send exactly one of `file` (upload) or `content` (text)."})
        return attrs


class ProjectSerializer(serializers.ModelSerializer):
    checklist_version = serializers.PrimaryKeyRelatedField(queryset=ChecklistVersion.objects.all())
    my_role = serializers.SerializerMethodField()
    my_progress = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = [
            "id",
            "name",
            "slug",
            "description",
            "instructions",
            "media_type",
            "checklist_version",
            "overlap",
            "lease_seconds",
            "prefer_uncertain",
            "gold_check_rate",
            "disagreement_threshold",
            "max_extra_annotators",
            "pair_tasks",
            "accept_threshold",
            "archived",
            "created_at",
            "updated_at",
            "my_role",
            "my_progress",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {
            "overlap": {"min_value": 1, "max_value": 50},
            "lease_seconds": {"min_value": 60, "max_value": 7 * 24 * 3600},
            "gold_check_rate": {"min_value": 0.0, "max_value": 1.0},
            "disagreement_threshold": {"min_value": 0.0, "max_value": 1.0},
            "max_extra_annotators": {"min_value": 0, "max_value": 10},
            "accept_threshold": {"min_value": 0.5, "max_value": 1.0},
            "slug": {"allow_blank": True},
        }

    def validate_slug(self, value):
        """Blank is no handle (several projects may have none); a taken one is refused by the
        model's uniqueness (a 400 naming `slug`)."""
        return value or None

    def get_my_role(self, obj) -> str | None:
        user = self.context["request"].user
        # The list annotates the role in its one query; a single object asks once.
        role = obj.user_role if hasattr(obj, "user_role") else perms.project_role(user, obj)
        return role or ("admin" if user.is_staff else None)

    def get_my_progress(self, obj) -> dict | None:
        """The caller's done / assigned / remaining tasks (as ``progress/``'s ``mine``), where
        the list annotated them; ``remaining`` counts only for roles that annotate."""
        if not hasattr(obj, "my_done"):
            return None
        annotates = self.context["request"].user.is_staff or obj.user_role in perms.ANNOTATE
        return {"done": obj.my_done, "assigned": obj.my_assigned, "remaining": obj.my_open if annotates else 0}

    def validate(self, attrs):
        instance = self.instance
        media_type = attrs.get("media_type", instance.media_type if instance else None)
        version = attrs.get("checklist_version", instance.checklist_version if instance else None)
        if version is not None and media_type is not None and version.media_type != media_type:
            raise serializers.ValidationError(
                {
                    "checklist_version": f"checklist {version} is for {version.media_type}s; "
                    f"this project's media type is {media_type}"
                }
            )
        if instance is not None:
            if "media_type" in attrs and attrs["media_type"] != instance.media_type and instance.assets.exists():
                raise serializers.ValidationError({"media_type": "cannot change: the project already has assets"})
            if (
                "checklist_version" in attrs
                and attrs["checklist_version"] != instance.checklist_version
                and instance.annotations.exists()
            ):
                raise serializers.ValidationError(
                    {
                        "checklist_version": "annotations were made with the current version: see what happens to "
                        f"them and confirm with POST /api/projects/{instance.pk}/checklist/"
                    }
                )
            if (
                "checklist_version" in attrs
                and attrs["checklist_version"] != instance.checklist_version
                and instance.gold_checks.exists()
            ):
                raise serializers.ValidationError(
                    {
                        "checklist_version": "gold checks were set with the current version: see what happens to "
                        f"them and confirm with POST /api/projects/{instance.pk}/checklist/"
                    }
                )
        return attrs


class UsernameField(serializers.SlugRelatedField):
    """A user by username. PostgreSQL text cannot hold NUL: such a name is refused here rather
    than failing the lookup (a DataError, a 500)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            raise serializers.ValidationError("Null characters are not allowed.")
        return super().to_internal_value(data)


# One answer for a name nobody has and for an account that cannot be added (inactive): adding a
# member must not tell a manager which usernames exist.
NO_SUCH_MEMBER = "No active user has this username: check the spelling, or invite them by e-mail."


class MembershipSerializer(serializers.ModelSerializer):
    username = UsernameField(
        source="user",
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        error_messages={"does_not_exist": NO_SUCH_MEMBER, "invalid": NO_SUCH_MEMBER},
    )

    last_login = serializers.DateTimeField(source="user.last_login", read_only=True, allow_null=True)
    last_annotation_at = serializers.DateTimeField(read_only=True, allow_null=True)
    last_assignment_at = serializers.DateTimeField(read_only=True, allow_null=True)
    last_activity_at = serializers.SerializerMethodField(help_text="The later of the two above (null: never).")
    annotations_done = serializers.IntegerField(read_only=True, help_text="Annotations submitted in the project.")
    active_leases = serializers.IntegerField(read_only=True, help_text="Tasks leased now (released on removal).")

    class Meta:
        model = Membership
        fields = [
            "id",
            "username",
            "role",
            "created_at",
            "last_login",
            "last_annotation_at",
            "last_assignment_at",
            "last_activity_at",
            "annotations_done",
            "active_leases",
        ]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, (list, models.QuerySet)):
            fields["username"].read_only = True  # a membership changes its role, never its user
        return fields

    def get_last_activity_at(self, obj) -> str | None:
        from .services.members import last_activity

        moment = last_activity(obj)
        return serializers.DateTimeField().to_representation(moment) if moment else None


class AssetSerializer(serializers.ModelSerializer):
    urls = serializers.SerializerMethodField()

    class Meta:
        model = Asset
        fields = [
            "id",
            "project",
            "kind",
            "status",
            "failure_reason",
            "original_name",
            "prompt",
            "metadata",
            "sha256",
            "size_bytes",
            "mime_type",
            "width",
            "height",
            "duration_seconds",
            "fps",
            "frame_count",
            "import_job_id",
            "created_at",
            "urls",
        ]

    def get_urls(self, obj) -> dict:
        """Where the browser fetches the asset's files (members of the project only)."""
        files = obj.files or {}

        def url(name):
            return reverse("asset-file", args=[obj.pk, name])

        out = {name: url(name) for name in ("original", "display", "poster", "thumbnail") if files.get(name)}
        out["frames"] = [
            {"url": url(f"frames/{n}"), "time": frame.get("time"), "index": frame.get("index")}
            for n, frame in enumerate(files.get("frames") or [])
        ]
        return out


# Task fields left out for annotators (see ``TaskSerializer.to_representation``).
QUEUE_FIELDS = ("required", "assigned_count", "submitted_count", "status")


class TaskSerializer(serializers.ModelSerializer):
    asset = AssetSerializer(read_only=True)
    asset_b = AssetSerializer(read_only=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "project",
            "kind",
            "asset",
            "asset_b",
            "required",
            "assigned_count",
            "submitted_count",
            "status",
            "priority",
            "uncertainty",
            "created_at",
        ]
        read_only_fields = ["uncertainty"]

    def to_representation(self, instance):
        """Annotators (who cannot read everyone's annotations) get no queue counters: they are
        the managers' business, and a gold check's differ from a normal task's, which would
        tell annotators which tasks are gold checks."""
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and not perms.can_read_all_annotations(request.user, instance.project_id):
            for name in QUEUE_FIELDS:
                data.pop(name, None)
        return data


_NO_PREDICTION = object()
ASSIGNMENT_PREDICTION_SCHEMA = {
    "type": "object",
    "nullable": True,
    "description": "Single-asset tasks: the latest model prediction for the asset under the project's "
    "checklist version (a pre-fill); null for pairs or when there is none.",
    "properties": {
        "id": {"type": "integer"},
        "model_name": {"type": "string"},
        "model_version": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "options": {
            "type": "object",
            "description": "Sub-dimension key → most likely option code and its confidence (0..1).",
            "additionalProperties": {
                "type": "object",
                "properties": {"option": {"type": "integer"}, "confidence": {"type": "number"}},
                "required": ["option", "confidence"],
            },
        },
    },
    "required": ["id", "model_name", "model_version", "created_at", "options"],
}


def _prediction_key(assignment: Assignment) -> tuple[int, int] | None:
    if assignment.task.kind != Task.Kind.SINGLE:
        return None
    return assignment.task.asset_id, assignment.project.checklist_version_id


class AssignmentListSerializer(serializers.ListSerializer):
    """Loads the latest prediction of every listed single-asset task in one query."""

    def to_representation(self, data):
        items = list(data.all() if isinstance(data, models.manager.BaseManager) else data)
        keys = {key for key in map(_prediction_key, items) if key is not None}
        found = latest_predictions(keys)
        for item in items:
            key = _prediction_key(item)
            item._vr_prediction = found.get(key) if key is not None else None
        return [self.child.to_representation(item) for item in items]


class AssignmentSerializer(serializers.ModelSerializer):
    task = TaskSerializer(read_only=True)
    checklist_version = serializers.IntegerField(source="project.checklist_version_id", read_only=True)
    annotation = serializers.SerializerMethodField()
    prediction = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        list_serializer_class = AssignmentListSerializer
        fields = [
            "id",
            "project",
            "checklist_version",
            "task",
            "state",
            "leased_at",
            "expires_at",
            "finished_at",
            "skip_reason",
            "draft",
            "draft_saved_at",
            "annotation",
            "prediction",
        ]

    def get_annotation(self, obj) -> int | None:
        annotation = getattr(obj, "annotation", None) if obj.state == Assignment.State.SUBMITTED else None
        return annotation.pk if annotation else None

    @extend_schema_field(ASSIGNMENT_PREDICTION_SCHEMA)
    def get_prediction(self, obj) -> dict | None:
        prediction = getattr(obj, "_vr_prediction", _NO_PREDICTION)
        if prediction is _NO_PREDICTION:
            key = _prediction_key(obj)
            prediction = latest_prediction(*key) if key is not None else None
        if prediction is None:
            return None
        return {
            "id": prediction.pk,
            "model_name": prediction.model_name,
            "model_version": prediction.model_version,
            "created_at": serializers.DateTimeField().to_representation(prediction.created_at),
            "options": prediction.options,
        }


class AnswerSerializer(serializers.Serializer):
    """Answers to a task: checklist options for a single asset, a preference for a pair."""

    options = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        default=dict,
        help_text="Sub-dimension key → chosen option code.",
    )
    preference = serializers.JSONField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Pairs: 1 = A much better, 2 = A better, 3 = no preference, 4 = B better, 5 = B much better.",
    )
    dimension_preferences = serializers.DictField(
        child=serializers.JSONField(allow_null=True),
        required=False,
        default=dict,
        help_text="Pairs, optional: dimension key → 1..5.",
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    time_spent_ms = serializers.IntegerField(required=False, default=0, min_value=0)


class SubmitSerializer(AnswerSerializer):
    client_id = serializers.UUIDField(
        help_text="Generated by the client once per submit; resending the same id never creates a second annotation."
    )


class SkipSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why the task is skipped (shown to managers).")


class AnnotationRevisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = AnnotationRevision
        fields = [
            "revision",
            "client_id",
            "options",
            "answers",
            "mask",
            "preference",
            "dimension_preferences",
            "comment",
            "time_spent_ms",
            "created_by",
            "created_at",
        ]


class AnnotationSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    question_keys = serializers.SerializerMethodField()

    class Meta:
        model = Annotation
        fields = [
            "id",
            "project",
            "task",
            "assignment",
            "user",
            "username",
            "checklist_version",
            "client_id",
            "state",
            "options",
            "answers",
            "mask",
            "question_keys",
            "preference",
            "dimension_preferences",
            "comment",
            "time_spent_ms",
            "revision",
            "submitted_at",
            "updated_at",
            "reviewed_by",
            "reviewed_at",
            "late",
        ]
        read_only_fields = ["late"]

    def get_question_keys(self, obj) -> list[str]:
        """The question key of each position of ``answers`` and ``mask``."""
        if not obj.answers:
            return []
        return [q.key for q in obj.checklist_version.checklist.questions]


class AnnotationDetailSerializer(AnnotationSerializer):
    revisions = AnnotationRevisionSerializer(many=True, read_only=True)

    class Meta(AnnotationSerializer.Meta):
        fields = AnnotationSerializer.Meta.fields + ["revisions"]


class PairCreateSerializer(serializers.Serializer):
    pairs = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField(), min_length=2, max_length=2),
        required=False,
        help_text="Explicit [asset A id, asset B id] pairs.",
    )
    auto = serializers.ChoiceField(
        choices=["same_prompt"],
        required=False,
        help_text="`same_prompt`: make every new pair among ready assets of one prompt (capped per prompt).",
        error_messages={
            "invalid_choice": '"{input}" is not a way to make pairs: `auto` takes "same_prompt" (the only value), '
            "which pairs every two ready assets of the same prompt (at most `max_pairs_per_prompt` new pairs per "
            "prompt, sides shuffled by `seed`); or leave `auto` out and send `pairs`: [[asset A id, asset B id], ...]."
        },
    )
    max_pairs_per_prompt = serializers.IntegerField(required=False, default=10, min_value=1, max_value=1000)
    seed = serializers.IntegerField(required=False, default=0)

    def validate(self, attrs):
        if bool(attrs.get("pairs")) == bool(attrs.get("auto")):
            raise serializers.ValidationError(
                {"pairs": 'Send either `pairs` (a list of [asset A id, asset B id]) or `"auto": "same_prompt"`.'}
            )
        return attrs


# --- prefetch, predictions ----------------------------------------------------------------


class NextTaskSerializer(serializers.Serializer):
    exclude = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        max_length=100,
        help_text="Assignment ids you already hold and do not want back: ask for the following task in advance.",
    )


class PredictionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Prediction
        fields = [
            "id",
            "asset",
            "checklist_version",
            "model_name",
            "model_version",
            "p_yes",
            "options",
            "job_id",
            "created_at",
        ]
        read_only_fields = fields


class PredictionInputSerializer(serializers.Serializer):
    asset = serializers.IntegerField(help_text="An asset of the project.")
    model_name = serializers.CharField(max_length=Prediction._meta.get_field("model_name").max_length)
    model_version = serializers.CharField(
        max_length=Prediction._meta.get_field("model_version").max_length,
        required=False,
        allow_blank=True,
        default="",
    )
    p_yes = serializers.JSONField(help_text="Question key → P(yes) between 0 and 1, for every question.")


class PredictionBatchSerializer(serializers.Serializer):
    predictions = PredictionInputSerializer(many=True, help_text="All are saved, or none.")
