"""Research jobs end to end on a tiny random LLaVA (CPU, offline): a dataset version exported by
the real export job, a LoRA fine-tune into a new registered model (loaded by the guesser, used by
pre-fill), evaluations of a model and a weight set, request validation, cancel between steps,
and the job detail's links."""

from __future__ import annotations

import math
import random

import pytest

from annotator.models import Task
from datasets_app.models import DatasetVersion
from tests import factories as f
from tests.worker.conftest import jpeg_bytes
from tests.worker.preference_data import PLANTED, answer, random_options, rate
from worker import jobs
from worker.models import Job, ModelSpec, WeightSet
from worker.prefill import loading
from worker.prefill.guessers.base import GuessRequest, MediaInput
from worker.research import finetune

pytestmark = pytest.mark.django_db

# a moderate rate: the balanced subset (and so the data) depends on database ids, which differ
# between a lone run and the full suite; 0.02 sometimes overshot within 12 steps
SETTINGS = {"max_steps": 12, "batch_size": 8, "learning_rate": 0.005, "lora_r": 4, "lora_alpha": 8, "seed": 3}


@pytest.fixture(scope="module")
def tiny_llava(tmp_path_factory):
    from worker.prefill.tiny import build_tiny_llava

    return build_tiny_llava(tmp_path_factory.mktemp("models") / "tiny-llava")


@pytest.fixture(autouse=True)
def _models_root(tmp_path, settings):
    settings.VR_MODELS_ROOT = tmp_path / "models"
    loading.clear_guessers()
    yield settings.VR_MODELS_ROOT
    loading.clear_guessers()


@pytest.fixture
def base_spec(tiny_llava):
    return ModelSpec.objects.create(
        name="tiny-llava", source=str(tiny_llava), device="cpu", dtype="float32", batch_size=16, queue="default"
    )


