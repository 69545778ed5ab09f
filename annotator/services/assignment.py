"""Assignment of tasks to annotators, drafts, submission and revision.

Concurrency rules (PostgreSQL):
- A claim locks one open task row with ``FOR UPDATE SKIP LOCKED`` and takes one of its
  ``required`` slots in the same transaction; the ``task_not_over_assigned`` CHECK
  constraint is the last line of defence. Concurrent claimers never wait on each other.
- Lock order is always assignment → task, so claims, submits, skips and the lease sweep
  cannot deadlock. A claim that takes a new live slot first locks the claimer's user row
  (only claims take it), so one user's concurrent claims cannot exceed
  ``MAX_LIVE_ASSIGNMENTS``; different users never wait on each other.
- The unique (task, user) assignment means nobody receives the same task twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from ..checklist import AnswerError, expand, validate_options
from ..models import UNCERTAINTY_ORDER, Annotation, AnnotationRevision, Assignment, Project, Task

MAX_TIME_SPENT_MS = 24 * 3600 * 1000
MAX_LIVE_ASSIGNMENTS = 2  # per user and project: the task at hand and one fetched ahead
EXPIRE_BATCH = 200


class AssignmentError(Exception):
    """A request that cannot be carried out; ``errors`` names the fields (for a 400/409)."""

    def __init__(self, detail: str, errors: dict | None = None, status: int = 400):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}
        self.status = status


# --- claiming ---------------------------------------------------------------------------


def _lease_end(project: Project, now):
    return now + timedelta(seconds=project.lease_seconds)


def _take_slot(task: Task) -> None:
    task.assigned_count += 1
    task.refresh_status()
    task.save(update_fields=["assigned_count", "status"])


def _free_slot(task: Task) -> None:
    task.assigned_count = max(0, task.assigned_count - 1)
    task.refresh_status()
    task.save(update_fields=["assigned_count", "status"])


def _live_assignment(user, project: Project, exclude: set[int], wait: bool = False) -> Assignment | None:
    live = Assignment.objects.select_for_update(skip_locked=not wait).filter(
        user=user, project=project, state=Assignment.State.ACTIVE
    )
    if exclude:
        live = live.exclude(pk__in=exclude)
    return live.order_by("leased_at", "id").first()


def claim_order(project: Project) -> tuple:
    """The order new tasks are served in: best priority first, then (for projects that prefer
    uncertain items) the most uncertain model prediction first, tasks without one last, then
    oldest first. Each order has its partial index (``task_claim_queue``, ``task_claim_uncertain``)."""
    if project.prefer_uncertain:
        return ("-priority", UNCERTAINTY_ORDER.desc(), "id")
    return ("-priority", "id")


def claim_next(user, project: Project, now=None, exclude=()) -> Assignment | None:
    """The user's next assignment in ``project``, or None when no task is left for them.

    Order: the user's own live assignment (lease renewed); their own expired assignment
    if its task still has a free slot (their draft is kept); else a new slot of the open
    task with the highest priority, oldest first, that the user never had (with
    ``project.prefer_uncertain``: the most uncertain prediction first within a priority,
    see :func:`claim_order`).

    ``exclude``: assignment ids the caller already holds and does not want back, to lease
    the following task in advance (prefetch). A user holds at most ``MAX_LIVE_ASSIGNMENTS``
    live assignments per project; asking for one more answers AssignmentError 409.
    """
    now = now or timezone.now()
    exclude = {int(pk) for pk in exclude}
    expire_leases(now=now, project_id=project.pk, limit=EXPIRE_BATCH)
    with transaction.atomic():
        live = _live_assignment(user, project, exclude)
        if live is None:
            # About to take one more live slot: one such claim per user at a time (the user's
            # row is the lock; only claims take it), then look again, waiting for a lease being
            # renewed meanwhile, so concurrent requests of one user neither lease two tasks where
            # one was asked for nor pass the cap.
            # FOR NO KEY UPDATE: it does not block the FOR KEY SHARE that inserting any row
            # referencing the user takes (a submit's annotation), which FOR UPDATE would, and
            # deadlock with a submit holding the assignment this claim waits for.
            get_user_model().objects.select_for_update(no_key=True).filter(pk=user.pk).values_list(
                "pk", flat=True
            ).first()
            live = _live_assignment(user, project, exclude, wait=True)
        if live is not None:
            live.expires_at = _lease_end(project, now)
            live.save(update_fields=["expires_at"])
            return live

        holding = Assignment.objects.filter(user=user, project=project, state=Assignment.State.ACTIVE).count()
        if holding >= MAX_LIVE_ASSIGNMENTS:
            raise AssignmentError(
                f"You already hold {holding} live assignments in this project (at most {MAX_LIVE_ASSIGNMENTS}); "
                "submit or skip one before fetching another.",
                status=409,
            )

        lapsed = (
            Assignment.objects.select_for_update(skip_locked=True)
            .filter(user=user, project=project, state=Assignment.State.EXPIRED, task__status=Task.Status.OPEN)
            .exclude(draft={})
        )
        if exclude:
            lapsed = lapsed.exclude(pk__in=exclude)
        lapsed = lapsed.order_by("-draft_saved_at", "id").first()
        if lapsed is not None:
            task = Task.objects.select_for_update().get(pk=lapsed.task_id)
            if task.status == Task.Status.OPEN:
                _take_slot(task)
                lapsed.state = Assignment.State.ACTIVE
                lapsed.leased_at = now
                lapsed.expires_at = _lease_end(project, now)
                lapsed.finished_at = None
                lapsed.save(update_fields=["state", "leased_at", "expires_at", "finished_at"])
                return lapsed

        had_it = Assignment.objects.filter(task=OuterRef("pk"), user=user)
        task = (
            Task.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(project=project, status=Task.Status.OPEN)
            .filter(~Exists(had_it))
            .order_by(*claim_order(project))
            .first()
        )
        if task is None:
            return None
        _take_slot(task)
        return Assignment.objects.create(
            task=task, user=user, project=project, leased_at=now, expires_at=_lease_end(project, now)
        )


def renew(assignment: Assignment, now=None) -> Assignment:
    """Extend a live lease (heartbeat while the annotator works)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Assignment.objects.select_for_update().select_related("project").get(pk=assignment.pk)
        if locked.state == Assignment.State.EXPIRED:
            _reactivate(locked, now)
        elif locked.state != Assignment.State.ACTIVE:
            raise AssignmentError(
                f"assignment {locked.pk} is {locked.state}; only a live assignment can be renewed", status=409
            )
        locked.expires_at = _lease_end(locked.project, now)
        locked.save(update_fields=["expires_at"])
        return locked


