"""Remote code in model sources: who may allow it, what counts as a decision, the audit trail,
and who may see which model sources.

``trust_remote_code`` lets a model repository's own Python code run in the workers: whoever
controls that repository (or revision) runs code on the GPU machines. So it is an explicit,
confirmed, audited choice of admins: users with the ``worker.allow_remote_code`` permission
(superusers have every permission). Turning it on, or changing the source or revision of a
model that has it on (other code), is a decision that needs the permission and a confirmation;
turning it off is always allowed. Each decision is a ``RemoteCodeDecision`` row.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from annotator import permissions as perms
from annotator.models import Membership
from worker.models import ModelSpec, ProjectModel, RemoteCodeDecision

PERMISSION = "worker.allow_remote_code"
CONFIRM_FIELD = "confirm_trust_remote_code"
ALLOWED = "allowed"
TURNED_OFF = "turned_off"
KEYS = ("trust_remote_code", "source", "revision")


def remote_code_change(before: dict | None, after: dict) -> str | None:
    """What saving ``after`` (trust_remote_code, source, revision) over ``before`` (None: a new
    model) decides: ``"allowed"`` when remote code is on afterwards and was off, or its source
    or revision changed (code nobody vetted); ``"turned_off"`` when it goes off; else None."""
    trusted = bool(after.get("trust_remote_code"))
    was_trusted = bool(before and before.get("trust_remote_code"))
    if trusted:
        if not was_trusted:
            return ALLOWED
        if any((before.get(k) or "").strip() != (after.get(k) or "").strip() for k in ("source", "revision")):
            return ALLOWED
        return None
    return TURNED_OFF if was_trusted else None


def spec_values(spec: ModelSpec | None) -> dict | None:
    return None if spec is None or spec.pk is None else {k: getattr(spec, k) for k in KEYS}


def may_allow_remote_code(user) -> bool:
    return bool(user is not None and user.is_active and user.has_perm(PERMISSION))


def refusal(user) -> str:
    return (
        f"trust_remote_code: {user.get_username()} may not let a model source run its own code; only admins "
        f"with the 'allow remote code' permission ({PERMISSION}) can, with {CONFIRM_FIELD}"
    )


CONFIRMATION_NEEDED = (
    "confirm that this model's source ({source}{revision}) may run its own Python code on the workers: "
    "whoever controls that repository runs code there"
)


def record(spec: ModelSpec, change: str | None, user, via: str) -> RemoteCodeDecision | None:
    """Write the audit row of a decision (call in the transaction that saves ``spec``)."""
    if change is None:
        return None
    who = user if user is not None and getattr(user, "is_authenticated", False) else None
    return RemoteCodeDecision.objects.create(
        model=spec,
        model_name=spec.name,
        source=spec.source,
        revision=spec.revision,
        trust_remote_code=change == ALLOWED,
        decided_by=who,
        decided_by_name=who.get_username() if who else "",
        via=via,
    )


def last_allowed(spec: ModelSpec) -> RemoteCodeDecision | None:
    return spec.remote_code_decisions.filter(trust_remote_code=True).select_related(None).first()


def visible_models(user) -> QuerySet[ModelSpec]:
    """The model sources ``user`` may see: staff every one; managers and researchers the enabled
    ones (any of which they may choose, pre-fill, fine-tune or evaluate with) and those active in
    their projects; annotators and reviewers none (they see predictions, not model sources)."""
    if user.is_staff:
        return ModelSpec.objects.all()
    research = Membership.objects.filter(user=user, role__in=perms.RESEARCH).values("project_id")
    active = ProjectModel.objects.filter(project_id__in=research).values("model_id")
    if not Membership.objects.filter(user=user, role__in=perms.RESEARCH).exists():
        return ModelSpec.objects.none()
    return ModelSpec.objects.filter(Q(enabled=True) | Q(pk__in=active))
