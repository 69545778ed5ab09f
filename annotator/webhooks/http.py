"""One webhook POST (pure: no Django; the caller passes the settings).

The URL is parsed and its host resolved here, every address checked against
``annotator.netpolicy`` (private, loopback, link-local, … refused unless an allowed network),
and the request is sent to the checked address (the ``Host`` header and the TLS SNI keep the
URL's name, and the certificate is verified against it): DNS that changed since the subscription
cannot move a delivery inside the network. Redirects are not followed (a 3xx is a failed
attempt), no proxy is taken from the environment, the timeouts are short and at most
``max_body`` bytes of the answer are read.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from annotator import netpolicy

from .events import MAX_URL_LENGTH, excerpt

ALLOW_SETTING = "VR_WEBHOOK_ALLOWED_NETWORKS"


class UrlRefused(Exception):
    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Outcome:
    status_code: int | None  # None: no answer (refused, timeout, connection error)
    latency_ms: int | None
    excerpt: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def parse_url(url: str) -> httpx.URL:
    """A subscribable URL: http or https, a host, no user name or password, at most 2000
    characters. UrlRefused with the reason otherwise (before any lookup)."""
    if not isinstance(url, str) or not url.strip():
        raise UrlRefused("the URL is empty")
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise UrlRefused(f"the URL is longer than {MAX_URL_LENGTH} characters")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise UrlRefused("the URL contains spaces or control characters (percent-encode them)")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise UrlRefused(f"not a valid URL ({exc})") from None
    if parsed.scheme not in ("http", "https"):
        raise UrlRefused(f"only http and https URLs can receive webhooks, not `{parsed.scheme or '(none)'}:`")
    if parsed.userinfo:
        raise UrlRefused("a URL with a user name or password is refused (the signature authenticates deliveries)")
    if not parsed.host:
        raise UrlRefused("the URL has no host")
    return parsed


def check_url(url: str, allowed: Iterable[netpolicy.Network] = ()) -> netpolicy.Address:
    """Parse ``url`` and resolve its host under the address policy; the address to connect to."""
    parsed = parse_url(url)
    try:
        return netpolicy.resolve_checked(
            parsed.host, netpolicy.default_port(parsed), allowed, setting=ALLOW_SETTING, what="sending webhooks to"
        )
    except netpolicy.AddressRefused as exc:
        raise UrlRefused(exc.reason) from None


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    allowed: Iterable[netpolicy.Network] = (),
    timeout: float = 10.0,
    connect_timeout: float = 5.0,
    max_body: int = 1024,
) -> Outcome:
    """POST ``body`` to ``url`` (checked and pinned); never raises for the receiver's faults."""
    try:
        parsed = parse_url(url)
        ip = check_url(url, allowed)
    except UrlRefused as exc:
        return Outcome(None, None, error=f"refused: {exc.reason}")
    target, host_header, extensions = netpolicy.pinned(parsed, ip)
    started = time.monotonic()
    transport = httpx.HTTPTransport(retries=0)
    with httpx.Client(transport=transport, trust_env=False, follow_redirects=False) as client:
        request = client.build_request(
            "POST",
            target,
            content=body,
            headers={**headers, "Host": host_header, "Accept-Encoding": "identity"},
            extensions=extensions,
        )
        request.extensions["timeout"] = httpx.Timeout(timeout, connect=min(timeout, connect_timeout)).as_dict()
        try:
            response = client.send(request, stream=True)
            try:
                read = b""
                for chunk in response.iter_raw():
                    read += chunk
                    if len(read) >= max_body or time.monotonic() - started > timeout:
                        break  # enough of an answer: the rest is not read
            finally:
                response.close()
            latency = int((time.monotonic() - started) * 1000)
            error = ""
            if not 200 <= response.status_code < 300:
                error = f"the receiver answered {response.status_code} {response.reason_phrase or ''}".rstrip()
                if 300 <= response.status_code < 400:
                    error += " (redirects are not followed)"
            return Outcome(response.status_code, latency, excerpt(read, max_body), error)
        except httpx.TimeoutException:
            latency = int((time.monotonic() - started) * 1000)
            return Outcome(None, latency, error=f"`{parsed.host}` did not answer within {timeout:g} s")
        except httpx.HTTPError as exc:
            latency = int((time.monotonic() - started) * 1000)
            return Outcome(None, latency, error=f"could not connect to `{parsed.host}` ({str(exc)[:200]})")
