"""Middleware of the platform as a whole."""

from __future__ import annotations

from . import health, observability

HEALTH = {"/healthz": health.healthz, "/healthz/live": health.live, "/healthz/ready": health.ready}


class HealthCheckMiddleware:
    """Answers ``/healthz``, ``/healthz/live`` and ``/healthz/ready`` (config/health.py) before the
    host check and the HTTPS redirect: load balancers, docker-compose and Prometheus reach the
    container by its address over plain HTTP, whatever host names the site is served under. The
    answers say only "ok" or "unavailable" per check.

    ``/metrics`` is answered here too for a caller from ``VR_METRICS_ALLOWED_NETWORKS`` (a
    scraper); anyone else goes on to the URL route, which answers staff and 404s the rest."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD"):
            view = HEALTH.get(request.path_info)
            if view is not None:
                return view(request)
            if request.path_info == "/metrics" and observability.from_allowed_network(request):
                return observability.metrics_response()
        return self.get_response(request)
