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

Quality control (see ``docs/annotator-app.md``, "Quality control"):
- Gold checks: a task with a :class:`~annotator.models.GoldCheck` is outside the normal queue
  (its ``required`` always equals its ``assigned_count``, so it is never open). On the claims
  :func:`gold_turn` picks, the oldest gold check the annotator never had is served instead,
  and the serve adds its own slot (``required`` and ``assigned_count`` grow together; releasing
  it shrinks both), so it never uses one of the k normal slots and every annotator can answer it.
- Disagreement routing: when a submit completes a task (every required annotation is in) and
  the annotations disagree beyond ``Project.disagreement_threshold``, ``required`` grows by one
  (at most ``Project.max_extra_annotators`` times per task), in the submit's transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from ..agreement import preference_disagreement, task_disagreement
from ..checklist import AnswerError, expand, validate_options
from ..models import UNCERTAINTY_ORDER, Annotation, AnnotationRevision, Assignment, GoldCheck, Project, Task

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


def _is_gold_check(task: Task) -> bool:
    """Whether the task is a gold check now (ask with the task row locked)."""
    return GoldCheck.objects.filter(task_id=task.pk).exists()


def _take_slot(task: Task, gold: bool = False) -> None:
    """Take one slot of a locked task; a gold check gets a new slot for it (``required`` + 1)."""
    task.assigned_count += 1
    if gold:
        task.required = max(task.required, task.assigned_count)
    task.refresh_status()
    task.save(update_fields=["assigned_count", "required", "status"])


def _free_slot(task: Task, gold: bool = False) -> None:
    """Give back one slot of a locked task; a gold check drops it (``required`` − 1)."""
    task.assigned_count = max(0, task.assigned_count - 1)
    if gold:
        task.required = task.assigned_count
    task.refresh_status()
    task.save(update_fields=["assigned_count", "required", "status"])


def gold_turn(project: Project, user, claims_before: int) -> bool:
    """Whether an annotator's next new claim in ``project`` serves a gold check (when one is left).

    With rate r = ``project.gold_check_rate``, claim number m (m = ``claims_before`` + 1, counting
    every assignment the user ever got in the project) is a gold turn when
    ``floor(r·m + u) > floor(r·(m − 1) + u)``, where u in [0, 1) is a fixed offset per
    (project, user) derived from ``SECRET_KEY``. So exactly ``floor(r·m + u)`` of the first m
    claims are gold turns, i.e. r·m whenever r·m is whole (0 never, 1 always), spread evenly,
    and annotators cannot tell from the count which claims they are.
    """
    rate = float(project.gold_check_rate or 0.0)
    if rate <= 0.0:
        return False
    if rate >= 1.0:
        return True
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"gold-check:{project.pk}:{user.pk}".encode(), hashlib.sha256
    ).digest()
    offset = int.from_bytes(digest[:8], "big") / 2**64
    eps = 1e-9  # r·m that is whole in decimals but not quite in floating point
    before = math.floor(rate * claims_before + offset + eps)
    return math.floor(rate * (claims_before + 1) + offset + eps) > before


def unseen_gold_checks(project, user):
    """The gold checks of ``project`` (a Project, an id or an ``OuterRef``) that ``user`` never
    had, where the project serves them (``gold_check_rate`` > 0): a claim serves each of them
    sooner or later, so "remaining" counts add them to the open tasks (and annotators cannot
    tell which of their tasks were gold checks from the count)."""
    had = Assignment.objects.filter(task=OuterRef("pk"), user=user)
    return (
        Task.objects.filter(project=project, gold_check__isnull=False, project__gold_check_rate__gt=0)
        .exclude(status=Task.Status.DISABLED)
        .filter(~Exists(had))
    )


