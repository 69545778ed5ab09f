"""`python manage.py load_demo` creates a demo that shows the headline features, and is idempotent."""

from __future__ import annotations

import io
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from annotator.models import Annotation, Asset, GoldCheck, Membership, Prediction, Project, Task
from annotator.services.stats import project_stats
from datasets_app.models import DatasetVersion
from worker.management import demo as content
from worker.models import Job, ModelSpec, ProjectModel, WeightSet
from worker.weights.refit import refit_settings

from .conftest import assert_disk_matches_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def _demo_models(settings, demo_models_root):
    settings.VR_MODELS_ROOT = demo_models_root


def snapshot():
    return {
        "users": sorted(get_user_model().objects.values_list("username", "is_staff", "is_superuser", "password")),
        "projects": sorted(
            Project.objects.values_list("id", "name", "media_type", "checklist_version__key", "overlap", "description")
        ),
        "members": sorted(Membership.objects.values_list("project_id", "user__username", "role")),
        "assets": sorted(Asset.objects.values_list("id", "project_id", "original_name", "status", "sha256", "prompt")),
        "tasks": sorted(Task.objects.values_list("id", "kind", "status", "assigned_count", "submitted_count")),
        "annotations": sorted(Annotation.objects.values_list("id", "task_id", "user__username", "preference")),
        "predictions": sorted(Prediction.objects.values_list("id", "asset_id", "job_id")),
        "models": sorted(ModelSpec.objects.values_list("id", "name", "source", "updated_at")),
        "active_models": sorted(ProjectModel.objects.values_list("project_id", "model__name")),
        "jobs": sorted(Job.objects.values_list("id", "kind", "state")),
        "weight_sets": sorted(WeightSet.objects.values_list("id", "project_id", "version", "status", "source")),
        "gold_checks": sorted(GoldCheck.objects.values_list("id", "task_id", "preference", "updated_at")),
        "dataset_versions": sorted(
            DatasetVersion.objects.values_list("id", "name", "version", "state", "content_hash", "job_id")
        ),
    }


def test_load_demo_shows_prefill_pairs_and_a_refit_and_runs_twice_unchanged(
    monkeypatch, _media_root, _demo_models, demo_models_root
):
    monkeypatch.setenv("HOST", "0.0.0.0")
    monkeypatch.setenv("PORT", "9123")
    out = io.StringIO()
    started = time.monotonic()
    call_command("load_demo", stdout=out)
    first_run = time.monotonic() - started
    text = out.getvalue()
    assert "http://0.0.0.0:9123/" in text and "admin / admin" in text and "annotator / annotator" in text

    User = get_user_model()
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser and admin.check_password("admin")
    assert User.objects.get(username="annotator").check_password("annotator")
    for rater in content.RATERS:  # clearly simulated, and nobody can sign in as one
        account = User.objects.get(username=rater.username)
        assert account.get_full_name().startswith("Simulated demo rater") and not account.has_usable_password()

    image = Project.objects.get(name="VisionReward image demo")
    video = Project.objects.get(name="VisionReward video demo")
    assert image.media_type == "image" and image.checklist_version.key == "visionreward-image"
    assert video.media_type == "video" and video.checklist_version.key == "visionreward-video"
    assert (image.slug, video.slug) == ("demo", "video-demo")  # `vr export --project demo` (docs/client.md)
    spec = ModelSpec.objects.get(name=content.MODEL_NAME)
    assert spec.source == str(demo_models_root / content.MODEL_NAME) and (demo_models_root / spec.name).is_dir()
    for project, demo in ((image, content.DEMOS[0]), (video, content.DEMOS[1])):
        assert project.instructions and "Weights" in project.description and "pre-filled" in project.description.lower()
        roles = dict(Membership.objects.filter(project=project).values_list("user__username", "role"))
        assert roles == {
            "admin": "manager",
            "annotator": "annotator",
            **{r.username: "annotator" for r in content.RATERS},
        }

        # every asset ready, with its prompt; the copies say in their metadata what they are
        assets = Asset.objects.filter(project=project)
        assert sorted(assets.values_list("original_name", flat=True)) == sorted(a.name for a in demo.assets)
        assert all(a.status == Asset.Status.READY and a.prompt in (content.PORTRAIT, content.ELEPHANTS) for a in assets)
        assert len({a.prompt for a in assets}) == 2
        for asset in assets:
            made = asset.metadata["demo_origin"] != "sample"
            assert (
                made == ("demo_transformation" in asset.metadata)
                and "THUDM/VisionReward" in asset.metadata["demo_sample"]
            )
        assert_disk_matches_rows(_media_root, project)

        # the tiny offline model is active and a succeeded pre-fill job predicted every asset
        assert ProjectModel.objects.get(project=project).model == spec
        prefill = Job.objects.get(project=project, kind=Job.Kind.PREFILL)
        assert prefill.state == Job.State.SUCCEEDED and prefill.result["predicted"] == len(demo.assets)
        predictions = Prediction.objects.filter(asset__project=project)
        assert set(predictions.values_list("asset_id", flat=True)) == set(assets.values_list("id", flat=True))
        assert set(predictions.values_list("job_id", flat=True)) == {prefill.pk}
        assert set(predictions.values_list("model_name", flat=True)) == {spec.name}

        # pair tasks of two assets of one prompt; the simulated raters rated those a blur decides
        pairs = Task.objects.filter(project=project, kind=Task.Kind.PAIR)
        assert pairs.count() == 12 and all(p.asset.prompt == p.asset_b.prompt for p in pairs)
        ratings = Annotation.objects.filter(task__in=pairs, state="submitted", user__username__startswith="demo-rater-")
        settings = refit_settings(content.REFIT_SETTINGS)
        assert ratings.values("task_id").distinct().count() == 8 >= settings["min_pairs"]
        assert Task.objects.filter(project=project, kind=Task.Kind.SINGLE, submitted_count=1).count() == len(
            demo.assets
        )
        # every task still has a slot for a person (the demo's k is 2; a gold check is served in a slot
        # of its own), and 4 pairs are nobody's yet
        normal = Task.objects.filter(project=project, gold_check__isnull=True)
        assert not normal.exclude(status=Task.Status.OPEN).exists()
        assert pairs.filter(submitted_count=0).count() == 4

        # the published weights stay active; a real refit measured a candidate on a held-out prompt
        active = WeightSet.objects.get(project=project, status="active")
        assert active.source == "public"
        refit = Job.objects.get(project=project, kind=Job.Kind.REFIT)
        assert refit.state == Job.State.SUCCEEDED
        fitted = WeightSet.objects.get(pk=refit.result["weight_set"])
        assert (fitted.status, fitted.source, fitted.label) == ("candidate", "fitted", content.REFIT_LABEL)
        assert fitted.data_counts["test_pairs"] == 4 and fitted.data_counts["train_pairs"] == 4
        assert fitted.metrics["test"]["accuracy_diff"] is not None
        assert fitted.metrics["compared_with"]["version"] == active.version
        assert fitted.metrics["compared_with"]["accuracy_diff"] is not None
    assert_image_demo_has_pair_gold_and_dominance_pairs(image)
    assert not GoldCheck.objects.filter(project=video).exists()
    assert set(Job.objects.values_list("state", flat=True)) == {Job.State.SUCCEEDED}
    assert first_run < 180  # seconds, with the model built; `make run` prints its own time

    before = snapshot()
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert snapshot() == before
    assert "created" not in out.getvalue() and "job" not in out.getvalue() and "pair gold check:" not in out.getvalue()

    # a demo loaded by an older load_demo (its samples had no prompts) gets them on the next run
    Asset.objects.filter(original_name="test1.jpg").update(prompt="", metadata={})
    old = "Fine-grained checklist annotation of generated images (demo samples)."
    Project.objects.filter(pk=image.pk).update(description=old)
    call_command("load_demo", stdout=io.StringIO())
    asset = Asset.objects.get(project=image, original_name="test1.jpg")
    assert asset.prompt == content.PORTRAIT and asset.metadata["demo_origin"] == "sample"
    assert Project.objects.get(pk=image.pk).description == content.description(content.DEMOS[0])


