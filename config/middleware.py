"""Middleware of the platform as a whole."""

from __future__ import annotations

from . import views


class HealthCheckMiddleware:
    """Answers ``/healthz`` before the host check and the HTTPS redirect: load balancers and
    docker-compose probe the container by its address over plain HTTP, whatever host names the
    site is served under. The answer says only "ok" or "unavailable"."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == "/healthz" and request.method in ("GET", "HEAD"):
            return views.healthz(request)
        return self.get_response(request)
