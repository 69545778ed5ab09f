"""The annotation domain: checklists, projects, members, assets, tasks, assignments, annotations.

The rules of the method (how a chosen option expands into binary answers) live in the pure
``annotator.checklist`` package; these models store its frozen definitions and the results.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast, Coalesce

from .packed import PACK_SQL, PACK_SQL_SQLITE

MEDIA_TYPES = [("image", "image"), ("video", "video")]
_PARSED_CHECKLISTS: dict = {}  # content hash -> Checklist; versions are frozen, so this never goes stale


class ChecklistVersion(models.Model):
    """One frozen, content-hashed version of a checklist definition.

    Versions are never edited: loading a changed definition under the same key makes the
    next version; loading identical content returns the existing one.
    """

    key = models.SlugField(max_length=100)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    media_type = models.CharField(max_length=10, choices=MEDIA_TYPES)
    definition = models.JSONField(help_text="The normalized checklist definition (canonical form).")
    content_hash = models.CharField(max_length=64, unique=True)
    question_count = models.PositiveIntegerField()
    sub_dimension_count = models.PositiveIntegerField()
    builtin = models.BooleanField(default=False)
    source_name = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key", "-version"]
        constraints = [models.UniqueConstraint(fields=["key", "version"], name="checklist_key_version_unique")]

    def __str__(self):
        return f"{self.key} v{self.version}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            stored = ChecklistVersion.objects.filter(pk=self.pk).values_list("content_hash", flat=True).first()
            if stored is not None and stored != self.content_hash:
                raise ValidationError("A checklist version is frozen: load the edited file as a new version.")
        super().save(*args, **kwargs)

    @property
    def checklist(self):
        """The parsed, validated ``annotator.checklist.Checklist`` for this version (cached by hash)."""
        cached = _PARSED_CHECKLISTS.get(self.content_hash)
        if cached is None:
            from .checklist import checklist_from_dict

            cached = _PARSED_CHECKLISTS[self.content_hash] = checklist_from_dict(self.definition)
        return cached


class Project(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=50,
        null=True,
        blank=True,
        unique=True,
        help_text="An optional short handle, unique (e.g. `demo`): what scripts and `vr --project` can name it by.",
    )
    description = models.TextField(blank=True)
    instructions = models.TextField(blank=True, help_text="Shown to annotators (Markdown).")
    media_type = models.CharField(max_length=10, choices=MEDIA_TYPES)
    checklist_version = models.ForeignKey(ChecklistVersion, on_delete=models.PROTECT, related_name="projects")
    overlap = models.PositiveSmallIntegerField(default=1, help_text="k: how many annotators answer each task.")
    lease_seconds = models.PositiveIntegerField(default=settings.VR_LEASE_SECONDS)
    prefer_uncertain = models.BooleanField(
        default=False,
        help_text="Serve the tasks whose model prediction is least certain first (within a priority).",
    )
    gold_check_rate = models.FloatField(
        default=0.1,
        help_text="Quality control, 0..1: the share of an annotator's claims that serve a gold check they "
        "have not seen yet (when one is left); 0 serves none.",
    )
    disagreement_threshold = models.FloatField(
        null=True,
        blank=True,
        help_text="Quality control, 0..1 or null (off): when a task's submitted annotations disagree more than "
        "this (mean pairwise disagreement), one more annotator is asked for.",
    )
    max_extra_annotators = models.PositiveSmallIntegerField(
        default=1, help_text="Quality control: at most this many annotators added to a task for disagreement."
    )
    pair_tasks = models.BooleanField(
        default=False,
        help_text="Pair tasks on: every two ready assets of one prompt also become a pair task (A vs B, rated "
        "1-5), made when this is turned on and after each import (at most 10 new pairs per prompt each time).",
    )
    accept_threshold = models.FloatField(
        default=0.8,
        help_text="Pre-fill, 0.5..1: on the annotate screen, `a` accepts only the model's guesses with at least "
        "this confidence; the others are marked for the annotator to check.",
    )
    archived = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(overlap__gte=1) & Q(overlap__lte=50), name="project_overlap_range"),
            models.CheckConstraint(condition=Q(lease_seconds__gte=60), name="project_lease_min"),
            models.CheckConstraint(
                condition=Q(gold_check_rate__gte=0) & Q(gold_check_rate__lte=1), name="project_gold_check_rate_0_1"
            ),
            models.CheckConstraint(
                condition=Q(disagreement_threshold__isnull=True)
                | (Q(disagreement_threshold__gte=0) & Q(disagreement_threshold__lte=1)),
                name="project_disagreement_threshold_0_1",
            ),
            models.CheckConstraint(condition=Q(max_extra_annotators__lte=10), name="project_max_extra_annotators"),
            models.CheckConstraint(
                condition=Q(accept_threshold__gte=0.5) & Q(accept_threshold__lte=1), name="project_accept_threshold"
            ),
        ]

    def __str__(self):
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        ANNOTATOR = "annotator"
        REVIEWER = "reviewer"
        MANAGER = "manager"
        RESEARCHER = "researcher"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project_id", "user_id"]
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="membership_unique")]

    def __str__(self):
        return f"{self.user} · {self.role} · {self.project}"


class Invitation(models.Model):
    """An invitation to make an account, optionally straight into a project with a role.

    By e-mail (``email`` set): the invitee gets a signed link (``annotator.services.accounts``); it
    works once. As a shareable link (``email`` blank, always into a project): the link is shown to
    its maker once and works for up to ``max_uses`` people (``uses`` counts them). Either works until
    ``expires_at``, and staff or the project's managers can revoke it before; ``accepted_at`` is set
    when it is used up (``accepted_by``: the last person who used it)."""

    email = models.EmailField(blank=True, help_text="Blank for a shareable link.")
    max_uses = models.PositiveSmallIntegerField(default=1, help_text="How many people may use the link.")
    uses = models.PositiveSmallIntegerField(default=0, help_text="How many people have used it.")
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=20, choices=Membership.Role.choices, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(project__isnull=True, role="") | Q(project__isnull=False) & ~Q(role=""),
                name="invitation_role_with_project",
            ),
            models.CheckConstraint(
                condition=Q(max_uses__gte=1) & Q(uses__lte=models.F("max_uses")), name="invitation_uses_within_max"
            ),
            # an e-mail invitation is for one person; a shareable link always invites into a project
            models.CheckConstraint(
                condition=~Q(email="") & Q(max_uses=1) | Q(email="", project__isnull=False),
                name="invitation_email_or_project_link",
            ),
        ]

    def __str__(self):
        who = f"invitation of {self.email}" if self.email else "invitation link"
        return who + (f" to {self.project}" if self.project_id else "")

    def state(self, now) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        return "expired" if self.expires_at <= now else "pending"


def asset_media_dir(project_id: int, asset_id: int) -> str:
    """Folder of an asset's files: a name in the media storage (annotator.storage)."""
    return f"projects/{project_id}/assets/{asset_id}"


