"""Flower (Celery's monitor, docker-compose.yml's `flower`) behind the shipped nginx config: nginx
asks the app (/_auth/staff) before each request, so anonymous callers are sent to the login page,
logged-in users who are not staff are refused, and staff see the real Flower, on the suite's
Redis broker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings as django_settings
from django.test import Client

from tests import factories as f
from tests.deploy.nginx import NGINX, REPO, free_port, nginx_in_front

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed (.ci/run installs it)"),
    pytest.mark.skipif(not django_settings.REDIS_URL, reason="Flower needs the Redis broker (REDIS_URL)"),
]


@pytest.fixture
def flower(tmp_path):
    """The real Flower on the suite's broker, under /flower/ as docker-compose.yml runs it."""
    port = free_port()
    log = (tmp_path / "flower.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "flower", f"--port={port}", "--address=127.0.0.1"]
        + ["--url_prefix=flower"],
        cwd=REPO,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/flower/healthcheck", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"Flower did not start:\n{log.read()[-3000:]}")
            time.sleep(0.3)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


@pytest.fixture
def nginx(live_server, flower, tmp_path, settings):
    with nginx_in_front(live_server.url, settings, tmp_path, flower=flower) as url:
        yield url


def session_cookie(user) -> dict:
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return {"Cookie": f"{name}={client.cookies[name].value}"}


def test_flower_is_for_staff_only(nginx):
    staff, annotator = f.user("admin", staff=True), f.user("ann")

    anonymous = requests.get(f"{nginx}/flower/", allow_redirects=False, timeout=30)
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].endswith("/admin/login/?next=/flower/")

    not_staff = requests.get(f"{nginx}/flower/", headers=session_cookie(annotator), allow_redirects=False, timeout=30)
    assert not_staff.status_code == 403 and "Flower" not in not_staff.text
    token = f.api_token(staff)  # a staff token is no session: Flower is for the browser login
    by_token = requests.get(
        f"{nginx}/flower/", headers={"Authorization": f"Token {token}"}, allow_redirects=False, timeout=30
    )
    assert by_token.status_code == 302

    page = requests.get(f"{nginx}/flower/", headers=session_cookie(staff), timeout=30)
    assert page.status_code == 200 and "Flower" in page.text
    workers = requests.get(f"{nginx}/flower/workers", headers=session_cookie(staff), timeout=30)
    assert workers.status_code == 200

    # the app's check itself is not reachable from outside
    assert requests.get(f"{nginx}/_auth/staff", headers=session_cookie(staff), timeout=30).status_code == 404
