"""Review: gold answers of tasks and the queue of tasks to review.

A task's gold answer is either one of its annotations, accepted as it is, or a reviewer's
correction validated exactly like a submit. Reviewing a task marks all its submitted
annotations reviewed (their annotators can no longer revise them). A later review replaces
the gold answer; the replaced state is appended to ``GoldAnswer.history``.

Lock order: task → annotations → gold answer. Submits lock assignment → task and revisions
lock only their annotation, so none of them can deadlock with a review; a submit racing a
review waits for it (or the review waits for the submit and then sees its annotation).
"""

from __future__ import annotations

from collections import defaultdict

from django.db import connection, transaction
from django.db.models import Exists, IntegerField, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from ..agreement import disagreements, preference_disagreements
from ..models import Annotation, ChecklistVersion, GoldAnswer, Project, Task
from .errors import AssignmentError
from .payload import AnswerPayload, derive_answers

STATES = ("pending", "reviewed", "all")


# --- reviewing a task -------------------------------------------------------------------


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


def _snapshot(gold: GoldAnswer, replaced_by, replaced_at) -> dict:
    """The state of a gold answer as kept in ``history`` when a later review replaces it."""
    return {
        "source": gold.source,
        "source_annotation": gold.source_annotation_id,
        "options": gold.options,
        "answers": gold.answers,
        "mask": gold.mask,
        "preference": gold.preference,
        "dimension_preferences": gold.dimension_preferences,
        "comment": gold.comment,
        "reviewed_by": _username(gold.reviewed_by) if gold.reviewed_by_id else None,
        "updated_at": gold.updated_at.isoformat() if gold.updated_at else None,
        "replaced_by": _username(replaced_by),
        "replaced_at": replaced_at.isoformat(),
    }


def review_task(
    task: Task,
    reviewer,
    *,
    accept: int | None = None,
    correction: AnswerPayload | None = None,
    comment: str = "",
    now=None,
) -> GoldAnswer:
    """Set the gold answer of ``task``: accept annotation ``accept`` or apply ``correction``.

    Raises :class:`AssignmentError` (400 naming the field, 409 when nothing was submitted);
    nothing is saved then.
    """
    if (accept is None) == (correction is None):
        raise AssignmentError(
            "Send either `accept` (an annotation id) or a correction, not both.",
            {"accept": ["send either `accept` (an annotation of this task) or a correction, exactly one of them"]},
        )
    now = now or timezone.now()
    with transaction.atomic():
        task = Task.objects.select_for_update(of=("self",)).select_related("project__checklist_version").get(pk=task.pk)
        annotations = list(Annotation.objects.select_for_update().filter(task=task).order_by("id"))
        if not annotations:
            raise AssignmentError(f"task {task.pk} has no submitted annotation to review yet", status=409)
        is_pair = task.kind == Task.Kind.PAIR
        if accept is not None:
            source = next((a for a in annotations if a.pk == accept), None)
            if source is None:
                raise AssignmentError(
                    f"annotation {accept} is not an annotation of task {task.pk}.",
                    {"accept": [f"annotation {accept} is not an annotation of task {task.pk}"]},
                )
            fields = {
                "source": GoldAnswer.Source.ACCEPTED,
                "source_annotation": source,
                "checklist_version_id": source.checklist_version_id,
                "options": source.options,
                "answers": source.answers,
                "mask": source.mask,
                "preference": source.preference if is_pair else None,
                "dimension_preferences": source.dimension_preferences if is_pair else {},
            }
        else:
            options, answers, mask = derive_answers(task, correction)
            fields = {
                "source": GoldAnswer.Source.CORRECTED,
                "source_annotation": None,
                "checklist_version_id": task.project.checklist_version_id,
                "options": options,
                "answers": answers,
                "mask": mask,
                "preference": correction.preference if is_pair else None,
                "dimension_preferences": (correction.dimension_preferences or {}) if is_pair else {},
            }
        fields.update(comment=comment or "", reviewed_by=reviewer)
        gold = GoldAnswer.objects.select_for_update().filter(task=task).first()
        if gold is None:
            gold = GoldAnswer.objects.create(task=task, project_id=task.project_id, **fields)
        else:
            gold.history = [*(gold.history or []), _snapshot(gold, reviewer, now)]
            for name, value in fields.items():
                setattr(gold, name, value)
            gold.save()
        Annotation.objects.filter(task=task, state=Annotation.State.SUBMITTED).update(
            state=Annotation.State.REVIEWED, reviewed_by=reviewer, reviewed_at=now, updated_at=now
        )
        return gold


