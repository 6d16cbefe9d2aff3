"""The common path of a product route that queues a job: the validated request, its idempotency
fingerprint and the caller, handed to the job lifecycle's submit off the event loop."""

from __future__ import annotations

from typing import Any

import msgspec
from anyio import to_thread
from litestar import Request, Response

from apexlocal.api.guards import current_user
from apexlocal.api.schemas import Accepted
from apexlocal.db.idempotency import request_hash
from apexlocal.jobs.submit import Submission, submit


async def submit_request(
    request: Request[Any, Any, Any], job_type: str, data: msgspec.Struct, model: str | None
) -> Response[Accepted]:
    services = request.app.state.services
    body = await request.body()
    sub = Submission(
        job_type=job_type,
        params=msgspec.to_builtins(data),
        requested_model=model,
        idempotency_key=request.headers.get("idempotency-key"),
        request_hash=request_hash(request.method, request.url.path, body),
    )
    status, payload = await to_thread.run_sync(submit, services, current_user(request), sub)
    return accepted(status, payload)


def accepted(status: int, payload: Any) -> Response[Accepted]:
    """A submit's answer (a dict, fresh or replayed under its Idempotency-Key) as the typed answer."""
    return Response(msgspec.convert(payload, Accepted), status_code=status)
