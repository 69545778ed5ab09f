"""Accounts for the single-page app: session login ``/api/auth/session/``, password reset
``/api/auth/password-reset/`` (+ ``confirm/``) and invitation acceptance ``/api/auth/invitation/``.

The SPA first ``GET``s the session (which always sets the ``csrftoken`` cookie), then sends
the cookie's value as ``X-CSRFToken`` with every unsafe request. CSRF is enforced here on
``POST`` and ``DELETE`` for every caller, logged in or not (a forged login is an attack too);
scripts use token or basic auth on the other endpoints instead.

Failed logins count against the account and the address (django-axes, ``annotator.authentication``):
past ``VR_LOGIN_FAILURE_LIMIT`` the answer is a 429 saying when to try again. The password reset
and invitation endpoints need no login (their links are the proof) and are throttled per address.
"""

from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from . import permissions as perms
from .authentication import LoginLockedOut
from .services import accounts
from .services.login_throttle import client_ip

WRONG_CREDENTIALS = "Wrong username or password."


class SessionUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    is_staff = serializers.BooleanField()
    can_create_projects = serializers.BooleanField(help_text="Staff, or given annotator.add_project.")
    can_load_checklists = serializers.BooleanField(help_text="Staff, or given annotator.add_checklistversion.")


class SessionSerializer(serializers.Serializer):
    user = SessionUserSerializer(allow_null=True, help_text="The logged-in user, or null.")


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


def session_body(user) -> dict:
    if user is None or not user.is_authenticated:
        return {"user": None}
    return {
        "user": {
            "id": user.pk,
            "username": user.get_username(),
            "is_staff": bool(user.is_staff),
            "can_create_projects": perms.can_create_projects(user),
            "can_load_checklists": perms.can_load_checklists(user),
        }
    }


def enforce_csrf(request) -> None:
    """403 unless the request carries the CSRF token of its cookie (``X-CSRFToken``)."""
    SessionAuthentication().enforce_csrf(request)


CSRF_403 = OpenApiResponse(description="CSRF failed: send the `csrftoken` cookie's value as `X-CSRFToken`.")


class SessionView(APIView):
    """The browser session: who is logged in, log in, log out."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="auth_session_retrieve",
        tags=["auth"],
        summary="The current session's user (sets the csrftoken cookie)",
        responses={200: SessionSerializer},
    )
    @method_decorator(ensure_csrf_cookie)
    def get(self, request):
        """Who is logged in (``{"user": null}`` when nobody). Always sets the ``csrftoken`` cookie."""
        return Response(session_body(request.user))

    @extend_schema(
        operation_id="auth_session_login",
        tags=["auth"],
        summary="Log in (session cookie)",
        request=LoginSerializer,
        responses={
            200: SessionSerializer,
            400: OpenApiResponse(description="Missing field, or wrong username or password."),
            403: CSRF_403,
            429: OpenApiResponse(description="Too many failed logins for the account or from the address."),
        },
        auth=[],
    )
    def post(self, request):
        """Log in with username and password; the response sets the session cookie and a new
        ``csrftoken`` cookie (read it again before the next unsafe request)."""
        enforce_csrf(request)
        body = LoginSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = authenticate(
            request._request, username=body.validated_data["username"], password=body.validated_data["password"]
        )
        if user is None:  # unknown user, wrong password, or an inactive account: the same answer
            if getattr(request._request, "axes_locked_out", False):
                raise LoginLockedOut(request._request, body.validated_data["username"])
            raise ValidationError({"non_field_errors": [WRONG_CREDENTIALS]})
        login(request._request, user)
        request.user = user
        return Response(session_body(user))

    @extend_schema(
        operation_id="auth_session_logout",
        tags=["auth"],
        summary="Log out",
        request=None,
        responses={204: OpenApiResponse(description="Logged out."), 403: CSRF_403},
    )
    def delete(self, request):
        """Log out (ends the session)."""
        enforce_csrf(request)
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- password reset and invitations (no login: the e-mailed link is the proof) -------------------

RESET_SENT = (
    "If an account has this e-mail address, a link to choose a new password is on its way. "
    "It works once; check your spam folder if nothing arrives."
)


class SettingsRateThrottle(SimpleRateThrottle):
    """A rate read from the settings when used (DRF's class attribute is read once, at import)."""

    def get_rate(self):
        from rest_framework.settings import api_settings

        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


class AddressThrottle(SettingsRateThrottle):
    """Per client address (the same address the login lock-out counts, proxies included)."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request._request) or "unknown"}


class PasswordResetAddressThrottle(AddressThrottle):
    scope = "password_reset_address"


class PasswordResetEmailThrottle(SettingsRateThrottle):
    """Per requested e-mail address, so nobody's mailbox is flooded from many addresses."""

    scope = "password_reset_email"

    def get_cache_key(self, request, view):
        email = request.data.get("email") if hasattr(request.data, "get") else None
        if not isinstance(email, str) or not email.strip():
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident_hash(email)}

    @staticmethod
    def get_ident_hash(email: str) -> str:
        import hashlib

        return hashlib.sha256(email.strip().lower().encode()).hexdigest()


class AccountTokenThrottle(AddressThrottle):
    scope = "account_token"


