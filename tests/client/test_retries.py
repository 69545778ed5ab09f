"""Retries against a real HTTP server started by the test (the standard library's, on a free
port): answers 503/429 first, then success. Which requests are retried, how often, and that
Retry-After is honoured."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from visionreward_client import Client, RateLimited, ServerError, TransportError
from visionreward_client.cli import main


class Flaky:
    """A server whose answers are scripted: a list of (status, headers) to give before 200."""

    def __init__(self, failures: list[tuple[int, dict[str, str]]]):
        self.failures, self.seen = list(failures), []
        flaky = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                flaky.seen.append((self.command, self.path, time.monotonic(), body))
                if flaky.failures:
                    status, headers = flaky.failures.pop(0)
                    payload = json.dumps({"detail": f"Try later ({status})."}).encode()
                else:
                    status, headers = 200, {}
                    payload = json.dumps({"user": {"id": 1, "username": "mona", "is_staff": False}}).encode()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def flaky():
    servers = []

    def start(*failures):
        server = Flaky(list(failures))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def test_a_503_then_success_is_retried_honouring_retry_after(flaky):
    server = flaky((503, {"Retry-After": "0.3"}), (503, {}))
    with Client(server.url, "vrp_x", backoff=0.01) as vr:
        assert vr.whoami().username == "mona"
    times = [t for _, _, t, _ in server.seen]
    assert len(times) == 3 and times[1] - times[0] >= 0.3  # the server's Retry-After was waited


def test_a_429_is_retried_even_for_a_post_with_the_same_body(flaky):
    server = flaky((429, {"Retry-After": "0"}))
    with Client(server.url, "vrp_x", backoff=0.01) as vr:
        vr.post("/api/projects/1/predictions/", {"predictions": [{"asset": 1}]})
    assert [m for m, *_ in server.seen] == ["POST", "POST"]
    assert server.seen[0][3] == server.seen[1][3] and b'"asset"' in server.seen[0][3]


def test_a_502_to_a_post_is_not_retried_and_retries_end(flaky):
    server = flaky((502, {}))
    with Client(server.url, "vrp_x", backoff=0.01) as vr, pytest.raises(ServerError) as failed:
        vr.post("/api/exports/", {"name": "x", "projects": [1]})
    assert failed.value.status == 502 and failed.value.message == "Try later (502)." and len(server.seen) == 1

    server = flaky(*[(429, {"Retry-After": "0"})] * 3)
    with Client(server.url, "vrp_x", retries=2, backoff=0.01) as vr, pytest.raises(RateLimited) as limited:
        vr.whoami()
    assert len(server.seen) == 3 and limited.value.retry_after == 0.0


def test_the_command_line_retries_too_and_exits_6_when_the_server_keeps_failing(flaky, capsys):
    server = flaky((503, {"Retry-After": "0"}), (504, {}))
    assert main(["whoami", "--url", server.url, "--token", "vrp_x", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["user"]["username"] == "mona" and len(server.seen) == 3

    server = flaky(*[(503, {"Retry-After": "0"})] * 3)
    assert main(["whoami", "--url", server.url, "--token", "vrp_x", "--retries", "2", "--json"]) == 6
    assert json.loads(capsys.readouterr().out)["error"] == {
        "type": "ServerError",
        "message": "Try later (503).",
        "status": 503,
        "errors": {},
        "exit_code": 6,
    }


def test_a_refused_connection_is_retried_then_reported(flaky):
    server = flaky()
    url = server.url
    server.close()  # nothing listens there now
    started = time.monotonic()
    with Client(url, "vrp_x", retries=2, backoff=0.01) as vr, pytest.raises(TransportError, match="GET"):
        vr.whoami()
    assert time.monotonic() - started < 5
