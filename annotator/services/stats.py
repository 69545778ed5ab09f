"""Project statistics for managers: progress, throughput per day and annotator, agreement
per question and sub-dimension, model-vs-human agreement per question, quality control (each
annotator's accuracy on gold checks and agreement with peers), imports and failed assets.

The queries live here; the agreement math is in the pure ``annotator.agreement``. A fixed
number of queries per call; annotations are streamed (only tasks with two or more), so
the memory used does not grow with the project.
"""

from __future__ import annotations

import statistics
from datetime import datetime, time, timedelta
from itertools import groupby

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Aggregate, Count, FloatField, Max, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from ..agreement import (
    AgreementAccumulator,
    GoldAccuracyAccumulator,
    ModelAgreementAccumulator,
    PairGoldAccumulator,
    PeerAgreementAccumulator,
)
from ..checklist.diff import carried_answers, carried_positions, compare
from ..models import (
    Annotation,
    Asset,
    Assignment,
    ChecklistVersion,
    GoldAnswer,
    GoldCheck,
    Membership,
    Prediction,
    Project,
    Task,
)

MAX_DAYS = 365
FAILED_ASSETS = 50
STREAM_CHUNK = 2000


class _Median(Aggregate):
    """The continuous median: PostgreSQL's PERCENTILE_CONT; on SQLite (the embedded database of
    ``make run``) the ``vr_median`` aggregate that ``annotator.signals`` adds to each connection."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="vr_median", template="%(function)s(%(expressions)s)")


class SqliteMedian:
    """``vr_median`` for SQLite: the median of the non-null values (None without any)."""

    def __init__(self):
        self.values: list = []

    def step(self, value):
        if value is not None:
            self.values.append(value)

    def finalize(self):
        return statistics.median(self.values) if self.values else None


def project_stats(project: Project, days: int = 14, now=None) -> dict:
    """Everything the manager's statistics page shows (see the API docs for the shape)."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_DAYS}")
    now = now or timezone.now()
    checklist = project.checklist_version.checklist
    dates = _dates(now, days)
    daily_total, daily_by_user = _daily(project, dates)
    peers = PeerAgreementAccumulator()
    return {
        "days": days,
        "progress": _progress(project),
        "daily": [{"date": day, "submitted": daily_total.get(day, 0)} for day in dates],
        "annotators": _annotators(project, dates, daily_by_user, now),
        **_agreement(project, checklist, peers),
        "model_agreement": _model_agreement(project, checklist),
        "quality": _quality(project, checklist, peers),
        "imports": _imports(project),
        "failed_assets": list(
            Asset.objects.filter(project=project, status=Asset.Status.FAILED)
            .order_by("-created_at", "-id")
            .values("id", "original_name", "failure_reason")[:FAILED_ASSETS]
        ),
    }


def _dates(now, days: int) -> list:
    """The last ``days`` local dates, oldest first, ending today."""
    today = timezone.localdate(now)
    return [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def _progress(project: Project) -> dict:
    """Counts of the project; gold checks are not among its tasks (see ``quality``)."""
    tasks = Task.objects.filter(project=project, gold_check__isnull=True).aggregate(
        tasks_total=Count("id", filter=~Q(status=Task.Status.DISABLED)),
        tasks_done=Count("id", filter=Q(status=Task.Status.DONE)),
    )
    assets = Asset.objects.filter(project=project).aggregate(
        assets_ready=Count("id", filter=Q(status=Asset.Status.READY)),
        assets_failed=Count("id", filter=Q(status=Asset.Status.FAILED)),
    )
    return {
        "tasks_total": tasks["tasks_total"],
        "tasks_done": tasks["tasks_done"],
        "annotations": Annotation.objects.filter(project=project).count(),
        # late extras (submitted after the lease lapsed and the slot went to someone else): among
        # ``annotations``, but not among any task's k
        "late_annotations": Annotation.objects.filter(project=project, late=True).count(),
        "assets_ready": assets["assets_ready"],
        "assets_failed": assets["assets_failed"],
        # reviewers' gold answers; a pair rating read from a preference dataset is counted apart
        "gold": GoldAnswer.objects.filter(project=project).exclude(source=GoldAnswer.Source.IMPORTED).count(),
        "imported_ratings": GoldAnswer.objects.filter(project=project, source=GoldAnswer.Source.IMPORTED).count(),
    }


def _daily(project: Project, dates: list) -> tuple[dict, dict]:
    """Submitted annotations per local day, in total and per user, over ``dates``."""
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(dates[0], time.min), tz)
    end = timezone.make_aware(datetime.combine(dates[-1] + timedelta(days=1), time.min), tz)
    rows = (
        Annotation.objects.filter(project=project, submitted_at__gte=start, submitted_at__lt=end)
        .annotate(day=TruncDate("submitted_at", tzinfo=tz))
        .values("user_id", "day")
        .annotate(n=Count("id"))
        .order_by()
    )
    total: dict = {}
    by_user: dict = {}
    for row in rows:
        total[row["day"]] = total.get(row["day"], 0) + row["n"]
        by_user.setdefault(row["user_id"], {})[row["day"]] = row["n"]
    return total, by_user


