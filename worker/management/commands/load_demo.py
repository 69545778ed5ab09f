"""``python manage.py load_demo``: the demo of ``make run``, showing the platform's headline
features with no set-up: an image and a video project whose assets have their real prompts,
pair tasks, an offline model registered and active with its predictions (a real pre-fill job),
simulated raters' answers and pair ratings, the published VisionReward weights active and a
refit candidate compared with them (a real refit job); in the image demo a pair gold check the
simulated raters answered and a dominance-pair dataset version (a real export job).

Every step goes through the platform's own code: the import job (media and a JSONL manifest
with prompts and metadata), the pre-fill, refit and export jobs, run in this process with
``worker.jobs.execute`` (no broker needed); answers through the claim slots and the submit
service. What the demo holds, and where it comes from, is ``worker/management/demo.py``.

Idempotent: a second run finds everything in place and changes nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from annotator.models import Annotation, Asset, Assignment, ChecklistVersion, Membership, Prediction, Project, Task
from annotator.services.answers import submit
from annotator.services.claims import lease_end
from annotator.services.pairs import auto_pairs, create_pairs
from annotator.services.payload import AnswerPayload
from worker import jobs
from worker.imports.job import start_import
from worker.management import demo as content
from worker.media.commands import FFMPEG
from worker.models import Job, ModelSpec, ProjectModel, WeightSet
from worker.prefill import tiny

SAMPLES = Path(settings.BASE_DIR) / "annotator" / "demo" / "samples"

INSTRUCTIONS = """Look at the {what} and answer the checklist: for every sub-dimension pick the option
that fits best (options go from best to worst; "not present" when the thing is absent).
Judge only what you see; the prompt is shown for the alignment questions. Take your time
on the first few {whats}, then keep a steady pace. Skip a task (with a reason) if the media
does not load or you cannot judge it.

