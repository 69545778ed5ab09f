from django import forms
from django.contrib import admin, messages
from django.db import transaction

from . import jobs
from .models import Job, ModelSpec, ProjectModel, RefitPolicy, RemoteCodeDecision, Upload, WeightSet
from .prefill import remote_code


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "state", "project", "percent", "message", "attempts", "created_by", "created_at"]
    list_filter = ["kind", "state", "queue", "cancel_requested"]
    search_fields = ["message", "error", "celery_task_id"]
    date_hierarchy = "created_at"
    list_select_related = ["project", "created_by"]
    actions = ["cancel_jobs"]
    readonly_fields = [f.name for f in Job._meta.fields]

    @admin.display(description="progress")
    def percent(self, obj):
        return f"{obj.progress * 100:.0f}%"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Cancel the selected jobs")
    def cancel_jobs(self, request, queryset):
        done, refused = 0, []
        for job in queryset:
            try:
                jobs.cancel_job(job, request.user)
                done += 1
            except jobs.JobError as exc:
                refused.append(exc.detail)
        if done:
            self.message_user(request, f"{done} job(s) cancelled or asked to stop.", messages.SUCCESS)
        for detail in refused[:10]:
            self.message_user(request, detail, messages.WARNING)


class ModelSpecForm(forms.ModelForm):
    """The model form, with the confirmation that turning remote code on needs (and only for
    admins with the ``worker.allow_remote_code`` permission)."""

    confirm_trust_remote_code = forms.BooleanField(
        required=False,
        label="Confirm remote code",
        help_text="Required to turn on “trust remote code” (or to change a trusted model's source or revision): "
        "I confirm that this source may run its own Python code on the workers.",
    )
    user = None  # set per request by ModelSpecAdmin.get_form

    class Meta:
        model = ModelSpec
        fields = [
            "name",
            "title",
            "enabled",
            "notes",
            "source",
            "revision",
            "trust_remote_code",
            "queue",
            "device",
            "dtype",
            "batch_size",
            "max_frames",
        ]

    def clean(self):
        data = super().clean()
        before = remote_code.spec_values(self.instance)  # not yet changed: construct_instance runs after clean
        after = {**(before or {}), **{k: data.get(k) for k in remote_code.KEYS if k in data}}
        self.remote_code_change = remote_code.remote_code_change(before, after)
        if self.remote_code_change == remote_code.ALLOWED:
            if not remote_code.may_allow_remote_code(self.user):
                self.add_error("trust_remote_code", remote_code.refusal(self.user))
            elif not data.get(remote_code.CONFIRM_FIELD):
                revision = f"@{after.get('revision')}" if after.get("revision") else ""
                self.add_error(
                    remote_code.CONFIRM_FIELD,
                    remote_code.CONFIRMATION_NEEDED.format(source=after.get("source") or "", revision=revision),
                )
        return data


@admin.register(ModelSpec)
class ModelSpecAdmin(admin.ModelAdmin):
    form = ModelSpecForm
    list_display = [
        "name",
        "title",
        "source",
        "revision",
        "queue",
        "device",
        "dtype",
        "trust_remote_code",
        "enabled",
        "updated_at",
        "last_check_ok",
        "last_check_at",
    ]
    list_filter = ["enabled", "trust_remote_code", "queue", "device", "dtype", "last_check_ok"]
    search_fields = ["name", "title", "source", "notes"]
    readonly_fields = ["created_at", "updated_at", "last_check_at", "last_check_ok", "last_check_message"]
    fieldsets = [
        (None, {"fields": ["name", "title", "enabled", "notes"]}),
        ("Weights", {"fields": ["source", "revision", "trust_remote_code", "confirm_trust_remote_code"]}),
        ("Running", {"fields": ["queue", "device", "dtype", "batch_size", "max_frames"]}),
        ("History", {"fields": ["created_at", "updated_at"]}),
        ("Last test load", {"fields": ["last_check_at", "last_check_ok", "last_check_message"]}),
    ]

    actions = ["test_load"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.user = request.user  # a fresh class per request
        return form

    @admin.action(description="Test-load the selected models on their workers")
    def test_load(self, request, queryset):
        from .prefill.check import start_model_check

        started = [start_model_check(spec, request.user) for spec in queryset.order_by("name")]
        ids = ", ".join(str(job.pk) for job in started)
        self.message_user(
            request,
            f"{len(started)} test load(s) queued (job {ids}); the outcome appears under Last test load.",
            messages.SUCCESS,
        )

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            remote_code.record(obj, form.remote_code_change, request.user, RemoteCodeDecision.Via.ADMIN)


@admin.register(RemoteCodeDecision)
class RemoteCodeDecisionAdmin(admin.ModelAdmin):
    """The audit trail of trust_remote_code (read-only): who let which source run its own code,
    when, and who turned it off."""

    list_display = ["decided_at", "model_name", "source", "revision", "trust_remote_code", "decided_by_name", "via"]
    list_filter = ["trust_remote_code", "via"]
    search_fields = ["model_name", "source", "decided_by_name"]
    date_hierarchy = "decided_at"
    readonly_fields = [f.name for f in RemoteCodeDecision._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProjectModel)
class ProjectModelAdmin(admin.ModelAdmin):
    list_display = ["project", "model", "auto_prefill", "updated_by", "updated_at"]
    list_filter = ["auto_prefill", "model"]
    list_select_related = ["project", "model", "updated_by"]
    search_fields = ["project__name", "model__name"]
    raw_id_fields = ["project"]
    readonly_fields = ["updated_by", "updated_at"]

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(WeightSet)
class WeightSetAdmin(admin.ModelAdmin):
    """Weight sets are immutable: the admin shows them; promotion goes through the API or the
    Weights page, which also rescores the assets."""

    list_display = ["project", "version", "label", "status", "source", "accuracy", "created_by", "created_at"]
    list_filter = ["status", "source"]
    list_select_related = ["project", "created_by"]
    search_fields = ["label", "project__name"]
    readonly_fields = [f.name for f in WeightSet._meta.fields]

    @admin.display(description="held-out accuracy")
    def accuracy(self, obj):
        value = ((obj.metrics or {}).get("test") or {}).get("accuracy_diff")
        return "—" if value is None else f"{100 * value:.1f}%"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RefitPolicyForm(forms.ModelForm):
    class Meta:
        model = RefitPolicy
        fields = ["project", "enabled", "min_new_pairs", "fit_settings"]

    def clean_fit_settings(self):
        from .weights.refit import RefitSettingsError, refit_settings

        value = self.cleaned_data["fit_settings"]
        try:
            refit_settings(value)
        except RefitSettingsError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return value


@admin.register(RefitPolicy)
class RefitPolicyAdmin(admin.ModelAdmin):
    """Per project: whether the periodic refit ("refit-weights" under Periodic tasks, where its
    schedule is edited) refits it, after how many new pair ratings, and with which settings."""

    list_display = ["project", "enabled", "min_new_pairs", "updated_by", "updated_at"]
    list_filter = ["enabled"]
    raw_id_fields = ["project"]
    readonly_fields = ["updated_by", "updated_at"]

    form = RefitPolicyForm

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    """Direct uploads to the bucket (read-only: the API and the sweep change them)."""

    list_display = ["created_at", "filename", "project", "user", "size_bytes", "state", "import_job"]
    list_filter = ["state"]
    search_fields = ["filename", "public_id", "object_name"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Upload._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
