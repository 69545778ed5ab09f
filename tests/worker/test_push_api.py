"""Publishing a dataset version to the Hub: ``POST /api/dataset-versions/<pk>/push/`` with a
token for that push (or the server's ``HF_TOKEN``), through huggingface_hub's real client to a
local server speaking the Hub's endpoints (``tests/hub_server.py``, named by ``HF_ENDPOINT``).
The token given for a push is never in the database, the job's JSON or its log, and is gone
from the cache when the job ends."""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.core import serializers
from django.core.cache import cache

from tests import factories as f
from tests.hub_server import READ_TOKEN, WRITE_TOKEN, fake_hub_fixture
from tests.worker.test_export_jobs import annotated, export  # noqa: F401 (a fixture)
from worker.exports import credentials
from worker.models import Job

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake_hub(settings, monkeypatch):
    hub = fake_hub_fixture(settings, monkeypatch)
    yield hub
    hub.stop()


@pytest.fixture
def ready_version(eager, annotated, image_project, people, django_capture_on_commit_callbacks):  # noqa: F811
    return export(f.api(people["manager"]), image_project, django_capture_on_commit_callbacks)


def push(client, version, capture, body, *, execute=True):
    with capture(execute=execute):
        return client.post(f"/api/dataset-versions/{version.pk}/push/", body, format="json")


def everything_stored() -> str:
    """Every row of every table, as JSON."""
    return "\n".join(serializers.serialize("json", model.objects.all()) for model in apps.get_models())


