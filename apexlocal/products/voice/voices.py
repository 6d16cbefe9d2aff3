"""Voices a user can speak with: the stock voices of the voice models, and their own cloned voices.

A cloned voice reaches a voice job through its spec, as `clonedVoice`:

    {"voiceId", "clipKey", "transcript", "language", "durationSeconds", "sampleRate", "clipPath",
     "conditionalsPath"}

`clipPath` is added when the job starts (`attach_cloned_voice`): the clip copied from storage into
the job's scratch dir, so an engine never reads storage itself; `conditionalsPath` likewise, the
cloning model's own conditionals of the clip where the clone stored them (`embedding_kind` names
their kind), which the engine reads instead of computing them from the clip. Only a model that declares the
`voice-clone` task is handed a cloned voice (the job stays of type `voice`); where the manifest
has none, a job with a cloned voiceId is refused at submit time, never spoken with a stock voice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from apexlocal.accounts import credits
from apexlocal.accounts.users import User
from apexlocal.db import voices as voices_db
from apexlocal.errors import BadRequest, JobError, ModelUnavailable, NotFound
from apexlocal.jobs.services import Services
from apexlocal.models.manifest import ModelEntry
from apexlocal.products.voice import voice_models

CONDITIONALS_NAME = "conditionals.pt"  # beside the clip, when the clone stored the model's conditionals
NO_CLONING_MODEL = "voiceId: cloned voices need a voice-cloning model, which is not installed"


def clip_prefix(user_id: str, voice_id: str) -> str:
    return f"voices/{user_id}/{voice_id}/"


# Cloned voices in voice jobs -----------------------------------------------------------------------


def owned_clone(services: Services, user: User, voice_id: str | None) -> dict[str, Any] | None:
    """The caller's ready cloned voice of that id; None when the id is not a cloned voice at all.
    Another user's cloned voice is refused as if it did not exist."""
    if voice_id is None:
        return None
    row = voices_db.get(services.db, voice_id)
    if row is None:
        return None
    if row["user_id"] != user.id or row["status"] != "ready":
        raise BadRequest(f"voiceId: {voice_id!r} is not one of your voices (GET /api/voices lists them)")
    return row


def cloning_model(services: Services, requested: str | None) -> ModelEntry:
    """The model that speaks cloned voices: the one asked for, if it can, else the first installed
    (or installable) one. 400 MODEL_UNAVAILABLE when there is none."""
    models = voice_models.cloning_models(services)
    if not models:
        raise ModelUnavailable(NO_CLONING_MODEL)
    if requested is not None:
        entry = services.manifest.resolve(requested)
        if entry is not None and entry not in models:
            raise BadRequest(
                f"model: {entry.id} cannot speak cloned voices; use "
                f"{' or '.join(m.id for m in models)}, or leave model out"
            )
        return entry or models[0]
    return next((m for m in models if services.models.is_installed(m)), models[0])


def cloned_spec(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "voiceId": row["id"],
        "clipKey": row["clip_key"],
        "transcript": row["transcript"],
        "language": row["language"],
        "durationSeconds": row["duration"],
        "sampleRate": row["sample_rate"],
    }


def attach_cloned_voice(services: Services, job: dict[str, Any], spec: dict[str, Any], scratch: Path) -> None:
    """Copies the cloned voice's clip into the job's scratch dir (`clipPath`); the voice must
    still exist and belong to the job's owner."""
    cloned = spec.get("clonedVoice")
    if not isinstance(cloned, dict):
        return
    row = voices_db.get_ready_owned(services.db, str(cloned.get("voiceId")), job["user_id"])
    if row is None:
        raise JobError("voiceId: the cloned voice was deleted")
    dest = scratch / "cloned-voice.wav"
    services.storage.read_to(row["clip_key"], dest)
    cloned["clipPath"] = str(dest)
    if row["embedding_kind"]:  # the cloning model's own conditionals, stored beside the clip
        stored = scratch / "cloned-voice-conditionals.pt"
        services.storage.read_to(clip_prefix(row["user_id"], row["id"]) + CONDITIONALS_NAME, stored)
        cloned["conditionalsPath"] = str(stored)


# Listing and deleting ---------------------------------------------------------------------------------


def stock_voice_views(services: Services) -> list[dict[str, Any]]:
    out = []
    for entry in voice_models.voice_models(services):
        if voice_models.CLONE_TASK in entry.tasks and not entry.defaults.get("voices"):
            continue  # a cloning model without stock voices of its own
        if not voice_models.available(services, entry):
            continue
        installed = services.models.is_installed(entry)
        languages = voice_models.languages_of(entry)
        for voice in voice_models.stock_voices(services, entry):
            language, gender = voice_models.voice_details(entry, voice, languages)
            out.append(
                {
                    "voiceId": voice,
                    "name": voice,
                    "type": "stock",
                    "model": entry.id,
                    "modelAliases": list(entry.aliases),
                    "language": language,
                    "gender": gender,
                    "installed": installed,
                }
            )
    return out


def cloned_voice_view(services: Services, row: dict[str, Any], base_url: str, model: str | None) -> dict[str, Any]:
    ttl = services.settings.url_ttl_seconds
    return {
        "voiceId": row["id"],
        "name": row["name"],
        "type": "cloned",
        "model": model,
        "language": row["language"],
        "gender": None,
        "durationSeconds": row["duration"],
        "transcript": row["transcript"],
        "sampleUrl": services.storage.signed_url(row["clip_key"], base_url, ttl),
        "usable": model is not None,
        "createdAt": row["created_at"],
    }


def list_voices(services: Services, user: User, base_url: str, kind: str | None = None) -> list[dict[str, Any]]:
    cloning = voice_models.cloning_models(services)
    model = next((m.id for m in cloning if voice_models.available(services, m)), None)
    cloned = [cloned_voice_view(services, r, base_url, model) for r in voices_db.list_ready(services.db, user.id)]
    stock = stock_voice_views(services) if kind != "cloned" else []
    return (cloned if kind != "stock" else []) + stock


def delete_voice(services: Services, user: User, voice_id: str) -> None:
    row = voices_db.get_ready_owned(services.db, voice_id, user.id)
    if row is None:
        raise NotFound("Voice not found")
    with services.db.write():
        voices_db.delete(services.db, voice_id)
    services.storage.delete_prefix(clip_prefix(user.id, voice_id))


# Recovery -----------------------------------------------------------------------------------------


def discard_pending(services: Services, row: dict[str, Any], note: str) -> None:
    """Removes a clone that did not finish, with its clip, and refunds it (once)."""
    with services.db.write():
        voices_db.delete(services.db, row["id"])
        credits.refund_job(services.db, row["user_id"], row["id"], row["credits_charged"], note)
    services.storage.delete_prefix(clip_prefix(row["user_id"], row["id"]))


def recover_pending(services: Services) -> int:
    """At startup: clones interrupted by a restart are removed and refunded."""
    rows = voices_db.pending(services.db)
    for row in rows:
        discard_pending(services, row, "voice clone interrupted")
    return len(rows)
