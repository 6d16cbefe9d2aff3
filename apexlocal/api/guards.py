"""Who is calling, and may they call now: API key or web UI session auth, CSRF protection for
session requests, per-user rate limits with their headers, the JSON content-type rule, and plain
guard functions for admin and plan checks.

A Bearer key wins when one is sent; otherwise the session cookie is used. A browser sends the cookie
on its own, so every state-changing request made with it must also carry the session's CSRF token
(`X-CSRF-Token`, which only a page of this origin can read from `/auth/me`) and must not come from
another site. Bearer requests need neither: a browser never adds that header by itself.

Reading the key or session from the database happens on a worker thread, never on the event loop,
and only when the credential is not in the authenticator's short-lived memory (accounts/auth_cache.py,
emptied by anything that takes access away); a malformed key is refused before either, without the
database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

from anyio import to_thread
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

from apexlocal.accounts import sessions
from apexlocal.accounts.users import User
from apexlocal.api.ratelimit import Limiter, bucket_for
from apexlocal.errors import Forbidden, RateLimited, Unauthorized, UnsupportedMediaType

_BODY_METHODS = {"POST", "PUT", "PATCH"}
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSRF_HEADER = b"x-csrf-token"
MULTIPART_PATHS = ("/api/upload", "/v1/audio/transcriptions")  # routes that read a multipart body themselves


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def check_content_type(scope: Scope) -> None:
    if cast("HTTPScope", scope)["method"] not in _BODY_METHODS or scope["path"].startswith(MULTIPART_PATHS):
        return
    length = _header(scope, b"content-length")
    if length == "0" or (length is None and _header(scope, b"transfer-encoding") is None):
        return  # no body: nothing to type
    media = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
    if media != "application/json":
        raise UnsupportedMediaType("Content-Type: must be application/json")


def cookie_value(scope: Scope, name: str = sessions.COOKIE_NAME) -> str | None:
    for key, value in scope.get("headers", ()):
        if key != b"cookie":
            continue
        for part in value.decode("latin-1").split(";"):
            cname, sep, cvalue = part.strip().partition("=")
            if sep and cname == name:
                return cvalue.strip().strip('"')
    return None


def _own_hosts(scope: Scope) -> set[str]:
    hosts = {(_header(scope, b"host") or "").lower()}
    base = scope["app"].state.services.settings.base_url
    if base:
        hosts.add(urlsplit(base).netloc.lower())
    return hosts - {""}


def check_same_origin(scope: Scope) -> None:
    """Refuses a request a browser says came from another site. Requests without these headers
    (not a browser, or an old one) are left to the CSRF token."""
    site = (_header(scope, b"sec-fetch-site") or "").lower()
    if site in ("cross-site", "same-site"):
        raise Forbidden("Cross-site request refused")
    origin = _header(scope, b"origin")
    if origin is not None and urlsplit(origin).netloc.lower() not in _own_hosts(scope):
        raise Forbidden("Cross-site request refused")


def require_same_origin(scope: Scope) -> None:
    """Stricter: the browser must say that the request came from this origin (`Sec-Fetch-Site:
    same-origin`, or, from a browser without Fetch Metadata, a matching `Origin`). For a request
    that needs no cookie yet, where no CSRF token can back the check up."""
    check_same_origin(scope)
    site = (_header(scope, b"sec-fetch-site") or "").lower()
    if site != "same-origin" and (site or _header(scope, b"origin") is None):
        raise Forbidden("Cross-site request refused")


def _check_csrf(scope: Scope, session: sessions.Session) -> None:
    if cast("HTTPScope", scope)["method"] in _SAFE_METHODS:
        return
    check_same_origin(scope)
    if not sessions.csrf_matches(session, _header(scope, CSRF_HEADER)):
        raise Forbidden("Missing or invalid CSRF token: send the X-CSRF-Token header from /auth/me")


@dataclass(frozen=True)
class Identity:
    user: User
    label: str  # the key's id, or `session:` and the start of the session's hash
    session: sessions.Session | None = None  # when the session cookie authenticated the request


async def authenticate(scope: Scope) -> Identity:
    """Bearer key first, else the session cookie. Answered from memory when the credential was
    checked a moment ago and nothing that could end it has happened since; otherwise the database is
    read on a worker thread."""
    authenticator = scope["app"].state.services.authenticator
    authorization = _header(scope, b"authorization")
    token = None if authorization else cookie_value(scope)
    if token is None:
        found = authenticator.cached_key(authorization)
        if found is None:
            key = authenticator.parse(authorization)  # a malformed key never costs a thread
            found = await to_thread.run_sync(authenticator.lookup_key, key)
        return Identity(*found)
    session = authenticator.cached_session(token) or await to_thread.run_sync(authenticator.lookup_session, token)
    if session is None:
        raise Unauthorized("Session expired or signed out: sign in again")
    _check_csrf(scope, session)
    return Identity(session.user, f"session:{session.id_hash[:12]}", session)


def credential(scope: Scope) -> str | None:
    """The secret that authenticated the request: the Bearer key, else the session cookie."""
    authorization = _header(scope, b"authorization")
    if authorization:
        return authorization.partition(" ")[2].strip()
    return cookie_value(scope)


class ApiAuthMiddleware(ASGIMiddleware):
    """Runs on every /api and /v1 route: authenticates, then counts the request in its bucket."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        limiter: Limiter = scope["app"].state.rate_limiter
        identity = await authenticate(scope)
        scope["user"] = identity.user
        scope["auth"] = identity.label
        state = scope.setdefault("state", {})
        state["identity"] = identity
        bucket = bucket_for(cast("HTTPScope", scope)["method"], scope["path"])
        if limiter.blocking:  # windows in Redis: a network round trip, never on the event loop
            decision = await to_thread.run_sync(limiter.hit, identity.user.id, bucket)
        else:
            decision = limiter.hit(identity.user.id, bucket)
        # Raw pairs, appended to the answer's own (a MutableScopeHeaders rewrite, a scan per name, was a
        # measurable share of a cheap read's time); an error answer carries them already (api/exceptions.py).
        raw = [
            (b"x-ratelimit-limit", b"%d" % decision.limit),
            (b"x-ratelimit-remaining", b"%d" % decision.remaining),
            (b"x-ratelimit-reset", b"%d" % decision.reset),
        ]
        state["ratelimit_headers"] = raw
        if not decision.allowed:
            raise RateLimited(decision.retry_after)
        check_content_type(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = message.get("headers", ())
                if not any(name == raw[0][0] for name, _ in present):
                    message["headers"] = [*present, *raw]
            await send(message)

        await next_app(scope, receive, send_with_headers)


def current_user(request: Request[Any, Any, Any]) -> User:
    return request.scope["user"]


def current_identity(request: Request[Any, Any, Any]) -> Identity:
    return cast("Identity", request.scope["state"]["identity"])


def require_admin(user: User) -> None:
    if not user.is_admin:
        raise Forbidden("This route is for admins")


def admin_guard(connection: ASGIConnection[Any, Any, Any, Any], _: Any) -> None:
    """Litestar guard for admin-only routers and handlers (runs after the auth middleware)."""
    require_admin(connection.scope["user"])
