"""What the schema fuzzer (``test_schema_fuzz.py``) found, one focused test each: requests that
used to answer 500 and now answer 400 naming the field, with nothing written."""

from __future__ import annotations

import uuid

import pytest

from annotator.models import ChecklistVersion, Membership
from datasets_app.models import DatasetVersion
from tests import factories as f
from worker.models import Job, ModelSpec, RefitPolicy

pytestmark = pytest.mark.django_db

TOO_BIG = 2**63  # past PostgreSQL's bigint


@pytest.fixture
def people():
    return {"staff": f.user("staffer", staff=True), "annotator": f.user("annotator1"), "manager": f.user("boss")}


@pytest.fixture
def project(people):
    p = f.project(members={people["annotator"]: Membership.Role.ANNOTATOR, people["manager"]: Membership.Role.MANAGER})
    f.ready_asset(p)
    return p


@pytest.fixture
def full(people, project, django_capture_on_commit_callbacks, settings):
    """One row at least in every paginated list: an answer, a review item, a job, a dataset
    version, an active weight set with its scores."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    client, boss = f.api(people["annotator"]), f.api(people["manager"])
    claimed = client.post(f"/api/projects/{project.pk}/tasks/next/", {}, format="json").json()
    options = f.full_image_options(project.checklist_version.checklist)
    body = {"options": options, "client_id": str(uuid.uuid4())}
    assert client.post(f"/api/assignments/{claimed['id']}/submit/", body, format="json").status_code == 201
    ModelSpec.objects.create(name="vlm", source="/nowhere")
    ws = boss.post(f"/api/projects/{project.pk}/weight-sets/", {"source": "public"}, format="json").json()
    with django_capture_on_commit_callbacks(execute=True):  # the score job runs
        assert boss.post(f"/api/projects/{project.pk}/weight-sets/{ws['id']}/promote/").status_code == 200
    assert boss.post("/api/exports/", {"name": "hpd", "projects": [project.pk]}, format="json").status_code == 202
    return project


@pytest.mark.parametrize(
    "url",
    [
        "/api/projects/",
        "/api/assets/",
        "/api/assignments/",
        "/api/annotations/",
        "/api/jobs/",
        "/api/dataset-versions/",
        "/api/checklists/",
        "/api/models/",
        "/api/projects/{p}/assets/",
        "/api/projects/{p}/tasks/",
        "/api/projects/{p}/members/",
        "/api/projects/{p}/predictions/",
        "/api/projects/{p}/review-items/",
        "/api/projects/{p}/weight-sets/",
        "/api/projects/{p}/scores/",
    ],
)
def test_a_huge_page_limit_is_cut_to_the_largest_page(people, full, url):
    """``?limit=2**63`` went into SQL's LIMIT: "bigint out of range", a 500."""
    who = "manager" if "predictions" in url else "annotator" if "assignments" in url else "staff"
    client = f.api(people[who])
    url = url.format(p=full.pk)
    if "predictions" in url:
        p_yes = {q.key: 0.5 for q in full.checklist_version.checklist.questions}
        asset = full.assets.first().pk
        client.post(url, {"asset": asset, "model_name": "m", "p_yes": p_yes}, format="json")
    response = client.get(url, {"limit": TOO_BIG})
    assert response.status_code == 200, response.content[:300]
    assert response.json()["count"] > 0, "the list must not be empty, or no LIMIT is sent at all"
    assert client.get(url, {"limit": TOO_BIG, "offset": TOO_BIG}).status_code == 200
    assert client.get(url, {"limit": 5000}).status_code == 200


def test_a_huge_limit_still_pages_through_everything(people, project):
    client = f.api(people["staff"])
    for n in range(3):
        f.project(name=f"more {n}")
    first = client.get("/api/projects/", {"limit": TOO_BIG}).json()
    assert first["count"] == 4 and len(first["results"]) == 4 and first["next"] is None


def test_a_checklist_with_control_characters_is_refused_naming_the_file(people):
    """YAML's reader refused "\\x1b" before parsing started, outside the parser's error handling."""
    before = ChecklistVersion.objects.count()
    response = f.api(people["staff"]).post(
        "/api/checklists/", {"content": "\x1b", "filename": "mine.yaml"}, format="multipart"
    )
    assert response.status_code == 400, response.content[:300]
    assert "mine.yaml" in response.json()["detail"] and "#x001b" in response.json()["detail"]
    assert ChecklistVersion.objects.count() == before


