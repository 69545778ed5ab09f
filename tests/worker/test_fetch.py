"""The safe URL fetcher: the address policy (pure) and fetches from a real local server."""

from __future__ import annotations

import ipaddress
import socket
import time

import pytest

from worker.imports.fetch import (
    FetchError,
    FetchLimits,
    address_kind,
    address_problem,
    fetch,
    parse_networks,
)

from .conftest import png_bytes
from .http_server import MediaServer

LOOPBACK = parse_networks("127.0.0.1/32")


@pytest.fixture
def out(tmp_path):
    return tmp_path / "out"


def files_in(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("100.64.0.1", "shared (CGNAT)"),
        ("100.127.255.254", "shared (CGNAT)"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.251", "multicast"),
        ("255.255.255.255", "private"),
        ("240.0.0.1", "private"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "link-local"),
        ("2002:a00:1::1", "private"),  # 6to4 of 10.0.0.1
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
        ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 of 169.254.169.254
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "private"),  # Teredo, client 10.0.0.1
    ],
)
def test_non_public_addresses_are_refused_with_their_kind(address, kind):
    assert address_kind(ipaddress.ip_address(address)) == kind
    problem = address_problem(address)
    assert problem and kind in problem


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "2a00:1450::1"])
def test_public_addresses_pass(address):
    assert address_problem(address) is None


def test_allowed_networks_let_named_networks_through_and_nothing_else():
    allowed = parse_networks("127.0.0.1/32, 10.1.2.0/24")
    assert address_problem("127.0.0.1", allowed) is None
    assert address_problem("10.1.2.77", allowed) is None
    assert address_problem("::ffff:10.1.2.77", allowed) is None
    assert address_problem("127.0.0.2", allowed) == "a loopback address"
    assert address_problem("10.1.3.1", allowed) == "a private address"
    assert address_problem("::1", allowed) == "a loopback address"
    assert parse_networks("") == () and parse_networks(" , ") == ()
    with pytest.raises(ValueError, match="VR_FETCH_ALLOWED_NETWORKS: `10.0.0.300/8` is not a network"):
        parse_networks("10.0.0.300/8")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/a.png", "only http and https URLs can be fetched, not `ftp:`"),
        ("file:///etc/passwd", "only http and https URLs can be fetched, not `file:`"),
        ("gopher://example.com/", "not `gopher:`"),
        ("https://user:secret@example.com/a.png", "a URL with a user name or password is refused"),
        ("http:///nohost", "the URL has no host"),
        ("", "the URL is empty"),
        ("http://example.com/a b.png", "spaces or control characters"),
        ("http://exa\nmple.com/", "spaces or control characters"),
    ],
)
def test_malformed_urls_are_refused_before_any_lookup(url, reason, out):
    with pytest.raises(FetchError) as caught:
        fetch(url, out)
    assert reason in caught.value.reason


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("http://127.0.0.1:9/a.png", "127.0.0.1 is a loopback address"),
        ("http://10.0.0.7/a.png", "10.0.0.7 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://[::1]:9/a.png", "::1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]/a.png", "embedding 127.0.0.1, a loopback address"),
        ("http://localhost:9/a.png", "`localhost` resolves to"),
        ("http://2130706433/a.png", "`2130706433` resolves to 127.0.0.1, a loopback address"),
        ("http://0x7f.1/a.png", "resolves to 127.0.0.1, a loopback address"),
        ("http://0.0.0.0:9/", "0.0.0.0 is an unspecified address"),
    ],
)
def test_private_destinations_are_refused_without_the_setting(url, said, out):
    with pytest.raises(FetchError) as caught:
        fetch(url, out)
    assert said in caught.value.reason
    assert "VR_FETCH_ALLOWED_NETWORKS" in caught.value.reason
    assert files_in(out) == []


def test_a_local_server_is_refused_by_default_and_fetched_when_allowed(out):
    image = png_bytes()
    with MediaServer({"a.png": image}) as server:
        with pytest.raises(FetchError, match="127.0.0.1 is a loopback address"):
            fetch(server.url("/files/a.png"), out)
        assert server.requests == []  # nothing was sent
        got = fetch(server.url("/files/a.png"), out, limits=FetchLimits(allowed_networks=LOOPBACK))
    assert got.path.read_bytes() == image and got.size == len(image)
    assert got.content_type == "image/png" and got.path.name == "download.png"
    assert got.final_url == server.url("/files/a.png")
    assert files_in(out) == ["download.png"]


def test_redirects_are_followed_and_each_hop_checked(out):
    image = png_bytes()
    limits = FetchLimits(allowed_networks=LOOPBACK, max_redirects=3)
    with MediaServer({"b.png": image}) as server:
        got = fetch(server.url("/chain/3/b.png"), out, limits=limits, filename="x.png")
        assert got.path == out / "x.png" and got.path.read_bytes() == image
        assert got.final_url == server.url("/files/b.png")
        with pytest.raises(FetchError, match="more than 3 redirects"):
            fetch(server.url("/chain/4/b.png"), out, limits=limits)
        for private in (
            "http://10.0.0.1/x.png",
            "http://169.254.169.254/latest/",
            "http://[::1]/x",
            "http://127.0.0.2/",
        ):
            with pytest.raises(FetchError) as caught:
                fetch(server.url(f"/redirect?to={private}"), out, limits=limits)
            assert "fetching from private networks is refused" in caught.value.reason
            assert "after redirects" in caught.value.reason
        with pytest.raises(FetchError, match="a redirect to `file:.*/etc/passwd` was refused: only http and https"):
            fetch(server.url("/redirect?to=file:///etc/passwd"), out, limits=limits)
        with pytest.raises(FetchError, match="a redirect loop: .*/loop/a` was already visited"):
            fetch(server.url("/loop/a"), out, limits=limits)
    assert files_in(out) == ["x.png"]


