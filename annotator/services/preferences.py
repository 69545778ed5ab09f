"""An account's preferences (language, theme, shortcuts, key remaps): read and changed here.

The rules are the pure ``annotator.preferences``; a change with any problem saves nothing."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from ..models import UserPreferences
from ..preferences import check_preferences
from .errors import AssignmentError

FIELDS = ("language", "theme", "single_key_shortcuts", "keymap")


def as_dict(prefs: UserPreferences | None) -> dict[str, Any]:
    if prefs is None:
        prefs = UserPreferences()
    return {name: getattr(prefs, name) for name in FIELDS}


def get(user) -> dict[str, Any]:
    return as_dict(UserPreferences.objects.filter(user=user).first())


def update(user, body: Any) -> dict[str, Any]:
    """Apply a partial change; a 400 naming every field with a problem, nothing saved."""
    clean, problems = check_preferences(body)
    if problems:
        raise AssignmentError(
            "Preferences not saved.", errors={k or "non_field_errors": [v] for k, v in problems.items()}
        )
    with transaction.atomic():
        prefs, _ = UserPreferences.objects.select_for_update().get_or_create(user=user)
        for name, value in clean.items():
            setattr(prefs, name, value)
        prefs.save()
    return as_dict(prefs)
