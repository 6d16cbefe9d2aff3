"""The one way out of the server: GET an input URL to a file, or POST a webhook.

Both go through `ssrf.validate_url`, which resolves the host once. The connection then goes to
exactly the addresses it checked: a network backend under httpx refuses to connect anywhere else,
while TLS still verifies the certificate against the host name (SNI is the name too) and the
Host header is the URL's own. No proxy from the environment is used, since a proxy would resolve
the name again.

One deadline covers every connect, TLS handshake, write and read of every hop, so a server that
drips a byte at a time cannot hold a worker past it (the DNS lookups are bounded by the system
resolver's own timeouts, not by it). A refused URL raises `UnsafeURL`, any other failure
`FetchError`: both are `BadRequest`s whose message names the field; library error text never
reaches a message.
"""

from __future__ import annotations

import os
import secrets
import ssl
import threading
import time
import typing
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import httpcore
import httpx

from apexlocal.errors import BadRequest
from apexlocal.webhooks.ssrf import ResolvedURL, Resolver, validate_url

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "apexlocal"
_CHUNK = 64 * 1024


class FetchError(BadRequest):
    """An input URL could not be fetched; the message names the field and says why."""


@dataclass(frozen=True)
class FetchResult:
    path: Path
    content_type: str
    size: int
    final_url: str


@dataclass(frozen=True)
class PostResult:
    status: int | None  # the receiver's HTTP status; None when no response came
    duration_ms: float
    error: str | None  # why the attempt failed, safe to log and show; None on 2xx

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300


