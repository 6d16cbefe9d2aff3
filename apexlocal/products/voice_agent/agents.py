"""Agents: created, read, changed and deleted by their owner only (another user's id is 404)."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from apexlocal.accounts.users import User
from apexlocal.db import agents as agents_db
from apexlocal.errors import BadRequest, NotFound
from apexlocal.jobs.services import Services
from apexlocal.products.voice_agent.schemas import Agent, AgentCreate, AgentUpdate

NOT_FOUND = "Agent not found"


def view(row: dict[str, Any]) -> Agent:
    return Agent(
        id=row["id"],
        name=row["name"],
        system_prompt=row["system_prompt"],
        greeting=row["greeting"],
        tts_model=row["tts_model"],
        llm_model=row["llm_model"],
        voice_id=row["voice_id"],
        language=row["language"],
        max_call_seconds=row["max_call_seconds"],
        end_call_phrase=row["end_call_phrase"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _fields(data: AgentCreate | AgentUpdate) -> dict[str, Any]:
    wire = msgspec.to_builtins(data)  # camelCase names; UNSET fields are left out
    return {k: v for k, v in wire.items() if k in agents_db.COLUMNS}


def _check_voice(services: Services, user: User, voice_id: str | None) -> None:
    """A stock voice of an available voice model. Cloned voices are refused: calls speak with the
    streaming synthesizers of the stock voice models, which do not speak them yet."""
    from apexlocal.db import voices as voices_db
    from apexlocal.products.voice import voice_models

    if voice_id is None:
        return
    row = voices_db.get(services.db, voice_id)
    if row is not None and row["user_id"] == user.id:
        raise BadRequest("voiceId: cloned voices are not spoken in calls yet; use a stock voice (GET /api/voices)")
    for entry in voice_models.voice_models(services):
        if voice_models.available(services, entry) and voice_id in voice_models.stock_voices(services, entry):
            return
    raise BadRequest(
        f"voiceId: {voice_id!r} is not a stock voice of this server (GET /api/voices?type=stock lists them)"
    )


def create(services: Services, user: User, data: AgentCreate) -> Agent:
    _check_voice(services, user, data.voice_id)
    agent_id = str(uuid.uuid4())
    agents_db.insert(services.db, agent_id, user.id, _fields(data))
    return one(services, user, agent_id)


def one(services: Services, user: User, agent_id: str) -> Agent:
    row = agents_db.get_owned(services.db, agent_id, user.id)
    if row is None:
        raise NotFound(NOT_FOUND)
    return view(row)


def listed(services: Services, user: User) -> list[Agent]:
    return [view(r) for r in agents_db.list_owned(services.db, user.id)]


def update(services: Services, user: User, agent_id: str, data: AgentUpdate) -> Agent:
    fields = _fields(data)
    if fields.get("voiceId"):
        _check_voice(services, user, fields["voiceId"])
    if not agents_db.update_owned(services.db, agent_id, user.id, fields):
        raise NotFound(NOT_FOUND)
    return one(services, user, agent_id)


def delete(services: Services, user: User, agent_id: str) -> None:
    if not agents_db.delete_owned(services.db, agent_id, user.id):
        raise NotFound(NOT_FOUND)