class Asset(models.Model):
    class Status(models.TextChoices):
        READY = "ready"
        FAILED = "failed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="assets")
    kind = models.CharField(max_length=10, choices=MEDIA_TYPES)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.READY)
    failure_reason = models.TextField(blank=True)
    original_name = models.CharField(max_length=500)
    prompt = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    mime_type = models.CharField(max_length=100, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    fps = models.FloatField(null=True, blank=True)
    frame_count = models.PositiveIntegerField(null=True, blank=True)
    probe = models.JSONField(default=dict, blank=True, help_text="What ffprobe reported (trimmed).")
    files = models.JSONField(
        default=dict,
        blank=True,
        help_text="Derived files, names in the media storage (MEDIA_ROOT or the bucket): "
        "original, display (browser-safe), poster, "
        "thumbnail, frames (list with their timestamps).",
    )
    import_job_id = models.BigIntegerField(
        null=True, blank=True, help_text="The worker Job that imported it (no FK: the core knows no other app)."
    )
    import_entry = models.PositiveIntegerField(null=True, blank=True, help_text="Row of that import's entry list.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["project", "status"], name="asset_project_status")]
        constraints = [
            # A retried import job never creates the same asset twice.
            models.UniqueConstraint(fields=["import_job_id", "import_entry"], name="asset_import_entry_unique"),
        ]

    def __str__(self):
        return f"{self.original_name} ({self.kind}, {self.status})"


# Claim order by uncertainty: tasks without a prediction (null) after every scored one.
UNCERTAINTY_ORDER = Coalesce(models.F("uncertainty"), models.Value(-1.0))


class Task(models.Model):
    """A unit of work that needs ``required`` annotations: one asset, or a pair of assets."""

    class Kind(models.TextChoices):
        SINGLE = "single"
        PAIR = "pair"

    class Status(models.TextChoices):
        OPEN = "open", "open (needs more assignments)"
        FULL = "full", "full (every slot is assigned)"
        DONE = "done", "done (every slot is submitted)"
        DISABLED = "disabled"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SINGLE)
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="tasks")
    asset_b = models.ForeignKey(Asset, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks_as_b")
    required = models.PositiveSmallIntegerField(default=1)
    assigned_count = models.PositiveSmallIntegerField(default=0, help_text="Live + submitted assignments.")
    submitted_count = models.PositiveSmallIntegerField(default=0)
    extra_annotators = models.PositiveSmallIntegerField(
        default=0,
        help_text="Annotators added to `required` because the submitted annotations disagreed beyond the "
        "project's disagreement threshold.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    priority = models.IntegerField(default=0, help_text="Higher is served first.")
    uncertainty = models.FloatField(
        null=True,
        blank=True,
        help_text="Mean binary entropy (bits) of the asset's latest prediction; null without one. "
        "Projects that prefer uncertain items serve the highest first.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(assigned_count__lte=models.F("required")), name="task_not_over_assigned"
            ),
            models.CheckConstraint(
                condition=(Q(kind="single", asset_b__isnull=True) | Q(kind="pair", asset_b__isnull=False)),
                name="task_pair_has_two_assets",
            ),
            models.CheckConstraint(
                condition=Q(uncertainty__isnull=True) | (Q(uncertainty__gte=0) & Q(uncertainty__lte=1)),
                name="task_uncertainty_0_1",
            ),
            models.UniqueConstraint(
                fields=["project", "asset"], condition=Q(kind="single"), name="task_one_single_per_asset"
            ),
            models.UniqueConstraint(
                fields=["project", "asset", "asset_b"], condition=Q(kind="pair"), name="task_pair_unique"
            ),
        ]
        indexes = [
            # The claim query: open tasks of a project, best priority first, oldest first.
            models.Index(fields=["project", "-priority", "id"], condition=Q(status="open"), name="task_claim_queue"),
            # The same for projects that prefer uncertain items: most uncertain first, unscored last
            # (null sorts as -1: an expression SQLite can index too, unlike NULLS LAST).
            models.Index(
                "project",
                models.F("priority").desc(),
                UNCERTAINTY_ORDER.desc(),
                "id",
                condition=Q(status="open"),
                name="task_claim_uncertain",
            ),
            models.Index(fields=["project", "status"], name="task_project_status"),
        ]

    def __str__(self):
        return f"task {self.pk} ({self.kind}, {self.status})"

    def refresh_status(self):
        """Recompute ``status`` from the counters (does not save)."""
        if self.status == Task.Status.DISABLED:
            return
        if self.submitted_count >= self.required:
            self.status = Task.Status.DONE
        elif self.assigned_count >= self.required:
            self.status = Task.Status.FULL
        else:
            self.status = Task.Status.OPEN


class Assignment(models.Model):
    """A lease on one slot of a task, held by one annotator."""

    class State(models.TextChoices):
        ACTIVE = "active"
        SUBMITTED = "submitted"
        EXPIRED = "expired"
        SKIPPED = "skipped"
        RELEASED = "released"

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    leased_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    skip_reason = models.TextField(blank=True)
    draft = models.JSONField(default=dict, blank=True, help_text="Autosaved, unsubmitted answers.")
    draft_saved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-leased_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["task", "user"], name="assignment_once_per_user")]
        indexes = [
            models.Index(fields=["expires_at"], condition=Q(state="active"), name="assignment_active_expiry"),
            models.Index(fields=["user", "project", "state"], name="assignment_user_project"),
        ]

    def __str__(self):
        return f"assignment {self.pk} ({self.user}, task {self.task_id}, {self.state})"


