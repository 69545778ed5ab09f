"""A project's members: their activity (one query for the whole list), role changes and removal.

A project always keeps a manager: demoting or removing its last one is refused (``MemberError``),
under a lock of the project's manager rows so that two managers demoting each other at the same
moment cannot both succeed. Removing a member ends their live leases (the tasks go back to the
queue, unsubmitted drafts with them); what they submitted stays in the project.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, DateTimeField, IntegerField, Max, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..models import Annotation, Assignment, Membership, Project
from .claims import release_leases

MANAGER = Membership.Role.MANAGER


class MemberError(Exception):
    """A refused member change: ``field`` → ``message`` (a 400)."""

    def __init__(self, message: str, field: str = "role"):
        super().__init__(message)
        self.message, self.field = message, field


def _per_member(rows: QuerySet, value, output_field):
    """One value per member of ``rows`` (of the member's own project and user), as a subquery."""
    scoped = rows.filter(project=OuterRef("project"), user=OuterRef("user")).order_by().values("user")
    return Subquery(scoped.annotate(v=value).values("v")[:1], output_field=output_field)


def with_activity(memberships: QuerySet, now=None) -> QuerySet:
    """The memberships annotated with their user's activity in the project, in the same query:

    ``last_annotation_at`` (latest submitted or revised annotation), ``last_assignment_at`` (latest
    lease taken), ``annotations_done`` (annotations submitted) and ``active_leases`` (live leases).
    The user's ``last_login`` comes with ``select_related``."""
    now = now or timezone.now()
    annotations, assignments = Annotation.objects.all(), Assignment.objects.all()
    live = assignments.filter(state=Assignment.State.ACTIVE, expires_at__gt=now)
    return memberships.select_related("user").annotate(
        last_annotation_at=_per_member(annotations, Max("updated_at"), DateTimeField()),
        last_assignment_at=_per_member(assignments, Max("leased_at"), DateTimeField()),
        annotations_done=Coalesce(_per_member(annotations, Count("id"), IntegerField()), 0),
        active_leases=Coalesce(_per_member(live, Count("id"), IntegerField()), 0),
    )


def last_activity(membership) -> object:
    """The latest of an annotated membership's annotation and lease times (None: never active)."""
    times = [t for t in (membership.last_annotation_at, membership.last_assignment_at) if t is not None]
    return max(times) if times else None


def _lock(membership: Membership) -> Membership:
    """The membership, re-read under a lock of its project's row: member changes of one project
    run one at a time, so the manager count read here holds until the change commits."""
    Project.objects.select_for_update().filter(pk=membership.project_id).values_list("pk").first()
    return Membership.objects.select_related("user", "project").get(pk=membership.pk)


def _other_managers(membership: Membership) -> bool:
    return Membership.objects.filter(project_id=membership.project_id, role=MANAGER).exclude(pk=membership.pk).exists()


def last_manager_message(membership: Membership, what: str) -> str:
    return (
        f"{membership.user.get_username()} is the project's only manager: make another member a manager "
        f"before {what}. A project always keeps a manager."
    )


def change_role(membership: Membership, role: str) -> Membership:
    with transaction.atomic():
        locked = _lock(membership)
        if locked.role == MANAGER and role != MANAGER and not _other_managers(locked):
            raise MemberError(last_manager_message(locked, "changing their role"))
        if locked.role != role:
            locked.role = role
            locked.save(update_fields=["role"])
    return locked


def remove(membership: Membership, now=None) -> int:
    """Remove the member; the number of their live leases that went back to the queue."""
    with transaction.atomic():
        locked = _lock(membership)
        if locked.role == MANAGER and not _other_managers(locked):
            raise MemberError(last_manager_message(locked, "removing them"), "username")
        released = release_leases(locked.user, locked.project, now)
        locked.delete()
    return released
