"""Project isolation, broken on purpose: an annotator (and a manager) of project A guesses the ids
of project B's objects and tries every endpoint family on them.

Two projects, each with its own annotator and manager and a full set of objects made through the
API (assets with files on disk, tasks, an active assignment with a draft, submitted annotations,
a gold answer, a prediction, weight sets, jobs, a ready dataset version). For every endpoint:

- A's annotator and A's manager get 404 for B's ids (a project you are not in is not revealed),
  or, where A's own project is in the path and only a nested id is B's, the answer A's member
  would get for a missing object (404, 403 for a capability the role lacks, 400 naming the field);
- the answer is the same as for an id that never existed (no existence oracle);
- nothing of B appears in any answer (every B name carries a marker string);
- nothing changed: every row of the platform's tables and every file under the media and
  dataset roots are as before;
- the same request by B's own member is not refused (so the 404 is isolation, not a wrong id).

The objects are built once per module inside a transaction that is rolled back at the end; each
test runs in a savepoint of it.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import TestCase, override_settings

from annotator.models import Annotation, Assignment, GoldCheck, Membership, Task
from datasets_app.models import DatasetVersion
from tests import factories as f
from tests.worker.conftest import jpeg_bytes
from worker import jobs
from worker.models import Job, ModelSpec, WeightSet

MARK = "zzsecretb"  # in every name, prompt, label and comment of project B
GHOST = 900_000_000  # ids from here on never exist
APPS = ("annotator", "worker", "datasets_app", "auth", "django_celery_beat")


# --- the two projects ---------------------------------------------------------------------------------


def _ok(response, *codes):
    assert response.status_code in (codes or (200, 201, 202)), (response.status_code, response.content[:500])
    return response.json() if response.content else None


def _export(client, project, name):
    with TestCase.captureOnCommitCallbacks(execute=True):
        body = _ok(client.post("/api/exports/", {"name": name, "projects": [project.pk]}, format="json"))
    version = DatasetVersion.objects.get(pk=body["dataset_version"]["id"])
    assert version.state == DatasetVersion.State.READY, (version.state, version.error)
    return version


def _populate(project, annotator, manager, tag: str) -> dict:
    """Assets, answers, review, prediction, weight sets, jobs and a ready dataset version of one
    project, made through the API as its own members. ``tag`` goes into every name."""
    ids: dict = {}
    checklist = project.checklist_version.checklist
    options = f.full_image_options(checklist)
    assets = [
        f.ready_asset(project, prompt=f"{tag} prompt 1", name=f"{tag}-{n}.jpg", content=jpeg_bytes(32 + n, 24))
        for n in range(2)
    ] + [f.ready_asset(project, prompt=f"{tag} prompt 2", name=f"{tag}-2.jpg", content=jpeg_bytes(40, 30))]
    ids.update(asset1=assets[0].pk, asset2=assets[1].pk, asset3=assets[2].pk)
    worker, boss = f.api(annotator), f.api(manager)
    url = f"/api/projects/{project.pk}"

    submitted = []
    for _ in range(2):
        claimed = _ok(worker.post(f"{url}/tasks/next/", {}, format="json"))
        body = {"client_id": str(uuid.uuid4()), "options": options, "comment": f"{tag} comment", "time_spent_ms": 9}
        submitted.append(_ok(worker.post(f"/api/assignments/{claimed['id']}/submit/", body, format="json")))
    live = _ok(worker.post(f"{url}/tasks/next/", {}, format="json"))
    _ok(
        worker.put(
            f"/api/assignments/{live['id']}/draft/", {"options": {checklist.sub_dimensions[0].key: 1}}, format="json"
        )
    )
    ids.update(
        annotation1=submitted[0]["id"],
        annotation2=submitted[1]["id"],
        task1=submitted[0]["task"],
        task2=submitted[1]["task"],
        assignment=live["id"],
        task3=live["task"]["id"] if isinstance(live["task"], dict) else live["task"],
    )
    _ok(boss.post(f"{url}/tasks/{ids['task1']}/review/", {"accept": ids["annotation1"]}, format="json"))
    gold = {"from_gold_answer": True, "comment": f"{tag} gold check"}
    _ok(boss.post(f"{url}/tasks/{ids['task1']}/gold-check/", gold, format="json"))
    p_yes = {q.key: 0.75 for q in checklist.questions}
    ids["prediction"] = _ok(
        boss.post(
            f"{url}/predictions/", {"asset": ids["asset3"], "model_name": f"{tag}-model", "p_yes": p_yes}, format="json"
        )
    )["id"]
    pair = _ok(boss.post(f"{url}/pairs/", {"pairs": [[ids["asset1"], ids["asset2"]]]}, format="json"))
    ids["pair_task"] = pair[0]["id"]
    public = _ok(boss.post(f"{url}/weight-sets/", {"source": "public", "label": f"{tag} public"}, format="json"))
    _ok(boss.post(f"{url}/weight-sets/{public['id']}/promote/"))
    candidate = _ok(
        boss.post(f"{url}/weight-sets/", {"coefficients": {"q8": 1.0}, "label": f"{tag} candidate"}, format="json")
    )
    ids.update(weight_set=public["id"], candidate=candidate["id"])
    ids["membership"] = Membership.objects.get(project=project, user=annotator).pk
    ids["manager_membership"] = Membership.objects.get(project=project, user=manager).pk
    upload = SimpleUploadedFile(f"{tag}-upload.jpg", jpeg_bytes(20, 20), content_type="image/jpeg")
    ids["import_job"] = _ok(boss.post(f"{url}/imports/", {"files": [upload]}, format="multipart"))["id"]
    version = _export(boss, project, f"{tag}-data")
    ids.update(version=version.pk, export_job=version.job_id)
    ids["score_job"] = Job.objects.filter(project=project, kind=Job.Kind.SCORE).order_by("id").first().pk
    return ids


@dataclass
class World:
    ids: dict  # "A", "B" and "a_<name>" / "b_<name>" → id
    users: dict  # role name → username
    media: Path
    datasets: Path

    def client(self, who: str):
        # a fresh user object per request: permissions cache roles on the user
        return f.api(get_user_model().objects.get(username=self.users[who]))


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("isolation-media")
    datasets = tmp_path_factory.mktemp("isolation-datasets")
    users = {
        "a_annotator": "a-annotator",
        "a_manager": "a-manager",
        "b_annotator": f"b-annotator-{MARK}",
        "b_manager": f"b-manager-{MARK}",
    }
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=media, VR_DATASETS_ROOT=datasets, PASSWORD_HASHERS=fast, CELERY_TASK_ALWAYS_EAGER=True
        ),
    ):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            people = {role: f.user(name) for role, name in users.items()}
            ModelSpec.objects.create(name="isolation-vlm", source="/nonexistent/model")
            role = Membership.Role
            pa = f.project(
                name="project A", members={people["a_annotator"]: role.ANNOTATOR, people["a_manager"]: role.MANAGER}
            )
            pb = f.project(
                name=f"project B {MARK}",
                instructions=f"{MARK} instructions",
                members={people["b_annotator"]: role.ANNOTATOR, people["b_manager"]: role.MANAGER},
            )
            ids = {"A": pa.pk, "B": pb.pk}
            ids.update({f"a_{k}": v for k, v in _populate(pa, people["a_annotator"], people["a_manager"], "a").items()})
            ids.update(
                {f"b_{k}": v for k, v in _populate(pb, people["b_annotator"], people["b_manager"], MARK).items()}
            )
            f.api(people["b_manager"]).put(f"/api/projects/{pb.pk}/model/", {"model": "isolation-vlm"}, format="json")
            yield World(ids=ids, users=users, media=media, datasets=datasets)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _media_root(world, settings):
    """Overrides the suite's per-test media folder: the world's files live for the module."""
    settings.MEDIA_ROOT = world.media
    yield world.media


@pytest.fixture(autouse=True)
def _datasets_root(world, settings):
    settings.VR_DATASETS_ROOT = world.datasets
    yield world.datasets


# --- what is checked --------------------------------------------------------------------------------


def db_state() -> dict:
    out = {}
    for label in APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            out[model._meta.label] = list(model.objects.order_by("pk").values())
    return out


def files_state(*roots: Path) -> dict:
    return {str(p): p.stat().st_size for root in roots for p in sorted(Path(root).rglob("*")) if p.is_file()}


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content


def normalized(response) -> tuple[int, str]:
    """Status and body with every number blanked: an answer for a real id must read like the
    answer for an id that never existed."""
    return response.status_code, re.sub(r"\d+", "<n>", body_of(response).decode("utf-8", "replace"))


def assert_db_unchanged(before: dict, after: dict, what: str) -> None:
    changed = [label for label in before if before[label] != after[label]]
    assert not changed, f"{what} changed rows of {changed}"


@dataclass(frozen=True)
class Probe:
    """One request of A's member at B's objects. ``url`` and ``body`` are templates over the
    world's ids ("{B}", "{b_asset1}", ...)."""

    name: str
    method: str
    url: str
    body: object = None
    expect: tuple = (404,)
    fmt: str = "json"
    owner: str | None = None  # B's member for whom the same request is not refused
    errors: str | None = None  # a 400 must name this field

    def render(self, ids: dict, *, ghost: bool = False):
        values = dict(ids)
        if ghost:
            keys = sorted(k for k in ids if k == "B" or k.startswith("b_"))
            values.update({k: GHOST + n for n, k in enumerate(keys)})
        body = self.body(values) if callable(self.body) else _fill(self.body, values)
        return self.url.format(**values), body


