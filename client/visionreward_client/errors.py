"""The exceptions the client raises: every refusal of the API carries its status, its readable
``message`` (the API's ``detail``) and, for validation errors, the per-field ``errors``."""

from __future__ import annotations

from typing import Any


class VRError(Exception):
    """Anything the client raises on purpose."""


class ConfigError(VRError):
    """No server URL or token could be found (arguments, VR_URL/VR_TOKEN, or ``vr login``'s file)."""


class TransportError(VRError):
    """The server could not be reached (connection refused, timed out) after the retries."""


class ApiError(VRError):
    """A non-2xx answer. ``status``: the HTTP status; ``message``: the API's sentence (``detail``);
    ``errors``: field → messages for validation errors (``{}`` otherwise); ``body``: the parsed body."""

    def __init__(self, status: int, message: str, errors: dict[str, Any] | None = None, body: Any = None):
        super().__init__(f"{status}: {message}")
        self.status, self.message, self.errors, self.body = status, message, errors or {}, body


class AuthenticationError(ApiError):
    """The token (or password) was refused: unknown, revoked, expired, or none was sent."""


class PermissionDenied(ApiError):
    """Logged in, but the account may not do this (e.g. only a project's managers may import)."""


class NotFound(ApiError):
    """No such object, or the account cannot see it."""


class ValidationError(ApiError):
    """The request was refused as invalid (400); ``errors`` names each field."""


class Conflict(ApiError):
    """The object's state forbids it now (409)."""


class RateLimited(ApiError):
    """Too many requests (429), still so after the retries; ``retry_after`` in seconds when the server said."""

    def __init__(self, *args, retry_after: float | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after


class ServerError(ApiError):
    """The server failed (5xx), still so after the retries for idempotent requests."""


class JobFailed(VRError):
    """A job the client waited for ended failed or cancelled; ``job`` is its last state."""

    def __init__(self, job):
        super().__init__(f"Job #{job.id} ({job.kind}) {job.state}: {job.error or job.message or 'no reason given'}")
        self.job = job


class JobTimeout(VRError):
    """A job did not finish within the time the caller was willing to wait."""

    def __init__(self, job, timeout: float):
        super().__init__(f"Job #{job.id} ({job.kind}) still {job.state} after {timeout:g} s")
        self.job = job


def error_for(status: int, body: Any, *, retry_after: float | None = None) -> ApiError:
    """The exception of a refused answer (``body``: its parsed JSON, or its text)."""
    message, errors = _message(status, body)
    if status == 401:
        return AuthenticationError(status, message, errors, body)
    if status == 403:
        return PermissionDenied(status, message, errors, body)
    if status == 404:
        return NotFound(status, message, errors, body)
    if status == 409:
        return Conflict(status, message, errors, body)
    if status == 429:
        return RateLimited(status, message, errors, body, retry_after=retry_after)
    if status >= 500:
        return ServerError(status, message, errors, body)
    if status in (400, 422):
        return ValidationError(status, message, errors, body)
    return ApiError(status, message, errors, body)


def _message(status: int, body: Any) -> tuple[str, dict[str, Any]]:
    if isinstance(body, dict):
        errors = body.get("errors") if isinstance(body.get("errors"), dict) else {}
        detail = body.get("detail")
        if isinstance(detail, str) and detail:
            return detail, errors
        if body and not errors:  # a bare DRF validation body: field → messages
            errors = body
        return "; ".join(f"{k}: {_text(v)}" for k, v in errors.items()) or f"HTTP {status}", errors
    text = (body or "").strip() if isinstance(body, str) else ""
    if text.startswith("<"):  # an HTML error page (a proxy's, or Django's own 500 page)
        text = ""
    return (text[:300] or f"HTTP {status}"), {}


def _text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items())
    return str(value)