def review_annotation(annotation: Annotation, reviewer, now=None) -> Annotation:
    """Accept an annotation as reviewed; it can no longer be revised by its annotator."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Annotation.objects.select_for_update().get(pk=annotation.pk)
        locked.state = Annotation.State.REVIEWED
        locked.reviewed_by = reviewer
        locked.reviewed_at = now
        locked.save(update_fields=["state", "reviewed_by", "reviewed_at", "updated_at"])
        return locked


def delete_gold(task: Task) -> bool:
    """Remove the gold answer of a task (its annotations stay reviewed); False if it had none."""
    with transaction.atomic():
        deleted, _ = GoldAnswer.objects.filter(task=task).delete()
    return bool(deleted)


# --- review items -----------------------------------------------------------------------


def _disagreement_count_sql() -> str:
    """SQL counting the disagreements of the outer task row, as :func:`task_disagreements` does:
    option keys whose value differs (or that some annotations lack), plus 1 when preferences differ."""
    annotation = Annotation._meta.db_table
    task = Task._meta.db_table
    if connection.vendor == "sqlite":  # the embedded database of `make run`: SQLite's JSON1 functions
        each = "json_each(CASE WHEN json_type(a.options) = 'object' THEN a.options ELSE '{}' END) e"
        source = f'"{annotation}" a, {each}'
    else:
        each = "jsonb_each(CASE WHEN jsonb_typeof(a.options) = 'object' THEN a.options ELSE '{}'::jsonb END) e"
        source = f'"{annotation}" a CROSS JOIN LATERAL {each}'
    return f"""
        (SELECT COUNT(*) FROM (
            SELECT e.key
            FROM {source}
            WHERE a.task_id = "{task}"."id"
            GROUP BY e.key
            HAVING COUNT(DISTINCT e.value) > 1
                OR COUNT(*) < (SELECT COUNT(*) FROM "{annotation}" a2 WHERE a2.task_id = "{task}"."id")
        ) differing)
        + (SELECT CASE WHEN COUNT(DISTINCT a3.preference) > 1 THEN 1 ELSE 0 END
           FROM "{annotation}" a3 WHERE a3.task_id = "{task}"."id")
    """


def review_queue(project: Project, state: str = "pending", disagreement_only: bool = False) -> QuerySet[Task]:
    """Tasks to show to reviewers, pending first, most disagreements first, then by id.

    ``pending``: at least one submitted annotation and no gold answer, and not a gold check
    (its answers are known already); ``reviewed``: with a gold answer; ``all``: either.
    """
    if state not in STATES:
        raise ValueError(f"unknown state {state!r}")
    tasks = Task.objects.filter(project=project).annotate(
        has_annotations=Exists(Annotation.objects.filter(task=OuterRef("pk"))),
        has_gold=Exists(GoldAnswer.objects.filter(task=OuterRef("pk"))),
        n_disagreements=RawSQL(_disagreement_count_sql(), [], output_field=IntegerField()),
    )
    if state == "pending":
        tasks = tasks.filter(has_annotations=True, has_gold=False, gold_check__isnull=True)
    elif state == "reviewed":
        tasks = tasks.filter(has_gold=True)
    else:
        tasks = tasks.filter(Q(has_annotations=True) | Q(has_gold=True))
    if disagreement_only:
        tasks = tasks.filter(n_disagreements__gt=0)
    return tasks.select_related("asset", "asset_b", "gold__reviewed_by").order_by("has_gold", "-n_disagreements", "id")


def task_disagreements(task: Task, annotations: list[Annotation], checklist) -> list[str]:
    """Sub-dimension keys where the annotations of a single task differ; ``["preference"]``
    for a pair whose preferences differ."""
    if task.kind == Task.Kind.PAIR:
        return preference_disagreements([a.preference for a in annotations])
    return disagreements([a.options or {} for a in annotations], checklist)


def review_items(tasks: list[Task], checklist_version: ChecklistVersion) -> list[dict]:
    """The review item of each task, in order: the task, its annotations, where they disagree
    and the gold answer. One query for all annotations (tasks carry their gold already when
    they come from :func:`review_queue` or :func:`get_item_task`); the (large) checklist
    definition is not fetched again for every annotation."""
    checklist = checklist_version.checklist
    by_task: dict[int, list[Annotation]] = defaultdict(list)
    annotations = list(
        Annotation.objects.filter(task_id__in=[t.pk for t in tasks])
        .select_related("user")
        .order_by("task_id", "submitted_at", "id")
    )
    versions = {checklist_version.pk: checklist_version}
    missing = {a.checklist_version_id for a in annotations} - set(versions)
    if missing:
        versions.update((v.pk, v) for v in ChecklistVersion.objects.filter(pk__in=missing))
    for annotation in annotations:
        annotation.checklist_version = versions[annotation.checklist_version_id]
        by_task[annotation.task_id].append(annotation)
    items = []
    for task in tasks:
        own = by_task.get(task.pk, [])
        try:
            gold = task.gold
        except GoldAnswer.DoesNotExist:
            gold = None
        items.append(
            {
                "task": task,
                "annotations": own,
                "disagreements": task_disagreements(task, own, checklist),
                "gold": gold,
            }
        )
    return items


def get_item_task(project: Project, task_id: int) -> Task:
    """The task of a review item (``Task.DoesNotExist`` when not in the project)."""
    return Task.objects.select_related("asset", "asset_b", "gold__reviewed_by").get(project=project, pk=task_id)
