"""`GET /api/jobs?id=X` and `GET /api/jobs/X` of a finished job kept in memory, answered before
Litestar's handler machinery.

A finished job never changes, and once read it is kept as its wire object (jobs/finished.py), so
reading it again costs only signing its URLs. What Litestar does to call a handler (decoding the
list route's six query parameters, building a Response and converting it to ASGI) was most of such a
read's time: about 80 of 130 µs in process. This middleware sits on those two routes only, after the
/api middleware has authenticated the caller and counted the request in its rate-limit bucket, and
sends the bytes and headers the handlers would send (tests/api/test_finished_reads.py compares them).
Any other request (another query parameter, a job not in memory, someone else's job) goes on to the
handler unchanged.
"""

from __future__ import annotations

from functools import lru_cache
from typing import cast

import msgspec
from litestar.datastructures import URL
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, HTTPScope, Receive, Scope, Send

from apexlocal.jobs.services import Services
from apexlocal.jobs.views import signed_view

_JSON = (b"content-type", b"application/json")


def job_id_of(scope: Scope) -> str | None:
    """The job asked for by its path (`/api/jobs/X`) or by a query that is `id=X` alone."""
    path_id = scope.get("path_params", {}).get("job_id")
    if path_id is not None:
        return str(path_id)
    query: bytes = scope.get("query_string", b"")
    # With another parameter or an escape in it, the query is Litestar's to parse.
    if not query.startswith(b"id=") or b"&" in query or b"%" in query or b"+" in query or b";" in query:
        return None
    return query[3:].decode("latin-1")


def base_url_of(scope: Scope) -> str:
    """`str(request.base_url).rstrip("/")`, as the handlers sign URLs with, remembered per origin."""
    host = next((value for name, value in scope.get("headers", ()) if name == b"host"), b"")
    root = scope.get("app_root_path") or scope.get("root_path", "")
    server = scope.get("server")
    return _base_url(scope.get("scheme", "http"), tuple(server) if server else None, root, host)


@lru_cache(maxsize=256)
def _base_url(scheme: str, server: tuple[str, int | None] | None, root: str, host: bytes) -> str:
    # The same computation as Litestar's `base_url`, on the only parts of the scope it reads.
    headers = [(b"host", host)] if host else []
    origin = {
        "scheme": scheme,
        "server": server,
        "root_path": root,
        "path": "/",
        "query_string": b"",
        "headers": headers,
    }
    return str(URL.from_scope(cast("Scope", origin))).rstrip("/")


def finished_body(scope: Scope) -> bytes | None:
    """The answer's body, `{"data": job}`, when the caller's job is finished and in memory."""
    job_id = job_id_of(scope)
    if not job_id:
        return None
    services: Services = scope["app"].state.services
    finished = services.bookkeeper.finished.get(job_id)
    if finished is None or finished.user_id != scope["user"].id:
        return None
    base_url = base_url_of(scope)
    view = signed_view(finished, services.storage, base_url, services.settings.url_ttl_seconds)
    return msgspec.json.encode({"data": view})


class FinishedReads(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        body = finished_body(scope) if cast("HTTPScope", scope)["method"] == "GET" else None
        if body is None:
            await next_app(scope, receive, send)
            return
        headers = [_JSON, (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})
