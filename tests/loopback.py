"""HTTP from the tests to the servers they start on loopback: httpx's functions and client, all
sharing one SSL context.

httpx builds an SSL context for every client it makes, loading the CA bundle (about 30 ms of CPU),
and `httpx.get` makes a client for every call. Polling loops and the suite's many short-lived
clients spent a minute or more of its CPU on that, beside the servers they were waiting for; with
the context shared, a client costs a third of a millisecond. Each call still gets a client of its
own, as with httpx's functions: no cookies or connections are carried from one call to the next.
The tests speak plain HTTP, so no TLS handshake ever uses the context, from any thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

TLS = httpx.create_ssl_context()
DEFAULT_TIMEOUT = httpx.Timeout(5.0)  # httpx's own default


def client(**options: Any) -> httpx.Client:
    """`httpx.Client(**options)` with the shared SSL context."""
    return httpx.Client(verify=TLS, **options)


def request(
    method: str, url: str, *, timeout: Any = DEFAULT_TIMEOUT, trust_env: bool = True, **options: Any
) -> httpx.Response:
    with client(timeout=timeout, trust_env=trust_env) as one:
        return one.request(method, url, **options)


def get(url: str, **options: Any) -> httpx.Response:
    return request("GET", url, **options)


def post(url: str, **options: Any) -> httpx.Response:
    return request("POST", url, **options)


def put(url: str, **options: Any) -> httpx.Response:
    return request("PUT", url, **options)


def patch(url: str, **options: Any) -> httpx.Response:
    return request("PATCH", url, **options)


def delete(url: str, **options: Any) -> httpx.Response:
    return request("DELETE", url, **options)


@contextmanager
def stream(
    method: str, url: str, *, timeout: Any = DEFAULT_TIMEOUT, trust_env: bool = True, **options: Any
) -> Iterator[httpx.Response]:
    with client(timeout=timeout, trust_env=trust_env) as one, one.stream(method, url, **options) as response:
        yield response
