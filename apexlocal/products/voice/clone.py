"""Cloning a voice (`POST /api/generate/voice-clone`), answered when the voice is stored.

The clone is charged first, in the transaction that records it as `pending` (402 before any work).
The work then runs as a task of the `clone` queue (`clone_workers` at a time), while the request
awaits its outcome without holding a thread: the sample is fetched (this server's own upload URLs
from storage, others through the safe fetcher), decoded with PyAV whatever the container, measured
(15-30 s of speech, silence around it not counted), trimmed and normalised, transcribed with
faster-whisper, and its clip stored with, when a voice-cloning model is installed, that model's
own conditionals of the clip (its engine's `save_conditionals`), which voice jobs then read instead
of computing them again. The voice becomes `ready` in one transaction with the
`Idempotency-Key` record. Anything failing on the way removes the voice and its clip and refunds
the charge. A client that disconnects early does not stop the clone: the voice is listed when done.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from apexlocal.accounts import credits, plans
from apexlocal.accounts.users import User
from apexlocal.db import idempotency
from apexlocal.db import voices as voices_db
from apexlocal.errors import BadRequest, Conflict, JobError, ModelError, ModelUnavailable, ServiceUnavailable
from apexlocal.jobs import inputs
from apexlocal.jobs.services import Services
from apexlocal.products.voice import voices

log = logging.getLogger("apexlocal.voice")

FEATURE = "voice-clone"
FIELD = "sampleAudioUrl"
TASK = "clone_voice"
MIN_SECONDS, MAX_SECONDS = 15.0, 30.0
CLIP_NAME = "sample.wav"
MESSAGE = "Voice cloned successfully"

_in_flight: set[tuple[str, str]] = set()
_in_flight_lock = threading.Lock()

Answer = tuple[int, dict[str, Any]]


@dataclass(frozen=True)
class CloneRequest:
    name: str
    sample_url: str
    idempotency_key: str | None
    request_hash: str


@dataclass(frozen=True)
class PendingClone:
    """A charged clone waiting for the `clone` queue: the task's arguments."""

    voice_id: str
    user_id: str
    name: str
    sample_url: str
    idempotency_key: str | None
    request_hash: str


def install(services: Services) -> None:
    services.tasks[TASK] = services.queues.task(
        "clone", TASK, lambda pending: run_clone(services, PendingClone(**pending))
    )


async def clone_voice(services: Services, user: User, req: CloneRequest) -> Answer:
    """The route's whole work: checks and the charge in a worker thread, the clone on its queue."""
    with _key_claimed(user.id, req.idempotency_key):
        started = await asyncio.to_thread(begin_clone, services, user, req)
        if not isinstance(started, PendingClone):
            return started  # a replay of a finished request
        outcome = services.outcomes.expect(started.voice_id)
        services.tasks[TASK](asdict(started))
        try:
            answer: Answer = await outcome
        finally:
            services.outcomes.forget(started.voice_id)
        return answer


def begin_clone(services: Services, user: User, req: CloneRequest) -> Answer | PendingClone:
    """Checks the request and charges it; a replayed Idempotency-Key gets its first answer."""
    if services.draining:
        raise ServiceUnavailable("Server is shutting down; retry in a few seconds")
    plans.require_feature(services.settings.plans, user, FEATURE, "Voice cloning")
    name = req.name.strip()
    if not name:
        raise BadRequest("name: must not be blank")
    replay = idempotency.lookup(services.db, user.id, req.idempotency_key, req.request_hash)
    if replay is not None:
        return replay
    inputs.check_input_url(services, user, req.sample_url, FIELD)
    voice_id = "vc_" + uuid.uuid4().hex
    cost = services.settings.credit_costs[FEATURE]
    with services.db.write():
        credits.debit_for_job(services.db, user.id, voice_id, cost, FEATURE)
        voices_db.insert_pending(services.db, voice_id, user.id, name, cost)
    return PendingClone(voice_id, user.id, name, req.sample_url, req.idempotency_key, req.request_hash)


def run_clone(services: Services, clone: PendingClone) -> None:
    """The `clone` queue's task: builds the voice and posts the answer (or the error) to the
    request waiting for it. A failure refunds the charge and leaves no voice behind."""
    row = voices_db.get(services.db, clone.voice_id)
    if row is None or row["status"] != "pending":
        services.outcomes.post(clone.voice_id, error=JobError("the voice was removed while it was queued"))
        return
    try:
        answer = _build(services, clone)
    except _Replayed as replay:
        voices.discard_pending(services, row, "voice clone replayed")
        answer = (replay.status, replay.body)
    except Exception as exc:
        voices.discard_pending(services, row, "voice clone failed")
        if not isinstance(exc, (BadRequest, ModelUnavailable, JobError, ModelError)):
            log.exception("voice clone %s failed", clone.voice_id)
        services.outcomes.post(clone.voice_id, error=exc)
        return
    services.outcomes.post(clone.voice_id, answer)


def recover(services: Services) -> None:
    """At startup: clones queued or running when the server stopped are refunded (their clients
    are gone), and their stale tasks dropped."""
    services.queues.clone.flush()
    refunded = voices.recover_pending(services)
    if refunded:
        log.info("refunded %d voice clones interrupted by a restart", refunded)


