"""The ``Job`` record: everything a user waits on (imports, prefill, refits, scoring, exports,
training); the model registry (``ModelSpec``, and ``ProjectModel``: a project's active model);
weight sets (``WeightSet``), asset scores (``AssetScore``) and refit policies (``RefitPolicy``).

A job row is the source of truth for background work; Celery messages only say "look at job
N". State moves queued → running → succeeded / failed / cancelled; the legal transitions are
enforced by ``worker.jobs`` (never assign ``state`` elsewhere).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
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
        SCORE = "score"
        PUSH = "push"
        MODEL_CHECK = "model_check"
        DATASET_IMPORT = "dataset_import"
        ARCHIVE = "archive"

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


# --- the model registry -----------------------------------------------------------------------


class ModelSpec(models.Model):
    """A question-answering model the workers can load (admin-edited): where its weights are and
    how to run it. Pre-fill jobs name it; ``updated_at`` tells workers to reload it."""

    class DType(models.TextChoices):
        AUTO = "auto", "auto (bfloat16 or float16 on a GPU, float32 on CPU)"
        FLOAT32 = "float32", "float32"
        BFLOAT16 = "bfloat16", "bfloat16"
        FLOAT16 = "float16", "float16"

    class Device(models.TextChoices):
        AUTO = "auto", "auto (cuda when available, else cpu)"
        CPU = "cpu", "cpu"
        CUDA = "cuda", "cuda"

    class Queue(models.TextChoices):
        DEFAULT = "default", "default"
        MEDIA = "media", "media"
        GPU = "gpu", "gpu"

    BATCH_SIZE_RANGE = (1, 512)
    MAX_FRAMES_RANGE = (1, 64)

    name = models.SlugField(max_length=100, unique=True, help_text="Stored on every prediction as its model name.")
    title = models.CharField(max_length=200, blank=True)
    source = models.CharField(
        max_length=500, help_text="A local folder with the weights, or a Hugging Face Hub id (owner/name)."
    )
    revision = models.CharField(max_length=200, blank=True, help_text="Hub branch, tag or commit (blank: default).")
    dtype = models.CharField(max_length=10, choices=DType.choices, default=DType.AUTO)
    device = models.CharField(max_length=10, choices=Device.choices, default=Device.AUTO)
    queue = models.CharField(
        max_length=20, choices=Queue.choices, default=Queue.GPU, help_text="The Celery queue its jobs run on."
    )
    batch_size = models.PositiveIntegerField(
        default=16,
        validators=[MinValueValidator(BATCH_SIZE_RANGE[0]), MaxValueValidator(BATCH_SIZE_RANGE[1])],
        help_text="Questions scored per forward pass (1..512).",
    )
    max_frames = models.PositiveIntegerField(
        default=8,
        validators=[MinValueValidator(MAX_FRAMES_RANGE[0]), MaxValueValidator(MAX_FRAMES_RANGE[1])],
        help_text="Video frames the model sees (1..64).",
    )
    trust_remote_code = models.BooleanField(
        default=False, help_text="Run the model repository's own Python code (only for sources you trust)."
    )
    enabled = models.BooleanField(default=True, help_text="Disabled models start no new jobs.")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The outcome of the last test load (a ``model_check`` job, ``worker.prefill.check``) of the
    # spec as it then was: older than ``updated_at`` means the spec changed since.
    last_check_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_check_ok = models.BooleanField(null=True, blank=True, editable=False)
    last_check_message = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = "model"
        # Superusers have it implicitly; give it to others in the admin (Users or Groups).
        permissions = [("allow_remote_code", "Can let a model source run its own code (trust_remote_code)")]
        constraints = [
            models.CheckConstraint(
                condition=Q(batch_size__gte=1) & Q(batch_size__lte=512), name="modelspec_batch_size"
            ),
            models.CheckConstraint(condition=Q(max_frames__gte=1) & Q(max_frames__lte=64), name="modelspec_max_frames"),
        ]

    def __str__(self):
        return self.name


class ProjectModel(models.Model):
    """The active model of a project: pre-fill jobs use it by default, and with
    ``auto_prefill`` every finished import starts a pre-fill job for its new assets."""

    project = models.OneToOneField("annotator.Project", on_delete=models.CASCADE, related_name="active_model")
    model = models.ForeignKey(ModelSpec, on_delete=models.PROTECT, related_name="project_models")
    auto_prefill = models.BooleanField(default=True, help_text="Pre-fill newly imported assets automatically.")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project_id"]
        verbose_name = "project model"

    def __str__(self):
        return f"{self.project} → {self.model}"


# --- weight sets and scores -----------------------------------------------------------------


class WeightSet(models.Model):
    """A versioned linear weighting of a checklist's questions (the reward).

    Never edited in place: a refit, an upload or the published VisionReward weights make a new
    row (``version`` counts per project). Only ``status`` moves: candidate → active → retired
    (and back to active by explicit promotion); at most one set per project is active.
    Coefficients are keyed by question key; the scoring rule is
    ``worker.weights.types.WeightVector``.
    """

    class Status(models.TextChoices):
        CANDIDATE = "candidate"
        ACTIVE = "active"
        RETIRED = "retired"

    class Source(models.TextChoices):
        FITTED = "fitted"
        PUBLIC = "public"
        UPLOADED = "uploaded"

    project = models.ForeignKey("annotator.Project", on_delete=models.CASCADE, related_name="weight_sets")
    version = models.PositiveIntegerField()
    label = models.CharField(max_length=200, blank=True)
    checklist_version = models.ForeignKey("annotator.ChecklistVersion", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CANDIDATE)
    source = models.CharField(max_length=10, choices=Source.choices)
    encoding = models.CharField(max_length=10, default="signed")
    normalization = models.CharField(max_length=10, default="sum")
    intercept = models.FloatField(default=0.0)
    coefficients = models.JSONField(help_text="question key → weight")
    extra = models.JSONField(default=dict, blank=True, help_text="extra feature name → weight (e.g. alignment)")
    extra_defaults = models.JSONField(default=dict, blank=True)
    gates = models.JSONField(default=dict, blank=True, help_text="question key → presence question key")
    fit_settings = models.JSONField(default=dict, blank=True)
    data_counts = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    decision = models.TextField(blank=True, help_text="Why it was (not) promoted.")
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    promoted_at = models.DateTimeField(null=True, blank=True)
    promoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-version", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "version"], name="weightset_project_version"),
            models.UniqueConstraint(
                fields=["project"], condition=Q(status="active"), name="weightset_one_active_per_project"
            ),
        ]

    def __str__(self):
        return f"weight set {self.version} of project {self.project_id} ({self.status})"


class AssetScore(models.Model):
    """An asset's score under a weight set: total and per dimension, from human answers (the
    consensus, or the reviewed gold answer) or, where nobody answered yet, the model's P(yes)."""

    class Source(models.TextChoices):
        HUMAN = "human"
        MODEL = "model"

    asset = models.ForeignKey("annotator.Asset", on_delete=models.CASCADE, related_name="scores")
    project = models.ForeignKey("annotator.Project", on_delete=models.CASCADE, related_name="+")
    weight_set = models.ForeignKey(WeightSet, on_delete=models.CASCADE, related_name="scores")
    source = models.CharField(max_length=10, choices=Source.choices)
    total = models.FloatField()
    dimensions = models.JSONField(default=dict)
    answers_at = models.DateTimeField(null=True, blank=True, help_text="The newest answer or prediction it used.")
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-total", "asset_id"]
        constraints = [models.UniqueConstraint(fields=["asset", "weight_set"], name="assetscore_asset_weightset")]
        indexes = [models.Index(fields=["weight_set", "total"], name="assetscore_weightset_total")]

    def __str__(self):
        return f"score {self.total:.3f} of asset {self.asset_id} (weight set {self.weight_set_id})"


