"""GET /api/models: the catalogue, with aliases, tasks, install state, size, license and memory,
and the state of each model's latest pull started from the API (`pull`, null when none)."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from litestar import Request, get
from msgspec import Struct

from apexlocal.jobs.services import Services
from apexlocal.models.manifest import ModelEntry


class PullStatus(Struct, rename="camel"):
    status: Literal["queued", "running", "completed", "failed"]
    downloaded: int  # bytes so far
    total: int  # expected bytes; 0 while unknown
    file: str
    error: str | None
    queued_at: str
    started_at: str | None
    finished_at: str | None
    version: int  # bumped at every change
    progress: float | None


class Model(Struct, rename="camel"):
    id: str
    name: str
    tasks: list[str]
    aliases: list[str]
    default_for: list[str]
    installed: bool
    auto_pull: bool  # a job may download it when it is not installed (auto_pull, auto_pull_models)
    size_gb: float
    memory_gb: float
    license: str
    commercial_use: bool
    notes: str
    pull: PullStatus | None  # the latest pull started from the API, while this process runs


class ModelList(Struct):
    data: list[Model]


def model_view(services: Services, m: ModelEntry) -> Model:
    """Reads the model's files (is it installed?): call it off the event loop."""
    pull = services.pulls.get(m.id)
    return Model(
        id=m.id,
        name=m.name,
        tasks=list(m.tasks),
        aliases=list(m.aliases),
        default_for=list(m.default_for),
        installed=services.models.is_installed(m),
        auto_pull=services.models.may_auto_pull(m),
        size_gb=m.size_gb,
        memory_gb=m.memory_gb,
        license=m.license,
        commercial_use=m.commercial,
        notes=m.notes,
        pull=msgspec.convert(pull, PullStatus) if pull else None,
    )


@get("/models", summary="List Models", tags=["models"], sync_to_thread=True)
def list_models(request: Request[Any, Any, Any]) -> ModelList:
    services: Services = request.app.state.services
    return ModelList([model_view(services, m) for m in services.manifest.model])


routes = [list_models]
