"""GET /api/voices/{voice_id}/preview: a few seconds of a voice, to hear it before choosing it.

Free, and made once. A stock voice speaks one short sentence (in the voice's language where the
table below has one) the first time anyone asks for it; the WAV is kept in storage under
`voice-previews/`, shared by every user, and each later request gets a fresh signed URL of it. No
credits are charged and no job is recorded: a preview is the same few seconds for everyone, so the
server pays for it once per voice and model. It is spoken by a task of the `clone` queue, beside the
job queue, while the request awaits it holding no thread; one preview is spoken at a time. A voice
whose model is not installed is refused (400 MODEL_UNAVAILABLE) rather than pulling a model for a
preview. A cloned voice's preview is its own stored sample, for its owner only. The answer: {"data":
{"voiceId", "type", "model", "text", "url", "contentType", "cached"}}.
"""

from __future__ import annotations

import hashlib
import shutil
import threading
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any

from anyio import to_thread
from litestar import Request, Response, get
from litestar.params import FromPath, QueryParameter
from msgspec import Struct

from apexlocal.accounts.users import User
from apexlocal.api.guards import current_user
from apexlocal.db import voices as voices_db
from apexlocal.errors import BadRequest, JobError, ModelError, ModelUnavailable, NotFound
from apexlocal.jobs.runner import engine_context
from apexlocal.jobs.services import Services
from apexlocal.models.manifest import ModelEntry
from apexlocal.products.voice import voice_models

PREFIX = "voice-previews"
CONTENT_TYPE = "audio/wav"
# Short on purpose: a preview is heard, not read. Keyed by the language's primary subtag.
SENTENCES = {
    "en": "Hello! This is how I sound when I read your script.",
    "de": "Hallo! So klingt meine Stimme, wenn ich Ihren Text lese.",
    "es": "¡Hola! Así suena mi voz cuando leo tu texto.",
    "fr": "Bonjour ! Voici ma voix quand je lis votre texte.",
    "hi": "नमस्ते! यह मेरी आवाज़ है। मैं आपका पाठ पढ़ कर सुनाऊँ?",
    "it": "Ciao! Ecco la mia voce mentre leggo il tuo testo.",
    "ja": "こんにちは。これが、あなたの原稿を読むときの私の声です。",
    "pt": "Olá! É assim que a minha voz soa quando leio o seu texto.",
    "zh": "你好！这就是我朗读你的稿子时的声音。",
}

TASK = "speak_preview"
_speaking = threading.Lock()


class VoicePreview(Struct, rename="camel"):
    voice_id: str
    type: str  # "stock" or "cloned"
    model: str | None  # the model that spoke a stock voice's preview
    text: str | None  # what the preview says
    url: str  # a signed URL of the audio
    content_type: str
    cached: bool  # false only for the request that had it spoken


class VoicePreviewOut(Struct):
    data: VoicePreview


@dataclass(frozen=True)
class Unspoken:
    """A stock voice's preview that is not in storage yet: the task's arguments."""

    model_id: str
    voice: str
    language: str | None
    text: str
    key: str


def sentence_for(language: str | None) -> str:
    return SENTENCES.get((language or "en").split("-")[0].lower(), SENTENCES["en"])


def preview_key(services: Services, entry: ModelEntry, voice: str, text: str) -> str:
    """Where a stock voice's preview is kept: per model set, model, revision, voice and sentence."""
    revision = getattr(entry.source, "revision", None) or ""
    digest = hashlib.sha256(f"{revision}\n{voice}\n{text}".encode()).hexdigest()[:16]
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in voice)
    return f"{PREFIX}/{services.settings.model_set}/{entry.id}/{safe}-{digest}.wav"


def _stock_model(services: Services, voice: str, model: str | None) -> ModelEntry:
    """The voice model that has this stock voice: the one asked for, else an installed one first."""
    if model is not None:
        entry = services.manifest.resolve(model, voice_models.TASK)
        if entry is None or voice_models.TASK not in entry.tasks:
            raise BadRequest(f"model: must be one of {', '.join(services.manifest.names_for(voice_models.TASK))}")
        candidates = [entry]
    else:
        candidates = sorted(voice_models.voice_models(services), key=lambda m: not services.models.is_installed(m))
    for entry in candidates:
        if voice in voice_models.stock_voices(services, entry):
            return entry
    raise NotFound("Voice not found" + (f" in {candidates[0].id}" if model is not None else ""))


def _speak(services: Services, entry: ModelEntry, voice: str, language: str | None, text: str, scratch: Path) -> Path:
    """The voice engine, run here (not as a job: nobody is charged) into a WAV in `scratch`."""
    from apexlocal.engines.registry import get_engine

    ctx = engine_context(services, scratch.name, scratch)
    spec = {"text": text, "voiceId": voice, "speed": 1.0, "language": language, "model": entry.id}
    try:
        output = get_engine(entry.engine).run(spec, entry, ctx)
    except ModelError as exc:
        raise ModelUnavailable(f"model: {entry.id} cannot speak a preview now: {exc}") from None
    except JobError as exc:
        raise BadRequest(f"voiceId: no preview of {voice}: {exc}") from None
    return output.files[0].path


