"""GET /healthz (the process answers) and GET /readyz (database and queues usable)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.openapi import ResponseSpec

from apexlocal.api.schemas import Health, Readiness, ReadyChecks


@get("/healthz", summary="Liveness", tags=["health"])
async def healthz() -> Health:
    return Health("ok")


@get(
    "/readyz",
    summary="Readiness",
    tags=["health"],
    sync_to_thread=True,
    responses={503: ResponseSpec(Readiness, description="The database or the queues are not usable")},
)
def readyz(request: Request[Any, Any, Any]) -> Response[Readiness]:
    services = request.app.state.services
    try:
        database = services.db.ping()
    except Exception:
        database = False
    checks = ReadyChecks(database=database, queues=services.queues.running())
    ok = checks.database and checks.queues
    return Response(Readiness("ready" if ok else "not ready", checks), status_code=200 if ok else 503)


routes = [healthz, readyz]
