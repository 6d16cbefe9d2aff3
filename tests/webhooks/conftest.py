from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import trustme

from .servers import Server

TLS_NAMES = ("media.example", "cdn.example", "hooks.example", "rebind.example")


def _can_bind(host: str) -> bool:
    try:
        with socket.socket() as probe:
            probe.bind((host, 0))
    except OSError:
        return False
    return True


# Linux routes all of 127.0.0.0/8 to loopback; macOS configures 127.0.0.1 only.
needs_second_loopback = pytest.mark.skipif(
    not _can_bind("127.0.0.2"), reason="127.0.0.2 is not a loopback address here"
)


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    """Start loopback servers for one test; all are stopped at its end."""
    started: list[Server] = []

    def start(*args: Any, **kwargs: Any) -> Server:
        server = Server(*args, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


@dataclass
class Internet:
    """Stands in for the public internet, in every test of this folder.

    A connection to a public address listed in `routes` is carried to that loopback address
    (same port); any other connection off loopback is refused and any system lookup of a name
    fails, so no test ever leaves the machine. Connection targets and lookups are recorded."""

    routes: dict[str, str] = field(default_factory=dict)
    connects: list[tuple[str, int]] = field(default_factory=list)
    lookups: list[str] = field(default_factory=list)


@pytest.fixture(autouse=True)
def internet(monkeypatch: pytest.MonkeyPatch) -> Internet:
    net = Internet()
    real_connect, real_lookup = socket.create_connection, socket.getaddrinfo

    def create_connection(
        address: tuple[str, int], timeout: float | None = None, source_address: Any = None, **kw: Any
    ) -> socket.socket:
        host, port = address[0], address[1]
        net.connects.append((host, port))
        if host in net.routes:
            return real_connect((net.routes[host], port), timeout, source_address, **kw)
        if not _on_this_host(host):
            raise ConnectionRefusedError(f"test network: {host} is not routed")
        return real_connect(address, timeout, source_address, **kw)

    def getaddrinfo(host: str | bytes | None, *args: Any, **kwargs: Any) -> list[Any]:
        name = str(host)
        net.lookups.append(name)
        if not _is_literal(name):
            raise socket.gaierror(socket.EAI_NONAME, f"test network: no DNS for {name}")
        return real_lookup(host, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return net


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return True


def _on_this_host(host: str) -> bool:
    # 0.0.0.0 reaches loopback listeners on Linux (one test shows it as a control).
    return _is_literal(host) and (ipaddress.ip_address(host).is_loopback or host == "0.0.0.0")


@dataclass
class TLS:
    server: ssl.SSLContext  # serves a certificate for TLS_NAMES
    client: ssl.SSLContext  # trusts the test CA only
    sni: list[str]  # server names the server was asked for


@pytest.fixture(scope="session")
def _ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls(_ca: trustme.CA) -> TLS:
    seen: list[str] = []
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    _ca.issue_cert(*TLS_NAMES).configure_cert(server)
    server.sni_callback = lambda _sock, name, _ctx: seen.append(name)
    client = ssl.create_default_context()
    _ca.configure_trust(client)
    return TLS(server, client, seen)
