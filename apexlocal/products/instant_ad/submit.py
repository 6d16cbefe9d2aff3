"""Instant-ad jobs (`POST /api/generate/instant-ad`): checked, then charged by `outputFormat` and
queued through the common submit path.

Decided here, before anything is charged: that websiteUrl is an address the fetch policy allows
(a loopback or private address is a 400 unless `inputs_allow_private` is on), and the brand
profile, resolved into a snapshot in the spec (`brandProfile`), so that changing or deleting the
profile later does not change the job. The job's model is the image model that paints the
backgrounds (the catalogue's default for images); the `instant-ad` engine runs the job.
"""

from __future__ import annotations

from typing import Any

from apexlocal.accounts import plans
from apexlocal.accounts.users import User
from apexlocal.jobs import inputs
from apexlocal.jobs.services import Services
from apexlocal.jobs.submit import Submission, submit
from apexlocal.products.brand.resolve import FIELD as BRAND_FIELD
from apexlocal.products.brand.resolve import brand_snapshot

JOB_TYPE = "instant-ad"
MODEL_TASK = "image"  # the backgrounds' model


def cost_key(output_format: str) -> str:
    """The price's key in credit_costs: instant-ad-image, instant-ad-video or instant-ad-both."""
    return f"{JOB_TYPE}-{output_format}"


def submit_instant_ad(
    services: Services, user: User, params: dict[str, Any], idempotency_key: str | None, request_hash: str
) -> tuple[int, dict[str, Any]]:
    """`params`: the validated request (camelCase). 400 for a websiteUrl the fetch policy refuses
    or a brandProfileId that is not one of the caller's profiles."""
    plans.require_feature(services.settings.plans, user, JOB_TYPE, services.job_types[JOB_TYPE].label)
    inputs.check_input_url(services, user, params["websiteUrl"], "websiteUrl")
    spec = dict(params)
    spec.setdefault("outputFormat", "image")
    if params.get(BRAND_FIELD) is not None:
        spec["brandProfile"] = brand_snapshot(services, user.id, params[BRAND_FIELD])
    sub = Submission(
        job_type=JOB_TYPE,
        params=spec,
        requested_model=None,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        task=MODEL_TASK,
        cost_key=cost_key(spec["outputFormat"]),
    )
    return submit(services, user, sub)
