"""``python manage.py load_demo``: demo users, an image and a video project, the sample media.

Idempotent: a second run finds everything in place and changes nothing. The samples are
imported by running the import job in this process (no broker needed).
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from annotator.models import Asset, ChecklistVersion, Membership, Project
from worker import jobs
from worker.imports.job import start_import

SAMPLES = Path(settings.BASE_DIR) / "annotator" / "demo" / "samples"

INSTRUCTIONS = """Look at the {what} and answer the checklist: for every sub-dimension pick the option
that fits best (options go from best to worst; "not present" when the thing is absent).
Judge only what you see; the prompt is shown for the alignment questions. Take your time
on the first few {whats}, then keep a steady pace. Skip a task (with a reason) if the media
does not load or you cannot judge it."""

DEMOS = [
    {
        "name": "VisionReward image demo",
        "media_type": "image",
        "checklist": "visionreward-image",
        "description": "Fine-grained checklist annotation of generated images (demo samples).",
        "samples": ["test1.jpg", "test2.jpg"],
    },
    {
        "name": "VisionReward video demo",
        "media_type": "video",
        "checklist": "visionreward-video",
        "description": "Fine-grained checklist annotation of generated videos (demo samples).",
        "samples": ["test1.mp4", "test2.mp4"],
    },
]

USERS = [
    ("admin", "admin", True),
    ("annotator", "annotator", False),
]


class Command(BaseCommand):
    help = "Create the demo users and projects and import the sample media (idempotent)."

    def handle(self, *args, **options):
        User = get_user_model()
        users = {}
        for username, password, staff in USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User.objects.create_user(
                    username=username, password=password, is_staff=staff, is_superuser=staff
                )
                self.stdout.write(f"created user {username}")
            users[username] = user

        for demo in DEMOS:
            project = self._project(demo, users["admin"])
            self._import_samples(project, demo["samples"], users["admin"])
            self._published_weights(project, users["admin"])

        host = os.environ.get("HOST", "127.0.0.1")
        port = os.environ.get("PORT", "8000")
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"The platform: http://{host}:{port}/"))
        self.stdout.write("Logins: admin / admin (staff, manager of the demo projects)")
        self.stdout.write("        annotator / annotator (annotator in the demo projects)")

    def _project(self, demo: dict, admin) -> Project:
        project = Project.objects.filter(name=demo["name"]).order_by("id").first()
        if project is None:
            checklist = ChecklistVersion.objects.filter(key=demo["checklist"]).order_by("-version").first()
            if checklist is None:
                raise CommandError(
                    f"the built-in checklist {demo['checklist']!r} is not loaded; run `python manage.py migrate` first"
                )
            what = demo["media_type"]
            project = Project.objects.create(
                name=demo["name"],
                description=demo["description"],
                instructions=INSTRUCTIONS.format(what=what, whats=f"{what}s"),
                media_type=what,
                checklist_version=checklist,
                overlap=1,
                created_by=admin,
            )
            self.stdout.write(f"created project {project.name!r} (id {project.pk})")
        for username, role in (("admin", Membership.Role.MANAGER), ("annotator", Membership.Role.ANNOTATOR)):
            Membership.objects.get_or_create(
                project=project, user=get_user_model().objects.get(username=username), defaults={"role": role}
            )
        return project

    def _published_weights(self, project: Project, admin) -> None:
        """The published VisionReward weights as the demo's active weight set, assets scored."""
        from worker.models import WeightSet
        from worker.weights.public import public_weight_vector
        from worker.weights.sets import create_weight_set, promote

        if WeightSet.objects.filter(project=project).exists():
            return
        vector = public_weight_vector(project.checklist_version.checklist)
        ws = create_weight_set(
            project, vector, source=WeightSet.Source.PUBLIC, user=admin, label="VisionReward published weights (full)"
        )
        ws, job = promote(ws, admin, reason="the demo starts with the published weights")
        state = jobs.execute(job.pk)
        self.stdout.write(f"published VisionReward weights active in {project.name!r} (scoring job {job.pk} {state})")

    def _import_samples(self, project: Project, names: list[str], admin) -> None:
        present = set(
            Asset.objects.filter(project=project, original_name__in=names, status=Asset.Status.READY).values_list(
                "original_name", flat=True
            )
        )
        missing = [n for n in names if n not in present]
        if not missing:
            return
        handles = [open(SAMPLES / name, "rb") for name in missing]  # noqa: SIM115  (closed below)
        try:
            with transaction.atomic():
                job = start_import(
                    project,
                    admin,
                    files=[File(fh, name=name) for fh, name in zip(handles, missing, strict=True)],
                    dispatch=False,
                )
        finally:
            for fh in handles:
                fh.close()
        state = jobs.execute(job.pk)
        job.refresh_from_db()
        result = job.result or {}
        self.stdout.write(
            f"imported into {project.name!r}: job {job.pk} {state}, {result.get('imported', 0)} imported, "
            f"{result.get('failed', 0)} failed"
        )
        for failure in result.get("failures", []):
            self.stderr.write(f"  {failure['file']}: {failure['reason']}")
        if state != jobs.State.SUCCEEDED:
            raise CommandError(f"the demo import job {job.pk} ended {state}: {job.error or job.message}")
