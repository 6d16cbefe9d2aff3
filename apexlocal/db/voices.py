"""Rows of `voices`: cloned voices, each owned by one user.

A row is `pending` from the moment its clone is charged until the clip and transcript (and, where
the cloning model made them, its conditionals of the clip, whose kind `embedding_kind` names) are
stored, then `ready`; only ready voices are listed or usable. `embedding` is no longer written.
"""

from __future__ import annotations

from typing import Any

from apexlocal.db.database import Database
from apexlocal.timestamps import utcnow


def insert_pending(db: Database, voice_id: str, user_id: str, name: str, cost: int) -> None:
    db.conn.execute(
        "INSERT INTO voices (id, user_id, name, status, credits_charged, created_at) VALUES (?,?,?,'pending',?,?)",
        (voice_id, user_id, name, cost, utcnow()),
    )


def mark_ready(
    db: Database,
    voice_id: str,
    *,
    clip_key: str,
    transcript: str,
    embedding: bytes | None,
    embedding_kind: str | None,
    language: str,
    duration: float,
    sample_rate: int,
) -> bool:
    return bool(
        db.conn.execute(
            "UPDATE voices SET status = 'ready', clip_key = ?, transcript = ?, embedding = ?, embedding_kind = ?, "
            "language = ?, duration = ?, sample_rate = ?, created_at = ? WHERE id = ? AND status = 'pending'",
            (clip_key, transcript, embedding, embedding_kind, language, duration, sample_rate, utcnow(), voice_id),
        ).rowcount
    )


def delete(db: Database, voice_id: str) -> bool:
    return bool(db.conn.execute("DELETE FROM voices WHERE id = ?", (voice_id,)).rowcount)


def get(db: Database, voice_id: str) -> dict[str, Any] | None:
    return db.one("SELECT * FROM voices WHERE id = ?", (voice_id,))


def get_ready_owned(db: Database, voice_id: str, user_id: str) -> dict[str, Any] | None:
    return db.one("SELECT * FROM voices WHERE id = ? AND user_id = ? AND status = 'ready'", (voice_id, user_id))


def list_ready(db: Database, user_id: str) -> list[dict[str, Any]]:
    return db.all("SELECT * FROM voices WHERE user_id = ? AND status = 'ready' ORDER BY seq DESC", (user_id,))


def pending(db: Database) -> list[dict[str, Any]]:
    return db.all("SELECT * FROM voices WHERE status = 'pending' ORDER BY seq")
