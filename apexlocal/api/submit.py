"""The common path of a product route that queues a job: the validated request, its idempotency
fingerprint and the caller, handed to the job lifecycle's submit off the event loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from anyio import to_thread
from litestar import Request, Response

from apexlocal.accounts.users import User
from apexlocal.api.guards import current_user
from apexlocal.api.schemas import Accepted
from apexlocal.db.idempotency import request_hash
from apexlocal.jobs.services import Services
from apexlocal.jobs.submit import Submission, submit

# A product's own submit: checks its request, then queues it (services, user, params, idempotency key,
# request fingerprint) -> (status, payload).
CheckedSubmit = Callable[[Services, User, dict[str, Any], str | None, str], tuple[int, dict[str, Any]]]


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


async def request_fingerprint(request: Request[Any, Any, Any]) -> str:
    return request_hash(request.method, request.url.path, await request.body())


async def submit_checked(
    request: Request[Any, Any, Any], product_submit: CheckedSubmit, data: msgspec.Struct
) -> Response[Accepted]:
    """A product route whose own submit checks the request before queueing it, run off the event loop."""
    status, payload = await to_thread.run_sync(
        product_submit,
        request.app.state.services,
        current_user(request),
        msgspec.to_builtins(data),
        request.headers.get("idempotency-key"),
        await request_fingerprint(request),
    )
    return accepted(status, payload)


def accepted(status: int, payload: Any) -> Response[Accepted]:
    """A submit's answer (a dict, fresh or replayed under its Idempotency-Key) as the typed answer."""
    return Response(msgspec.convert(payload, Accepted), status_code=status)
