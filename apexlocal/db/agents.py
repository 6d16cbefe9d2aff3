"""Rows of `agents`: voice agents, each owned by one user. A row is read and changed only with its
owner's id, so another user's agent is never found."""

from __future__ import annotations

from typing import Any

from apexlocal.db.database import Database
from apexlocal.timestamps import utcnow

# Wire name -> column, for the fields a PATCH may change.
COLUMNS = {
    "name": "name",
    "systemPrompt": "system_prompt",
    "greeting": "greeting",
    "ttsModel": "tts_model",
    "llmModel": "llm_model",
    "voiceId": "voice_id",
    "language": "language",
    "maxCallSeconds": "max_call_seconds",
    "endCallPhrase": "end_call_phrase",
}


def insert(db: Database, agent_id: str, user_id: str, fields: dict[str, Any]) -> None:
    now = utcnow()
    names = [COLUMNS[k] for k in fields]
    with db.write():
        db.conn.execute(
            f"INSERT INTO agents (id, user_id, {', '.join(names)}, created_at, updated_at) "
            f"VALUES (?, ?, {', '.join('?' for _ in names)}, ?, ?)",
            (agent_id, user_id, *fields.values(), now, now),
        )


def get_owned(db: Database, agent_id: str, user_id: str) -> dict[str, Any] | None:
    return db.one("SELECT * FROM agents WHERE id = ? AND user_id = ?", (agent_id, user_id))


def list_owned(db: Database, user_id: str) -> list[dict[str, Any]]:
    return db.all("SELECT * FROM agents WHERE user_id = ? ORDER BY seq DESC", (user_id,))


def update_owned(db: Database, agent_id: str, user_id: str, fields: dict[str, Any]) -> bool:
    sets = ", ".join(f"{COLUMNS[k]} = ?" for k in fields)
    with db.write():
        return bool(
            db.conn.execute(
                f"UPDATE agents SET {sets + ', ' if sets else ''}updated_at = ? WHERE id = ? AND user_id = ?",
                (*fields.values(), utcnow(), agent_id, user_id),
            ).rowcount
        )


def delete_owned(db: Database, agent_id: str, user_id: str) -> bool:
    with db.write():
        return bool(db.conn.execute("DELETE FROM agents WHERE id = ? AND user_id = ?", (agent_id, user_id)).rowcount)
