"""A real webhook receiver: an HTTP server on 127.0.0.1 in a thread, started by a test.

It verifies every request's signature the way docs/webhooks.md tells a receiver to, records what
it got, and answers ``fail_first`` requests with 500 (then 200), or ``status`` to all."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from annotator.webhooks.signing import verify


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    verified: bool

    @property
    def json(self) -> dict:
        return json.loads(self.body)


class Receiver:
    def __init__(self, secret: str = "", *, fail_first: int = 0, status: int = 200, answer: bytes = b"ok"):
        self.secret = secret
        self.fail_first = fail_first
        self.status = status
        self.answer = answer
        self.received: list[Received] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802 (the stdlib's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                ok = verify(server.secret, body, headers.get("x-vr-timestamp"), headers.get("x-vr-signature"))
                with server.lock:
                    server.received.append(Received(self.path, headers, body, ok))
                    failing = server.fail_first > 0
                    if failing:
                        server.fail_first -= 1
                status = 500 if failing else server.status
                answer = b"<b>not yet</b>" if failing else server.answer
                self.send_response(status)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def events(self) -> list[str]:
        with self.lock:
            return [r.headers.get("x-vr-event") for r in self.received]
