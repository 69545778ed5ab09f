"""The pure parts of webhooks: signatures, the retry schedule, the payload, the URL and address
policy (no database)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from annotator import netpolicy
from annotator.webhooks import events, http, signing


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    body = b'{"event":"ping"}'
    expected = hmac.new(b"whsec_x", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signing.signature("whsec_x", 1700000000, body) == f"sha256={expected}"
    headers = signing.headers("whsec_x", "ping", "0b1c", body, timestamp=1700000000)
    assert headers["X-VR-Signature"] == f"sha256={expected}"
    assert (headers["X-VR-Event"], headers["X-VR-Delivery"], headers["X-VR-Timestamp"]) == (
        "ping",
        "0b1c",
        "1700000000",
    )


def test_verify_accepts_the_signature_and_refuses_tampering_other_secrets_and_old_timestamps():
    body = b'{"a":1}'
    sig = signing.signature("s3cret", 1000, body)
    assert signing.verify("s3cret", body, "1000", sig, now=1000)
    assert signing.verify("s3cret", body, "1000", sig, now=1000 + 299)
    assert not signing.verify("s3cret", body, "1000", sig, now=1000 + 301)  # a replay, too late
    assert not signing.verify("s3cret", b'{"a":2}', "1000", sig, now=1000)
    assert not signing.verify("other", body, "1000", sig, now=1000)
    assert not signing.verify("s3cret", body, "1001", sig, now=1000)  # the timestamp is signed too
    assert not signing.verify("s3cret", body, "soon", sig, now=1000)
    assert not signing.verify("s3cret", body, "1000", "", now=1000)


def test_secrets_are_long_and_new_each_time():
    a, b = signing.new_secret(), signing.new_secret()
    assert a != b and a.startswith("whsec_") and len(a) > 40


def test_the_default_schedule_spans_about_a_day_and_ends_in_failure():
    schedule = events.parse_schedule("")
    assert schedule == events.DEFAULT_SCHEDULE
    assert 20 * 3600 < sum(schedule) < 30 * 3600
    assert [events.retry_delay(n, schedule) for n in (1, 2, 8)] == [30, 120, 12 * 3600]
    assert events.retry_delay(9, schedule) is None  # the ninth failed attempt: failed for good
    assert events.retry_delay(0, schedule) is None


def test_a_schedule_from_the_setting_and_its_errors():
    assert events.parse_schedule("0.5, 1,2") == (0.5, 1.0, 2.0)
    with pytest.raises(ValueError, match="VR_WEBHOOK_RETRY_SCHEDULE: `soon` is not a number"):
        events.parse_schedule("1,soon")
    with pytest.raises(ValueError, match="between 0 and"):
        events.parse_schedule("-1")
    with pytest.raises(ValueError, match="between 0 and"):
        events.parse_schedule("nan")


def test_the_payload_shape():
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    body = events.payload("task.completed", "abc", when, {"id": 3, "name": "P", "extra": 1}, {"task": {"id": 9}})
    assert body == {
        "event": "task.completed",
        "id": "abc",
        "created_at": "2026-01-02T03:04:05Z",
        "project": {"id": 3, "name": "P"},
        "data": {"task": {"id": 9}},
    }


def test_the_events_are_the_issue_s_six_and_ping_is_not_subscribable():
    assert set(events.EVENTS) == {
        "annotation.submitted",
        "task.completed",
        "import.finished",
        "export.finished",
        "weight_set.promoted",
        "job.failed",
    }
    assert events.unknown_events(["ping", "task.completed", "task.done"]) == ["ping", "task.done"]


def test_response_excerpts_are_text_capped_at_a_kilobyte():
    assert events.excerpt(b"x" * 5000) == "x" * 1024
    assert events.excerpt(b"\xff<b>") == "\ufffd<b>"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/hook", "only http and https URLs can receive webhooks, not `ftp:`"),
        ("javascript:alert(1)", "only http and https"),
        ("https://user:pw@example.com/", "user name or password"),
        ("http:///nohost", "the URL has no host"),
        ("", "the URL is empty"),
        ("https://example.com/a b", "spaces or control characters"),
        ("https://example.com/" + "a" * 2000, "longer than 2000 characters"),
    ],
)
def test_urls_refused_before_any_lookup(url, reason):
    with pytest.raises(http.UrlRefused, match=reason.replace("(", r"\(").replace(")", r"\)")):
        http.parse_url(url)


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("http://127.0.0.1/hook", "127.0.0.1 is a loopback address"),
        ("http://10.0.0.5/hook", "a private address"),
        ("http://169.254.169.254/latest/meta-data", "a link-local address"),
        ("http://[::1]:8080/", "a loopback address"),
        ("http://[::ffff:192.168.0.1]/", "an IPv6 address embedding 192.168.0.1, a private address"),
        ("http://0.0.0.0/", "an unspecified address"),
        ("http://100.64.0.1/", "a shared (CGNAT) address"),
    ],
)
def test_private_loopback_and_link_local_destinations_are_refused(url, said):
    with pytest.raises(http.UrlRefused) as refused:
        http.check_url(url)
    assert said in refused.value.reason and "VR_WEBHOOK_ALLOWED_NETWORKS" in refused.value.reason


def test_an_allowed_network_lets_its_addresses_through_and_no_other():
    allowed = netpolicy.parse_networks("127.0.0.1/32", http.ALLOW_SETTING)
    assert str(http.check_url("http://127.0.0.1:9/hook", allowed)) == "127.0.0.1"
    with pytest.raises(http.UrlRefused, match="127.0.0.2 is a loopback address"):
        http.check_url("http://127.0.0.2/hook", allowed)
    with pytest.raises(ValueError, match="VR_WEBHOOK_ALLOWED_NETWORKS: `nope` is not a network"):
        netpolicy.parse_networks("nope", http.ALLOW_SETTING)


def test_a_post_to_a_refused_address_is_an_outcome_not_an_exception():
    outcome = http.post("http://10.1.1.1/hook", b"{}", {})
    assert outcome.status_code is None and not outcome.ok
    assert outcome.error.startswith("refused: 10.1.1.1 is a private address")


def test_the_verification_snippet_in_the_docs_accepts_a_real_signature():
    """docs/webhooks.md's Python snippet, run as a receiver would: it accepts what we send and
    refuses a changed body."""
    import re
    import time
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "webhooks.md").read_text()
    snippet = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    namespace: dict = {}
    exec(compile(snippet, "docs/webhooks.md", "exec"), namespace)  # noqa: S102 (our own docs)
    body = b'{"event":"ping"}'
    headers = signing.headers("whsec_doc", "ping", "e1", body, timestamp=int(time.time()))
    assert namespace["verify"]("whsec_doc", body, headers["X-VR-Timestamp"], headers["X-VR-Signature"])
    assert not namespace["verify"]("whsec_doc", body + b" ", headers["X-VR-Timestamp"], headers["X-VR-Signature"])
