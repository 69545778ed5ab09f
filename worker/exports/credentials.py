"""A Hub token given for one push, held for its job without being stored in plain text anywhere.

The token is split in two shares (XOR, two-of-two secret sharing): a random pad as long as the
token, kept in the job's params (the database), and the token XOR the pad, kept in the cache
(Redis when ``REDIS_URL`` is set) under a random key that expires after
``VR_PUSH_TOKEN_SECONDS``. Either share alone is uniformly random: a database dump, a Redis
dump or its append-only file, the Celery message (which carries only the job id) and the job's
log say nothing about the token. The job joins the shares at the start of each attempt (so an
automatic retry after a network error still has it) and both are deleted when the job ends,
succeeded, failed or cancelled. The jobs API never shows the pad (``shown_params``).

The web process that starts the push and the worker that runs it must share the cache (Redis, or
the embedded mode's file cache): with a per-process memory cache a worker in another process
finds no share and the job fails saying so.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.cache import cache

PREFIX = "push-token:"
SHARE = "token_share"  # the params key holding the pad and the cache key


def ttl_seconds() -> int:
    return int(getattr(settings, "VR_PUSH_TOKEN_SECONDS", 3600))


def hold(token: str) -> dict:
    """Split ``token``: its cache share is written now; the returned dict (the pad and the cache
    key, both random) goes into the job's params under :data:`SHARE`."""
    data = token.encode()
    pad = secrets.token_bytes(len(data))
    key = PREFIX + secrets.token_urlsafe(24)
    cache.set(key, bytes(a ^ b for a, b in zip(data, pad, strict=True)).hex(), timeout=ttl_seconds())
    return {"key": key, "pad": pad.hex()}


def join(share: dict | None) -> str | None:
    """The token again, or None when its cache share is gone (expired, deleted, another cache)."""
    if not isinstance(share, dict) or not str(share.get("key", "")).startswith(PREFIX):
        return None
    other = cache.get(share["key"])
    if not isinstance(other, str):
        return None
    try:
        pad, masked = bytes.fromhex(share.get("pad", "")), bytes.fromhex(other)
    except ValueError:
        return None
    if len(pad) != len(masked):
        return None
    return bytes(a ^ b for a, b in zip(masked, pad, strict=True)).decode(errors="replace")


def drop(params: dict) -> bool:
    """Delete both shares (the cache entry, and the pad from ``params``, changed in place);
    True when there was one."""
    share = params.pop(SHARE, None)
    if isinstance(share, dict) and str(share.get("key", "")).startswith(PREFIX):
        cache.delete(share["key"])
        return True
    return share is not None
