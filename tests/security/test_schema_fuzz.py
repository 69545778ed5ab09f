"""The API fuzzed from its own OpenAPI schema: no request, however malformed, gets a 5xx.

The schema is read from the Django app in-process (``/api/schema/``, through schemathesis' WSGI
loader) and every operation in it (new ones too) is sent generated requests, signed in with HTTP
basic auth as a staff user and, separately, as an annotator of one project:

- valid requests and requests that break the schema on purpose (schemathesis' positive and
  negative modes), half of them at objects that exist (the project, its members, assets, tasks,
  the annotator's assignment, annotations, weight sets, jobs, a dataset version, a model), so the
  fuzzer gets past the 404s into the views and serializers;
- valid requests with every query parameter (optional ones included) and body value made hostile
  one way: a NUL character in every string (PostgreSQL text cannot hold it), every integer past
  int32 or past bigint either way, every string a digit ``int()`` refuses (``"²".isdigit()``).

The check is "not a server error" (status < 500); a failure prints the request as a curl command
and the server's traceback. Deterministic: Hypothesis is derandomized with a fixed seed and a
small budget per operation (``FUZZ_MAX_EXAMPLES``, default 8, plus 10 hostile cases), so CI sends
the same requests every run; ``FUZZ_MAX_EXAMPLES=200`` for a deeper local run.

Every test gets a fresh world in autocommit, as the app runs in production (a failed statement
fails only its request; ``select_for_update`` outside a transaction would fail as it does there).
Jobs are written but never dispatched, so no operation is skipped: import, pre-fill, refit,
export, push, fine-tune and evaluate only validate and write a queued job (uploads are staged in
the request, as they are in production).
"""

from __future__ import annotations

import base64
import itertools
import os
import traceback
import uuid

import pytest
import schemathesis
from django.conf import settings
from django.core.signals import got_request_exception
from django.test import override_settings
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from annotator.models import Membership, Webhook, WebhookDelivery
from annotator.services.answers import submit
from annotator.services.claims import claim_next
from annotator.services.pairs import create_pairs
from annotator.services.payload import AnswerPayload
from annotator.services.predictions import record_prediction
from annotator.webhooks import outbox as webhook_outbox
from config.wsgi import application
from tests import factories as f
from tests.worker.conftest import jpeg_bytes
from worker import jobs
from worker.exports.job import start_export
from worker.models import Job, ModelSpec, ProjectModel, WeightSet
from worker.weights import sets
from worker.weights.public import public_weight_vector
from worker.weights.scoring import weight_vector_from_dict

# per operation and user (~80 operations × 2 users); FUZZ_MAX_EXAMPLES=200 for a deeper local run
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "8"))
PASSWORD = "fuzz-pass-1"
JPEG = jpeg_bytes()
Role = Membership.Role
COUNTER = itertools.count(1)

with override_settings(SPECTACULAR_SETTINGS={**settings.SPECTACULAR_SETTINGS, "DISABLE_ERRORS_AND_WARNINGS": True}):
    SCHEMA = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)

OPERATIONS = {op.label: op for op in (result.ok() for result in SCHEMA.get_all_operations())}


# --- the world the fuzzer works in ----------------------------------------------------------------