def _fill(template, values: dict):
    """``"{b_asset1}"`` → that id, inside dicts and lists; other values as they are."""
    if isinstance(template, dict):
        return {k: _fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill(v, values) for v in template]
    if isinstance(template, str) and re.fullmatch(r"\{\w+\}", template):
        return values[template[1:-1]]
    return template


def send(client, probe: Probe, url: str, body):
    method = getattr(client, probe.method.lower())
    if probe.fmt == "multipart":
        return method(url, body, format="multipart")
    if body is None:
        return method(url)
    return method(url, body, format="json")


def _upload(_ids):
    return {"files": [SimpleUploadedFile("stolen.jpg", jpeg_bytes(16, 16), content_type="image/jpeg")]}


def _submit(_ids):
    """A complete, valid answer: were the object reachable, it would be written."""
    return {"client_id": str(uuid.UUID(int=7)), "options": f.full_image_options(f.builtin().checklist)}


def _project(_ids):
    return {"name": "taken", "media_type": "image", "checklist_version": f.builtin().pk}


def _gold(_ids):
    return {"options": f.full_image_options(f.builtin().checklist), "comment": "stolen"}


def _prediction(ids):
    p_yes = {q.key: 0.5 for q in f.builtin().checklist.questions}
    return {"asset": ids["b_asset1"], "model_name": "stolen", "p_yes": p_yes}


