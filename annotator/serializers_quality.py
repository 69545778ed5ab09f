"""Serializers of the quality-control endpoints (gold checks) and of the ``quality`` section of
the project statistics."""

from __future__ import annotations

from rest_framework import serializers

from .models import GoldCheck


class GoldCheckInputSerializer(serializers.Serializer):
    """Either the expected ``options`` (complete, validated like a submit) or
    ``from_gold_answer: true`` to copy the task's reviewed gold answer."""

    options = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        allow_null=True,
        help_text="The expected answer: sub-dimension key → option code (complete, like a submit).",
    )
    from_gold_answer = serializers.BooleanField(
        required=False, default=False, help_text="true: copy the task's reviewed gold answer instead."
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)

    def validate(self, attrs):
        has_options = attrs.get("options") is not None
        if has_options == bool(attrs.get("from_gold_answer")):
            raise serializers.ValidationError(
                {
                    "options": "send either `options` (the expected answer: sub-dimension key → option code) "
                    "or `from_gold_answer`: true, exactly one of them"
                }
            )
        return attrs


class GoldCheckSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True, default=None)
    asset = serializers.IntegerField(source="task.asset_id", read_only=True)
    annotations = serializers.SerializerMethodField()

    class Meta:
        model = GoldCheck
        fields = [
            "task",
            "asset",
            "checklist_version",
            "options",
            "answers",
            "mask",
            "comment",
            "created_by",
            "created_at",
            "updated_at",
            "annotations",
        ]
        read_only_fields = fields

    def get_annotations(self, obj) -> int:
        """Annotations of the task so far (every annotator who answered it)."""
        annotated = getattr(obj, "n_annotations", None)
        return annotated if annotated is not None else obj.task.annotations.count()


# --- statistics (the ``quality`` section's shape) ------------------------------------------


class _GoldSubDimensionSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    n = serializers.IntegerField(help_text="Gold checks whose expected answer chose an option here.")
    accuracy = serializers.FloatField(allow_null=True, help_text="0..1: share where the same option was chosen.")


class _AnnotatorQualitySerializer(serializers.Serializer):
    username = serializers.CharField()
    gold_checks = serializers.IntegerField(help_text="Annotations of gold-check tasks.")
    gold_answers = serializers.IntegerField(help_text="Binary answers compared: questions the expected answer applies.")
    gold_accuracy = serializers.FloatField(
        allow_null=True, help_text="0..1: share of those answered as expected (not applicable counts as wrong)."
    )
    gold_options = serializers.IntegerField(help_text="Sub-dimension options compared.")
    gold_option_accuracy = serializers.FloatField(allow_null=True, help_text="0..1: share of the expected options.")
    gold_sub_dimensions = _GoldSubDimensionSerializer(
        many=True, help_text="Option accuracy per sub-dimension (those compared at least once)."
    )
    peer_answers = serializers.IntegerField(
        help_text="Comparisons with peers: per task, question applying to both and other annotator."
    )
    peer_agreement = serializers.FloatField(
        allow_null=True, help_text="0..1: share of those where the other annotator gave the same answer."
    )


class QualityStatsSerializer(serializers.Serializer):
    gold_check_rate = serializers.FloatField()
    disagreement_threshold = serializers.FloatField(allow_null=True)
    max_extra_annotators = serializers.IntegerField()
    gold_checks = serializers.IntegerField(help_text="Tasks used as gold checks.")
    routed_tasks = serializers.IntegerField(help_text="Tasks that got an extra annotator for disagreement.")
    annotators = _AnnotatorQualitySerializer(many=True, help_text="Everyone with a submitted annotation.")
