"""Voice jobs: a request checked against the model that will speak it (voice, language, plan,
installed), then charged and queued through the common submit path with its time estimate.

`plan_voice` is shared by `POST /api/generate/voice` (a queued job that writes a WAV file) and the
OpenAI-compatible `POST /v1/audio/speech` (a stream).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from apexlocal.accounts import plans
from apexlocal.accounts.users import User
from apexlocal.errors import BadRequest
from apexlocal.jobs.services import Services
from apexlocal.jobs.submit import Submission, resolve_model, submit
from apexlocal.models.manifest import ModelEntry
from apexlocal.products.voice import voice_models, voices

JOB_TYPE = "voice"
LABEL = "Voice generation"


@dataclass(frozen=True)
class VoicePlan:
    entry: ModelEntry  # the model that will run
    model_name: str  # as asked for (an alias, a local id), or the chosen model's id
    spec: dict[str, Any]  # the engine's spec, camelCase as on the wire
    task: str = voice_models.TASK  # `voice-clone` when the voice is a cloned one


def plan_voice(
    services: Services,
    user: User,
    *,
    text: str,
    voice_id: str | None,
    speed: float,
    language: str | None,
    model: str | None,
) -> VoicePlan:
    """Raises 400/403 (and 400 MODEL_UNAVAILABLE) for what the chosen model cannot do."""
    plans.require_feature(services.settings.plans, user, JOB_TYPE, LABEL)
    if not text.strip():
        raise BadRequest("text: must not be blank")
    voice_id = None if voice_id in (None, "default") else voice_id
    cloned = voices.owned_clone(services, user, voice_id)
    if cloned is not None:
        entry = voices.cloning_model(services, model)
    elif model is not None:
        entry = resolve_model(services, user, voice_models.TASK, model)
    else:
        entry = voice_models.model_for(services, voice_id, language)
    task = voice_models.CLONE_TASK if cloned is not None else voice_models.TASK
    entry = resolve_model(services, user, task, model or entry.id)  # plan and install checks
    voice_models.check_language(services, entry, language, suggest=cloned is None)
    if cloned is None:
        voice_models.check_voice(services, entry, voice_id)
    spec: dict[str, Any] = {"text": text, "voiceId": voice_id, "speed": speed, "language": language, "model": model}
    if cloned is not None:
        spec["clonedVoice"] = voices.cloned_spec(cloned)
    return VoicePlan(entry, model or entry.id, spec, task)


def estimated_minutes(services: Services, plan: VoicePlan) -> int:
    seconds = voice_models.estimated_seconds(services, plan.entry, len(plan.spec["text"]), plan.spec["speed"])
    return max(1, math.ceil(seconds / 60))


def submit_voice(
    services: Services, user: User, params: dict[str, Any], idempotency_key: str | None, request_hash: str
) -> tuple[int, dict[str, Any]]:
    """`params`: the validated request (text, voiceId, speed, language, model)."""
    plan = plan_voice(
        services,
        user,
        text=params["text"],
        voice_id=params.get("voiceId"),
        speed=float(params.get("speed") or 1.0),
        language=params.get("language"),
        model=params.get("model"),
    )
    sub = Submission(
        job_type=JOB_TYPE,
        params=plan.spec,
        requested_model=plan.model_name,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        accepted_extra={"estimatedMinutes": estimated_minutes(services, plan)},
        task=plan.task,
    )
    return submit(services, user, sub)
