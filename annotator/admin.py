from django import forms
from django.contrib import admin
from django.core.serializers.json import DjangoJSONEncoder

from .asset_fields import FieldLimits, metadata_problems, prompt_problem
from .models import (
    Annotation,
    AnnotationRevision,
    Asset,
    Assignment,
    ChecklistVersion,
    Invitation,
    Membership,
    Prediction,
    Project,
    Task,
    Webhook,
    WebhookDelivery,
)


@admin.register(ChecklistVersion)
class ChecklistVersionAdmin(admin.ModelAdmin):
    list_display = ["key", "version", "title", "media_type", "question_count", "builtin", "created_at"]
    list_filter = ["media_type", "builtin"]
    search_fields = ["key", "title", "content_hash"]
    readonly_fields = [f.name for f in ChecklistVersion._meta.fields]

    def has_add_permission(self, request):
        return False  # load definitions through the API (validated), not by hand

    def has_change_permission(self, request, obj=None):
        return False  # versions are frozen


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "media_type", "checklist_version", "overlap", "archived", "created_at"]
    list_filter = ["media_type", "archived"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["project", "user", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "project__name"]


class _AsciiJSONEncoder(DjangoJSONEncoder):
    """Shows what was typed with escapes (``\\ud800``): a form shown again with an unpaired
    surrogate in it could not be encoded as a page."""

    def __init__(self, *args, **kwargs):
        kwargs["ensure_ascii"] = True
        super().__init__(*args, **kwargs)


class AssetForm(forms.ModelForm):
    """The admin edits a prompt and metadata under the rules every import follows."""

    metadata = forms.JSONField(required=False, encoder=_AsciiJSONEncoder)

    class Meta:
        model = Asset
        fields = ["prompt", "metadata"]  # the admin adds the others it shows

    def clean_prompt(self):
        prompt = self.cleaned_data.get("prompt") or ""
        problem = prompt_problem(prompt, FieldLimits.from_settings())
        if problem:
            raise forms.ValidationError(f"The prompt {problem}.")
        return prompt

    def clean_metadata(self):
        metadata = self.cleaned_data.get("metadata")
        metadata = {} if metadata is None else metadata
        problems = metadata_problems(metadata, FieldLimits.from_settings())
        if problems:
            raise forms.ValidationError([f"`{path or 'metadata'}` {message}." for path, message in problems])
        return metadata


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invitations are made in the app or the API (the link is shown once there); here they are
    listed and can be revoked."""

    list_display = ["email", "project", "role", "invited_by", "created_at", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["role", "project"]
    search_fields = ["email", "project__name"]
    readonly_fields = [f.name for f in Invitation._meta.fields]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke the selected invitations (their links stop working)")
    def revoke(self, request, queryset):
        from django.utils import timezone

        count = queryset.filter(accepted_at__isnull=True, revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"{count} invitation(s) revoked.")


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    """Assets are made only by imports (the Assets screen, the import API): an asset added here
    would have no file and no task, yet count as ready in the statistics. So there is no "Add",
    no delete (an asset's tasks, annotations and predictions would go with it), and every field
    the import pipeline derived (kind, status, files, probe, sizes, the import job) is read-only.

    The prompt and metadata stay editable, through ``AssetForm``: the admin is the one place a
    typo in a prompt can be corrected without importing the file again (which would make a new
    asset and lose its annotations), and the form applies the very rules every import applies
    (``annotator.asset_fields``), so nothing enters here that an import would refuse."""

    form = AssetForm
    list_display = ["id", "project", "kind", "status", "original_name", "width", "height", "duration_seconds"]
    list_filter = ["status", "kind", "project"]
    search_fields = ["original_name", "prompt", "sha256"]
    fields = [
        "project",
        "original_name",
        "kind",
        "status",
        "failure_reason",
        "prompt",
        "metadata",
        "mime_type",
        "width",
        "height",
        "duration_seconds",
        "fps",
        "frame_count",
        "sha256",
        "size_bytes",
        "probe",
        "files",
        "import_job_id",
        "import_entry",
        "created_at",
    ]
    readonly_fields = [name for name in fields if name not in AssetForm.Meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "kind", "status", "required", "assigned_count", "submitted_count", "priority"]
    list_filter = ["status", "kind", "project"]
    raw_id_fields = ["asset", "asset_b"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["id", "task", "user", "state", "leased_at", "expires_at"]
    list_filter = ["state", "project"]
    raw_id_fields = ["task"]
    search_fields = ["user__username"]


class RevisionInline(admin.TabularInline):
    model = AnnotationRevision
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in AnnotationRevision._meta.fields]


@admin.register(Annotation)
class AnnotationAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "task", "user", "state", "revision", "submitted_at"]
    list_filter = ["state", "project"]
    raw_id_fields = ["assignment", "task"]
    search_fields = ["user__username"]
    inlines = [RevisionInline]


@admin.register(Prediction)
class PredictionAdmin(admin.ModelAdmin):
    list_display = ["id", "asset", "checklist_version", "model_name", "model_version", "job_id", "created_at"]
    list_filter = ["model_name", "checklist_version"]
    search_fields = ["model_name", "model_version", "asset__original_name"]
    raw_id_fields = ["asset"]
    readonly_fields = ["options", "created_by", "created_at"]

    def has_change_permission(self, request, obj=None):
        return False  # a new model run writes a new prediction; options are derived from p_yes


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    """Webhooks, to look into and turn off; made in the app (the secret is never shown here).
    Which networks deliveries may reach is the setting VR_WEBHOOK_ALLOWED_NETWORKS."""

    list_display = ["id", "project", "url", "active", "created_by", "created_at"]
    list_filter = ["active"]
    search_fields = ["url", "project__name"]
    fields = ["project", "url", "events", "description", "active", "disabled_reason", "created_by", "created_at"]
    readonly_fields = ["project", "url", "events", "created_by", "created_at"]

    def has_add_permission(self, request):
        return False  # made through the API, whose checks refuse private addresses


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "webhook", "event", "state", "attempts", "status_code", "created_at"]
    list_filter = ["state", "event"]
    search_fields = ["event_id"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