def _annotators(project: Project, dates: list, daily_by_user: dict, now) -> list[dict]:
    """Everyone who holds or held an assignment in the project, and its annotator members."""
    annotations = {
        row["user_id"]: row
        for row in Annotation.objects.filter(project=project)
        .values("user_id")
        .annotate(
            submitted=Count("id"),
            late=Count("id", filter=Q(late=True)),
            median=_Median("time_spent_ms"),
            last=Max("submitted_at"),
        )
        .order_by()
    }
    assignments = {
        row["user_id"]: row
        for row in Assignment.objects.filter(project=project)
        .values("user_id")
        .annotate(
            skipped=Count("id", filter=Q(state=Assignment.State.SKIPPED)),
            active=Count("id", filter=Q(state=Assignment.State.ACTIVE, expires_at__gte=now)),
        )
        .order_by()
    }
    members = set(
        Membership.objects.filter(project=project, role=Membership.Role.ANNOTATOR).values_list("user_id", flat=True)
    )
    user_ids = members | set(annotations) | set(assignments)
    names = dict(get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "username"))
    out = []
    for user_id in sorted(user_ids, key=lambda pk: (names.get(pk, ""), pk)):
        made = annotations.get(user_id, {})
        held = assignments.get(user_id, {})
        per_day = daily_by_user.get(user_id, {})
        median = made.get("median")
        out.append(
            {
                "username": names.get(user_id, ""),
                "submitted": made.get("submitted", 0),
                "late": made.get("late", 0),
                "skipped": held.get("skipped", 0),
                "active": held.get("active", 0),
                "median_time_ms": round(median) if median is not None else None,
                "last_submitted_at": made.get("last"),
                "daily": [per_day.get(day, 0) for day in dates],
            }
        )
    return out


def _agreement(project: Project, checklist, peers: PeerAgreementAccumulator | None = None) -> dict:
    """Agreement per question (binary answers where applicable) and per sub-dimension (the
    chosen option's rank: exact agreement and Krippendorff's ordinal alpha), over the
    submitted annotations of single tasks that have two or more; each task is also fed to
    ``peers`` (every annotator's agreement with the others of the same task)."""
    questions = checklist.questions
    subs = checklist.sub_dimensions
    by_question = [AgreementAccumulator() for _ in questions]
    by_sub = [AgreementAccumulator() for _ in subs]
    ranks = [{option.code: rank for rank, option in enumerate(sub.options)} for sub in subs]
    shared = (
        Annotation.objects.filter(project=project, task__kind=Task.Kind.SINGLE)
        .values("task_id")
        .annotate(n=Count("id"))
        .filter(n__gte=2)
        .values("task_id")
    )
    rows = (
        Annotation.objects.filter(project=project, task_id__in=shared)
        .order_by("task_id", "id")
        .values_list("task_id", "answers", "mask", "options", "user_id")
        .iterator(chunk_size=STREAM_CHUNK)
    )
    width = len(questions)
    for _, group in groupby(rows, key=lambda row: row[0]):
        group = list(group)
        vectors = [
            (user_id, answers, mask)
            for _, answers, mask, _, user_id in group
            if isinstance(answers, list) and isinstance(mask, list) and len(answers) == len(mask) == width
        ]
        for index, accumulator in enumerate(by_question):
            accumulator.add([int(bool(answers[index])) if mask[index] else None for _, answers, mask in vectors])
        if peers is not None:
            peers.add(vectors)
        chosen = [options if isinstance(options, dict) else {} for _, _, _, options, _ in group]
        for sub, rank, accumulator in zip(subs, ranks, by_sub, strict=True):
            accumulator.add([_rank(rank, options.get(sub.key)) for options in chosen])
    return {
        "questions": [
            {
                "key": question.key,
                "text": question.text,
                "dimension": question.dimension,
                "sub_dimension": question.sub_dimension,
                "n_items": accumulator.n_items,
                "percent_agreement": accumulator.percent_agreement(),
                "kappa": accumulator.fleiss_kappa(),
            }
            for question, accumulator in zip(questions, by_question, strict=True)
        ],
        "sub_dimensions": [
            {
                "key": sub.key,
                "title": sub.title,
                "dimension": sub.dimension,
                "n_items": accumulator.n_items,
                "percent_agreement": accumulator.percent_agreement(),
                "alpha": accumulator.krippendorff_alpha("ordinal"),
            }
            for sub, accumulator in zip(subs, by_sub, strict=True)
        ],
    }


