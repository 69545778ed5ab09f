"""Attacks on the production defaults (issue 13, item 5): the platform started the way the
Dockerfile and docker-compose start it (DJANGO_DEBUG unset) must not run on a shared secret key
or for any host name, must pass Django's deployment checks, and its error pages must not show
the settings (DATABASE_URL, REDIS_URL and their passwords) to whoever makes it fail."""

from __future__ import annotations

import os
import secrets
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from tests.guarantees.processes import PYTHON, REPO, Proc, free_port, port_open

# What the test suite sets for itself (pyproject.toml [tool.pytest_env]) and what a deployment
# chooses: none of it may leak into "production with nothing set".
CHOICES = (
    "DJANGO_DEBUG",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_HTTPS",
    "DJANGO_SECURE_SSL_REDIRECT",
    "DJANGO_SESSION_COOKIE_SECURE",
    "DJANGO_CSRF_COOKIE_SECURE",
    "DJANGO_SECURE_HSTS_SECONDS",
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "DJANGO_SECURE_HSTS_PRELOAD",
    "DJANGO_SECURE_PROXY_SSL_HEADER",
    "TEST_DATABASE_NAME",
    "CELERY_TASK_ALWAYS_EAGER",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # set for the Playwright tests (tests/e2e/fixtures.py), never in deployment
)


def production_env(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in CHOICES}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", VR_VAR_DIR=str(tmp_path / "var"), **extra)
    return env


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def test_production_refuses_to_start_without_its_own_secret_key(tmp_path):
    done = manage(production_env(tmp_path, DJANGO_ALLOWED_HOSTS="annotate.example.org"), "check")
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and "DJANGO_SECRET_KEY is not set" in done.stderr, done.stderr


def test_production_refuses_to_start_without_its_host_names(tmp_path):
    done = manage(production_env(tmp_path, DJANGO_SECRET_KEY=secrets.token_urlsafe(50)), "check")
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and "DJANGO_ALLOWED_HOSTS is not set" in done.stderr, done.stderr


def test_debug_is_only_on_when_asked_for(tmp_path):
    code = "from django.conf import settings; print('DEBUG', settings.DEBUG, settings.ALLOWED_HOSTS)"
    production = production_env(
        tmp_path, DJANGO_SECRET_KEY=secrets.token_urlsafe(50), DJANGO_ALLOWED_HOSTS="annotate.example.org"
    )
    done = manage(production, "shell", "-c", code)
    assert "DEBUG False ['annotate.example.org']" in done.stdout, done.stdout + done.stderr
    # `make run` (DJANGO_DEBUG=1): debug, answering only on this machine's own names
    done = manage(production_env(tmp_path, DJANGO_DEBUG="1"), "shell", "-c", code)
    assert "DEBUG True ['localhost', '127.0.0.1', '[::1]']" in done.stdout, done.stdout + done.stderr


def test_check_deploy_is_clean_with_the_production_settings(tmp_path):
    env = production_env(
        tmp_path, DJANGO_SECRET_KEY=secrets.token_urlsafe(50), DJANGO_ALLOWED_HOSTS="annotate.example.org"
    )
    done = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout, done.stdout + done.stderr


def _get(url: str, headers: dict | None = None):
    request = urllib.request.Request(url, headers=headers or {})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode(errors="replace")


@pytest.fixture
def production_web(tmp_path):
    """gunicorn on the production settings, as docker-compose runs it behind a TLS proxy, with a
    database that is down (its URL carries a password) and a Redis URL with a password."""
    dead_port = free_port()
    secrets_in_urls = {
        "database_password": "db-Pa55word-" + secrets.token_hex(8),
        "redis_password": "redis-Pa55word-" + secrets.token_hex(8),
    }
    env = production_env(
        tmp_path,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="annotate.example.org",
        DJANGO_SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto: https",
        DATABASE_URL=f"postgres://vr:{secrets_in_urls['database_password']}@127.0.0.1:{dead_port}/vr",
        REDIS_URL=f"redis://:{secrets_in_urls['redis_password']}@127.0.0.1:{dead_port}/0",
    )
    port = free_port()
    web = Proc(
        "web",
        [PYTHON, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env,
        tmp_path / "web.log",
    ).start()
    deadline = time.monotonic() + 40
    while not port_open(port):
        assert web.alive(), web.output()
        assert time.monotonic() < deadline, web.output()
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}", env, secrets_in_urls
    web.kill()


def test_a_server_error_in_production_reveals_no_settings(production_web):
    url, env, secrets_in_urls = production_web
    # a request that needs the database (a token to check) fails: a real 500
    status, headers, body = _get(
        f"{url}/api/projects/",
        {"Host": "annotate.example.org", "X-Forwarded-Proto": "https", "Authorization": "Token 0123456789abcdef"},
    )
    assert status == 500, body
    for secret in (*secrets_in_urls.values(), env["DATABASE_URL"], env["REDIS_URL"], env["DJANGO_SECRET_KEY"]):
        assert secret not in body
    for word in ("DATABASE_URL", "REDIS_URL", "Traceback", "psycopg", "settings", "127.0.0.1"):
        assert word not in body, f"the 500 page shows {word!r}:\n{body[:2000]}"
    assert headers.get("Strict-Transport-Security") == "max-age=31536000; includeSubDomains; preload"


def test_production_serves_https_only_and_only_its_hosts(production_web):
    url, _env, _secrets = production_web
    # plain HTTP is sent to HTTPS
    status, headers, _ = _get(f"{url}/api/projects/", {"Host": "annotate.example.org"})
    assert status == 301 and headers["Location"] == "https://annotate.example.org/api/projects/"
    # a host it does not serve (Host header poisoning) is refused
    status, _, body = _get(f"{url}/api/projects/", {"Host": "evil.example.com", "X-Forwarded-Proto": "https"})
    assert status == 400 and "evil" not in body
    # the health check answers the load balancer by address over HTTP, and tells it nothing more
    status, _, body = _get(f"{url}/healthz", {"Host": "10.0.0.7:8000"})
    assert status == 503 and body == '{"status": "error", "database": "unavailable"}'
