"""Read timeouts for `serve`: uvicorn's h11 protocol, with a deadline for a request's headers and an
idle limit between the pieces of its body.

uvicorn has neither: it only times out the idle wait between two requests (`timeout_keep_alive`),
so a client that opens a connection and sends nothing, a few bytes of headers, or ten bytes of the
100 kB body it declared, holds the connection (and the request reading it) for as long as it likes.
Here:

- the headers of a request must arrive whole within `header_timeout`, counted from the connection
  (or from the first byte of a later request on a kept-alive one), however slowly they trickle in;
- once the headers are in, the body may pause for at most `body_timeout` between two reads; the
  clock does not run while the server is the one not reading (uvicorn paused reading because the
  app has not taken what it has, or the client waits for `100 Continue`).

A request that runs out of time is answered 408 in this API's envelope when nothing was answered
yet (a connection that never sent a byte is simply closed), and its connection is closed; the app
reading it sees the client gone.

A request that is not HTTP h11 can parse (a bad header line, a negative Content-Length, broken
chunks) is answered 400 in the envelope as well, instead of uvicorn's plain-text line.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
import msgspec
from uvicorn.protocols.http.h11_impl import H11Protocol


def _answer(status: bytes, code: str, message: str) -> bytes:
    body = msgspec.json.encode({"error": message, "code": code})
    head = (
        b"HTTP/1.1 " + status + b"\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body)
    )
    return head + body


def _answer_408(message: str) -> bytes:
    return _answer(b"408 Request Timeout", "REQUEST_TIMEOUT", message)


class TimedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with the two read timeouts; `timed_protocol` sets their values."""

    header_timeout: float = 10.0
    body_timeout: float = 60.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._timer: asyncio.TimerHandle | None = None
        self._waiting_for: str | None = None  # "headers" or "body": what the armed timer is for
        self._partial_headers = False  # some bytes of the next request's headers arrived

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch(got_bytes=bool(data))

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch()

    def send_400_response(self, msg: str) -> None:
        # A request h11 cannot parse: uvicorn answers it in plain text, this API in its envelope.
        self.transport.write(_answer(b"400 Bad Request", "BAD_REQUEST", "request: must be valid HTTP/1.1"))
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _watch(self, got_bytes: bool = False) -> None:
        """Arms the timer that fits what the connection waits for now."""
        if self.transport is None or self.transport.is_closing():
            self._disarm()
            return
        state = self.conn.their_state
        if state is h11.IDLE and self.timeout_keep_alive_task is not None:
            self._disarm()  # between two requests: uvicorn's keep-alive timeout runs
        elif state is h11.IDLE:
            if self._waiting_for != "headers":
                self._partial_headers = False
                self._arm("headers", self.header_timeout)  # a deadline: more bytes do not extend it
            self._partial_headers = self._partial_headers or got_bytes
        elif state is h11.SEND_BODY:
            if got_bytes or self._waiting_for != "body":
                self._arm("body", self.body_timeout)  # an idle limit: every piece restarts it
        else:
            self._disarm()

    def _arm(self, what: str, seconds: float) -> None:
        self._disarm()
        self._waiting_for = what
        self._timer = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._waiting_for = None, None

    def _expired(self) -> None:
        what = self._waiting_for
        self._timer, self._waiting_for = None, None
        if self.transport.is_closing():
            return
        if what == "body" and (self.flow.read_paused or self.conn.they_are_waiting_for_100_continue):
            self._arm("body", self.body_timeout)  # the server is the one not reading: not the client's stall
            return
        self._time_out(what)

    def _time_out(self, what: str | None) -> None:
        cycle = self.cycle if self.cycle is not None and not self.cycle.response_complete else None
        answered = cycle is not None and cycle.response_started
        if cycle is not None:
            # The app's receive() now reports the client gone, and whatever it sends is dropped.
            cycle.disconnected = True
            cycle.message_event.set()
        if what == "body" and not answered:
            self.transport.write(_answer_408(f"body: stalled, no byte for {self.body_timeout:g} s"))
        elif what == "headers" and self._partial_headers:
            self.transport.write(_answer_408(f"headers: must arrive whole within {self.header_timeout:g} s"))
        self.transport.close()


def timed_protocol(header_timeout: float, body_timeout: float) -> type[TimedH11Protocol]:
    """The protocol class for `uvicorn.run(http=...)`, with these timeouts in seconds."""
    return type(
        "TimedH11Protocol", (TimedH11Protocol,), {"header_timeout": header_timeout, "body_timeout": body_timeout}
    )
