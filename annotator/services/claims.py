"""Claims: which task an annotator gets next, as an assignment (a lease), and its lease.

Concurrency rules (PostgreSQL):
- A claim locks one open task row with ``FOR UPDATE SKIP LOCKED`` and takes one of its
  ``required`` slots in the same transaction; the ``task_not_over_assigned`` CHECK
  constraint is the last line of defence. Concurrent claimers never wait on each other.
- Lock order is always assignment → task, so claims, submits, skips and the lease sweep
  cannot deadlock. A claim first locks the claimer's user row (only claims take it), so one
  user's concurrent claims neither lease two tasks where one was asked for nor exceed
  ``MAX_LIVE_ASSIGNMENTS``; different users never wait on each other.
- The unique (task, user) assignment means nobody receives the same task twice.

Gold checks (see ``docs/annotator-app.md``, "Quality control"): a task with a
:class:`~annotator.models.GoldCheck` is outside the normal queue (its ``required`` always equals
its ``assigned_count``, so it is never open). On the claims :func:`gold_turn` picks, the oldest
gold check the annotator never had is served instead, and the serve adds its own slot
(``required`` and ``assigned_count`` grow together; releasing it shrinks both), so it never uses
one of the k normal slots and every annotator can answer it.

Answering an assignment (drafts, submit, skip) is in :mod:`annotator.services.answers`.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from .. import metrics
from ..models import UNCERTAINTY_ORDER, Assignment, GoldCheck, Project, Task
from .errors import AssignmentError
from .quality import is_gold_check

MAX_LIVE_ASSIGNMENTS = 2  # per user and project: the task at hand and one fetched ahead
EXPIRE_BATCH = 200


def lease_end(project: Project, now):
    return now + timedelta(seconds=project.lease_seconds)


def _take_slot(task: Task, gold: bool = False) -> None:
    """Take one slot of a locked task; a gold check gets a new slot for it (``required`` + 1)."""
    task.assigned_count += 1
    if gold:
        task.required = max(task.required, task.assigned_count)
    task.refresh_status()
    task.save(update_fields=["assigned_count", "required", "status"])


def free_slot(task: Task, gold: bool = False) -> None:
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


# A gold check is served only while it was set with its project's current checklist version
# (annotator.services.checklist_change keeps the others for the old answers' accuracy).
SERVED_GOLD_CHECK = Q(gold_check__checklist_version_id=F("project__checklist_version_id"))


def unseen_gold_checks(project, user):
    """The gold checks of ``project`` (a Project, an id or an ``OuterRef``) that ``user`` never
    had, where the project serves them (``gold_check_rate`` > 0): a claim serves each of them
    sooner or later, so "remaining" counts add them to the open tasks (and annotators cannot
    tell which of their tasks were gold checks from the count)."""
    had = Assignment.objects.filter(task=OuterRef("pk"), user=user)
    return (
        Task.objects.filter(project=project, gold_check__isnull=False, project__gold_check_rate__gt=0)
        .filter(SERVED_GOLD_CHECK)
        .exclude(status=Task.Status.DISABLED)
        .filter(~Exists(had))
    )


def _gold_candidate(project: Project, had_it) -> Task | None:
    """The oldest gold check of the project that the claimer never had, single or pair, locked
    (skip locked)."""
    return (
        Task.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(project=project, gold_check__isnull=False)
        .filter(SERVED_GOLD_CHECK)
        .exclude(status=Task.Status.DISABLED)
        .filter(~Exists(had_it))
        .order_by("id")
        .first()
    )


def _holdings(user, project: Project, exclude: set[int]) -> dict[str, int]:
    """The claimer's assignments in ``project``, counted in one query: ``total`` (all they ever
    had: numbers the claim for :func:`gold_turn`), ``holding`` (live ones: the cap), ``live``
    (live ones not in ``exclude``: one is renewed instead of leasing a new task) and ``lapsed``
    (expired ones with a draft, not in ``exclude``: one may be taken back)."""
    active = Q(state=Assignment.State.ACTIVE)
    wanted = ~Q(pk__in=exclude) if exclude else Q()
    with_draft = Q(state=Assignment.State.EXPIRED) & ~Q(draft={})
    return Assignment.objects.filter(user=user, project=project).aggregate(
        total=Count("id"),
        holding=Count("id", filter=active),
        live=Count("id", filter=active & wanted),
        lapsed=Count("id", filter=with_draft & wanted),
    )


def _live_assignment(user, project: Project, exclude: set[int]) -> Assignment | None:
    """The claimer's oldest live assignment not in ``exclude``, locked (waiting for a submit or
    renewal of it in progress)."""
    live = Assignment.objects.select_for_update().filter(user=user, project=project, state=Assignment.State.ACTIVE)
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
    if _lapsed_leases(now, project.pk).exists():  # one unlocked look; the sweep locks what it expires
        expire_leases(now=now, project_id=project.pk, limit=EXPIRE_BATCH)
    with transaction.atomic():
        # One claim per user at a time (the user's row is the lock; only claims take it), and
        # everything below read after it, so concurrent requests of one user neither lease two
        # tasks where one was asked for nor pass the cap.
        # FOR NO KEY UPDATE: it does not block the FOR KEY SHARE that inserting any row
        # referencing the user takes (a submit's annotation), which FOR UPDATE would, and
        # deadlock with a submit holding the assignment this claim waits for.
        get_user_model().objects.select_for_update(no_key=True).filter(pk=user.pk).values_list("pk", flat=True).first()
        mine = _holdings(user, project, exclude)
        if mine["live"]:
            live = _live_assignment(user, project, exclude)
            if live is not None:
                live.expires_at = lease_end(project, now)
                live.save(update_fields=["expires_at"])
                return live
            mine = _holdings(user, project, exclude)  # it was submitted, skipped or expired meanwhile

        holding = mine["holding"]
        if holding >= MAX_LIVE_ASSIGNMENTS:
            raise AssignmentError(
                f"You already hold {holding} live assignments in this project (at most {MAX_LIVE_ASSIGNMENTS}); "
                "submit or skip one before fetching another.",
                status=409,
            )

        lapsed = None
        if mine["lapsed"]:
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
            gold = is_gold_check(task)
            if task.status == Task.Status.OPEN or (gold and task.status != Task.Status.DISABLED):
                _take_slot(task, gold=gold)
                lapsed.state = Assignment.State.ACTIVE
                lapsed.leased_at = now
                lapsed.expires_at = lease_end(project, now)
                lapsed.finished_at = None
                lapsed.save(update_fields=["state", "leased_at", "expires_at", "finished_at"])
                transaction.on_commit(metrics.claimed)
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
        transaction.on_commit(metrics.claimed)
        return Assignment.objects.create(
            task=task, user=user, project=project, leased_at=now, expires_at=lease_end(project, now)
        )


def renew(assignment: Assignment, now=None) -> Assignment:
    """Extend a live lease (heartbeat while the annotator works)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Assignment.objects.select_for_update().select_related("project").get(pk=assignment.pk)
        if locked.state == Assignment.State.EXPIRED:
            reactivate(locked, now)
        elif locked.state != Assignment.State.ACTIVE:
            raise AssignmentError(
                f"assignment {locked.pk} is {locked.state}; only a live assignment can be renewed", status=409
            )
        locked.expires_at = lease_end(locked.project, now)
        locked.save(update_fields=["expires_at"])
        return locked


