"""Webhooks of a project, ``/api/projects/:id/webhooks/`` (managers only; docs/webhooks.md):
subscribe a URL to events, turn it on and off, rotate its secret, send a test event, read the
delivery log and send a delivery again. The secret is in the answers that make or rotate it."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from . import permissions as perms
from .models import Project, Webhook, WebhookDelivery
from .pagination import Pagination
from .views import get_visible_project
from .webhooks import events as webhook_events
from .webhooks import outbox, signing


class WebhookSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.CharField(max_length=50),
        allow_empty=False,
        max_length=len(webhook_events.EVENTS),
        help_text="Event names: " + ", ".join(webhook_events.EVENTS),
    )
    url = serializers.CharField(max_length=webhook_events.MAX_URL_LENGTH, help_text="An http or https URL.")
    secret_hint = serializers.SerializerMethodField(help_text="The secret's first characters, to tell it apart.")
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    last_delivery = serializers.SerializerMethodField()

    class Meta:
        model = Webhook
        fields = [
            "id",
            "url",
            "events",
            "description",
            "active",
            "disabled_reason",
            "secret_hint",
            "created_by",
            "created_at",
            "last_delivery",
        ]
        read_only_fields = ["disabled_reason", "created_at"]

    def get_secret_hint(self, obj) -> str:
        return obj.secret[:10] + "…"

    def get_last_delivery(self, obj) -> dict | None:
        last = obj.deliveries.order_by("-created_at", "-id").values("state", "status_code", "created_at").first()
        return last

    def validate_url(self, value: str) -> str:
        try:
            return outbox.check_url(value)
        except outbox.WebhookError as exc:
            raise serializers.ValidationError(exc.message) from None

    def validate_events(self, value: list) -> list:
        try:
            return outbox.check_events(value)
        except outbox.WebhookError as exc:
            raise serializers.ValidationError(exc.message) from None


class WebhookWithSecretSerializer(WebhookSerializer):
    secret = serializers.CharField(read_only=True, help_text="Shown in this answer only: keep it to verify deliveries.")

    class Meta(WebhookSerializer.Meta):
        fields = WebhookSerializer.Meta.fields + ["secret"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "event_id",
            "state",
            "attempts",
            "next_attempt_at",
            "last_attempt_at",
            "delivered_at",
            "status_code",
            "latency_ms",
            "response_excerpt",
            "error",
            "created_at",
            "payload",
        ]
        read_only_fields = fields


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "conflict"


def managed_project(request, project_pk) -> Project:
    project = get_visible_project(request.user, project_pk)
    if not perms.can_manage(request.user, project):
        raise PermissionDenied("Only the project's managers can see and change its webhooks.")
    return project


class WebhookViewSet(viewsets.ModelViewSet):
    """A project's webhooks: URLs subscribed to its events, each delivery signed with the
    webhook's secret (HMAC-SHA256; docs/webhooks.md)."""

    serializer_class = WebhookSerializer
    http_method_names = ["get", "post", "patch", "delete"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Webhook.objects.none()
        return Webhook.objects.filter(project=managed_project(self.request, self.kwargs["project_pk"]))

    @extend_schema(
        responses={
            201: WebhookWithSecretSerializer,
            400: OpenApiResponse(
                description="A bad `url` (not http/https, too long, credentials, a private address) or "
                "`events` (empty, unknown names)."
            ),
        }
    )
    def create(self, request, *args, **kwargs):
        """Subscribe ``url`` to ``events``; the answer carries the ``secret``, shown only now."""
        project = managed_project(request, self.kwargs["project_pk"])
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        webhook = Webhook.objects.create(
            project=project,
            url=data["url"],
            events=data["events"],
            description=data.get("description", ""),
            active=data.get("active", True),
            secret=signing.new_secret(),
            created_by=request.user,
        )
        return Response(WebhookWithSecretSerializer(webhook).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        if serializer.validated_data.get("active") is True:
            serializer.save(disabled_reason="")
        else:
            serializer.save()

    @extend_schema(request=None, responses={200: WebhookWithSecretSerializer})
    @action(detail=True, methods=["post"])
    def rotate(self, request, *args, **kwargs):
        """A new secret (the old one stops signing now); the answer carries it, shown only now."""
        webhook = outbox.rotate_secret(self.get_object())
        return Response(WebhookWithSecretSerializer(webhook).data)

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def ping(self, request, *args, **kwargs):
        """Send a test event (``ping``) to this webhook now; its delivery shows in the log."""
        delivery = outbox.ping(self.get_object(), request.user)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class WebhookDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A webhook's delivery log, newest first: state, attempts, the last answer's status code,
    latency and the start of its body (text)."""

    serializer_class = WebhookDeliverySerializer
    pagination_class = Pagination

    def get_webhook(self) -> Webhook:
        project = managed_project(self.request, self.kwargs["project_pk"])
        return get_object_or_404(Webhook, pk=self.kwargs["webhook_pk"], project=project)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookDelivery.objects.none()
        return WebhookDelivery.objects.filter(webhook=self.get_webhook())

    @extend_schema(
        request=None,
        responses={
            202: WebhookDeliverySerializer,
            409: OpenApiResponse(description="The delivery is still pending or being sent."),
        },
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request, *args, **kwargs):
        """Send again: a new attempt (and a fresh retry schedule) with the same event id."""
        with transaction.atomic():
            try:
                delivery = outbox.redeliver(self.get_object())
            except outbox.WebhookError as exc:
                if exc.status == 409:
                    raise Conflict(exc.message) from None
                raise ValidationError({exc.field or "detail": [exc.message]}) from None
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
