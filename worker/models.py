"""The ``Job`` record: everything a user waits on (imports, prefill, refits, exports, training).

A job row is the source of truth for background work; Celery messages only say "look at job
N". State moves queued → running → succeeded / failed / cancelled; the legal transitions are
enforced by ``worker.jobs`` (never assign ``state`` elsewhere).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

LOG_MAX_LINES = 200
LOG_MAX_CHARS = 20_000


class Job(models.Model):
    class Kind(models.TextChoices):
        IMPORT = "import"
        PREFILL = "prefill"
        REFIT = "refit"
        EXPORT = "export"
        FINETUNE = "finetune"
        EVALUATE = "evaluate"

    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELLED = "cancelled"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    state = models.CharField(max_length=20, choices=State.choices, default=State.QUEUED)
    progress = models.FloatField(default=0.0, help_text="0..1")
    message = models.CharField(max_length=300, blank=True, help_text="Short status line, e.g. '12/40 imported'.")
    log = models.TextField(blank=True, help_text="The tail of the job's log (last ~200 lines / 20 kB).")
    params = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    project = models.ForeignKey(
        "annotator.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="jobs"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0, help_text="How many times a worker started it.")
    max_attempts = models.PositiveIntegerField(default=3)
    queue = models.CharField(max_length=50, default="default")
    celery_task_id = models.CharField(max_length=255, blank=True)
    dispatched_at = models.DateTimeField(
        null=True, blank=True, help_text="When its message was last handed to the broker (null: not yet / failed)."
    )
    cancel_requested = models.BooleanField(default=False)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__gte=0) & Q(progress__lte=1), name="job_progress_0_1"),
        ]
        indexes = [
            models.Index(fields=["state", "dispatched_at"], name="job_state_dispatched"),
            models.Index(fields=["project", "kind", "state"], name="job_project_kind_state"),
        ]

    def __str__(self):
        return f"job {self.pk} ({self.kind}, {self.state})"

    @property
    def is_finished(self) -> bool:
        return self.state in FINISHED_STATES

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        from django.utils import timezone

        end = self.finished_at or timezone.now()
        return max(0.0, (end - self.started_at).total_seconds())


FINISHED_STATES = {Job.State.SUCCEEDED, Job.State.FAILED, Job.State.CANCELLED}


def tail(text: str, max_lines: int = LOG_MAX_LINES, max_chars: int = LOG_MAX_CHARS) -> str:
    """The last ``max_lines`` lines of ``text``, at most ``max_chars`` characters (whole lines)."""
    lines = text.splitlines()[-max_lines:]
    out: list[str] = []
    size = 0
    for line in reversed(lines):
        size += len(line) + 1
        if size > max_chars and out:
            break
        out.append(line[-max_chars:])
    return "\n".join(reversed(out)) + ("\n" if out else "")