def reactivate(assignment: Assignment, now, task: Task | None = None) -> bool:
    """Bring back an expired lease if its task still has a free slot; True when it did.

    Called with the assignment row locked (and ``task``, its task, when the caller locked it
    too; otherwise it is locked here). Work is never refused because a lease lapsed:
    when the slot is gone, a submit is still accepted as a *late extra* (``Annotation.late``):
    kept and counted in statistics, but not one of the task's k (see
    :func:`annotator.services.answers.submit`).
    """
    if task is None:
        task = Task.objects.select_for_update().get(pk=assignment.task_id)
    if task.status == Task.Status.DISABLED:
        return False
    gold = is_gold_check(task)
    if not gold and task.assigned_count >= task.required:
        return False
    _take_slot(task, gold=gold)
    assignment.state = Assignment.State.ACTIVE
    assignment.leased_at = now
    assignment.finished_at = None
    assignment.save(update_fields=["state", "leased_at", "finished_at"])
    return True


def _lapsed_leases(now, project_id: int | None = None):
    """Live assignments whose lease ended before ``now`` (in one project, or in all)."""
    lapsed = Assignment.objects.filter(state=Assignment.State.ACTIVE, expires_at__lt=now)
    return lapsed if project_id is None else lapsed.filter(project_id=project_id)


def expire_leases(now=None, project_id: int | None = None, limit: int = 10_000) -> int:
    """Return the slots of lapsed leases to the pool; the number expired."""
    now = now or timezone.now()
    done = 0
    while done < limit:
        with transaction.atomic():
            batch = _lapsed_leases(now, project_id).select_for_update(skip_locked=True)
            rows = list(batch.order_by("id")[: min(EXPIRE_BATCH, limit - done)])
            if not rows:
                break
            for assignment in rows:
                assignment.state = Assignment.State.EXPIRED
                assignment.finished_at = now
            Assignment.objects.bulk_update(rows, ["state", "finished_at"])
            _return_slots(rows)
            done += len(rows)
    return done


def _return_slots(rows: list[Assignment]) -> None:
    """Give back the task slots of these just-ended leases (inside the caller's transaction)."""
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


def release_leases(user, project: Project, now=None) -> int:
    """End every live lease of ``user`` in ``project`` (a member removed): their tasks return to the
    queue for others, unsubmitted drafts with them. The number released."""
    now = now or timezone.now()
    with transaction.atomic():
        live = Assignment.objects.select_for_update().filter(user=user, project=project, state=Assignment.State.ACTIVE)
        rows = list(live.order_by("id"))
        for assignment in rows:
            assignment.state = Assignment.State.RELEASED
            assignment.finished_at = now
        Assignment.objects.bulk_update(rows, ["state", "finished_at"])
        _return_slots(rows)
    return len(rows)
