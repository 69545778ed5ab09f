"""Helpers for the media attacks: a real Celery worker next to pytest-django's live server, an
API client over HTTP (token auth), imports run through the real API, and a tiny HTTP server on
127.0.0.1 that records every request made to it (to prove nothing ever called out).

Bind the fixtures a test module uses by name: ``real_worker = live_media.real_worker``.
"""

from __future__ import annotations

import http.server
import threading
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection

from tests.factories import api_token

QUEUES = ["media", "default"]


class Api:
    """The platform's REST API over HTTP, as one user (token auth: what a script would use)."""

    def __init__(self, base_url: str, user):
        self.base = base_url.rstrip("/")
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Token {api_token(user)}"

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(self.base + path, timeout=30, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.http.post(self.base + path, timeout=60, **kwargs)

    def import_files(self, project, files: list[tuple[str, bytes]], *, timeout: float = 90) -> dict:
        """Upload ``files`` as one import and wait for its job to finish; returns the job."""
        response = self.post(
            f"/api/projects/{project.pk}/imports/",
            files=[("files", (name, data, "application/octet-stream")) for name, data in files],
        )
        assert response.status_code == 202, response.text
        job_id = response.json()["id"]
        deadline = time.monotonic() + timeout
        while True:
            job = self.get(f"/api/jobs/{job_id}/").json()
            if job["state"] not in ("queued", "running"):
                return job
            assert time.monotonic() < deadline, f"import job {job_id} did not finish: {job}"
            time.sleep(0.2)

    def assets(self, project) -> list[dict]:
        response = self.get(f"/api/projects/{project.pk}/assets/")
        assert response.status_code == 200, response.text
        return response.json()["results"]


def _purge(app) -> None:
    with app.connection_for_write() as conn:
        for queue in QUEUES:
            try:
                conn.default_channel.queue_purge(queue)
            except Exception:  # the queue may not exist yet
                pass


@pytest.fixture
def real_worker(monkeypatch):
    """A Celery worker (solo pool, in a thread) consuming the media and default queues on Redis."""
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL (the suite runs on Redis)")
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    # the worker thread's connection must not outlive the test (the test database is dropped later)
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    assert not app.conf.task_always_eager
    _purge(app)
    with start_worker(app, perform_ping_check=False, queues=QUEUES, pool="solo", shutdown_timeout=20) as worker:
        yield worker
    _purge(app)


class Recorder:
    """An HTTP server on 127.0.0.1 that answers every request with a small body and records it."""

    def __init__(self):
        self.requests: list[str] = []
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                recorder.requests.append(f"{self.command} {self.path}")
                body = b"#EXTM3U\n" if self.path.endswith(".m3u8") else b"recorded"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_HEAD = do_OPTIONS = _answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Recorder:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorder():
    with Recorder() as server:
        yield server


def files_under(root: Path) -> dict[str, bytes]:
    """Every regular file under ``root`` (relative path → bytes)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
