"""Pre-fill jobs: request validation, the runner (per-asset failures, only_missing, cancel,
retries), the per-process model cache, auto pre-fill after an import, and the real HFGuesser
on a tiny LLaVA end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import ImageStat

from annotator.models import Asset, Membership, Prediction, Task
from tests import factories as f
from worker import jobs
from worker.models import Job, ModelSpec, ProjectModel
from worker.prefill import job as prefill
from worker.prefill import loading
from worker.prefill.guessers.base import GuesserError, GuessResult

from .conftest import import_url, jpeg_bytes, upload

pytestmark = pytest.mark.django_db


class FakeGuesser:
    """A stand-in model: P(yes) from the image's mean red level; counts its loads and calls."""

    loads = 0

    def __init__(self, spec, *, version="fake-1", fail_on=(), on_guess=None):
        type(self).loads += 1
        self.spec = spec
        self.name = spec.name
        self.version = version
        self.fail_on = set(fail_on)
        self.on_guess = on_guess
        self.calls: list[str] = []

    def guess(self, request):
        self.calls.append(request.prompt)
        if self.on_guess is not None:
            self.on_guess(request)
        if request.prompt in self.fail_on:
            raise RuntimeError(f"cannot answer about {request.prompt}")
        red = ImageStat.Stat(request.media.frames[0]).mean[0] / 255
        p = min(0.99, max(0.01, red))
        keys = [q.key for q in request.checklist.questions]
        return GuessResult(
            p_yes=dict.fromkeys(keys, p), model_name=self.name, model_version=self.version, timings={"total": 0.01}
        )


@pytest.fixture(autouse=True)
def _fresh_model_cache():
    loading.clear_guessers()
    FakeGuesser.loads = 0
    yield
    loading.clear_guessers()


@pytest.fixture
def spec(db):
    return ModelSpec.objects.create(name="fake-vlm", title="Fake VLM", source="/models/fake", queue="gpu")


@pytest.fixture
def fake(monkeypatch):
    """Patch the model factory; returns a dict whose ``options`` go to the next FakeGuesser."""
    made: dict = {"options": {}, "guessers": []}

    def load(spec):
        guesser = FakeGuesser(spec, **made["options"])
        made["guessers"].append(guesser)
        return guesser

    monkeypatch.setattr(loading, "load_guesser", load)
    return made


def import_images(client, project, capture, count=3, prompts=None) -> list[Asset]:
    """Import ``count`` real JPEGs (red levels 0, 100, 200…) with prompts p0, p1…; the assets."""
    prompts = prompts or [f"p{i}" for i in range(count)]
    files = [upload(f"img{i}.jpg", jpeg_bytes(width=32, height=32, color=(i * 100, 30, 30))) for i in range(count)]
    import csv
    import io

    manifest = io.StringIO()
    writer = csv.writer(manifest)
    writer.writerow(["file", "prompt"])
    for i, prompt in enumerate(prompts):
        writer.writerow([f"img{i}.jpg", prompt])
    files_manifest = upload("manifest.csv", manifest.getvalue().encode())
    with capture(execute=True):
        response = client.post(import_url(project), {"files": files, "manifest": files_manifest}, format="multipart")
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == Job.State.SUCCEEDED, job.log
    return list(Asset.objects.filter(import_job_id=job.pk).order_by("import_entry"))


def prefill_url(project) -> str:
    return f"/api/projects/{project.pk}/prefill/"


def run_prefill(client, project, capture, body=None) -> Job:
    with capture(execute=True):
        response = client.post(prefill_url(project), body or {}, format="json")
    assert response.status_code == 202, response.content
    data = response.json()
    assert data["kind"] == "prefill"
    return Job.objects.get(pk=data["id"])


# --- the runner with a stand-in model ------------------------------------------------------------