@pytest.fixture
def version(eager, image_project, people, django_capture_on_commit_callbacks):
    """8 prompts × 2 real JPEGs (distinct colours), answered once each, every within-prompt pair
    rated; exported with train / validation / test splits and a small balanced_qa subset."""
    rng = random.Random(5)
    checklist = image_project.checklist_version.checklist
    for p in range(8):
        group = []
        for n in range(2):
            colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
            asset = f.ready_asset(
                image_project, prompt=f"a cat {p}", name=f"{p}-{n}.jpg", content=jpeg_bytes(40, 32, colour)
            )
            answer(asset, people["annotator"], random_options(checklist, rng))
            group.append(asset)
        task = Task.objects.create(project=image_project, kind=Task.Kind.PAIR, asset=group[0], asset_b=group[1])
        rate(task, people["annotator"], rng.choice([1, 2, 4, 5]))
    client = f.api(people["researcher"])
    body = {
        "name": "tiny-set",
        "projects": [image_project.pk],
        "settings": {"split_ratios": {"train": 0.5, "validation": 0.25, "test": 0.25}, "seed": 2, "balanced_cap": 2},
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/exports/", body, format="json")
    assert response.status_code == 202, response.content
    dv = DatasetVersion.objects.get(pk=response.json()["dataset_version"]["id"])
    assert dv.state == "ready", dv.error
    assert dv.row_counts["balanced_qa"].get("train") and dv.row_counts["default"].get("test")
    return dv


def post(client, url, body, capture, execute=True):
    with capture(execute=execute):
        return client.post(url, body, format="json")


def mean_log_loss(guesser, version, checklist) -> float:
    """The guesser's own P(yes) (its cached path) on the train split's balanced_qa rows."""
    rows = finetune.read_config(version, "balanced_qa", splits={"train"}, media=True)
    by_asset: dict = {}
    for row in rows:
        by_asset.setdefault(row["asset_id"], []).append(row)
    total = 0.0
    for asset_rows in by_asset.values():
        image = finetune.open_image(version, asset_rows[0]["image"])
        request = GuessRequest(MediaInput("image", [image]), asset_rows[0]["prompt"], checklist)
        p_yes = guesser.guess(request).p_yes
        for row in asset_rows:
            p = min(max(p_yes[row["question_key"]], 1e-7), 1 - 1e-7)
            total -= math.log(p if row["answer"] == "yes" else 1 - p)
    return total / len(rows)


def test_finetune_then_prefill_and_evaluate(
    version, base_spec, image_project, people, django_capture_on_commit_callbacks, _models_root
):
    client = f.api(people["researcher"])
    capture = django_capture_on_commit_callbacks
    response = post(
        client,
        "/api/finetune/",
        {"dataset_version": version.pk, "model": "tiny-llava", "name": "tiny-ft", "settings": SETTINGS},
        capture,
    )
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert (job.kind, job.queue, job.state) == ("finetune", "default", "succeeded"), (job.error, job.log)
    result = job.result
    assert result["model"] == "tiny-ft" and result["steps"] == 12
    assert result["source"] == str(_models_root / "tiny-ft") and (_models_root / "tiny-ft" / "config.json").is_file()
    assert not any((_models_root / ".staging").iterdir())
    metrics = result["metrics"]
    assert metrics["before"]["validation"]["examples"] > 0 and 0 <= metrics["after"]["validation"]["accuracy"] <= 1
    assert metrics["after"]["train"]["log_loss"] < metrics["before"]["train"]["log_loss"], metrics

    spec = ModelSpec.objects.get(name="tiny-ft")
    assert (spec.dtype, spec.device, spec.queue, spec.batch_size) == ("float32", "cpu", "default", 16)
    assert '"tiny-llava"' in spec.notes and f'"id": {version.pk}' in spec.notes

    # the saved folder loads with the guesser; its P(yes) on training examples moved toward the targets
    checklist = version.checklist_version.checklist
    tuned = loading.load_guesser(spec)
    base = loading.load_guesser(base_spec)
    assert mean_log_loss(tuned, version, checklist) < mean_log_loss(base, version, checklist)

    # the job detail links to what it is about
    detail = client.get(f"/api/jobs/{job.pk}/").json()
    assert detail["links"] == {
        "project": f"/api/projects/{image_project.pk}/",
        "dataset_version": f"/api/dataset-versions/{version.pk}/",
        "model": "/api/models/tiny-llava/",
        "result_model": "/api/models/tiny-ft/",
    }

    # a pre-fill job with the new model succeeds
    manager = f.api(people["manager"])
    asset_ids = list(image_project.assets.values_list("pk", flat=True)[:2])
    response = post(
        manager, f"/api/projects/{image_project.pk}/prefill/", {"model": "tiny-ft", "assets": asset_ids}, capture
    )
    assert response.status_code == 202, response.content
    pf = Job.objects.get(pk=response.json()["id"])
    assert pf.state == "succeeded" and pf.result["predicted"] == 2, pf.log

    # evaluate the new model and a weight set on the test split
    ws = WeightSet.objects.create(
        project=image_project,
        version=1,
        checklist_version=image_project.checklist_version,
        source="uploaded",
        coefficients=PLANTED,
    )
    response = post(
        client, "/api/evaluate/", {"dataset_version": version.pk, "model": "tiny-ft", "weight_set": ws.pk}, capture
    )
    assert response.status_code == 202, response.content
    ev = Job.objects.get(pk=response.json()["id"])
    assert ev.state == "succeeded", (ev.error, ev.log)
    out = ev.result
    assert out["split"] == "test" and out["dataset_version"] == version.pk
    model = out["model"]
    assert set(model["per_question"]) == set(checklist.question_keys)
    assert model["answers"] > 0 and 0 <= model["accuracy"] <= 1 and 0 <= model["brier"] <= 1
    for part in ("human", "model"):
        assert {"accuracy_tau", "accuracy_diff"} <= set(out["weight_set"][part])
        assert out["weight_set"][part]["pairs"] >= 1
    assert client.get(f"/api/jobs/{ev.pk}/").json()["links"]["weight_set"] == (
        f"/api/projects/{image_project.pk}/weight-sets/{ws.pk}/"
    )
    # a weight set alone; then the list of evaluations
    response = post(client, "/api/evaluate/", {"dataset_version": version.pk, "weight_set": ws.pk}, capture)
    only_ws = Job.objects.get(pk=response.json()["id"])
    assert only_ws.state == "succeeded" and "model" not in only_ws.result and only_ws.queue == "default"
    listed = client.get(f"/api/evaluations/?dataset_version={version.pk}").json()
    assert [row["job"] for row in listed] == [only_ws.pk, ev.pk]
    assert f.api(people["outsider"]).get(f"/api/evaluations/?dataset_version={version.pk}").status_code == 404


def test_finetune_and_evaluate_read_a_version_stored_in_a_bucket(
    s3_storage, version, base_spec, image_project, people, django_capture_on_commit_callbacks
):
    """On VR_STORAGE=s3 the jobs read the version (parquet shards, embedded images) from a
    scratch copy of its objects; nothing is read from or written to VR_DATASETS_ROOT."""
    assert any(key.startswith(f"datasets/{version.path}/") for key in s3_storage.keys())
    client = f.api(people["researcher"])
    capture = django_capture_on_commit_callbacks
    body = {"dataset_version": version.pk, "model": "tiny-llava", "name": "tiny-ft-s3", "settings": SETTINGS}
    response = post(client, "/api/finetune/", body, capture)
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == "succeeded" and job.result["steps"] == 12, (job.error, job.log)
    response = post(client, "/api/evaluate/", {"dataset_version": version.pk, "model": "tiny-ft-s3"}, capture)
    assert response.status_code == 202, response.content
    ev = Job.objects.get(pk=response.json()["id"])
    assert ev.state == "succeeded" and ev.result["split"] == "test", (ev.error, ev.log)
    assert ev.result["model"]["answers"] > 0


def test_bad_requests_answer_400_naming_the_field_and_write_nothing(
    version, base_spec, image_project, people, django_capture_on_commit_callbacks, video_project
):
    client = f.api(people["researcher"])
    capture = django_capture_on_commit_callbacks
    ok = {"dataset_version": version.pk, "model": "tiny-llava"}
    ModelSpec.objects.create(name="off", source="/m", enabled=False)
    other_ws = WeightSet.objects.create(
        project=video_project,
        version=1,
        checklist_version=video_project.checklist_version,
        source="uploaded",
        coefficients={},
    )
    jobs_before, specs_before = Job.objects.count(), ModelSpec.objects.count()
    cases = [
        ("/api/finetune/", {**ok, "dataset_version": 999}, "dataset_version"),
        ("/api/finetune/", {**ok, "dataset_version": "x"}, "dataset_version"),
        ("/api/finetune/", {**ok, "model": "nope"}, "model"),
        ("/api/finetune/", {**ok, "model": "off"}, "model"),
        ("/api/finetune/", {**ok, "name": "bad name!"}, "name"),
        ("/api/finetune/", {**ok, "name": "tiny-llava"}, "name"),
        ("/api/finetune/", {**ok, "settings": {"learning_rate": 0}}, "settings.learning_rate"),
        ("/api/finetune/", {**ok, "settings": {"epochs": 1.5}}, "settings.epochs"),
        ("/api/finetune/", {**ok, "settings": {"lora_r": 0}}, "settings.lora_r"),
        ("/api/finetune/", {**ok, "settings": {"target_modules": []}}, "settings.target_modules"),
        ("/api/finetune/", {**ok, "settings": {"wat": 1}}, "settings.wat"),
        ("/api/finetune/", {**ok, "extra": 1}, "extra"),
        ("/api/evaluate/", {"dataset_version": version.pk}, "model"),
        ("/api/evaluate/", {"dataset_version": version.pk, "weight_set": 999}, "weight_set"),
        ("/api/evaluate/", {"dataset_version": version.pk, "weight_set": other_ws.pk}, "weight_set"),
        ("/api/evaluate/", {"dataset_version": version.pk, "model": "nope"}, "model"),
    ]
    for url, body, field in cases:
        response = post(client, url, body, capture)
        assert response.status_code == 400, (body, response.content)
        assert field in response.json()["errors"], (body, response.json())
    # a version the user cannot see (an outsider), and one that is not ready
    outsider = f.api(people["outsider"])
    response = post(outsider, "/api/finetune/", ok, capture)
    assert response.status_code == 400 and "dataset_version" in response.json()["errors"]
    DatasetVersion.objects.filter(pk=version.pk).update(state="building")
    response = post(client, "/api/evaluate/", {**ok}, capture)
    assert response.status_code == 400 and "not ready" in str(response.json()["errors"]["dataset_version"])
    assert (Job.objects.count(), ModelSpec.objects.count()) == (jobs_before, specs_before)


def test_cancel_between_steps_leaves_no_model(
    version, base_spec, people, django_capture_on_commit_callbacks, _models_root
):
    client = f.api(people["manager"])
    body = {"dataset_version": version.pk, "model": "tiny-llava", "name": "never", "settings": SETTINGS}
    response = post(client, "/api/finetune/", body, django_capture_on_commit_callbacks, execute=False)
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    steps = []

    def runner(job, ctx):
        report = ctx.report

        def spy(*args, **kwargs):
            message = kwargs.get("message") or ""
            if message.startswith("step "):
                steps.append(message)
                if len(steps) == 2:
                    client.post(f"/api/jobs/{job_id}/cancel/")
            return report(*args, **kwargs)

        ctx.report = spy
        return finetune.run_finetune(job, ctx)

    assert jobs.execute(job_id, runner=runner) == Job.State.CANCELLED
    assert len(steps) == 2
    assert not ModelSpec.objects.filter(name="never").exists() and not (_models_root / "never").exists()


def test_the_evaluated_split_is_test_else_the_last_one(monkeypatch):
    from worker.research import evaluate as evaluating

    splits = [("train", "a"), ("train", "b"), ("validation", "c")]
    monkeypatch.setattr(evaluating, "config_splits", lambda version, config, folder=None: splits)
    split, note = evaluating.choose_split(object())
    assert split == "validation" and "no test split" in note
    splits.append(("test", "d"))
    assert evaluating.choose_split(object()) == ("test", "the test split")


def test_an_evaluation_reads_a_version_from_the_bucket(
    request, version, base_spec, image_project, people, django_capture_on_commit_callbacks
):
    """VR_STORAGE=s3: the version's files only in the bucket (as an export publishes them there);
    the evaluate job works on a scratch copy, and neither VR_DATASETS_ROOT nor MEDIA_ROOT is
    touched (the s3_storage fixture checks the folders never appear)."""
    from annotator.storage import datasets_storage, put_tree

    published = version.folder
    bucket = request.getfixturevalue("s3_storage")
    assert put_tree(datasets_storage(), version.path, published, keep=True)
    assert f"datasets/{version.path}/README.md" in bucket.keys("datasets/")
    ws = WeightSet.objects.create(
        project=image_project,
        version=1,
        checklist_version=image_project.checklist_version,
        source="uploaded",
        coefficients=PLANTED,
    )
    client = f.api(people["researcher"])
    body = {"dataset_version": version.pk, "model": base_spec.name, "weight_set": ws.pk}
    response = post(client, "/api/evaluate/", body, django_capture_on_commit_callbacks)
    assert response.status_code == 202, response.content
    ev = Job.objects.get(pk=response.json()["id"])
    assert ev.state == "succeeded", (ev.error, ev.log)
    assert ev.result["split"] == "test" and ev.result["model"]["answers"] > 0
    assert ev.result["weight_set"]["human"]["pairs"] >= 1
    # a version whose files are gone from the bucket is refused by name
    for name in bucket.keys(f"datasets/{version.path}/"):
        bucket.server.client().delete_object(Bucket=bucket.bucket, Key=name)
    refused = post(client, "/api/evaluate/", body, django_capture_on_commit_callbacks)
    assert refused.status_code == 400 and "has no files" in str(refused.json())
