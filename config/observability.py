"""Prometheus metrics of the platform (docs/observability.md).

``/metrics`` is django-prometheus' exposition (request latency by view, requests and responses by
status, the platform's own ``vr_*`` counters of ``annotator.metrics``) plus ``vr_queue_depth``,
read from the broker at every scrape. It answers only callers from
``VR_METRICS_ALLOWED_NETWORKS`` (a CIDR list; loopback only by default) and staff users (their
session or personal API token); anyone else gets the same 404 as an unknown address.

Several processes: with ``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn's workers, Celery's prefork
children) every process writes its values to that folder and a scrape adds them up
(prometheus_client's MultiProcessCollector, config/prometheus.py); ``config/gunicorn.py`` empties
the folder at start and marks exited workers. A Celery worker serves its own metrics (its jobs')
on ``VR_WORKER_METRICS_PORT`` (config/celery.py).
"""

from __future__ import annotations

import functools
import ipaddress
import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.settings import api_settings

from annotator import netpolicy
from annotator.services.login_throttle import client_ip

from .prometheus import process_registry

logger = logging.getLogger(__name__)

# kombu's Redis transport keeps a queue's messages in a list named after the queue; messages
# sent with a priority go to sibling lists "<queue>\x06\x16<step>" (its default priority steps).
REDIS_PRIORITY_SEP = "\x06\x16"
REDIS_PRIORITY_STEPS = (3, 6, 9)


@functools.lru_cache(maxsize=8)
def parse_networks(value: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """``VR_METRICS_ALLOWED_NETWORKS`` (comma-separated CIDRs or addresses) as networks, read by
    the address policy's parser (``annotator.netpolicy``) once per value, not at every scrape."""
    try:
        return list(netpolicy.parse_networks(value, "VR_METRICS_ALLOWED_NETWORKS"))
    except ValueError as exc:
        raise ImproperlyConfigured(str(exc)) from None


def address_allowed(address: str | None, networks) -> bool:
    """Whether ``address`` (a client's IP) is in one of ``networks``."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return False
    if getattr(ip, "ipv4_mapped", None):
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in networks)


def from_allowed_network(request) -> bool:
    return address_allowed(client_ip(request), parse_networks(settings.VR_METRICS_ALLOWED_NETWORKS))


def _is_staff(request) -> bool:
    """A staff user by session or personal API token (the API's own authentication classes)."""
    drf_request = Request(request, authenticators=[auth() for auth in api_settings.DEFAULT_AUTHENTICATION_CLASSES])
    try:
        user = drf_request.user
    except APIException:  # a wrong token or password: the same answer as none
        return False
    return bool(user and user.is_authenticated and user.is_staff)


class QueueDepthCollector:
    """``vr_queue_depth{queue}``: messages waiting in each Celery queue (config.celery.queue_names),
    read from the Redis broker at scrape time. Nothing is reported on another broker."""

    def __init__(self, broker_url: str, queues: list[str]):
        self.broker_url, self.queues = broker_url, queues

    def collect(self):
        family = GaugeMetricFamily(
            "vr_queue_depth", "Messages waiting in a Celery queue (not yet taken).", labels=["queue"]
        )
        if self.broker_url.startswith(("redis://", "rediss://", "unix://")):
            import redis

            client = redis.Redis.from_url(self.broker_url, socket_timeout=2, socket_connect_timeout=2)
            try:
                with client.pipeline(transaction=False) as pipe:
                    for queue in self.queues:
                        pipe.llen(queue)
                        for step in REDIS_PRIORITY_STEPS:
                            pipe.llen(f"{queue}{REDIS_PRIORITY_SEP}{step}")
                    lengths = pipe.execute()
            except redis.RedisError:
                logger.warning("metrics: the broker's queue lengths could not be read", exc_info=True)
                return
            finally:
                client.close()
            per_queue = len(REDIS_PRIORITY_STEPS) + 1
            for index, queue in enumerate(self.queues):
                family.add_metric([queue], sum(lengths[index * per_queue : (index + 1) * per_queue]))
        yield family


def exposition() -> bytes:
    """The /metrics body: this process's (or every process's) metrics and the queue depths."""
    from config.celery import queue_names

    depth = CollectorRegistry()  # read at scrape time, in this process only
    depth.register(QueueDepthCollector(settings.CELERY_BROKER_URL, queue_names()))
    return generate_latest(process_registry()) + generate_latest(depth)


def metrics_response() -> HttpResponse:
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


def metrics(request):
    """``/metrics`` for staff (session or token) when the caller's network is not allowed; the
    allowed networks are answered earlier, by ``config.middleware.HealthCheckMiddleware``."""
    if request.method not in ("GET", "HEAD") or not (from_allowed_network(request) or _is_staff(request)):
        raise Http404()
    return metrics_response()
