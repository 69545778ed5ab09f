import functools

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import ensure_csrf_cookie

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
    """Liveness and database readiness, for load balancers and docker-compose."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # pragma: no cover - reported, not raised
        return JsonResponse({"status": "error", "database": str(exc)}, status=503)
    return HttpResponse("ok", content_type="text/plain")
