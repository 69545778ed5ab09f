"""Who may do what in a project.

Roles are per project (``Membership.role``); staff users (admins) may do everything.
Capabilities:

| capability | annotator | reviewer | manager | researcher |
| --- | --- | --- | --- | --- |
| see the project, its checklist, its media | yes | yes | yes | yes |
| claim tasks and annotate | yes | yes | yes | no |
| read everyone's annotations | no (own only) | yes | yes | yes |
| review annotations | no | yes | yes | no |
| edit the project, members, import assets, make pairs | no | no | yes | no |
| start research jobs, export | no | no | yes | yes |
"""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Membership, Project

Role = Membership.Role

ANNOTATE = {Role.ANNOTATOR, Role.REVIEWER, Role.MANAGER}
READ_ALL_ANNOTATIONS = {Role.REVIEWER, Role.MANAGER, Role.RESEARCHER}
REVIEW = {Role.REVIEWER, Role.MANAGER}
MANAGE = {Role.MANAGER}
RESEARCH = {Role.MANAGER, Role.RESEARCHER}


def project_role(user, project: Project | int) -> str | None:
    """The user's role in the project, or None when not a member."""
    if not user or not user.is_authenticated:
        return None
    project_id = project if isinstance(project, int) else project.pk
    cache = getattr(user, "_vr_roles", None)
    if cache is None:
        cache = user._vr_roles = {}
    if project_id not in cache:
        cache[project_id] = (
            Membership.objects.filter(project_id=project_id, user=user).values_list("role", flat=True).first()
        )
    return cache[project_id]


def _has(user, project, roles: set) -> bool:
    if user and user.is_authenticated and user.is_staff:
        return True
    return project_role(user, project) in roles


def is_member(user, project) -> bool:
    return bool(user and user.is_authenticated and (user.is_staff or project_role(user, project)))


def can_annotate(user, project) -> bool:
    return _has(user, project, ANNOTATE)


def can_read_all_annotations(user, project) -> bool:
    return _has(user, project, READ_ALL_ANNOTATIONS)


def can_review(user, project) -> bool:
    return _has(user, project, REVIEW)


def can_manage(user, project) -> bool:
    return _has(user, project, MANAGE)


def can_research(user, project) -> bool:
    return _has(user, project, RESEARCH)


def visible_projects(user) -> QuerySet[Project]:
    """Projects the user may see: all for staff, their memberships otherwise."""
    if user.is_staff:
        return Project.objects.all()
    return Project.objects.filter(memberships__user=user)


def can_create_projects(user) -> bool:
    """Staff, or users given ``annotator.add_project``."""
    return bool(user and user.is_authenticated and (user.is_staff or user.has_perm("annotator.add_project")))


def can_load_checklists(user) -> bool:
    """Staff, or users given ``annotator.add_checklistversion``."""
    return bool(user and user.is_authenticated and (user.is_staff or user.has_perm("annotator.add_checklistversion")))
