"""POST /api/generate/voice (a queued job) and POST /api/generate/voice-clone (answered when the
voice is stored)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, post
from litestar.params import JSONBody

from apexlocal.api.guards import current_user
from apexlocal.api.openapi import CHARGED, errors
from apexlocal.api.schemas import Accepted
from apexlocal.api.submit import request_fingerprint, submit_checked
from apexlocal.products.voice.clone import CloneRequest, clone_voice
from apexlocal.products.voice.schemas import VoiceCloneOut, VoiceCloneRequest, VoiceRequest
from apexlocal.products.voice.submit import submit_voice


@post(
    "/generate/voice",
    status_code=202,
    summary="Generate Voice (TTS)",
    tags=["generation"],
    responses=errors(*CHARGED),
    description="Text to speech, as a WAV file (audio/wav). 80 credits. Without `model`: Kokoro on a "
    "CUDA machine, Piper otherwise. A language the model cannot speak is refused (400).",
)
async def generate_voice(request: Request[Any, Any, Any], data: JSONBody[VoiceRequest]) -> Response[Accepted]:
    return await submit_checked(request, submit_voice, data)


@post(
    "/generate/voice-clone",
    status_code=201,
    summary="Clone Voice",
    tags=["generation"],
    responses=errors(*CHARGED),
    description="Stores a voice from a 15-30 s speech sample (any audio container): its clip, its "
    "transcript and, when a voice-cloning model is installed, that model's own conditionals "
    "of the clip (Chatterbox: its speaker embedding and speech prompts), which voice jobs "
    "with this voiceId then use instead of computing them from the clip. Creator plan or "
    "higher. 80 credits, refunded if cloning fails.",
)
async def generate_voice_clone(
    request: Request[Any, Any, Any], data: JSONBody[VoiceCloneRequest]
) -> Response[VoiceCloneOut]:
    fingerprint = await request_fingerprint(request)
    clone = CloneRequest(data.name, data.sample_audio_url, request.headers.get("idempotency-key"), fingerprint)
    status, body = await clone_voice(request.app.state.services, current_user(request), clone)
    return Response(msgspec.convert(body, VoiceCloneOut), status_code=status)


routes = [generate_voice, generate_voice_clone]
