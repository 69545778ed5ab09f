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
import ipaddress
import os
import re
import socket
import ssl
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
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


# --- the address policy (pure) -------------------------------------------------------------


def parse_networks(text: str | Iterable[str]) -> tuple[Network, ...]:
    """``"10.1.2.0/24, 127.0.0.1/32"`` (or a list) → networks; ValueError naming a bad one."""
    items = text.replace(";", ",").split(",") if isinstance(text, str) else list(text)
    networks = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{ALLOW_SETTING}: `{item}` is not a network (write e.g. 10.1.2.0/24)") from None
    return tuple(networks)


def _embedded(ip: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (IPv4-mapped, 6to4, Teredo client, NAT64)."""
    if ip.version != 6:
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in NAT64 or ip in NAT64_LOCAL:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_kind(ip: Address) -> str | None:
    """What makes ``ip`` unfit to fetch from ("loopback", "private", …), or None for a public
    address. An IPv6 address embedding an IPv4 one is judged by the embedded one too."""
    inner = _embedded(ip)
    if inner is not None and (kind := address_kind(inner)):
        return kind
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.version == 4 and ip in CGNAT:
        return "shared (CGNAT)"
    if ip.is_private:
        return "private"
    if ip.is_reserved:
        return "reserved"
    if not ip.is_global:
        return "not globally routable"
    return None


def is_allowed_network(ip: Address, allowed: Iterable[Network]) -> bool:
    candidates = [ip] + ([inner] if (inner := _embedded(ip)) is not None else [])
    return any(c.version == n.version and c in n for c in candidates for n in allowed)


def _a(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def address_problem(ip: Address | str, allowed: Iterable[Network] = ()) -> str | None:
    """Why ``ip`` may not be fetched from ("a loopback address", "an IPv6 address embedding
    10.0.0.1, a private address"), or None. ``allowed`` networks pass whatever their kind."""
    ip = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    if is_allowed_network(ip, tuple(allowed)):
        return None
    kind = address_kind(ip)
    if kind is None:
        return None
    inner = _embedded(ip)
    if inner is not None and address_kind(inner) == kind:
        return f"an IPv6 address embedding {inner}, {_a(kind)} {kind} address"
    return f"{_a(kind)} {kind} address"


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
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"the host `{host}` could not be resolved ({exc})") from None
    addresses: list[Address] = []
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise FetchError(f"the host `{host}` has no address")
    for ip in addresses:
        problem = address_problem(ip, allowed)
        if problem:
            said = f"{ip} is {problem}" if host == str(ip) else f"`{host}` resolves to {ip}, {problem}"
            raise FetchError(
                f"{said}; fetching from private networks is refused "
                f"(an administrator can allow a network with {ALLOW_SETTING})"
            )
    return addresses[0]


def _default_port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


def _pinned_request(client: httpx.Client, url: httpx.URL, ip: Address) -> httpx.Request:
    """A GET of ``url`` sent to ``ip``: the Host header and the SNI keep the URL's name."""
    port = _default_port(url)
    target = httpx.URL(scheme=url.scheme, host=str(ip), port=port, raw_path=url.raw_path)
    host_header = url.host if url.port is None else f"{url.host}:{url.port}"
    if ":" in url.host:  # an IPv6 literal
        host_header = f"[{url.host}]" + (f":{url.port}" if url.port else "")
    extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
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
    ip = resolve(current.host, _default_port(current), limits.allowed_networks)
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
