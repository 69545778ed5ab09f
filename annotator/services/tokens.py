"""Personal API tokens: made, checked and revoked here; only a key's SHA-256 is ever stored.

A key is ``vrp_`` and 43 URL-safe characters (32 random bytes from ``secrets``): with 256 bits of
entropy an unsalted SHA-256 is as good as a slow password hash (nobody can try 2^256 keys), and
it lets a presented key be found by one indexed lookup of its hash. The key itself is answered
once, to its maker, and never again; ``prefix`` (its first 12 characters) tells tokens apart.

Keys of the DRF authtoken table (40 hex characters) were hashed into personal tokens by the
migration ``annotator.0009``: they keep working, and they too are stored only as their hash.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import PersonalToken

KEY_PREFIX = "vrp_"
PREFIX_CHARS = 12
MAX_LIVE_TOKENS = 50  # per user: past this, revoke one first
MAX_KEY_CHARS = 200  # a presented key longer than this is not one of ours (nothing is hashed)
LAST_USED_RESOLUTION = timedelta(minutes=1)  # last_used_at is written at most once a minute


class TokenError(Exception):
    """A refused token operation: ``field`` → message (a 400), or a refused key (a 401)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class IssuedToken:
    token: PersonalToken
    key: str  # shown once


def issue(user, name: str, expires_at=None, now=None) -> IssuedToken:
    """A new token of ``user`` named ``name`` (unique among their live tokens)."""
    now = now or timezone.now()
    name = (name or "").strip()
    if not name:
        raise TokenError("Name the token (what it is for, e.g. the script or machine).", "name")
    if expires_at is not None and expires_at <= now:
        raise TokenError("The expiry date is in the past: choose a later one, or none.", "expires_at")
    with transaction.atomic():
        live = PersonalToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
        names = set(live.values_list("name", flat=True))
        if name in names:
            raise TokenError(f"You already have a token named {name!r}: choose another name.", "name")
        if len(names) >= MAX_LIVE_TOKENS:
            raise TokenError(f"You have {MAX_LIVE_TOKENS} tokens: revoke one you no longer use first.", "name")
        key = new_key()
        try:
            with transaction.atomic():
                token = PersonalToken.objects.create(
                    user=user, name=name, prefix=key[:PREFIX_CHARS], key_hash=hash_key(key), expires_at=expires_at
                )
        except IntegrityError:  # the same name made at the same moment
            raise TokenError(f"You already have a token named {name!r}: choose another name.", "name") from None
    return IssuedToken(token, key)


def revoke(token: PersonalToken, now=None) -> PersonalToken:
    """Stop a token working (kept in its owner's list as revoked); revoking twice changes nothing."""
    if token.revoked_at is None:
        token.revoked_at = now or timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


class UnknownKey(TokenError):
    """No token has this key: a guess (the caller counts it against the lock-out)."""


def check_key(key: str, now=None) -> PersonalToken:
    """The live token of ``key`` (its user loaded), or a TokenError saying why not.

    ``UnknownKey`` for a key no token has; a plain ``TokenError`` for a real key that is revoked or
    expired, or whose user is deactivated (its holder is no guesser)."""
    now = now or timezone.now()
    if not key or len(key) > MAX_KEY_CHARS:
        raise UnknownKey("Invalid token.")
    token = PersonalToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
    if token is None:
        raise UnknownKey("Invalid token.")
    if token.revoked_at is not None:
        raise TokenError(f"This token ({token.prefix}…) was revoked: make a new one on your account page.")
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenError(f"This token ({token.prefix}…) expired: make a new one on your account page.")
    if not token.user.is_active:
        raise TokenError("This token's account is deactivated.")
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_RESOLUTION:
        PersonalToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
