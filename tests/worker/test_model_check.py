"""Test load of a registered model: ``POST /api/models/<name>/test-load/`` starts a
``model_check`` job on the model's queue; its worker loads the model with the real loader (a
tiny random-weight LLaVA built offline, or a folder that holds no model), asks it one question
about a generated image, and records the outcome on the job and on the model."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import factories as f
from worker.models import Job, ModelSpec
from worker.prefill import loading
from worker.prefill.guessers.base import GuesserError

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_model_cache():
    loading.clear_guessers()
    yield
    loading.clear_guessers()


@pytest.fixture(scope="session")
def tiny_llava(tmp_path_factory) -> Path:
    from worker.prefill.tiny import build_tiny_llava

    return build_tiny_llava(tmp_path_factory.mktemp("models") / "tiny-llava")


@pytest.fixture
def staff_api(people):
    return f.api(people["staff"])


def test_load(client, name: str, capture, body=None):
    with capture(execute=True):
        response = client.post(f"/api/models/{name}/test-load/", body, format="json")
    return response


test_load.__test__ = False  # a helper, not a test


def finished(response) -> Job:
    assert response.status_code == 202, response.content
    data = response.json()
    assert data["kind"] == "model_check" and data["project"] is None
    return Job.objects.get(pk=data["id"])


def test_a_model_that_loads_answers_and_the_registry_shows_it(
    eager, staff_api, tiny_llava, django_capture_on_commit_callbacks
):
    spec = ModelSpec.objects.create(
        name="tiny-llava", source=str(tiny_llava), device="cpu", dtype="float32", queue="default"
    )
    before = spec.updated_at
    job = finished(test_load(staff_api, "tiny-llava", django_capture_on_commit_callbacks))
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.log
    assert job.queue == "default" and job.attempts == 1
    result = job.result
    assert result["ok"] is True and result["error"] == "" and result["stage"] == "answer"
    assert result["load_seconds"] > 0 and result["device"] == "cpu"
    assert result["model_version"] and len(result["model_version"]) <= 100
    answer = result["answer"]
    assert answer["media"] == "image" and answer["question"] == "Is the image clear?"
    assert 0.0 <= answer["p_yes"] <= 1.0 and answer["seconds"] >= 0
    assert result["recorded"] is True
    assert job.message.startswith("model tiny-llava loads in ") and "P(yes)" in job.message
    assert loading._cache == {}  # the checked model is not kept in the worker

    spec.refresh_from_db()
    assert spec.last_check_ok is True and spec.last_check_at is not None
    assert spec.last_check_message.startswith("model tiny-llava loads in ") and "P(yes)" in spec.last_check_message
    assert spec.updated_at == before  # recording the check does not make the workers reload the model

    shown = staff_api.get("/api/models/tiny-llava/").json()
    assert shown["last_check_ok"] is True and shown["last_check_message"].startswith("model tiny-llava loads")
    assert shown["last_check_at"] is not None
    detail = staff_api.get(f"/api/jobs/{job.pk}/").json()
    assert detail["result"]["model_version"] == result["model_version"]

    # the same model version as a pre-fill records
    guesser = loading.get_guesser(spec)
    assert guesser.version == result["model_version"]

    # load only
    job = finished(test_load(staff_api, "tiny-llava", django_capture_on_commit_callbacks, {"answer": False}))
    job.refresh_from_db()
    assert job.result["ok"] is True and job.result["answer"] is None and job.result["stage"] == "load"


def test_a_folder_without_a_model_gives_a_clear_error(eager, staff_api, tmp_path, django_capture_on_commit_callbacks):
    empty = tmp_path / "no-model-here"
    empty.mkdir()
    ModelSpec.objects.create(name="empty", source=str(empty), device="cpu", queue="default", enabled=False)
    job = finished(test_load(staff_api, "empty", django_capture_on_commit_callbacks))
    job.refresh_from_db()
    # the check's finding, not a failed job, and never retried
    assert job.state == Job.State.SUCCEEDED and job.attempts == 1 and job.max_attempts == 1
    result = job.result
    assert result["ok"] is False and result["stage"] == "load" and result["answer"] is None
    assert result["model_version"] is None
    assert result["error"] and str(empty) in result["error"]
    assert result["error_type"]
    assert job.message.startswith("model empty does not load: ")

    spec = ModelSpec.objects.get(name="empty")
    assert spec.last_check_ok is False and result["error"] in spec.last_check_message

    missing = tmp_path / "nowhere"
    ModelSpec.objects.create(name="nowhere", source=str(missing), device="cpu", queue="default")
    job = finished(test_load(staff_api, "nowhere", django_capture_on_commit_callbacks))
    job.refresh_from_db()
    assert job.result["ok"] is False and str(missing) in job.result["error"]


def test_the_error_is_the_guesser_errors_message_or_names_the_exception(
    eager, staff_api, monkeypatch, django_capture_on_commit_callbacks
):
    ModelSpec.objects.create(name="odd", source="/models/odd", device="cpu", queue="default")
    failures = iter(
        [
            GuesserError("odd-arch: its processor needs torchvision (missing); pip install torchvision==0.x"),
            ImportError("No module named 'num2words'"),
        ]
    )

    def load(spec):
        raise next(failures)

    monkeypatch.setattr(loading, "load_guesser", load)
    job = finished(test_load(staff_api, "odd", django_capture_on_commit_callbacks))
    job.refresh_from_db()
    assert job.result["error"] == "odd-arch: its processor needs torchvision (missing); pip install torchvision==0.x"
    assert job.result["error_type"] == "GuesserError"
    job = finished(test_load(staff_api, "odd", django_capture_on_commit_callbacks))
    job.refresh_from_db()
    assert job.result["error"] == "ImportError: No module named 'num2words'"
    assert ModelSpec.objects.get(name="odd").last_check_message.endswith("ImportError: No module named 'num2words'")


def test_a_model_that_loads_but_cannot_answer(eager, staff_api, monkeypatch, django_capture_on_commit_callbacks):
    ModelSpec.objects.create(name="mute", source="/models/mute", device="cpu", queue="default")

    class Mute:
        version = "mute-1"

        def guess(self, request):
            raise GuesserError("the model's processor cannot take images")

    monkeypatch.setattr(loading, "load_guesser", lambda spec: Mute())
    job = finished(test_load(staff_api, "mute", django_capture_on_commit_callbacks))
    job.refresh_from_db()
    assert job.result["ok"] is False and job.result["stage"] == "answer"
    assert job.result["model_version"] == "mute-1" and job.result["load_seconds"] is not None
    assert job.message == "model mute loads but cannot answer: the model's processor cannot take images"


def test_a_spec_edited_during_the_check_keeps_no_stale_outcome(
    eager, staff_api, monkeypatch, django_capture_on_commit_callbacks
):
    spec = ModelSpec.objects.create(name="moving", source="/models/a", device="cpu", queue="default")

    def load(loaded):
        ModelSpec.objects.get(pk=loaded.pk).save()  # an admin edits it meanwhile
        raise GuesserError("no model at /models/a")

    monkeypatch.setattr(loading, "load_guesser", load)
    job = finished(test_load(staff_api, "moving", django_capture_on_commit_callbacks))
    job.refresh_from_db()
    assert job.result["ok"] is False and job.result["recorded"] is False
    assert "not recorded on the model" in job.message
    spec.refresh_from_db()
    assert spec.last_check_at is None and spec.last_check_ok is None


def test_only_staff_test_load_and_bad_bodies_create_nothing(people, staff_api, django_capture_on_commit_callbacks):
    ModelSpec.objects.create(name="some-model", source="/models/x", queue="gpu")
    for who in ("manager", "researcher", "annotator"):
        response = f.api(people[who]).post("/api/models/some-model/test-load/", {}, format="json")
        assert response.status_code == 403, who
    assert f.api().post("/api/models/some-model/test-load/", {}, format="json").status_code in (401, 403)
    assert staff_api.post("/api/models/no-such-model/test-load/", {}, format="json").status_code == 404
    for body, field in (({"answer": "yes"}, "answer"), ({"media": "audio"}, "media"), ({"model": "x"}, "model")):
        response = staff_api.post("/api/models/some-model/test-load/", body, format="json")
        assert response.status_code == 400, body
        assert field in response.json()["errors"], response.json()
    assert not Job.objects.exists()
    # queued on the model's own queue (not run here: no eager Celery)
    with django_capture_on_commit_callbacks(execute=False):
        response = staff_api.post("/api/models/some-model/test-load/", format="json")
    assert response.status_code == 202
    job = Job.objects.get()
    assert job.queue == "gpu" and job.params["model"] == "some-model" and job.params["answer"] is True
    assert job.params["media"] == "image" and job.created_by == people["staff"]


def test_staff_test_load_models_from_the_admin_registry(
    eager, people, client, tmp_path, django_capture_on_commit_callbacks
):
    from django.contrib.auth import get_user_model

    admin_user = get_user_model().objects.create_superuser("registry-admin", "ra@example.org", "pw-registry-1")
    missing = tmp_path / "not-there"
    spec = ModelSpec.objects.create(name="admin-checked", source=str(missing), device="cpu", queue="default")
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/worker/modelspec/",
            {"action": "test_load", "_selected_action": [spec.pk]},
            follow=True,
        )
    assert response.status_code == 200
    assert "1 test load(s) queued" in response.content.decode()
    job = Job.objects.get(kind=Job.Kind.MODEL_CHECK, params__model="admin-checked")
    assert job.state == Job.State.SUCCEEDED and job.result["ok"] is False
    spec.refresh_from_db()
    assert spec.last_check_ok is False and str(missing) in spec.last_check_message
    page = client.get(f"/admin/worker/modelspec/{spec.pk}/change/").content.decode()
    assert "Last test load" in page and str(missing) in page
