"""Read timeouts of a real server, over raw sockets: headers must arrive whole in time, a body may not
stall, and a client that keeps sending (or a connection the server kept alive) is left alone."""

from __future__ import annotations

import json
import re
import socket
import time

import pytest

from tests import loopback
from tests.conftest import ServerProcess, free_port, server_env

pytestmark = pytest.mark.e2e

HEADER_S, BODY_S = 1.0, 1.5
GRACE_S = 4.0  # scheduling slack on a busy machine; without the timeouts these waited for minutes


@pytest.fixture(scope="module")
def server(tmp_path_factory, models_dir):
    env = server_env(
        models_dir,
        {
            "APEXLOCAL_HEADER_TIMEOUT_SECONDS": str(HEADER_S),
            "APEXLOCAL_BODY_TIMEOUT_SECONDS": str(BODY_S),
        },
    )
    server = ServerProcess(tmp_path_factory.mktemp("timeouts") / "data", free_port(), env).start()
    server.read_owner_key()
    yield server
    server.stop()


def _connect(server) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.settimeout(GRACE_S + max(HEADER_S, BODY_S))
    return sock


def _read_until_closed(sock: socket.socket) -> tuple[bytes, float]:
    """Everything the server sends until it closes, and how long that took."""
    started, received = time.monotonic(), b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    finally:
        sock.close()
    return received, time.monotonic() - started


def _envelope(answer: bytes) -> dict:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 "), answer
    return json.loads(body)


def test_a_body_that_stalls_is_408_and_closed(server):
    sock = _connect(server)
    sock.sendall(
        b"POST /api/upload/image HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
        b"Authorization: Bearer " + server.owner_key.encode() + b"\r\n"
        b"Content-Type: multipart/form-data; boundary=xyz\r\n\r\n0123456789"
    )
    answer, waited = _read_until_closed(sock)
    assert BODY_S * 0.9 <= waited < BODY_S + GRACE_S
    assert _envelope(answer) == {"error": "body: stalled, no byte for 1.5 s", "code": "REQUEST_TIMEOUT"}


def test_headers_must_arrive_whole_in_time_however_they_trickle(server):
    sock = _connect(server)
    started = time.monotonic()
    sock.sendall(b"GET /healthz HTTP/1.1\r\n")
    for _ in range(int((HEADER_S + GRACE_S) / 0.25)):  # a byte every 0.25 s does not extend the deadline
        time.sleep(0.25)
        try:
            sock.sendall(b"X")
        except OSError:
            break
    answer, _ = _read_until_closed(sock)
    assert time.monotonic() - started < HEADER_S + GRACE_S
    assert _envelope(answer)["error"] == "headers: must arrive whole within 1 s"


def test_a_connection_that_sends_nothing_is_closed_silently(server):
    answer, waited = _read_until_closed(_connect(server))
    assert answer == b"" and waited < HEADER_S + GRACE_S


def test_a_body_sent_in_pieces_and_a_kept_alive_connection_are_served(server):
    sock = _connect(server)
    body = json.dumps({"email": "nobody@example.com"}).encode()
    sock.sendall(
        b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body)
    )
    for piece in (body[:5], body[5:10], body[10:]):
        time.sleep(BODY_S / 3)  # the pauses add up to more than the idle limit, each is under it
        sock.sendall(piece)
    time.sleep(HEADER_S * 1.5)  # idle between requests: the keep-alive timeout's business, not this one
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    answer, _ = _read_until_closed(sock)
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", answer)
    assert len(statuses) == 2 and b"408" not in statuses and statuses[1] == b"200", answer
    assert loopback.get(f"{server.url}/healthz").status_code == 200
