"""Speech made while it is sent: the OpenAI-compatible `POST /v1/audio/speech`.

The request is checked like a voice job (`voice_submit.plan_voice`), charged and recorded as a
`voice` job in one transaction, already `processing` (queue `stream`: it never goes through the gpu
queue, and a restart fails and refunds it instead of running it again). The engine is loaded before
the answer starts, so a model that cannot serve the request still gets a proper error; then its
streaming generator runs in a thread of its own and each chunk is encoded as it comes. When the
stream ends the job is completed with its metadata (no file is stored: the client has the bytes);
an engine failure fails and refunds it, a client that goes away cancels and refunds it.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apexlocal.accounts.users import User
from apexlocal.engines.base import EngineContext
from apexlocal.engines.registry import get_engine
from apexlocal.engines.voice.encode import FORMATS, AudioFormat, make_encoder
from apexlocal.errors import (
    BadRequest,
    Conflict,
    JobCancelled,
    JobError,
    ModelError,
    ModelUnavailable,
    ServiceUnavailable,
)
from apexlocal.jobs.runner import GENERIC_ERROR, JobProgress, engine_context
from apexlocal.jobs.services import Services
from apexlocal.jobs.submit import RequestJob, request_job_failures, start_request_job
from apexlocal.products.voice import voice_models
from apexlocal.products.voice.submit import JOB_TYPE, VoicePlan, plan_voice
from apexlocal.products.voice.voices import attach_cloned_voice

log = logging.getLogger("apexlocal.jobs")

QUEUE = "stream"
OPENAI_MODELS = ("tts-1", "tts-1-hd", "gpt-4o-mini-tts")  # served by the default voice model
# OpenAI's voice names -> stock voices of the Kokoro family. A model without that voice (Piper's
# single voice, a tiny stand-in) speaks them with its own default voice.
OPENAI_VOICES = {
    "alloy": "af_alloy",
    "ash": "am_adam",
    "ballad": "bm_george",
    "coral": "af_heart",
    "echo": "am_echo",
    "fable": "bm_fable",
    "onyx": "am_onyx",
    "nova": "af_nova",
    "sage": "af_sarah",
    "shimmer": "af_bella",
    "verse": "am_michael",
    "marin": "af_kore",
    "cedar": "am_eric",
}
ENGINE_SPEED = (0.5, 2.0)  # what the voice engines take; OpenAI's 0.25-4.0 is clamped into it


@dataclass(frozen=True)
class SpeechRequest:
    model: str
    text: str
    voice: str
    response_format: str
    speed: float


@dataclass
class SpeechJob:
    job: dict[str, Any]
    plan: VoicePlan
    fmt: AudioFormat
    stream: Any  # the engine's prepared VoiceStream: iterate for float32 chunks
    scratch: Path
    stop: threading.Event
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def plan_speech(services: Services, user: User, req: SpeechRequest) -> VoicePlan:
    model = None if req.model.strip().lower() in OPENAI_MODELS else req.model
    speed = min(max(req.speed, ENGINE_SPEED[0]), ENGINE_SPEED[1])
    try:
        plan = plan_voice(
            services,
            user,
            text=req.text,
            voice_id=stock_voice_for(services, model, req.voice),
            speed=speed,
            language=None,
            model=model,
        )
    except (BadRequest, ModelUnavailable) as exc:  # named as OpenAI's fields are
        raise type(exc)(_openai_field(exc.message)) from None
    spec = {
        **plan.spec,
        "model": req.model,
        "voice": req.voice,
        "responseFormat": req.response_format,
        "requestedSpeed": req.speed,
    }
    return VoicePlan(plan.entry, req.model, spec, plan.task)


def _openai_field(message: str) -> str:
    for ours, theirs in (("voiceId:", "voice:"), ("text:", "input:")):
        if message.startswith(ours):
            return theirs + message.removeprefix(ours)
    return message


def stock_voice_for(services: Services, model: str | None, voice: str) -> str | None:
    """The voiceId an OpenAI voice name stands for on the model (None: the model's default voice);
    any other name is taken as a voiceId."""
    wanted = OPENAI_VOICES.get(voice.strip().lower())
    if wanted is None:
        return voice
    entry = services.manifest.resolve(model, voice_models.TASK) if model else voice_models.default_voice_model(services)
    return wanted if entry is not None and wanted in voice_models.stock_voices(services, entry, exact=True) else None


def start_speech(
    services: Services, user: User, req: SpeechRequest, idempotency_key: str | None, request_hash: str
) -> SpeechJob:
    """Checked, charged, recorded, and the model loaded: ready to stream."""
    if services.draining:
        raise ServiceUnavailable("Server is shutting down; retry in a few seconds")
    plan = plan_speech(services, user, req)
    job = _record(services, user, plan, idempotency_key, request_hash)
    scratch = services.settings.data_dir / "scratch" / job["id"]
    scratch.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    try:
        stream = _prepare(services, job, plan, scratch, stop)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    fmt = FORMATS[req.response_format]
    headers = {"X-Job-Id": job["id"], "X-Sample-Rate": str(stream.sample_rate), "Cache-Control": "no-store"}
    return SpeechJob(job, plan, fmt, stream, scratch, stop, headers=headers)


def _record(services: Services, user: User, plan: VoicePlan, key: str | None, req_hash: str) -> dict[str, Any]:
    job = RequestJob(
        job_type=JOB_TYPE,
        queue=QUEUE,
        params=plan.spec,
        model=plan.model_name,
        model_id=plan.entry.id,
        cost=services.settings.credit_costs[JOB_TYPE],
        idempotency_key=key,
        request_hash=req_hash,
    )
    return start_request_job(
        services, user, job, "Idempotency-Key: this speech was already made (job {job_id}); a stream is not sent twice"
    )


def _context(services: Services, job: dict[str, Any], scratch: Path, stop: threading.Event) -> EngineContext:
    progress = JobProgress(services, job["id"])
    return engine_context(
        services,
        job["id"],
        scratch,
        progress=progress,
        cancelled=lambda: stop.is_set() or progress.cancelled(),
    )


def _prepare(services: Services, job: dict[str, Any], plan: VoicePlan, scratch: Path, stop: threading.Event) -> Any:
    """The engine's stream, validated and with its model loaded; failures end the job (refunded)."""
    keeper = services.bookkeeper
    try:
        with request_job_failures(services, job, "speech job"):
            engine: Any = get_engine(plan.entry.engine)
            if not hasattr(engine, "stream"):
                raise ModelError(f"model: {plan.entry.id} cannot stream speech")
            attach_cloned_voice(services, job, plan.spec, scratch)
            return engine.stream(plan.spec, plan.entry, _context(services, job, scratch, stop))
    except JobCancelled:
        keeper.finish_canceled(job)
        raise Conflict("The speech job was canceled before it started") from None


def produce(services: Services, sj: SpeechJob, emit: Callable[[bytes], None]) -> None:
    """Runs the engine and the encoder, handing each piece of bytes to `emit` (which may block,
    and raises JobCancelled once the client is gone); ends the job. Call in a thread of its own."""
    keeper, started, samples = services.bookkeeper, time.monotonic(), 0
    encoder = make_encoder(sj.fmt.name, sj.stream.sample_rate)
    try:
        for chunk in sj.stream:
            samples += chunk.size
            _emit(emit, encoder.push(chunk))
        _emit(emit, encoder.finish())
    except JobCancelled:
        encoder.close()
        keeper.finish_canceled(sj.job)
        return
    except Exception as exc:
        encoder.close()
        known = isinstance(exc, (JobError, ModelError))
        if not known:
            log.exception("speech job %s failed", sj.job["id"])
        sj.error = str(exc) if known else GENERIC_ERROR
        keeper.fail(sj.job, sj.error)
        return
    finally:
        shutil.rmtree(sj.scratch, ignore_errors=True)
    metadata = sj.stream.metadata(samples)
    metadata.update(format=sj.fmt.name, streamed=True, durationMs=round((time.monotonic() - started) * 1000))
    keeper.complete(sj.job, [], metadata)


def _emit(emit: Callable[[bytes], None], data: bytes) -> None:
    if data:
        emit(data)
