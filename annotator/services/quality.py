"""Quality control: gold checks (tasks with known answers, served unseen among normal tasks).

Serving and disagreement routing live in :mod:`annotator.services.assignment` (they change the
task counters in the claim and submit transactions); per-annotator accuracy and agreement with
peers are in :mod:`annotator.services.stats`.

Lock order as everywhere: the task row first (marking and unmarking lock it, like claims and
submits do after their assignment), then its gold check.
"""

from __future__ import annotations

from django.db import transaction

from ..models import GoldAnswer, GoldCheck, Task
from .assignment import AnswerPayload, AssignmentError, _derive


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
            expected, answers, mask = _derive(task, AnswerPayload(options=options))
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
