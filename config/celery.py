"""The Celery application object; tasks are discovered in the installed apps."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("visionreward_platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def queue_names() -> list[str]:
    """Every queue a job can be sent to: the default queue, each job kind's queue
    (``worker.jobs.registry``), the queues a registered model may name (``ModelSpec.Queue``) and
    the installation's ``CELERY_TASK_ROUTES``. Sorted; read when asked (after Django is set up)."""
    from django.conf import settings

    from worker.jobs.registry import kinds
    from worker.models import ModelSpec

    names = {settings.CELERY_TASK_DEFAULT_QUEUE}
    names.update(kind.queue for kind in kinds())
    names.update(ModelSpec.Queue.values)
    for route in (settings.CELERY_TASK_ROUTES or {}).values():
        if isinstance(route, dict) and route.get("queue"):
            names.add(str(route["queue"]))
    return sorted(names)


@signals.worker_init.connect
def _empty_metrics_folder(**kwargs):
    """A worker's multiprocess metrics folder starts empty (docs/observability.md)."""
    from config.prometheus import clear_multiprocess_dir

    clear_multiprocess_dir(keep_pid=os.getpid())


@signals.worker_ready.connect
def _serve_worker_metrics(**kwargs):
    """VR_WORKER_METRICS_PORT: this worker's metrics (its jobs' durations and outcomes, every pool
    process's with PROMETHEUS_MULTIPROC_DIR) served by its main process for Prometheus."""
    from django.conf import settings

    port = getattr(settings, "VR_WORKER_METRICS_PORT", 0)
    if port:
        from config.prometheus import start_metrics_server

        start_metrics_server(port)


@signals.worker_process_shutdown.connect
def _process_gone(pid=None, **kwargs):
    from config.prometheus import mark_process_dead

    mark_process_dead(pid or os.getpid())
