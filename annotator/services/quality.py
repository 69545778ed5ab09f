"""Quality control: gold checks (tasks with known answers, served unseen among normal tasks)
and disagreement routing (one more annotator for a task whose annotations disagree).

Serving gold checks is part of a claim (:mod:`annotator.services.claims`); routing runs in the
submit that completes a task (:func:`route_disagreement`, called by
:func:`annotator.services.answers.submit`), as both change the task counters in their
transaction. Per-annotator accuracy and agreement with peers are in :mod:`annotator.services.stats`.

Lock order as everywhere: the task row first (marking and unmarking lock it, like claims and
submits do after their assignment), then its gold check.
"""

from __future__ import annotations

from django.db import transaction

from ..agreement import preference_disagreement, task_disagreement
from ..models import Annotation, GoldAnswer, GoldCheck, Project, Task
from .errors import AssignmentError
from .payload import AnswerPayload, derive_answers


def is_gold_check(task: Task) -> bool:
    """Whether the task is a gold check now (ask with the task row locked)."""
    return GoldCheck.objects.filter(task_id=task.pk).exists()


def set_gold_check(
    task: Task, user, *, options: dict | None = None, from_gold_answer: bool = False, comment: str = ""
) -> tuple[GoldCheck, bool]:
    """Make ``task`` a gold check with these expected answers, or replace its answers; returns
    (gold check, created).

    The expected answers are ``options`` (complete, validated like a submit) or, with
    ``from_gold_answer``, a copy of the task's reviewed gold answer. Only single tasks that are
    not disabled qualify. A new gold check leaves the normal queue at once: its ``required``
    becomes its ``assigned_count`` (the annotations it has and the leases in progress stay; no
    free normal slot is left), so from then on every slot is one annotator's gold-check serve.
    Raises :class:`AssignmentError` naming the field; nothing is saved then.
    """
    if (options is None) == (not from_gold_answer):
        raise AssignmentError(
            "Send either `options` (the expected answers) or `from_gold_answer`: true, exactly one of them.",
            {"options": ["send either `options` (the expected answers) or `from_gold_answer`: true"]},
        )
    with transaction.atomic():
        task = Task.objects.select_for_update(of=("self",)).select_related("project__checklist_version").get(pk=task.pk)
        if task.kind != Task.Kind.SINGLE:
            raise AssignmentError(
                f"task {task.pk} is a pair; only single-asset tasks can be gold checks.",
                {"task": ["only single-asset tasks can be gold checks"]},
            )
        if task.status == Task.Status.DISABLED:
            raise AssignmentError(
                f"task {task.pk} is disabled; it cannot be a gold check.", {"task": ["the task is disabled"]}
            )
        version_id = task.project.checklist_version_id
        if from_gold_answer:
            gold = GoldAnswer.objects.filter(task=task).first()
            if gold is None:
                raise AssignmentError(
                    f"task {task.pk} has no reviewed gold answer to copy.",
                    {"from_gold_answer": [f"task {task.pk} has no reviewed gold answer; send `options` instead"]},
                )
            if gold.checklist_version_id != version_id:
                raise AssignmentError(
                    f"the gold answer of task {task.pk} was made with another checklist version.",
                    {"from_gold_answer": ["the gold answer uses another checklist version; send `options` instead"]},
                )
            fields = {"options": gold.options, "answers": gold.answers, "mask": gold.mask}
        else:
            expected, answers, mask = derive_answers(task, AnswerPayload(options=options))
            fields = {"options": expected, "answers": answers, "mask": mask}
        fields.update(comment=comment or "", checklist_version_id=version_id)
        check = GoldCheck.objects.select_for_update().filter(task=task).first()
        created = check is None
        if created:
            check = GoldCheck.objects.create(task=task, project_id=task.project_id, created_by=user, **fields)
            task.required = task.assigned_count
            task.refresh_status()
            task.save(update_fields=["required", "status"])
        else:
            for name, value in fields.items():
                setattr(check, name, value)
            check.save()
        return check, created


def remove_gold_check(task: Task) -> bool:
    """Stop using ``task`` as a gold check; False when it was none.

    Its annotations stay (they are real answers); the task returns to the normal queue needing
    the project's k annotators (plus any added for disagreement), never fewer than the slots
    already taken, so it is done when it already has as many.
    """
    with transaction.atomic():
        task = Task.objects.select_for_update(of=("self",)).select_related("project").get(pk=task.pk)
        deleted, _ = GoldCheck.objects.filter(task=task).delete()
        if not deleted:
            return False
        task.required = max(task.assigned_count, task.project.overlap + task.extra_annotators)
        task.refresh_status()
        task.save(update_fields=["required", "status"])
        return True


# --- disagreement routing ---------------------------------------------------------------


def disagreement_of(task: Task, project: Project | None = None) -> float | None:
    """The mean pairwise disagreement of a task's submitted annotations (0..1; ``None`` with
    fewer than two comparable): binary answers where both masks apply for a single task,
    preferences for a pair (see :func:`annotator.agreement.task_disagreement`)."""
    annotations = Annotation.objects.filter(task_id=task.pk).order_by("id")
    if task.kind == Task.Kind.PAIR:
        return preference_disagreement(list(annotations.values_list("preference", flat=True)))
    width = (project or task.project).checklist_version.question_count
    vectors = [
        (answers, mask)
        for answers, mask in annotations.values_list("answers", "mask")
        if isinstance(answers, list) and isinstance(mask, list) and len(answers) == len(mask) == width
    ]
    return task_disagreement(vectors)


def route_disagreement(task: Task, project: Project) -> bool:
    """Ask for one more annotator when a task just completed with disagreeing annotations.

    Called in the submit's transaction with the task row locked and its counters updated (not
    saved). Applies when the project has a ``disagreement_threshold``, the task is complete
    (``submitted_count ≥ required``), is not a gold check and has had fewer than
    ``max_extra_annotators`` added, and :func:`disagreement_of` exceeds the threshold: then
    ``required`` and ``extra_annotators`` grow by one and the task opens again. Only a new
    annotation completes a task, and a retried submit returns before getting here, so each
    completion is judged once.
    """
    threshold = project.disagreement_threshold
    if threshold is None or task.status != Task.Status.DONE or task.extra_annotators >= project.max_extra_annotators:
        return False
    if is_gold_check(task):
        return False
    disagreement = disagreement_of(task, project)
    if disagreement is None or disagreement <= threshold:
        return False
    task.required += 1
    task.extra_annotators += 1
    task.refresh_status()
    return True
