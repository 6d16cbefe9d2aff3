"""Image jobs with input pictures (`imageUrl`, `referenceImages`): checked before anything is
charged, then queued through the common submit path. A prompt alone goes straight to it."""

from __future__ import annotations

from typing import Any

from apexlocal.accounts.users import User
from apexlocal.engines.image import editing
from apexlocal.errors import BadRequest
from apexlocal.jobs import inputs
from apexlocal.jobs.services import Services
from apexlocal.jobs.submit import Submission, resolve_model, submit

JOB_TYPE = "image"


def check_image_inputs(services: Services, user: User, params: dict[str, Any]) -> None:
    """400 when the model takes no input picture (naming those that do) or fewer than given, or
    when an input URL is neither the caller's file nor an address the fetch policy allows."""
    pairs = editing.input_urls(params, BadRequest)
    if not pairs:
        return
    entry = resolve_model(services, user, JOB_TYPE, params.get("model"))
    editing.check_inputs(entry, services.manifest, len(pairs), [f for f, _ in pairs], BadRequest)
    for field, url in pairs:
        inputs.check_input_url(services, user, url, field)


def submit_image(
    services: Services, user: User, params: dict[str, Any], idempotency_key: str | None, request_hash: str
) -> tuple[int, dict[str, Any]]:
    if not params["prompt"].strip():
        raise BadRequest("prompt: must not be blank")
    check_image_inputs(services, user, params)
    sub = Submission(
        job_type=JOB_TYPE,
        params=params,
        requested_model=params.get("model"),
        idempotency_key=idempotency_key,
        request_hash=request_hash,
    )
    return submit(services, user, sub)
