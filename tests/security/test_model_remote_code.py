"""Attacks on the model registry (issue 13, item 7), over HTTP against a live server.

``trust_remote_code`` makes the workers run a model repository's own Python code: whoever can
turn it on (or point a trusted model at another repository or revision) runs code on the GPU
machines. Only admins with the ``worker.allow_remote_code`` permission (superusers have it) may,
with an explicit confirmation; each decision is recorded. Model sources are shown only to those
who may use them: staff, and the managers and researchers of projects (enabled models and
their projects' active ones); annotators and reviewers see none.
"""

from __future__ import annotations

import pytest
import requests
from django.contrib.auth.models import Permission, User

from annotator.models import Membership
from tests import factories as f
from tests.factories import api_token
from worker.models import ModelSpec, ProjectModel, RemoteCodeDecision

pytestmark = pytest.mark.django_db(transaction=True)

HUB = {"name": "sneaky", "source": "attacker/vlm-with-a-payload", "revision": "main"}


class Client:
    def __init__(self, base: str, user: User):
        self.base = base
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {api_token(user)}"

    def __getattr__(self, method):
        def call(path, **kwargs):
            return self.session.request(method.upper(), self.base + path, timeout=30, **kwargs)

        return call


@pytest.fixture
def people():
    staff = f.user("staffer", staff=True)
    root = User.objects.create_superuser("root", password="pw")
    return {
        "staff": staff,
        "root": root,
        "manager": f.user("manager"),
        "researcher": f.user("researcher"),
        "reviewer": f.user("reviewer"),
        "annotator": f.user("annotator"),
        "outsider": f.user("outsider"),
    }


@pytest.fixture
def clients(live_server, people):
    return {who: Client(live_server.url, user) for who, user in people.items()}


def decisions():
    return list(
        RemoteCodeDecision.objects.order_by("id").values_list(
            "model_name", "source", "revision", "trust_remote_code", "decided_by_name", "via"
        )
    )


def test_staff_who_are_not_admins_cannot_turn_remote_code_on(clients):
    staff = clients["staff"]
    response = staff.post("/api/models/", json={**HUB, "trust_remote_code": True, "confirm_trust_remote_code": True})
    assert response.status_code == 403, response.text
    assert "trust_remote_code" in response.json()["detail"] and "worker.allow_remote_code" in response.json()["detail"]
    assert not ModelSpec.objects.exists() and not decisions()

    assert staff.post("/api/models/", json=HUB).status_code == 201  # without remote code: fine
    response = staff.patch("/api/models/sneaky/", json={"trust_remote_code": True, "confirm_trust_remote_code": True})
    assert response.status_code == 403 and "trust_remote_code" in response.json()["detail"]
    assert ModelSpec.objects.get(name="sneaky").trust_remote_code is False and not decisions()


def test_admins_must_confirm_and_every_decision_is_recorded(clients, people):
    root, staff = clients["root"], clients["staff"]
    response = root.post("/api/models/", json={**HUB, "trust_remote_code": True})
    assert response.status_code == 400, response.text
    assert "confirm_trust_remote_code" in response.json()["errors"]
    assert "attacker/vlm-with-a-payload@main" in response.json()["detail"]
    assert not ModelSpec.objects.exists() and not decisions()

    response = root.post("/api/models/", json={**HUB, "trust_remote_code": True, "confirm_trust_remote_code": True})
    assert response.status_code == 201, response.text
    assert response.json()["trust_remote_code"] is True and "confirm_trust_remote_code" not in response.json()
    assert decisions() == [("sneaky", HUB["source"], "main", True, "root", "api")]

    # a trusted model pointed at other code is a new decision: staff may not, admins confirm it
    for change in ({"source": "attacker/other"}, {"revision": "evil-commit"}):
        response = staff.patch("/api/models/sneaky/", json=change)
        assert response.status_code == 403 and "trust_remote_code" in response.json()["detail"], response.text
        response = root.patch("/api/models/sneaky/", json=change)
        assert response.status_code == 400 and "confirm_trust_remote_code" in response.json()["errors"]
    assert ModelSpec.objects.get(name="sneaky").revision == "main"
    response = root.patch("/api/models/sneaky/", json={"revision": "v2", "confirm_trust_remote_code": True})
    assert response.status_code == 200, response.text
    # other settings of a trusted model: any staff, no new decision
    assert staff.patch("/api/models/sneaky/", json={"batch_size": 8}).status_code == 200
    # turning it off: any staff, recorded
    assert staff.patch("/api/models/sneaky/", json={"trust_remote_code": False}).status_code == 200
    assert decisions() == [
        ("sneaky", HUB["source"], "main", True, "root", "api"),
        ("sneaky", HUB["source"], "v2", True, "root", "api"),
        ("sneaky", HUB["source"], "v2", False, "staffer", "api"),
    ]
    stamps = RemoteCodeDecision.objects.values_list("decided_at", flat=True)
    assert all(stamps) and RemoteCodeDecision.objects.filter(decided_by=people["root"]).count() == 2


