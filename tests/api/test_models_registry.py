"""The model registry (/api/models/) and a project's active model (/api/projects/{id}/model/)."""

import pytest

from annotator.models import Membership
from tests.factories import api, project, user
from worker.models import ModelSpec, ProjectModel

pytestmark = pytest.mark.django_db

GOOD = {"name": "llava-ov-7b", "title": "LLaVA OneVision 7B", "source": "llava-hf/llava-onevision-qwen2-7b-ov-hf"}


@pytest.fixture
def people():
    return {
        "staff": user("admin", staff=True),
        "manager": user("boss"),
        "annotator": user("ann"),
        "researcher": user("res"),
        "outsider": user("outsider"),
    }


@pytest.fixture
def proj(people):
    return project(
        members={
            people["manager"]: Membership.Role.MANAGER,
            people["annotator"]: Membership.Role.ANNOTATOR,
            people["researcher"]: Membership.Role.RESEARCHER,
        }
    )


def test_staff_create_read_update_and_delete_models(people):
    staff = api(people["staff"])
    response = staff.post("/api/models/", GOOD, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert {k: created[k] for k in GOOD} == GOOD
    assert created["revision"] == "" and created["dtype"] == "auto" and created["device"] == "auto"
    assert created["queue"] == "gpu" and created["batch_size"] == 16 and created["max_frames"] == 8
    assert created["trust_remote_code"] is False and created["enabled"] is True
    assert created["created_at"] and created["updated_at"]

    project(members={people["manager"]: Membership.Role.MANAGER, people["annotator"]: Membership.Role.ANNOTATOR})
    listed = api(people["manager"]).get("/api/models/").json()
    assert listed["count"] == 1 and listed["results"][0]["name"] == "llava-ov-7b"
    assert api(people["manager"]).get("/api/models/llava-ov-7b/").json()["source"] == GOOD["source"]
    # annotators and users of no project see no model source (tests/security/test_model_remote_code.py)
    assert api(people["annotator"]).get("/api/models/").json()["count"] == 0
    assert api(people["outsider"]).get("/api/models/llava-ov-7b/").status_code == 404
    assert api().get("/api/models/").status_code in (401, 403)

    response = staff.patch("/api/models/llava-ov-7b/", {"batch_size": 64, "queue": "default"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["batch_size"], response.json()["queue"]) == (64, "default")
    assert response.json()["updated_at"] > created["updated_at"]
    body = {**GOOD, "revision": " main ", "dtype": "bfloat16", "device": "cuda", "enabled": False}
    response = staff.put("/api/models/llava-ov-7b/", body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["revision"] == "main" and response.json()["enabled"] is False
    assert api(people["staff"]).get("/api/models/?enabled=false").json()["count"] == 1
    assert api(people["staff"]).get("/api/models/?enabled=true").json()["count"] == 0

    assert staff.delete("/api/models/llava-ov-7b/").status_code == 204
    assert not ModelSpec.objects.exists()
    assert staff.get("/api/models/llava-ov-7b/").status_code == 404


def test_only_staff_change_the_registry(people):
    ModelSpec.objects.create(name="m", source="/models/m")
    for who in ("manager", "annotator", "outsider"):
        client = api(people[who])
        assert client.post("/api/models/", GOOD, format="json").status_code == 403
        assert client.patch("/api/models/m/", {"enabled": False}, format="json").status_code == 403
        assert client.delete("/api/models/m/").status_code == 403
    response = api(people["manager"]).post("/api/models/", GOOD, format="json")
    assert response.json()["detail"] == "Only staff can change the model registry."
    assert list(ModelSpec.objects.values_list("name", "enabled")) == [("m", True)]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"name": "Not a slug!"}, "name"),
        ({"name": ""}, "name"),
        ({"source": "   "}, "source"),
        ({"source": None}, "source"),
        ({"dtype": "int8"}, "dtype"),
        ({"device": "tpu"}, "device"),
        ({"queue": "cpu"}, "queue"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 513}, "batch_size"),
        ({"batch_size": "many"}, "batch_size"),
        ({"max_frames": 0}, "max_frames"),
        ({"max_frames": 65}, "max_frames"),
        ({"trust_remote_code": "perhaps"}, "trust_remote_code"),
        ({"enabled": "sometimes"}, "enabled"),
        ({"gpu_count": 2}, "gpu_count"),
    ],
)
def test_bad_models_answer_400_naming_the_field(people, change, field):
    response = api(people["staff"]).post("/api/models/", {**GOOD, **change}, format="json")
    assert response.status_code == 400, response.content
    data = response.json()
    assert field in data["errors"] and data["detail"].startswith(field)
    assert not ModelSpec.objects.exists()


def test_names_are_unique_and_limits_are_inclusive(people):
    staff = api(people["staff"])
    assert staff.post("/api/models/", {**GOOD, "batch_size": 512, "max_frames": 64}, format="json").status_code == 201
    response = staff.post("/api/models/", {**GOOD, "batch_size": 1, "max_frames": 1}, format="json")
    assert response.status_code == 400 and "name" in response.json()["errors"]
    assert ModelSpec.objects.count() == 1


