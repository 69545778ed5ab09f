"""Invitations: staff invite anyone (into any project or none), a project's managers invite into
their project, by e-mail (one person) or as a shareable link (no e-mail: up to ``max_uses`` people,
always into a project). The link is answered once, to the inviter, when the invitation is made (and
e-mailed to the invitee, if any); it is never shown again."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from . import permissions as perms
from .models import Invitation, Membership, Project
from .services import accounts


def managed_projects(user):
    if user.is_staff:
        return Project.objects.all()
    return Project.objects.filter(memberships__user=user, memberships__role=Membership.Role.MANAGER)


class ManagedProjectField(serializers.PrimaryKeyRelatedField):
    """A project the caller manages; any other id reads as one that does not exist."""

    def get_queryset(self):
        return managed_projects(self.context["request"].user)


MAX_LINK_USES = 500


class InvitationSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(
        required=False, allow_blank=True, max_length=254, help_text="Leave out for a shareable link."
    )
    project = ManagedProjectField(required=False, allow_null=True)
    role = serializers.ChoiceField(choices=Membership.Role.choices, required=False, allow_blank=True)
    max_uses = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_LINK_USES, help_text="A link: how many people may use it (1)."
    )
    expires_in_days = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=90,
        write_only=True,
        help_text="Days until the link stops working (default: VR_INVITATION_DAYS).",
    )
    invited_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    state = serializers.SerializerMethodField()

    class Meta:
        model = Invitation
        fields = [
            "id",
            "email",
            "project",
            "role",
            "max_uses",
            "uses",
            "expires_in_days",
            "invited_by",
            "created_at",
            "expires_at",
            "accepted_at",
            "state",
        ]
        read_only_fields = ["uses", "created_at", "expires_at", "accepted_at"]

    def get_state(self, obj) -> str:
        return obj.state(timezone.now())

    def validate(self, attrs):
        user = self.context["request"].user
        if attrs.get("project") is None:
            if not attrs.get("email"):
                raise ValidationError({"project": ["A shareable link invites into a project: choose one."]})
            if not user.is_staff:
                raise ValidationError(
                    {"project": ["Choose the project to invite into (only admins invite without one)."]}
                )
            if attrs.get("role"):
                raise ValidationError({"role": ["A role needs a project."]})
        if attrs.get("email") and attrs.get("max_uses", 1) != 1:
            raise ValidationError(
                {"max_uses": ["An e-mail invitation is for one person: leave out the e-mail for a link."]}
            )
        return attrs


class IssuedInvitationSerializer(InvitationSerializer):
    link = serializers.CharField(read_only=True, help_text="The invitation link: shown this once, also e-mailed.")

    class Meta(InvitationSerializer.Meta):
        fields = InvitationSerializer.Meta.fields + ["link"]


class InvitationViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Invitation links: make one (the link is in this answer only), list them, revoke one."""

    serializer_class = InvitationSerializer
    filterset_fields = ["project"]

    def get_queryset(self):
        user = self.request.user
        rows = Invitation.objects.select_related("invited_by")
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return rows.none()
        if user.is_staff:
            return rows
        return rows.filter(project__in=managed_projects(user))

    @extend_schema(request=InvitationSerializer, responses={201: IssuedInvitationSerializer})
    def create(self, request, *args, **kwargs):
        """Invite an e-mail address (into ``project`` with ``role``, annotator by default), or leave
        ``email`` out for a shareable link into ``project`` that up to ``max_uses`` people can use.
        The answer carries the link, shown only now; an e-mailed invitee gets it by e-mail too."""
        body = InvitationSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        project = data.get("project")
        if project is not None and not perms.can_manage(request.user, project):  # the field already checks
            raise ValidationError({"project": ["Only the project's managers invite into it."]})
        issued = accounts.invite(
            request._request,
            email=data.get("email") or "",
            project=project,
            role=data.get("role") or "",
            invited_by=request.user,
            max_uses=data.get("max_uses", 1),
            days=data.get("expires_in_days"),
        )
        out = IssuedInvitationSerializer(issued.invitation, context={"request": request}).data
        out["link"] = issued.link
        return Response(out, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: OpenApiResponse(description="Revoked: the link no longer works.")})
    def destroy(self, request, *args, **kwargs):
        """Revoke an invitation (one already accepted stays as it is)."""
        invitation = self.get_object()
        if invitation.accepted_at is None and invitation.revoked_at is None:
            invitation.revoked_at = timezone.now()
            invitation.save(update_fields=["revoked_at"])
        return Response(status=status.HTTP_204_NO_CONTENT)
