"""One transcription request: checked, charged and recorded as a `transcription` job (already
`processing`, queue `stream` as the streamed speech jobs: it never waits in the gpu queue, and a
restart fails and refunds it), transcribed in the caller's request, then completed with its
metadata, or failed and refunded.

The price is the credit table's `transcription-minute` for every started minute of the audio's
length (read from the file before anything is charged; at least one minute)."""

from __future__ import annotations

import logging
import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apexlocal.accounts.users import User
from apexlocal.engines.speech_to_text.whisper import FasterWhisperEngine, Transcript, transcribe_with
from apexlocal.errors import BadRequest, JobError, ServiceUnavailable
from apexlocal.jobs.runner import JobProgress, engine_context
from apexlocal.jobs.services import Services
from apexlocal.jobs.submit import RequestJob, request_job_failures, resolve_model, start_request_job
from apexlocal.models.manifest import ModelEntry
from apexlocal.products.clip.submit import speech_model
from apexlocal.products.transcriptions.form import Form
from apexlocal.products.transcriptions.formats import FORMATS, GRANULARITIES

log = logging.getLogger("apexlocal.jobs")

JOB_TYPE = "transcription"
PRICE = "transcription-minute"
QUEUE = "stream"
TASK = "speech-to-text"
OPENAI_MODELS = ("whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe")  # the default Whisper here
KNOWN_FIELDS = {"file", "model", "language", "response_format", "timestamp_granularities[]", "prompt", "temperature"}


@dataclass(frozen=True)
class TranscriptionRequest:
    model: str
    language: str | None
    response_format: str
    granularities: tuple[str, ...]


def parse_fields(form: Form) -> TranscriptionRequest:
    unknown = sorted(set(form.fields) - KNOWN_FIELDS)
    if unknown:
        raise BadRequest(f"{unknown[0]}: unknown field (allowed: {', '.join(sorted(KNOWN_FIELDS))})")
    model = (form.one("model") or "").strip()
    if not model:
        raise BadRequest("model: is required (whisper-1, or a local speech-to-text model id)")
    language = (form.one("language") or "").strip().lower() or None
    if language is not None and not (len(language) == 2 and language.isalpha()):
        raise BadRequest("language: must be an ISO 639-1 code such as en")
    fmt = (form.one("response_format") or "json").strip()
    if fmt not in FORMATS:
        raise BadRequest(f"response_format: must be one of {', '.join(FORMATS)}")
    granularities = tuple(dict.fromkeys(g.strip() for g in form.fields.get("timestamp_granularities[]", [])))
    if any(g not in GRANULARITIES for g in granularities):
        raise BadRequest(f"timestamp_granularities[]: each must be one of {', '.join(GRANULARITIES)}")
    if granularities and fmt != "verbose_json":
        raise BadRequest("timestamp_granularities[]: only with response_format verbose_json")
    temperature = form.one("temperature")
    if temperature is not None:
        try:
            ok = 0.0 <= float(temperature) <= 1.0
        except ValueError:
            ok = False
        if not ok:
            raise BadRequest("temperature: must be a number from 0 to 1")
    return TranscriptionRequest(model, language, fmt, granularities or ("segment",))


def model_for(services: Services, user: User, model: str) -> ModelEntry:
    requested = speech_model(services, None) if model.lower() in OPENAI_MODELS else model
    return resolve_model(services, user, TASK, requested)


def audio_seconds(path: Path) -> float:
    from apexlocal.engines.compose.probe import probe

    try:
        info = probe(path)
    except JobError:
        info = None
    if info is None or info.audio_codec is None:
        raise BadRequest("file: must be an audio or video file with a sound track this server can read")
    return max(0.0, info.duration)


def price(services: Services, seconds: float) -> int:
    return max(1, math.ceil(seconds / 60)) * services.settings.credit_costs[PRICE]


def transcribe_request(
    services: Services, user: User, form: Form, req: TranscriptionRequest, key: str | None, req_hash: str
) -> tuple[Transcript, str]:
    """The transcript and its job id. Raises the API's errors (400, 402, 403, 409, 503)."""
    if services.draining:
        raise ServiceUnavailable("Server is shutting down; retry in a few seconds")
    from apexlocal.accounts import plans

    plans.require_feature(services.settings.plans, user, JOB_TYPE, "Transcription")
    entry = model_for(services, user, req.model)
    assert form.path is not None
    seconds = audio_seconds(form.path)
    job = _record(services, user, entry, req, price(services, seconds), key, req_hash)
    scratch = services.settings.data_dir / "scratch" / job["id"]
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        with request_job_failures(services, job, "transcription job"):
            progress = JobProgress(services, job["id"])
            ctx = engine_context(services, job["id"], scratch, progress=progress, cancelled=progress.cancelled)
            whisper = FasterWhisperEngine.load(entry, ctx)
            transcript = transcribe_with(whisper, form.path, req.language)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    metadata: dict[str, Any] = {
        "model": req.model,
        "modelId": entry.id,
        "language": transcript.language,
        "durationSeconds": transcript.duration,
        "format": req.response_format,
        "words": len(transcript.words),
    }
    services.bookkeeper.complete(job, [], metadata)
    return transcript, job["id"]


def _record(
    services: Services,
    user: User,
    entry: ModelEntry,
    req: TranscriptionRequest,
    cost: int,
    key: str | None,
    req_hash: str,
) -> dict[str, Any]:
    params = {
        "model": req.model,
        "language": req.language,
        "responseFormat": req.response_format,
        "timestampGranularities": list(req.granularities),
    }
    job = RequestJob(JOB_TYPE, QUEUE, params, req.model, entry.id, cost, key, req_hash)
    return start_request_job(services, user, job, "Idempotency-Key: this audio was already transcribed (job {job_id})")
