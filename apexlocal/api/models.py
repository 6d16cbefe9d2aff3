"""GET /api/models: the catalogue, with aliases, tasks, install state, size, license and memory."""

from __future__ import annotations

from typing import Any

from litestar import Request, get


@get("/models", summary="List Models", tags=["models"])
async def list_models(request: Request[Any, Any, Any]) -> dict[str, Any]:
    services = request.app.state.services
    return {"data": [{
        "id": m.id,
        "name": m.name,
        "tasks": list(m.tasks),
        "aliases": list(m.aliases),
        "defaultFor": list(m.default_for),
        "installed": services.models.is_installed(m),
        "sizeGb": m.size_gb,
        "memoryGb": m.memory_gb,
        "license": m.license,
        "commercialUse": m.commercial,
        "notes": m.notes,
    } for m in services.manifest.model]}


routes = [list_models]