class PackedVector(models.Func):
    """A JSON answer vector packed, one byte per question (``annotator.packed``), in SQL."""

    template = PACK_SQL
    output_field = models.BinaryField(null=True)

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template=PACK_SQL_SQLITE, **extra_context)


def _packed(column: str) -> models.GeneratedField:
    """``column`` (a JSON answer vector) packed: computed and stored by the database on every
    write, ``NULL`` where it has no packed form (``annotator.packed``)."""
    return models.GeneratedField(
        expression=PackedVector(models.F(column)), output_field=models.BinaryField(null=True), db_persist=True
    )


def _as_text(column: str) -> models.GeneratedField:
    """``column`` (a JSON object) as the text the database prints for it, stored beside it: the
    export reads it without PostgreSQL printing jsonb row by row (``annotator.packed``)."""
    return models.GeneratedField(
        expression=Cast(models.F(column), models.TextField()),
        output_field=models.TextField(),
        db_persist=True,
    )


class Annotation(models.Model):
    """Submitted answers of one annotator for one task.

    ``options`` holds the chosen option code per sub-dimension; ``answers`` and ``mask`` are
    the derived binary answers and applicability mask in question-position order.
    """

    class State(models.TextChoices):
        SUBMITTED = "submitted"
        REVIEWED = "reviewed"

    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="annotation")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="annotations")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="annotations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="annotations")
    checklist_version = models.ForeignKey(ChecklistVersion, on_delete=models.PROTECT, related_name="+")
    client_id = models.UUIDField(default=uuid.uuid4, help_text="Client-generated id that makes submit idempotent.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.SUBMITTED)
    options = models.JSONField(default=dict, blank=True)
    answers = models.JSONField(default=list, blank=True)
    mask = models.JSONField(default=list, blank=True)
    options_text = _as_text("options")
    answers_packed = _packed("answers")
    mask_packed = _packed("mask")
    preference = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Pairs: 1 = A much better … 3 = no preference … 5 = B much better."
    )
    dimension_preferences = models.JSONField(default=dict, blank=True)
    comment = models.TextField(blank=True)
    time_spent_ms = models.PositiveIntegerField(default=0)
    revision = models.PositiveIntegerField(default=1)
    submitted_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    late = models.BooleanField(
        default=False,
        help_text="A late extra: submitted after its lease lapsed and its slot went to someone else. Kept and "
        "counted in statistics, but not one of the task's k (its counters leave it out); exports include "
        "late extras only when asked (include_late).",
    )

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "client_id"], name="annotation_client_id_unique"),
            models.CheckConstraint(
                condition=Q(preference__isnull=True) | (Q(preference__gte=1) & Q(preference__lte=5)),
                name="annotation_preference_1_5",
            ),
        ]
        indexes = [models.Index(fields=["project", "state"], name="annotation_project_state")]

    def __str__(self):
        return f"annotation {self.pk} (task {self.task_id}, {self.user})"


