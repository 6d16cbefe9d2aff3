"""The `Allow` header of OPTIONS answers.

Litestar makes a path's OPTIONS answer when the path's first handler is registered and keeps it
when more handlers join the path later, so `OPTIONS /api/admin/users` said `GET, OPTIONS` with
POST there too. The header is set here from the finished routes instead.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.datastructures import MutableScopeHeaders
from litestar.routes import HTTPRoute
from litestar.types import Message, Scope


def allowed(app: Litestar) -> dict[str, str]:
    """Each path (as the router names it, `/api/jobs/{job_id}`) -> the methods it answers."""
    return {route.path_format: ", ".join(sorted(route.methods)) for route in app.routes if isinstance(route, HTTPRoute)}


def allow_header_hook() -> Any:
    """A `before_send` hook that puts the path's whole method list on every OPTIONS answer."""
    table: dict[str, str] = {}

    async def hook(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start" or scope.get("method") != "OPTIONS":
            return
        if not table:
            table.update(allowed(scope["app"]))
        methods = table.get(scope.get("path_template", ""))
        if methods and message["status"] < 300:
            MutableScopeHeaders.from_message(message)["Allow"] = methods

    return hook
