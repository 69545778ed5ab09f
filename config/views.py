import functools
import logging

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import ensure_csrf_cookie

logger = logging.getLogger(__name__)

NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>VisionReward Annotator</title></head>
<body><h1>The browser app is not built yet</h1>
<p>Run <code>make run</code> (or <code>cd frontend &amp;&amp; npm ci &amp;&amp; npm run build</code>) and reload.
The REST API is at <a href="/api/docs/">/api/docs/</a>.</p></body></html>"""


@functools.lru_cache(maxsize=1)
def _read_index(path: str, mtime_ns: int) -> str:
    """The built page, read once per build (the modification time is part of the key)."""
    with open(path, encoding="utf-8") as handle:
        return handle.read()


@ensure_csrf_cookie
def app(request, path: str = ""):
    """The browser app: one HTML page for every client-side route (login, projects, annotate…)."""
    index = settings.FRONTEND_DIST / "index.html"
    try:
        html = _read_index(str(index), index.stat().st_mtime_ns)
    except FileNotFoundError:
        return HttpResponse(NOT_BUILT, status=503)
    response = HttpResponse(html)
    response["Cache-Control"] = "no-cache"
    return response


def healthz(request):
    """Liveness and database readiness, for load balancers and docker-compose (answered by
    ``config.middleware.HealthCheckMiddleware``). The reason of a failure goes to the log, not
    to the (anonymous) caller: it names database hosts."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        logger.exception("health check: the database is unavailable")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return HttpResponse("ok", content_type="text/plain")
