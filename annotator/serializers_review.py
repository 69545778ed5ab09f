"""Serializers of the review (gold answers), review-item and statistics endpoints."""

from __future__ import annotations

from rest_framework import serializers

from .models import GoldAnswer
from .serializers import AnnotationSerializer, TaskSerializer
from .serializers_quality import QualityStatsSerializer

CORRECTION_FIELDS = ("options", "preference", "dimension_preferences")


class ReviewSerializer(serializers.Serializer):
    """Either ``accept`` (an annotation of the task becomes the gold answer) or a correction:
    ``options`` for a single task, ``preference`` (and optional ``dimension_preferences``) for
    a pair, validated like a submit."""

    accept = serializers.IntegerField(
        required=False, allow_null=True, help_text="Id of an annotation of this task to accept as it is."
    )
    options = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        allow_null=True,
        help_text="Single tasks, correction: sub-dimension key → option code (complete, like a submit).",
    )
    preference = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text="Pairs, correction: 1 = A much better, 2 = A better, 3 = no preference, 4 = B better, "
        "5 = B much better.",
    )
    dimension_preferences = serializers.DictField(
        child=serializers.JSONField(allow_null=True),
        required=False,
        allow_null=True,
        help_text="Pairs, correction, optional: dimension key → 1..5.",
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)

    def validate(self, attrs):
        sent = [name for name in CORRECTION_FIELDS if attrs.get(name) is not None]
        if attrs.get("accept") is not None and sent:
            raise serializers.ValidationError(
                {"accept": f"send either `accept` or a correction ({', '.join(sent)}), not both"}
            )
        if attrs.get("accept") is None and not sent:
            raise serializers.ValidationError(
                {
                    "accept": "send either `accept` (an annotation id of this task) or a correction: "
                    "`options` for a single task, `preference` (and optional `dimension_preferences`) for a pair"
                }
            )
        return attrs


class GoldAnswerSerializer(serializers.ModelSerializer):
    reviewed_by = serializers.CharField(source="reviewed_by.username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = GoldAnswer
        fields = [
            "source",
            "source_annotation",
            "options",
            "answers",
            "mask",
            "preference",
            "dimension_preferences",
            "comment",
            "reviewed_by",
            "updated_at",
            "history",
        ]


class ReviewItemSerializer(serializers.Serializer):
    """A task with its annotations, where they disagree and its gold answer (null until reviewed)."""

    task = TaskSerializer(read_only=True)
    annotations = AnnotationSerializer(many=True, read_only=True)
    disagreements = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text='Sub-dimension keys whose chosen options differ; ["preference"] for a pair whose preferences differ.',
    )
    gold = GoldAnswerSerializer(read_only=True, allow_null=True)


class ReviewItemQuerySerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=["pending", "reviewed", "all"], required=False, default="pending")
    disagreement = serializers.BooleanField(
        required=False, default=False, help_text="1: only items whose annotations disagree."
    )


class StatsQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(required=False, default=14, min_value=1, max_value=365)


# --- statistics (the response shape) ----------------------------------------------------


class _ProgressSerializer(serializers.Serializer):
    tasks_total = serializers.IntegerField(help_text="Tasks that are not disabled.")
    tasks_done = serializers.IntegerField()
    annotations = serializers.IntegerField()
    late_annotations = serializers.IntegerField(
        help_text="Late extras among `annotations`: submitted after the lease lapsed and the slot went to "
        "someone else; kept, not one of the task's k."
    )
    assets_ready = serializers.IntegerField()
    assets_failed = serializers.IntegerField()
    gold = serializers.IntegerField(help_text="Reviewers' gold answers (imported pair ratings are not among them).")
    imported_ratings = serializers.IntegerField(
        help_text="Pair ratings read from a preference dataset by a pair import (not an annotator's work)."
    )


class _DaySerializer(serializers.Serializer):
    date = serializers.DateField()
    submitted = serializers.IntegerField()


class _AnnotatorStatsSerializer(serializers.Serializer):
    username = serializers.CharField()
    submitted = serializers.IntegerField()
    late = serializers.IntegerField(help_text="Late extras among `submitted`.")
    skipped = serializers.IntegerField()
    active = serializers.IntegerField(help_text="Live leases.")
    median_time_ms = serializers.IntegerField(allow_null=True)
    last_submitted_at = serializers.DateTimeField(allow_null=True)
    daily = serializers.ListField(child=serializers.IntegerField(), help_text="Aligned with the top-level `daily`.")


class _QuestionStatsSerializer(serializers.Serializer):
    key = serializers.CharField()
    text = serializers.CharField()
    dimension = serializers.CharField()
    sub_dimension = serializers.CharField()
    n_items = serializers.IntegerField(help_text="Single tasks with two or more applicable answers.")
    percent_agreement = serializers.FloatField(allow_null=True, help_text="0..1: mean share of agreeing pairs.")
    kappa = serializers.FloatField(allow_null=True, help_text="Fleiss' kappa; null when undefined.")


class _SubDimensionStatsSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    dimension = serializers.CharField()
    n_items = serializers.IntegerField()
    percent_agreement = serializers.FloatField(allow_null=True, help_text="0..1: exact option agreement.")
    alpha = serializers.FloatField(
        allow_null=True, help_text="Krippendorff's alpha, ordinal over option ranks; null when undefined."
    )


class _ModelQuestionSerializer(serializers.Serializer):
    key = serializers.CharField()
    text = serializers.CharField()
    n = serializers.IntegerField(help_text="Applicable human answers with a model probability.")
    accuracy = serializers.FloatField(allow_null=True, help_text="0..1: share where P(yes) ≥ 0.5 matches the answer.")
    brier = serializers.FloatField(allow_null=True, help_text="Mean (P(yes) − answer)²; 0 is perfect.")
    mean_p_human = serializers.FloatField(
        allow_null=True, help_text="Mean probability the model gave to the answer people chose."
    )


class _ModelAgreementSerializer(serializers.Serializer):
    model_name = serializers.CharField(
        allow_null=True, help_text="The model of the project's latest prediction (null: no predictions yet)."
    )
    questions = _ModelQuestionSerializer(many=True)


class _ImportStatsSerializer(serializers.Serializer):
    import_job_id = serializers.IntegerField()
    assets = serializers.IntegerField()
    ready = serializers.IntegerField()
    failed = serializers.IntegerField()


class _FailedAssetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    original_name = serializers.CharField()
    failure_reason = serializers.CharField(allow_blank=True)


class ProjectStatsSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    progress = _ProgressSerializer()
    daily = _DaySerializer(many=True)
    annotators = _AnnotatorStatsSerializer(many=True)
    questions = _QuestionStatsSerializer(many=True)
    sub_dimensions = _SubDimensionStatsSerializer(many=True)
    model_agreement = _ModelAgreementSerializer(
        help_text="That model's agreement with the submitted answers of single tasks, per question "
        "(each asset's latest prediction of the model; applicable questions only)."
    )
    quality = QualityStatsSerializer(
        help_text="Quality control: the project's settings, gold checks, and per annotator the accuracy "
        "on gold checks and the agreement with peers."
    )
    imports = _ImportStatsSerializer(many=True)
    failed_assets = _FailedAssetSerializer(many=True)