def _newest_per_asset(rows):
    """The first row of each asset from rows in asset order (newest first within an asset)."""
    last = None
    for row in rows:
        if row[0] != last:
            last = row[0]
            yield row


def _model_agreement(project: Project, checklist) -> dict:
    """How the project's latest model agrees with people, per question: over the submitted
    annotations of single tasks whose asset has a prediction of that model under the
    annotation's checklist version (each asset's latest such prediction), on the questions the
    annotation's mask says apply. Annotations and predictions are streamed in asset order and
    merged, so memory does not grow with the project."""
    version_id = project.checklist_version_id
    model_name = (
        Prediction.objects.filter(asset__project=project, checklist_version_id=version_id)
        .order_by("-created_at", "-id")
        .values_list("model_name", flat=True)
        .first()
    )
    questions = checklist.questions
    accumulator = ModelAgreementAccumulator(len(questions))
    if model_name is not None:
        keys = [question.key for question in questions]
        latest = Prediction.objects.filter(
            asset__project=project, checklist_version_id=version_id, model_name=model_name
        ).order_by("asset_id", "-created_at", "-id")
        if connection.vendor != "sqlite":  # SQLite (`make run`) has no DISTINCT ON: _newest_per_asset alone
            latest = latest.distinct("asset_id")
        predictions = _newest_per_asset(latest.values_list("asset_id", "p_yes").iterator(chunk_size=STREAM_CHUNK))
        annotations = (
            Annotation.objects.filter(project=project, task__kind=Task.Kind.SINGLE, checklist_version_id=version_id)
            .order_by("task__asset_id", "id")
            .values_list("task__asset_id", "answers", "mask")
            .iterator(chunk_size=STREAM_CHUNK)
        )
        width = len(keys)
        prediction = next(predictions, None)
        for asset_id, answers, mask in annotations:
            while prediction is not None and prediction[0] < asset_id:
                prediction = next(predictions, None)
            if prediction is None:
                break
            if prediction[0] != asset_id or not isinstance(prediction[1], dict):
                continue
            if not (isinstance(answers, list) and isinstance(mask, list) and len(answers) == len(mask) == width):
                continue
            p_yes = prediction[1]
            accumulator.add([_probability(p_yes.get(key)) for key in keys], answers, mask)
    return {
        "model_name": model_name,
        "questions": [
            {
                "key": question.key,
                "text": question.text,
                "n": result.n,
                "accuracy": result.accuracy,
                "brier": result.brier,
                "mean_p_human": result.mean_p_human,
            }
            for question, result in zip(questions, accumulator.results(), strict=True)
        ],
    }


class _CarriedOver:
    """How answers made under one checklist version compare with a gold check set under another
    (cached per pair of versions; one query per version read)."""

    def __init__(self) -> None:
        self._versions: dict[int, ChecklistVersion] = {}
        self._pairs: dict[tuple[int, int], tuple] = {}

    def _version(self, pk: int) -> ChecklistVersion:
        if pk not in self._versions:
            self._versions[pk] = ChecklistVersion.objects.get(pk=pk)
        return self._versions[pk]

    def __call__(self, made_with: int, check_version: int) -> tuple:
        """(question positions, sub-dimension keys whose options carried over)."""
        key = (made_with, check_version)
        if key not in self._pairs:
            old, new = self._version(made_with).checklist, self._version(check_version).checklist
            diff = compare(old, new)
            self._pairs[key] = (carried_positions(old, new, diff), set(diff.sub_dimensions.kept))
        return self._pairs[key]


def _single_gold(project: Project) -> GoldAccuracyAccumulator:
    """Accuracy on single gold checks: every annotation of a single gold-check task, compared in
    the check's checklist version; one made under another version (before a checklist change
    the check carried over) on the questions and sub-dimensions that carried over only."""
    gold = GoldAccuracyAccumulator()
    carried = _CarriedOver()
    rows = (
        Annotation.objects.filter(project=project, task__kind=Task.Kind.SINGLE, task__gold_check__isnull=False)
        .order_by("id")
        .values_list(
            "user_id",
            "checklist_version_id",
            "answers",
            "mask",
            "options",
            "task__gold_check__checklist_version_id",
            "task__gold_check__answers",
            "task__gold_check__mask",
            "task__gold_check__options",
        )
        .iterator(chunk_size=STREAM_CHUNK)
    )
    for user_id, made_with, answers, mask, options, check_version, exp_answers, exp_mask, exp_options in rows:
        answers = answers if isinstance(answers, list) else []
        mask = mask if isinstance(mask, list) else []
        options = options if isinstance(options, dict) else {}
        comparable = None
        if made_with != check_version:
            positions, comparable = carried(made_with, check_version)
            answers, mask = carried_answers(positions, answers, mask)
        gold.add(
            user_id,
            answers,
            mask,
            options,
            exp_answers if isinstance(exp_answers, list) else [],
            exp_mask if isinstance(exp_mask, list) else [],
            exp_options if isinstance(exp_options, dict) else {},
            comparable,
        )
    return gold


