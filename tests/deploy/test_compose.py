"""docker-compose.yml describes the production stack and parses with the compose tool."""

import os
import shutil
import subprocess
from pathlib import Path

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


def test_compose_file_parses_with_docker_compose():
    env = {**os.environ, "DJANGO_SECRET_KEY": "test"}
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        command = ["docker", "compose", "config", "-q"]
    elif shutil.which("docker-compose"):
        command = ["docker-compose", "config", "-q"]
    else:  # .ci/run installs docker-compose; a developer machine may lack both
        import pytest

        pytest.skip("neither `docker compose` nor `docker-compose` is installed")
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
