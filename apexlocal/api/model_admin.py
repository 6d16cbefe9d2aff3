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
from litestar.openapi import ResponseSpec
from litestar.params import FromPath
from litestar.response import ServerSentEvent
from msgspec import Struct

from apexlocal.api.guards import admin_guard
from apexlocal.api.models import Model, PullStatus, model_view
from apexlocal.api.openapi import errors
from apexlocal.api.sse import KEEPALIVE, event_stream
from apexlocal.errors import Conflict, ModelError, NotFound
from apexlocal.jobs.services import Services
from apexlocal.models.manifest import ModelEntry
from apexlocal.models.pulls import ACTIVE, TASK, PullTracker, start_pull

SSE_POLL_S = 0.25
SSE_KEEPALIVE_S = 15.0


class ModelOut(Struct):
    data: Model


class RemovedModel(Model):
    freed_bytes: int


class RemovedModelOut(Struct):
    data: RemovedModel


def _services(request: Request[Any, Any, Any]) -> Services:
    return request.app.state.services


def _entry(services: Services, model_id: str) -> ModelEntry:
    entry = services.manifest.resolve(model_id)
    if entry is None:
        raise NotFound("Model not found")
    return entry


@get(
    "/models/{model_id:str}",
    summary="Get Model",
    tags=["models"],
    sync_to_thread=True,
    description="One model by id or alias, with the state of its latest pull started from the API.",
)
def get_model(request: Request[Any, Any, Any], model_id: FromPath[str]) -> ModelOut:
    services = _services(request)
    return ModelOut(model_view(services, _entry(services, model_id)))


@get(
    "/models/{model_id:str}/events",
    summary="Model pull events (SSE)",
    tags=["models"],
    responses=event_stream(
        "pull",
        PullStatus,
        f"A `pull` event with the pull's state when it has changed (read every {SSE_POLL_S:g} s); "
        "a `: keepalive` comment every 15 s without one; ends with the pull",
    ),
    description="Server-Sent Events: a `pull` event with the pull's state when it has changed (read every "
    f"{SSE_POLL_S:g} s), until it ends.",
)
async def model_events(request: Request[Any, Any, Any], model_id: FromPath[str]) -> ServerSentEvent:
    entry = _entry(_services(request), model_id)
    return ServerSentEvent(_stream(_services(request).pulls, entry.id))


async def _stream(tracker: PullTracker, model_id: str) -> AsyncGenerator[Any, None]:
    loop = asyncio.get_running_loop()
    last_version, last_beat = -1, loop.time()
    while True:
        # The io workers hold the tracker's lock while they update it: read it in a worker thread.
        state = await to_thread.run_sync(tracker.get, model_id)
        if state is None:
            return
        if state["version"] != last_version:
            last_version, last_beat = state["version"], loop.time()
            yield {"event": "pull", "data": msgspec.json.encode(state).decode()}
        if state["status"] not in ACTIVE:
            return
        if loop.time() - last_beat >= SSE_KEEPALIVE_S:
            last_beat = loop.time()
            yield KEEPALIVE
        await asyncio.sleep(SSE_POLL_S)


@post(
    "/models/{model_id:str}/pull",
    status_code=202,
    guards=[admin_guard],
    summary="Pull Model",
    tags=["models"],
    sync_to_thread=True,
    responses={200: ResponseSpec(ModelOut, description="The model is installed already")},
    description="Admins: installs the model in the background (the io queue). 202 with the pull's state; "
    "200 when it is installed already. Follow it with GET /api/models/{id} or its events.",
)
def pull_model(request: Request[Any, Any, Any], model_id: FromPath[str]) -> Response[ModelOut]:
    services = _services(request)
    entry = _entry(services, model_id)
    if services.models.is_installed(entry) and not services.pulls.active(entry.id):
        return Response(ModelOut(model_view(services, entry)), status_code=200)
    start_pull(services.pulls, services.tasks[TASK], entry.id)
    return Response(ModelOut(model_view(services, entry)), status_code=202)


def _remove(services: Services, entry: ModelEntry) -> int:
    try:
        return services.models.remove(entry)
    except ModelError as exc:
        raise Conflict(str(exc)) from None


@delete(
    "/models/{model_id:str}",
    status_code=200,
    guards=[admin_guard],
    summary="Remove Model",
    tags=["models"],
    sync_to_thread=True,
    responses=errors(409),
    description="Admins: deletes the model's files (partial downloads included). 409 while it is being pulled.",
)
def remove_model(request: Request[Any, Any, Any], model_id: FromPath[str]) -> RemovedModelOut:
    services = _services(request)
    entry = _entry(services, model_id)
    if services.pulls.active(entry.id):
        raise Conflict("The model is being pulled; remove it when the pull has ended")
    freed = _remove(services, entry)
    view = model_view(services, entry)
    return RemovedModelOut(RemovedModel(**msgspec.structs.asdict(view), freed_bytes=freed))


routes = [get_model, model_events, pull_model, remove_model]
