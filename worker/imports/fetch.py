"""Fetching one http(s) URL into a local file, safely (pure: no Django; the caller passes limits).

``fetch(url, dest_dir, limits=...)`` never reaches a private, loopback, link-local, multicast,
reserved, unspecified or shared (CGNAT) address, nor one of those embedded in an IPv6 address
(IPv4-mapped, 6to4, Teredo, NAT64). It resolves the host itself, checks every address the name
resolves to (one bad address refuses the URL), and connects to the checked address: there is no
second lookup a rebinding DNS server could answer differently. The request still carries the
URL's host name in its ``Host`` header and, for https, in the TLS SNI, and the certificate is
verified against that name. Redirects are followed by hand, at most ``max_redirects``, each hop
parsed, resolved and checked again. Only http and https, no user name or password in a URL,
no proxy from the environment. The size is capped by ``Content-Length`` and again while
streaming; the whole fetch (all hops) has one deadline. Every refusal raises ``FetchError`` with a
readable ``reason``.

An administrator may allow named networks (``FetchLimits.allowed_networks``, from the setting
``VR_FETCH_ALLOWED_NETWORKS``): an address inside one of them is fetched whatever its kind
(a lab's own media server on 10.1.2.0/24, say). Nothing is allowed by default.
"""

from __future__ import annotations

import hashlib
import os
import re
import ssl
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import httpx

from annotator import netpolicy
from annotator.netpolicy import Address, Network, address_kind, address_problem, is_allowed_network  # noqa: F401

REDIRECTS = (301, 302, 303, 307, 308)
ALLOW_SETTING = "VR_FETCH_ALLOWED_NETWORKS"


class FetchError(Exception):
    """A URL was refused or could not be fetched; ``reason`` says why, for a person."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class FetchLimits:
    max_bytes: int = 2 * 1024**3
    timeout_seconds: float = 120.0  # the whole fetch, every redirect included
    connect_timeout_seconds: float = 10.0
    max_redirects: int = 5
    allowed_networks: tuple[Network, ...] = ()
    ca_file: str = ""  # certificates to trust for https instead of the system's (an internal CA)


@dataclass(frozen=True)
class FetchedFile:
    path: Path
    size: int
    content_type: str
    final_url: str
    sha256: str = ""


# --- the address policy: annotator/netpolicy.py (shared with webhook deliveries) ------------


def parse_networks(text: str | Iterable[str]) -> tuple[Network, ...]:
    """``"10.1.2.0/24, 127.0.0.1/32"`` (or a list) → networks; ValueError naming a bad one."""
    return netpolicy.parse_networks(text, ALLOW_SETTING)


def url_problem(url: httpx.URL) -> str | None:
    """What is wrong with a URL before any lookup: its scheme, credentials, host."""
    if url.scheme not in ("http", "https"):
        return f"only http and https URLs can be fetched, not `{url.scheme or '(none)'}:`"
    if url.userinfo:
        return "a URL with a user name or password is refused (credentials do not belong in a manifest)"
    if not url.host:
        return "the URL has no host"
    return None


def shown_url(url: str | httpx.URL, limit: int = 200) -> str:
    text = str(url)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_url(url: str) -> httpx.URL:
    if not isinstance(url, str) or not url.strip():
        raise FetchError("the URL is empty")
    if any(ord(c) < 33 or ord(c) == 127 for c in url.strip()):
        raise FetchError("the URL contains spaces or control characters (percent-encode them)")
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise FetchError(f"`{shown_url(url)}` is not a valid URL ({exc})") from None
    problem = url_problem(parsed)
    if problem:
        raise FetchError(problem)
    return parsed


# --- resolving and connecting -------------------------------------------------------------


def resolve(host: str, port: int, allowed: Iterable[Network] = ()) -> Address:
    """Every address ``host`` resolves to must pass the policy; returns the one to connect to."""
    try:
        return netpolicy.resolve_checked(host, port, allowed, setting=ALLOW_SETTING, what="fetching from")
    except netpolicy.AddressRefused as exc:
        raise FetchError(exc.reason) from None


def _pinned_request(client: httpx.Client, url: httpx.URL, ip: Address) -> httpx.Request:
    """A GET of ``url`` sent to ``ip``: the Host header and the SNI keep the URL's name."""
    target, host_header, extensions = netpolicy.pinned(url, ip)
    return client.build_request(
        "GET",
        target,
        headers={"Host": host_header, "Accept-Encoding": "identity", "User-Agent": "vr-platform-import/1"},
        extensions=extensions,
    )


def _filename(url: httpx.URL, content_type: str) -> str:
    """A safe local name: the URL's last path segment's stem and suffix, else ``download``."""
    last = unquote(url.path.rsplit("/", 1)[-1]) if url.path else ""
    suffix = Path(last).suffix.lower()
    if not re.fullmatch(r"\.[a-z0-9]{1,10}", suffix):
        suffix = {
            "image/jpeg": ".jpg",
            "image/png": ".png",
            "image/webp": ".webp",
            "image/gif": ".gif",
            "video/mp4": ".mp4",
            "video/webm": ".webm",
            "video/quicktime": ".mov",
        }.get(content_type, "")
    return f"download{suffix}"


