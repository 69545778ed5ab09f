"""A real S3-compatible server for the tests: moto in server mode, a separate process speaking
the S3 HTTP API on a free local port (nothing patched in-process).

``s3_server`` starts it once per session. ``s3_storage`` switches one test to ``VR_STORAGE=s3``
on a bucket of its own, with ``MEDIA_ROOT`` and ``VR_DATASETS_ROOT`` pointing at folders that do
not exist (and must still not exist when the test ends): every file goes through the bucket.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

ACCESS_KEY, SECRET_KEY, REGION = "vr-test-access", "vr-test-secret", "us-east-1"


@dataclass
class S3Server:
    endpoint: str
    process: subprocess.Popen

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )

    def env(self, bucket: str) -> dict:
        """The environment a platform process (web, worker) needs to use ``bucket``."""
        return {
            "VR_STORAGE": "s3",
            "VR_S3_BUCKET": bucket,
            "VR_S3_ENDPOINT_URL": self.endpoint,
            "VR_S3_REGION": REGION,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_s3_server() -> S3Server:
    port = _free_port()
    exe = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or "moto_server"
    process = subprocess.Popen(
        [exe, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return S3Server(f"http://127.0.0.1:{port}", process)
        except OSError:
            if process.poll() is not None:
                raise RuntimeError("moto_server exited at start") from None
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("moto_server did not start")


@pytest.fixture(scope="session")
def s3_server():
    server = start_s3_server()
    yield server
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()


def storage_settings(server: S3Server, bucket: str) -> dict:
    def options(location: str) -> dict:
        return {
            "bucket_name": bucket,
            "location": location,
            "endpoint_url": server.endpoint,
            "region_name": REGION,
            "access_key": ACCESS_KEY,
            "secret_key": SECRET_KEY,
            "addressing_style": "path",
            "signature_version": "s3v4",
            "file_overwrite": True,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 300,
        }

    return {
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options("media")},
        "datasets": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options("datasets")},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@dataclass
class S3Storage:
    server: S3Server
    bucket: str
    absent: list[Path]

    def keys(self, prefix: str = "") -> list[str]:
        client = self.server.client()
        out: list[str] = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            out += [item["Key"] for item in page.get("Contents", [])]
        return sorted(out)

    def read(self, object_key: str) -> bytes:
        return self.server.client().get_object(Bucket=self.bucket, Key=object_key)["Body"].read()

    def env(self) -> dict:
        return self.server.env(self.bucket)


@pytest.fixture
def s3_storage(s3_server, settings, tmp_path):
    """This test on ``VR_STORAGE=s3``: a fresh bucket, and no media or datasets folder."""
    bucket = f"vr-test-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(Bucket=bucket)
    absent = [tmp_path / "no-media-root", tmp_path / "no-datasets-root"]
    settings.MEDIA_ROOT, settings.VR_DATASETS_ROOT = absent
    settings.VR_STORAGE = "s3"
    settings.VR_S3_BUCKET = settings.VR_S3_DATASETS_BUCKET = bucket
    settings.VR_S3_ENDPOINT_URL = settings.VR_S3_PUBLIC_ENDPOINT_URL = s3_server.endpoint
    settings.VR_S3_ADDRESSING_STYLE = "path"
    settings.VR_SCRATCH_DIR = str(tmp_path / "scratch")
    settings.STORAGES = storage_settings(s3_server, bucket)
    state = S3Storage(s3_server, bucket, absent)
    yield state
    for folder in absent:
        assert not folder.exists(), f"{folder} was written on VR_STORAGE=s3"