def test_prefill_records_predictions_with_model_version_options_and_uncertainty(
    eager, manager_api, image_project, spec, fake, django_capture_on_commit_callbacks
):
    from prometheus_client import REGISTRY

    assets = import_images(manager_api, image_project, django_capture_on_commit_callbacks)
    questions_before = REGISTRY.get_sample_value("vr_prefill_questions_total")
    finished = ("vr_jobs_finished_total", {"kind": "prefill", "state": "succeeded"})
    finished_before = REGISTRY.get_sample_value(*finished) or 0
    job = run_prefill(manager_api, image_project, django_capture_on_commit_callbacks, {"model": "fake-vlm"})
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.log
    assert job.queue == "gpu" and job.progress == 1.0 and job.attempts == 1
    # the metrics (docs/observability.md): every asset's questions, one finished pre-fill job
    questions = len(image_project.checklist_version.checklist.question_keys)
    assert REGISTRY.get_sample_value("vr_prefill_questions_total") - questions_before == 3 * questions
    assert REGISTRY.get_sample_value(*finished) - finished_before == 1
    assert job.result["predicted"] == 3 and job.result["skipped"] == 0 and job.result["failed"] == []
    assert job.result["model"] == "fake-vlm" and job.result["model_version"] == "fake-1"
    assert job.message == "3 predicted, 0 skipped, 0 failed"
    assert job.params["assets"] == [a.pk for a in assets] and job.params["only_missing"] is True

    checklist = image_project.checklist_version.checklist
    predictions = Prediction.objects.filter(job_id=job.pk).order_by("asset_id")
    assert [p.asset_id for p in predictions] == [a.pk for a in assets]
    for prediction in predictions:
        assert (prediction.model_name, prediction.model_version) == ("fake-vlm", "fake-1")
        assert prediction.checklist_version_id == image_project.checklist_version_id
        assert list(prediction.p_yes) == list(checklist.question_keys)
        assert prediction.options and all("option" in o and "confidence" in o for o in prediction.options.values())
    # the darkest image gets P(yes) 0.01 (certain); the others are less certain
    tasks = {t.asset_id: t.uncertainty for t in Task.objects.filter(project=image_project)}
    assert all(u is not None and 0 <= u <= 1 for u in tasks.values())
    assert tasks[assets[0].pk] < tasks[assets[1].pk]
    # the job's detail shows the result and the log; the prediction list shows the rows
    detail = manager_api.get(f"/api/jobs/{job.pk}/").json()
    assert detail["params"]["model"] == "fake-vlm" and detail["params"]["asset_count"] == 3
    assert "img1.jpg (asset" in detail["log"] and "finished: 3 predicted" in detail["log"]
    listed = manager_api.get(f"/api/projects/{image_project.pk}/predictions/", {"model_name": "fake-vlm"}).json()
    assert listed["count"] == 3


def test_the_model_loads_once_per_process_until_its_spec_changes(
    eager, manager_api, image_project, spec, fake, django_capture_on_commit_callbacks
):
    import_images(manager_api, image_project, django_capture_on_commit_callbacks, count=2)
    body = {"model": "fake-vlm", "only_missing": False}
    first = run_prefill(manager_api, image_project, django_capture_on_commit_callbacks, body)
    second = run_prefill(manager_api, image_project, django_capture_on_commit_callbacks, body)
    assert FakeGuesser.loads == 1
    assert [len(g.calls) for g in fake["guessers"]] == [4]
    for job in (first, second):
        job.refresh_from_db()
        assert job.state == Job.State.SUCCEEDED and job.result["predicted"] == 2
    spec.batch_size = 4
    spec.save()  # a new updated_at: the next job reloads the model
    run_prefill(manager_api, image_project, django_capture_on_commit_callbacks, body)
    assert FakeGuesser.loads == 2
    assert Prediction.objects.count() == 6


def test_only_missing_skips_assets_with_a_prediction_of_this_model_version(
    eager, manager_api, image_project, spec, fake, django_capture_on_commit_callbacks
):
    assets = import_images(manager_api, image_project, django_capture_on_commit_callbacks)
    first = run_prefill(
        manager_api, image_project, django_capture_on_commit_callbacks, {"assets": [assets[0].pk], "model": "fake-vlm"}
    )
    assert first.state == Job.State.SUCCEEDED and first.result["predicted"] == 1

    ProjectModel.objects.create(project=image_project, model=spec)  # now the default model
    again = run_prefill(manager_api, image_project, django_capture_on_commit_callbacks)
    again.refresh_from_db()
    assert again.state == Job.State.SUCCEEDED
    assert (again.result["predicted"], again.result["skipped"]) == (2, 1)
    assert "skipping 1 asset(s) that already have a prediction of this model version" in again.log
    assert sorted(fake["guessers"][0].calls) == ["p0", "p1", "p2"]

    # another model version predicts everything again; only_missing=false does too
    loading.clear_guessers()
    fake["options"] = {"version": "fake-2"}
    newer = run_prefill(manager_api, image_project, django_capture_on_commit_callbacks)
    newer.refresh_from_db()
    assert (newer.result["predicted"], newer.result["skipped"]) == (3, 0)
    forced = run_prefill(manager_api, image_project, django_capture_on_commit_callbacks, {"only_missing": False})
    forced.refresh_from_db()
    assert (forced.result["predicted"], forced.result["skipped"]) == (3, 0)
    assert Prediction.objects.filter(model_version="fake-2").count() == 6