class ThrottledAccountView(APIView):
    """No login, CSRF enforced (the SPA sends it; scripts have no business here), throttled."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        enforce_csrf(request)

    def throttled(self, request, wait):
        raise throttled_error(wait, "Too many requests from this address")


def throttled_error(wait, what: str):
    """A 429 saying ``what`` and in about how many minutes to try again."""
    from rest_framework.exceptions import Throttled

    minutes = max(1, int((wait or 60) + 59) // 60)
    return Throttled(wait, detail=f"{what}: try again in about {minutes} minutes.")


def account_error(exc: accounts.AccountError):
    return ValidationError(exc.errors)


class PasswordResetRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    new_password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


THROTTLED_429 = OpenApiResponse(description="Too many requests from this address (or for this e-mail address).")


class PasswordResetView(ThrottledAccountView):
    throttle_classes = [PasswordResetAddressThrottle, PasswordResetEmailThrottle]

    @extend_schema(
        operation_id="auth_password_reset",
        tags=["auth"],
        summary="E-mail a password reset link",
        request=PasswordResetRequestSerializer,
        responses={
            202: DetailSerializer,
            400: OpenApiResponse(description="Not an e-mail address."),
            403: CSRF_403,
            429: THROTTLED_429,
        },
        auth=[],
    )
    def post(self, request):
        """Send a link to choose a new password to the accounts of this e-mail address. The answer
        is the same whether or not such an account exists."""
        body = PasswordResetRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        accounts.request_password_reset(request._request, body.validated_data["email"])
        return Response({"detail": RESET_SENT}, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(ThrottledAccountView):
    throttle_classes = [AccountTokenThrottle]

    @extend_schema(
        operation_id="auth_password_reset_confirm",
        tags=["auth"],
        summary="Choose a new password with the e-mailed link's uid and token",
        request=PasswordResetConfirmSerializer,
        responses={
            200: DetailSerializer,
            400: OpenApiResponse(description="Invalid or expired link (`token`), or a weak password (`new_password`)."),
            403: CSRF_403,
            429: THROTTLED_429,
        },
        auth=[],
    )
    def post(self, request):
        """Set a new password (Django's password validators apply); the link stops working, and a
        login lock-out of the account is lifted."""
        body = PasswordResetConfirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            accounts.confirm_password_reset(**body.validated_data)
        except accounts.AccountError as exc:
            raise account_error(exc) from None
        return Response({"detail": "Your password is changed: sign in with it."})


class InvitationTokenSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=512)


class InvitationAcceptSerializer(InvitationTokenSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
    email = serializers.EmailField(
        required=False,
        allow_blank=True,
        max_length=254,
        help_text="A shareable link's invitee: the account's e-mail address (optional; for password resets). "
        "An e-mail invitation's account gets the invited address.",
    )


class InvitationSummarySerializer(serializers.Serializer):
    email = serializers.CharField(allow_blank=True, help_text="Blank for a shareable link.")
    project = serializers.CharField(allow_null=True, help_text="The project's name, when it invites into one.")
    role = serializers.CharField(allow_blank=True)
    expires_at = serializers.DateTimeField()


def invitation_summary(invitation) -> dict:
    return {
        "email": invitation.email,
        "project": invitation.project.name if invitation.project_id else None,
        "role": invitation.role,
        "expires_at": invitation.expires_at,
    }


class InvitationCheckView(ThrottledAccountView):
    throttle_classes = [AccountTokenThrottle]

    @extend_schema(
        operation_id="auth_invitation_check",
        tags=["auth"],
        summary="What an invitation link invites to",
        request=InvitationTokenSerializer,
        responses={
            200: InvitationSummarySerializer,
            400: OpenApiResponse(description="Invalid, used, expired or revoked (`token`)."),
            403: CSRF_403,
            429: THROTTLED_429,
        },
        auth=[],
    )
    def post(self, request):
        """The invitation's e-mail address, project and role, while it can still be accepted."""
        body = InvitationTokenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            invitation = accounts.open_invitation(body.validated_data["token"])
        except accounts.AccountError as exc:
            raise account_error(exc) from None
        return Response(invitation_summary(invitation))


class InvitationAcceptView(ThrottledAccountView):
    throttle_classes = [AccountTokenThrottle]

    @extend_schema(
        operation_id="auth_invitation_accept",
        tags=["auth"],
        summary="Accept an invitation: choose a username and password",
        request=InvitationAcceptSerializer,
        responses={
            201: SessionUserSerializer,
            400: OpenApiResponse(
                description="Invalid or used link (`token`), a taken or invalid `username`, a weak `password`."
            ),
            403: CSRF_403,
            429: THROTTLED_429,
        },
        auth=[],
    )
    def post(self, request):
        """Make the account (with the invitation's e-mail address, and its project membership);
        the link stops working. Sign in afterwards."""
        body = InvitationAcceptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            user, _ = accounts.accept_invitation(
                body.validated_data["token"],
                username=body.validated_data["username"],
                password=body.validated_data["password"],
                email=body.validated_data.get("email", ""),
            )
        except accounts.AccountError as exc:
            raise account_error(exc) from None
        return Response(session_body(user)["user"], status=status.HTTP_201_CREATED)


class InvitationJoinView(APIView):
    """A signed-in user accepts an invitation with their own account (CSRF enforced, throttled)."""

    throttle_classes = [AccountTokenThrottle]

    def throttled(self, request, wait):
        raise throttled_error(wait, "Too many requests from this address")

    @extend_schema(
        operation_id="auth_invitation_join",
        tags=["auth"],
        summary="Join the invitation's project with your own account",
        request=InvitationTokenSerializer,
        responses={
            200: InvitationSummarySerializer,
            400: OpenApiResponse(
                description="Invalid, used, expired or revoked, for another e-mail address, or already a member "
                "(`token`)."
            ),
            403: CSRF_403,
            429: THROTTLED_429,
        },
    )
    def post(self, request):
        """Become a member of the invitation's project with its role: any signed-in user for a
        shareable link, the invited address's owner for an e-mail invitation. Counts one use."""
        enforce_csrf(request)
        body = InvitationTokenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            invitation = accounts.join_invitation(body.validated_data["token"], request.user)
        except accounts.AccountError as exc:
            raise account_error(exc) from None
        return Response(invitation_summary(invitation))
