"""GET /healthz (the process answers) and GET /readyz (database and queues usable)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get


@get("/healthz", summary="Liveness", tags=["health"], include_in_schema=True)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz", summary="Readiness", tags=["health"])
async def readyz(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    services = request.app.state.services
    checks: dict[str, bool] = {}
    try:
        checks["database"] = services.db.value("SELECT 1") == 1
    except Exception:
        checks["database"] = False
    checks["queues"] = services.queues.running()
    ok = all(checks.values())
    return Response({"status": "ready" if ok else "not ready", "checks": checks},
                    status_code=200 if ok else 503)


routes = [healthz, readyz]