def stock_preview(services: Services, voice: str, model: str | None, base_url: str) -> VoicePreview | Unspoken:
    """The preview's answer when it is kept already, else what the `clone` queue must speak."""
    entry = _stock_model(services, voice, model)
    if not services.models.is_installed(entry):
        raise ModelUnavailable(
            f"model: {entry.id} is not installed, so its voices have no preview yet; "
            f"install it with: apexlocal models pull {entry.id}"
        )
    language, _ = voice_models.voice_details(entry, voice, voice_models.languages_of(entry))
    text = sentence_for(language)
    key = preview_key(services, entry, voice, text)
    if not services.storage.exists(key):
        return Unspoken(entry.id, voice, language, text, key)
    return stock_answer(services, Unspoken(entry.id, voice, language, text, key), base_url, cached=True)


def stock_answer(services: Services, preview: Unspoken, base_url: str, *, cached: bool) -> VoicePreview:
    url = services.storage.signed_url(preview.key, base_url, services.settings.url_ttl_seconds)
    return VoicePreview(
        voice_id=preview.voice,
        type="stock",
        model=preview.model_id,
        text=preview.text,
        url=url,
        content_type=CONTENT_TYPE,
        cached=cached,
    )


def install(services: Services) -> None:
    services.tasks[TASK] = services.queues.task(
        "clone", TASK, lambda token, preview: speak_preview(services, token, Unspoken(**preview))
    )


def speak_preview(services: Services, token: str, preview: Unspoken) -> None:
    """The `clone` queue's task: speaks the preview into storage (unless another request's task did
    meanwhile) and tells the waiting request whether it was spoken now."""
    try:
        with _speaking:
            spoken = not services.storage.exists(preview.key)
            if spoken:
                _speak_into_storage(services, preview)
    except Exception as exc:
        services.outcomes.post(token, error=exc)
        return
    services.outcomes.post(token, spoken)


def _speak_into_storage(services: Services, preview: Unspoken) -> None:
    entry = services.manifest.by_id()[preview.model_id]
    scratch = services.settings.data_dir / "scratch" / f"preview-{uuid.uuid4().hex}"
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        path = _speak(services, entry, preview.voice, preview.language, preview.text, scratch)
        services.storage.put_file(preview.key, path, CONTENT_TYPE)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def cloned_preview(services: Services, row: dict[str, Any], base_url: str) -> VoicePreview:
    return VoicePreview(
        voice_id=row["id"],
        type="cloned",
        model=None,
        text=row["transcript"],
        url=services.storage.signed_url(row["clip_key"], base_url, services.settings.url_ttl_seconds),
        content_type=CONTENT_TYPE,
        cached=True,
    )


def voice_preview(
    services: Services, user: User, voice: str, model: str | None, base_url: str
) -> VoicePreview | Unspoken:
    row = voices_db.get(services.db, voice)
    if row is not None:  # a cloned voice id: its owner hears its sample; anyone else, nothing
        owned = voices_db.get_ready_owned(services.db, voice, user.id)
        if owned is None:
            raise NotFound("Voice not found")
        return cloned_preview(services, owned, base_url)
    return stock_preview(services, voice, model, base_url)


@get(
    "/voices/{voice_id:str}/preview",
    summary="Preview Voice",
    tags=["voices"],
    description="A few seconds of the voice speaking, to hear it before choosing it: a signed URL of a WAV "
    "file. Free. A stock voice's preview is spoken once, the first time it is asked for, and kept; "
    "a cloned voice's is its own sample. `model` picks the model when several have the voice. "
    "400 MODEL_UNAVAILABLE while the voice's model is not installed.",
)
async def preview_voice(
    request: Request[Any, Any, Any],
    voice_id: FromPath[str],
    model: Annotated[str | None, QueryParameter(max_length=100)] = None,
) -> Response[VoicePreviewOut]:
    services: Services = request.app.state.services
    base_url = str(request.base_url).rstrip("/")
    found = await to_thread.run_sync(voice_preview, services, current_user(request), voice_id, model, base_url)
    if isinstance(found, Unspoken):
        token = uuid.uuid4().hex
        outcome = services.outcomes.expect(token)
        services.tasks[TASK](token, asdict(found))
        try:
            spoken = await outcome
        finally:
            services.outcomes.forget(token)
        found = stock_answer(services, found, base_url, cached=not spoken)
    return Response(VoicePreviewOut(found))


routes = [preview_voice]
