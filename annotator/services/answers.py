"""Answering an assignment: drafts (autosave), submit, revision of one's own annotation, skip.

Lock order as in :mod:`annotator.services.claims`: the assignment (or annotation) row first,
then its task. A submit is idempotent by its ``client_id``. A submit that completes a task may
ask for one more annotator (disagreement routing, :mod:`annotator.services.quality`). A submit
emits ``annotation.submitted``, and ``task.completed`` when it completes its task (webhooks, in
the submit's transaction).
"""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from .. import metrics
from ..models import Annotation, AnnotationRevision, Assignment, Task
from ..webhooks import events, outbox
from .claims import free_slot, lease_end, reactivate
from .errors import AssignmentError
from .payload import AnswerPayload, derive_answers, draft_errors
from .quality import is_gold_check, route_disagreement


def save_draft(assignment: Assignment, payload: AnswerPayload, now=None) -> Assignment:
    """Autosave: store unsubmitted answers (validated loosely) and renew the lease."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            Assignment.objects.select_for_update()
            .select_related("task__project__checklist_version")
            .get(pk=assignment.pk)
        )
        if locked.state not in (Assignment.State.ACTIVE, Assignment.State.EXPIRED):
            raise AssignmentError(f"assignment {locked.pk} is {locked.state}; drafts are for open work", status=409)
        task = locked.task
        errors = draft_errors(task, payload)
        if errors:
            raise AssignmentError("The draft has invalid answers.", errors)
        if locked.state == Assignment.State.EXPIRED:
            reactivate(locked, now)
        locked.draft = {
            "options": payload.options,
            "preference": payload.preference,
            "dimension_preferences": payload.dimension_preferences or {},
            "comment": payload.comment,
            "time_spent_ms": payload.time_spent_ms,
        }
        locked.draft_saved_at = now
        if locked.state == Assignment.State.ACTIVE:
            locked.expires_at = lease_end(task.project, now)
        locked.save(update_fields=["draft", "draft_saved_at", "expires_at", "state", "leased_at", "finished_at"])
        return locked


def _record_revision(annotation: Annotation, user_id: int) -> None:
    AnnotationRevision.objects.create(
        annotation=annotation,
        revision=annotation.revision,
        client_id=annotation.client_id,
        options=annotation.options,
        answers=annotation.answers,
        mask=annotation.mask,
        preference=annotation.preference,
        dimension_preferences=annotation.dimension_preferences,
        comment=annotation.comment,
        time_spent_ms=annotation.time_spent_ms,
        created_by_id=user_id,
    )


def submit(assignment: Assignment, payload: AnswerPayload, client_id: uuid.UUID, now=None) -> tuple[Annotation, bool]:
    """Submit the answers of an assignment; returns (annotation, created).

    Idempotent by ``client_id``: a retried submit returns the annotation it made.
    """
    now = now or timezone.now()
    used = Annotation.objects.filter(user_id=OuterRef("user_id"), client_id=client_id)
    try:
        with transaction.atomic():
            # The assignment and its task locked in one statement (assignment first, as everywhere),
            # which also asks whether the client_id is taken. That answer is as of the statement's
            # start: a twin of this submit that held the lock and committed meanwhile shows only
            # in the state (submitted), so then the client_id is looked up again.
            locked = (
                Assignment.objects.select_for_update(of=("self", "task"))
                .select_related("task__project__checklist_version")
                .annotate(client_id_used=Exists(used), has_webhooks=outbox.has_webhooks(OuterRef("task__project_id")))
                .get(pk=assignment.pk)
            )
            if locked.client_id_used or locked.state == Assignment.State.SUBMITTED:
                existing = Annotation.objects.filter(user_id=locked.user_id, client_id=client_id).first()
                if existing is not None:
                    return _same_submit(existing, locked)
            if locked.state == Assignment.State.SUBMITTED:
                annotation = locked.annotation
                raise AssignmentError(
                    f"assignment {locked.pk} is already submitted as annotation {annotation.pk}; "
                    f"revise it with PUT /api/annotations/{annotation.pk}/",
                    {"client_id": ["already submitted with another client_id"]},
                    status=409,
                )
            if locked.state == Assignment.State.SKIPPED:
                raise AssignmentError(f"assignment {locked.pk} was skipped; it cannot be submitted", status=409)
            task = locked.task
            options, answers, mask = derive_answers(task, payload)
            late = False
            if locked.state != Assignment.State.ACTIVE:
                # A lapsed lease: take the slot back when it is free; else the work is a late extra.
                late = not reactivate(locked, now, task)
            annotation = Annotation.objects.create(
                assignment=locked,
                task=task,
                project_id=task.project_id,
                user_id=locked.user_id,
                checklist_version_id=task.project.checklist_version_id,
                client_id=client_id,
                options=options,
                answers=answers,
                mask=mask,
                preference=payload.preference if task.kind == Task.Kind.PAIR else None,
                dimension_preferences=payload.dimension_preferences or {},
                comment=payload.comment,
                time_spent_ms=payload.time_spent_ms,
                submitted_at=now,
                late=late,
            )
            _record_revision(annotation, locked.user_id)
            transaction.on_commit(metrics.submitted)
            locked.state = Assignment.State.SUBMITTED
            locked.finished_at = now
            locked.draft = {}
            locked.save(update_fields=["state", "finished_at", "draft"])
            hooks = outbox.active_webhooks(task.project_id) if locked.has_webhooks else []
            _emit_submitted(annotation, task, late, hooks)
            if late:
                # Its slot went to someone else: kept and marked late, but not one of the task's k
                # (required, assigned_count and submitted_count stay as they are).
                return annotation, True
            was_done = task.status == Task.Status.DONE
            task.submitted_count += 1
            task.refresh_status()
            route_disagreement(task, task.project)
            task.save(update_fields=["submitted_count", "assigned_count", "required", "extra_annotators", "status"])
            if task.status == Task.Status.DONE and not was_done:
                _emit_completed(task, hooks)
            return annotation, True
    except IntegrityError:
        existing = Annotation.objects.filter(user_id=assignment.user_id, client_id=client_id).first()
        if existing is None:
            raise
        return _same_submit(existing, assignment)


def _task_ref(task: Task) -> dict:
    return {
        "id": task.pk,
        "kind": task.kind,
        "url": outbox.api_url(f"/api/projects/{task.project_id}/tasks/{task.pk}/"),
    }


def _emit_submitted(annotation: Annotation, task: Task, late: bool, hooks: list) -> None:
    """``annotation.submitted`` to the project's webhooks, in the submit's transaction (``hooks``:
    its active webhooks, looked up once per submit and only when it has any)."""
    if not hooks:
        return
    outbox.emit(
        task.project,
        events.ANNOTATION_SUBMITTED,
        {
            "annotation": {
                "id": annotation.pk,
                "url": outbox.api_url(f"/api/annotations/{annotation.pk}/"),
                "user": annotation.user_id,
                "submitted_at": annotation.submitted_at.isoformat(),
                "late": late,
            },
            "task": _task_ref(task),
            "asset": {"id": task.asset_id, "url": outbox.api_url(f"/api/assets/{task.asset_id}/")},
        },
        hooks,
    )


def _emit_completed(task: Task, hooks: list) -> None:
    """``task.completed``: the task has all the annotations it needs (after disagreement routing)."""
    if not hooks:
        return
    outbox.emit(
        task.project,
        events.TASK_COMPLETED,
        {"task": {**_task_ref(task), "required": task.required, "submitted": task.submitted_count}},
        hooks,
    )


def _same_submit(existing: Annotation, assignment: Assignment) -> tuple[Annotation, bool]:
    if existing.assignment_id != assignment.pk:
        raise AssignmentError(
            f"client_id {existing.client_id} was already used for annotation {existing.pk} of another task",
            {"client_id": ["already used for another task; generate a new one per submit"]},
            status=409,
        )
    return existing, False


def revise(annotation: Annotation, payload: AnswerPayload, client_id: uuid.UUID, user) -> tuple[Annotation, bool]:
    """Replace the answers of one's own annotation until it is reviewed; history is kept."""
    with transaction.atomic():
        locked = (
            Annotation.objects.select_for_update()
            .select_related("task__project__checklist_version")
            .get(pk=annotation.pk)
        )
        if locked.revisions.filter(client_id=client_id).exists():
            return locked, False
        if locked.state == Annotation.State.REVIEWED:
            raise AssignmentError(f"annotation {locked.pk} is reviewed and can no longer be revised", status=409)
        if locked.checklist_version_id != locked.task.project.checklist_version_id:
            raise AssignmentError(
                f"annotation {locked.pk} was made with checklist {locked.checklist_version}; the project now uses "
                f"{locked.task.project.checklist_version}, so it is kept as it was and can no longer be revised",
                status=409,
            )
        options, answers, mask = derive_answers(locked.task, payload)
        locked.options, locked.answers, locked.mask = options, answers, mask
        if locked.task.kind == Task.Kind.PAIR:
            locked.preference = payload.preference
        locked.dimension_preferences = payload.dimension_preferences or {}
        locked.comment = payload.comment
        locked.time_spent_ms = locked.time_spent_ms + payload.time_spent_ms
        locked.client_id = client_id
        locked.revision += 1
        locked.save()
        _record_revision(locked, user.pk)
        return locked, True


def skip(assignment: Assignment, reason: str, now=None) -> Assignment:
    """Give a task back with a reason; the slot returns to the pool and the user never gets it again."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise AssignmentError("Say why the task is skipped.", {"reason": ["This field may not be blank."]})
    with transaction.atomic():
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.state not in (Assignment.State.ACTIVE, Assignment.State.EXPIRED):
            raise AssignmentError(f"assignment {locked.pk} is {locked.state}; it cannot be skipped", status=409)
        if locked.state == Assignment.State.ACTIVE:
            task = Task.objects.select_for_update().get(pk=locked.task_id)
            free_slot(task, gold=is_gold_check(task))
        locked.state = Assignment.State.SKIPPED
        locked.skip_reason = reason[:2000]
        locked.finished_at = now
        locked.save(update_fields=["state", "skip_reason", "finished_at"])
        return locked
