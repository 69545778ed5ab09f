"""The pure rules behind the login lock-out: who a failure counts against, the client's address
behind trusted proxies, and the words and time of the 429."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from annotator.services.login_throttle import forwarded_client, lockout_message, lockout_parameters, retry_at


def test_a_failure_with_a_username_counts_against_the_account_and_the_address():
    assert lockout_parameters(None, {"username": "ann", "password": "x"}) == ["ip_address", "username"]


@pytest.mark.parametrize("credentials", [{"username": None}, {"username": ""}, {}])
def test_a_failure_without_a_username_counts_against_the_address_only(credentials):
    assert lockout_parameters(None, credentials) == ["ip_address"]


def test_attempt_rows_are_read_the_same_way():
    assert lockout_parameters(SimpleNamespace(username="ann")) == ["ip_address", "username"]
    assert lockout_parameters(SimpleNamespace(username=None)) == ["ip_address"]


@pytest.mark.parametrize(
    "remote, forwarded, proxies, expected",
    [
        ("10.0.0.1", None, 0, "10.0.0.1"),
        ("10.0.0.1", "6.6.6.6", 0, "10.0.0.1"),  # no trusted proxy: the header is the client's word
        ("10.0.0.1", "203.0.113.7", 1, "203.0.113.7"),
        ("10.0.0.1", "6.6.6.6, 203.0.113.7", 1, "203.0.113.7"),  # a forged left-most entry is ignored
        ("10.0.0.1", "6.6.6.6, 203.0.113.7, 10.0.0.2", 2, "203.0.113.7"),
        ("10.0.0.1", "203.0.113.7", 2, "10.0.0.1"),  # fewer hops than proxies: not through them
        ("10.0.0.1", " , ", 1, "10.0.0.1"),
    ],
)
def test_the_client_address_behind_trusted_proxies(remote, forwarded, proxies, expected):
    assert forwarded_client(remote, forwarded, proxies) == expected


def test_the_message_says_until_when_and_who_can_lift_it():
    now = datetime(2026, 1, 5, 13, 50, 10, tzinfo=UTC)
    until = retry_at(now - timedelta(minutes=1), now, timedelta(minutes=15))
    text = lockout_message(until, now)
    assert "Too many failed logins" in text
    assert "Try again after 14:04 UTC (in about 14 minutes)" in text
    assert "admin" in text
    assert "in about 1 minute)" in lockout_message(now + timedelta(seconds=5), now)
