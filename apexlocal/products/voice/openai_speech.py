"""POST /v1/audio/speech: OpenAI's text-to-speech route over apexlocal's voice engines, for the
official `openai` clients (`base_url=http://HOST:PORT/v1`, `api_key=sk_live_...`).

The audio is streamed as it is made: the engine runs in a thread of its own and hands over each
encoded piece through a queue that holds at most MAX_AHEAD of them, so a slow client slows the
engine instead of filling memory. Errors before the first byte are apexlocal's `{"error", "code"}`
answers; an engine failure after it cuts the connection, so the client never takes a truncated file
for a whole one (the job says `failed`, refunded).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from typing import Any

from anyio import to_thread
from litestar import Request, Router, post
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody
from litestar.response import Stream

from apexlocal.api.guards import ApiAuthMiddleware, current_user
from apexlocal.api.openapi import CHARGED, SECURITY, errors
from apexlocal.db.idempotency import request_hash
from apexlocal.errors import JobCancelled
from apexlocal.jobs.services import Services
from apexlocal.products.voice.schemas import SpeechRequest as SpeechBody
from apexlocal.products.voice.schemas import VoiceRef
from apexlocal.products.voice.speech_stream import SpeechJob, SpeechRequest, produce, start_speech

MAX_AHEAD = 16
AUDIO = (
    "The audio as it is made, typed by response_format: audio/mpeg, audio/ogg; codecs=opus, audio/aac, "
    "audio/flac, audio/wav or audio/pcm (raw 16-bit little-endian; X-Sample-Rate says the rate)"
)
_END = object()


class SpeechFailed(Exception):
    """Raised into the server once bytes were sent: the only way to tell the client it is cut short."""


@post(
    "/audio/speech",
    status_code=200,
    summary="Create Speech (OpenAI-compatible)",
    tags=["openai"],
    responses={
        **errors(*CHARGED),
        200: ResponseSpec(bytes, media_type="audio/*", generate_examples=False, description=AUDIO),
    },
    description="OpenAI's audio.speech.create: `model` (tts-1, tts-1-hd, gpt-4o-mini-tts or a local id), "
    "`input`, `voice` (OpenAI's names or any voiceId), `response_format` (mp3, opus, aac, flac, "
    "wav, pcm), `speed`. Streamed as it is made. Charged as a voice job (80 credits).",
)
async def create_speech(request: Request[Any, Any, Any], data: JSONBody[SpeechBody]) -> Stream:
    voice = data.voice.id if isinstance(data.voice, VoiceRef) else data.voice
    req = SpeechRequest(
        model=data.model, text=data.input, voice=voice, response_format=data.response_format, speed=data.speed
    )
    body_hash = request_hash(request.method, request.url.path, await request.body())
    services: Services = request.app.state.services
    sj = await to_thread.run_sync(
        start_speech, services, current_user(request), req, request.headers.get("idempotency-key"), body_hash
    )
    return Stream(_audio(services, sj), media_type=sj.fmt.content_type, headers=sj.headers)


async def _audio(services: Services, sj: SpeechJob) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue()
    room = threading.Semaphore(MAX_AHEAD)

    def hand_over(item: object) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the event loop is gone: nobody is listening any more
            sj.stop.set()

    def emit(data: bytes) -> None:
        while not room.acquire(timeout=0.25):
            if sj.stop.is_set():
                raise JobCancelled()
        if sj.stop.is_set():
            raise JobCancelled()
        hand_over(data)

    def run() -> None:
        try:
            produce(services, sj, emit)
        finally:
            hand_over(_END)

    threading.Thread(target=run, name=f"speech-{sj.job['id'][:8]}", daemon=True).start()
    try:
        while (item := await queue.get()) is not _END:
            room.release()
            yield item  # type: ignore[misc]
        if sj.error is not None:
            raise SpeechFailed(sj.error)
    finally:
        sj.stop.set()  # a client that went away cancels the engine at its next chunk


def speech_router() -> Router:
    """`/v1`: the OpenAI-compatible routes, behind the same key auth and rate limits as `/api`."""
    return Router(path="/v1", middleware=[ApiAuthMiddleware()], security=SECURITY, route_handlers=[create_speech])
