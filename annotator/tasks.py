"""The core's periodic task (found by Celery's autodiscovery): lapsed assignment leases return
their slots to the pool."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from annotator.services.claims import expire_leases as expire


@shared_task(
    bind=True,
    name="annotator.tasks.expire_leases",
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def expire_leases(self) -> int:
    """Beat: return the slots of lapsed assignment leases to the pool."""
    return expire()
