"""The connection goes to the address that was checked, and TLS still verifies the name.

`internet` stands in for the public internet: a public address listed in its routes is carried
to a loopback server, every other non-loopback connection is refused, and every connect target
and system DNS lookup is recorded. Private targets are NOT allowed in these tests, except where
a test says so: the policy sees public addresses only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from apexlocal.webhooks.fetch import FetchError, FetchResult, fetch_to_file, post_json
from apexlocal.webhooks.ssrf import UnsafeURL

from .conftest import TLS, Internet, needs_second_loopback
from .servers import Handler, Server, StubResolver, ok, redirect

PNG = b"\x89PNG\r\n\x1a\n" + b"pixels" * 100
PUBLIC = "93.184.216.34"
OTHER_PUBLIC = "93.184.216.35"

Serve = Callable[..., Server]


def fetch(url: str, dest: Path, resolver: StubResolver, tls: TLS, **overrides: Any) -> FetchResult:
    options: dict[str, Any] = {
        "field": "image",
        "expect": ("image/",),
        "allow_private": False,
        "max_bytes": 1_000_000,
        "timeout": 5.0,
        "resolver": resolver,
        "ssl_context": tls.client,
    }
    options.update(overrides)
    return fetch_to_file(url, dest, **options)


# DNS rebinding -----------------------------------------------------------------------------


@needs_second_loopback
def test_rebinding_resolver_cannot_steer_a_fetch_to_loopback(
    serve: Serve, internet: Internet, tls: TLS, tmp_path: Path
) -> None:
    # The real receiver and the canary listen on the same port; only the address differs.
    receiver = serve(ok(PNG, "image/png"), host="127.0.0.2", tls=tls.server)
    canary = serve(ok(b"secret", "image/png"), host="127.0.0.1", port=receiver.port, tls=tls.server)
    internet.routes[PUBLIC] = "127.0.0.2"
    resolver = StubResolver({"rebind.example": [[PUBLIC], ["127.0.0.1"]]})

    result = fetch(f"https://rebind.example:{receiver.port}/cat.png", tmp_path / "cat.png", resolver, tls)

    assert result.path.read_bytes() == PNG
    assert resolver.calls == [("rebind.example", receiver.port)]  # resolved once
    assert internet.connects == [(PUBLIC, receiver.port)]  # to what was checked
    assert "rebind.example" not in internet.lookups  # no second lookup
    assert receiver.requests[0].headers["host"] == f"rebind.example:{receiver.port}"
    assert tls.sni == ["rebind.example"]
    assert canary.requests == []


def test_rebinding_resolver_cannot_steer_a_webhook_to_loopback(serve: Serve, internet: Internet, tls: TLS) -> None:
    canary = serve(ok(b"secret"), host="127.0.0.1", tls=tls.server)
    resolver = StubResolver({"rebind.example": [[PUBLIC], ["127.0.0.1"]]})
    # PUBLIC is not routed: the pinned connection fails, and nothing else is tried.
    result = post_json(
        f"https://rebind.example:{canary.port}/hook",
        b"{}",
        {},
        allow_private=False,
        resolver=resolver,
        ssl_context=tls.client,
    )
    assert result.status is None and not result.ok
    assert result.error == "webhookUrl: could not connect to the server"
    assert resolver.calls == [("rebind.example", canary.port)]
    assert internet.connects == [(PUBLIC, canary.port)]
    assert "rebind.example" not in internet.lookups
    assert canary.requests == []


def test_every_checked_address_is_tried_and_no_other(
    serve: Serve, internet: Internet, tls: TLS, tmp_path: Path
) -> None:
    receiver = serve(ok(PNG, "image/png"), tls=tls.server)
    internet.routes[OTHER_PUBLIC] = "127.0.0.1"  # the first address is down
    resolver = StubResolver({"media.example": [PUBLIC, OTHER_PUBLIC]})
    fetch(f"https://media.example:{receiver.port}/a.png", tmp_path / "a.png", resolver, tls)
    assert internet.connects == [(PUBLIC, receiver.port), (OTHER_PUBLIC, receiver.port)]
    assert len(resolver.calls) == 1


# TLS against the pinned address ---------------------------------------------------------------


def test_tls_verifies_the_host_name_not_the_address(serve: Serve, internet: Internet, tls: TLS, tmp_path: Path) -> None:
    receiver = serve(ok(PNG, "image/png"), tls=tls.server)
    internet.routes[PUBLIC] = "127.0.0.1"
    resolver = StubResolver({"media.example": [PUBLIC], "wrong.example": [PUBLIC]})

    result = fetch(f"https://media.example:{receiver.port}/a.png", tmp_path / "a.png", resolver, tls)
    assert result.size == len(PNG)
    assert tls.sni == ["media.example"]

    # Same address, a name the certificate does not cover: refused by TLS.
    with pytest.raises(FetchError) as caught:
        fetch(f"https://wrong.example:{receiver.port}/a.png", tmp_path / "b.png", resolver, tls)
    assert caught.value.message == "image: the server's TLS certificate could not be verified"
    assert len(receiver.requests) == 1


def test_an_untrusted_certificate_is_refused(serve: Serve, internet: Internet, tls: TLS, tmp_path: Path) -> None:
    import ssl

    receiver = serve(ok(PNG, "image/png"), tls=tls.server)
    internet.routes[PUBLIC] = "127.0.0.1"
    resolver = StubResolver({"media.example": [PUBLIC]})
    with pytest.raises(FetchError, match="TLS certificate could not be verified"):
        fetch(
            f"https://media.example:{receiver.port}/a.png",
            tmp_path / "a.png",
            resolver,
            tls,
            ssl_context=ssl.create_default_context(),
        )  # the system CAs, not the test CA
    assert receiver.requests == []


# Redirects on the public path ----------------------------------------------------------------


@needs_second_loopback
def test_a_redirect_to_another_public_host_is_followed_with_its_own_check(
    serve: Serve, internet: Internet, tls: TLS, tmp_path: Path
) -> None:
    cdn = serve(ok(PNG, "image/png"), host="127.0.0.2", tls=tls.server)
    origin = serve(redirect(f"https://cdn.example:{cdn.port}/x.png"), tls=tls.server)
    internet.routes.update({PUBLIC: "127.0.0.1", OTHER_PUBLIC: "127.0.0.2"})
    resolver = StubResolver({"media.example": [PUBLIC], "cdn.example": [OTHER_PUBLIC]})

    result = fetch(f"https://media.example:{origin.port}/x.png", tmp_path / "x.png", resolver, tls)

    assert result.final_url == f"https://cdn.example:{cdn.port}/x.png"
    assert [c[0] for c in resolver.calls] == ["media.example", "cdn.example"]
    assert internet.connects == [(PUBLIC, origin.port), (OTHER_PUBLIC, cdn.port)]
    assert tls.sni == ["media.example", "cdn.example"]


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://127.0.0.1:{port}/", "127.0.0.1 is loopback"),
        ("https://127.0.0.1:{port}/", "127.0.0.1 is loopback"),
        ("https://[::1]:{port}/", "::1 is loopback"),
        ("https://inside.example:{port}/", "inside.example resolves to an address that is loopback"),
        ("https://localhost:{port}/", "a local name"),
        ("http://media.example:{port}/", "must use https"),  # downgrade, same host
    ],
)
def test_a_redirect_into_the_network_reaches_no_canary(
    serve: Serve, internet: Internet, tls: TLS, tmp_path: Path, location: str, reason: str
) -> None:
    canary = serve(ok(PNG, "image/png"), tls=tls.server)
    origin = serve(redirect(location.format(port=canary.port)), tls=tls.server)
    internet.routes[PUBLIC] = "127.0.0.1"
    resolver = StubResolver({"media.example": [PUBLIC], "inside.example": ["127.0.0.1"]})

    with pytest.raises(UnsafeURL) as caught:
        fetch(f"https://media.example:{origin.port}/x.png", tmp_path / "x.png", resolver, tls)

    assert caught.value.message.startswith("image: ") and reason in caught.value.message
    assert len(origin.requests) == 1
    assert canary.requests == []
    assert internet.connects == [(PUBLIC, origin.port)]
    assert list(tmp_path.iterdir()) == []


def test_a_webhook_receiver_that_redirects_gets_nothing_through(serve: Serve, internet: Internet, tls: TLS) -> None:
    canary = serve(ok(b""), tls=tls.server)
    receiver = serve(redirect(f"https://hooks.example:{canary.port}/steal", 307), tls=tls.server)
    internet.routes[PUBLIC] = "127.0.0.1"
    resolver = StubResolver({"hooks.example": [PUBLIC]})
    result = post_json(
        f"https://hooks.example:{receiver.port}/in",
        b'{"a":1}',
        {},
        allow_private=False,
        resolver=resolver,
        ssl_context=tls.client,
    )
    assert (result.status, result.ok) == (307, False)
    assert result.error == "redirect (HTTP 307) not followed"
    assert len(receiver.requests) == 1 and canary.requests == []


def test_a_public_webhook_delivery_succeeds(serve: Serve, internet: Internet, tls: TLS) -> None:
    def accept(handler: Handler, _server: Server) -> None:
        handler.reply(204)

    receiver = serve(accept, tls=tls.server)
    internet.routes[PUBLIC] = "127.0.0.1"
    result = post_json(
        f"https://hooks.example:{receiver.port}/in",
        b'{"a":1}',
        {"webhook-id": "msg_1"},
        allow_private=False,
        resolver=StubResolver({"hooks.example": [PUBLIC]}),
        ssl_context=tls.client,
    )
    assert (result.status, result.ok, result.error) == (204, True, None)
    seen = receiver.requests[0]
    assert (seen.method, seen.body) == ("POST", b'{"a":1}')
    assert seen.headers["content-type"] == "application/json"
    assert seen.headers["webhook-id"] == "msg_1"
    assert seen.headers["host"] == f"hooks.example:{receiver.port}"
