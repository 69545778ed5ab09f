"""docker-compose.yml describes the production stack (files in a MinIO bucket, no disk shared
between the tiers) and parses with the compose tool, alone and with the filesystem override."""

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


APP_SERVICES = ("migrate", "web", "worker-default", "worker-media", "worker-gpu", "beat")


def named_volumes(service: dict) -> set[str]:
    """The named volumes a service mounts (``name:/path``; not binds, not anonymous volumes)."""
    out = set()
    for volume in service.get("volumes") or []:
        source = volume.split(":", 1)[0] if isinstance(volume, str) and ":" in volume else None
        if source and not source.startswith((".", "/", "~")):
            out.add(source)
    return out


def test_files_live_in_a_minio_bucket_and_no_volume_is_shared_between_web_and_workers():
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = compose["services"]
    minio = services["minio"]
    assert minio["image"].startswith("minio/minio")
    assert named_volumes(minio) == {"miniodata"}  # its data volume, mounted by nobody else
    assert any(str(port).endswith(":9001") for port in minio["ports"]), "the MinIO console is published"
    assert any(str(port).endswith(":9000") for port in minio["ports"]), "browsers reach the bucket (presigned)"
    # the bucket is made at start-up by a one-shot mc, private, before any app service starts
    bucket = services["bucket"]
    assert bucket["image"].startswith("minio/mc") and bucket["restart"] == "no"
    script = " ".join(bucket["command"])
    assert "mc alias set" in script and "mc mb --ignore-existing" in script and "mc anonymous set none" in script
    for name in APP_SERVICES:
        env = services[name]["environment"]
        assert env["VR_STORAGE"] == "s3", name
        assert env["VR_S3_BUCKET"] == "${VR_S3_BUCKET:-visionreward}", name
        assert env["VR_S3_ENDPOINT_URL"] == "${VR_S3_ENDPOINT_URL-http://minio:9000}", name
        assert env["VR_S3_PUBLIC_ENDPOINT_URL"] == "${VR_S3_PUBLIC_ENDPOINT_URL-http://localhost:9000}", name
        assert env["AWS_ACCESS_KEY_ID"].startswith("${AWS_ACCESS_KEY_ID:-"), name
        assert env["AWS_SECRET_ACCESS_KEY"].startswith("${AWS_SECRET_ACCESS_KEY:-"), name
        assert env["VR_SCRATCH_DIR"] == "/scratch", name
        first = "bucket" if name == "migrate" else "migrate"  # the bucket exists before anything runs
        assert services[name]["depends_on"][first]["condition"] == "service_completed_successfully", name
    # nothing mounted by the web is mounted by a worker, and nginx mounts no media on S3
    web = named_volumes(services["web"])
    for name in ("worker-default", "worker-media", "worker-gpu", "beat"):
        assert not web & named_volumes(services[name]), f"{name} shares {web & named_volumes(services[name])}"
        # each worker's scratch folder is an anonymous volume: every container (replica) its own
        if name.startswith("worker-"):
            assert "/scratch" in services[name]["volumes"] and not named_volumes(services[name]), name
    assert named_volumes(services["nginx"]) == set()
    assert "media" not in (compose.get("volumes") or {})
    for name in APP_SERVICES:
        assert services[name]["environment"]["VR_ACCEL_REDIRECT"] == "false", name


def test_the_filesystem_override_shares_one_media_volume_that_nginx_sends_files_from():
    override = yaml.safe_load((REPO / "docker-compose.filesystem.yml").read_text())
    services = override["services"]
    for name in APP_SERVICES:
        assert services[name]["environment"] == {"VR_STORAGE": "filesystem", "VR_ACCEL_REDIRECT": "true"}, name
        assert services[name]["volumes"] == ["media:/data"], name
    assert services["nginx"]["volumes"] == ["media:/data:ro"]
    conf = (REPO / "deploy" / "nginx.conf").read_text()
    assert "alias /data/media/;" in conf and "alias /data/datasets/;" in conf
    assert conf.count("internal;") == 3  # the two stored-file locations and the staff check


def _compose_command() -> list[str]:
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose", "config", "-q"]
    if shutil.which("docker-compose"):
        return ["docker-compose", "config", "-q"]
    # .ci/run installs docker-compose; a developer machine may lack both
    pytest.skip("neither `docker compose` nor `docker-compose` is installed")


@pytest.mark.parametrize("files", [[], ["docker-compose.filesystem.yml"]], ids=["s3", "filesystem"])
def test_compose_file_parses_with_docker_compose(files):
    env = {**os.environ, "DJANGO_SECRET_KEY": "test", "DJANGO_ALLOWED_HOSTS": "annotate.example.org"}
    command = _compose_command()
    chosen = [arg for name in ["docker-compose.yml", *files] for arg in ("-f", name)]
    command = [*command[:-2], *chosen, *command[-2:]]  # the files before `config -q`
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
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


def test_observability_services_and_probes():
    """Flower runs on the broker and is reached only through nginx's staff check; the containers'
    probes ask liveness (readiness asks the workers too: it is for load balancers)."""
    services = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    flower = services["flower"]
    assert flower["command"][:4] == ["celery", "-A", "config", "flower"] and "--url_prefix=flower" in flower["command"]
    assert "ports" not in flower and services["nginx"]["depends_on"]["flower"]
    conf = (REPO / "deploy" / "nginx.conf").read_text()
    assert "auth_request /_auth/staff;" in conf and "server flower:5555;" in conf
    assert services["web"]["healthcheck"]["test"][-1] == "http://127.0.0.1:8000/healthz/live"
    assert "/healthz/live" in services["nginx"]["healthcheck"]["test"][-1]
    assert "python:config.gunicorn" in services["web"]["command"]
    assert services["web"]["environment"]["PROMETHEUS_MULTIPROC_DIR"] == "/scratch/prometheus"
    assert "PROMETHEUS_MULTIPROC_DIR" not in services["flower"]["environment"]  # Flower's own registry
    for name in ("worker-default", "worker-media", "worker-gpu"):
        assert services[name]["environment"]["VR_WORKER_METRICS_PORT"] == "9808", name
        assert services[name]["environment"]["PROMETHEUS_MULTIPROC_DIR"] == "/scratch/prometheus", name