def test_a_push_with_its_own_token_uploads_the_version_and_keeps_the_token_nowhere(
    fake_hub, ready_version, people, settings, django_capture_on_commit_callbacks
):
    settings.HF_TOKEN = ""
    client = f.api(people["manager"])
    options = client.get(f"/api/dataset-versions/{ready_version.pk}/push/")
    assert options.status_code == 200 and options.json() == {"endpoint": fake_hub.url, "server_token": False}

    # queued, not yet run: the database holds one share, the cache the other; neither is the token
    response = push(
        client,
        ready_version,
        django_capture_on_commit_callbacks,
        {"repo_id": "lab/hpd", "token": WRITE_TOKEN},
        execute=False,
    )
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["id"])
    share = job.params[credentials.SHARE]
    held = cache.get(share["key"])
    assert held and WRITE_TOKEN not in held and WRITE_TOKEN.encode().hex() not in (held, share["pad"])
    assert WRITE_TOKEN not in everything_stored()
    shown = client.get(f"/api/jobs/{job.pk}/").json()
    assert credentials.SHARE not in shown["params"] and shown["params"]["token_source"] == "request"
    assert WRITE_TOKEN not in json.dumps(shown) and share["pad"] not in json.dumps(shown)

    from worker.jobs import execute

    execute(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, (job.error, job.log)
    assert job.result["url"] == f"{fake_hub.url}/datasets/lab/hpd"
    assert job.result["commit_url"].startswith(f"{fake_hub.url}/datasets/lab/hpd/commit/")
    assert {auth for _, _, auth in fake_hub.requests} == {f"Bearer {WRITE_TOKEN}"}
    repo = fake_hub.repos["lab/hpd"]
    assert repo.private is True  # the default
    assert set(repo.files) == set(ready_version.files)
    assert repo.files["README.md"] == (ready_version.folder / "README.md").read_bytes()
    ready_version.refresh_from_db()
    assert ready_version.pushes[0]["url"] == job.result["url"] and ready_version.pushes[0]["by"] == "manager"

    # the job ended: both shares are gone, and the token was never written anywhere
    assert credentials.SHARE not in job.params and cache.get(share["key"]) is None
    detail = client.get(f"/api/jobs/{job.pk}/").json()
    assert WRITE_TOKEN not in json.dumps(detail)
    assert WRITE_TOKEN not in everything_stored()
    # a retry cannot work without the token: it says so
    retry = client.post(f"/api/jobs/{job.pk}/retry/")
    assert retry.status_code == 400


def test_without_a_token_the_servers_hf_token_is_used_and_public_is_a_choice(
    fake_hub, ready_version, people, settings, django_capture_on_commit_callbacks
):
    settings.HF_TOKEN = WRITE_TOKEN
    client = f.api(people["researcher"])
    assert client.get(f"/api/dataset-versions/{ready_version.pk}/push/").json()["server_token"] is True
    response = push(
        client, ready_version, django_capture_on_commit_callbacks, {"repo_id": "lab/open", "private": False}
    )
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == Job.State.SUCCEEDED, (job.error, job.log)
    assert job.params["token_source"] == "server" and credentials.SHARE not in job.params
    assert fake_hub.repos["lab/open"].private is False
    assert {auth for _, _, auth in fake_hub.requests} == {f"Bearer {WRITE_TOKEN}"}


def test_bad_push_requests_name_the_field_never_echo_the_token_and_create_nothing(
    fake_hub, ready_version, people, settings, django_capture_on_commit_callbacks
):
    settings.HF_TOKEN = ""
    client = f.api(people["manager"])
    cases = [
        ({"repo_id": "no-owner", "token": WRITE_TOKEN}, "repo_id"),
        ({"repo_id": "lab/hpd", "private": "yes", "token": WRITE_TOKEN}, "private"),
        ({"repo_id": "lab/hpd"}, "token"),  # no token, and the server has none
        ({"repo_id": "lab/hpd", "token": 12345678}, "token"),
        ({"repo_id": "lab/hpd", "token": "hf_with a space in it"}, "token"),
        ({"repo_id": "lab/hpd", "token": WRITE_TOKEN, "tokn": "x"}, "tokn"),
    ]
    for body, field in cases:
        response = push(client, ready_version, django_capture_on_commit_callbacks, body)
        assert response.status_code == 400, body
        errors = response.json()["errors"]
        assert field in errors, (body, errors)
        assert WRITE_TOKEN not in response.content.decode() and "with a space" not in response.content.decode()
        if "token" not in body:
            assert "the server has no HF_TOKEN" in errors["token"][0]
    assert not Job.objects.filter(kind="push").exists()
    assert fake_hub.requests == []
    outsider = f.api(people["outsider"])
    assert (
        outsider.post(f"/api/dataset-versions/{ready_version.pk}/push/", {"repo_id": "a/b"}, format="json").status_code
        == 404
    )
    assert outsider.get(f"/api/dataset-versions/{ready_version.pk}/push/").status_code == 404


def test_the_hubs_401_and_403_fail_the_job_with_a_reason_and_drop_the_token(
    fake_hub, ready_version, people, settings, django_capture_on_commit_callbacks
):
    settings.HF_TOKEN = ""
    client = f.api(people["manager"])
    wrong = "hf_notATokenTheHubKnows000000000000"
    response = push(client, ready_version, django_capture_on_commit_callbacks, {"repo_id": "lab/hpd", "token": wrong})
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == Job.State.FAILED and job.attempts == 1  # not retried: another try cannot fix it
    assert job.error.startswith("the Hub refused the token (401)"), job.error
    assert credentials.SHARE not in job.params
    assert wrong not in everything_stored()
    retry = client.post(f"/api/jobs/{job.pk}/retry/")
    assert retry.status_code == 400 and "start a new push" in json.dumps(retry.json())

    response = push(
        client, ready_version, django_capture_on_commit_callbacks, {"repo_id": "lab/hpd", "token": READ_TOKEN}
    )
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == Job.State.FAILED
    assert job.error.startswith("the token may not write to lab on the Hub (403)"), job.error
    assert "lab/hpd" not in fake_hub.repos
    assert READ_TOKEN not in everything_stored()


def test_a_token_whose_share_expired_fails_the_push_saying_so_and_a_cancel_drops_it(
    fake_hub, ready_version, people, settings, django_capture_on_commit_callbacks
):
    from worker.jobs import execute

    settings.HF_TOKEN = ""
    client = f.api(people["manager"])
    body = {"repo_id": "lab/hpd", "token": WRITE_TOKEN}
    job_id = push(client, ready_version, django_capture_on_commit_callbacks, body, execute=False).json()["id"]
    cache.delete(Job.objects.get(pk=job_id).params[credentials.SHARE]["key"])  # as the TTL would
    execute(job_id)
    job = Job.objects.get(pk=job_id)
    assert job.state == Job.State.FAILED and "no longer held" in job.error
    assert fake_hub.requests == []

    job_id = push(client, ready_version, django_capture_on_commit_callbacks, body, execute=False).json()["id"]
    key = Job.objects.get(pk=job_id).params[credentials.SHARE]["key"]
    assert client.post(f"/api/jobs/{job_id}/cancel/").status_code == 200
    job = Job.objects.get(pk=job_id)
    assert job.state == Job.State.CANCELLED and credentials.SHARE not in job.params and cache.get(key) is None