def _pair_gold(project: Project) -> PairGoldAccumulator:
    """Agreement with the gold preference of pair gold checks (see
    :class:`annotator.agreement.PairGoldAccumulator`), every annotation of such a task."""
    pairs = PairGoldAccumulator()
    rows = (
        Annotation.objects.filter(project=project, task__kind=Task.Kind.PAIR, task__gold_check__isnull=False)
        .order_by("id")
        .values_list(
            "user_id",
            "preference",
            "dimension_preferences",
            "task__gold_check__preference",
            "task__gold_check__dimension_preferences",
        )
        .iterator(chunk_size=STREAM_CHUNK)
    )
    for user_id, preference, dimensions, expected, expected_dimensions in rows:
        pairs.add(
            user_id,
            preference,
            dimensions if isinstance(dimensions, dict) else {},
            expected,
            expected_dimensions if isinstance(expected_dimensions, dict) else {},
        )
    return pairs


def _quality(project: Project, checklist, peers: PeerAgreementAccumulator) -> dict:
    """Quality control: the project's settings and, per annotator (everyone with a submitted
    annotation), accuracy on single gold checks, agreement with the gold preference of pair gold
    checks and agreement with peers.

    Accuracy counts every annotation of a gold-check task (:func:`_single_gold`,
    :class:`annotator.agreement.GoldAccuracyAccumulator`; pairs: :func:`_pair_gold`); peer
    agreement every single task with two or more annotations
    (:class:`annotator.agreement.PeerAgreementAccumulator`).
    """
    gold = _single_gold(project)
    pairs = _pair_gold(project)
    user_ids = set(Annotation.objects.filter(project=project).values_list("user_id", flat=True).distinct())
    user_ids |= gold.annotators() | pairs.annotators() | peers.annotators()
    names = dict(get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "username"))
    subs = checklist.sub_dimensions
    annotators = []
    for user_id in sorted(user_ids, key=lambda pk: (names.get(pk, ""), pk)):
        binary, options, peer = gold.binary(user_id), gold.options(user_id), peers.result(user_id)
        per_sub = [(sub, gold.sub_dimension(user_id, sub.key)) for sub in subs]
        pair_rate, pair_dims = pairs.preference(user_id), pairs.dimensions(user_id)
        annotators.append(
            {
                "username": names.get(user_id, ""),
                "gold_checks": gold.checks(user_id),
                "gold_answers": binary.n,
                "gold_accuracy": binary.value,
                "gold_options": options.n,
                "gold_option_accuracy": options.value,
                "gold_sub_dimensions": [
                    {"key": sub.key, "title": sub.title, "n": rate.n, "accuracy": rate.value}
                    for sub, rate in per_sub
                    if rate.n
                ],
                "pair_gold_checks": pairs.checks(user_id),
                "pair_gold_preferences": pair_rate.n,
                "pair_gold_agreement": pair_rate.value,
                "pair_gold_dimensions": pair_dims.n,
                "pair_gold_dimension_agreement": pair_dims.value,
                "peer_answers": peer.n,
                "peer_agreement": peer.value,
            }
        )
    return {
        "gold_check_rate": project.gold_check_rate,
        "disagreement_threshold": project.disagreement_threshold,
        "max_extra_annotators": project.max_extra_annotators,
        "gold_checks": GoldCheck.objects.filter(project=project, task__kind=Task.Kind.SINGLE).count(),
        "pair_gold_checks": GoldCheck.objects.filter(project=project, task__kind=Task.Kind.PAIR).count(),
        "routed_tasks": Task.objects.filter(project=project, extra_annotators__gt=0).count(),
        "annotators": annotators,
    }


def _probability(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        return None
    return float(value)


def _rank(ranks: dict, code) -> int | None:
    if isinstance(code, bool) or not isinstance(code, int):
        return None
    return ranks.get(code)


def _imports(project: Project) -> list[dict]:
    """Assets per import job (the worker's job id; the core does not import the worker)."""
    return list(
        Asset.objects.filter(project=project, import_job_id__isnull=False)
        .values("import_job_id")
        .annotate(
            assets=Count("id"),
            ready=Count("id", filter=Q(status=Asset.Status.READY)),
            failed=Count("id", filter=Q(status=Asset.Status.FAILED)),
        )
        .order_by("-import_job_id")
    )
