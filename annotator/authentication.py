"""API authentication that counts failures against the login lock-out (django-axes).

- Basic auth: DRF's ``BasicAuthentication`` calls ``authenticate()``, where axes' backend refuses
  a locked account or address; here that refusal becomes the 429 instead of a plain 401/403.
- Token auth (personal API tokens, stored hashed): a wrong token is a guess too. Each one is
  recorded as a failed login of its address (no account), so token guessing locks the address
  like password guessing does, and a locked address gets the 429 before its token is even looked at.
- ``lockout_response`` is axes' answer (``AXES_LOCKOUT_CALLABLE``) for the session login, the
  admin login and DRF's browsable-API login: a JSON ``{"detail"}`` for API callers, a readable
  page for browsers.
"""

from __future__ import annotations

import math

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from drf_spectacular.authentication import BasicScheme
from rest_framework import exceptions, status
from rest_framework.authentication import BasicAuthentication, TokenAuthentication, get_authorization_header

from .services import login_throttle, tokens


def lockout_details(request, username: str | None) -> tuple[str, int]:
    """The message and the Retry-After seconds for a locked-out request."""
    now = timezone.now()
    ip_address = getattr(request, "axes_ip_address", None) or login_throttle.client_ip(request)
    until = login_throttle.retry_at(login_throttle.last_failure(ip_address, username), now, settings.AXES_COOLOFF_TIME)
    return login_throttle.lockout_message(until, now), max(1, math.ceil((until - now).total_seconds()))


class LoginLockedOut(exceptions.APIException):
    """429: too many failed logins for the account or from the address."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"

    def __init__(self, request, username: str | None = None):
        message, self.wait = lockout_details(request, username)  # ``wait`` becomes Retry-After
        super().__init__(message)


def _http_request(request):
    return getattr(request, "_request", request)


def wants_html(request) -> bool:
    """A browser submitting a form (the admin login) rather than a script or the app's fetch."""
    return "text/html" in request.META.get("HTTP_ACCEPT", "")


def lockout_response(request, original_response=None, credentials=None):
    """axes' answer to a request it flagged as locked out: 429 with the reason and when to retry."""
    username = (credentials or {}).get("username") or None
    message, wait = lockout_details(request, username)
    if wants_html(request):
        response = render(request, "annotator/lockout.html", {"message": message}, status=429)
    else:
        response = JsonResponse({"detail": message}, status=429)
    response["Retry-After"] = str(wait)
    return response


class LockoutAwareBasicAuthentication(BasicAuthentication):
    """HTTP basic auth whose failures count against the lock-out and whose lock-out is a 429."""

    def authenticate_credentials(self, userid, password, request=None):
        http_request = _http_request(request)  # axes flags the Django request it was given
        try:
            return super().authenticate_credentials(userid, password, http_request)
        except exceptions.AuthenticationFailed:
            if getattr(http_request, "axes_locked_out", False):
                raise LoginLockedOut(http_request, userid) from None
            raise


class ThrottledTokenAuthentication(TokenAuthentication):
    """Personal API tokens (``Authorization: Token <key>`` or ``Bearer <key>``), looked up by the
    SHA-256 of the key (``annotator.services.tokens``). Every unknown key is a failed login of
    the caller's address; a revoked or expired key is refused (401, saying which) but is no guess."""

    keywords = (b"token", b"bearer")

    def authenticate(self, request):
        words = get_authorization_header(request).split()
        if not words or words[0].lower() not in self.keywords:
            return None  # no token presented: another scheme's business
        http_request = _http_request(request)
        credentials = {"username": None}  # a token names no account: counted per address only
        if not AxesProxyHandler.is_allowed(http_request, credentials):
            raise LoginLockedOut(http_request)
        if len(words) != 2:
            message = "Invalid token header: send `Token <key>` (or `Bearer <key>`), the key without spaces."
            self._count_failure(http_request, credentials)
            raise exceptions.AuthenticationFailed(message)
        try:
            key = words[1].decode()
        except UnicodeError:
            key = ""
        try:
            token = tokens.check_key(key)
        except tokens.UnknownKey as exc:
            self._count_failure(http_request, credentials)
            raise exceptions.AuthenticationFailed(exc.message) from None
        except tokens.TokenError as exc:
            raise exceptions.AuthenticationFailed(exc.message) from None
        return token.user, token

    @staticmethod
    def _count_failure(http_request, credentials) -> None:
        user_login_failed.send(sender=__name__, credentials=credentials, request=http_request)
        if getattr(http_request, "axes_locked_out", False):
            raise LoginLockedOut(http_request)


class LockoutAwareBasicScheme(BasicScheme):
    """The OpenAPI description of the basic auth above: HTTP basic, as DRF's."""

    target_class = LockoutAwareBasicAuthentication