class AnnotationRevision(models.Model):
    """Every submitted state of an annotation, oldest first; nothing is overwritten unseen."""

    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="revisions")
    revision = models.PositiveIntegerField()
    client_id = models.UUIDField()
    options = models.JSONField(default=dict, blank=True)
    answers = models.JSONField(default=list, blank=True)
    mask = models.JSONField(default=list, blank=True)
    preference = models.PositiveSmallIntegerField(null=True, blank=True)
    dimension_preferences = models.JSONField(default=dict, blank=True)
    comment = models.TextField(blank=True)
    time_spent_ms = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["annotation_id", "revision"]
        constraints = [models.UniqueConstraint(fields=["annotation", "revision"], name="revision_unique")]

    def __str__(self):
        return f"annotation {self.annotation_id} revision {self.revision}"


class Prediction(models.Model):
    """A model's guess for one asset under one checklist version: P(yes) per question.

    Written by model workers (pre-fill jobs) or posted by an external model through the API;
    shown to annotators as a pre-fill. ``p_yes`` maps question key → probability;
    ``options`` holds the derived most likely option and its confidence per sub-dimension
    (``{"sub_key": {"option": code, "confidence": 0.93}}``), computed by
    ``annotator.checklist.predict`` when the row is written.
    """

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="predictions")
    checklist_version = models.ForeignKey(ChecklistVersion, on_delete=models.PROTECT, related_name="+")
    model_name = models.CharField(max_length=200)
    model_version = models.CharField(max_length=100, blank=True)
    p_yes = models.JSONField(default=dict)
    options = models.JSONField(default=dict, blank=True)
    job_id = models.BigIntegerField(null=True, blank=True, help_text="The worker job that made it, if any.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["asset", "checklist_version", "-created_at"], name="prediction_latest")]

    def __str__(self):
        return f"prediction {self.pk} ({self.model_name}, asset {self.asset_id})"


class GoldAnswer(models.Model):
    """The reviewed answer of a task: an accepted annotation or a reviewer's correction.

    One per task; a later review replaces it (the replaced state is kept in ``history``).
    """

    class Source(models.TextChoices):
        ACCEPTED = "accepted"
        CORRECTED = "corrected"
        IMPORTED = "imported"  # a pair's rating read from a preference dataset (worker.imports.pairs)

    task = models.OneToOneField(Task, on_delete=models.CASCADE, related_name="gold")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="gold_answers")
    checklist_version = models.ForeignKey(ChecklistVersion, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=10, choices=Source.choices)
    source_annotation = models.ForeignKey(
        Annotation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    options = models.JSONField(default=dict, blank=True)
    answers = models.JSONField(default=list, blank=True)
    mask = models.JSONField(default=list, blank=True)
    options_text = _as_text("options")
    answers_packed = _packed("answers")
    mask_packed = _packed("mask")
    preference = models.PositiveSmallIntegerField(null=True, blank=True)
    dimension_preferences = models.JSONField(default=dict, blank=True)
    comment = models.TextField(blank=True)
    history = models.JSONField(default=list, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(preference__isnull=True) | (Q(preference__gte=1) & Q(preference__lte=5)),
                name="gold_preference_1_5",
            ),
        ]

    def __str__(self):
        return f"gold answer of task {self.task_id} ({self.source})"


