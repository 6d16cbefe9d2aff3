"""GET /api/models: the catalogue, with aliases, tasks, install state, size, license and memory,
and the state of each model's latest pull started from the API (`pull`, null when none)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get

from apexlocal.jobs.services import Services
from apexlocal.models.manifest import ModelEntry


def model_view(services: Services, m: ModelEntry) -> dict[str, Any]:
    return {
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
    }


@get("/models", summary="List Models", tags=["models"])
async def list_models(request: Request[Any, Any, Any]) -> dict[str, Any]:
    services = request.app.state.services
    pulls = services.pulls
    return {"data": [{**model_view(services, m), "pull": pulls.get(m.id)} for m in services.manifest.model]}


routes = [list_models]