def test_an_asset_whose_media_is_missing_or_that_the_model_fails_on_fails_alone(
    eager, manager_api, image_project, spec, fake, django_capture_on_commit_callbacks, _media_root
):
    assets = import_images(manager_api, image_project, django_capture_on_commit_callbacks, count=4)
    for key in ("display", "original"):
        (Path(_media_root) / assets[1].files[key]).unlink(missing_ok=True)
    fake["options"] = {"fail_on": {"p3"}}
    job = run_prefill(manager_api, image_project, django_capture_on_commit_callbacks, {"model": "fake-vlm"})
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.log
    assert job.result["predicted"] == 2 and job.result["failed_count"] == 2
    failed = {entry["asset"]: entry for entry in job.result["failed"]}
    assert set(failed) == {assets[1].pk, assets[3].pk}
    missing = failed[assets[1].pk]
    assert missing["name"] == "img1.jpg"
    assert missing["reason"].startswith("cannot read its media: media file") and "is missing" in missing["reason"]
    assert failed[assets[3].pk]["reason"] == "the model failed: RuntimeError: cannot answer about p3"
    assert "img1.jpg (asset" in job.log and "failed: cannot read its media" in job.log
    assert job.message == "2 predicted, 0 skipped, 2 failed"
    assert set(Prediction.objects.values_list("asset_id", flat=True)) == {assets[0].pk, assets[2].pk}


class FakeBatchGuesser(FakeGuesser):
    """A stand-in with ``guess_many``: a batch holding a failing asset fails as a whole."""

    assets_per_batch = 2

    def __init__(self, spec, **options):
        super().__init__(spec, **options)
        self.batches: list[list[str]] = []

    def guess_many(self, requests):
        self.batches.append([request.prompt for request in requests])
        if any(request.prompt in self.fail_on for request in requests):
            raise RuntimeError("one asset of the batch broke it")
        return [FakeGuesser.guess(self, request) for request in requests]


def test_assets_are_asked_in_batches_and_a_failing_asset_still_fails_alone(
    eager, manager_api, image_project, spec, monkeypatch, django_capture_on_commit_callbacks, _media_root
):
    assets = import_images(manager_api, image_project, django_capture_on_commit_callbacks, count=5)
    for key in ("display", "original"):
        (Path(_media_root) / assets[1].files[key]).unlink(missing_ok=True)
    made = []

    def load(s):
        made.append(FakeBatchGuesser(s, fail_on={"p3"}))
        return made[-1]

    monkeypatch.setattr(loading, "load_guesser", load)
    job = run_prefill(manager_api, image_project, django_capture_on_commit_callbacks, {"model": "fake-vlm"})
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.log
    guesser = made[0]
    # batches of 2 assets; the unreadable p1 never reaches the model; p4 is alone in its batch
    # batches of 2 assets: [p0, p1] leaves p0 alone (p1's media cannot be read, so p1 never
    # reaches the model); [p2, p3] fails as a whole and is asked again one by one; [p4] is alone
    assert guesser.batches == [["p2", "p3"]]
    assert guesser.calls == ["p0", "p2", "p3", "p4"]  # one-by-one calls (guess)
    assert job.result["predicted"] == 3 and job.result["failed_count"] == 2
    failed = {entry["asset"]: entry["reason"] for entry in job.result["failed"]}
    assert failed[assets[1].pk].startswith("cannot read its media")
    assert failed[assets[3].pk] == "the model failed: RuntimeError: cannot answer about p3"
    assert set(Prediction.objects.values_list("asset_id", flat=True)) == {assets[i].pk for i in (0, 2, 4)}
    assert job.message == "3 predicted, 0 skipped, 2 failed"
    assert job.log.index("img0.jpg (asset") < job.log.index("img1.jpg (asset") < job.log.index("img4.jpg (asset")


class FakeStreamGuesser(FakeBatchGuesser):
    """A stand-in with ``guess_chunks`` (as ``HFGuesser``): a failing chunk is reported, not raised."""

    def guess_chunks(self, items):
        for tag, requests in items:
            try:
                yield tag, self.guess_many(requests) if requests else []
            except Exception as exc:
                yield tag, exc


def test_streamed_batches_fail_alone_and_keep_order(
    eager, manager_api, image_project, spec, monkeypatch, django_capture_on_commit_callbacks, _media_root
):
    assets = import_images(manager_api, image_project, django_capture_on_commit_callbacks, count=5)
    for key in ("display", "original"):
        (Path(_media_root) / assets[1].files[key]).unlink(missing_ok=True)
    made = []
    monkeypatch.setattr(
        loading, "load_guesser", lambda s: made.append(FakeStreamGuesser(s, fail_on={"p3"})) or made[-1]
    )
    job = run_prefill(manager_api, image_project, django_capture_on_commit_callbacks, {"model": "fake-vlm"})
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.log
    guesser = made[0]
    # every readable batch goes through the stream (one asset too); [p2, p3] fails and is asked one by one
    assert guesser.batches == [["p0"], ["p2", "p3"], ["p4"]]
    assert guesser.calls == ["p0", "p2", "p3", "p4"]
    failed = {entry["asset"]: entry["reason"] for entry in job.result["failed"]}
    assert failed[assets[1].pk].startswith("cannot read its media")
    assert failed[assets[3].pk] == "the model failed: RuntimeError: cannot answer about p3"
    assert set(Prediction.objects.values_list("asset_id", flat=True)) == {assets[i].pk for i in (0, 2, 4)}
    assert job.message == "3 predicted, 0 skipped, 2 failed"


