"""Clip jobs (`POST /api/generate/clip`): checked, then charged and queued through the common
submit path.

Decided here, before anything is charged: minDuration <= maxDuration, that the video URL may be
fetched, and the speech-to-text model that will hear it (the job's model: the one asked for, else
an installed multilingual Whisper, else the catalogue's default speech-to-text model).
"""

from __future__ import annotations

from typing import Any

from apexlocal.accounts import plans
from apexlocal.accounts.users import User
from apexlocal.engines.clip.request import FIELD, duration_rule
from apexlocal.errors import BadRequest
from apexlocal.jobs import inputs
from apexlocal.jobs.services import Services
from apexlocal.jobs.submit import Submission, submit

JOB_TYPE = "clip"
SPEECH_TASK = "speech-to-text"


def speech_model(services: Services, requested: str | None) -> str | None:
    """The model id to resolve: the one asked for, else the first installed multilingual one, else
    None (the catalogue's default for speech-to-text)."""
    if requested is not None:
        return requested
    for entry in services.manifest.model:
        multilingual = bool((entry.defaults or {}).get("multilingual"))
        if SPEECH_TASK in entry.tasks and multilingual and services.models.is_installed(entry):
            return entry.id
    return None


def submit_clip(
    services: Services, user: User, params: dict[str, Any], idempotency_key: str | None, request_hash: str
) -> tuple[int, dict[str, Any]]:
    plans.require_feature(services.settings.plans, user, JOB_TYPE, services.job_types[JOB_TYPE].label)
    problem = duration_rule(float(params.get("minDuration", 15.0)), float(params.get("maxDuration", 60.0)))
    if problem:
        raise BadRequest(problem)
    inputs.check_input_url(services, user, params[FIELD], FIELD)
    sub = Submission(
        job_type=JOB_TYPE,
        params=dict(params),
        requested_model=speech_model(services, params.get("model")),
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        task=SPEECH_TASK,
    )
    return submit(services, user, sub)