def test_size_limit_by_content_length_and_while_streaming(out):
    limits = FetchLimits(allowed_networks=LOOPBACK, max_bytes=1024 * 1024)
    with MediaServer({"ok.png": b"\0" * 1000, "big.png": b"\0" * (1024 * 1024 + 1)}) as server:
        with pytest.raises(FetchError, match=r"the file is 50.0 GiB, larger than the limit of 1.0 MiB"):
            fetch(server.url("/big"), out, limits=limits)
        with pytest.raises(FetchError, match="larger than the limit of 1.0 MiB"):
            fetch(server.url("/files/big.png"), out, limits=limits)
        with pytest.raises(FetchError, match="the file is larger than the limit of 1.0 MiB"):
            fetch(server.url("/endless"), out, limits=limits)
        with pytest.raises(FetchError, match="the file is larger than the limit of 1.0 MiB"):
            fetch(server.url("/gzip"), out, limits=limits)  # counted as it inflates
        assert fetch(server.url("/files/ok.png"), out, limits=limits).size == 1000
    assert files_in(out) == ["download.png"]  # no partial file left


def test_the_whole_fetch_has_one_deadline(out):
    limits = FetchLimits(allowed_networks=LOOPBACK, timeout_seconds=1.0)
    with MediaServer() as server:
        started = time.monotonic()
        with pytest.raises(FetchError, match="did not answer in time|longer than the limit of 1 s"):
            fetch(server.url("/slow?s=5"), out, limits=limits)
        assert time.monotonic() - started < 3
        started = time.monotonic()
        with pytest.raises(FetchError, match="took longer than the limit of 1 s"):
            fetch(server.url("/trickle"), out, limits=limits)  # bytes keep coming, but too slowly
        assert time.monotonic() - started < 3
        with pytest.raises(FetchError, match="the server answered 404 Not Found"):
            fetch(server.url("/files/missing.png"), out, limits=limits)
    assert files_in(out) == []


def test_connects_to_the_checked_address_with_the_name_in_the_host_header(out, monkeypatch):
    """DNS rebinding: the name is looked up once, and that checked address is the one connected
    to (a second lookup would now answer a private address); the Host header keeps the name."""
    answers = iter(["127.0.0.1", "10.0.0.1", "10.0.0.1"])
    lookups = []
    real = socket.getaddrinfo

    def rebinding_dns(host, port, *args, **kwargs):
        if host == "media.example.org":
            lookups.append(host)
            return real(next(answers), port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    with MediaServer() as server:
        got = fetch(f"http://media.example.org:{server.port}/host", out, limits=FetchLimits(allowed_networks=LOOPBACK))
        assert lookups == ["media.example.org"]
        assert got.path.read_text() == f"media.example.org:{server.port}"
        assert server.requests == [("/host", f"media.example.org:{server.port}")]
        with pytest.raises(FetchError, match="`media.example.org` resolves to 10.0.0.1, a private address"):
            fetch(f"http://media.example.org:{server.port}/host", out, limits=FetchLimits(allowed_networks=LOOPBACK))


def test_every_resolved_address_must_pass(out, monkeypatch):
    """A name answering one public and one private address is refused, whatever the order."""
    real = socket.getaddrinfo

    def two_answers(host, port, *args, **kwargs):
        if host == "mixed.example.org":
            return real("127.0.0.1", port, *args, **kwargs) + real("10.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", two_answers)
    with pytest.raises(FetchError, match="resolves to 10.0.0.1, a private address"):
        fetch("http://mixed.example.org/a.png", out, limits=FetchLimits(allowed_networks=LOOPBACK))


def test_an_unknown_host_is_a_clear_failure(out):
    with pytest.raises(FetchError, match="the host `no-such-host.invalid` could not be resolved"):
        fetch("https://no-such-host.invalid/a.png", out)


def _certificate(folder, name: str) -> tuple[str, str]:
    """A self-signed certificate for ``name`` (openssl), trusted through FetchLimits.ca_file."""
    import subprocess

    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={name}"]
        + ["-addext", f"subjectAltName=DNS:{name}", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return str(cert), str(key)


def test_https_to_the_checked_address_keeps_the_name_in_sni_and_the_certificate_check(tmp_path, out, monkeypatch):
    cert, key = _certificate(tmp_path, "media.example.org")
    real = socket.getaddrinfo

    def dns(host, port, *args, **kwargs):
        if host in ("media.example.org", "other.example.org"):
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", dns)
    limits = FetchLimits(allowed_networks=LOOPBACK, ca_file=cert)
    with MediaServer({"a.png": png_bytes()}, tls=(cert, key)) as server:
        got = fetch(f"https://media.example.org:{server.port}/files/a.png", out, limits=limits)
        assert got.path.read_bytes() == server.files["a.png"]
        assert server.sni == ["media.example.org"]
        assert server.requests == [("/files/a.png", f"media.example.org:{server.port}")]
        with pytest.raises(FetchError, match="could not connect to `other.example.org`.*certificate"):
            fetch(f"https://other.example.org:{server.port}/files/a.png", out, limits=limits)
        with pytest.raises(FetchError, match="certificate"):  # not trusted without its CA
            fetch(
                f"https://media.example.org:{server.port}/files/a.png",
                out,
                limits=FetchLimits(allowed_networks=LOOPBACK),
            )
