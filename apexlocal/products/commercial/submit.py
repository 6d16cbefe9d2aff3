"""Commercial jobs (`POST /api/generate/commercial`): checked, then charged and queued through the
common submit path.

What is decided here, before anything is charged: the voice (through the voice jobs' own
planning, so a voiceId, stock or cloned, and a voiceModel are checked exactly as for a voice job),
the music mood (400 for an unknown one) and the music model, that the input URLs are the caller's
own files or addresses the fetch policy allows, and with `spokespersonImage` the avatar model
(the `avatar` plan feature as for a narrated video's presenter), and `brandProfileId` resolved
into a snapshot of the profile (`brandProfile`). The job's model is the video
model (`videoModel`, the catalogue's default for `video` without one); the runner hands the job
to the `commercial` engine.
"""

from __future__ import annotations

from typing import Any

from apexlocal.accounts import plans
from apexlocal.accounts.users import User
from apexlocal.errors import BadRequest
from apexlocal.jobs import inputs
from apexlocal.jobs.services import Services
from apexlocal.jobs.submit import Submission, submit
from apexlocal.products.brand.resolve import FIELD, brand_snapshot
from apexlocal.products.video.music import checked_mood, music_model
from apexlocal.products.video.submit import AVATAR_FEATURE, avatar_model
from apexlocal.products.voice.submit import plan_voice

JOB_TYPE = "commercial"
VIDEO_TASK = "video"  # the job's model is the video model
SPOKESPERSON = "spokespersonImage"
AVATAR_LABEL = "A spokesperson (spokespersonImage)"


def submit_commercial(
    services: Services,
    user: User,
    params: dict[str, Any],
    idempotency_key: str | None,
    request_hash: str,
) -> tuple[int, dict[str, Any]]:
    """`params`: the validated request (camelCase)."""
    if not params["product"].strip():
        raise BadRequest("product: must not be blank")
    video_model = params.get("videoModel")
    if video_model is not None and services.manifest.resolve(video_model, VIDEO_TASK) is None:
        raise BadRequest(f"videoModel: must be one of {', '.join(services.manifest.names_for(VIDEO_TASK))}")
    spec = {k: v for k, v in params.items() if v is not None and k not in (SPOKESPERSON, FIELD)}
    if params.get(FIELD) is not None:
        spec["brandProfile"] = brand_snapshot(services, user.id, params[FIELD])
    if params.get("musicMood") is not None:
        spec["musicMood"] = checked_mood(params["musicMood"])
    spec["musicModel"] = music_model(services).id
    voice = plan_voice(
        services,
        user,
        text=params["product"],
        voice_id=params.get("voiceId"),
        speed=1.0,
        language=None,
        model=params.get("voiceModel"),
    )
    spec["voiceModel"] = voice.entry.id
    if "clonedVoice" in voice.spec:
        spec["clonedVoice"] = voice.spec["clonedVoice"]
    for i, url in enumerate(params.get("productImages") or []):
        inputs.check_input_url(services, user, url, f"productImages[{i}]")
    if params.get(SPOKESPERSON) is not None:
        plans.require_feature(services.settings.plans, user, AVATAR_FEATURE, AVATAR_LABEL)
        spec["avatarModel"] = avatar_model(services, user, None, field=SPOKESPERSON).id
        inputs.check_input_url(services, user, params[SPOKESPERSON], SPOKESPERSON)
        spec[SPOKESPERSON] = params[SPOKESPERSON]
    sub = Submission(
        job_type=JOB_TYPE,
        params=spec,
        requested_model=params.get("videoModel"),
        idempotency_key=idempotency_key,
        request_hash=request_hash,
    )
    return submit(services, user, sub)
