"""Who is calling, and may they call now: API key auth, per-user rate limits with their headers,
the JSON content-type rule, and plain guard functions for admin and plan checks."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from apexlocal.accounts.users import User
from apexlocal.api.ratelimit import RateLimiter, bucket_for
from apexlocal.errors import Forbidden, RateLimited, UnsupportedMediaType

_BODY_METHODS = {"POST", "PUT", "PATCH"}


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def _check_content_type(scope: Scope) -> None:
    if scope["method"] not in _BODY_METHODS or scope["path"].startswith("/api/upload"):
        return
    length = _header(scope, b"content-length")
    if length == "0" or (length is None and _header(scope, b"transfer-encoding") is None):
        return  # no body: nothing to type
    media = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
    if media != "application/json":
        raise UnsupportedMediaType("Content-Type: must be application/json")


class ApiAuthMiddleware(ASGIMiddleware):
    """Runs on every /api and /v1 route: authenticates, then counts the request in its bucket."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        services = scope["app"].state.services
        limiter: RateLimiter = scope["app"].state.rate_limiter
        user, key_id = services.authenticator.authenticate(_header(scope, b"authorization"))
        scope["user"] = user
        scope["auth"] = key_id
        decision = limiter.hit(user.id, bucket_for(scope["method"], scope["path"]))
        headers = {
            "X-RateLimit-Limit": str(decision.limit),
            "X-RateLimit-Remaining": str(decision.remaining),
            "X-RateLimit-Reset": str(decision.reset),
        }
        scope.setdefault("state", {})["ratelimit_headers"] = headers
        if not decision.allowed:
            raise RateLimited(decision.retry_after)
        _check_content_type(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                mutable = MutableScopeHeaders.from_message(message)
                for name, value in headers.items():
                    mutable[name] = value
            await send(message)

        await next_app(scope, receive, send_with_headers)


def current_user(request: Request[Any, Any, Any]) -> User:
    return request.scope["user"]


def require_admin(user: User) -> None:
    if not user.is_admin:
        raise Forbidden("This route is for admins")
