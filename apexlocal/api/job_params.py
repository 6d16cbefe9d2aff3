"""GET /api/jobs/{id}/params: the request a job was created with, as it was validated.

Kept out of the job object on purpose: that object is the seed's (lists, SSE and webhooks share
it), while the studio shows a job's parameters only when one is opened.
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, get
from litestar.params import FromPath
from msgspec import Struct

from apexlocal.api.guards import current_user
from apexlocal.db import jobs as records
from apexlocal.errors import NotFound


class JobParams(Struct, rename="camel"):
    job_id: str
    type: str
    params: dict[str, Any]


class JobParamsOut(Struct):
    data: JobParams


@get(
    "/jobs/{job_id:str}/params",
    summary="Get a Job's Parameters",
    tags=["jobs"],
    sync_to_thread=True,
    description="The request body the job was created with (camelCase, unknown fields never stored).",
)
def job_params(request: Request[Any, Any, Any], job_id: FromPath[str]) -> JobParamsOut:
    job = records.get_owned(request.app.state.services.db, job_id, current_user(request).id)
    if job is None:
        raise NotFound("Job not found")
    return JobParamsOut(JobParams(job["id"], job["type"], json.loads(job["params"])))


routes = [job_params]