class GoldCheck(models.Model):
    """A known-answer check: a task whose expected answer a manager set in advance: for a single
    task the expected options (``options``, ``answers``, ``mask``), for a pair task the gold
    preference (``preference``, 1..5, 3 = tie) and optionally per-dimension preferences.

    The task leaves the normal queue and is served, mixed in with normal tasks and looking like
    one, to every annotator who has not had it (at the project's ``gold_check_rate``); each serve
    adds its own slot (``required`` and ``assigned_count`` grow together), so it never takes one
    of the k normal slots. The annotations of the task are compared with ``answers`` / ``options``
    (or, for a pair, with ``preference`` / ``dimension_preferences``) for each annotator's accuracy
    (``annotator.services.stats``). Never shown to annotators.
    """

    task = models.OneToOneField(Task, on_delete=models.CASCADE, related_name="gold_check")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="gold_checks")
    checklist_version = models.ForeignKey(ChecklistVersion, on_delete=models.PROTECT, related_name="+")
    options = models.JSONField(default=dict, blank=True, help_text="The expected option per sub-dimension.")
    answers = models.JSONField(default=list, blank=True)
    mask = models.JSONField(default=list, blank=True)
    preference = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Pairs: the gold preference, 1 = A much better … 3 = tie (no preference) … 5 = B much better.",
    )
    dimension_preferences = models.JSONField(
        default=dict, blank=True, help_text="Pairs: the gold preference per dimension key (1..5), optional."
    )
    comment = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["task_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(preference__isnull=True) | (Q(preference__gte=1) & Q(preference__lte=5)),
                name="gold_check_preference_1_5",
            ),
        ]

    def __str__(self):
        return f"gold check of task {self.task_id}"