def test_a_model_in_use_cannot_be_deleted(people, proj):
    spec = ModelSpec.objects.create(name="m", source="/models/m")
    ProjectModel.objects.create(project=proj, model=spec)
    response = api(people["staff"]).delete("/api/models/m/")
    assert response.status_code == 409
    assert response.json()["detail"] == (
        f"model 'm' is the active model of project(s) {proj.pk}; "
        "choose another model for them (or disable this one) first"
    )
    assert ModelSpec.objects.filter(name="m").exists()


# --- a project's active model -------------------------------------------------------------------


def test_managers_set_the_project_model_and_members_read_it(people, proj):
    ModelSpec.objects.create(name="m1", source="/models/m1")
    ModelSpec.objects.create(name="m2", source="/models/m2", queue="default")
    url = f"/api/projects/{proj.pk}/model/"
    empty = api(people["annotator"]).get(url)
    assert empty.status_code == 200
    assert empty.json() == {
        "project": proj.pk,
        "model": None,
        "auto_prefill": None,
        "spec": None,
        "updated_by": None,
        "updated_at": None,
    }

    response = api(people["manager"]).put(url, {"model": "m1"}, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["project"], data["model"], data["auto_prefill"], data["updated_by"]) == (proj.pk, "m1", True, "boss")
    assert data["spec"]["name"] == "m1" and data["spec"]["queue"] == "gpu"

    response = api(people["staff"]).put(url, {"model": "m2", "auto_prefill": False}, format="json")
    assert response.status_code == 200
    active = ProjectModel.objects.get(project=proj)
    assert (active.model.name, active.auto_prefill, active.updated_by) == ("m2", False, people["staff"])
    for who in ("annotator", "researcher", "manager"):
        assert api(people[who]).get(url).json()["model"] == "m2"

    assert api(people["manager"]).delete(url).status_code == 204
    assert api(people["manager"]).delete(url).status_code == 204  # idempotent
    assert api(people["annotator"]).get(url).json()["model"] is None


def test_project_model_permissions(people, proj):
    ModelSpec.objects.create(name="m1", source="/models/m1")
    url = f"/api/projects/{proj.pk}/model/"
    for who in ("annotator", "researcher"):
        assert api(people[who]).put(url, {"model": "m1"}, format="json").status_code == 403
        assert api(people[who]).delete(url).status_code == 403
    assert api(people["outsider"]).get(url).status_code == 404
    assert api(people["outsider"]).put(url, {"model": "m1"}, format="json").status_code == 404
    assert api(people["manager"]).get("/api/projects/999999/model/").status_code == 404
    assert not ProjectModel.objects.exists()


@pytest.mark.parametrize(
    "body, field, message",
    [
        ({}, "model", "This field is required."),
        ({"model": ""}, "model", "This field may not be blank."),
        ({"model": "nope"}, "model", "no model named 'nope' (enabled models: m1)"),
        ({"model": "off"}, "model", "model 'off' is disabled"),
        ({"model": "m1", "auto_prefill": "maybe"}, "auto_prefill", "Must be a valid boolean."),
        ({"model": "m1", "auto_prefil": True}, "auto_prefil", "unknown field; allowed: model, auto_prefill"),
    ],
)
def test_bad_project_model_requests_answer_400_naming_the_field(people, proj, body, field, message):
    ModelSpec.objects.create(name="m1", source="/models/m1")
    ModelSpec.objects.create(name="off", source="/models/off", enabled=False)
    response = api(people["manager"]).put(f"/api/projects/{proj.pk}/model/", body, format="json")
    assert response.status_code == 400, response.content
    data = response.json()
    assert data["errors"][field] == [message] and data["detail"] == f"{field}: {message}"
    assert not ProjectModel.objects.exists()


def test_admin_edits_models_and_project_models(people, proj, client):
    admin = people["staff"]
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    assert client.get("/admin/worker/modelspec/").status_code == 200
    assert client.get("/admin/worker/modelspec/add/").status_code == 200
    response = client.post(
        "/admin/worker/modelspec/add/",
        {
            "name": "from-admin",
            "title": "",
            "source": "/models/x",
            "revision": "",
            "dtype": "auto",
            "device": "cpu",
            "queue": "gpu",
            "batch_size": 600,
            "max_frames": 8,
            "notes": "",
            "enabled": "on",
        },
    )
    assert response.status_code == 200 and not ModelSpec.objects.exists()  # 600 is over the limit
    assert b"less than or equal to 512" in response.content
    spec = ModelSpec.objects.create(name="m1", source="/models/m1")
    assert client.get(f"/admin/worker/modelspec/{spec.pk}/change/").status_code == 200
    response = client.post(
        "/admin/worker/projectmodel/add/", {"project": proj.pk, "model": spec.pk, "auto_prefill": "on"}
    )
    assert response.status_code == 302, response.content
    active = ProjectModel.objects.get(project=proj)
    assert active.updated_by == admin and active.auto_prefill
    assert client.get("/admin/worker/projectmodel/").status_code == 200
