"""POST /v1/audio/transcriptions: OpenAI's speech-to-text route over apexlocal's Whisper, for the
official `openai` clients (`base_url=http://HOST:PORT/v1`, `api_key=sk_live_...`)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from anyio import to_thread
from litestar import Request, Response, Router, post
from litestar.exceptions import ClientException
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema

from apexlocal.api.guards import ApiAuthMiddleware, current_user
from apexlocal.api.openapi import CHARGED, SECURITY, errors
from apexlocal.db.idempotency import check_key, request_hash
from apexlocal.errors import ApiError
from apexlocal.jobs.services import Services
from apexlocal.products.transcriptions.form import FILE_FIELD, receive_form
from apexlocal.products.transcriptions.formats import CONTENT_TYPES, FORMATS, render
from apexlocal.products.transcriptions.transcribe import parse_fields, transcribe_request
from apexlocal.uploads.store import temp_dir, too_large

MULTIPART_OVERHEAD = 64 * 1024
_TEXT = Schema(type=OpenAPIType.STRING)
_FORM = Schema(
    type=OpenAPIType.OBJECT,
    required=[FILE_FIELD, "model"],
    properties={
        FILE_FIELD: Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY, description="The audio (or video)"),
        "model": Schema(type=OpenAPIType.STRING, description="whisper-1 (the default Whisper here) or a local id"),
        "language": Schema(type=OpenAPIType.STRING, description="ISO 639-1; default: detected"),
        "response_format": Schema(type=OpenAPIType.STRING, enum=list(FORMATS), default="json"),
        "timestamp_granularities[]": Schema(
            type=OpenAPIType.ARRAY,
            items=Schema(type=OpenAPIType.STRING, enum=["word", "segment"]),
            description="verbose_json only: word and/or segment (default segment)",
        ),
        "prompt": Schema(type=OpenAPIType.STRING, description="Accepted and not used"),
        "temperature": Schema(type=OpenAPIType.NUMBER, description="0-1; accepted and not used (beam search)"),
    },
)


@dataclass
class TranscriptionOperation(Operation):
    """The route reads its multipart body itself, so the framework cannot describe it: this does."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(content={"multipart/form-data": OpenAPIMediaType(schema=_FORM)}, required=True)


@post(
    "/audio/transcriptions",
    status_code=200,
    summary="Create Transcription (OpenAI-compatible)",
    tags=["openai"],
    request_max_body_size=None,  # the audio upload cap is counted while the form is read
    operation_class=TranscriptionOperation,
    responses={
        **errors(400, *CHARGED, 413, 415),
        200: ResponseSpec(
            dict[str, Any],
            media_type="application/json",
            generate_examples=False,
            description="json: {text}; verbose_json: {task, language, duration, text, segments[], words[]}; "
            "text, srt and vtt as text/plain",
        ),
    },
    description="OpenAI's audio.transcriptions.create: a multipart form with `file` (any audio or video "
    "PyAV decodes, at most the audio upload cap), `model` (whisper-1 and OpenAI's other transcription "
    "names run this server's default Whisper: an installed multilingual one first; or a local "
    "speech-to-text model id), `language` (ISO 639-1, else detected), `response_format` (json, text, srt, "
    "vtt, verbose_json) and `timestamp_granularities[]` (word, segment; verbose_json only). `prompt` and "
    "`temperature` are accepted and not used. Charged `transcription-minute` credits (2 by default) per "
    "started minute of audio, recorded as a `transcription` job.",
)
async def create_transcription(request: Request[Any, Any, Any]) -> Response[Any]:
    services: Services = request.app.state.services
    key = request.headers.get("idempotency-key")
    if key is not None:
        check_key(key)
    too_big = too_large(services, "audio")
    digest = hashlib.sha256()
    form = await receive_form(
        _body(request, too_big, digest),
        request.headers.get("content-type", ""),
        temp_dir(services.settings),
        services.settings.upload_max_bytes("audio"),
        too_big,
    )
    try:
        req = parse_fields(form)
        body_hash = request_hash(request.method, request.url.path, digest.digest())
        transcript, job_id = await to_thread.run_sync(
            transcribe_request, services, current_user(request), form, req, key, body_hash
        )
    finally:
        await to_thread.run_sync(form.discard)
    headers = {"X-Job-Id": job_id, "Cache-Control": "no-store"}
    content = render(transcript, req.response_format, req.granularities)
    return Response(content, media_type=CONTENT_TYPES[req.response_format], headers=headers)


async def _body(request: Request[Any, Any, Any], too_big: ApiError, digest: Any) -> AsyncIterator[bytes]:
    try:
        async for chunk in request.stream():
            digest.update(chunk)
            yield chunk
    except ClientException as exc:
        if exc.status_code == 413:
            raise too_big from None
        raise


def transcription_router() -> Router:
    """`/v1/audio/transcriptions`, behind the same key auth and rate limits as `/api`."""
    return Router(
        path="/v1", middleware=[ApiAuthMiddleware()], security=SECURITY, route_handlers=[create_transcription]
    )
