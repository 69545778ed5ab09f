"""Dataset versions: immutable, reproducible snapshots of a project's annotations, exported as a
Hugging Face dataset folder (and the VisionRewardDB layout, JSONL, a balanced QA subset).

A version is written by an export job (``worker.exports.job``) into a staging folder and made
visible in one step, so a crashed export never leaves a half version: on a filesystem storage
the folder is renamed into place, on an object store it is uploaded under ``<name>/v<n>/``; either
way the row turns ``ready`` last, and only a ready row's files are ever read or served. Its files
live in ``annotator.storage.datasets_storage()`` under the storage name ``path``.

Its ``content_hash`` covers the rows, not how they were written: a new version with the content
of an existing ready one ends ``duplicate`` and points at it instead of keeping a second copy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from annotator import storage

NAME_RE = r"^[a-z0-9][a-z0-9._-]{0,79}$"


def datasets_root() -> Path:
    """``VR_DATASETS_ROOT``: the datasets storage's folder on a filesystem storage. Code reads
    and writes versions through :func:`annotator.storage.datasets_storage` (this folder is never
    touched on ``VR_STORAGE=s3``)."""
    return Path(settings.VR_DATASETS_ROOT)


class DatasetVersion(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued"
        BUILDING = "building"
        READY = "ready"
        FAILED = "failed"
        DUPLICATE = "duplicate"

    name = models.CharField(
        max_length=80,
        validators=[RegexValidator(NAME_RE, "Lower-case letters, digits, '.', '_' and '-' (up to 80).")],
        help_text="The dataset's name; versions of one name are numbered 1, 2, …",
    )
    version = models.PositiveIntegerField()
    description = models.TextField(blank=True)
    projects = models.ManyToManyField("annotator.Project", related_name="dataset_versions")
    checklist_version = models.ForeignKey("annotator.ChecklistVersion", on_delete=models.PROTECT, related_name="+")
    export_settings = models.JSONField(
        default=dict, help_text="Which annotations, the combine and split rules, formats."
    )
    weight_set_id = models.BigIntegerField(null=True, blank=True, help_text="The weight set whose scores it holds.")
    weights = models.JSONField(default=dict, blank=True, help_text="That weight set, as it was.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    content_hash = models.CharField(max_length=64, blank=True, db_index=True)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    path = models.CharField(
        max_length=500,
        blank=True,
        help_text="The folder, a name in the datasets storage (VR_DATASETS_ROOT or the bucket).",
    )
    row_counts = models.JSONField(default=dict, blank=True, help_text="config → split → rows")
    stats = models.JSONField(default=dict, blank=True)
    files = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    pushes = models.JSONField(
        default=list, blank=True, help_text="Where it was pushed on the Hub: repo, commit, when, who."
    )
    job_id = models.BigIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="datasetversion_name_version"),
            models.CheckConstraint(condition=~Q(state="ready") | ~Q(path=""), name="datasetversion_ready_has_path"),
        ]

    def __str__(self):
        return f"{self.label} ({self.state})"

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def folder(self) -> Path | None:
        """The version's folder on this host when the datasets storage is a local folder, else
        None (on an object store: :meth:`local_folder`)."""
        return storage.local_path(storage.datasets_storage(), self.path) if self.path else None

    def stored_name(self, relative: str) -> str:
        """The storage name of one of its files (``relative`` as in ``files``)."""
        return storage.join(self.path, relative)

    def has_files(self) -> bool:
        """Its folder is stored: a local folder that exists, or its README.md on an object store."""
        if not self.path:
            return False
        folder = self.folder
        if folder is not None:
            return folder.is_dir()
        return storage.datasets_storage().exists(self.stored_name("README.md"))

    @contextmanager
    def local_folder(self, only: Callable[[str], bool] | None = None) -> Iterator[Path]:
        """Its folder on this host for the length of the ``with``: the folder itself on a
        filesystem storage (nothing copied), else a scratch copy of its files (those ``only``
        accepts, by relative name), removed afterwards."""
        folder = self.folder
        if folder is not None:
            yield folder
            return
        store = storage.datasets_storage()
        with storage.scratch("dataset") as scratch:
            for relative in self.files:
                if only is None or only(relative):
                    storage.download(store, self.stored_name(relative), scratch / relative)
            yield scratch


class DatasetArchive(models.Model):
    """One downloadable archive (zip, or tar.gz) of a ready version, built by an ``archive`` job
    (``worker.archives``) into the datasets storage and served as a finished file. One row per
    version and format: a request while it builds joins the running job; once ready, every
    download reuses the file."""

    class Format(models.TextChoices):
        ZIP = "zip"
        TAR = "tar"  # gzip-compressed: <name>-v<n>.tar.gz

    class State(models.TextChoices):
        BUILDING = "building"
        READY = "ready"
        FAILED = "failed"  # or cancelled: ``error`` says which; a new request builds it again

    version = models.ForeignKey(DatasetVersion, on_delete=models.CASCADE, related_name="archives")
    format = models.CharField(max_length=3, choices=Format.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.BUILDING)
    job_id = models.BigIntegerField(null=True, blank=True, help_text="The archive job building (or that built) it.")
    file = models.CharField(max_length=500, blank=True, help_text="Its name in the datasets storage, once ready.")
    size = models.BigIntegerField(null=True, blank=True, help_text="Bytes, once ready.")
    error = models.TextField(blank=True)
    built_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "format"], name="datasetarchive_version_format"),
            models.CheckConstraint(condition=~Q(state="ready") | ~Q(file=""), name="datasetarchive_ready_has_file"),
        ]

    def __str__(self):
        return f"{self.format} of {self.version.label} ({self.state})"
