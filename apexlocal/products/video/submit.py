"""Narrated video jobs (`POST /api/generate/video`): checked, then charged and queued through the
common submit path.

What is decided here, before anything is charged: the voice that narrates (through the voice
jobs' own planning, so a voiceId, stock or cloned, is checked exactly as for a voice job), and
whether the script can be narrated within `duration` at that voice's pace. The job's model is
the video model; the runner hands the job to the `scripted-video` engine, which finds the voice
model in the spec (`voiceModel`).

With `avatarImage`, the video has a presenter: the face in that image speaks the narration in a
picture-in-picture over the scenes. That needs the plan's `avatar` feature and the avatar model
(the catalogue's default for avatars), resolved here like any job's model (`avatarModel`);
the image URL is checked as every input URL is.

With `musicMood` (beyond the hosted API), a music bed of that mood lies under the narration: the
mood is checked here (400 naming musicMood for an unknown one) and the music model chosen
(products/video/music.py).
"""

from __future__ import annotations

from typing import Any

from apexlocal.accounts import plans
from apexlocal.accounts.users import User
from apexlocal.engines.scripted_video.scenes import estimate_message, words_per_minute
from apexlocal.errors import BadRequest
from apexlocal.jobs import inputs
from apexlocal.jobs.services import Services
from apexlocal.jobs.submit import Submission, submit
from apexlocal.products.avatar.submit import avatar_model
from apexlocal.products.video.music import checked_mood, music_model
from apexlocal.products.voice.submit import plan_voice

JOB_TYPE = "video"
AVATAR_FEATURE = "avatar"  # the plan feature, and the manifest task of the presenter's model
AVATAR_LABEL = "A presenter (avatarImage)"


def submit_video(
    services: Services, user: User, params: dict[str, Any], idempotency_key: str | None, request_hash: str
) -> tuple[int, dict[str, Any]]:
    """`params`: the validated request (camelCase). 400 for a script too long for `duration` or an
    avatarImage URL the fetch policy refuses; the voice's own 400/403 as a voice job would get them."""
    plans.require_feature(services.settings.plans, user, JOB_TYPE, services.job_types[JOB_TYPE].label)
    script = params["script"]
    voice = plan_voice(
        services, user, text=script, voice_id=params.get("voiceId"), speed=1.0, language=None, model=None
    )
    message = estimate_message(script, words_per_minute(voice.entry), float(params["duration"]))
    if message is not None:
        raise BadRequest(message)
    spec = {k: v for k, v in params.items() if k != "avatarImage"}
    spec.update(presenter_spec(services, user, params.get("avatarImage")))
    spec["voiceModel"] = voice.entry.id
    if "clonedVoice" in voice.spec:
        spec["clonedVoice"] = voice.spec["clonedVoice"]
    if params.get("musicMood") is not None:
        spec["musicMood"] = checked_mood(params["musicMood"])
        spec["musicModel"] = music_model(services).id
    sub = Submission(
        job_type=JOB_TYPE,
        params=spec,
        requested_model=params.get("model"),
        idempotency_key=idempotency_key,
        request_hash=request_hash,
    )
    return submit(services, user, sub)


def presenter_spec(services: Services, user: User, avatar_image: str | None) -> dict[str, Any]:
    """`avatarImage` and `avatarModel` for a video with a presenter; nothing without one."""
    if avatar_image is None:
        return {}
    plans.require_feature(services.settings.plans, user, AVATAR_FEATURE, AVATAR_LABEL)
    entry = avatar_model(services, user, None, field="avatarImage")
    inputs.check_input_url(services, user, avatar_image, "avatarImage")
    return {"avatarImage": avatar_image, "avatarModel": entry.id}
