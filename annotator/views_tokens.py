"""Personal API tokens, ``/api/tokens/``: each user lists, makes and revokes their own, and only
their own (staff included: an admin who must stop someone's scripts deactivates the account, which
stops all of its tokens). The key is in the answer that made the token and nowhere else."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle

from .auth_views import SettingsRateThrottle, throttled_error
from .models import PersonalToken
from .services import tokens


class PersonalTokenSerializer(serializers.ModelSerializer):
    state = serializers.SerializerMethodField()

    class Meta:
        model = PersonalToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at", "state"]
        read_only_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
        extra_kwargs = {"expires_at": {"required": False, "allow_null": True}}

    def get_state(self, obj) -> str:
        return obj.state(timezone.now())


class IssuedTokenSerializer(PersonalTokenSerializer):
    key = serializers.CharField(read_only=True, help_text="The key: shown this once, stored only as its hash.")

    class Meta(PersonalTokenSerializer.Meta):
        fields = PersonalTokenSerializer.Meta.fields + ["key"]


class TokenCreateThrottle(SettingsRateThrottle, UserRateThrottle):
    """Per user: tokens are made by hand, now and then."""

    scope = "token_create"


class PersonalTokenViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Your personal API tokens: list them (never their keys), make one (the key is in this answer
    only), revoke one."""

    serializer_class = PersonalTokenSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return PersonalToken.objects.none()
        return PersonalToken.objects.filter(user=self.request.user)  # another user's token: 404

    def get_throttles(self):
        return [TokenCreateThrottle()] if self.action == "create" else []

    def throttled(self, request, wait):
        raise throttled_error(wait, "Too many new tokens")

    @extend_schema(
        request=PersonalTokenSerializer,
        responses={
            201: IssuedTokenSerializer,
            400: OpenApiResponse(description="No `name`, a name already in use, or `expires_at` in the past."),
            403: OpenApiResponse(description="Made with a token: tokens are made from a signed-in session."),
            429: OpenApiResponse(description="Too many new tokens for now."),
        },
    )
    def create(self, request, *args, **kwargs):
        """Make a token named ``name``, valid until ``expires_at`` (or until revoked). The answer
        carries ``key``, shown only now."""
        if isinstance(request.auth, PersonalToken):
            # a stolen key must not mint keys that outlive its own revocation
            raise PermissionDenied("Tokens are made from a signed-in session (your account page), not with a token.")
        body = PersonalTokenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            issued = tokens.issue(request.user, body.validated_data["name"], body.validated_data.get("expires_at"))
        except tokens.TokenError as exc:
            raise ValidationError({exc.field or "non_field_errors": [exc.message]}) from None
        out = IssuedTokenSerializer(issued.token).data
        out["key"] = issued.key
        return Response(out, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: OpenApiResponse(description="Revoked: the key no longer works.")})
    def destroy(self, request, *args, **kwargs):
        """Revoke a token: it stops working at once and stays in the list as revoked."""
        tokens.revoke(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