def _basic(username: str) -> dict:
    token = base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _world(n: int) -> dict:
    """A fresh project (names carry ``n``) with an annotator and a manager, ready assets, an active
    assignment, submitted annotations, a prediction, a pair task, an active and a candidate weight
    set, queued jobs and a queued dataset version. Returns the ids keyed by the path segment that
    names them in the API (``{"assets": [...], ...}``), and the usernames."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    staff = User.objects.create_user(f"fuzz-admin-{n}", password=PASSWORD, is_staff=True)
    annotator = User.objects.create_user(f"fuzz-annotator-{n}", password=PASSWORD)
    manager = User.objects.create_user(f"fuzz-manager-{n}", password=PASSWORD)
    project = f.project(name=f"fuzzed {n}", members={annotator: Role.ANNOTATOR, manager: Role.MANAGER})
    assets = [f.ready_asset(project, prompt="one prompt", name=f"{i}.jpg", content=JPEG) for i in range(3)]
    checklist = project.checklist_version.checklist
    annotations = []
    for _ in range(2):
        claimed = claim_next(annotator, project)
        payload = AnswerPayload(options=f.full_image_options(checklist))
        annotations.append(submit(claimed, payload, uuid.uuid4())[0])
    live = claim_next(annotator, project)
    record_prediction(assets[0], project.checklist_version, "m", {q.key: 0.6 for q in checklist.questions})
    pair = create_pairs(project, [(assets[0].pk, assets[1].pk)])[0]
    public = sets.create_weight_set(
        project, public_weight_vector(checklist, "full"), source=WeightSet.Source.PUBLIC, user=manager
    )
    sets.promote(public, manager)
    candidate = sets.create_weight_set(
        project, weight_vector_from_dict({"coefficients": {"q8": 1.0}}), source=WeightSet.Source.UPLOADED
    )
    version, export_job = start_export(manager, {"name": f"fuzzed-{n}", "projects": [project.pk]})
    model = ModelSpec.objects.create(name=f"fuzz-vlm-{n}", source="/nonexistent/model")
    ProjectModel.objects.create(project=project, model=model, updated_by=manager)
    hook = Webhook.objects.create(
        project=project, url="https://example.org/hook", events=["task.completed"], secret="whsec_fuzz"
    )
    delivery = WebhookDelivery.objects.create(webhook=hook, event="task.completed", state="failed", payload={})
    return {
        "users": {"staff": staff.username, "annotator": annotator.username},
        "projects": [project.pk],
        "members": list(project.memberships.values_list("pk", flat=True)),
        "assets": [a.pk for a in assets],
        "tasks": [annotations[0].task_id, pair.pk],
        "review-items": [annotations[0].task_id],
        "assignments": [live.pk],
        "annotations": [a.pk for a in annotations],
        "weight-sets": [public.pk, candidate.pk],
        "jobs": list(Job.objects.filter(project=project).values_list("pk", flat=True)),
        "dataset-versions": [version.pk],
        "models": [model.name],
        "checklists": [project.checklist_version_id],
        "files": ["original", "thumbnail", "frames/0"],
        "webhooks": [hook.pk],
        "deliveries": [delivery.pk],
    }


def _path_ids(operation, world: dict) -> st.SearchStrategy[dict] | None:
    """Real values for the operation's path parameters: each is named by the segment before it."""
    segments = operation.path.strip("/").split("/")
    choices = {}
    for i, segment in enumerate(segments):
        if segment.startswith("{"):
            name = segment.strip("{}")
            values = world.get(segments[i - 1])
            if not values:
                return None
            choices[name] = st.sampled_from(values)
    return st.fixed_dictionaries(choices) if choices else None


def _cases(operation, world: dict) -> st.SearchStrategy:
    """Valid and schema-breaking requests, half of them at objects that exist."""
    strategies = []
    ids = _path_ids(operation, world)
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategies.append(operation.as_strategy(generation_mode=mode))
        if ids is not None:
            strategies.append(
                ids.flatmap(
                    lambda values, mode=mode: operation.as_strategy(generation_mode=mode, path_parameters=values)
                )
            )
    return st.one_of(strategies)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# Values the schema allows but the database does not hold: random generation finds them slowly.
HOSTILE = {
    "NUL in every string": lambda v: v + "\x00" if isinstance(v, str) else v,
    "every integer past bigint": lambda v: 2**63 if _is_int(v) else v,
    "every integer below bigint": lambda v: -(2**63) - 1 if _is_int(v) else v,
    "every integer past int32": lambda v: 2**31 if _is_int(v) else v,
    "every string a digit int() refuses": lambda v: "\u00b2" if isinstance(v, str) else v,  # "²".isdigit()
}


