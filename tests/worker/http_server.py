"""A real HTTP server on 127.0.0.1 in a thread, for the fetcher's and the URL imports' tests.

Routes: ``/files/<name>`` serves ``files[name]`` (content type from the suffix); ``/redirect?to=URL``
answers 302 to URL; ``/loop/a`` ↔ ``/loop/b`` redirect to each other; ``/chain/<n>`` redirects n
times, then to ``/files/<final>``; ``/big`` declares a huge Content-Length; ``/endless`` streams
without a Content-Length until the client stops; ``/slow`` waits before answering; ``/trickle``
sends one byte every 0.2 s; ``/gzip`` sends 2 MiB of zeros gzip-compressed; ``/host`` answers
the Host header it got; anything else is 404.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".mp4": "video/mp4", ".txt": "text/plain"}


class MediaServer:
    def __init__(self, files: dict[str, bytes] | None = None, *, tls: tuple[str, str] | None = None):
        """``tls``: (certificate, key) PEM files to serve https; the SNI names asked are kept."""
        self.files: dict[str, bytes] = dict(files or {})
        self.requests: list[tuple[str, str]] = []  # (path, Host header)
        self.sni: list[str | None] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _send(self, status: int, body: bytes = b"", headers: dict | None = None):
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                if "Content-Length" not in (headers or {}):
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body:
                    self.wfile.write(body)

            def do_GET(self):  # noqa: N802 (the stdlib's name)
                parts = urlsplit(self.path)
                path, query = parts.path, parse_qs(parts.query)
                server.requests.append((path, self.headers.get("Host", "")))
                try:
                    self._route(path, query)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _route(self, path, query):
                if path.startswith("/files/"):
                    name = path.removeprefix("/files/")
                    if name not in server.files:
                        return self._send(404, b"no such file")
                    suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
                    kind = TYPES.get(suffix, "application/octet-stream")
                    return self._send(200, server.files[name], {"Content-Type": kind})
                if path == "/redirect":
                    return self._send(302, headers={"Location": query["to"][0]})
                if path == "/loop/a":
                    return self._send(302, headers={"Location": "/loop/b"})
                if path == "/loop/b":
                    return self._send(302, headers={"Location": "/loop/a"})
                if path.startswith("/chain/"):
                    _, _, n, final = path.split("/", 3)
                    target = f"/chain/{int(n) - 1}/{final}" if int(n) > 1 else f"/files/{final}"
                    return self._send(302, headers={"Location": target})
                if path == "/big":
                    self.send_response(200)
                    self.send_header("Content-Type", "image/png")
                    self.send_header("Content-Length", str(50 * 1024**3))
                    self.end_headers()
                    return None
                if path == "/endless":
                    self.send_response(200)
                    self.send_header("Content-Type", "image/png")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    for _ in range(100_000):
                        self.wfile.write(b"\0" * 65536)
                    return None
                if path == "/slow":
                    time.sleep(float(query.get("s", ["5"])[0]))
                    return self._send(200, b"late", {"Content-Type": "text/plain"})
                if path == "/trickle":
                    self.send_response(200)
                    self.send_header("Content-Type", "image/png")
                    self.send_header("Content-Length", "1000")
                    self.end_headers()
                    for _ in range(1000):
                        self.wfile.write(b"x")
                        self.wfile.flush()
                        time.sleep(0.2)
                    return None
                if path == "/gzip":  # 2 MiB of zeros, sent gzip-compressed (about 2 kB) whatever was asked
                    import gzip

                    body = gzip.compress(b"\0" * (2 * 1024 * 1024))
                    return self._send(200, body, {"Content-Type": "image/png", "Content-Encoding": "gzip"})
                if path == "/host":
                    return self._send(200, self.headers.get("Host", "").encode(), {"Content-Type": "text/plain"})
                return self._send(404, b"not found")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.scheme = "https" if tls else "http"
        if tls:
            import ssl

            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*tls)
            context.sni_callback = lambda _sock, name, _ctx: self.sni.append(name)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> MediaServer:
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
