"""GET /api/jobs (list, or one with ?id=), GET/DELETE /api/jobs/{id}, and its SSE event stream.

Every database read runs in a worker thread (sync handlers, or `to_thread` in the async ones), so a
slow write elsewhere never stalls the event loop, and the SSE streams keep answering."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from functools import partial
from typing import Annotated, Any

import msgspec
from anyio import to_thread
from litestar import MediaType, Request, Response, delete, get
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import ServerSentEvent

from apexlocal.api.finished_reads import FinishedReads
from apexlocal.api.guards import current_user
from apexlocal.api.job_snapshots import SharedReads
from apexlocal.api.openapi import errors
from apexlocal.api.schemas import Job, JobDeleted, JobDeletedOut, JobList, JobOut, JobStatus
from apexlocal.api.sse import KEEPALIVE, event_stream
from apexlocal.api.validation import CURSOR
from apexlocal.db import jobs as records
from apexlocal.errors import NotFound
from apexlocal.jobs.services import Services
from apexlocal.jobs.views import job_view, signed_view, unsigned_view

SSE_KEEPALIVE_S = 15.0
SSE_RECHECK_S = 2.0  # re-read even without a notification: a worker elsewhere may have moved it
CANCEL_WAIT_S = 10.0


def _base_url(request: Request[Any, Any, Any]) -> str:
    return str(request.base_url).rstrip("/")


def render(services: Services, job: dict[str, Any], base_url: str) -> dict[str, Any]:
    """The job's wire object with freshly signed URLs; a finished job is kept for the next read."""
    outputs = records.outputs(services.db, job["id"])
    position = records.queue_position(services.db, job) if job["status"] == "queued" else None
    unsigned = unsigned_view(job, outputs, position)
    services.bookkeeper.finished.keep(unsigned)
    return signed_view(unsigned, services.storage, base_url, services.settings.url_ttl_seconds)


def _json(payload: dict[str, Any]) -> Response[Any]:
    # The job object is encoded as built, so a list, a read, an SSE event and a webhook carry the same
    # keys (an output's own fields included); the Structs in the signatures document its shape.
    return Response(msgspec.json.encode(payload), media_type=MediaType.JSON)


async def _one(request: Request[Any, Any, Any], job_id: str) -> Response[Any]:
    """One of the caller's jobs: a finished one from memory when it was read before (signing its URLs
    is the only work), any other from the database in a worker thread."""
    services: Services = request.app.state.services
    user_id, base_url = current_user(request).id, _base_url(request)
    finished = services.bookkeeper.finished.get(job_id)
    if finished is not None and finished.user_id == user_id:
        view = signed_view(finished, services.storage, base_url, services.settings.url_ttl_seconds)
    else:
        view = await to_thread.run_sync(_read_one, services, job_id, user_id, base_url)
    return _json({"data": view})


def _read_one(services: Services, job_id: str, user_id: str, base_url: str) -> dict[str, Any]:
    return render(services, _owned(services, job_id, user_id), base_url)


def _owned(services: Services, job_id: str, user_id: str) -> dict[str, Any]:
    job = records.get_owned(services.db, job_id, user_id)
    if job is None:
        raise NotFound("Job not found")
    return job


def _list(
    services: Services,
    request: Request[Any, Any, Any],
    limit: int,
    cursor: str | None,
    job_type: str | None,
    status: str | None,
) -> dict[str, Any]:
    rows = records.list_for_user(
        services.db,
        current_user(request).id,
        limit=limit + 1,
        before_seq=int(cursor) if cursor else None,
        job_type=job_type,
        status=status,
    )
    page, more = rows[:limit], len(rows) > limit
    outs = records.outputs_for(services.db, [r["id"] for r in page])
    base, ttl = _base_url(request), services.settings.url_ttl_seconds
    data = [
        job_view(
            r,
            outs.get(r["id"], []),
            services.storage,
            base,
            ttl,
            records.queue_position(services.db, r) if r["status"] == "queued" else None,
        )
        for r in page
    ]
    return {"data": data, "nextCursor": str(page[-1]["seq"]) if more else None}


@get(
    "/jobs",
    middleware=[FinishedReads()],
    summary="List Jobs",
    tags=["jobs"],
    responses=errors(404),
    description="Newest first, with cursor pagination: `{data: [job], nextCursor}`. With ?id=JOB_ID it is "
    "that one job instead, `{data: job}` (the other parameters are then ignored).",
)
async def list_jobs(
    request: Request[Any, Any, Any],
    job_id: Annotated[str | None, QueryParameter(name="id", description="Return this one job")] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, QueryParameter(pattern=CURSOR, description="A page's nextCursor")] = None,
    job_type: Annotated[str | None, QueryParameter(name="type")] = None,
    status: FromQuery[JobStatus | None] = None,
) -> Response[JobList | JobOut]:
    if job_id is not None:
        return await _one(request, job_id)
    services: Services = request.app.state.services
    return _json(await to_thread.run_sync(_list, services, request, limit, cursor, job_type, status))


