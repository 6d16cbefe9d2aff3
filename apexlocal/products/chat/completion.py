"""One chat completion request: checked, charged and recorded as a `chat` job (already
`processing`, queue `stream` like the other OpenAI-compatible routes: it never waits in the gpu
queue, and a restart fails and refunds it), written by the writer in the caller's request, then
completed with its usage (the unused part of the charge refunded), or failed and refunded."""

from __future__ import annotations

import logging
import shutil
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apexlocal.accounts import plans
from apexlocal.accounts.users import User
from apexlocal.engines.writer import ChatMessage, Completion, PromptTooLong, Writer, open_writer
from apexlocal.engines.writer.validation import check_schema_shape
from apexlocal.errors import BadRequest, JobError, ModelError, ModelUnavailable, ServiceUnavailable
from apexlocal.jobs.runner import JobProgress, engine_context
from apexlocal.jobs.services import Services
from apexlocal.jobs.submit import RequestJob, resolve_model, start_request_job
from apexlocal.models.manifest import ModelEntry
from apexlocal.products.chat.pricing import price
from apexlocal.products.chat.schemas import ChatRequest, JsonObjectFormat, JsonSchemaFormat

log = logging.getLogger("apexlocal.jobs")

JOB_TYPE = "chat"
QUEUE = "stream"
TASK = "writer"
DEFAULT_MAX_TOKENS = 1024
DEFAULT_TEMPERATURE = 1.0  # OpenAI's default
ANY_OBJECT: dict[str, Any] = {"type": "object"}


@dataclass
class ChatJob:
    job: dict[str, Any]
    writer: Writer
    messages: list[ChatMessage]
    max_tokens: int
    temperature: float
    schema: dict[str, Any] | None
    stops: tuple[str, ...]
    scratch: Path
    seed: int | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    progress: Any = None

    def cancelled(self) -> bool:
        return self.stop.is_set() or bool(self.progress is not None and self.progress.cancelled())


def messages_of(req: ChatRequest) -> list[ChatMessage]:
    return [ChatMessage("system" if m.role == "developer" else m.role, m.text()) for m in req.messages]


def schema_of(req: ChatRequest) -> dict[str, Any] | None:
    fmt = req.response_format
    if isinstance(fmt, JsonObjectFormat):
        return ANY_OBJECT
    if isinstance(fmt, JsonSchemaFormat):
        schema = fmt.json_schema.schema if fmt.json_schema.schema is not None else ANY_OBJECT
        try:
            check_schema_shape(schema)
        except JobError as exc:
            raise BadRequest(f"response_format.json_schema.schema: {exc}") from None
        return schema
    return None


def start_chat(services: Services, user: User, req: ChatRequest, key: str | None, req_hash: str) -> ChatJob:
    """Checked, charged, recorded, and the model loaded: ready to write. Raises the API's errors."""
    if services.draining:
        raise ServiceUnavailable("Server is shutting down; retry in a few seconds")
    plans.require_feature(services.settings.plans, user, JOB_TYPE, "Chat completions")
    entry = resolve_model(services, user, TASK, req.model)
    schema = schema_of(req)
    max_tokens = req.max_completion_tokens or req.max_tokens or DEFAULT_MAX_TOKENS
    messages = messages_of(req)
    job_id = str(uuid.uuid4())
    scratch = services.settings.data_dir / "scratch" / job_id
    ctx = engine_context(services, job_id, scratch)
    try:
        writer = open_writer(ctx, entry.id)
        prompt_tokens = _prompt_tokens(writer, messages, max_tokens, schema)
    except ModelError as exc:
        raise ModelUnavailable(f"model: {exc}") from None
    hold = price(services.settings.credit_costs, prompt_tokens + max_tokens)
    job = _record(services, user, entry, req, job_id, hold, key, req_hash)
    scratch.mkdir(parents=True, exist_ok=True)
    temperature = DEFAULT_TEMPERATURE if req.temperature is None else req.temperature
    chat = ChatJob(job, writer, messages, max_tokens, temperature, schema, req.stops(), scratch, req.seed)
    chat.progress = JobProgress(services, job_id)
    return chat


def _prompt_tokens(
    writer: Writer, messages: Sequence[ChatMessage], max_tokens: int, schema: dict[str, Any] | None
) -> int:
    """The prompt's length in tokens, checked against the model's context (and the schema compiled)
    before anything is charged. An external writer's prompt is estimated at 4 characters a token."""
    prompt_ids = getattr(writer, "prompt_ids", None)
    if prompt_ids is None:
        return sum(len(m.content) for m in messages) // 4 + 4 * len(messages)
    try:
        count = len(prompt_ids(messages, max_tokens))
        if schema is not None:
            from apexlocal.engines.writer.grammar import check_schema

            check_schema(schema)
    except PromptTooLong as exc:
        raise BadRequest(f"messages: {exc}") from None
    except JobError as exc:
        raise BadRequest(f"response_format.{exc}") from None
    return count


def _record(
    services: Services,
    user: User,
    entry: ModelEntry,
    req: ChatRequest,
    job_id: str,
    cost: int,
    key: str | None,
    req_hash: str,
) -> dict[str, Any]:
    fmt = req.response_format
    params = {
        "model": req.model,
        "messages": len(req.messages),  # how many, never what they say
        "maxTokens": req.max_completion_tokens or req.max_tokens,
        "temperature": req.temperature,
        "seed": req.seed,
        "responseFormat": "text" if fmt is None else type(fmt).__struct_config__.tag,
        "stream": req.stream,
    }

    job = RequestJob(JOB_TYPE, QUEUE, params, req.model, entry.id, cost, key, req_hash, job_id=job_id)
    return start_request_job(services, user, job, "Idempotency-Key: this completion was already made (job {job_id})")


def finish(services: Services, chat: ChatJob, result: Completion) -> int:
    """Completes the job with its usage and refunds what the answer did not use; returns the
    credits it cost in the end. A job canceled meanwhile stays canceled (refunded in full)."""
    job = chat.job
    used = price(services.settings.credit_costs, result.prompt_tokens + result.completion_tokens)
    cost = min(used, job["credits_charged"])
    metadata = {
        "model": job["model"],
        "modelId": result.model,
        "promptTokens": result.prompt_tokens,
        "completionTokens": result.completion_tokens,
        "finishReason": result.finish_reason,
        "creditsCharged": cost,
    }
    services.bookkeeper.complete(job, [], metadata, refund=job["credits_charged"] - cost)
    _cleanup(chat)
    return cost


def fail(services: Services, chat: ChatJob, message: str) -> None:
    services.bookkeeper.fail(chat.job, message)
    _cleanup(chat)


def cancel(services: Services, chat: ChatJob) -> None:
    services.bookkeeper.finish_canceled(chat.job)
    _cleanup(chat)


def _cleanup(chat: ChatJob) -> None:
    shutil.rmtree(chat.scratch, ignore_errors=True)
