"""Your preferences, ``/api/me/preferences/``: language, theme, single-key shortcuts, key remaps.

``GET`` answers them (the defaults until first changed); ``PATCH`` changes the fields sent, or
answers a 400 naming each field with a problem (unknown action, key code, theme or language) and
saves nothing. Each user reads and changes only their own."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .preferences import ACTIONS, LANGUAGES, THEMES
from .services import preferences


class PreferencesSerializer(serializers.Serializer):
    language = serializers.ChoiceField(choices=LANGUAGES, help_text="Empty: the browser's language.")
    theme = serializers.ChoiceField(choices=THEMES)
    single_key_shortcuts = serializers.BooleanField(help_text="Off: character keys act only with Alt (WCAG 2.1.4).")
    keymap = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=f"Remapped actions → KeyboardEvent.code bindings (e.g. Alt+Digit1). Actions: {', '.join(ACTIONS)}.",
    )


class PreferencesView(APIView):
    """Your preferences."""

    @extend_schema(responses=PreferencesSerializer)
    def get(self, request):
        return Response(preferences.get(request.user))

    @extend_schema(request=PreferencesSerializer(partial=True), responses=PreferencesSerializer)
    def patch(self, request):
        return Response(preferences.update(request.user, request.data))