B = "/api/projects/{B}"
A = "/api/projects/{A}"

PROBES = [
    # projects
    Probe("project detail", "GET", B + "/", owner="b_annotator"),
    Probe("project patch", "PATCH", B + "/", {"name": "taken"}, owner="b_manager"),
    Probe("project put", "PUT", B + "/", _project, owner="b_manager"),
    Probe("project progress", "GET", B + "/progress/", owner="b_annotator"),
    Probe("project pairs", "POST", B + "/pairs/", {"pairs": [["{b_asset1}", "{b_asset3}"]]}, owner="b_manager"),
    # memberships
    Probe("members list", "GET", B + "/members/", owner="b_annotator"),
    Probe("member detail", "GET", B + "/members/{b_membership}/", owner="b_annotator"),
    Probe("member add self", "POST", B + "/members/", {"username": "a-annotator", "role": "manager"}),
    Probe("member role change", "PATCH", B + "/members/{b_membership}/", {"role": "manager"}, owner="b_manager"),
    Probe("member delete", "DELETE", B + "/members/{b_membership}/", owner="b_manager"),
    Probe("member of B via A", "GET", A + "/members/{b_membership}/"),
    Probe("member of B patched via A", "PATCH", A + "/members/{b_membership}/", {"role": "annotator"}, (403, 404)),
    Probe("member of B deleted via A", "DELETE", A + "/members/{b_manager_membership}/", expect=(403, 404)),
    # assets and their files (media)
    Probe("asset detail", "GET", "/api/assets/{b_asset1}/", owner="b_annotator"),
    Probe("project assets list", "GET", B + "/assets/", owner="b_annotator"),
    Probe("project asset detail", "GET", B + "/assets/{b_asset1}/", owner="b_annotator"),
    Probe("asset of B via A", "GET", A + "/assets/{b_asset1}/"),
    Probe("asset file original", "GET", "/api/assets/{b_asset1}/files/original", owner="b_annotator"),
    Probe("asset file display", "GET", "/api/assets/{b_asset1}/files/display", owner="b_annotator"),
    Probe("asset file thumbnail", "GET", "/api/assets/{b_asset1}/files/thumbnail", owner="b_annotator"),
    Probe("asset file frame", "GET", "/api/assets/{b_asset1}/files/frames/0", owner="b_annotator"),
    # tasks
    Probe("tasks next", "POST", B + "/tasks/next/", {}, owner="b_manager"),
    Probe("tasks list", "GET", B + "/tasks/", owner="b_manager"),
    Probe("task detail", "GET", B + "/tasks/{b_task1}/", owner="b_manager"),
    Probe("task of B via A", "GET", A + "/tasks/{b_task1}/"),
    # assignments
    Probe("assignment detail", "GET", "/api/assignments/{b_assignment}/", owner="b_annotator"),
    Probe("assignment heartbeat", "POST", "/api/assignments/{b_assignment}/heartbeat/", owner="b_annotator"),
    Probe("assignment draft", "PUT", "/api/assignments/{b_assignment}/draft/", {"options": {}}, owner="b_annotator"),
    Probe("assignment submit", "POST", "/api/assignments/{b_assignment}/submit/", _submit, owner="b_annotator"),
    Probe("assignment skip", "POST", "/api/assignments/{b_assignment}/skip/", {"reason": "x"}, owner="b_annotator"),
    # annotations (answers)
    Probe("annotation detail", "GET", "/api/annotations/{b_annotation2}/", owner="b_annotator"),
    Probe("annotation revise", "PUT", "/api/annotations/{b_annotation2}/", _submit, owner="b_annotator"),
    Probe("annotation review", "POST", "/api/annotations/{b_annotation2}/review/", owner="b_manager"),
    # predictions
    Probe("predictions list", "GET", B + "/predictions/", owner="b_annotator"),
    Probe("prediction post", "POST", B + "/predictions/", _prediction, owner="b_manager"),
    Probe("prediction on B's asset via A", "POST", A + "/predictions/", _prediction, (400, 403), errors="asset"),
    # review items and review
    Probe("review items", "GET", B + "/review-items/", owner="b_manager"),
    Probe("review item", "GET", B + "/review-items/{b_task1}/", owner="b_manager"),
    Probe("review item of B via A", "GET", A + "/review-items/{b_task1}/", expect=(403, 404)),
    Probe("review accept", "POST", B + "/tasks/{b_task2}/review/", {"accept": "{b_annotation2}"}, owner="b_manager"),
    Probe("review delete", "DELETE", B + "/tasks/{b_task1}/review/", owner="b_manager"),
    Probe(
        "review of B's task via A", "POST", A + "/tasks/{b_task2}/review/", {"accept": "{b_annotation2}"}, (403, 404)
    ),
    Probe(
        "review accepting B's answer in A",
        "POST",
        A + "/tasks/{a_task2}/review/",
        {"accept": "{b_annotation2}"},
        (400, 403),
        errors="accept",
    ),
    # gold checks (quality control)
    Probe("gold checks list", "GET", B + "/gold-checks/", owner="b_manager"),
    Probe("gold check get", "GET", B + "/tasks/{b_task1}/gold-check/", owner="b_manager"),
    Probe("gold check set", "POST", B + "/tasks/{b_task2}/gold-check/", _gold, owner="b_manager"),
    Probe("gold check delete", "DELETE", B + "/tasks/{b_task1}/gold-check/", owner="b_manager"),
    Probe("gold check of B via A", "GET", A + "/tasks/{b_task1}/gold-check/", expect=(403, 404)),
    Probe("gold check on B's task via A", "POST", A + "/tasks/{b_task2}/gold-check/", _gold, (403, 404)),
    # statistics and progress
    Probe("stats", "GET", B + "/stats/", owner="b_manager"),
    # imports, pre-fill, the project's model
    Probe("import", "POST", B + "/imports/", _upload, fmt="multipart", owner="b_manager"),
    Probe("prefill", "POST", B + "/prefill/", {"only_missing": True}, owner="b_manager"),
    Probe(
        "prefill of B's assets via A",
        "POST",
        A + "/prefill/",
        {"assets": ["{b_asset1}"], "model": "isolation-vlm"},
        (400, 403),
        errors="assets",
    ),
    Probe("model get", "GET", B + "/model/", owner="b_annotator"),
    Probe("model put", "PUT", B + "/model/", {"model": "isolation-vlm"}, owner="b_manager"),
    Probe("model delete", "DELETE", B + "/model/", owner="b_manager"),
    # weights
    Probe("weight sets list", "GET", B + "/weight-sets/", owner="b_manager"),
    Probe("weight set create", "POST", B + "/weight-sets/", {"source": "public"}, owner="b_manager"),
    Probe("weight set detail", "GET", B + "/weight-sets/{b_weight_set}/", owner="b_manager"),
    Probe("weight set promote", "POST", B + "/weight-sets/{b_candidate}/promote/", owner="b_manager"),
    Probe("weight set retire", "POST", B + "/weight-sets/{b_weight_set}/retire/", owner="b_manager"),
    Probe("weight set of B via A", "GET", A + "/weight-sets/{b_weight_set}/", expect=(403, 404)),
    Probe("weight set of B promoted via A", "POST", A + "/weight-sets/{b_candidate}/promote/", expect=(403, 404)),
    Probe("weight set of B retired via A", "POST", A + "/weight-sets/{b_weight_set}/retire/", expect=(403, 404)),
    Probe("refit", "POST", B + "/refit/", {}, owner="b_manager"),
    Probe("refit readiness", "GET", B + "/refit/readiness/", owner="b_manager"),
    Probe("refit policy get", "GET", B + "/refit-policy/", owner="b_manager"),
    Probe(
        "refit policy put",
        "PUT",
        B + "/refit-policy/",
        {"enabled": True, "min_new_pairs": 1, "settings": {}},
        owner="b_manager",
    ),
    Probe("scores", "GET", B + "/scores/", owner="b_manager"),
    Probe("asset score", "GET", B + "/assets/{b_asset1}/score/", owner="b_manager"),
    Probe("asset score of B via A", "GET", A + "/assets/{b_asset1}/score/", expect=(403, 404)),
    Probe("compare", "GET", B + "/compare/?a={b_asset1}&b={b_asset2}", owner="b_manager"),
    Probe("compare B's assets via A", "GET", A + "/compare/?a={b_asset1}&b={b_asset2}", expect=(403, 404)),
    # jobs
    Probe("job detail", "GET", "/api/jobs/{b_export_job}/", owner="b_manager"),
    Probe("job cancel", "POST", "/api/jobs/{b_import_job}/cancel/", owner="b_manager"),
    Probe("job retry", "POST", "/api/jobs/{b_score_job}/retry/", owner="b_manager"),
    # exports and dataset versions
    Probe("export B", "POST", "/api/exports/", {"name": "stolen", "projects": ["{B}"]}, (400,), errors="projects"),
    Probe(
        "export A and B",
        "POST",
        "/api/exports/",
        {"name": "stolen", "projects": ["{A}", "{B}"]},
        (400,),
        errors="projects",
    ),
    Probe(
        "export A with B's weights",
        "POST",
        "/api/exports/",
        {"name": "stolen", "projects": ["{A}"], "weight_set": "{b_weight_set}"},
        (400,),
    ),
    Probe("dataset version detail", "GET", "/api/dataset-versions/{b_version}/", owner="b_manager"),
    Probe("dataset version download", "GET", "/api/dataset-versions/{b_version}/download/", owner="b_manager"),
    Probe(
        "dataset version diff", "GET", "/api/dataset-versions/{b_version}/diff/?against={b_version}", owner="b_manager"
    ),
    Probe("dataset version diff against B", "GET", "/api/dataset-versions/{a_version}/diff/?against={b_version}"),
    Probe(
        "dataset version push",
        "POST",
        "/api/dataset-versions/{b_version}/push/",
        {"repo_id": "me/stolen"},
        owner="b_manager",
    ),
]

