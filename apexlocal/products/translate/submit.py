"""Translate jobs (`POST /api/generate/translate`): checked, then charged and queued through the
common submit path.

Decided here, before anything is charged: that the video URL may be fetched (this server's own
upload, or a URL the address policy allows), that the target language works on this server
(`languages.check_target`), and the models the engine will drive, written into the job's spec:
`speechModel` (hears the video), `translationModels` (the usable translation models; the engine
picks the one for the language it hears), and `voiceModel` + `voiceId` (a stock voice of the
target language) or `cloneModel` (preserveOriginalVoice). The job's own model is the lip-sync
model (manifest task `translate`), which the runner hands to the `video-translate` engine.
"""

from __future__ import annotations

from typing import Any

from apexlocal.accounts import plans
from apexlocal.accounts.users import User
from apexlocal.jobs import inputs
from apexlocal.jobs.services import Services
from apexlocal.jobs.submit import Submission, submit
from apexlocal.products.translate.languages import check_target

JOB_TYPE = "translate"
VIDEO_FIELD = "videoUrl"


def translate_spec(services: Services, user: User, params: dict[str, Any]) -> dict[str, Any]:
    """The engine's spec of a validated request (camelCase); raises 400 for what cannot run here."""
    plans.require_feature(services.settings.plans, user, JOB_TYPE, services.job_types[JOB_TYPE].label)
    language = params["outputLanguage"].lower()
    preserve = bool(params.get("preserveOriginalVoice"))
    found, target = check_target(services, language, preserve)
    inputs.check_input_url(services, user, params[VIDEO_FIELD], VIDEO_FIELD)
    assert found.speech is not None  # check_target refuses a server without one
    spec: dict[str, Any] = {
        VIDEO_FIELD: params[VIDEO_FIELD],
        "outputLanguage": language,
        "preserveOriginalVoice": preserve,
        "speechModel": found.speech.id,
        "translationModels": [m.id for m in found.translators],
    }
    if preserve:
        assert target.clone is not None
        spec["cloneModel"] = target.clone.id
    else:
        assert target.voice is not None
        spec["voiceModel"], spec["voiceId"] = target.voice[0].id, target.voice[1]
    return spec


def submit_translate(
    services: Services, user: User, params: dict[str, Any], idempotency_key: str | None, request_hash: str
) -> tuple[int, dict[str, Any]]:
    """`params`: the validated request (videoUrl, outputLanguage, preserveOriginalVoice)."""
    sub = Submission(
        job_type=JOB_TYPE,
        params=translate_spec(services, user, params),
        requested_model=None,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
    )
    return submit(services, user, sub)
