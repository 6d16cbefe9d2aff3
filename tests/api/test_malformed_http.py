"""What the framework would answer in plain text is answered in the envelope: a request that is
not HTTP at all (served by `serve`'s protocol, over raw sockets), and query parameters named as the
client spells them."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from apexlocal.cli.timeouts import timed_protocol
from tests.api.live_server import LiveServer
from tests.conftest import add_account, make_settings


@pytest.fixture(scope="module")
def served(tmp_path_factory, models_dir) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    from apexlocal.app import create_app

    settings = make_settings(tmp_path_factory.mktemp("malformed"), models_dir)
    app = create_app(settings, start_workers=False)
    account = add_account(app.state.services.db, settings, "alice@example.com")
    with LiveServer(app, http=timed_protocol(10, 60)) as server:
        yield server, account.headers


def exchange(server: LiveServer, raw: bytes) -> tuple[bytes, dict[str, Any]]:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(raw)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"content-type: application/json" in head.lower(), answer
    return head.split(b"\r\n")[0], json.loads(body)


@pytest.mark.parametrize(
    "raw",
    [
        b"GARBAGE\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nA header without a colon\r\n\r\n",
        b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        b"GET /healthz/\xff HTTP/1.1\r\nHost: x\r\n\r\n",
        (
            b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n"
        ),
    ],
)
def test_a_request_that_is_not_http_gets_the_envelope(served, raw):
    server, _ = served
    status, body = exchange(server, raw)
    assert status == b"HTTP/1.1 400 Bad Request"
    assert body == {"error": "request: must be valid HTTP/1.1", "code": "BAD_REQUEST"}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("/api/voices?type=nope", "type: must be one of stock, cloned"),
        ("/api/jobs?status=nope", "status: must be one of queued, processing, completed, failed, canceled"),
        ("/api/jobs?limit=0", "limit: must be an integer between 1 and 100"),
        ("/api/jobs?cursor=abc", "cursor: must be a cursor returned as nextCursor"),
    ],
)
def test_query_parameters_are_named_as_sent(served, query, message):
    server, headers = served
    auth = "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode()
    status, body = exchange(
        server, b"GET " + query.encode() + b" HTTP/1.1\r\nHost: x\r\n" + auth + b"Connection: close\r\n\r\n"
    )
    assert status == b"HTTP/1.1 400 Bad Request"
    assert body == {"error": message, "code": "BAD_REQUEST"}
