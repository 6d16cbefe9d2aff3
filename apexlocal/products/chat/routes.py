"""POST /v1/chat/completions and GET /v1/models: OpenAI's chat route over apexlocal's writer, for
the official `openai` clients (`base_url=http://HOST:PORT/v1`, `api_key=sk_live_...`) and the
tools built on them. A streamed answer is server-sent events, `data: {chunk}` then `data: [DONE]`."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from anyio import to_thread
from litestar import Request, Response, Router, get, post
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody
from litestar.response import Stream

from apexlocal.api.guards import ApiAuthMiddleware, current_user
from apexlocal.api.openapi import CHARGED, SECURITY, errors
from apexlocal.db.idempotency import request_hash
from apexlocal.errors import ServiceUnavailable
from apexlocal.jobs.services import Services
from apexlocal.products.chat import wire
from apexlocal.products.chat.completion import TASK, ChatJob, start_chat
from apexlocal.products.chat.schemas import ChatRequest
from apexlocal.products.chat.writing import Ended, pieces

DESCRIPTION = (
    "OpenAI's chat.completions.create over this server's writer: `model` (a writer model's id or alias, "
    "GET /v1/models), `messages` (system, developer, user, assistant; text content), `stream`, "
    "`stream_options.include_usage`, `max_tokens` / `max_completion_tokens` (default 1024), `temperature` "
    "(0-2, default 1; 0 is greedy), `stop` (up to 4 strings; not applied under a JSON format), "
    "`seed` (a 64-bit integer: the same seed and request give the same answer when sampling), "
    "`response_format` (`text`; `json_object`: any JSON object; `json_schema`: an answer under the schema, "
    "made by constrained decoding on the embedded model, so it always parses and validates). `top_p`, "
    "`presence_penalty`, `frequency_penalty`, `user` and `n: 1` are accepted and not used. Charged `chat` "
    "credits (1 by default) per started 1,000 tokens of prompt and answer: the prompt and the whole "
    "max_tokens are charged when the answer starts and what it did not use is refunded when it ends. "
    "Recorded as a `chat` job (X-Job-Id) with its usage, never its text."
)
STREAMED = "Server-sent events: `data: {chat.completion.chunk}` lines, then `data: [DONE]`"


@post(
    "/chat/completions",
    status_code=200,
    summary="Create Chat Completion (OpenAI-compatible)",
    tags=["openai"],
    responses={
        **errors(*CHARGED),
        200: ResponseSpec(dict[str, Any], media_type="application/json", generate_examples=False, description=STREAMED),
    },
    description=DESCRIPTION,
)
async def create_chat_completion(request: Request[Any, Any, Any], data: JSONBody[ChatRequest]) -> Response[Any]:
    services: Services = request.app.state.services
    body_hash = request_hash(request.method, request.url.path, await request.body())
    key = request.headers.get("idempotency-key")
    chat = await to_thread.run_sync(start_chat, services, current_user(request), data, key, body_hash)
    created, model = int(time.time()), data.model
    headers = {"X-Job-Id": chat.job["id"], "Cache-Control": "no-store"}
    if data.stream:
        include_usage = bool(data.stream_options and data.stream_options.include_usage)
        events = _events(services, chat, created, model, include_usage)
        return Stream(events, media_type="text/event-stream", headers=headers)
    ended = Ended(error="no answer")
    async for item in pieces(services, chat):  # the same writer thread as a stream, pieces dropped
        if isinstance(item, Ended):
            ended = item
    if ended.result is None:
        raise ServiceUnavailable(f"writer: {ended.error}")
    return Response(wire.completion(chat.job["id"], created, model, ended.result), headers=headers)


async def _events(
    services: Services, chat: ChatJob, created: int, model: str, include_usage: bool
) -> AsyncIterator[bytes]:
    job_id = chat.job["id"]
    yield _sse(wire.chunk(job_id, created, model, {"role": "assistant", "content": ""}))
    async for item in pieces(services, chat):
        if not isinstance(item, Ended):
            yield _sse(wire.chunk(job_id, created, model, {"content": item}))
            continue
        if item.result is None:
            yield _sse({"error": {"message": item.error, "type": "server_error", "code": "SERVICE_UNAVAILABLE"}})
            return
        yield _sse(wire.chunk(job_id, created, model, {}, wire.FINISH[item.result.finish_reason]))
        if include_usage:
            yield _sse(wire.usage_chunk(job_id, created, model, item.result))
    yield b"data: [DONE]\n\n"


def _sse(event: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(event, separators=(",", ":")).encode() + b"\n\n"


@get(
    "/models",
    summary="List Models (OpenAI-compatible)",
    tags=["openai"],
    responses=errors(401, 429),
    description="The writer models of the catalogue that this server has or may install, for /v1/chat/completions.",
)
async def list_models(request: Request[Any, Any, Any]) -> dict[str, Any]:
    services: Services = request.app.state.services
    # Whether a model is installed is a look at package files on disk: never on the event loop.
    return wire.model_list(await to_thread.run_sync(_listed_model_ids, services))


def _listed_model_ids(services: Services) -> list[str]:
    store, tiny = services.models, services.settings.model_set == "tiny"
    return [
        m.id
        for m in services.manifest.model
        if TASK in m.tasks and (store.is_installed(m) or (store.may_auto_pull(m) and not (tiny and m.tiny is None)))
    ]


def chat_router() -> Router:
    """`/v1/chat/completions` and `/v1/models`, behind the same key auth and rate limits as `/api`."""
    return Router(
        path="/v1",
        middleware=[ApiAuthMiddleware()],
        security=SECURITY,
        route_handlers=[create_chat_completion, list_models],
    )
