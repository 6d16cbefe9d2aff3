"""Avatar jobs (`POST /api/generate/avatar`): checked, then charged and queued through the common
submit path.

What is decided here, before anything is charged: that exactly one of `audio` and `text` drives
the lips, that the input URLs are the caller's own files or addresses the fetch policy allows,
and, for `text`, the voice that speaks it (through the voice jobs' own planning, so a voiceId,
stock or cloned, is checked exactly as for a voice job) and that it fits the speech cap at that
voice's pace. The job's model is the talking-head model; its engine (`talking-head`) finds the
voice model in the spec (`voiceModel`) and a cloned voice in `clonedVoice`.
"""

from __future__ import annotations

import math
from typing import Any

from apexlocal.accounts import plans
from apexlocal.accounts.users import User
from apexlocal.engines.scripted_video.scenes import speech_seconds, words_per_minute
from apexlocal.engines.talking_head.engine import MAX_SPEECH_S
from apexlocal.errors import BadRequest, ModelUnavailable
from apexlocal.jobs import inputs
from apexlocal.jobs.services import Services
from apexlocal.jobs.submit import Submission, resolve_model, submit
from apexlocal.models.manifest import ModelEntry
from apexlocal.products.voice.submit import VoicePlan, plan_voice

JOB_TYPE = "avatar"
TASK = "avatar"
BOTH = "audio, text: give one of them, not both: audio is lip-synced as it is, text is spoken by voiceId"
NEITHER = "audio, text: one of them is required: audio (a recording) or text (spoken by voiceId)"
VOICE_WITH_AUDIO = "voiceId: only with text; audio is lip-synced in its own voice"


def avatar_model(services: Services, user: User, requested: str | None, field: str = "model") -> ModelEntry:
    """The talking-head model that will run: the one asked for, else the catalogue's default for
    avatars (its first avatar model where none is marked default), checked for the plan and
    install as every job's model is. A catalogue without avatar models (a custom manifest) is
    400 MODEL_UNAVAILABLE, not a server error."""
    entries = [m for m in services.manifest.model if TASK in m.tasks]
    if not entries:
        raise ModelUnavailable(f"{field}: this server's model catalogue has no avatar model")
    if requested is None:
        requested = next((m for m in entries if TASK in m.default_for), entries[0]).id
    return resolve_model(services, user, TASK, requested)


def check_speech_source(params: dict[str, Any]) -> None:
    """Exactly one of `audio` and `text`; `voiceId` only with `text`."""
    audio, text = params.get("audio"), params.get("text")
    if audio is not None and text is not None:
        raise BadRequest(BOTH)
    if audio is None and text is None:
        raise BadRequest(NEITHER)
    if text is not None and not text.strip():
        raise BadRequest("text: must not be blank")
    if audio is not None and params.get("voiceId") is not None:
        raise BadRequest(VOICE_WITH_AUDIO)


def check_speech_length(text: str, voice: VoicePlan) -> None:
    """400 when `text` would take longer than the cap to speak, estimated from its words at the
    voice's pace (`words_per_minute` of its manifest entry)."""
    seconds = speech_seconds(text, words_per_minute(voice.entry))
    if seconds > MAX_SPEECH_S:
        raise BadRequest(
            f"text: needs about {math.ceil(seconds)} s of speech, more than the {MAX_SPEECH_S / 60:g}-minute "
            f"cap ({MAX_SPEECH_S:g} s) of an avatar video"
        )


def avatar_spec(services: Services, user: User, params: dict[str, Any]) -> dict[str, Any]:
    """The engine's spec: the request, and for `text` the voice that speaks it."""
    spec = dict(params)
    text = params.get("text")
    if text is None:
        return spec
    voice = plan_voice(services, user, text=text, voice_id=params.get("voiceId"), speed=1.0, language=None, model=None)
    check_speech_length(text, voice)
    spec["voiceModel"] = voice.entry.id
    if "clonedVoice" in voice.spec:
        spec["clonedVoice"] = voice.spec["clonedVoice"]
    return spec


def submit_avatar(
    services: Services, user: User, params: dict[str, Any], idempotency_key: str | None, request_hash: str
) -> tuple[int, dict[str, Any]]:
    """`params`: the validated request (camelCase). 400 for the rules above, an input URL the
    fetch policy refuses, or a model that does not make avatars; the voice's own 400/403 as a
    voice job would get them."""
    plans.require_feature(services.settings.plans, user, JOB_TYPE, services.job_types[JOB_TYPE].label)
    check_speech_source(params)
    avatar_model(services, user, params.get("model"))  # before any URL is looked up
    for field in ("image", "audio"):
        if params.get(field) is not None:
            inputs.check_input_url(services, user, params[field], field)
    sub = Submission(
        job_type=JOB_TYPE,
        params=avatar_spec(services, user, params),
        requested_model=params.get("model"),
        idempotency_key=idempotency_key,
        request_hash=request_hash,
    )
    return submit(services, user, sub)
