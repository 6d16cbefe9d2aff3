"""Rows of `calls`: voice agent calls, each owned by one user. A call is inserted `queued`, moves
through `ringing` and `active`, and ends once (completed, failed, no-answer, busy, canceled): an
ending never overwrites another. `alive_at` is refreshed while a call runs, so a call left open by
a crash is ended at the next start with the time it had."""

from __future__ import annotations

import json
from typing import Any

from apexlocal.db.database import Database
from apexlocal.timestamps import utcnow

OPEN = ("queued", "ringing", "active")


def insert(db: Database, call_id: str, user_id: str, agent_id: str, channel: str, phone_number: str | None) -> None:
    now = utcnow()
    with db.write():
        db.conn.execute(
            "INSERT INTO calls (id, user_id, agent_id, channel, phone_number, status, created_at, alive_at) "
            "VALUES (?,?,?,?,?, 'queued', ?, ?)",
            (call_id, user_id, agent_id, channel, phone_number, now, now),
        )


def get(db: Database, call_id: str) -> dict[str, Any] | None:
    return db.one("SELECT * FROM calls WHERE id = ?", (call_id,))


def get_owned(db: Database, call_id: str, user_id: str) -> dict[str, Any] | None:
    return db.one("SELECT * FROM calls WHERE id = ? AND user_id = ?", (call_id, user_id))


def list_for_user(
    db: Database,
    user_id: str,
    *,
    limit: int,
    before_seq: int | None,
    status: str | None = None,
    agent_id: str | None = None,
    channel: str | None = None,
) -> list[dict[str, Any]]:
    sql = "SELECT * FROM calls WHERE user_id = ?"
    params: list[Any] = [user_id]
    for column, value in (("status", status), ("agent_id", agent_id), ("channel", channel)):
        if value is not None:
            sql += f" AND {column} = ?"
            params.append(value)
    if before_seq is not None:
        sql += " AND seq < ?"
        params.append(before_seq)
    return db.all(sql + " ORDER BY seq DESC LIMIT ?", (*params, limit))


def count_open(db: Database) -> int:
    return int(db.value("SELECT count(*) FROM calls WHERE status IN ('queued', 'ringing', 'active')"))


def open_calls(db: Database) -> list[dict[str, Any]]:
    return db.all("SELECT * FROM calls WHERE status IN ('queued', 'ringing', 'active') ORDER BY seq")


def set_status(db: Database, call_id: str, status: str) -> bool:
    """ringing or active, only while the call is open; answered_at is set when it becomes active."""
    answered = ", answered_at = ?" if status == "active" else ""
    params: tuple[Any, ...] = (status, utcnow(), *((utcnow(),) if answered else ()), call_id)
    with db.write():
        return bool(
            db.conn.execute(
                f"UPDATE calls SET status = ?, alive_at = ?{answered} WHERE id = ? "
                "AND status IN ('queued', 'ringing', 'active')",
                params,
            ).rowcount
        )


def record_progress(db: Database, call_id: str, transcript: list[dict[str, Any]], duration: float) -> None:
    with db.write():
        db.conn.execute(
            "UPDATE calls SET transcript = ?, duration_seconds = ?, alive_at = ? WHERE id = ? "
            "AND status IN ('queued', 'ringing', 'active')",
            (json.dumps(transcript), round(duration, 3), utcnow(), call_id),
        )


def add_minute(db: Database, call_id: str, minutes: int) -> None:
    """Called inside the transaction that debits the minute."""
    db.conn.execute("UPDATE calls SET minutes_charged = ? WHERE id = ?", (minutes, call_id))


def finish(
    db: Database,
    call_id: str,
    status: str,
    *,
    error: str | None,
    ended_by: str | None,
    duration: float | None,
    transcript: list[dict[str, Any]] | None = None,
    recording_key: str | None = None,
) -> bool:
    """The call's one ending; False when it had already ended."""
    sets = "status = ?, error = ?, ended_by = ?, ended_at = ?, duration_seconds = coalesce(?, duration_seconds)"
    params: list[Any] = [status, error, ended_by, utcnow(), None if duration is None else round(duration, 3)]
    if transcript is not None:
        sets += ", transcript = ?"
        params.append(json.dumps(transcript))
    if recording_key is not None:
        sets += ", recording_key = ?"
        params.append(recording_key)
    with db.write():
        return bool(
            db.conn.execute(
                f"UPDATE calls SET {sets} WHERE id = ? AND status IN ('queued', 'ringing', 'active')",
                (*params, call_id),
            ).rowcount
        )


def credits_charged(db: Database, call_ids: list[str]) -> dict[str, int]:
    """Credits debited per call: its minutes are ledger debits keyed `CALL_ID:MINUTE`."""
    out: dict[str, int] = {}
    for call_id in call_ids:
        out[call_id] = -int(
            db.value(
                "SELECT coalesce(sum(amount), 0) FROM ledger WHERE kind = 'debit' AND job_id LIKE ? ESCAPE '\\'",
                (call_id.replace("%", "\\%").replace("_", "\\_") + ":%",),
            )
        )
    return out
