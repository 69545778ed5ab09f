"""Which network addresses the platform may connect to on a user's behalf (pure: no Django).

One set of rules for every outgoing request a user can aim: URL imports
(``worker/imports/fetch.py``) and webhook deliveries (``annotator/webhooks/``). A private,
loopback, link-local, multicast, reserved, unspecified or shared (CGNAT) address is refused,
and so is one of those embedded in an IPv6 address (IPv4-mapped, 6to4, Teredo, NAT64), unless an
administrator allows its network (``VR_FETCH_ALLOWED_NETWORKS`` for imports,
``VR_WEBHOOK_ALLOWED_NETWORKS`` for webhooks). Nothing is allowed by default.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")


class AddressRefused(Exception):
    """A host could not be resolved or resolves to a refused address; ``reason`` is for a person."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def parse_networks(text: str | Iterable[str], setting: str = "VR_FETCH_ALLOWED_NETWORKS") -> tuple[Network, ...]:
    """``"10.1.2.0/24, 127.0.0.1/32"`` (or a list) → networks; ValueError naming a bad one."""
    items = text.replace(";", ",").split(",") if isinstance(text, str) else list(text)
    networks = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{setting}: `{item}` is not a network (write e.g. 10.1.2.0/24)") from None
    return tuple(networks)


def embedded(ip: Address) -> ipaddress.IPv4Address | None:
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
    """What makes ``ip`` unfit to connect to ("loopback", "private", …), or None for a public
    address. An IPv6 address embedding an IPv4 one is judged by the embedded one too."""
    inner = embedded(ip)
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
    candidates = [ip] + ([inner] if (inner := embedded(ip)) is not None else [])
    return any(c.version == n.version and c in n for c in candidates for n in allowed)


def _a(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def address_problem(ip: Address | str, allowed: Iterable[Network] = ()) -> str | None:
    """Why ``ip`` may not be connected to ("a loopback address", "an IPv6 address embedding
    10.0.0.1, a private address"), or None. ``allowed`` networks pass whatever their kind."""
    ip = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    if is_allowed_network(ip, tuple(allowed)):
        return None
    kind = address_kind(ip)
    if kind is None:
        return None
    inner = embedded(ip)
    if inner is not None and address_kind(inner) == kind:
        return f"an IPv6 address embedding {inner}, {_a(kind)} {kind} address"
    return f"{_a(kind)} {kind} address"


def resolve_checked(host: str, port: int, allowed: Iterable[Network] = (), *, setting: str, what: str) -> Address:
    """Resolve ``host``; every address it resolves to must pass the policy (one bad address
    refuses it). Returns the address to connect to (connect to it: no second lookup a rebinding
    DNS server could answer differently). ``what`` names the action in the refusal ("fetching")."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressRefused(f"the host `{host}` could not be resolved ({exc})") from None
    addresses: list[Address] = []
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise AddressRefused(f"the host `{host}` has no address")
    allowed = tuple(allowed)
    for ip in addresses:
        problem = address_problem(ip, allowed)
        if problem:
            said = f"{ip} is {problem}" if host == str(ip) else f"`{host}` resolves to {ip}, {problem}"
            raise AddressRefused(
                f"{said}; {what} private networks is refused (an administrator can allow a network with {setting})"
            )
    return addresses[0]


def default_port(url: httpx.URL) -> int:
    """The URL's port, else its scheme's (443 for https, 80 for http)."""
    return url.port or (443 if url.scheme == "https" else 80)


def pinned(url: httpx.URL, ip: Address) -> tuple[httpx.URL, str, dict]:
    """Where a request for ``url`` goes once its host was checked as ``ip``: the URL with that
    address in place of the name, the ``Host`` header that keeps the name, and the request
    extensions that keep it in the TLS SNI (the certificate is verified against the name)."""
    target = httpx.URL(scheme=url.scheme, host=str(ip), port=default_port(url), raw_path=url.raw_path)
    host_header = url.host if url.port is None else f"{url.host}:{url.port}"
    if ":" in url.host:  # an IPv6 literal
        host_header = f"[{url.host}]" + (f":{url.port}" if url.port else "")
    extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
    return target, host_header, extensions
