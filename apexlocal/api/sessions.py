"""/api/sessions: the caller ends their web UI sessions, e.g. after a device was lost.

`DELETE /api/sessions` ends every session of the caller but the one making the request (with an API
key, that is all of them); `?all=true` ends that one too, and clears its cookie.
"""

from __future__ import annotations

from typing import Annotated, Any

from anyio import to_thread
from litestar import Request, Response, delete
from litestar.params import QueryParameter
from msgspec import Struct

from apexlocal.accounts import sessions
from apexlocal.api.auth import session_cookie
from apexlocal.api.guards import current_identity


class SessionsEnded(Struct, rename="camel"):
    ended: int
    current_ended: bool


class SessionsEndedOut(Struct):
    data: SessionsEnded


@delete(
    "/sessions",
    status_code=200,
    summary="End Sessions",
    tags=["account"],
    description="Ends the caller's web UI sessions: all but the one making this request, or with "
    "`all=true` that one too. Answers how many were ended.",
)
async def end_sessions(
    request: Request[Any, Any, Any],
    end_all: Annotated[
        bool, QueryParameter(name="all", description="Also end the session making this request")
    ] = False,
) -> Response[SessionsEndedOut]:
    identity = current_identity(request)
    current = identity.session.id_hash if identity.session else None
    keep = None if end_all else current
    ended = await to_thread.run_sync(sessions.revoke_all, request.app.state.services.db, identity.user.id, keep)
    current_ended = current is not None and end_all
    cookies = [session_cookie(request, "", 0)] if current_ended else []
    return Response(
        SessionsEndedOut(SessionsEnded(ended=ended, current_ended=current_ended)),
        cookies=cookies,
        headers={"Cache-Control": "no-store"},
    )


routes = [end_sessions]