@pytest.mark.parametrize("value", ["{}", "abc", ["x"], 3])
def test_export_settings_that_are_not_an_object_are_refused_naming_the_field(people, project, value):
    """``dict("abc")`` raised ValueError: a 500 for a JSON string, or any multipart form."""
    body = {"name": "hpd", "projects": [project.pk], "settings": value}
    response = f.api(people["manager"]).post("/api/exports/", body, format="json")
    assert response.status_code == 400, response.content[:300]
    assert "settings" in response.json()["errors"], response.json()
    assert not DatasetVersion.objects.exists() and not Job.objects.exists()


def test_a_multipart_export_request_is_refused_naming_the_field(people, project):
    body = {"name": "hpd", "description": "x", "settings": "{}"}
    response = f.api(people["manager"]).post("/api/exports/", body, format="multipart")
    assert response.status_code == 400, response.content[:300]
    assert "settings" in response.json()["errors"] and "projects" in response.json()["errors"]
    assert not DatasetVersion.objects.exists()


def test_refit_policy_min_new_pairs_past_the_column_is_refused_naming_the_field(people, project):
    """2**31 does not fit the integer column: "integer out of range", a 500."""
    url = f"/api/projects/{project.pk}/refit-policy/"
    response = f.api(people["manager"]).put(
        url, {"enabled": True, "min_new_pairs": 2**31, "settings": {}}, format="json"
    )
    assert response.status_code == 400, response.content[:300]
    assert "min_new_pairs" in response.json()["errors"]
    assert not RefitPolicy.objects.filter(project=project).exclude(min_new_pairs=50).exists()


def test_a_username_with_a_nul_character_is_refused_naming_the_field(people, project):
    """PostgreSQL text cannot hold NUL: looking the user up raised DataError, a 500."""
    url = f"/api/projects/{project.pk}/members/"
    response = f.api(people["manager"]).post(url, {"username": "a\x00b", "role": "annotator"}, format="json")
    assert response.status_code == 400, response.content[:300]
    assert "username" in response.json()["errors"]
    assert project.memberships.count() == 2


def test_a_prefill_model_name_with_a_nul_character_is_refused_naming_the_field(people, project):
    """The model was looked up by name as sent: DataError, a 500."""
    ModelSpec.objects.create(name="vlm", source="/nowhere")
    url = f"/api/projects/{project.pk}/prefill/"
    response = f.api(people["manager"]).post(url, {"model": "vlm\x00"}, format="json")
    assert response.status_code == 400, response.content[:300]
    assert "model" in response.json()["errors"]
    assert not Job.objects.exists()


def test_a_prediction_filter_with_a_nul_character_is_refused_naming_the_field(people, project):
    """``?model_name=x%00`` went into the query as it was: DataError, a 500."""
    url = f"/api/projects/{project.pk}/predictions/"
    response = f.api(people["annotator"]).get(url, {"model_name": "x\x00"})
    assert response.status_code == 400, response.content[:300]
    assert "model_name" in response.json()["errors"]
    assert f.api(people["annotator"]).get(url, {"model_name": "x"}).status_code == 200


@pytest.fixture
def ready_version(people, project, settings, django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with django_capture_on_commit_callbacks(execute=True):
        body = {"name": "hpd", "projects": [project.pk]}
        response = f.api(people["manager"]).post("/api/exports/", body, format="json")
    version = DatasetVersion.objects.get(pk=response.json()["dataset_version"]["id"])
    assert version.state == DatasetVersion.State.READY, version.error
    return version


@pytest.mark.parametrize("digit", ["²", "³4"])  # str.isdigit() is true for them; int() refuses them
def test_ids_written_with_superscript_digits_are_refused_not_a_server_error(people, project, ready_version, digit):
    """The id checks used ``str.isdigit()`` and then ``int()``: ValueError, a 500."""
    asset = project.assets.first()
    manager = f.api(people["manager"])
    cases = [
        (f"/api/projects/{project.pk}/predictions/", {"asset": digit}, 400, "asset"),
        (f"/api/projects/{project.pk}/compare/", {"a": digit, "b": asset.pk}, 400, "a"),
        (f"/api/dataset-versions/{ready_version.pk}/diff/", {"against": digit}, 400, "against"),
        (f"/api/assets/{asset.pk}/files/frames/{digit}", {}, 404, None),
    ]
    for url, query, status, field in cases:
        response = manager.get(url, query)
        assert response.status_code == status, (url, response.status_code, response.content[:300])
        if field:
            assert field in response.json()["errors"], (url, response.json())
