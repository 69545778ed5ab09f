"""Failed-login throttling: who a failure counts against, and what a locked-out caller is told.

django-axes keeps the counts (``axes.models.AccessAttempt``, one row per username, address and
user agent); these functions are its configuration (``AXES_LOCKOUT_PARAMETERS``,
``AXES_CLIENT_IP_CALLABLE``) and the words of its answer. A failure counts against the account
*and* the address: either reaching ``VR_LOGIN_FAILURE_LIMIT`` locks it for the cool-off, so a
guesser is stopped whether they try many passwords for one account or one password for many
accounts, and a locked account does not lock anyone else from another address.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.conf import settings

ADDRESS = "ip_address"
ACCOUNT = "username"


def lockout_parameters(request_or_attempt, credentials: dict | None = None) -> list[str]:
    """Count a failure per address and, when the attempt named an account, per account.

    A failure without a username (a wrong API token) counts against its address only: every
    such failure shares the username NULL, and an account of that name would lock every
    token caller everywhere."""
    if credentials is not None:
        username = credentials.get(ACCOUNT)
    else:
        username = getattr(request_or_attempt, ACCOUNT, None)
    return [ADDRESS, ACCOUNT] if username else [ADDRESS]


def forwarded_client(remote_addr: str | None, forwarded_for: str | None, trusted_proxies: int) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or behind ``trusted_proxies`` reverse proxies that
    each append the address they saw to ``X-Forwarded-For``, the entry the outermost trusted proxy
    added (entries further left are the client's own words and may be forged)."""
    if trusted_proxies <= 0 or not forwarded_for:
        return remote_addr
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    if len(hops) < trusted_proxies:
        return remote_addr
    return hops[-trusted_proxies]


def client_ip(request) -> str | None:
    """The address failures are counted against (``AXES_CLIENT_IP_CALLABLE``)."""
    meta = request.META
    return forwarded_client(meta.get("REMOTE_ADDR"), meta.get("HTTP_X_FORWARDED_FOR"), settings.VR_TRUSTED_PROXY_COUNT)


def lockout_message(retry_at: datetime, now: datetime) -> str:
    """What a locked-out caller reads: why, until when, and that an admin can lift it."""
    minutes = max(1, math.ceil((retry_at - now).total_seconds() / 60))
    return (
        "Too many failed logins for this account or from this address. "
        f"Try again after {retry_at:%H:%M} UTC (in about {minutes} minute{'s' if minutes != 1 else ''}), "
        "or ask an admin to lift the lock-out."
    )


def retry_at(last_failure: datetime | None, now: datetime, cooloff: timedelta) -> datetime:
    """When the lock-out ends: one cool-off after the failure that caused it."""
    return (last_failure or now) + cooloff


def last_failure(ip_address: str | None, username: str | None) -> datetime | None:
    """The latest failure counted against this address or account within the cool-off."""
    from axes.models import AccessAttempt
    from django.db.models import Max, Q
    from django.utils import timezone

    condition = Q(ip_address=ip_address)
    if username:
        condition |= Q(username=username)
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    return AccessAttempt.objects.filter(condition, attempt_time__gte=since).aggregate(t=Max("attempt_time"))["t"]
