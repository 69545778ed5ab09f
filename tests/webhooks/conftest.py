"""Webhook tests: a receiver on 127.0.0.1 is allowed through VR_WEBHOOK_ALLOWED_NETWORKS, and the
retry schedule is in fractions of a second."""

from __future__ import annotations

import time

import pytest

from annotator.models import Membership
from tests import factories as f


@pytest.fixture
def webhook_settings(settings):
    settings.VR_WEBHOOK_ALLOWED_NETWORKS = "127.0.0.1/32"
    settings.VR_WEBHOOK_RETRY_SCHEDULE = "0.2,0.2,0.2,0.2,0.2,0.2"
    settings.VR_WEBHOOK_TIMEOUT_SECONDS = 5
    return settings


@pytest.fixture
def people(db):
    return f.people()


@pytest.fixture
def project(people):
    return f.project(
        name="Hooked",
        members={
            people["manager"]: Membership.Role.MANAGER,
            people["annotator"]: Membership.Role.ANNOTATOR,
            people["researcher"]: Membership.Role.RESEARCHER,
        },
    )


def hooks_url(project) -> str:
    return f"/api/projects/{project.pk}/webhooks/"


def wait_for(check, timeout: float = 15.0, every: float = 0.05, sweep: bool = False):
    """Poll ``check()`` until it is truthy; with ``sweep``, run the beat's sweep between polls."""
    from annotator.webhooks import outbox

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        if sweep:
            outbox.sweep()
        time.sleep(every)
    return check()
