"""Signing a delivery (pure: no Django), Stripe/GitHub-style.

Every delivery carries::

    X-VR-Event: task.completed
    X-VR-Delivery: <the event id, a UUID: the same on every retry>
    X-VR-Timestamp: <unix seconds when this attempt was signed>
    X-VR-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>

A receiver recomputes the HMAC over the raw body it read, compares in constant time, and refuses
a timestamp older than its replay window (five minutes is usual). ``verify`` is that check.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

PREFIX = "sha256="
REPLAY_WINDOW_SECONDS = 300


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=<hex>``: the HMAC-SHA256 of ``f"{timestamp}.".encode() + body`` under ``secret``."""
    mac = hmac.new(secret.encode(), f"{int(timestamp)}.".encode() + body, hashlib.sha256)
    return PREFIX + mac.hexdigest()


def headers(secret: str, event: str, event_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    return {
        "Content-Type": "application/json",
        "User-Agent": "vr-platform-webhooks/1",
        "X-VR-Event": event,
        "X-VR-Delivery": str(event_id),
        "X-VR-Timestamp": str(timestamp),
        "X-VR-Signature": signature(secret, timestamp, body),
    }


def verify(
    secret: str,
    body: bytes,
    timestamp: str,
    signature_header: str,
    *,
    now: float | None = None,
    window: float = REPLAY_WINDOW_SECONDS,
) -> bool:
    """What a receiver does: True when the signature matches and the timestamp is within ``window``."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - sent) > window:
        return False
    return hmac.compare_digest(signature(secret, sent, body), str(signature_header or ""))
