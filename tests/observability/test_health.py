"""/healthz/live (the process), /healthz/ready (database, Redis, storage, a worker per queue)
and /healthz as before, all answered before the host check."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from config.celery import app

pytestmark = pytest.mark.django_db(transaction=True)

needs_redis = pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (the suite runs on Redis)")
CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def get(path: str, **extra):
    return Client().get(path, HTTP_HOST="10.0.0.7:8000", **extra)  # by address, as probes ask


def test_liveness_looks_at_nothing_but_the_process(settings):
    settings.REDIS_URL = settings.CELERY_BROKER_URL = CLOSED
    response = get("/healthz/live")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert get("/healthz").content == b"ok"  # the database-only check, as before


@needs_redis
def test_not_ready_when_redis_is_down(settings):
    settings.REDIS_URL = settings.CELERY_BROKER_URL = CLOSED
    settings.VR_READINESS_QUEUES = ["default"]
    response = get("/healthz/ready")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == "ok" and checks["storage"] == "ok"
    assert checks["redis"] == "unavailable" and checks["workers"] == {"default": "unavailable"}
    assert "6379" not in response.content.decode() and "127.0.0.1" not in response.content.decode()


@needs_redis
def test_not_ready_when_no_worker_answers_for_a_queue(settings):
    settings.VR_READINESS_QUEUES = ["default", "media"]
    settings.VR_READINESS_TIMEOUT_SECONDS = 0.5
    response = get("/healthz/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"] == "ok"
    assert body["checks"]["workers"] == {"default": "unavailable", "media": "unavailable"}


def test_not_ready_when_a_storage_cannot_be_written(settings, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the datasets folder should be")
    settings.VR_DATASETS_ROOT = blocked
    settings.VR_READINESS_QUEUES = []
    response = get("/healthz/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == "unavailable"


@needs_redis
def test_ready_with_a_real_worker_answering_for_its_queues(settings, monkeypatch):
    from celery.contrib.testing.worker import start_worker

    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    settings.VR_READINESS_QUEUES = ["default", "media"]
    settings.VR_READINESS_TIMEOUT_SECONDS = 2.0
    with start_worker(app, perform_ping_check=False, queues=["default", "media"], pool="solo", shutdown_timeout=20):
        response = get("/healthz/ready")
        assert response.status_code == 200, response.content
        assert response.json() == {
            "status": "ok",
            "checks": {
                "database": "ok",
                "redis": "ok",
                "storage": "ok",
                "workers": {"default": "ok", "media": "ok"},
            },
        }
        settings.VR_READINESS_QUEUES = ["default", "gpu"]  # no worker takes gpu jobs
        missing = get("/healthz/ready")
        assert missing.status_code == 503 and missing.json()["checks"]["workers"] == {
            "default": "ok",
            "gpu": "unavailable",
        }


def test_ready_on_s3_asks_the_bucket(settings, s3_storage):
    settings.VR_READINESS_QUEUES = []
    ready = get("/healthz/ready")
    assert ready.status_code == 200 and ready.json()["checks"]["storage"] == "ok"
    # the bucket gone (or its credentials wrong): not ready, and nothing written to a folder instead
    s3_storage.server.client().delete_bucket(Bucket=s3_storage.bucket)
    gone = get("/healthz/ready")
    assert gone.status_code == 503 and gone.json()["checks"]["storage"] == "unavailable"
