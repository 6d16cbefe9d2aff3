"""A translate job's spec, as the translate product wrote it at submit (camelCase): the request's
fields and the models decided for it there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apexlocal.errors import JobError, ModelError
from apexlocal.models.manifest import Manifest, ModelEntry


@dataclass(frozen=True)
class TranslateJob:
    video_url: str
    language: str  # ISO 639-1 target
    preserve_voice: bool
    speech_model: ModelEntry
    translation_models: tuple[ModelEntry, ...]  # usable ones; the engine picks by the heard language
    voice: tuple[ModelEntry, str] | None  # stock voice (model, voiceId); None with preserve_voice
    clone_model: ModelEntry | None  # with preserve_voice


def _model(manifest: Manifest, model_id: Any, field: str) -> ModelEntry:
    entry = manifest.by_id().get(model_id) if isinstance(model_id, str) else None
    if entry is None:
        raise ModelError(f"{field}: {model_id!r} is not in models_manifest.toml")
    return entry


def parse_request(spec: dict[str, Any], manifest: Manifest) -> TranslateJob:
    url = spec.get("videoUrl")
    if not isinstance(url, str) or not url:
        raise JobError("videoUrl: must be a video URL")
    language = spec.get("outputLanguage")
    if not isinstance(language, str) or len(language) != 2 or not language.isalpha():
        raise JobError("outputLanguage: must be a two-letter ISO 639-1 language code such as es")
    preserve = spec.get("preserveOriginalVoice", False)
    if not isinstance(preserve, bool):
        raise JobError("preserveOriginalVoice: must be true or false")
    translators = spec.get("translationModels") or []
    if not isinstance(translators, list):
        raise JobError("translationModels: must be a list of model ids")
    voice = clone = None
    if preserve:
        clone = _model(manifest, spec.get("cloneModel"), "cloneModel")
    else:
        voice_id = spec.get("voiceId")
        if not isinstance(voice_id, str) or not voice_id:
            raise JobError("voiceId: must name a stock voice")
        voice = (_model(manifest, spec.get("voiceModel"), "voiceModel"), voice_id)
    return TranslateJob(
        video_url=url,
        language=language.lower(),
        preserve_voice=preserve,
        speech_model=_model(manifest, spec.get("speechModel"), "speechModel"),
        translation_models=tuple(_model(manifest, m, "translationModels") for m in translators),
        voice=voice,
        clone_model=clone,
    )