@get("/jobs/{job_id:str}", middleware=[FinishedReads()], summary="Get Job", tags=["jobs"])
async def get_job(request: Request[Any, Any, Any], job_id: FromPath[str]) -> Response[JobOut]:
    return await _one(request, job_id)


@delete(
    "/jobs/{job_id:str}",
    status_code=200,
    summary="Cancel or delete a job",
    tags=["jobs"],
    description="Cancels a queued or running job (refunded) and answers it as `{data: job}`, or deletes "
    "a finished one and its files: `{data: {jobId, deleted: true, status}}`.",
)
async def delete_job(request: Request[Any, Any, Any], job_id: FromPath[str]) -> Response[JobOut | JobDeletedOut]:
    services: Services = request.app.state.services
    job = await to_thread.run_sync(_owned, services, job_id, current_user(request).id)
    if job["status"] in records.TERMINAL:
        await to_thread.run_sync(_delete_finished, services, job)
        return Response(JobDeletedOut(JobDeleted(job_id, True, job["status"])))
    status = await to_thread.run_sync(services.bookkeeper.request_cancel, job_id)
    if status == "processing":
        await _wait_until_ended(services, job_id, CANCEL_WAIT_S)
    return _json({"data": await to_thread.run_sync(_render_id, services, job_id, _base_url(request))})


def _render_id(services: Services, job_id: str, base_url: str) -> dict[str, Any]:
    return render(services, records.get(services.db, job_id), base_url)  # type: ignore[arg-type]


def _delete_finished(services: Services, job: dict[str, Any]) -> None:
    services.storage.delete_prefix(f"outputs/{job['user_id']}/{job['id']}/")
    services.bookkeeper.delete_finished(job)


def _status(services: Services, job_id: str) -> str | None:
    job = records.get(services.db, job_id)
    return None if job is None else job["status"]


async def _wait_until_ended(services: Services, job_id: str, seconds: float) -> None:
    queue = services.events.subscribe(job_id)
    try:
        deadline = asyncio.get_running_loop().time() + seconds
        while await to_thread.run_sync(_status, services, job_id) not in records.TERMINAL:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(queue.get(), min(left, 0.5))
    finally:
        services.events.unsubscribe(job_id, queue)


@get(
    "/jobs/{job_id:str}/events",
    summary="Job events (SSE)",
    tags=["jobs"],
    responses=event_stream(
        "job",
        Job,
        "A `job` event with the job object when it changes (changes closer together than the "
        "stream reads the job arrive as one event, the latest); a `: keepalive` comment line "
        "every 15 s without one; the stream ends with the job",
    ),
    description=(
        "Server-Sent Events: a `job` event with the job object when it changes, until it ends. Each "
        "event is the job as the stream reads it: changes closer together than that arrive as one."
    ),
)
async def job_events(request: Request[Any, Any, Any], job_id: FromPath[str]) -> ServerSentEvent:
    services: Services = request.app.state.services
    await to_thread.run_sync(_owned, services, job_id, current_user(request).id)
    return ServerSentEvent(_stream(services, request.app.state.job_snapshots, job_id, _base_url(request)))


def job_snapshots(services: Services) -> SharedReads[tuple[str, bytes] | None]:
    """The reads the event streams of one app share."""
    return SharedReads(partial(_snapshot, services), services.events.sequence)


def _snapshot(services: Services, job_id: str, base_url: str) -> tuple[str, bytes] | None:
    """The job's status and its encoded object, read in a worker thread; None once it is gone."""
    job = records.get(services.db, job_id)
    return None if job is None else (job["status"], msgspec.json.encode(render(services, job, base_url)))


async def _stream(
    services: Services, snapshots: SharedReads[tuple[str, bytes] | None], job_id: str, base_url: str
) -> AsyncGenerator[Any, None]:
    queue = services.events.subscribe(job_id)
    loop = asyncio.get_running_loop()
    try:
        last_sent, last_beat = b"", loop.time()
        while True:
            snapshot = await snapshots.get(job_id, base_url, services.events.sequence())
            if snapshot is None:
                return
            status, payload = snapshot
            if payload != last_sent:
                last_sent, last_beat = payload, loop.time()
                yield {"event": "job", "data": payload.decode()}
            if status in records.TERMINAL:
                return
            if loop.time() - last_beat >= SSE_KEEPALIVE_S:
                last_beat = loop.time()
                yield KEEPALIVE
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(queue.get(), SSE_RECHECK_S)
    finally:
        services.events.unsubscribe(job_id, queue)


routes = [list_jobs, get_job, delete_job, job_events]
