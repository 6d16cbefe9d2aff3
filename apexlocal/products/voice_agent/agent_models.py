"""The models an agent's calls use: `ttsModel` picks the voice model (a stock voice model of the
catalogue, or the voice-cloning model when `voiceId` is one of the owner's cloned voices) and
`llmModel` the writer. Checked when an agent is created or changed (400 naming the field and the
values this server accepts), and resolved again when a call starts (a model removed since fails
the call, uncharged)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apexlocal.db import voices as voices_db
from apexlocal.errors import BadRequest, JobError
from apexlocal.jobs.services import Services
from apexlocal.models.manifest import ModelEntry
from apexlocal.products.voice import voice_models, voices

WRITER_TASK = "writer"


@dataclass(frozen=True)
class AgentVoice:
    entry: ModelEntry  # the model that speaks the call
    requested: str  # ttsModel as given: an alias picks its own default voice (elevenlabs-v3: af_bella)
    voice_id: str | None
    cloned: dict[str, Any] | None  # voices.cloned_spec of the cloned voice, None for a stock voice

    def spec(self, language: str | None) -> dict[str, Any]:
        """The voice engine's spec for the call's synthesizer."""
        spec: dict[str, Any] = {
            "text": ".",
            "voiceId": self.voice_id,
            "speed": 1.0,
            "language": language,
            "model": self.requested,
        }
        if self.cloned is not None:
            spec["clonedVoice"] = dict(self.cloned)
        return spec


def servable(services: Services, entry: ModelEntry) -> bool:
    """Installed, or one this server may install and run (the tiny set runs only models with a stand-in)."""
    store = services.models
    if store.is_installed(entry):
        return True
    tiny = services.settings.model_set == "tiny"
    return store.may_auto_pull(entry) and not (tiny and entry.tiny is None)


def names_for(services: Services, task: str) -> list[str]:
    """The ids and aliases of the servable models of a task."""
    entries = [m for m in services.manifest.model if task in m.tasks and servable(services, m)]
    return [m.id for m in entries] + [a for m in entries for a in m.aliases]


def agent_voice(services: Services, user_id: str, tts_model: str, voice_id: str | None, language: str) -> AgentVoice:
    cloned = _owned_clone(services, user_id, voice_id)
    task = voice_models.CLONE_TASK if cloned is not None else voice_models.TASK
    entry = services.manifest.resolve(tts_model, task)
    if entry is None or not servable(services, entry):
        rule = (
            "cannot speak a cloned voiceId; use a voice-cloning model:"
            if cloned
            else ("is not a voice model of this server; use one of")
        )
        raise BadRequest(f"ttsModel: {tts_model!r} {rule} {', '.join(names_for(services, task)) or '(none installed)'}")
    voice_models.check_language(services, entry, language, suggest=False)
    if cloned is None and voice_id is not None:
        known = voice_models.stock_voices(services, entry)
        if voice_id not in known:
            raise BadRequest(
                f"voiceId: {voice_id!r} is not a voice of {entry.id} (ttsModel {tts_model}); "
                "GET /api/voices lists the voices of each model"
            )
    return AgentVoice(entry, tts_model, voice_id, voices.cloned_spec(cloned) if cloned else None)


def _owned_clone(services: Services, user_id: str, voice_id: str | None) -> dict[str, Any] | None:
    if voice_id is None:
        return None
    row = voices_db.get(services.db, voice_id)
    if row is None:
        return None
    if row["user_id"] != user_id or row["status"] != "ready":
        raise BadRequest(f"voiceId: {voice_id!r} is not one of your voices (GET /api/voices lists them)")
    return row


def check_writer(services: Services, llm_model: str) -> None:
    """Any name when an external endpoint writes (it is sent there); a servable writer model otherwise."""
    if services.settings.writer_base_url:
        return
    entry = services.manifest.resolve(llm_model, WRITER_TASK)
    if entry is None or not servable(services, entry):
        raise BadRequest(
            f"llmModel: {llm_model!r} is not a writer model of this server; use one of "
            f"{', '.join(names_for(services, WRITER_TASK)) or '(none installed)'}"
        )


def attach_clip(services: Services, user_id: str, voice: AgentVoice, spec: dict[str, Any], scratch: Path) -> None:
    """Copies a cloned voice's clip (and stored conditionals) into the call's scratch dir."""
    if voice.cloned is None:
        return
    try:
        voices.attach_cloned_voice(services, {"user_id": user_id}, spec, scratch)
    except JobError:
        raise JobError("voiceId: the agent's cloned voice was deleted") from None