def test_the_dedicated_permission_lets_a_staff_member_decide(clients, people):
    people["staff"].user_permissions.add(Permission.objects.get(codename="allow_remote_code"))
    body = {**HUB, "trust_remote_code": True, "confirm_trust_remote_code": True}
    assert clients["staff"].post("/api/models/", json=body).status_code == 201
    assert decisions() == [("sneaky", HUB["source"], "main", True, "staffer", "api")]


def test_model_sources_are_shown_only_to_those_who_may_use_them(clients, people):
    mine = f.project(
        members={
            people["manager"]: Membership.Role.MANAGER,
            people["researcher"]: Membership.Role.RESEARCHER,
            people["reviewer"]: Membership.Role.REVIEWER,
            people["annotator"]: Membership.Role.ANNOTATOR,
        }
    )
    other = f.project(name="other")
    ModelSpec.objects.create(name="enabled", source="/models/enabled")
    mine_disabled = ModelSpec.objects.create(name="ours-disabled", source="/models/ours", enabled=False)
    theirs = ModelSpec.objects.create(name="theirs-disabled", source="/models/secret-lab-model", enabled=False)
    ProjectModel.objects.create(project=mine, model=mine_disabled)
    ProjectModel.objects.create(project=other, model=theirs)

    def names(who):
        response = clients[who].get("/api/models/")
        assert response.status_code == 200, response.text
        return sorted(m["name"] for m in response.json()["results"])

    assert names("staff") == ["enabled", "ours-disabled", "theirs-disabled"]
    for who in ("manager", "researcher"):
        assert names(who) == ["enabled", "ours-disabled"]
        assert clients[who].get("/api/models/theirs-disabled/").status_code == 404
    for who in ("reviewer", "annotator", "outsider"):
        assert names(who) == []
        assert clients[who].get("/api/models/enabled/").status_code == 404
    # the project's active model: members read its name, only those who may see models its source
    for who in ("annotator", "reviewer"):
        data = clients[who].get(f"/api/projects/{mine.pk}/model/").json()
        assert data["model"] == "ours-disabled" and data["spec"] is None
    assert clients["manager"].get(f"/api/projects/{mine.pk}/model/").json()["spec"]["source"] == "/models/ours"


def test_the_admin_form_asks_admins_to_confirm_and_refuses_other_staff(client, people):
    form = {
        "name": "sneaky",
        "title": "",
        "enabled": "on",
        "notes": "",
        "source": HUB["source"],
        "revision": "main",
        "trust_remote_code": "on",
        "queue": "gpu",
        "device": "auto",
        "dtype": "auto",
        "batch_size": "16",
        "max_frames": "8",
    }
    staff = people["staff"]
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["add_modelspec", "change_modelspec"]))
    client.force_login(staff)
    response = client.post("/admin/worker/modelspec/add/", form)
    assert response.status_code == 200 and "may not let a model source run its own code" in response.content.decode()
    client.force_login(people["root"])
    response = client.post("/admin/worker/modelspec/add/", form)
    assert response.status_code == 200 and "confirm that this model" in response.content.decode()
    assert not ModelSpec.objects.exists()
    response = client.post("/admin/worker/modelspec/add/", {**form, "confirm_trust_remote_code": "on"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert decisions() == [("sneaky", HUB["source"], "main", True, "root", "admin")]
    # the audit trail is in the admin, read-only
    response = client.get("/admin/worker/remotecodedecision/")
    assert response.status_code == 200 and "attacker/vlm-with-a-payload" in response.content.decode()
    assert client.get("/admin/worker/remotecodedecision/add/").status_code == 403