def _reactivate(assignment: Assignment, now) -> bool:
    """Bring back an expired lease if its task still has a free slot; True when it did.

    Called with the assignment row locked. Work is never refused because a lease lapsed:
    when the slot is gone, a submit is still accepted (the task gets an extra annotation).
    """
    task = Task.objects.select_for_update().get(pk=assignment.task_id)
    if task.assigned_count >= task.required or task.status == Task.Status.DISABLED:
        return False
    _take_slot(task)
    assignment.state = Assignment.State.ACTIVE
    assignment.leased_at = now
    assignment.finished_at = None
    assignment.save(update_fields=["state", "leased_at", "finished_at"])
    return True


def expire_leases(now=None, project_id: int | None = None, limit: int = 10_000) -> int:
    """Return the slots of lapsed leases to the pool; the number expired."""
    now = now or timezone.now()
    done = 0
    while done < limit:
        with transaction.atomic():
            batch = Assignment.objects.select_for_update(skip_locked=True).filter(
                state=Assignment.State.ACTIVE, expires_at__lt=now
            )
            if project_id is not None:
                batch = batch.filter(project_id=project_id)
            rows = list(batch.order_by("id")[: min(EXPIRE_BATCH, limit - done)])
            if not rows:
                break
            for assignment in rows:
                assignment.state = Assignment.State.EXPIRED
                assignment.finished_at = now
            Assignment.objects.bulk_update(rows, ["state", "finished_at"])
            task_ids = sorted({a.task_id for a in rows})
            counts: dict[int, int] = {}
            for a in rows:
                counts[a.task_id] = counts.get(a.task_id, 0) + 1
            for task in Task.objects.select_for_update().filter(pk__in=task_ids).order_by("id"):
                task.assigned_count = max(0, task.assigned_count - counts[task.pk])
                task.refresh_status()
                task.save(update_fields=["assigned_count", "status"])
            done += len(rows)
    return done