def test_readable_assets_share_one_guess_many_call(
    eager, manager_api, image_project, spec, monkeypatch, django_capture_on_commit_callbacks
):
    assets = import_images(manager_api, image_project, django_capture_on_commit_callbacks, count=3)
    made = []
    monkeypatch.setattr(loading, "load_guesser", lambda s: made.append(FakeBatchGuesser(s)) or made[-1])
    job = run_prefill(manager_api, image_project, django_capture_on_commit_callbacks, {"model": "fake-vlm"})
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED and job.result["predicted"] == 3, job.log
    assert made[0].batches == [["p0", "p1"]] and made[0].calls == ["p0", "p1", "p2"]
    assert sorted(Prediction.objects.values_list("asset_id", flat=True)) == [a.pk for a in assets]
    assert job.result["timings"] == {"total": 0.03}


def test_an_invalid_model_answer_fails_that_asset_with_the_field(
    eager, manager_api, image_project, spec, monkeypatch, django_capture_on_commit_callbacks
):
    import_images(manager_api, image_project, django_capture_on_commit_callbacks, count=1)

    class Partial(FakeGuesser):
        def guess(self, request):
            result = super().guess(request)
            result.p_yes.pop("q1")
            result.p_yes["q2"] = 1.5
            return result

    monkeypatch.setattr(loading, "load_guesser", lambda s: Partial(s))
    job = run_prefill(manager_api, image_project, django_capture_on_commit_callbacks, {"model": "fake-vlm"})
    job.refresh_from_db()
    reason = job.result["failed"][0]["reason"]
    assert reason.startswith("the model's answer is invalid: p_yes.q1: no probability given")
    assert "p_yes.q2: must be a number between 0 and 1 (got 1.5)" in reason
    assert not Prediction.objects.exists()


def test_cancel_stops_between_assets_and_a_retry_resumes(
    eager, manager_api, image_project, spec, fake, django_capture_on_commit_callbacks
):
    assets = import_images(manager_api, image_project, django_capture_on_commit_callbacks)
    asked = []

    def cancel_once(request):
        if not asked:
            job = Job.objects.get(kind=Job.Kind.PREFILL)
            response = manager_api.post(f"/api/jobs/{job.pk}/cancel/")
            assert response.status_code == 200 and response.json()["cancel_requested"] is True
            asked.append(job.pk)

    fake["options"] = {"on_guess": cancel_once}
    job = run_prefill(manager_api, image_project, django_capture_on_commit_callbacks, {"model": "fake-vlm"})
    job.refresh_from_db()
    assert job.state == Job.State.CANCELLED, job.log
    assert list(Prediction.objects.values_list("asset_id", flat=True)) == [assets[0].pk]
    assert "cancel requested by manager" in job.log and "cancelled between items" in job.log

    with django_capture_on_commit_callbacks(execute=True):
        assert manager_api.post(f"/api/jobs/{job.pk}/retry/").status_code == 200
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED
    assert "resuming: 1 of 3 asset(s) were already predicted by this job" in job.log
    assert job.result["predicted"] == 3 and job.result["skipped"] == 0
    assert sorted(Prediction.objects.values_list("asset_id", flat=True)) == [a.pk for a in assets]
    # researchers see pre-fill jobs but only managers control them
    researcher = f.api(Membership.objects.get(project=image_project, role="researcher").user)
    assert researcher.get(f"/api/jobs/{job.pk}/").status_code == 200
    assert researcher.post(f"/api/jobs/{job.pk}/retry/").status_code == 403


def test_a_model_that_cannot_load_fails_the_job_after_its_retries(
    eager, manager_api, image_project, spec, monkeypatch, django_capture_on_commit_callbacks
):
    import_images(manager_api, image_project, django_capture_on_commit_callbacks, count=2)
    calls = []

    def broken(s):
        calls.append(s.pk)
        raise GuesserError(f"model path {s.source} does not exist")

    monkeypatch.setattr(loading, "load_guesser", broken)
    job = run_prefill(manager_api, image_project, django_capture_on_commit_callbacks, {"model": "fake-vlm"})
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert job.attempts == job.max_attempts == 3 and len(calls) == 3
    assert job.message == (
        "failed after 3 attempt(s): ModelLoadError: model 'fake-vlm' could not be loaded from '/models/fake': "
        "model path /models/fake does not exist"
    )
    assert job.log.count("will retry") == 2 and "ModelLoadError" in job.error
    assert not Prediction.objects.exists()

    # fixed: a manual retry runs it
    monkeypatch.setattr(loading, "load_guesser", lambda s: FakeGuesser(s))
    with django_capture_on_commit_callbacks(execute=True):
        assert manager_api.post(f"/api/jobs/{job.pk}/retry/").status_code == 200
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED and job.result["predicted"] == 2
    # a removed model cannot be retried
    params = {"model": "gone", "model_id": 999_999, "assets": []}
    job = jobs.create_job(Job.Kind.PREFILL, params, project=image_project, dispatch=False)
    jobs.cancel_job(job)
    response = manager_api.post(f"/api/jobs/{job.pk}/retry/")
    assert response.status_code == 400
    assert (
        response.json()["detail"]
        == f"job {job.pk} cannot be retried: its model 'gone' was removed; start a new pre-fill"
    )


