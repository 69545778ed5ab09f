"""The client's tests run against the live test server (pytest-django's ``live_server``, real
PostgreSQL), with jobs run inside the requests that start them (eager Celery, as tests/e2e)."""

from __future__ import annotations

import json
import random

import pytest
from visionreward_client import Client
from visionreward_client.cli import main

from annotator.models import Membership, Project
from annotator.services import tokens
from tests.e2e.fixtures import make_user
from tests.factories import builtin


@pytest.fixture(autouse=True)
def _client_env(monkeypatch, tmp_path):
    """No saved login or environment of the machine running the tests leaks in."""
    monkeypatch.setenv("VR_CONFIG", str(tmp_path / "vr-config" / "config.toml"))
    for name in ("VR_URL", "VR_TOKEN", "VR_HUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def manager(db):
    return make_user("mona")


@pytest.fixture
def token(manager) -> str:
    return tokens.issue(manager, "the client tests").key


@pytest.fixture
def project(manager) -> Project:
    p = Project.objects.create(name="Client image project", media_type="image", checklist_version=builtin("image"))
    Membership.objects.create(project=p, user=manager, role="manager")
    return p


@pytest.fixture
def vr(live_server, token):
    with Client(live_server.url, token, backoff=0.01) as client:
        yield client


@pytest.fixture
def run(live_server, token, capsys, monkeypatch):
    """``vr ARGS...`` in this process, on the live server: (exit code, stdout, stderr); with
    ``--json`` in the arguments, stdout parsed."""

    def run_vr(*args: str, token: str | None = token, env: bool = True):
        if env:
            monkeypatch.setenv("VR_URL", live_server.url)
            if token:
                monkeypatch.setenv("VR_TOKEN", token)
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        if "--json" in args and out.strip():
            out = json.loads(out)
        return code, out, err

    return run_vr


@pytest.fixture
def rng():
    return random.Random(7)
