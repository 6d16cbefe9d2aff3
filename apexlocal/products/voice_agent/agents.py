"""Agents: created, read, changed and deleted by their owner only (another user's id is 404)."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from apexlocal.accounts.users import User
from apexlocal.db import agents as agents_db
from apexlocal.errors import NotFound
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


def _check_models(services: Services, user: User, agent: dict[str, Any]) -> None:
    """The agent as it will be (wire names): its models resolve on this server, else 400."""
    from apexlocal.products.voice_agent import agent_models

    agent_models.agent_voice(services, user.id, agent["ttsModel"], agent.get("voiceId"), agent.get("language") or "en")
    agent_models.check_writer(services, agent["llmModel"])


def create(services: Services, user: User, data: AgentCreate) -> Agent:
    _check_models(services, user, msgspec.to_builtins(data))
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
    row = agents_db.get_owned(services.db, agent_id, user.id)
    if row is None:
        raise NotFound(NOT_FOUND)
    if fields.keys() & {"ttsModel", "llmModel", "voiceId", "language"}:
        _check_models(services, user, {**msgspec.to_builtins(view(row)), **fields})
    if not agents_db.update_owned(services.db, agent_id, user.id, fields):
        raise NotFound(NOT_FOUND)
    return one(services, user, agent_id)


def delete(services: Services, user: User, agent_id: str) -> None:
    if not agents_db.delete_owned(services.db, agent_id, user.id):
        raise NotFound(NOT_FOUND)