The model's guesses are pre-filled: check each one, do not trust it (the demo's model has random
weights). Pair tasks show two {whats} of one prompt: say which is better, and by how much."""

USERS = [
    ("admin", "admin", True),
    ("annotator", "annotator", False),
]
OVERLAP = 2  # the simulated raters give one answer per task; the second is for people
OLDER_DESCRIPTIONS = {
    "Fine-grained checklist annotation of generated images (demo samples).",
    "Fine-grained checklist annotation of generated videos (demo samples).",
}


class Command(BaseCommand):
    help = "Create the demo users, projects, assets, model, predictions, ratings and refit (idempotent)."

    def handle(self, *args, **options):
        started = time.monotonic()
        users = self._users()
        admin = users["admin"]
        spec = None
        for demo in content.DEMOS:
            project = self._project(demo, admin)
            self._import_assets(project, demo, admin)
            spec = spec or self._model()
            self._activate_model(project, spec, admin)
            self._prefill(project, spec, admin)
            self._pairs(project, demo)
            self._simulated_raters(project, demo)
            self._published_weights(project, admin)
            self._refit(project, admin)
            if demo.media_type == "image":  # the image demo shows pair gold checks and dominance pairs
                self._pair_gold_check(project, demo, admin)
                self._dominance_version(project, admin)

        host = os.environ.get("HOST", "127.0.0.1")
        port = os.environ.get("PORT", "8000")
        self.stdout.write(f"demo ready in {time.monotonic() - started:.1f} s")
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"The platform: http://{host}:{port}/"))
        self.stdout.write("Logins: admin / admin (staff, manager of the demo projects)")
        self.stdout.write("        annotator / annotator (annotator in the demo projects)")
        self.stdout.write(
            "Look at: Start annotating (the model's guesses pre-filled, pair tasks), "
            "Weights (the published weights and a refit candidate compared with them)"
        )
        self.stdout.write(
            "         Manage of the image demo (a pair gold check), Datasets (its dominance-pair version), "
            "/metrics and /healthz/ready (docs/demo.md)"
        )

    # --- users and projects ----------------------------------------------------------------------

    def _users(self) -> dict:
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
        for rater in content.RATERS:
            if not User.objects.filter(username=rater.username).exists():
                # nobody signs in as a simulated rater: no usable password
                User.objects.create_user(
                    username=rater.username, password=None, first_name=rater.first_name, last_name=rater.last_name
                )
                self.stdout.write(f"created simulated rater {rater.username}")
        return users

    @staticmethod
    def _free_slug(slug: str | None) -> str | None:
        """The demo's handle, unless a project of someone else's already has it."""
        return slug if slug and not Project.objects.filter(slug=slug).exists() else None

    def _project(self, demo: content.Demo, admin) -> Project:
        project = Project.objects.filter(name=demo.name).order_by("id").first()
        if project is None:
            checklist = ChecklistVersion.objects.filter(key=demo.checklist).order_by("-version").first()
            if checklist is None:
                raise CommandError(
                    f"the built-in checklist {demo.checklist!r} is not loaded; run `python manage.py migrate` first"
                )
            what = demo.media_type
            project = Project.objects.create(
                name=demo.name,
                description=content.description(demo),
                instructions=INSTRUCTIONS.format(what=what, whats=f"{what}s"),
                media_type=what,
                checklist_version=checklist,
                overlap=OVERLAP,
                created_by=admin,
                slug=self._free_slug(demo.slug),
            )
            self.stdout.write(f"created project {project.name!r} (id {project.pk})")
        elif project.slug is None and self._free_slug(demo.slug):  # made by a load_demo before slugs
            project.slug = demo.slug
            project.save(update_fields=["slug"])
        if project.description in OLDER_DESCRIPTIONS:  # made by an older load_demo: say where to look
            project.description = content.description(demo)
            project.save(update_fields=["description", "updated_at"])
        User = get_user_model()
        members = [("admin", Membership.Role.MANAGER), ("annotator", Membership.Role.ANNOTATOR)]
        members += [(r.username, Membership.Role.ANNOTATOR) for r in content.RATERS]
        for username, role in members:
            Membership.objects.get_or_create(
                project=project, user=User.objects.get(username=username), defaults={"role": role}
            )
        return project

    # --- assets: the samples and the copies made from them, through the import job --------------

    def _import_assets(self, project: Project, demo: content.Demo, admin) -> None:
        names = [a.name for a in demo.assets]
        present = dict(
            Asset.objects.filter(project=project, original_name__in=names, status=Asset.Status.READY).values_list(
                "original_name", "prompt"
            )
        )
        # a demo made by an older load_demo: its samples had no prompts
        for asset in demo.assets:
            if asset.name in present and not present[asset.name]:
                Asset.objects.filter(project=project, original_name=asset.name, prompt="").update(
                    prompt=asset.prompt, metadata=asset.metadata
                )
        missing = [a for a in demo.assets if a.name not in present]
        if not missing:
            return
        with tempfile.TemporaryDirectory(prefix="vr-demo-") as tmp:
            folder = Path(tmp)
            paths = [_make_file(asset, folder) for asset in missing]
            manifest = folder / "manifest.jsonl"
            manifest.write_text(
                "".join(
                    json.dumps({"file": a.name, "prompt": a.prompt, "metadata": a.metadata}) + "\n" for a in missing
                )
            )
            handles = [open(path, "rb") for path in paths]  # noqa: SIM115  (closed below)
            try:
                with open(manifest, "rb") as mh, transaction.atomic():
                    job = start_import(
                        project,
                        admin,
                        files=[File(fh, name=a.name) for fh, a in zip(handles, missing, strict=True)],
                        manifests=[File(mh, name="manifest.jsonl")],
                        dispatch=False,
                    )
            finally:
                for fh in handles:
                    fh.close()
        state = self._run(job, f"import into {project.name!r}")
        result = job.result or {}
        self.stdout.write(f"  {result.get('imported', 0)} imported, {result.get('failed', 0)} failed")
        for failure in result.get("failures", []):
            self.stderr.write(f"  {failure['file']}: {failure['reason']}")
        if state != jobs.State.SUCCEEDED:
            raise CommandError(f"the demo import job {job.pk} ended {state}: {job.error or job.message}")

    # --- the model, its predictions -------------------------------------------------------------

    def _model(self) -> ModelSpec:
        path = Path(settings.VR_MODELS_ROOT) / content.MODEL_NAME
        spec = ModelSpec.objects.filter(name=content.MODEL_NAME).first()
        if spec is None or spec.source != str(path) or not tiny.is_built(path):
            tiny.ensure_tiny_llava(path)  # built in code, never downloaded
        if spec is None:
            spec = ModelSpec.objects.create(
                name=content.MODEL_NAME,
                title="Tiny random LLaVA (demo, offline)",
                source=str(path),
                dtype=ModelSpec.DType.FLOAT32,
                device=ModelSpec.Device.CPU,
                queue=ModelSpec.Queue.DEFAULT,
                batch_size=64,  # every question of an asset in one forward pass
                max_frames=4,
                notes=(
                    "Built in code by load_demo (worker/prefill/tiny.py): a LLaVA of a few hundred kilobytes with "
                    "random weights, so that pre-fill runs offline in seconds. Its guesses are random; register "
                    "a real model (e.g. a Qwen2-VL) for real ones."
                ),
            )
            self.stdout.write(f"registered the model {spec.name} ({path})")
        elif spec.source != str(path):
            spec.source = str(path)
            spec.save(update_fields=["source", "updated_at"])
        return spec

    def _activate_model(self, project: Project, spec: ModelSpec, admin) -> None:
        _, created = ProjectModel.objects.get_or_create(project=project, defaults={"model": spec, "updated_by": admin})
        if created:
            self.stdout.write(f"  {spec.name} is the active model of {project.name!r}")

    def _prefill(self, project: Project, spec: ModelSpec, admin) -> None:
        from worker.prefill.job import prefill_params

        ready = Asset.objects.filter(project=project, status=Asset.Status.READY)
        predicted = Prediction.objects.filter(asset__project=project, model_name=spec.name).values("asset_id")
        ids = list(ready.exclude(pk__in=predicted).order_by("id").values_list("id", flat=True))
        if not ids:
            return
        with transaction.atomic():
            job = jobs.create_job(
                Job.Kind.PREFILL,
                prefill_params(spec, ids, True, trigger="demo"),
                project=project,
                user=admin,
                queue=spec.queue,
                dispatch=False,
                message=f"queued: {len(ids)} asset(s) for model {spec.name}",
            )
        state = self._run(job, f"pre-fill of {len(ids)} assets")
        if state != jobs.State.SUCCEEDED or (job.result or {}).get("failed"):
            raise CommandError(f"the demo pre-fill job {job.pk} ended {state}: {job.error or job.result}")

    # --- pairs and the simulated raters ----------------------------------------------------------

    def _pairs(self, project: Project, demo: content.Demo) -> None:
        pairs = auto_pairs(project)
        if not pairs:
            return
        tasks = create_pairs(project, pairs)
        self.stdout.write(f"  {len(tasks)} pair tasks (two assets of one prompt each)")
        # the genuine pair, the project's two samples, is served first (nobody rated it yet)
        samples = {a.name for a in demo.assets if a.make == "sample"}
        names = dict(Asset.objects.filter(project=project).values_list("id", "original_name"))
        first = [t.pk for t in tasks if {names[t.asset_id], names[t.asset_b_id]} == samples]
        Task.objects.filter(pk__in=first).update(priority=1)

    def _simulated_raters(self, project: Project, demo: content.Demo) -> None:
        User = get_user_model()
        raters = list(User.objects.filter(username__in=[r.username for r in content.RATERS]).order_by("username"))
        by_name = {a.name: a for a in demo.assets}
        names = dict(Asset.objects.filter(project=project).values_list("id", "original_name"))
        checklist = project.checklist_version.checklist
        done = set(Annotation.objects.filter(project=project, user__in=raters).values_list("task_id", flat=True))
        answered = rated = 0
        # open tasks only: a slot of a full or finished task (an older demo's, k = 1) is nobody's to take
        tasks = Task.objects.filter(project=project, status=Task.Status.OPEN).exclude(pk__in=done).order_by("id")
        for n, task in enumerate(tasks):
            a = by_name.get(names.get(task.asset_id, ""))
            if a is None:
                continue
            if task.kind == Task.Kind.PAIR:
                b = by_name.get(names.get(task.asset_b_id, ""))
                preference = content.simulated_preference(a, b) if b is not None else None
                if preference is None:
                    continue  # not decided by a blur: left for people
                payload = AnswerPayload(options={}, preference=preference, time_spent_ms=9_000)
                rated += 1
            else:
                options = content.complete_options(checklist, content.sheet_of(a, demo.checklist))
                payload = AnswerPayload(options=options, time_spent_ms=60_000)
                answered += 1
            _answer_as(raters[n % len(raters)], task, payload)
        if answered or rated:
            self.stdout.write(f"  simulated raters: {answered} checklist answers, {rated} pair ratings")

    # --- weights ----------------------------------------------------------------------------------

    def _published_weights(self, project: Project, admin) -> None:
        """The published VisionReward weights as the demo's active weight set, assets scored."""
        from worker.weights.public import public_weight_vector
        from worker.weights.sets import create_weight_set, promote

        if WeightSet.objects.filter(project=project, source=WeightSet.Source.PUBLIC).exists():
            return
        vector = public_weight_vector(project.checklist_version.checklist)
        ws = create_weight_set(
            project, vector, source=WeightSet.Source.PUBLIC, user=admin, label="VisionReward published weights (full)"
        )
        ws, job = promote(ws, admin, reason="the demo starts with the published weights")
        self._run(job, "scoring with the published VisionReward weights")

    def _refit(self, project: Project, admin) -> None:
        from worker.weights.refit import refit_settings

        if WeightSet.objects.filter(project=project, source=WeightSet.Source.FITTED).exists():
            return
        with transaction.atomic():
            job = jobs.create_job(
                Job.Kind.REFIT,
                {"settings": refit_settings(content.REFIT_SETTINGS), "label": content.REFIT_LABEL, "trigger": "demo"},
                project=project,
                user=admin,
                dispatch=False,
            )
        state = self._run(job, "refit on the rated pairs")
        if state != jobs.State.SUCCEEDED:
            raise CommandError(f"the demo refit job {job.pk} ended {state}: {job.error or job.message}")

    # --- quality control and MPO training data (the image demo) ---------------------------------

    def _pair_gold_check(self, project: Project, demo: content.Demo, admin) -> None:
        """One rated pair made a gold check with the simulated raters' preference, answered by every
        simulated rater as a gold check is served (a slot of its own)."""
        from annotator.models import GoldCheck
        from annotator.services.quality import set_gold_check

        if GoldCheck.objects.filter(project=project, task__kind=Task.Kind.PAIR).exists():
            return
        ids = dict(Asset.objects.filter(project=project).values_list("original_name", "id"))
        a, b = (ids.get(name) for name in content.GOLD_PAIR)
        pairs = Task.objects.filter(project=project, kind=Task.Kind.PAIR, asset_id__in=(a, b), asset_b_id__in=(a, b))
        task = pairs.first()
        if task is None:
            return
        by_name = {x.name: x for x in demo.assets}
        names = {v: k for k, v in ids.items()}
        preference = content.simulated_preference(by_name[names[task.asset_id]], by_name[names[task.asset_b_id]])
        User = get_user_model()
        had = set(Assignment.objects.filter(task=task).values_list("user_id", flat=True))
        raters = User.objects.filter(username__in=[r.username for r in content.RATERS]).exclude(pk__in=had)
        with transaction.atomic():  # the check and its answers together: a rerun finds both or neither
            set_gold_check(task, admin, preference=preference, comment=content.GOLD_COMMENT)
            for rater in raters.order_by("username"):
                payload = AnswerPayload(options={}, preference=preference, time_spent_ms=9_000)
                _answer_as(rater, task, payload, gold=True)
        self.stdout.write(f"  pair gold check: task {task.pk} (preference {preference}), answered by the raters")

    def _dominance_version(self, project: Project, admin) -> None:
        """A dominance-pairs dataset version, through the export API's own path and a real export job."""
        from datasets_app.models import DatasetVersion
        from worker.exports.job import ExportRequestError, start_export

        made = DatasetVersion.objects.filter(name=content.DOMINANCE_NAME).exclude(state=DatasetVersion.State.FAILED)
        if made.exists():
            return
        request = {
            "name": content.DOMINANCE_NAME,
            "description": content.DOMINANCE_DESCRIPTION,
            "projects": [project.pk],
            "settings": content.DOMINANCE_SETTINGS,
        }
        try:
            _, job = start_export(admin, request, dispatch=False)
        except ExportRequestError as exc:
            raise CommandError(f"the demo's dominance-pair export was refused: {exc.errors}") from exc
        state = self._run(job, "export of the dominance pairs")
        if state != jobs.State.SUCCEEDED:
            raise CommandError(f"the demo export job {job.pk} ended {state}: {job.error or job.message}")

    def _run(self, job: Job, what: str) -> str:
        state = jobs.execute(job.pk)
        job.refresh_from_db()
        self.stdout.write(f"  {what}: job {job.pk} {state} ({job.message})")
        return state


