"""Real processes for the guarantee tests: a web server (gunicorn), Celery workers, a private
redis-server, and one-off ``manage.py shell`` commands, all on the test database.

Every process runs in its own session (process group), so that ``kill()`` sends SIGKILL to the
process and its children at once: what a crash, an OOM kill or a pulled plug does. The
``Stack`` that starts them kills whatever is still alive when the test ends, pass or fail.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def database_url(settings_dict: dict) -> str:
    """The URL of the database Django is connected to now (in a test: the test database)."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{quote(password, safe='')}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


class Proc:
    """One subprocess (its own process group), its output in a log file."""

    def __init__(self, name: str, argv: list[str], env: dict, log: Path):
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.popen: subprocess.Popen | None = None

    def start(self) -> Proc:
        assert not self.alive(), f"{self.name} is already running"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as out:
            out.write(f"\n--- start {' '.join(self.argv)}\n".encode())
            out.flush()
            self.popen = subprocess.Popen(
                self.argv, cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def _signal_group(self, sig: int) -> None:
        if self.popen is None:
            return
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        """SIGKILL the process and every child of its group, and reap it."""
        if self.popen is None:
            return
        self._signal_group(signal.SIGKILL)
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL cannot be ignored
            pass
        self._wait_group_gone()

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM (a clean shutdown), then SIGKILL whatever is left after ``timeout``."""
        if self.popen is None:
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        self.kill()

    def _wait_group_gone(self, timeout: float = 5) -> None:
        # children of a killed group are reaped by init; wait until none is left
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(self.popen.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.02)

    def output(self, last: int = 6000) -> str:
        try:
            return self.log.read_text(errors="replace")[-last:]
        except FileNotFoundError:
            return ""

    def wait_for_output(self, text: str, timeout: float) -> None:
        """Wait until this run of the process (since its last start) printed ``text``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited ({self.popen.returncode}):\n{self.output()}")
            if text in self._this_run():
                return
            time.sleep(0.05)
        raise TimeoutError(f"{self.name} did not print {text!r} within {timeout} s:\n{self.output()}")

    def _this_run(self) -> str:
        data = self.log.read_text(errors="replace") if self.log.exists() else ""
        return data[data.rfind("\n--- start ") :]


class WebServer(Proc):
    """gunicorn serving config.wsgi, as docker-compose runs it (threads instead of 4 workers)."""

    def __init__(self, env: dict, log: Path, *, workers: int = 2, threads: int = 8):
        self.port = free_port()
        super().__init__(
            "web",
            [PYTHON, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{self.port}"]
            + ["--workers", str(workers), "--threads", str(threads), "--timeout", "60", "--graceful-timeout", "2"]
            + ["--backlog", "256"],
            env,
            log,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 40) -> WebServer:
        super().start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"the web server exited:\n{self.output()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        raise TimeoutError(f"the web server did not answer /healthz within {timeout} s:\n{self.output()}")


class Worker(Proc):
    """A Celery worker as docker-compose runs one (prefork, acks late), on the given queues."""

    def __init__(self, env: dict, log: Path, queues: str = "default", *, name: str = "worker"):
        super().__init__(
            name,
            [PYTHON, "-m", "celery", "-A", "config", "worker", f"--queues={queues}", "--concurrency=1"]
            + ["--pool=prefork", "--loglevel=INFO", f"--hostname={name}-{os.getpid()}-{free_port()}@%h"]
            + ["--without-mingle", "--without-gossip", "--without-heartbeat"],
            env,
            log,
        )

    def start(self, timeout: float = 60) -> Worker:
        super().start()
        self.wait_for_output(" ready.", timeout)
        return self


class Beat(Proc):
    """The Celery beat scheduler as docker-compose runs it (the database scheduler, the
    settings' schedule): it sends the periodic sweeps on their real intervals."""

    def __init__(self, env: dict, log: Path, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        super().__init__(
            "beat",
            [PYTHON, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO"]
            + ["--schedule", str(folder / "celerybeat-schedule"), "--pidfile", str(folder / "beat.pid")],
            env,
            log,
        )

    def start(self, timeout: float = 60) -> Beat:
        super().start()
        self.wait_for_output("beat: Starting...", timeout)
        return self


class RedisServer(Proc):
    """A throwaway redis-server on a free port: no persistence, its own folder."""

    def __init__(self, folder: Path, log: Path):
        if shutil.which("redis-server") is None:
            raise RuntimeError("these tests start their own redis-server: install it (apt-get install redis-server)")
        self.port = free_port()
        folder.mkdir(parents=True, exist_ok=True)
        super().__init__(
            "redis",
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--dir", str(folder), "--daemonize", "no"],
            {**os.environ},
            log,
        )

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10) -> RedisServer:
        super().start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if port_open(self.port):
                return self
            if not self.alive():
                raise RuntimeError(f"redis-server exited:\n{self.output()}")
            time.sleep(0.05)
        raise TimeoutError(f"redis-server did not listen on {self.port}:\n{self.output()}")

    def kill(self) -> None:
        super().kill()
        deadline = time.monotonic() + 5
        while port_open(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)


class Stack:
    """The processes of one test, killed at its end; the environment they share."""

    def __init__(self, env: dict, folder: Path):
        self.env, self.folder = env, folder
        self.procs: list[Proc] = []

    def _add(self, proc: Proc) -> Proc:
        self.procs.append(proc)
        return proc

    def redis(self) -> RedisServer:
        redis = self._add(RedisServer(self.folder / "redis", self.folder / "redis.log"))
        redis.start()
        self.env["REDIS_URL"] = redis.url
        return redis

    def web(self, **kwargs) -> WebServer:
        return self._add(WebServer(dict(self.env), self.folder / "web.log", **kwargs)).start()

    def worker(self, queues: str = "default", name: str = "worker", env: dict | None = None) -> Worker:
        """A worker on ``queues``; ``env`` adds to (or overrides) the stack's environment for this
        one (another host's: its own VR_SCRATCH_DIR, say)."""
        worker_env = {**self.env, **(env or {})}
        return self._add(Worker(worker_env, self.folder / f"{name}.log", queues, name=name)).start()

    def beat(self) -> Beat:
        return self._add(Beat(dict(self.env), self.folder / "beat.log", self.folder / "beat")).start()

    def manage(self, code: str, timeout: float = 60) -> dict:
        """Run ``code`` in ``manage.py shell`` with this stack's settings; it must print one JSON
        line starting with ``RESULT `` (returned as a dict)."""
        done = subprocess.run(
            [PYTHON, "manage.py", "shell", "-c", code],
            cwd=REPO,
            env=dict(self.env),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        for line in done.stdout.splitlines():
            if line.startswith("RESULT "):
                return json.loads(line[len("RESULT ") :])
        raise RuntimeError(f"manage.py shell failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")

    def close(self) -> None:
        for proc in reversed(self.procs):
            proc.kill()

    def logs(self) -> str:
        return "\n".join(f"===== {p.name} =====\n{p.output(3000)}" for p in self.procs)
