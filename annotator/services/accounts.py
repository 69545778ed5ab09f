"""Accounts: password reset by e-mail and invitation links, on Django's own token machinery.

- Password reset: Django's ``PasswordResetForm`` (active users with a usable password whose
  e-mail matches) sends a link carrying ``uid`` and ``default_token_generator``'s token; the
  token stops working once the password changes or after ``PASSWORD_RESET_TIMEOUT``.
- Invitations: a row (who, which project and role, until when) and a link carrying the row's id
  signed with ``django.core.signing`` (salted, timestamped). The signature proves the link was
  ours, the row decides: accepted, revoked or past ``expires_at`` and it no longer works.

Links point at the browser app (``VR_PUBLIC_URL``, else the request's own origin) and carry
their secret in the fragment (``#token=...``), which browsers never send to a server: it stays
out of access logs and Referer headers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode

from ..models import Invitation, Membership, Project

INVITATION_SALT = "annotator.invitation"
BAD_RESET_LINK = "This password reset link is invalid or has expired: ask for a new one."
BAD_INVITATION = "This invitation link is invalid, was already used, has expired or was revoked."


class AccountError(Exception):
    """A refused account operation: ``errors`` maps the field to its messages (a 400)."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


def app_url(request) -> str:
    """The browser app's origin for e-mailed links."""
    if settings.VR_PUBLIC_URL:
        return settings.VR_PUBLIC_URL
    return request.build_absolute_uri("/").rstrip("/")  # get_host() checks ALLOWED_HOSTS


# --- password reset ----------------------------------------------------------------------------


def request_password_reset(request, email: str) -> None:
    """E-mail a reset link to every active account of this address; nothing when there is none
    (the caller answers the same either way)."""
    form = PasswordResetForm(data={"email": email})
    if not form.is_valid():
        return
    form.save(
        request=request,
        subject_template_name="annotator/email/password_reset_subject.txt",
        email_template_name="annotator/email/password_reset.txt",
        extra_email_context={"app_url": app_url(request), "valid_hours": settings.PASSWORD_RESET_TIMEOUT // 3600},
    )


def reset_user(uid: str, token: str):
    """The user a reset link is for, or an AccountError naming ``token``."""
    User = get_user_model()
    try:
        user = User._default_manager.get(pk=force_str(urlsafe_base64_decode(uid)))
    except (TypeError, ValueError, OverflowError, User.DoesNotExist, ValidationError):
        user = None
    if user is None or not user.is_active or not default_token_generator.check_token(user, token):
        raise AccountError({"token": [BAD_RESET_LINK]})
    return user


def confirm_password_reset(uid: str, token: str, new_password: str):
    """Set the new password (Django's validators apply) and lift the account's login lock-out."""
    user = reset_user(uid, token)
    form = SetPasswordForm(user, {"new_password1": new_password, "new_password2": new_password})
    if not form.is_valid():
        messages = [m for field in ("new_password1", "new_password2") for m in form.errors.get(field, [])]
        raise AccountError({"new_password": messages})
    form.save()
    from axes.utils import reset as axes_reset  # the owner proved they hold the mailbox

    axes_reset(username=user.get_username())
    return user


# --- invitations -------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    link: str


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"invitation": invitation.pk}, salt=INVITATION_SALT)


def invitation_link(request, invitation: Invitation) -> str:
    return f"{app_url(request)}/invitation#token={invitation_token(invitation)}"