def _answer_as(user, task: Task, payload: AnswerPayload, gold: bool = False) -> Annotation:
    """``user`` takes one slot of ``task`` (as a claim does; a gold check's serve adds its own)
    and submits ``payload``."""
    now = timezone.now()
    with transaction.atomic():
        task = Task.objects.select_for_update().select_related("project").get(pk=task.pk)
        task.assigned_count += 1
        if gold:
            task.required = max(task.required, task.assigned_count)
        task.refresh_status()
        task.save(update_fields=["assigned_count", "required", "status"])
        assignment = Assignment.objects.create(
            task=task, user=user, project=task.project, leased_at=now, expires_at=lease_end(task.project, now)
        )
    annotation, _ = submit(assignment, payload, uuid.uuid5(uuid.NAMESPACE_URL, f"vr-demo:{task.pk}:{user.pk}"))
    return annotation


def _make_file(asset: content.DemoAsset, folder: Path) -> Path:
    """The file of a demo asset: a sample as it is, or made from one (see ``demo.TRANSFORMATIONS``)."""
    source = SAMPLES / asset.source
    out = folder / asset.name
    if asset.make == "sample":
        shutil.copyfile(source, out)
    elif asset.make == "blur" and source.suffix == ".jpg":
        from PIL import Image, ImageFilter

        with Image.open(source) as image:
            image.convert("RGB").filter(ImageFilter.GaussianBlur(content.BLUR_RADIUS)).save(out, quality=90)
    elif asset.make in ("still", "still_blur"):
        blur = ["-vf", f"gblur=sigma={content.BLUR_RADIUS}"] if asset.make == "still_blur" else []
        _ffmpeg("-ss", f"{content.STILL_AT:g}", "-i", source, "-frames:v", "1", *blur, "-q:v", "2", out)
    elif asset.make == "blur":
        _ffmpeg("-i", source, "-vf", f"gblur=sigma={content.BLUR_RADIUS}", *_H264, out)
    else:  # zoom, zoom_blur
        z = content.ZOOM
        chain = (
            f"scale={z['size']}:{z['size']},zoompan=z='1+{z['step']}*on':d=1:x='iw/2-(iw/zoom/2)':"
            f"y='ih/2-(ih/zoom/2)':s={z['size']}x{z['size']}:fps={z['fps']}"
        )
        if asset.make == "zoom_blur":
            chain += f",gblur=sigma={content.BLUR_RADIUS}"
        _ffmpeg(
            "-framerate", str(z["fps"]), "-loop", "1", "-i", source, "-vf", chain,
            "-frames:v", str(z["frames"]), *_H264, out,
        )  # fmt: skip
    return out


_H264 = ("-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p")


def _ffmpeg(*args) -> None:
    command = [FFMPEG, "-nostdin", "-loglevel", "error", "-y", *map(str, args)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise CommandError(f"ffmpeg could not make a demo asset ({' '.join(command)}): {done.stderr.strip()[-500:]}")