def fetch_to_file(
    url: str,
    dest: Path,
    *,
    field: str,
    expect: tuple[str, ...],
    allow_private: bool,
    max_bytes: int,
    timeout: float,
    resolver: Resolver | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> FetchResult:
    """GET `url` into `dest`, following up to 5 redirects, each hop checked again.

    `expect` holds accepted content-type prefixes (("image/",)); empty accepts any type.
    `dest` appears only complete: the body goes to a temporary file renamed at the end.
    """
    deadline = _Deadline(timeout)
    current = validate_url(url, field, allow_private=allow_private, resolver=resolver)
    for _hop in range(MAX_REDIRECTS + 1):
        with _open(
            current,
            "GET",
            deadline,
            ssl_context,
            field,
            headers={"Accept": _accept(expect), "Accept-Encoding": "identity"},
        ) as response:
            location = _redirect_location(response)
            if location is None:
                _check_response(response, field, expect, max_bytes)
                size = _save(response, dest, field, max_bytes, deadline)
                return FetchResult(dest, _content_type(response), size, current.url)
        current = validate_url(urljoin(current.url, location), field, allow_private=allow_private, resolver=resolver)
    raise FetchError(f"{field}: too many redirects (more than {MAX_REDIRECTS})")


def post_json(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    allow_private: bool,
    timeout: float = 10.0,
    resolver: Resolver | None = None,
    ssl_context: ssl.SSLContext | None = None,
    field: str = "webhookUrl",
) -> PostResult:
    """POST `body` as JSON to `url`; redirects are not followed and count as failures.

    Never raises for a refused URL or a network failure: the result says what happened, so
    every attempt can be logged the same way.
    """
    started = time.monotonic()

    def result(status: int | None, error: str | None) -> PostResult:
        return PostResult(status, round((time.monotonic() - started) * 1000, 3), error)

    try:
        target = validate_url(url, field, allow_private=allow_private, resolver=resolver)
        sent = dict(headers)
        if not any(name.lower() == "content-type" for name in sent):
            sent["Content-Type"] = "application/json"
        with _open(target, "POST", _Deadline(timeout), ssl_context, field, headers=sent, content=body) as response:
            status = response.status_code
    except BadRequest as exc:
        return result(None, exc.message)
    if 300 <= status < 400:
        return result(status, f"redirect (HTTP {status}) not followed")
    return result(status, None if 200 <= status < 300 else f"HTTP {status}")


# One request -------------------------------------------------------------------------------


class _Deadline:
    """One point in time that every network operation of a fetch must finish by."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def clamp(self, timeout: float | None) -> float:
        remaining = self.at - time.monotonic()
        if remaining <= 0:
            raise httpcore.ReadTimeout("deadline passed")
        return remaining if timeout is None else min(timeout, remaining)

    @property
    def passed(self) -> bool:
        return time.monotonic() >= self.at


@contextmanager
def _open(
    target: ResolvedURL,
    method: str,
    deadline: _Deadline,
    ssl_context: ssl.SSLContext | None,
    field: str,
    *,
    headers: Mapping[str, str],
    content: bytes | None = None,
) -> Iterator[httpx.Response]:
    """Send one request to the pinned addresses of `target`; yield the streamed response."""
    if ssl_context is None and target.scheme == "https":
        ssl_context = _default_ssl_context()
    transport = _PinnedTransport(_PinnedBackend(target, deadline), ssl_context)
    with httpx.Client(
        transport=transport,
        trust_env=False,
        follow_redirects=False,
        timeout=deadline.seconds,
        headers={"User-Agent": USER_AGENT},
    ) as client:
        request = client.build_request(method, target.url, headers=headers, content=content)
        with _mapped_errors(field, deadline):
            response = client.send(request, stream=True)
        try:
            yield response
        finally:
            response.close()


_TRANSPORT_ERRORS = (
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    httpx.TransportError,
    httpx.DecodingError,
    httpx.StreamError,
)


@contextmanager
def _mapped_errors(field: str, deadline: _Deadline) -> Iterator[None]:
    """Turn transport exceptions into a `FetchError` that says what failed, in our words."""
    try:
        yield
    except _TRANSPORT_ERRORS as exc:
        raise FetchError(_describe(exc, field, deadline)) from None


def _describe(exc: BaseException, field: str, deadline: _Deadline) -> str:
    if isinstance(exc, (httpcore.TimeoutException, httpx.TimeoutException)) or deadline.passed:
        return f"{field}: timed out after {deadline.seconds:g} s"
    if _caused_by(exc, ssl.SSLCertVerificationError):
        return f"{field}: the server's TLS certificate could not be verified"
    if isinstance(exc, (httpcore.ConnectError, httpx.ConnectError)):
        return f"{field}: could not connect to the server"
    return f"{field}: the connection failed"


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return any(isinstance(link, kind) for link in chain)


# Reading the answer ------------------------------------------------------------------------


def _redirect_location(response: httpx.Response) -> str | None:
    if response.status_code not in REDIRECT_STATUSES:
        return None
    return response.headers.get("Location") or None


def _check_response(response: httpx.Response, field: str, expect: tuple[str, ...], max_bytes: int) -> None:
    if not 200 <= response.status_code < 300:
        raise FetchError(f"{field}: could not be fetched (HTTP {response.status_code})")
    received = _content_type(response)
    if expect and not any(received.startswith(prefix) for prefix in expect):
        got = received or "no content type"
        raise FetchError(f"{field}: expected {_accept(expect)}, got {got}")
    # Compressed bodies are refused (identity was asked for) so that the size cap counts the
    # bytes that land on disk and a small compressed bomb cannot expand in memory.
    if response.headers.get("Content-Encoding", "identity").strip().lower() != "identity":
        raise FetchError(f"{field}: compressed responses are not accepted")
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(_too_large(field, max_bytes))


def _save(response: httpx.Response, dest: Path, field: str, max_bytes: int, deadline: _Deadline) -> int:
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(f".{dest.name}.{secrets.token_hex(6)}.part")
    try:
        size = 0
        with partial.open("wb") as out, _mapped_errors(field, deadline):
            for chunk in response.iter_raw(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(_too_large(field, max_bytes))
                out.write(chunk)
        os.replace(partial, dest)
        return size
    finally:
        partial.unlink(missing_ok=True)


def _content_type(response: httpx.Response) -> str:
    header = str(response.headers.get("Content-Type", ""))
    return header.split(";", 1)[0].strip().lower()


def _accept(expect: tuple[str, ...]) -> str:
    return ", ".join(p + "*" if p.endswith("/") else p for p in expect) or "*/*"


def _too_large(field: str, max_bytes: int) -> str:
    return f"{field}: larger than the limit of {max_bytes} bytes"


# Pinned connections ------------------------------------------------------------------------


class _PinnedBackend(httpcore.NetworkBackend):
    """Connects only to the checked addresses of one URL, within the fetch's deadline."""

    def __init__(self, target: ResolvedURL, deadline: _Deadline) -> None:
        self._target, self._deadline = target, deadline
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        if (host.lower(), port) != (self._target.host, self._target.port):
            raise httpcore.ConnectError("connection to an unchecked origin refused")
        failure: Exception = httpcore.ConnectError("no address")
        # The addresses are IP literals, so the socket layer does no name lookup of its own.
        for address in self._target.addresses:
            try:
                stream = self._inner.connect_tcp(
                    address, port, self._deadline.clamp(timeout), local_address, socket_options
                )
                return _DeadlineStream(stream, self._deadline)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not reachable through the fetcher")


class _DeadlineStream(httpcore.NetworkStream):
    """A stream whose every read and write stops at the fetch's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: _Deadline) -> None:
        self._inner, self._deadline = inner, deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._deadline.clamp(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._deadline.clamp(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, self._deadline.clamp(timeout))
        return _DeadlineStream(inner, self._deadline)

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


_per_thread = threading.local()


def _default_ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle costs ~20 ms, so a context is reused, but one per thread: httpcore
    # sets ALPN on the context at every connection, which must not race another handshake.
    context = getattr(_per_thread, "ssl_context", None)
    if context is None:
        context = _per_thread.ssl_context = httpx.create_ssl_context()
    return context


class _PinnedTransport(httpx.BaseTransport):
    """An httpx transport over an httpcore pool that uses the pinned backend."""

    def __init__(self, backend: _PinnedBackend, ssl_context: ssl.SSLContext | None) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context, network_backend=backend, max_connections=1, retries=0
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        response = self._pool.handle_request(
            httpcore.Request(
                method=request.method,
                url=httpcore.URL(
                    scheme=request.url.raw_scheme,
                    host=request.url.raw_host,
                    port=request.url.port,
                    target=request.url.raw_path,
                ),
                headers=request.headers.raw,
                content=request.stream,
                extensions=request.extensions,
            )
        )
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._pool.close()


class _ResponseStream(httpx.SyncByteStream):
    def __init__(self, response: httpcore.Response) -> None:
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        yield from typing.cast(typing.Iterable[bytes], self._response.stream)

    def close(self) -> None:
        self._response.close()
