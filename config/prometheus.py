"""prometheus_client in several processes (docs/observability.md), without Django: used by the
/metrics view, by Celery workers' own metrics server and by gunicorn's hooks.

With ``PROMETHEUS_MULTIPROC_DIR`` set, prometheus_client keeps every process's values in files
in that folder and a scrape adds them up; the folder must start empty (a previous run's values
would be added) and be the process tree's own (one per container)."""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, multiprocess


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def process_registry() -> CollectorRegistry:
    """What this process exposes: every process's values from the multiprocess folder when there
    is one (a fresh registry each scrape, as prometheus_client asks), else this process's own."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def clear_multiprocess_dir(keep_pid: int | None = None) -> None:
    """Empty the multiprocess folder at a process tree's start; ``keep_pid``: that process's own
    files stay (a Celery worker's main process may have made its files already)."""
    folder = multiprocess_dir()
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    for path in Path(folder).glob("*.db"):
        if keep_pid is None or not path.stem.endswith(f"_{keep_pid}"):
            path.unlink(missing_ok=True)


def mark_process_dead(pid: int) -> None:
    """An exited process's live gauges are dropped (its counters stay counted)."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(pid)


def start_metrics_server(port: int, address: str = "0.0.0.0"):
    """Serve this process's (in multiprocess mode: every process's) metrics on ``port``."""
    from prometheus_client import start_http_server

    return start_http_server(port, addr=address, registry=process_registry())
