"""One error shape for the whole API.

Every 4xx body has ``detail`` (one readable sentence naming the field, file or line) and,
for validation errors, ``errors`` (the per-field messages as DRF produces them).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def _flatten(errors, prefix="") -> list[str]:
    out: list[str] = []
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = key if key != "non_field_errors" else ""
            path = f"{prefix}.{name}" if prefix and name else (name or prefix)
            out.extend(_flatten(value, path))
    elif isinstance(errors, list):
        if all(not isinstance(e, (dict, list)) for e in errors):
            for e in errors:
                out.append(f"{prefix}: {e}" if prefix else str(e))
        else:
            for i, e in enumerate(errors):
                if e:
                    out.extend(_flatten(e, f"{prefix}[{i}]"))
    elif errors not in (None, ""):
        out.append(f"{prefix}: {errors}" if prefix else str(errors))
    return out


def summarize(errors) -> str:
    messages = _flatten(errors)
    if not messages:
        return "Invalid input."
    if len(messages) > 5:
        return "; ".join(messages[:5]) + f"; and {len(messages) - 5} more"
    return "; ".join(messages)


def exception_handler(exc, context):
    from .services.errors import AssignmentError

    if isinstance(exc, AssignmentError):
        # A service refusal: 409 for a state conflict, else 400 naming the fields.
        detail = f"{exc.detail} {summarize(exc.errors)}" if exc.errors and exc.status != 409 else exc.detail
        return Response({"detail": detail, "errors": exc.errors}, status=exc.status)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        data = response.data
        if isinstance(data, dict) and "detail" in data and "errors" in data:
            return response
        response.data = {"detail": summarize(data), "errors": data}
    return response