def invite(
    request, *, email: str, project: Project | None, role: str, invited_by, max_uses: int = 1, days: int | None = None
) -> IssuedInvitation:
    """Record an invitation and e-mail its link (also returned, to be shown once to the inviter).
    Without ``email`` it is a shareable link into ``project`` for up to ``max_uses`` people, and
    nothing is sent."""
    if project is not None and not role:
        role = Membership.Role.ANNOTATOR
    invitation = Invitation.objects.create(
        email=email,
        project=project,
        role=role if project is not None else "",
        invited_by=invited_by,
        max_uses=max_uses if not email else 1,
        expires_at=timezone.now() + timedelta(days=days or settings.VR_INVITATION_DAYS),
    )
    link = invitation_link(request, invitation)
    if not email:
        return IssuedInvitation(invitation, link)
    context = {
        "link": link,
        "inviter": invited_by.get_username() if invited_by else "",
        "project": project.name if project else "",
        "role": invitation.get_role_display().lower() if project else "",
        "expires_at": invitation.expires_at,
    }
    subject = " ".join(render_to_string("annotator/email/invitation_subject.txt", context).split())
    send_mail(subject, render_to_string("annotator/email/invitation.txt", context), None, [email])
    return IssuedInvitation(invitation, link)


def open_invitation(token: str, *, lock: bool = False) -> Invitation:
    """The pending invitation a token names, or an AccountError naming ``token``."""
    try:
        # the row's expires_at decides; the signature's age only bounds it (links live 90 days at most)
        payload = signing.loads(
            token, salt=INVITATION_SALT, max_age=timedelta(days=max(90, settings.VR_INVITATION_DAYS))
        )
        pk = int(payload["invitation"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise AccountError({"token": [BAD_INVITATION]}) from None
    rows = Invitation.objects.select_related("project")
    invitation = (rows.select_for_update(of=("self",)) if lock else rows).filter(pk=pk).first()
    if invitation is None or invitation.state(timezone.now()) != "pending":
        raise AccountError({"token": [BAD_INVITATION]})
    return invitation


def _use(invitation: Invitation, user) -> None:
    """Count one use of a locked invitation by ``user`` (used up at ``max_uses``)."""
    invitation.uses += 1
    invitation.accepted_by = user
    if invitation.uses >= invitation.max_uses:
        invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["uses", "accepted_at", "accepted_by"])


def join_invitation(token: str, user) -> Invitation:
    """A signed-in user joins the invitation's project with its role, with their own account: any
    user for a shareable link, only the invited address's owner for an e-mail invitation."""
    with transaction.atomic():
        invitation = open_invitation(token, lock=True)
        if invitation.project_id is None:
            raise AccountError({"token": ["This invitation makes a new account: sign out to accept it."]})
        if invitation.email and invitation.email.lower() != (user.email or "").lower():
            raise AccountError(
                {"token": [f"This invitation is for {invitation.email}: sign out to accept it as a new account."]}
            )
        role = Membership.objects.filter(project=invitation.project, user=user).values_list("role", flat=True).first()
        if role:
            raise AccountError({"token": [f"You are already a member of {invitation.project.name}, as {role}."]})
        Membership.objects.create(project=invitation.project, user=user, role=invitation.role)
        _use(invitation, user)
    return invitation


def accept_invitation(token: str, *, username: str, password: str, email: str = ""):
    """Make the invitee's account (and membership); an e-mail invitation is used up with it, a
    link counts one more use (used up at ``max_uses``). A link's invitee may give an ``email``
    (for password resets); an e-mail invitation's account gets the invited address."""
    User = get_user_model()
    with transaction.atomic():
        invitation = open_invitation(token, lock=True)
        errors: dict[str, list[str]] = {}
        email = invitation.email or (email or "").strip()
        username_field = User._meta.get_field(User.USERNAME_FIELD)
        try:
            username = username_field.clean(username, None)
        except ValidationError as exc:
            errors["username"] = list(exc.messages)
        candidate = User(username=username, email=email)
        try:
            password_validation.validate_password(password, candidate)
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
        if "username" not in errors and User._default_manager.filter(username__iexact=username).exists():
            errors["username"] = ["This username is taken: choose another."]
        if errors:
            raise AccountError(errors)
        try:
            with transaction.atomic():
                user = User._default_manager.create_user(username=username, email=email, password=password)
        except IntegrityError:
            raise AccountError({"username": ["This username is taken: choose another."]}) from None
        if invitation.project_id:
            Membership.objects.create(project=invitation.project, user=user, role=invitation.role)
        _use(invitation, user)
    return user, invitation
