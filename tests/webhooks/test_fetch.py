"""fetch_to_file against real servers on loopback (private targets allowed to reach them)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from apexlocal.webhooks.fetch import FetchError, FetchResult, fetch_to_file
from apexlocal.webhooks.ssrf import UnsafeURL
from tests import loopback

from .servers import Handler, Server, StubResolver, drip, ok, redirect, stall, status

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8

Serve = Callable[..., Server]


def fetch(url: str, dest: Path, **overrides: Any) -> FetchResult:
    options: dict[str, Any] = {
        "field": "image",
        "expect": ("image/",),
        "allow_private": True,
        "max_bytes": 1_000_000,
        "timeout": 5.0,
    }
    options.update(overrides)
    return fetch_to_file(url, dest, **options)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_fetches_to_the_file(serve: Serve, tmp_path: Path) -> None:
    server = serve(ok(PNG, "image/png"))
    result = fetch(server.url("/cat.png?size=big"), tmp_path / "in" / "cat.png")
    assert result.path == tmp_path / "in" / "cat.png"
    assert result.path.read_bytes() == PNG
    assert (result.content_type, result.size) == ("image/png", len(PNG))
    assert result.final_url == server.url("/cat.png?size=big")
    seen = server.requests[0]
    assert (seen.method, seen.path) == ("GET", "/cat.png?size=big")
    assert seen.headers["host"] == f"127.0.0.1:{server.port}"
    assert seen.headers["accept"] == "image/*"
    assert seen.headers["accept-encoding"] == "identity"
    assert leftovers(tmp_path / "in") == ["cat.png"]


def test_plain_http_is_refused_unless_private_targets_are_allowed(serve: Serve, tmp_path: Path) -> None:
    server = serve(ok(PNG, "image/png"))
    with pytest.raises(UnsafeURL, match=r"^image: must use https$"):
        fetch(
            "http://media.example/cat.png",
            tmp_path / "x.png",
            allow_private=False,
            resolver=StubResolver({"media.example": ["93.184.216.34"]}),
        )
    with pytest.raises(UnsafeURL, match=r"^image: must resolve to a public address \(127"):
        fetch(server.url(), tmp_path / "x.png", allow_private=False)
    assert server.requests == []
    assert leftovers(tmp_path) == []


def test_content_type_mismatch_names_the_field_and_the_type(serve: Serve, tmp_path: Path) -> None:
    server = serve(ok(b"<html></html>", "text/html; charset=utf-8"))
    with pytest.raises(FetchError) as caught:
        fetch(server.url(), tmp_path / "x.png", field="avatarImage")
    assert caught.value.message == "avatarImage: expected image/*, got text/html"
    with pytest.raises(FetchError, match=r"^sampleAudioUrl: expected audio/\*, video/\*, got"):
        fetch(server.url(), tmp_path / "x.wav", field="sampleAudioUrl", expect=("audio/", "video/"))
    assert leftovers(tmp_path) == []


def test_any_type_is_accepted_when_nothing_is_expected(serve: Serve, tmp_path: Path) -> None:
    server = serve(ok(b"<html></html>", "text/html"))
    result = fetch(server.url(), tmp_path / "page.html", field="websiteUrl", expect=())
    assert result.content_type == "text/html"


def test_declared_size_over_the_cap_is_refused_before_reading(serve: Serve, tmp_path: Path) -> None:
    server = serve(ok(PNG, "image/png"))
    with pytest.raises(FetchError) as caught:
        fetch(server.url(), tmp_path / "x.png", max_bytes=len(PNG) - 1)
    assert caught.value.message == f"image: larger than the limit of {len(PNG) - 1} bytes"
    assert leftovers(tmp_path) == []


def test_streamed_size_over_the_cap_stops_and_leaves_nothing(serve: Serve, tmp_path: Path) -> None:
    def chunked(handler: Handler, _server: Server) -> None:
        # No Content-Length: only counting the bytes as they arrive can stop it.
        handler.send_response(200)
        handler.send_header("Content-Type", "image/png")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        chunk = b"x" * 4096
        try:
            for _ in range(256):
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            handler.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass

    server = serve(chunked)
    with pytest.raises(FetchError, match=r"^image: larger than the limit of 10000 bytes$"):
        fetch(server.url(), tmp_path / "x.png", max_bytes=10_000)
    assert leftovers(tmp_path) == []


def test_a_body_cut_short_leaves_the_previous_file_untouched(serve: Serve, tmp_path: Path) -> None:
    def truncated(handler: Handler, _server: Server) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "image/png")
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        handler.wfile.write(b"x" * 10)
        handler.close_connection = True

    dest = tmp_path / "x.png"
    dest.write_bytes(b"previous")
    with pytest.raises(FetchError, match=r"^image: the connection failed$"):
        fetch(serve(truncated).url(), dest)
    assert dest.read_bytes() == b"previous"
    assert leftovers(tmp_path) == ["x.png"]


def test_compressed_answers_are_refused(serve: Serve, tmp_path: Path) -> None:
    server = serve(lambda h, _s: h.reply(200, b"\x1f\x8b", {"Content-Encoding": "gzip"}, content_type="image/png"))
    with pytest.raises(FetchError, match=r"^image: compressed responses are not accepted$"):
        fetch(server.url(), tmp_path / "x.png")


def test_http_error_status_is_reported(serve: Serve, tmp_path: Path) -> None:
    server = serve(status(404))
    with pytest.raises(FetchError, match=r"^image: could not be fetched \(HTTP 404\)$"):
        fetch(server.url(), tmp_path / "x.png")


def test_a_silent_server_hits_the_timeout(serve: Serve, tmp_path: Path) -> None:
    server = serve(stall(10))
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"^image: timed out after 0.4 s$"):
        fetch(server.url(), tmp_path / "x.png", timeout=0.4)
    assert time.monotonic() - started < 2


def test_one_deadline_caps_a_body_that_drips_forever(serve: Serve, tmp_path: Path) -> None:
    # Each byte arrives well within any per-read timeout; only a total deadline ends it.
    server = serve(drip(0.05))
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"^image: timed out after 0.6 s$"):
        fetch(server.url(), tmp_path / "x.png", timeout=0.6)
    assert 0.5 < time.monotonic() - started < 2
    assert leftovers(tmp_path) == []


def test_connection_refused_is_reported_in_our_words(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchError, match=r"^image: could not connect to the server$"):
        fetch(f"http://127.0.0.1:{port}/", tmp_path / "x.png")


# Redirects -------------------------------------------------------------------------------


def test_redirects_are_followed_and_each_hop_is_checked(serve: Serve, tmp_path: Path) -> None:
    final = serve(ok(PNG, "image/png"))
    middle = serve(redirect(final.url("/real.png"), 307))
    first = serve(redirect(f"http://127.0.0.1:{middle.port}/next", 301))
    result = fetch(first.url("/start"), tmp_path / "x.png")
    assert result.final_url == final.url("/real.png")
    assert result.path.read_bytes() == PNG
    assert [len(s.requests) for s in (first, middle, final)] == [1, 1, 1]


def test_a_relative_redirect_stays_on_the_checked_host(serve: Serve, tmp_path: Path) -> None:
    def respond(handler: Handler, _server: Server) -> None:
        if handler.path == "/old":
            handler.reply(302, headers={"Location": "/new.png"})
        else:
            handler.reply(200, PNG, content_type="image/png")

    server = serve(respond)
    result = fetch(server.url("/old"), tmp_path / "x.png")
    assert result.final_url == server.url("/new.png")


def test_more_than_five_redirects_fail(serve: Serve, tmp_path: Path) -> None:
    server = serve(lambda h, s: h.reply(302, headers={"Location": f"/hop{len(s.requests)}"}))
    with pytest.raises(FetchError, match=r"^image: too many redirects \(more than 5\)$"):
        fetch(server.url("/hop0"), tmp_path / "x.png")
    assert len(server.requests) == 6


@pytest.mark.parametrize(
    "location",
    [
        "http://0.0.0.0:{port}/secret",  # unspecified: reaches loopback on Linux
        "http://127.1:{port}/secret",  # short form, inet_aton reads 127.0.0.1
        "http://2130706433:{port}/secret",  # decimal
        "http://0x7f.0.0.1:{port}/secret",  # hex
        "http://user:pw@127.0.0.1:{port}/secret",  # user info
        "http://metadata.google.internal:{port}/secret",  # metadata name (resolves to loopback here)
        "http://[::ffff:169.254.169.254]:{port}/secret",  # metadata, IPv4-mapped
    ],
)
def test_a_redirect_to_a_refused_target_reaches_nothing(serve: Serve, tmp_path: Path, location: str) -> None:
    canary = serve(ok(b"secret", "image/png"))
    receiver = serve(redirect(location.format(port=canary.port)))
    resolver = StubResolver({"metadata.google.internal": ["127.0.0.1"]})
    with pytest.raises(UnsafeURL) as caught:
        fetch(receiver.url("/img.png"), tmp_path / "x.png", resolver=resolver)
    assert caught.value.message.startswith("image: ")
    assert len(receiver.requests) == 1
    assert canary.requests == []
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(sys.platform != "linux", reason="shown on Linux")
def test_the_unspecified_address_does_reach_a_loopback_canary(serve: Serve) -> None:
    # Control for the table above: without the policy, 0.0.0.0 is a way into loopback.
    canary = serve(ok(b"secret"))
    assert loopback.get(f"http://0.0.0.0:{canary.port}/", trust_env=False).content == b"secret"
    assert len(canary.requests) == 1