def assert_image_demo_has_pair_gold_and_dominance_pairs(image: Project) -> None:
    """The image demo's pair gold check (a rated pair, every simulated rater agreeing with its
    gold preference in the statistics) and its dominance-pair version, exported by a real job
    from the simulated raters' answers."""
    import datasets

    gold = GoldCheck.objects.get(project=image)
    pair = gold.task
    names = {pair.asset.original_name, pair.asset_b.original_name}
    assert pair.kind == Task.Kind.PAIR and names == set(content.GOLD_PAIR)
    assert gold.preference == (1 if pair.asset.original_name == "test1.jpg" else 5)  # the sharp one much better
    raters = {r.username for r in content.RATERS}
    answers = Annotation.objects.filter(task=pair, state="submitted")
    assert set(answers.values_list("user__username", flat=True)) == raters
    assert set(answers.values_list("preference", flat=True)) == {gold.preference}
    # served as a gold check is: a slot of its own per rater, none of the k normal ones left open
    assert (pair.required, pair.assigned_count, pair.submitted_count) == (3, 3, 3)
    quality = project_stats(image)["quality"]
    assert quality["pair_gold_checks"] == 1
    figures = {a["username"]: a for a in quality["annotators"] if a["username"] in raters}
    assert set(figures) == raters
    assert all(a["pair_gold_preferences"] == 1 and a["pair_gold_agreement"] == 1.0 for a in figures.values())

    version = DatasetVersion.objects.get(name=content.DOMINANCE_NAME)
    assert version.state == "ready" and list(version.projects.all()) == [image]
    assert version.export_settings["kind"] == "dominance_pairs"
    assert version.export_settings["dominance"]["margins"] == content.DOMINANCE_SETTINGS["dominance"]["margins"]
    published = WeightSet.objects.get(project=image, source="public")
    assert version.weight_set_id == published.pk == version.weights["id"] and published.status == "active"
    job = Job.objects.get(pk=version.job_id)
    assert job.kind == Job.Kind.EXPORT and job.state == Job.State.SUCCEEDED
    # non-trivial on the demo's answers: pairs on both prompts, the per-prompt cap at work
    assert version.stats["candidates"] == 9 and version.stats["selected"] == 8
    assert version.stats["prompts_with_pairs"] == 2 and version.stats["unscored"] == 0
    rows = [row for split in datasets.load_dataset(str(version.folder)).values() for row in split]
    assert len(rows) == 8
    for row in rows:  # the rule: at least as good in both, better by the margin in one
        margins = row["margins"]
        assert margins["quality"] >= 0 and margins["fidelity"] >= 0
        assert margins["quality"] >= 0.1 or margins["fidelity"] >= 0.1
        assert row["source"] == "human" and row["chosen_asset_id"] != row["rejected_asset_id"]
    # a blur costs a sample its quality: each portrait is chosen over its own blurred copy
    names = dict(Asset.objects.filter(project=image).values_list("id", "original_name"))
    chosen = {(names[row["chosen_asset_id"]], names[row["rejected_asset_id"]]) for row in rows}
    assert {("test1.jpg", "test1-blurred.jpg"), ("test2.jpg", "test2-blurred.jpg")} <= chosen
