"""The core's Celery tasks (found by Celery's autodiscovery): lapsed assignment leases return
their slots to the pool (beat); webhook deliveries are sent, and the beat sweeps their outbox."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from annotator.services.claims import expire_leases as expire
from annotator.webhooks import outbox

# A lost or restarting database: try again, backing off (5 s doubling to 5 min, jittered), 5 times.
DB_RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(
    bind=True,
    name="annotator.tasks.expire_leases",
    **DB_RETRY,
)
def expire_leases(self) -> int:
    """Beat: return the slots of lapsed assignment leases to the pool."""
    return expire()


@shared_task(
    bind=True,
    name="annotator.tasks.deliver_webhook",
    **DB_RETRY,
)
def deliver_webhook(self, delivery_id: int) -> str:
    """One attempt of a webhook delivery (annotator/webhooks/outbox.py)."""
    return outbox.deliver(delivery_id)


@shared_task(
    bind=True,
    name="annotator.tasks.sweep_webhooks",
    **DB_RETRY,
)
def sweep_webhooks(self) -> dict:
    """Beat: send the webhook deliveries that are due (retries) or whose message was lost."""
    return outbox.sweep()
