"""With SENTRY_DSN set, an unexpected error in a request reaches Sentry through the real
sentry-sdk transport (here: a small HTTP server of the test's own standing in for Sentry),
with the environment and release of the settings and no personal data; without it nothing is
sent."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCRIPT = """
import django, sentry_sdk
django.setup()
from django.conf import settings
from django.test import Client
settings.ROOT_URLCONF = "tests.observability.boom_urls"
response = Client(raise_request_exception=False).get(
    "/boom/", HTTP_AUTHORIZATION="Token secret-token-4711", HTTP_COOKIE="sessionid=secret-session-0815"
)
print("status", response.status_code)
sentry_sdk.flush(timeout=10)
"""


def _decode(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    if encoding == "br":
        import brotli

        return brotli.decompress(body)
    return body


class Collector(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]] = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.received.append((self.path, _decode(body, self.headers.get("Content-Encoding", ""))))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def run_app(dsn: str) -> str:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SENTRY_DSN": dsn,
        "SENTRY_ENVIRONMENT": "observability-test",
        "SENTRY_RELEASE": "vr-test-1.2.3",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "a-test-only-secret-key-for-the-sentry-test-0123456789",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_HTTPS": "false",
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_an_unexpected_error_reaches_sentry_without_personal_data():
    Collector.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        out = run_app(f"http://publickey@127.0.0.1:{server.server_port}/42")
    finally:
        server.shutdown()
    assert "status 500" in out
    envelopes = [body for path, body in Collector.received if path.startswith("/api/42/")]
    events = []
    for envelope in envelopes:
        for line in envelope.splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if isinstance(item, dict) and "exception" in item:
                events.append(item)
    assert events, Collector.received
    event = events[0]
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "BoomError" and "deliberate error" in exception["value"]
    assert event["environment"] == "observability-test" and event["release"] == "vr-test-1.2.3"
    assert event["transaction"] == "/boom/"  # the URL pattern, from the Django integration
    raw = b"".join(envelopes)
    assert b"secret-token-4711" not in raw and b"secret-session-0815" not in raw  # send_default_pii off
    assert "ip_address" not in json.dumps(event.get("user") or {})


def test_without_a_dsn_nothing_is_set_up():
    result = subprocess.run(
        [sys.executable, "-c", "import django, sentry_sdk; django.setup(); print(sentry_sdk.is_initialized())"],
        cwd=REPO,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "SENTRY_DSN": "", "DJANGO_DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "False"
