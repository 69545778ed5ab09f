"""docker-compose.yml describes the production stack and parses with the compose tool."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


def test_compose_file_describes_the_production_stack():
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"db", "redis", "web", "worker-default", "worker-media", "worker-gpu", "beat"} <= set(services)
    for name in ("db", "redis", "web", "worker-default", "worker-media", "worker-gpu"):
        assert "healthcheck" in services[name], f"{name} has no health check"
    queues = {
        name: next(a for a in services[name]["command"] if a.startswith("--queues="))
        for name in services
        if name.startswith("worker-")
    }
    assert queues == {
        "worker-default": "--queues=default",
        "worker-media": "--queues=media",
        "worker-gpu": "--queues=gpu",
    }
    assert "gunicorn" in services["web"]["command"]
    assert "beat" in services["beat"]["command"]
    # nginx in front: the only published port, and it sends stored files (X-Accel-Redirect)
    assert "ports" not in services["web"] and services["nginx"]["ports"]
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in services["nginx"]["volumes"]
    assert services["web"]["environment"]["VR_ACCEL_REDIRECT"] == "true"


def _compose_command() -> list[str]:
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose", "config", "-q"]
    if shutil.which("docker-compose"):
        return ["docker-compose", "config", "-q"]
    # .ci/run installs docker-compose; a developer machine may lack both
    pytest.skip("neither `docker compose` nor `docker-compose` is installed")


def test_compose_file_parses_with_docker_compose():
    env = {**os.environ, "DJANGO_SECRET_KEY": "test", "DJANGO_ALLOWED_HOSTS": "annotate.example.org"}
    result = subprocess.run(_compose_command(), cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"])
def test_compose_refuses_to_start_without_the_production_secrets(missing, tmp_path):
    """The stack runs in production mode: without its own secret key or host names compose stops
    at once and says which variable to set (not a container that starts on a shared key)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS")}
    env.update({"DJANGO_SECRET_KEY": "test", "DJANGO_ALLOWED_HOSTS": "annotate.example.org"})
    del env[missing]
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    assert compose["x-app"]["environment"]["DJANGO_DEBUG"] == "false"
    result = subprocess.run(_compose_command(), cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert f"set {missing}" in result.stderr, result.stderr
