"""GET /api/jobs (list, or one with ?id=), GET/DELETE /api/jobs/{id}, and its SSE event stream."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from typing import Annotated, Any

import msgspec
from anyio import to_thread
from litestar import Request, Response, delete, get
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import ServerSentEvent

from apexlocal.api.guards import current_user
from apexlocal.api.schemas import Job, JobList, JobOut
from apexlocal.errors import BadRequest, NotFound
from apexlocal.db import jobs as records
from apexlocal.jobs.services import Services
from apexlocal.jobs.views import job_view

STATUSES = ("queued", "processing", "completed", "failed", "canceled")
SSE_KEEPALIVE_S = 15.0
SSE_RECHECK_S = 2.0  # re-read even without a notification: a worker elsewhere may have moved it
CANCEL_WAIT_S = 10.0


def _base_url(request: Request[Any, Any, Any]) -> str:
    return str(request.base_url).rstrip("/")


def render(services: Services, job: dict[str, Any], base_url: str) -> dict[str, Any]:
    position = records.queue_position(services.db, job) if job["status"] == "queued" else None
    return job_view(job, records.outputs(services.db, job["id"]), services.storage, base_url,
                    services.settings.url_ttl_seconds, position)


def _owned(services: Services, job_id: str, user_id: str) -> dict[str, Any]:
    job = records.get_owned(services.db, job_id, user_id)
    if job is None:
        raise NotFound("Job not found")
    return job


def _list(services: Services, request: Request[Any, Any, Any], limit: int, cursor: str | None,
          job_type: str | None, status: str | None) -> dict[str, Any]:
    if status is not None and status not in STATUSES:
        raise BadRequest(f"status: must be one of {', '.join(STATUSES)}")
    before = None
    if cursor:
        if not cursor.isdigit():
            raise BadRequest("cursor: must be a cursor returned as nextCursor")
        before = int(cursor)
    user = current_user(request)
    rows = records.list_for_user(services.db, user.id, limit=limit + 1, before_seq=before,
                                 job_type=job_type, status=status)
    page, more = rows[:limit], len(rows) > limit
    outs = records.outputs_for(services.db, [r["id"] for r in page])
    base, ttl = _base_url(request), services.settings.url_ttl_seconds
    data = [job_view(r, outs.get(r["id"], []), services.storage, base, ttl,
                     records.queue_position(services.db, r) if r["status"] == "queued" else None)
            for r in page]
    return {"data": data, "nextCursor": str(page[-1]["seq"]) if more else None}


@get("/jobs", summary="List Jobs", tags=["jobs"],
     description="Newest first, with cursor pagination. With ?id=JOB_ID returns that one job as data.")
async def list_jobs(
    request: Request[Any, Any, Any],
    job_id: Annotated[str | None, QueryParameter(name="id", description="Return this one job")] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    cursor: FromQuery[str | None] = None,
    job_type: Annotated[str | None, QueryParameter(name="type")] = None,
    status: FromQuery[str | None] = None,
) -> Response[JobList]:
    services: Services = request.app.state.services
    if job_id is not None:
        job = _owned(services, job_id, current_user(request).id)
        return Response({"data": render(services, job, _base_url(request))})
    return Response(_list(services, request, limit, cursor, job_type, status))


@get("/jobs/{job_id:str}", summary="Get Job", tags=["jobs"])
async def get_job(request: Request[Any, Any, Any], job_id: FromPath[str]) -> Response[JobOut]:
    services: Services = request.app.state.services
    job = _owned(services, job_id, current_user(request).id)
    return Response({"data": render(services, job, _base_url(request))})


@delete("/jobs/{job_id:str}", status_code=200, summary="Cancel or delete a job", tags=["jobs"],
        description="Cancels a queued or running job (refunded), or deletes a finished one and its files.")
async def delete_job(request: Request[Any, Any, Any], job_id: FromPath[str]) -> Response[JobOut]:
    services: Services = request.app.state.services
    job = _owned(services, job_id, current_user(request).id)
    if job["status"] in records.TERMINAL:
        await to_thread.run_sync(_delete_finished, services, job)
        return Response({"data": {"jobId": job_id, "deleted": True, "status": job["status"]}})
    status = await to_thread.run_sync(services.bookkeeper.request_cancel, job_id)
    if status == "processing":
        await _wait_until_ended(services, job_id, CANCEL_WAIT_S)
    return Response({"data": render(services, records.get(services.db, job_id), _base_url(request))})


def _delete_finished(services: Services, job: dict[str, Any]) -> None:
    services.storage.delete_prefix(f"outputs/{job['user_id']}/{job['id']}/")
    with services.db.write():
        services.db.conn.execute("DELETE FROM jobs WHERE id = ?", (job["id"],))


async def _wait_until_ended(services: Services, job_id: str, timeout: float) -> None:
    queue = services.events.subscribe(job_id)
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while records.get(services.db, job_id)["status"] not in records.TERMINAL:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(queue.get(), min(left, 0.5))
    finally:
        services.events.unsubscribe(job_id, queue)


@get("/jobs/{job_id:str}/events", summary="Job events (SSE)", tags=["jobs"],
     description="Server-Sent Events: a `job` event with the job object at every change, until it ends.")
async def job_events(request: Request[Any, Any, Any], job_id: FromPath[str]) -> ServerSentEvent:
    services: Services = request.app.state.services
    _owned(services, job_id, current_user(request).id)
    return ServerSentEvent(_stream(services, job_id, _base_url(request)))


async def _stream(services: Services, job_id: str, base_url: str) -> AsyncGenerator[Any, None]:
    queue = services.events.subscribe(job_id)
    loop = asyncio.get_running_loop()
    try:
        last_sent, last_beat = b"", loop.time()
        while True:
            job = records.get(services.db, job_id)
            if job is None:
                return
            payload = msgspec.json.encode(render(services, job, base_url))
            if payload != last_sent:
                last_sent, last_beat = payload, loop.time()
                yield {"event": "job", "data": payload.decode()}
            if job["status"] in records.TERMINAL:
                return
            if loop.time() - last_beat >= SSE_KEEPALIVE_S:
                last_beat = loop.time()
                yield {"comment": "keepalive"}
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(queue.get(), SSE_RECHECK_S)
    finally:
        services.events.unsubscribe(job_id, queue)


routes = [list_jobs, get_job, delete_job, job_events]
__all__ = ["Job", "routes"]
