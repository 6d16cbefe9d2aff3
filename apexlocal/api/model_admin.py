"""One model: read it (with its latest pull), follow a pull (SSE), and, for admins, pull or remove it.

A pull runs as a task on the `io` queue (`apexlocal.models.pulls`); these routes only start it and
read its progress.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

import msgspec
from anyio import to_thread
from litestar import Request, Response, delete, get, post
from litestar.params import FromPath
from litestar.response import ServerSentEvent

from apexlocal.api.guards import admin_guard
from apexlocal.api.models import model_view
from apexlocal.errors import Conflict, ModelError, NotFound
from apexlocal.models.pulls import ACTIVE, PullTracker, TASK, start_pull
from apexlocal.jobs.services import Services
from apexlocal.models.manifest import ModelEntry

SSE_POLL_S = 0.25
SSE_KEEPALIVE_S = 15.0


def _services(request: Request[Any, Any, Any]) -> Services:
    return request.app.state.services


def _tracker(request: Request[Any, Any, Any]) -> PullTracker:
    return request.app.state.services.pulls


def _entry(services: Services, model_id: str) -> ModelEntry:
    entry = services.manifest.resolve(model_id)
    if entry is None:
        raise NotFound("Model not found")
    return entry


def _view(request: Request[Any, Any, Any], entry: ModelEntry) -> dict[str, Any]:
    return {**model_view(_services(request), entry), "pull": _tracker(request).get(entry.id)}


@get("/models/{model_id:str}", summary="Get Model", tags=["models"],
     description="One model by id or alias, with the state of its latest pull started from the API.")
async def get_model(request: Request[Any, Any, Any], model_id: FromPath[str]) -> dict[str, Any]:
    return {"data": _view(request, _entry(_services(request), model_id))}


@get("/models/{model_id:str}/events", summary="Model pull events (SSE)", tags=["models"],
     description="Server-Sent Events: a `pull` event with the pull's state at every change, until it ends.")
async def model_events(request: Request[Any, Any, Any], model_id: FromPath[str]) -> ServerSentEvent:
    entry = _entry(_services(request), model_id)
    return ServerSentEvent(_stream(_tracker(request), entry.id))


async def _stream(tracker: PullTracker, model_id: str) -> AsyncGenerator[Any, None]:
    loop = asyncio.get_running_loop()
    last_version, last_beat = -1, loop.time()
    while True:
        state = tracker.get(model_id)
        if state is None:
            return
        if state["version"] != last_version:
            last_version, last_beat = state["version"], loop.time()
            yield {"event": "pull", "data": msgspec.json.encode(state).decode()}
        if state["status"] not in ACTIVE:
            return
        if loop.time() - last_beat >= SSE_KEEPALIVE_S:
            last_beat = loop.time()
            yield {"comment": "keepalive"}
        await asyncio.sleep(SSE_POLL_S)


@post("/models/{model_id:str}/pull", status_code=202, guards=[admin_guard], summary="Pull Model", tags=["models"],
      description="Admins: installs the model in the background (the io queue). 202 with the pull's state; "
                  "200 when it is installed already. Follow it with GET /api/models/{id} or its events.")
async def pull_model(request: Request[Any, Any, Any], model_id: FromPath[str]) -> Response[Any]:
    services = _services(request)
    entry = _entry(services, model_id)
    if services.models.is_installed(entry) and not _tracker(request).active(entry.id):
        return Response({"data": _view(request, entry)}, status_code=200)
    await to_thread.run_sync(start_pull, services.pulls, services.tasks[TASK], entry.id)
    return Response({"data": _view(request, entry)}, status_code=202)


def _remove(services: Services, entry: ModelEntry) -> int:
    try:
        return services.models.remove(entry)
    except ModelError as exc:
        raise Conflict(str(exc)) from None


@delete("/models/{model_id:str}", status_code=200, guards=[admin_guard], summary="Remove Model", tags=["models"],
        description="Admins: deletes the model's files (partial downloads included). 409 while it is being pulled.")
async def remove_model(request: Request[Any, Any, Any], model_id: FromPath[str]) -> dict[str, Any]:
    services = _services(request)
    entry = _entry(services, model_id)
    if _tracker(request).active(entry.id):
        raise Conflict("The model is being pulled; remove it when the pull has ended")
    freed = await to_thread.run_sync(_remove, services, entry)
    return {"data": {**_view(request, entry), "freedBytes": freed}}


routes = [get_model, model_events, pull_model, remove_model]