class RefitPolicy(models.Model):
    """When the periodic refit (Celery beat task ``refit-weights``, its schedule editable in the
    admin's periodic tasks) refits a project's weights: when enabled and at least
    ``min_new_pairs`` labelled pairs arrived since the last fit, with ``fit_settings``."""

    project = models.OneToOneField("annotator.Project", on_delete=models.CASCADE, related_name="refit_policy")
    enabled = models.BooleanField(default=True)
    min_new_pairs = models.PositiveIntegerField(default=50)
    fit_settings = models.JSONField(default=dict, blank=True, help_text="Refit settings (see docs/weights.md).")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "refit policies"

    def __str__(self):
        return f"refit policy of {self.project}"


class RemoteCodeDecision(models.Model):
    """The audit trail of ``trust_remote_code``: every time a model source was allowed to run its
    repository's own code (or a trusted model's source or revision changed, which is a new
    decision), and every time it was turned off; who, when, through what, which source and
    revision. Written in the transaction that saves the model; never edited."""

    class Via(models.TextChoices):
        API = "api", "REST API"
        ADMIN = "admin", "Django admin"
        FINETUNE = "finetune", "fine-tune job (inherited from its base model)"

    model = models.ForeignKey(ModelSpec, null=True, on_delete=models.SET_NULL, related_name="remote_code_decisions")
    model_name = models.CharField(max_length=100, help_text="The model's name then (kept if it is deleted).")
    source = models.CharField(max_length=500)
    revision = models.CharField(max_length=200, blank=True)
    trust_remote_code = models.BooleanField(help_text="On: the source's own code may run. Off: turned off.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by_name = models.CharField(max_length=150, blank=True, help_text="The username then.")
    via = models.CharField(max_length=10, choices=Via.choices)
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        verbose_name = "remote code decision"

    def __str__(self) -> str:
        what = "allowed" if self.trust_remote_code else "turned off"
        rev = f"@{self.revision}" if self.revision else ""
        return f"remote code {what} for {self.model_name} ({self.source}{rev}) by {self.decided_by_name or '?'}"


class Upload(models.Model):
    """A file a browser sends straight to the bucket as an S3 multipart upload (never through the
    web tier): created with its presigned part URLs, completed once every part is stored, then
    imported once (``worker.imports.uploads``). One left ``created`` too long is aborted by the
    beat sweep, and its parts deleted."""

    class State(models.TextChoices):
        CREATED = "created"
        COMPLETE = "complete"
        ABORTED = "aborted"
        IMPORTED = "imported"

    public_id = models.UUIDField(unique=True, editable=False)
    project = models.ForeignKey("annotator.Project", on_delete=models.CASCADE, related_name="uploads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="uploads")
    filename = models.CharField(max_length=500, help_text="The file's name as the browser sent it.")
    size_bytes = models.BigIntegerField()
    content_type = models.CharField(max_length=100, blank=True, default="")
    object_name = models.CharField(max_length=700, help_text="Its media storage name: uploads/<project>/<uuid>/<name>.")
    s3_upload_id = models.CharField(max_length=1024)
    part_bytes = models.BigIntegerField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.CREATED)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    import_job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    object_deleted = models.BooleanField(default=False, help_text="Its object was removed after its import.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "created_at"], name="upload_state_created")]

    def __str__(self) -> str:
        return f"upload {self.public_id} ({self.filename}, {self.state})"
