"""Serializers of the quality-control endpoints (gold checks) and of the ``quality`` section of
the project statistics."""

from __future__ import annotations

from rest_framework import serializers

from .models import GoldCheck


class GoldCheckInputSerializer(serializers.Serializer):
    """A single task: either the expected ``options`` (complete, validated like a submit) or
    ``from_gold_answer: true`` to copy the task's reviewed gold answer. A pair task: either the
    gold ``preference`` (1..5, 3 = tie) with optional ``dimension_preferences``, or
    ``from_gold_answer: true`` to copy its gold preference (reviewed or imported). Which fields
    a task takes is checked against the task (400 naming the field)."""

    options = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        allow_null=True,
        help_text="Single tasks: the expected answer, sub-dimension key → option code (complete, like a submit).",
    )
    preference = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=5,
        help_text="Pair tasks: the gold preference, 1 = A much better … 3 = tie (no preference) … 5 = B much better.",
    )
    dimension_preferences = serializers.DictField(
        child=serializers.IntegerField(min_value=1, max_value=5, allow_null=True),
        required=False,
        allow_null=True,
        help_text="Pair tasks, optional: the gold preference per dimension key (1..5).",
    )
    from_gold_answer = serializers.BooleanField(
        required=False, default=False, help_text="true: copy the task's reviewed (or imported) gold answer instead."
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class GoldCheckSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True, default=None)
    asset = serializers.IntegerField(source="task.asset_id", read_only=True)
    kind = serializers.CharField(source="task.kind", read_only=True, help_text="single or pair")
    asset_b = serializers.IntegerField(
        source="task.asset_b_id", read_only=True, allow_null=True, help_text="Pairs: asset B."
    )
    annotations = serializers.SerializerMethodField()

    class Meta:
        model = GoldCheck
        fields = [
            "task",
            "asset",
            "checklist_version",
            "kind",
            "asset_b",
            "options",
            "answers",
            "mask",
            "preference",
            "dimension_preferences",
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
    gold_checks = serializers.IntegerField(help_text="Annotations of single gold-check tasks.")
    gold_answers = serializers.IntegerField(help_text="Binary answers compared: questions the expected answer applies.")
    gold_accuracy = serializers.FloatField(
        allow_null=True, help_text="0..1: share of those answered as expected (not applicable counts as wrong)."
    )
    gold_options = serializers.IntegerField(help_text="Sub-dimension options compared.")
    gold_option_accuracy = serializers.FloatField(allow_null=True, help_text="0..1: share of the expected options.")
    gold_sub_dimensions = _GoldSubDimensionSerializer(
        many=True, help_text="Option accuracy per sub-dimension (those compared at least once)."
    )
    pair_gold_checks = serializers.IntegerField(help_text="Annotations of pair gold-check tasks.")
    pair_gold_preferences = serializers.IntegerField(help_text="Pair preferences compared with a gold preference.")
    pair_gold_agreement = serializers.FloatField(
        allow_null=True,
        help_text="0..1: share of those on the gold side (A better, tie, B better; strength does not count, a "
        "tie agrees only with a tie).",
    )
    pair_gold_dimensions = serializers.IntegerField(help_text="Per-dimension pair preferences compared.")
    pair_gold_dimension_agreement = serializers.FloatField(
        allow_null=True, help_text="0..1: share of those on the gold side (a dimension left out counts as not)."
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
    gold_checks = serializers.IntegerField(help_text="Single tasks used as gold checks.")
    pair_gold_checks = serializers.IntegerField(help_text="Pair tasks used as gold checks.")
    routed_tasks = serializers.IntegerField(help_text="Tasks that got an extra annotator for disagreement.")
    annotators = _AnnotatorQualitySerializer(many=True, help_text="Everyone with a submitted annotation.")
