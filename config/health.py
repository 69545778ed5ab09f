"""Health endpoints for load balancers, orchestrators and docker-compose (docs/observability.md).

- ``/healthz/live``: the process is up and answers; it looks at nothing else (a restart would not
  cure a database outage, so liveness must not fail on one).
- ``/healthz/ready``: it can do its work: the database answers, Redis (broker and cache) answers,
  both storages (media and datasets) can be written (a filesystem folder) or reached (an S3
  bucket: HEAD bucket), and at least one Celery worker answers for each queue of
  ``VR_READINESS_QUEUES`` (a control broadcast, ``VR_READINESS_TIMEOUT_SECONDS``). The JSON body
  names each check ``ok`` or ``unavailable`` (why goes to the log: it names hosts); 503 when one
  fails.
- ``/healthz``: as before, the database only ("ok").

All three are answered by ``config.middleware.HealthCheckMiddleware``, before the host check
and the HTTPS redirect.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

OK, UNAVAILABLE = "ok", "unavailable"


def live(request):
    return JsonResponse({"status": OK})


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_redis() -> None:
    """Redis answers PING (the broker and cache); nothing to check without REDIS_URL (embedded)."""
    import redis

    for url in dict.fromkeys(u for u in (settings.REDIS_URL, settings.CELERY_BROKER_URL) if u.startswith("redis")):
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        try:
            client.ping()
        finally:
            client.close()


def _check_storage(storage) -> None:
    from annotator.storage import is_local

    if is_local(storage):
        folder = Path(storage.location)
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".ready-", delete=True) as handle:
            handle.write(b"ok")
            handle.flush()
        return
    client = storage.connection.meta.client
    client.head_bucket(Bucket=storage.bucket_name)


def check_storage() -> None:
    from annotator.storage import datasets_storage, media_storage

    _check_storage(media_storage())
    _check_storage(datasets_storage())


def readiness_queues() -> list[str]:
    return list(settings.VR_READINESS_QUEUES)


def answering_workers(timeout: float) -> dict[str, list[str]]:
    """Queue name → the workers that answered a control broadcast and consume it."""
    from config.celery import app

    with app.connection_for_read(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
        replies = app.control.inspect(timeout=timeout, connection=conn).active_queues() or {}
    by_queue: dict[str, list[str]] = {}
    for worker, queues in replies.items():
        for queue in queues or []:
            by_queue.setdefault(queue.get("name", ""), []).append(worker)
    return by_queue


def readiness() -> tuple[bool, dict]:
    """(ready, body): every check by name."""
    checks: dict = {}
    for name, check in (("database", check_database), ("redis", check_redis), ("storage", check_storage)):
        try:
            check()
            checks[name] = OK
        except Exception:
            logger.exception("readiness: %s is unavailable", name)
            checks[name] = UNAVAILABLE
    wanted = readiness_queues()
    if wanted:
        workers: dict = {}
        if checks["redis"] != OK:
            workers = {queue: UNAVAILABLE for queue in wanted}
        else:
            try:
                by_queue = answering_workers(settings.VR_READINESS_TIMEOUT_SECONDS)
            except Exception:
                logger.exception("readiness: the workers could not be asked")
                by_queue = {}
            workers = {queue: OK if by_queue.get(queue) else UNAVAILABLE for queue in wanted}
        checks["workers"] = workers
    ready = all(value == OK for value in checks.values() if isinstance(value, str)) and all(
        value == OK for value in checks.get("workers", {}).values()
    )
    return ready, {"status": OK if ready else UNAVAILABLE, "checks": checks}


def ready(request):
    is_ready, body = readiness()
    return JsonResponse(body, status=200 if is_ready else 503)


def healthz(request):
    """The database only, as ``/healthz`` always answered ("ok", or 503 with a JSON body)."""
    try:
        check_database()
    except Exception:
        logger.exception("health check: the database is unavailable")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return HttpResponse("ok", content_type="text/plain")