def _poison(value, leaf):
    if isinstance(value, dict):
        return {k: _poison(v, leaf) for k, v in value.items()}
    if isinstance(value, list):
        return [_poison(v, leaf) for v in value]
    return leaf(value)


def _hostile_cases(operation, world: dict) -> st.SearchStrategy:
    """Valid requests at existing objects with every query parameter and body value made hostile
    (one of the ways in HOSTILE)."""
    ids = _path_ids(operation, world)
    valid = (
        ids.flatmap(lambda values: operation.as_strategy(path_parameters=values))
        if ids is not None
        else operation.as_strategy()
    )

    declared = {p.name: (p.definition.get("schema") or {}).get("type") for p in operation.query}

    def poison(case, how):
        # every declared query parameter, the optional ones the generator left out included
        query = {name: 1 if kind == "integer" else "x" for name, kind in declared.items()} | case.query
        case.query = _poison(query, HOSTILE[how])
        if isinstance(case.body, dict | list):
            case.body = _poison(case.body, HOSTILE[how])
        return case

    return st.builds(poison, valid, st.sampled_from(sorted(HOSTILE)))


def test_the_schema_has_every_endpoint_family():
    """The fuzzer sees the whole API: a view missing from the schema would go unfuzzed."""
    assert len(OPERATIONS) >= 75
    assert {
        "POST /api/projects/{id}/tasks/next/",
        "POST /api/assignments/{id}/submit/",
        "PUT /api/annotations/{id}/",
        "GET /api/assets/{id}/files/{name}",
        "POST /api/projects/{project_pk}/tasks/{task_pk}/review/",
        "POST /api/projects/{project_id}/imports/",
        "POST /api/projects/{project_id}/weight-sets/{weight_set_id}/promote/",
        "POST /api/exports/",
        "GET /api/dataset-versions/{id}/diff/",
        "POST /api/jobs/{id}/retry/",
        "POST /api/projects/{project_pk}/webhooks/",
        "POST /api/projects/{project_pk}/webhooks/{webhook_pk}/deliveries/{id}/redeliver/",
    } <= set(OPERATIONS)


@pytest.fixture
def world(transactional_db, monkeypatch, settings):
    """A fresh world per test, in autocommit as the app runs in production (every request
    commits; a failed statement fails only its request). Jobs are written but never sent to a
    worker: nothing runs a model, an import or an export."""
    monkeypatch.setattr(jobs.runner, "dispatch", lambda job_id, countdown=None: False)
    monkeypatch.setattr(webhook_outbox, "dispatch", lambda delivery_id, countdown=None: False)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return _world(next(COUNTER))


@pytest.fixture
def server_errors():
    """Tracebacks of the exceptions the app turned into 500s."""
    seen: list[str] = []

    def record(sender, request=None, **kwargs):
        seen.append(traceback.format_exc())

    got_request_exception.connect(record)
    yield seen
    got_request_exception.disconnect(record)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", ["staff", "annotator"])
@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_no_server_errors(label, who, world, server_errors):
    operation = OPERATIONS[label]
    headers = _basic(world["users"][who])

    def check(case):
        server_errors.clear()
        response = case.call(headers=headers)
        assert response.status_code < 500, (
            f"{label} as {who}: {response.status_code}\n{case.as_curl_command()}\n" + "\n".join(server_errors)
        )

    _run(_cases(operation, world), MAX_EXAMPLES, check)
    _run(_hostile_cases(operation, world), max(2 * len(HOSTILE), MAX_EXAMPLES // 2), check)


def _run(strategy: st.SearchStrategy, examples: int, check) -> None:
    """``check`` on ``examples`` cases from ``strategy``; derandomized: the same cases every run."""

    @seed(0)
    @hypothesis_settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        check(case)

    run()
