"""Fixtures for the guarantee tests: a ``Stack`` of real processes (web server, Celery workers,
a private redis-server) on the test database, killed when the test ends, pass or fail."""

from __future__ import annotations

import os

import pytest
from django.db import connection

from .processes import Stack, database_url


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def stack(request, transactional_db, tmp_path, _media_root, _datasets_root, settings):
    """Processes that see what this test commits: the test database (its real name, whatever
    TEST_DATABASE_NAME or xdist made of it), this test's media and datasets folders, and a
    broker of their own (the suite's REDIS_URL until ``stack.redis()`` starts a private one)."""
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_NAME"}
    env.update(
        {
            "DATABASE_URL": database_url(connection.settings_dict),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "0",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "MEDIA_ROOT": str(_media_root),
            "VR_DATASETS_ROOT": str(_datasets_root),
            "VR_VAR_DIR": str(tmp_path / "var"),
            "HF_HUB_OFFLINE": "1",
            "HF_DATASETS_OFFLINE": "1",
            "HF_HOME": str(tmp_path / "hf"),
            "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
        }
    )
    # the processes verify no passwords (they use tokens), but keep this test's users cheap
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    processes = Stack(env, tmp_path / "processes")
    yield processes
    processes.close()
    failed = any(getattr(getattr(request.node, f"rep_{when}", None), "failed", False) for when in ("setup", "call"))
    if failed:
        print(processes.logs())


def token(user) -> str:
    from tests.factories import api_token

    return api_token(user)
