"""post_json against real receivers on loopback (webhooks_allow_private on to reach them)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from apexlocal.webhooks.fetch import post_json

from .servers import Server, StubResolver, ok, redirect, stall, status

Serve = Callable[..., Server]
BODY = b'{"event":"job.completed","data":{"jobId":"j1"}}'


def test_2xx_is_success_and_the_body_arrives_intact(serve: Serve) -> None:
    receiver = serve(status(200))
    result = post_json(receiver.url("/hook"), BODY, {"webhook-id": "msg_x"}, allow_private=True)
    assert (result.status, result.error, result.ok) == (200, None, True)
    assert 0 < result.duration_ms < 5000
    seen = receiver.requests[0]
    assert (seen.method, seen.path, seen.body) == ("POST", "/hook", BODY)
    assert seen.headers["content-type"] == "application/json"
    assert seen.headers["webhook-id"] == "msg_x"


def test_an_ipv6_loopback_receiver_is_reached_through_its_literal(serve: Serve) -> None:
    receiver = serve(status(204), host="::1")
    result = post_json(receiver.url("/hook"), BODY, {}, allow_private=True)
    assert (result.status, result.ok) == (204, True)
    assert receiver.requests[0].headers["host"] == f"[::1]:{receiver.port}"


def test_a_content_type_given_by_the_caller_is_kept(serve: Serve) -> None:
    receiver = serve(status(202))
    post_json(receiver.url(), BODY, {"content-type": "application/json; charset=utf-8"}, allow_private=True)
    assert receiver.requests[0].headers["content-type"] == "application/json; charset=utf-8"


@pytest.mark.parametrize("code", [400, 404, 500, 503])
def test_an_error_status_is_a_failure(serve: Serve, code: int) -> None:
    result = post_json(serve(status(code)).url(), BODY, {}, allow_private=True)
    assert (result.status, result.ok, result.error) == (code, False, f"HTTP {code}")


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_a_redirect_to_a_loopback_canary_is_not_followed(serve: Serve, code: int) -> None:
    canary = serve(ok())
    receiver = serve(redirect(canary.url("/steal"), code))
    result = post_json(receiver.url("/hook"), BODY, {}, allow_private=True)
    assert (result.status, result.ok) == (code, False)
    assert result.error == f"redirect (HTTP {code}) not followed"
    assert len(receiver.requests) == 1
    assert canary.requests == []


def test_loopback_is_refused_without_allow_private(serve: Serve) -> None:
    receiver = serve(status(200))
    result = post_json(receiver.url("/hook"), BODY, {}, allow_private=False)
    assert result.status is None and not result.ok
    assert result.error == "webhookUrl: must resolve to a public address (127.0.0.1 is loopback)"
    assert receiver.requests == []


def test_http_to_a_public_host_is_refused_even_with_allow_private() -> None:
    resolver = StubResolver({"hooks.example": ["93.184.216.34"]})
    result = post_json("http://hooks.example/in", BODY, {}, allow_private=True, resolver=resolver)
    assert result.error is not None and result.error.startswith("webhookUrl: must use https")


def test_metadata_is_refused_even_with_allow_private() -> None:
    result = post_json("http://169.254.169.254/latest/meta-data/", BODY, {}, allow_private=True)
    assert result.error == (
        "webhookUrl: must resolve to a public address (169.254.169.254 is a cloud metadata address)"
    )


def test_a_slow_receiver_times_out_within_the_limit(serve: Serve) -> None:
    receiver = serve(stall(10))
    started = time.monotonic()
    result = post_json(receiver.url(), BODY, {}, allow_private=True, timeout=0.3)
    assert result.status is None and not result.ok
    assert result.error == "webhookUrl: timed out after 0.3 s"
    assert time.monotonic() - started < 2
    assert 250 < result.duration_ms < 2000


def test_a_receiver_that_is_down_is_a_connect_failure() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = post_json(f"http://127.0.0.1:{port}/", BODY, {}, allow_private=True)
    assert (result.status, result.error) == (None, "webhookUrl: could not connect to the server")