def test_the_real_loader_reports_a_missing_model_folder(
    eager, manager_api, image_project, django_capture_on_commit_callbacks, tmp_path
):
    import_images(manager_api, image_project, django_capture_on_commit_callbacks, count=1)
    ModelSpec.objects.create(name="nowhere", source=str(tmp_path / "no-such-model"), device="cpu")
    job = run_prefill(manager_api, image_project, django_capture_on_commit_callbacks, {"model": "nowhere"})
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and job.attempts == 3
    assert "could not be loaded from" in job.message and "does not exist" in job.message


def test_a_disabled_model_fails_a_queued_job_with_a_reason(
    eager, manager_api, image_project, spec, fake, django_capture_on_commit_callbacks
):
    import_images(manager_api, image_project, django_capture_on_commit_callbacks, count=1)
    response = manager_api.post(prefill_url(image_project), {"model": "fake-vlm"}, format="json")
    job = Job.objects.get(pk=response.json()["id"])  # queued: its on_commit was not run
    ModelSpec.objects.filter(pk=spec.pk).update(enabled=False)
    jobs.execute(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.QUEUED and "model 'fake-vlm' is disabled" in job.log
    response = manager_api.post(f"/api/jobs/{job.pk}/cancel/")
    assert response.status_code == 200
    response = manager_api.post(f"/api/jobs/{job.pk}/retry/")
    assert response.status_code == 400
    assert response.json()["detail"] == f"job {job.pk} cannot be retried: its model 'fake-vlm' is disabled"


# --- the request ---------------------------------------------------------------------------------


def test_bad_prefill_requests_answer_400_naming_the_field_and_create_nothing(
    manager_api, image_project, spec, django_capture_on_commit_callbacks
):
    url = prefill_url(image_project)
    response = manager_api.post(url, {}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["model"][0].startswith("this project has no active model")
    assert "assets" in response.json()["errors"]  # no ready assets yet

    asset = f.ready_asset(image_project)
    failed = Asset.objects.create(project=image_project, kind="image", status="failed", original_name="x.jpg")
    other = f.ready_asset(f.project(name="other"))
    ModelSpec.objects.create(name="off", source="/m", enabled=False)
    cases = [
        ({"model": "nope"}, "model", "no model named 'nope' (enabled models: fake-vlm)"),
        ({"model": "off"}, "model", "model 'off' is disabled"),
        ({"model": 3}, "model", "must be the name of a registered model"),
        ({"model": "fake-vlm", "assets": "all"}, "assets", "must be a non-empty list"),
        ({"model": "fake-vlm", "assets": []}, "assets", "must be a non-empty list"),
        ({"model": "fake-vlm", "assets": [asset.pk, "2"]}, "assets", "asset ids must be integers (got '2')"),
        ({"model": "fake-vlm", "assets": [asset.pk, other.pk]}, "assets", f"not assets of this project: {other.pk}"),
        (
            {"model": "fake-vlm", "assets": [failed.pk]},
            "assets",
            f"failed imports have no media to look at: {failed.pk}",
        ),
        ({"model": "fake-vlm", "only_missing": "yes"}, "only_missing", "must be true or false, not 'yes'"),
        ({"model": "fake-vlm", "asset": [asset.pk]}, "asset", "unknown field; allowed: assets, only_missing, model"),
    ]
    for body, field, message in cases:
        response = manager_api.post(url, body, format="json")
        assert response.status_code == 400, body
        data = response.json()
        assert data["errors"][field][0].startswith(message), (body, data)
        assert field in data["detail"]
    ProjectModel.objects.create(project=image_project, model=ModelSpec.objects.get(name="off"))
    response = manager_api.post(url, {}, format="json")
    assert response.json()["errors"]["model"] == ["the project's model 'off' is disabled"]
    assert not Job.objects.exists()


def test_only_managers_and_staff_start_a_prefill(people, image_project, spec):
    f.ready_asset(image_project)
    url = prefill_url(image_project)
    body = {"model": "fake-vlm"}
    assert f.api(people["annotator"]).post(url, body, format="json").status_code == 403
    assert f.api(people["researcher"]).post(url, body, format="json").status_code == 403
    assert f.api(people["outsider"]).post(url, body, format="json").status_code == 404
    assert f.api().post(url, body, format="json").status_code in (401, 403)
    assert f.api(people["staff"]).post(url, body, format="json").status_code == 202
    response = f.api(people["manager"]).post(url, body, format="json")
    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["id"])
    assert (job.kind, job.state, job.queue, job.created_by) == ("prefill", "queued", "gpu", people["manager"])


def test_the_job_goes_to_its_models_queue(manager_api, image_project, monkeypatch, django_capture_on_commit_callbacks):
    sent = []

    class Recorder:
        def apply_async(self, args, queue, task_id, **kwargs):
            sent.append((args, queue))

    monkeypatch.setattr(jobs.runner, "_task", lambda kind: Recorder())
    f.ready_asset(image_project)
    ModelSpec.objects.create(name="cpu-model", source="/m", queue="default", device="cpu")
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_api.post(prefill_url(image_project), {"model": "cpu-model"}, format="json")
    job = Job.objects.get(pk=response.json()["id"])
    assert job.queue == "default" and sent == [([job.pk], "default")]
    assert jobs.default_queue(Job.Kind.PREFILL) == "gpu"


def test_load_guesser_passes_the_spec_settings(monkeypatch, spec):
    from worker.prefill.guessers import hf

    seen = {}

    class Recorder:
        def __init__(self, source, **kwargs):
            seen.update(kwargs, source=source)

    monkeypatch.setattr(hf, "HFGuesser", Recorder)
    spec.revision, spec.dtype, spec.device, spec.batch_size, spec.max_frames = "v2", "bfloat16", "cpu", 32, 4
    spec.trust_remote_code = True
    loading.load_guesser(spec)
    assert seen == {
        "source": "/models/fake",
        "revision": "v2",
        "dtype": "bfloat16",
        "device": "cpu",
        "batch_size": 32,
        "trust_remote_code": True,
        "max_frames": 4,
        "name": "fake-vlm",
        "local_files_only": True,
    }
    import torch

    assert loading.resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert loading.resolve_device("cuda") == "cuda"


def test_long_model_versions_fit_and_stay_distinct():
    from transformers import PretrainedConfig

    from worker.prefill.guessers.hf import _config_hash, model_version

    config = PretrainedConfig()
    tail = f"@default#{_config_hash(config)}"
    assert model_version("tiny", None, config) == "tiny" + tail
    one = model_version("/tmp/" + "x" * 200 + "/tiny-a", None, config)
    two = model_version("/tmp/" + "y" * 200 + "/tiny-a", None, config)
    assert len(one) == len(two) == 100 and one != two and one.endswith("/tiny-a" + tail)


# --- auto pre-fill after an import ---------------------------------------------------------------


def test_an_import_prefills_its_new_assets_when_the_project_model_says_so(
    eager, manager_api, image_project, spec, fake, django_capture_on_commit_callbacks
):
    response = manager_api.put(
        f"/api/projects/{image_project.pk}/model/", {"model": "fake-vlm", "auto_prefill": True}, format="json"
    )
    assert response.status_code == 200, response.content
    earlier = f.ready_asset(image_project, name="earlier.jpg")
    assets = import_images(manager_api, image_project, django_capture_on_commit_callbacks, count=2)
    import_job = Job.objects.get(kind=Job.Kind.IMPORT)
    prefill_job = Job.objects.get(kind=Job.Kind.PREFILL)
    assert import_job.result["prefill_job"] == prefill_job.pk
    assert f"automatic pre-fill: job {prefill_job.pk} (model fake-vlm, 2 asset(s))" in import_job.log
    assert prefill_job.params["assets"] == [a.pk for a in assets]
    assert prefill_job.params["trigger"] == {"import_job": import_job.pk}
    assert prefill_job.created_by == import_job.created_by and prefill_job.queue == "gpu"
    assert prefill_job.state == Job.State.SUCCEEDED and prefill_job.result["predicted"] == 2
    assert not Prediction.objects.filter(asset=earlier).exists()

    # auto_prefill off, or a disabled model: the import starts nothing
    ProjectModel.objects.filter(project=image_project).update(auto_prefill=False)
    import_images(manager_api, image_project, django_capture_on_commit_callbacks, count=1)
    assert Job.objects.filter(kind=Job.Kind.PREFILL).count() == 1
    ProjectModel.objects.filter(project=image_project).update(auto_prefill=True)
    ModelSpec.objects.filter(pk=spec.pk).update(enabled=False)
    import_images(manager_api, image_project, django_capture_on_commit_callbacks, count=1)
    assert Job.objects.filter(kind=Job.Kind.PREFILL).count() == 1
    last_import = Job.objects.filter(kind=Job.Kind.IMPORT).order_by("-id").first()
    assert "automatic pre-fill skipped: model 'fake-vlm' is disabled" in last_import.log


def test_a_failing_auto_prefill_never_fails_the_import(
    eager, manager_api, image_project, spec, monkeypatch, django_capture_on_commit_callbacks
):
    ProjectModel.objects.create(project=image_project, model=spec)

    def broken(*args, **kwargs):
        raise RuntimeError("outbox exploded")

    monkeypatch.setattr(prefill, "create_prefill_job", broken)
    assets = import_images(manager_api, image_project, django_capture_on_commit_callbacks, count=1)
    import_job = Job.objects.get(kind=Job.Kind.IMPORT)
    assert import_job.state == Job.State.SUCCEEDED and len(assets) == 1
    assert "follow-up failed: RuntimeError: outbox exploded" in import_job.log
    assert not Job.objects.filter(kind=Job.Kind.PREFILL).exists()


# --- the real model: HFGuesser on a tiny random-weight LLaVA -----------------------------------------


@pytest.fixture(scope="session")
def tiny_llava(tmp_path_factory) -> Path:
    from worker.prefill.tiny import build_tiny_llava

    return build_tiny_llava(tmp_path_factory.mktemp("models") / "tiny-llava")


def test_prefill_end_to_end_with_the_real_hf_guesser_on_a_tiny_llava(
    eager, manager_api, image_project, tiny_llava, django_capture_on_commit_callbacks, _media_root
):
    spec = ModelSpec.objects.create(
        name="tiny-llava", source=str(tiny_llava), device="cpu", dtype="float32", batch_size=8, queue="default"
    )
    manager_api.put(f"/api/projects/{image_project.pk}/model/", {"model": "tiny-llava"}, format="json")
    assets = import_images(manager_api, image_project, django_capture_on_commit_callbacks, count=3)
    auto = Job.objects.get(kind=Job.Kind.PREFILL)  # started by the import
    assert auto.state == Job.State.SUCCEEDED, auto.log
    assert auto.result["predicted"] == 3 and auto.result["failed"] == []
    assert auto.queue == "default"

    checklist = image_project.checklist_version.checklist
    guesser = loading.get_guesser(spec)  # the process's cached model
    assert type(guesser).__name__ == "HFGuesser" and guesser.name == "tiny-llava"
    version = guesser.version
    assert auto.result["model_version"] == version and len(version) <= 100
    for prediction in Prediction.objects.filter(job_id=auto.pk):
        assert (prediction.model_name, prediction.model_version) == ("tiny-llava", version)
        assert list(prediction.p_yes) == list(checklist.question_keys)
        assert all(0.0 <= p <= 1.0 for p in prediction.p_yes.values())
        assert prediction.options and set(prediction.options) <= {s.key for s in checklist.sub_dimensions}
    assert all(t.uncertainty is not None for t in Task.objects.filter(project=image_project))

    # again with only_missing: nothing to do; a missing file fails alone
    for key in ("display", "original"):
        (Path(_media_root) / assets[2].files[key]).unlink(missing_ok=True)
    again = run_prefill(manager_api, image_project, django_capture_on_commit_callbacks)
    again.refresh_from_db()
    assert (again.result["predicted"], again.result["skipped"], again.result["failed"]) == (0, 3, [])
    forced = run_prefill(manager_api, image_project, django_capture_on_commit_callbacks, {"only_missing": False})
    forced.refresh_from_db()
    assert forced.state == Job.State.SUCCEEDED
    assert forced.result["predicted"] == 2 and [e["asset"] for e in forced.result["failed"]] == [assets[2].pk]
    assert "is missing" in forced.result["failed"][0]["reason"]
    assert forced.result["seconds_per_asset"] is not None and "total" in forced.result["timings"]
    assert forced.result["guesser"] == {}  # LLaVA runs on the shared-prefix cache with its own processor


def test_a_paligemma_prefill_says_it_takes_the_exact_path(
    eager, manager_api, image_project, tmp_path, django_capture_on_commit_callbacks
):
    from .tiny_models import ARCHITECTURES

    folder = ARCHITECTURES["PaliGemma"].build(tmp_path / "paligemma")
    ModelSpec.objects.create(name="tiny-paligemma", source=str(folder), device="cpu", dtype="float32", queue="default")
    import_images(manager_api, image_project, django_capture_on_commit_callbacks, count=1)
    job = run_prefill(manager_api, image_project, django_capture_on_commit_callbacks, {"model": "tiny-paligemma"})
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED and job.result["predicted"] == 1, job.log
    assert "bidirectional" in job.result["guesser"]["exact_path"]
    assert "exact path: " in job.log


def test_a_prefill_with_a_model_that_runs_remote_code_says_so_in_its_log(
    eager, manager_api, image_project, spec, fake, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import User

    root = User.objects.create_superuser("root", password="pw")
    body = {"trust_remote_code": True, "confirm_trust_remote_code": True, "revision": "v7"}
    assert f.api(root).patch("/api/models/fake-vlm/", body, format="json").status_code == 200
    import_images(manager_api, image_project, django_capture_on_commit_callbacks, count=1)
    job = run_prefill(manager_api, image_project, django_capture_on_commit_callbacks, {"model": "fake-vlm"})
    assert job.state == Job.State.SUCCEEDED, job.log
    assert "remote code: model fake-vlm runs its source's own code (/models/fake@v7; allowed by root on " in job.log


def test_a_dataset_import_is_followed_by_pre_fill_and_pair_tasks_like_a_file_import(
    eager, manager_api, image_project, spec, fake, tmp_path, settings, django_capture_on_commit_callbacks
):
    from .hf_datasets import image_dataset, tiny_png

    root = tmp_path / "imports"
    image_dataset(4).save_to_disk(str(root / "saved"))  # captions "prompt 0" … "prompt 3": one each
    settings.VR_IMPORT_ROOTS = [root]
    image_dataset(2, image=lambda i: tiny_png(i + 100)).save_to_disk(str(root / "twins"))  # new images
    manager_api.put(
        f"/api/projects/{image_project.pk}/model/", {"model": "fake-vlm", "auto_prefill": True}, format="json"
    )
    image_project.pair_tasks = True
    image_project.save(update_fields=["pair_tasks"])
    mapping = {"media": "image", "prompt": "caption", "metadata": []}
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_api.post(
            f"/api/projects/{image_project.pk}/imports/huggingface/",
            {"source": "saved", "mapping": mapping},
            format="json",
        )
    assert response.status_code == 202, response.content
    dataset_job = Job.objects.get(pk=response.json()["id"])
    assert dataset_job.kind == Job.Kind.DATASET_IMPORT and dataset_job.state == Job.State.SUCCEEDED
    imported = list(Asset.objects.filter(import_job_id=dataset_job.pk, status=Asset.Status.READY).order_by("id"))
    assert len(imported) == 4
    prefill_job = Job.objects.get(kind=Job.Kind.PREFILL)
    assert prefill_job.params["trigger"] == {"import_job": dataset_job.pk}
    assert prefill_job.params["assets"] == [a.pk for a in imported]
    assert prefill_job.state == Job.State.SUCCEEDED and prefill_job.result["predicted"] == 4
    # four prompts, one asset each: no pair yet; a second import of two of those prompts pairs them
    assert not Task.objects.filter(project=image_project, kind=Task.Kind.PAIR).exists()
    with django_capture_on_commit_callbacks(execute=True):
        again = manager_api.post(
            f"/api/projects/{image_project.pk}/imports/huggingface/",
            {"source": "twins", "mapping": mapping},
            format="json",
        )
    assert again.status_code == 202, again.content
    pairs = Task.objects.filter(project=image_project, kind=Task.Kind.PAIR)
    assert {(t.asset.prompt, t.asset_b.prompt) for t in pairs} == {("prompt 0", "prompt 0"), ("prompt 1", "prompt 1")}


@pytest.fixture(params=["filesystem", "s3"])
def backend(request):
    if request.param == "s3":
        return request.getfixturevalue("s3_storage")
    return None


def test_a_prefill_reads_the_assets_media_through_storage(
    backend, eager, manager_api, image_project, tiny_llava, django_capture_on_commit_callbacks
):
    """The worker reads each asset's display file from the media storage (the bucket on
    VR_STORAGE=s3: nothing under MEDIA_ROOT, which must not even exist afterwards); a file gone
    from storage and a name that leaves it fail their asset alone, with the reason."""
    from annotator.storage import media_storage

    ModelSpec.objects.create(
        name="tiny-llava", source=str(tiny_llava), device="cpu", dtype="float32", batch_size=8, queue="default"
    )
    assets = [
        f.ready_asset(image_project, prompt=f"p{i}", content=jpeg_bytes(width=32, height=32, color=(i * 60, 30, 30)))
        for i in range(4)
    ]
    media_storage().delete(assets[1].files["display"])
    assets[2].files = {**assets[2].files, "display": "../../../etc/passwd"}
    assets[2].save(update_fields=["files"])
    job = run_prefill(manager_api, image_project, django_capture_on_commit_callbacks, {"model": "tiny-llava"})
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.log
    assert job.result["predicted"] == 2
    failed = {entry["asset"]: entry["reason"] for entry in job.result["failed"]}
    assert set(failed) == {assets[1].pk, assets[2].pk}
    assert "is missing" in failed[assets[1].pk] and "outside the media storage" in failed[assets[2].pk]
    predicted = set(Prediction.objects.filter(job_id=job.pk).values_list("asset_id", flat=True))
    assert predicted == {assets[0].pk, assets[3].pk}
    if backend is not None:
        assert any(key.endswith("/original.jpg") for key in backend.keys("media/"))
