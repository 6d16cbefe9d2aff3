"""POST /api/generate/*: validate, charge, queue. Never runs a model."""

from __future__ import annotations

from typing import Any

import msgspec
from anyio import to_thread
from litestar import Request, Response, post
from litestar.params import JSONBody

from apexlocal.api.guards import current_user
from apexlocal.api.schemas import Accepted, ImageRequest
from apexlocal.db.idempotency import request_hash
from apexlocal.errors import BadRequest
from apexlocal.jobs.submit import Submission, submit


async def submit_request(request: Request[Any, Any, Any], job_type: str, data: msgspec.Struct,
                         model: str | None) -> Response[Accepted]:
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
    return Response(payload, status_code=status)


@post("/generate/image", status_code=202, summary="Generate Image", tags=["generation"],
      description="Generate an image from a text prompt. 10 credits.")
async def generate_image(request: Request[Any, Any, Any], data: JSONBody[ImageRequest]) -> Response[Accepted]:
    if not data.prompt.strip():
        raise BadRequest("prompt: must not be blank")
    return await submit_request(request, "image", data, data.model)


routes = [generate_image]