def url_filename(url: str) -> str:
    """The file name a URL names (its last path segment, decoded), for display; '' when none."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        return ""
    return unquote(parsed.path.rsplit("/", 1)[-1])[:200] if parsed.path else ""


def _human(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def fetch(
    url: str, dest_dir: str | os.PathLike, *, limits: FetchLimits | None = None, filename: str | None = None
) -> FetchedFile:
    """Fetch ``url`` into a new file in ``dest_dir`` (named ``filename``, or after the URL).
    Raises FetchError with the reason on any refusal or failure; leaves no partial file."""
    limits = limits or FetchLimits()
    deadline = time.monotonic() + limits.timeout_seconds
    current = parse_url(url)
    seen = {str(current)}
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)

    def remaining() -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise FetchError(f"the download took longer than the limit of {limits.timeout_seconds:g} s")
        return left

    verify = ssl.create_default_context(cafile=limits.ca_file) if limits.ca_file else True
    transport = httpx.HTTPTransport(retries=0, verify=verify)
    with httpx.Client(transport=transport, trust_env=False, follow_redirects=False, verify=verify) as client:
        for hop in range(limits.max_redirects + 1):
            try:
                step = _hop(client, current, limits, remaining, seen, last=hop == limits.max_redirects)
                if isinstance(step, httpx.URL):
                    current = step
                    continue
                response = step
                try:
                    return _save(response, current, dest_dir, filename, limits, remaining)
                finally:
                    response.close()
            except FetchError as exc:
                if hop and not exc.reason.startswith("a redirect"):
                    exc.reason = f"{exc.reason} (after redirects, at `{shown_url(current)}`)"
                    exc.args = (exc.reason,)
                raise
    raise FetchError(f"more than {limits.max_redirects} redirects")  # pragma: no cover (the loop raises)


def _hop(client: httpx.Client, current: httpx.URL, limits: FetchLimits, remaining, seen: set, *, last: bool):
    """One request: the streamed 200 response, or the checked URL a redirect leads to."""
    ip = resolve(current.host, netpolicy.default_port(current), limits.allowed_networks)
    request = _pinned_request(client, current, ip)
    left = remaining()
    request.extensions["timeout"] = httpx.Timeout(left, connect=min(left, limits.connect_timeout_seconds)).as_dict()
    try:
        response = client.send(request, stream=True)
    except httpx.TimeoutException:
        remaining()
        raise FetchError(f"`{current.host}` did not answer in time") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"could not connect to `{current.host}` ({shown_url(str(exc), 200)})") from None
    if response.status_code == 200:
        return response
    response.close()
    if response.status_code in REDIRECTS and "location" in response.headers:
        if last:
            raise FetchError(f"more than {limits.max_redirects} redirects")
        try:
            following = current.join(response.headers["location"])
        except (httpx.InvalidURL, ValueError) as exc:
            raise FetchError(f"a redirect to an invalid URL ({exc})") from None
        problem = url_problem(following)
        if problem:
            raise FetchError(f"a redirect to `{shown_url(following)}` was refused: {problem}")
        if str(following) in seen:
            raise FetchError(f"a redirect loop: `{shown_url(following)}` was already visited")
        seen.add(str(following))
        return following
    raise FetchError(f"the server answered {response.status_code} {response.reason_phrase or ''}".rstrip())


def _save(response: httpx.Response, url: httpx.URL, dest_dir: Path, filename, limits: FetchLimits, remaining):
    content_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()[:100]
    declared = response.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limits.max_bytes:
        raise FetchError(
            f"the file is {_human(int(declared))}, larger than the limit of {_human(limits.max_bytes)} "
            "(VR_MAX_ASSET_BYTES)"
        )
    target = dest_dir / (filename or _filename(url, content_type))
    partial = dest_dir / f".{target.name}.{uuid.uuid4().hex[:8]}.part"
    digest, size = hashlib.sha256(), 0
    try:
        with open(partial, "wb") as out:
            for chunk in response.iter_bytes():  # decoded, so a compressed body is capped as it inflates
                remaining()
                size += len(chunk)
                if size > limits.max_bytes:
                    raise FetchError(
                        f"the file is larger than the limit of {_human(limits.max_bytes)} (VR_MAX_ASSET_BYTES)"
                    )
                out.write(chunk)
                digest.update(chunk)
        remaining()
        os.replace(partial, target)
    except httpx.TimeoutException:
        partial.unlink(missing_ok=True)
        remaining()
        raise FetchError("the server stopped sending the file") from None
    except httpx.HTTPError as exc:
        partial.unlink(missing_ok=True)
        raise FetchError(f"the download broke off ({shown_url(str(exc), 200)})") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return FetchedFile(path=target, size=size, content_type=content_type, final_url=str(url), sha256=digest.hexdigest())