def _gold_candidate(project: Project, had_it) -> Task | None:
    """The oldest gold check of the project that the claimer never had, locked (skip locked)."""
    return (
        Task.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(project=project, kind=Task.Kind.SINGLE, gold_check__isnull=False)
        .exclude(status=Task.Status.DISABLED)
        .filter(~Exists(had_it))
        .order_by("id")
        .first()
    )


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
    see :func:`claim_order`). On a gold turn (:func:`gold_turn`) the oldest gold check the user
    never had comes first, in a slot of its own; otherwise gold checks are served only when no
    normal task is left for the user (and the project's ``gold_check_rate`` is not 0).

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

        mine = Assignment.objects.filter(user=user, project=project).aggregate(
            total=Count("id"), holding=Count("id", filter=Q(state=Assignment.State.ACTIVE))
        )
        holding = mine["holding"]
        if holding >= MAX_LIVE_ASSIGNMENTS:
            raise AssignmentError(
                f"You already hold {holding} live assignments in this project (at most {MAX_LIVE_ASSIGNMENTS}); "
                "submit or skip one before fetching another.",
                status=409,
            )

        lapsed = (
            Assignment.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(user=user, project=project, state=Assignment.State.EXPIRED)
            .filter(Q(task__status=Task.Status.OPEN) | Q(task__gold_check__isnull=False))
            .exclude(draft={})
        )
        if exclude:
            lapsed = lapsed.exclude(pk__in=exclude)
        lapsed = lapsed.order_by("-draft_saved_at", "id").first()
        if lapsed is not None:
            task = Task.objects.select_for_update().get(pk=lapsed.task_id)
            gold = _is_gold_check(task)
            if task.status == Task.Status.OPEN or (gold and task.status != Task.Status.DISABLED):
                _take_slot(task, gold=gold)
                lapsed.state = Assignment.State.ACTIVE
                lapsed.leased_at = now
                lapsed.expires_at = _lease_end(project, now)
                lapsed.finished_at = None
                lapsed.save(update_fields=["state", "leased_at", "expires_at", "finished_at"])
                return lapsed

        had_it = Assignment.objects.filter(task=OuterRef("pk"), user=user)
        is_gold = GoldCheck.objects.filter(task=OuterRef("pk"))
        task, gold = None, False
        if gold_turn(project, user, mine["total"]):
            task = _gold_candidate(project, had_it)
            gold = task is not None
        if task is None:
            task = (
                Task.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(project=project, status=Task.Status.OPEN)
                .filter(~Exists(had_it), ~Exists(is_gold))
                .order_by(*claim_order(project))
                .first()
            )
        if task is None and project.gold_check_rate > 0:
            # No normal task left for this user: the gold checks they never had, so that every
            # task a "remaining" count includes (see :func:`unseen_gold_checks`) is served.
            task = _gold_candidate(project, had_it)
            gold = task is not None
        if task is None:
            return None
        _take_slot(task, gold=gold)
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
    when the slot is gone, a submit is still accepted as a *late extra* (``Annotation.late``):
    kept and counted in statistics, but not one of the task's k (see :func:`submit`).
    """
    task = Task.objects.select_for_update().get(pk=assignment.task_id)
    if task.status == Task.Status.DISABLED:
        return False
    gold = _is_gold_check(task)
    if not gold and task.assigned_count >= task.required:
        return False
    _take_slot(task, gold=gold)
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
            tasks = list(Task.objects.select_for_update().filter(pk__in=task_ids).order_by("id"))
            gold = set(GoldCheck.objects.filter(task_id__in=task_ids).values_list("task_id", flat=True))
            for task in tasks:
                task.assigned_count = max(0, task.assigned_count - counts[task.pk])
                if task.pk in gold:
                    task.required = task.assigned_count  # a gold check's slots come and go with its serves
                task.refresh_status()
                task.save(update_fields=["assigned_count", "required", "status"])
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
            late = False
            if locked.state != Assignment.State.ACTIVE:
                # A lapsed lease: take the slot back when it is free; else the work is a late extra.
                late = not _reactivate(locked, now)
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
            _record_revision(annotation, locked.user)
            locked.state = Assignment.State.SUBMITTED
            locked.finished_at = now
            locked.draft = {}
            locked.save(update_fields=["state", "finished_at", "draft"])
            if late:
                # Its slot went to someone else: kept and marked late, but not one of the task's k
                # (required, assigned_count and submitted_count stay as they are).
                return annotation, True
            task = Task.objects.select_for_update().get(pk=task.pk)
            task.submitted_count += 1
            task.refresh_status()
            _route_disagreement(task, locked.task.project)
            task.save(update_fields=["submitted_count", "assigned_count", "required", "extra_annotators", "status"])
            return annotation, True
    except IntegrityError:
        existing = Annotation.objects.filter(user_id=assignment.user_id, client_id=client_id).first()
        if existing is None:
            raise
        return _same_submit(existing, assignment)


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


def _route_disagreement(task: Task, project: Project) -> bool:
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
    if _is_gold_check(task):
        return False
    disagreement = disagreement_of(task, project)
    if disagreement is None or disagreement <= threshold:
        return False
    task.required += 1
    task.extra_annotators += 1
    task.refresh_status()
    return True


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
            task = Task.objects.select_for_update().get(pk=locked.task_id)
            _free_slot(task, gold=_is_gold_check(task))
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
