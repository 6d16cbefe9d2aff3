"""Photoshoot jobs: checked before anything is charged, then queued through the common submit path.

Decided here: that a custom background is described, that the model makes photoshoots (and, for
an angle the photo does not show, takes reference images), and that the product photo's URL is the
caller's file or an address the fetch policy allows. The photo itself is read by the engine: an
unreadable, truncated or tiny picture fails the job and refunds it."""

from __future__ import annotations

from typing import Any

from apexlocal.accounts import plans
from apexlocal.accounts.users import User
from apexlocal.engines.image.editing import editing_models
from apexlocal.engines.photoshoot.scenes import ANGLE
from apexlocal.errors import BadRequest
from apexlocal.jobs import inputs
from apexlocal.jobs.services import Services
from apexlocal.jobs.submit import Submission, resolve_model, submit

JOB_TYPE = "photoshoot"


def check_request(services: Services, user: User, params: dict[str, Any]) -> None:
    custom = params.get("customBackground")
    if params["background"] == "custom" and (custom is None or not custom.strip()):
        raise BadRequest("customBackground: required when background is custom (a description of the scene)")
    if params["background"] != "custom" and custom is not None:
        raise BadRequest("customBackground: only with background custom")
    entry = resolve_model(services, user, JOB_TYPE, params.get("model"))
    if ANGLE[params["angle"]].new_view and entry.reference_images == 0:
        able = "; ".join(editing_models(services.manifest, JOB_TYPE))
        raise BadRequest(
            f"angle: {params['angle']} needs a new view of the product, which {entry.id} cannot make "
            f"(it takes no reference image); models that can: {able}"
        )
    inputs.check_input_url(services, user, params["productImage"], "productImage")


def submit_photoshoot(
    services: Services, user: User, params: dict[str, Any], idempotency_key: str | None, request_hash: str
) -> tuple[int, dict[str, Any]]:
    plans.require_feature(services.settings.plans, user, JOB_TYPE, services.job_types[JOB_TYPE].label)
    check_request(services, user, params)
    sub = Submission(
        job_type=JOB_TYPE,
        params=params,
        requested_model=params.get("model"),
        idempotency_key=idempotency_key,
        request_hash=request_hash,
    )
    return submit(services, user, sub)