# --- drafts -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerPayload:
    """What an annotator sends for a task (a draft, a submit or a revision)."""

    options: dict
    preference: int | None = None
    dimension_preferences: dict | None = None
    comment: str = ""
    time_spent_ms: int = 0


def _check_pair_fields(task: Task, payload: AnswerPayload, *, complete: bool) -> dict:
    errors: dict = {}
    checklist = task.project.checklist_version.checklist
    if task.kind == Task.Kind.PAIR:
        pref = payload.preference
        if pref is None:
            if complete:
                errors["preference"] = ["This field is required for a pair: 1 (A much better) … 5 (B much better)."]
        elif isinstance(pref, bool) or not isinstance(pref, int) or not 1 <= pref <= 5:
            errors["preference"] = [f"{pref!r} is not a preference: use an integer from 1 to 5 (3 = no preference)."]
        dim_errors = {}
        dimension_keys = {d.key for d in checklist.dimensions}
        for key, value in (payload.dimension_preferences or {}).items():
            if key not in dimension_keys:
                dim_errors[key] = [f"unknown dimension {key!r}; known: {', '.join(sorted(dimension_keys))}"]
            elif value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5):
                dim_errors[key] = [f"{value!r} is not a preference: use an integer from 1 to 5."]
        if dim_errors:
            errors["dimension_preferences"] = dim_errors
        if payload.options:
            errors["options"] = ["A pair task takes a preference, not checklist options."]
    else:
        if payload.preference is not None:
            errors["preference"] = ["Only pair tasks take a preference."]
        if payload.dimension_preferences:
            errors["dimension_preferences"] = ["Only pair tasks take per-dimension preferences."]
    return errors


def _problems_to_errors(problems) -> dict:
    out: dict = {}
    for problem in problems:
        out.setdefault(problem.path or "options", []).append(problem.message)
    return out


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
        errors = _check_pair_fields(task, payload, complete=False)
        if task.kind == Task.Kind.SINGLE:
            problems = validate_options(task.project.checklist_version.checklist, payload.options, partial=True)
            if problems:
                errors["options"] = _problems_to_errors(problems)
        if errors:
            raise AssignmentError("The draft has invalid answers.", errors)
        if locked.state == Assignment.State.EXPIRED:
            _reactivate(locked, now)
        locked.draft = {
            "options": payload.options,
            "preference": payload.preference,
            "dimension_preferences": payload.dimension_preferences or {},
            "comment": payload.comment,
            "time_spent_ms": payload.time_spent_ms,
        }
        locked.draft_saved_at = now
        if locked.state == Assignment.State.ACTIVE:
            locked.expires_at = _lease_end(task.project, now)
        locked.save(update_fields=["draft", "draft_saved_at", "expires_at", "state", "leased_at", "finished_at"])
        return locked


# --- submit and revise ------------------------------------------------------------------