@contextmanager
def _key_claimed(user_id: str, key: str | None) -> Iterator[None]:
    """A second request with the same key while the first still runs is refused, not run twice."""
    if key is None:
        yield
        return
    with _in_flight_lock:
        if (user_id, key) in _in_flight:
            raise Conflict("Idempotency-Key: a request with this key is still running; retry when it ends")
        _in_flight.add((user_id, key))
    try:
        yield
    finally:
        with _in_flight_lock:
            _in_flight.discard((user_id, key))


def _build(services: Services, clone: PendingClone) -> Answer:
    voice_id, user_id, name = clone.voice_id, clone.user_id, clone.name
    scratch = services.settings.data_dir / "scratch" / voice_id
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        source = _fetch(services, user_id, clone.sample_url, scratch / "inputs")
        sample = _prepare(source, scratch / CLIP_NAME)
        transcript = _transcribe(services, sample.path, scratch)
        if not transcript.text.strip():
            raise BadRequest(f"{FIELD}: no speech was found in the sample")
        conditionals = _conditionals(services, sample.path, scratch)
        prefix = voices.clip_prefix(user_id, voice_id)
        clip_key = prefix + CLIP_NAME
        services.storage.put_file(clip_key, sample.path, "audio/wav")
        if conditionals is not None:
            services.storage.put_file(prefix + voices.CONDITIONALS_NAME, conditionals[0], "application/octet-stream")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    def finish() -> tuple[int, dict[str, Any]]:
        if not voices_db.mark_ready(
            services.db,
            voice_id,
            clip_key=clip_key,
            transcript=transcript.text,
            embedding=None,
            embedding_kind=conditionals and conditionals[1],
            language=transcript.language,
            duration=sample.seconds,
            sample_rate=sample.sample_rate,
        ):
            raise JobError("the voice was removed while it was being cloned")
        return 201, {
            "voiceId": voice_id,
            "message": MESSAGE,
            "data": {
                "voiceId": voice_id,
                "name": name,
                "language": transcript.language,
                "durationSeconds": sample.seconds,
                "creditsCharged": services.settings.credit_costs[FEATURE],
            },
        }

    status, body, replayed = idempotency.run_once(
        services.db, user_id, clone.idempotency_key, clone.request_hash, finish
    )
    if replayed:  # the same request finished first: this copy is undone by the caller
        raise _Replayed(status, body)
    return status, body


class _Replayed(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__("replayed")
        self.status, self.body = status, body


def _fetch(services: Services, user_id: str, url: str, dest: Path) -> Path:
    try:
        return inputs.fetch_input(services, user_id, url, FIELD, inputs.expected_types(FIELD), dest)
    except JobError as exc:
        raise BadRequest(str(exc)) from None


def _prepare(source: Path, dest: Path) -> Any:
    from apexlocal.engines.voice.sample import prepare_sample

    try:
        sample = prepare_sample(source, dest)
    except JobError as exc:
        raise BadRequest(f"{FIELD}: {exc}") from None
    if not MIN_SECONDS <= sample.seconds <= MAX_SECONDS:
        raise BadRequest(length_message(sample.seconds, sample.raw_seconds))
    return sample


def length_message(seconds: float, raw_seconds: float) -> str:
    message = f"{FIELD}: must be {MIN_SECONDS:g}-{MAX_SECONDS:g} s of audio, got {seconds:.1f} s"
    if raw_seconds - seconds >= 0.5:
        message += f" of speech (the file lasts {raw_seconds:.1f} s; silence around the speech is not counted)"
    return message


def _engine_context(services: Services, scratch: Path) -> Any:
    from apexlocal.jobs.runner import engine_context

    return engine_context(services, scratch.name, scratch)


def _conditionals(services: Services, clip: Path, scratch: Path) -> tuple[Path, str] | None:
    """The installed cloning model's own conditionals of the clip, as a file and its kind; None
    where no cloning model is installed (a clone downloads none), its engine keeps none, or it
    cannot load: jobs then compute them from the clip."""
    from apexlocal.engines.registry import get_engine
    from apexlocal.products.voice import voice_models

    entry = next((m for m in voice_models.cloning_models(services) if services.models.is_installed(m)), None)
    save = getattr(get_engine(entry.engine), "save_conditionals", None) if entry is not None else None
    if entry is None or save is None:
        return None
    dest = scratch / voices.CONDITIONALS_NAME
    try:
        return dest, save(entry, _engine_context(services, scratch), clip, dest)
    except ModelError as exc:
        log.warning("voice clone: %s could not condition on the sample, so jobs will: %s", entry.id, exc)
        return None


def _transcribe(services: Services, path: Path, scratch: Path) -> Any:
    from apexlocal.engines.registry import get_engine
    from apexlocal.engines.speech_to_text.whisper import transcribe_with

    entry = services.manifest.default_for("speech-to-text")
    ctx = _engine_context(services, scratch)
    try:
        model = get_engine(entry.engine).load(entry, ctx)  # type: ignore[attr-defined]
    except ModelError as exc:
        raise ModelUnavailable(
            f"{FIELD}: samples are transcribed by {entry.id}, which is not available: {exc}"
        ) from None
    try:
        return transcribe_with(model, path)
    except JobError as exc:
        raise BadRequest(f"{FIELD}: {exc}") from None
