"""The shipped nginx config (deploy/nginx.conf) run for real on this machine: only its upstream,
port, roots and scratch paths are put to the caller's. Used by tests/deploy/test_nginx_accel.py
and tests/deploy/test_flower.py (through :func:`nginx_in_front`) and by bench/video_serving.py, so all run
the same file docker-compose.yml mounts."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def local_config(
    *,
    upstream: str,
    port: int,
    media_root: Path,
    datasets_root: Path,
    scratch: Path,
    static_root: Path | None = None,
    flower: str | None = None,
) -> str:
    """deploy/nginx.conf for a local run: ``upstream`` (host:port of the app), listening on
    127.0.0.1:``port``, the internal locations aliased to the given roots, the collected static
    files' parent folder (the image's /srv) ``static_root`` or a folder under ``scratch``, pid
    and temp files under ``scratch``; Flower at ``flower`` (host:port; default: the app's)."""
    conf = (REPO / "deploy" / "nginx.conf").read_text()
    static_root = Path(static_root or scratch / "srv").resolve()
    conf = conf.replace("root /srv;", f"root {static_root};")
    for old, new in (
        ("server web:8000;", f"server {upstream};"),
        ("server flower:5555;", f"server {flower or upstream};"),
        ("listen 8080;", f"listen 127.0.0.1:{port};"),
        ("alias /data/media/;", f"alias {Path(media_root).resolve()}/;"),
        ("alias /data/datasets/;", f"alias {Path(datasets_root).resolve()}/;"),
        ("pid /tmp/nginx.pid;", f"pid {scratch}/nginx.pid;"),
        ("/tmp/nginx-", f"{scratch}/"),
    ):
        assert old in conf, old
        conf = conf.replace(old, new)
    if os.geteuid() == 0:  # a root master would run its workers as `nobody`, who cannot read tmp_path
        conf = "user root;\n" + conf
    return conf


def start_nginx(
    *,
    upstream: str,
    port: int,
    media_root: Path,
    datasets_root: Path,
    scratch: Path,
    static_root: Path | None = None,
    flower: str | None = None,
) -> subprocess.Popen:
    """nginx in the foreground on :func:`local_config`, once it accepts connections on ``port``."""
    scratch.mkdir(parents=True, exist_ok=True)
    conf = scratch / "nginx.conf"
    conf.write_text(
        local_config(
            upstream=upstream,
            port=port,
            media_root=media_root,
            datasets_root=datasets_root,
            scratch=scratch,
            static_root=static_root,
            flower=flower,
        )
    )
    process = subprocess.Popen(
        [NGINX, "-e", "stderr", "-p", str(scratch), "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"nginx did not start: {process.stdout.read().decode()[-2000:]}") from None
            time.sleep(0.1)


@contextmanager
def nginx_in_front(live_server_url: str, settings, tmp_path: Path, *, flower: str | None = None) -> Iterator[str]:
    """nginx on :func:`local_config` in front of a test's live server (its ``settings``' media and
    dataset roots; scratch and /srv under ``tmp_path``), stopped afterwards; its URL."""
    port = free_port()
    process = start_nginx(
        upstream=live_server_url.removeprefix("http://"),
        port=port,
        media_root=Path(settings.MEDIA_ROOT),
        datasets_root=Path(settings.VR_DATASETS_ROOT),
        scratch=tmp_path / "nginx",
        static_root=tmp_path / "srv",
        flower=flower,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
