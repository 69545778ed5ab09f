import functools

from django.conf import settings
from django.http import HttpResponse
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


def staff_auth(request):
    """nginx's ``auth_request`` for staff-only tools behind it (Flower at /flower/, deploy/nginx.conf):
    204 for a logged-in staff user (the session cookie), 401 for anyone not logged in, 403 for a
    user who is not staff. No body: nginx passes only the status on."""
    user = request.user
    if not user.is_authenticated:
        return HttpResponse(status=401)
    if not (user.is_active and user.is_staff):
        return HttpResponse(status=403)
    return HttpResponse(status=204)
