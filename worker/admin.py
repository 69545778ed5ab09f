from django import forms
from django.contrib import admin, messages

from . import jobs
from .models import Job, ModelSpec, ProjectModel, RefitPolicy, WeightSet


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


@admin.register(ModelSpec)
class ModelSpecAdmin(admin.ModelAdmin):
    list_display = ["name", "title", "source", "revision", "queue", "device", "dtype", "enabled", "updated_at"]
    list_filter = ["enabled", "queue", "device", "dtype"]
    search_fields = ["name", "title", "source", "notes"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "title", "enabled", "notes"]}),
        ("Weights", {"fields": ["source", "revision", "trust_remote_code"]}),
        ("Running", {"fields": ["queue", "device", "dtype", "batch_size", "max_frames"]}),
        ("History", {"fields": ["created_at", "updated_at"]}),
    ]


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
        from .refit import RefitSettingsError, refit_settings

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
