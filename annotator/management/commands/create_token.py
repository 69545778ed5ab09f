"""Make a personal API token for a user from the command line and print its key once.

    python manage.py create_token USERNAME --name "nightly export" [--days 90]

The same as the account page's "New token": only the key's hash is stored; revoke it there (or
with ``--revoke NAME``)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from annotator.models import PersonalToken
from annotator.services import tokens


class Command(BaseCommand):
    help = "Make a personal API token for USERNAME and print its key (shown only now)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="command line", help="What the token is for (unique per user).")
        parser.add_argument("--days", type=int, default=None, help="Expire after this many days (default: never).")
        parser.add_argument("--revoke", metavar="NAME", help="Revoke the user's live token of this name instead.")

    def handle(self, *args, username, name, days, revoke, **options):
        user = get_user_model()._default_manager.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user is named {username!r}.")
        if revoke:
            token = PersonalToken.objects.filter(user=user, name=revoke, revoked_at__isnull=True).first()
            if token is None:
                raise CommandError(f"{username} has no live token named {revoke!r}.")
            tokens.revoke(token)
            self.stdout.write(f"Revoked {token.prefix}… ({revoke}).")
            return
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1.")
        expires_at = timezone.now() + timedelta(days=days) if days else None
        try:
            issued = tokens.issue(user, name, expires_at)
        except tokens.TokenError as exc:
            raise CommandError(exc.message) from None
        self.stderr.write(f"Token {name!r} for {username}; copy the key now, it is not shown again:")
        self.stdout.write(issued.key)