def _derive(task: Task, payload: AnswerPayload) -> tuple[dict, list, list]:
    """Validate a complete answer; returns (options, answers, mask)."""
    errors = _check_pair_fields(task, payload, complete=True)
    options, answers, mask = {}, [], []
    if task.kind == Task.Kind.SINGLE:
        try:
            expansion = expand(task.project.checklist_version.checklist, payload.options)
        except AnswerError as exc:
            errors["options"] = _problems_to_errors(exc.problems)
        else:
            options = {k: v for k, v in expansion.options.items() if v is not None}
            answers, mask = list(expansion.answers), list(expansion.mask)
    if not 0 <= payload.time_spent_ms <= MAX_TIME_SPENT_MS:
        errors["time_spent_ms"] = [f"must be between 0 and {MAX_TIME_SPENT_MS} milliseconds"]
    if errors:
        raise AssignmentError("The answers are incomplete or invalid.", errors)
    return options, answers, mask


def _record_revision(annotation: Annotation, user) -> None:
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
        created_by=user,
    )


def submit(assignment: Assignment, payload: AnswerPayload, client_id: uuid.UUID, now=None) -> tuple[Annotation, bool]:
    """Submit the answers of an assignment; returns (annotation, created).

    Idempotent by ``client_id``: a retried submit returns the annotation it made.
    """
    now = now or timezone.now()
    existing = Annotation.objects.filter(user_id=assignment.user_id, client_id=client_id).first()
    if existing is not None:
        return _same_submit(existing, assignment)
    try:
        with transaction.atomic():
            locked = (
                Assignment.objects.select_for_update()
                .select_related("task__project__checklist_version")
                .get(pk=assignment.pk)
            )
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
            options, answers, mask = _derive(task, payload)
            if locked.state != Assignment.State.ACTIVE:
                _reactivate(locked, now)  # a lapsed lease: take the slot back when it is free
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
            )
            _record_revision(annotation, locked.user)
            was_active = locked.state == Assignment.State.ACTIVE
            locked.state = Assignment.State.SUBMITTED
            locked.finished_at = now
            locked.draft = {}
            locked.save(update_fields=["state", "finished_at", "draft"])
            task = Task.objects.select_for_update().get(pk=task.pk)
            task.submitted_count += 1
            if not was_active:
                # Late submit whose slot was taken meanwhile: an extra annotation, counted.
                task.required = max(task.required, task.assigned_count + 1)
                task.assigned_count += 1
            task.refresh_status()
            task.save(update_fields=["submitted_count", "assigned_count", "required", "status"])
            return annotation, True
    except IntegrityError:
        existing = Annotation.objects.filter(user_id=assignment.user_id, client_id=client_id).first()
        if existing is None:
            raise
        return _same_submit(existing, assignment)


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
        options, answers, mask = _derive(locked.task, payload)
        locked.options, locked.answers, locked.mask = options, answers, mask
        if locked.task.kind == Task.Kind.PAIR:
            locked.preference = payload.preference
        locked.dimension_preferences = payload.dimension_preferences or {}
        locked.comment = payload.comment
        locked.time_spent_ms = locked.time_spent_ms + payload.time_spent_ms
        locked.client_id = client_id
        locked.revision += 1
        locked.save()
        _record_revision(locked, user)
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
            _free_slot(Task.objects.select_for_update().get(pk=locked.task_id))
        locked.state = Assignment.State.SKIPPED
        locked.skip_reason = reason[:2000]
        locked.finished_at = now
        locked.save(update_fields=["state", "skip_reason", "finished_at"])
        return locked


def review(annotation: Annotation, reviewer, now=None) -> Annotation:
    """Accept an annotation as reviewed; it can no longer be revised by its annotator."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Annotation.objects.select_for_update().get(pk=annotation.pk)
        locked.state = Annotation.State.REVIEWED
        locked.reviewed_by = reviewer
        locked.reviewed_at = now
        locked.save(update_fields=["state", "reviewed_by", "reviewed_at", "updated_at"])
        return locked
