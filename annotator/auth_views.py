"""Browser session login for the single-page app: ``/api/auth/session/``.

The SPA first ``GET``s the session (which always sets the ``csrftoken`` cookie), then sends
the cookie's value as ``X-CSRFToken`` with every unsafe request. CSRF is enforced here on
``POST`` and ``DELETE`` for every caller, logged in or not (a forged login is an attack too);
scripts use token or basic auth on the other endpoints instead.
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
from rest_framework.views import APIView

WRONG_CREDENTIALS = "Wrong username or password."


class SessionUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    is_staff = serializers.BooleanField()


class SessionSerializer(serializers.Serializer):
    user = SessionUserSerializer(allow_null=True, help_text="The logged-in user, or null.")


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


def session_body(user) -> dict:
    if user is None or not user.is_authenticated:
        return {"user": None}
    return {"user": {"id": user.pk, "username": user.get_username(), "is_staff": bool(user.is_staff)}}


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
