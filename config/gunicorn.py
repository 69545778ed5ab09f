"""gunicorn settings hooks (``gunicorn -c python:config.gunicorn``, docker-compose.yml's web):
with PROMETHEUS_MULTIPROC_DIR the metrics folder starts empty and an exited worker's live
gauges are dropped (docs/observability.md). Runs in gunicorn's master, before Django is set up."""

from config.prometheus import clear_multiprocess_dir, mark_process_dead


def on_starting(server):
    clear_multiprocess_dir()


def child_exit(server, worker):
    mark_process_dead(worker.pid)