ROLES = ["a_annotator", "a_manager"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("probe", PROBES, ids=[p.name for p in PROBES])
def test_a_member_of_a_cannot_reach_b(world, probe, role):
    ids = world.ids
    before_db, before_files = db_state(), files_state(world.media, world.datasets)
    url, body = probe.render(ids)
    response = send(world.client(role), probe, url, body)
    content = body_of(response)

    assert response.status_code in probe.expect, (url, response.status_code, content[:300])
    assert MARK.encode() not in content, f"{url} shows project B's content: {content[:300]!r}"
    if response.status_code == 400 and probe.errors:
        assert probe.errors in response.json()["errors"], response.json()
    assert_db_unchanged(before_db, db_state(), f"{probe.method} {url} as {role}")
    assert files_state(world.media, world.datasets) == before_files, f"{url} wrote files"

    ghost_url, ghost_body = probe.render(ids, ghost=True)
    ghost = send(world.client(role), probe, ghost_url, ghost_body)
    assert normalized(ghost) == normalized(response), "B's real id answers differently from an id that never existed"

    if probe.owner:  # the same request by B's own member reaches the object
        control = send(world.client(probe.owner), probe, url, probe.render(ids)[1])
        assert control.status_code not in (403, 404), (probe.owner, url, control.status_code, body_of(control)[:300])


# --- lists: nothing of B in them, whatever the filter -----------------------------------------------------


LISTS = [
    ("projects", "/api/projects/", "b_manager"),
    ("assets", "/api/assets/", "b_manager"),
    ("assets of B", "/api/assets/?project={B}", "b_manager"),
    ("assignments of B", "/api/assignments/?project={B}", "b_annotator"),
    ("annotations", "/api/annotations/", "b_manager"),
    ("annotations of B", "/api/annotations/?project={B}", "b_manager"),
    ("annotations of B's task", "/api/annotations/?task={b_task2}", "b_manager"),
    ("jobs", "/api/jobs/", "b_manager"),
    ("jobs of B", "/api/jobs/?project={B}", "b_manager"),
    ("dataset versions", "/api/dataset-versions/", "b_manager"),
    ("dataset versions by B's name", f"/api/dataset-versions/?name={MARK}-data", "b_manager"),
    ("predictions of B's asset via A", A + "/predictions/?asset={b_asset3}", None),
    ("tasks of A", A + "/tasks/", None),
    ("review items of A", A + "/review-items/?state=all", None),
    ("scores of A", A + "/scores/", None),
    ("stats of A", A + "/stats/", None),
    ("gold checks of A", A + "/gold-checks/", None),
    ("model registry", "/api/models/", None),
    ("checklists", "/api/checklists/", None),
    ("who am I", "/api/auth/session/", None),
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name,template,control", LISTS, ids=[row[0] for row in LISTS])
def test_lists_show_nothing_of_b(world, name, template, control, role):
    url = template.format(**world.ids)
    response = world.client(role).get(url)
    assert response.status_code in (200, 400, 403), (url, response.status_code)
    assert MARK.encode() not in response.content, f"{url} lists project B's objects: {response.content[:300]!r}"
    if control:  # B's own member sees B's objects in the same list
        assert MARK.encode() in world.client(control).get(url).content, url


@pytest.mark.django_db
def test_the_world_is_what_the_probes_assume(world):
    """The ids point at real objects of B in the states the probes rely on."""
    ids = world.ids
    assert Assignment.objects.get(pk=ids["b_assignment"]).state == Assignment.State.ACTIVE
    assert Annotation.objects.get(pk=ids["b_annotation2"]).project_id == ids["B"]
    assert Task.objects.get(pk=ids["b_task1"]).project_id == ids["B"]
    assert hasattr(Task.objects.get(pk=ids["b_task1"]), "gold")
    assert GoldCheck.objects.filter(task_id=ids["b_task1"]).exists()
    assert WeightSet.objects.get(pk=ids["b_weight_set"]).status == WeightSet.Status.ACTIVE
    assert WeightSet.objects.get(pk=ids["b_candidate"]).status == WeightSet.Status.CANDIDATE
    assert DatasetVersion.objects.get(pk=ids["b_version"]).state == DatasetVersion.State.READY
    assert DatasetVersion.objects.get(pk=ids["a_version"]).state == DatasetVersion.State.READY
    assert Job.objects.get(pk=ids["b_import_job"]).state == Job.State.QUEUED
    assert (world.media / "projects" / str(ids["B"])).is_dir()
    assert jobs.is_finished(Job.objects.get(pk=ids["b_export_job"]))