class PersonalToken(models.Model):
    """A named personal API token (``Authorization: Token <key>`` or ``Bearer <key>``).

    Only the SHA-256 of the key is stored (``annotator.services.tokens``): the key is shown once,
    when it is made. ``prefix`` (the key's first characters) tells tokens apart in lists."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personal_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, help_text="The key's first characters, for display.")
    key_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the key (hex); never the key.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Null: until revoked.")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"], condition=Q(revoked_at__isnull=True), name="personal_token_live_name_unique"
            )
        ]

    def __str__(self):
        return f"token {self.prefix}… ({self.name}, {self.user})"

    def state(self, now) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


class Webhook(models.Model):
    """A project's subscription of one URL to some of its events (docs/webhooks.md).

    The secret is stored as it is (it must sign every delivery); the API shows it once, when the
    webhook is made and when it is rotated."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list, help_text="The event names delivered, e.g. ['task.completed'].")
    secret = models.CharField(max_length=100, help_text="The HMAC-SHA256 key deliveries are signed with.")
    active = models.BooleanField(default=True)
    description = models.CharField(max_length=200, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True, help_text="Why it was turned off (410 Gone).")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"webhook {self.pk} of project {self.project_id} → {self.url}"


class WebhookDelivery(models.Model):
    """One event for one webhook: the outbox row a Celery task sends, retried on a schedule.

    ``event_id`` stays the same over every attempt and every "send again", so a receiver can
    drop duplicates."""

    class State(models.TextChoices):
        PENDING = "pending"
        DELIVERING = "delivering"
        DELIVERED = "delivered"
        FAILED = "failed"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=50)
    event_id = models.UUIDField(default=uuid.uuid4, db_index=True)
    payload = models.JSONField(default=dict)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0, help_text="Every attempt so far, 'send again' included.")
    round_attempts = models.PositiveIntegerField(
        default=0, help_text="Attempts since it was queued (or sent again): where it is in the retry schedule."
    )
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True, help_text="When its message was last sent.")
    started_at = models.DateTimeField(null=True, blank=True, help_text="When the attempt under way began.")
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True, help_text="The start of the last response body, as text.")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="webhook_delivery_due")]

    def __str__(self):
        return f"{self.event} {self.event_id} → webhook {self.webhook_id} ({self.state})"


class UserPreferences(models.Model):
    """An account's choices for the app: language, theme, single-key shortcuts, key remaps.

    The rules are in the pure ``annotator.preferences``; ``keymap`` holds only the remapped
    actions (action → list of ``KeyboardEvent.code`` bindings), the defaults are the app's."""

    LANGUAGES = [("", "the browser's"), ("en", "English"), ("zh-CN", "简体中文")]
    THEMES = [("system", "system"), ("light", "light"), ("dark", "dark"), ("high-contrast", "high contrast")]

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences")
    language = models.CharField(max_length=10, blank=True, default="", choices=LANGUAGES)
    theme = models.CharField(max_length=20, default="system", choices=THEMES)
    single_key_shortcuts = models.BooleanField(
        default=True, help_text="Off: letter, digit and symbol keys act only with Alt (WCAG 2.1.4)."
    )
    keymap = models.JSONField(default=dict, blank=True, help_text="Remapped actions only: action → key codes.")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"preferences of {self.user}"
