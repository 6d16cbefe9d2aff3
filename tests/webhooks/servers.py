"""Real HTTP(S) servers on loopback for the fetcher's tests, and a resolver stub."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Respond = Callable[["Handler", "Server"], None]


class Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        owner = self.server.owner
        owner.requests.append(Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        owner.respond(self, owner)

    do_GET = do_POST = do_PUT = do_HEAD = _handle

    def reply(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        content_type: str = "application/octet-stream",
    ) -> None:
        self.send_response(status)
        all_headers = {"Content-Type": content_type, "Content-Length": str(len(body)), **(headers or {})}
        for name, value in all_headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: Server


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


class Server:
    """A server on `host`, port 0 unless given; every request is recorded in `requests`."""

    def __init__(
        self, respond: Respond, host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None
    ) -> None:
        self.respond = respond
        self.requests: list[Seen] = []
        self.stopping = threading.Event()
        server_class = _HTTPServer6 if ":" in host else _HTTPServer
        self._httpd = server_class((host, port), Handler)
        self._httpd.owner = self
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self.host, self.port = host, self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def url(self, path: str = "/", host: str | None = None, scheme: str = "http") -> str:
        host = host or self.host
        return f"{scheme}://{f'[{host}]' if ':' in host else host}:{self.port}{path}"

    def close(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()


def ok(body: bytes = b"ok", content_type: str = "application/octet-stream") -> Respond:
    return lambda handler, _server: handler.reply(200, body, content_type=content_type)


def status(code: int, headers: dict[str, str] | None = None) -> Respond:
    return lambda handler, _server: handler.reply(code, b"", headers)


def redirect(location: str, code: int = 302) -> Respond:
    return status(code, {"Location": location})


def drip(interval: float, content_type: str = "image/png") -> Respond:
    """Answer at once, then send one byte per `interval`: no single read ever times out."""

    def respond(handler: Handler, server: Server) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", "1000000")
        handler.end_headers()
        try:
            while not server.stopping.is_set():
                handler.wfile.write(b"x")
                handler.wfile.flush()
                time.sleep(interval)
        except OSError:
            pass

    return respond


def stall(seconds: float) -> Respond:
    """Accept the request and say nothing for `seconds`."""

    def respond(handler: Handler, server: Server) -> None:
        server.stopping.wait(seconds)

    return respond


@dataclass
class StubResolver:
    """Answers from a table; a list of answer lists is served one per call (the last repeats)."""

    table: dict[str, Sequence[str] | Sequence[Sequence[str]]] = field(default_factory=dict)
    calls: list[tuple[str, int]] = field(default_factory=list)

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        answers = self.table.get(host)
        if answers is None:
            raise OSError(f"no such host {host}")
        if answers and not isinstance(answers[0], str):
            index = min(len([c for c in self.calls if c[0] == host]) - 1, len(answers) - 1)
            return list(answers[index])
        return [answer for answer in answers if isinstance(answer, str)]
