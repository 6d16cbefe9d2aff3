"""Rows of `webhook_deliveries` and `webhook_attempts`: the record of truth for every webhook.

A delivery is one message (one `webhook-id`, one body) and up to `max_attempts` attempts at it.
Huey only carries `(delivery id, attempt number)`; an attempt runs only when it claims its number
here, so a duplicate or stale task does nothing and no attempt is ever made twice. The claim and
the attempt's log row are written together, so an attempt cut short by a crash is still on record.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from apexlocal.db.database import Database
from apexlocal.timestamps import utcnow

INTERRUPTED = "interrupted by a server restart"


def precise_now() -> str:
    """Attempt times to the millisecond: the gaps between retries are read from them."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_precise(value: str) -> float:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()


def create(
    db: Database,
    *,
    webhook_id: str,
    user_id: str,
    job_id: str,
    event: str,
    payload: bytes,
    url: str,
    max_attempts: int,
    first_at: float,
) -> str:
    delivery_id = "whd_" + uuid.uuid4().hex
    now = utcnow()
    with db.write():
        db.conn.execute(
            "INSERT INTO webhook_deliveries (id, webhook_id, user_id, job_id, event, payload, url, status, "
            "attempts, max_attempts, next_attempt_at, created_at, updated_at) "
            "VALUES (?,?,?,?,?,?,?, 'pending', 0, ?,?,?,?)",
            (delivery_id, webhook_id, user_id, job_id, event, payload, url, max_attempts, first_at, now, now),
        )
    return delivery_id


def get(db: Database, delivery_id: str) -> dict[str, Any] | None:
    return db.one("SELECT * FROM webhook_deliveries WHERE id = ?", (delivery_id,))


def get_owned(db: Database, delivery_id: str, user_id: str) -> dict[str, Any] | None:
    return db.one("SELECT * FROM webhook_deliveries WHERE id = ? AND user_id = ?", (delivery_id, user_id))


def claim(db: Database, delivery_id: str, number: int) -> dict[str, Any] | None:
    """Takes attempt `number` of a pending delivery and logs its start; None if it is not that
    attempt's turn (already made, the delivery ended, or another task holds it)."""
    with db.write():
        row = db.conn.execute(
            "UPDATE webhook_deliveries SET attempts = ?, next_attempt_at = NULL, updated_at = ? "
            "WHERE id = ? AND status = 'pending' AND attempts = ? AND next_attempt_at IS NOT NULL "
            "RETURNING *",
            (number, utcnow(), delivery_id, number - 1),
        ).fetchone()
        if row is None:
            return None
        db.conn.execute(
            "INSERT INTO webhook_attempts (delivery_id, attempt, started_at) VALUES (?,?,?)",
            (delivery_id, number, precise_now()),
        )
    return dict(row)


def finish(
    db: Database,
    delivery_id: str,
    number: int,
    *,
    status_code: int | None,
    duration_ms: float | None,
    error: str | None,
    url: str,
    next_at: float | None,
) -> str:
    """Logs how attempt `number` went and moves the delivery on: succeeded, waiting for
    `next_at`, or failed. Returns the delivery's new status."""
    if error is None:
        status = "succeeded"
    elif next_at is not None:
        status = "pending"
    else:
        status = "failed"
    with db.write():
        db.conn.execute(
            "UPDATE webhook_attempts SET status_code = ?, duration_ms = ?, error = ? "
            "WHERE delivery_id = ? AND attempt = ?",
            (status_code, duration_ms, error, delivery_id, number),
        )
        db.conn.execute(
            "UPDATE webhook_deliveries SET status = ?, next_attempt_at = ?, url = ?, updated_at = ? "
            "WHERE id = ? AND attempts = ?",
            (status, next_at if status == "pending" else None, url, utcnow(), delivery_id, number),
        )
    return status


def reopen(db: Database, delivery_id: str, user_id: str, url: str, now: float) -> dict[str, Any] | None:
    """A finished delivery made pending again for one more attempt, due now; None when it is
    not the user's or still pending."""
    with db.write():
        row = db.conn.execute(
            "UPDATE webhook_deliveries SET status = 'pending', max_attempts = attempts + 1, "
            "next_attempt_at = ?, url = ?, updated_at = ? "
            "WHERE id = ? AND user_id = ? AND status IN ('succeeded', 'failed') RETURNING *",
            (now, url, utcnow(), delivery_id, user_id),
        ).fetchone()
    return dict(row) if row else None


def pending(db: Database) -> list[dict[str, Any]]:
    return db.all("SELECT * FROM webhook_deliveries WHERE status = 'pending' ORDER BY seq")


def last_attempt(db: Database, delivery_id: str) -> dict[str, Any] | None:
    return db.one("SELECT * FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt DESC LIMIT 1", (delivery_id,))


def list_for_user(db: Database, user_id: str, *, limit: int, before_seq: int | None) -> list[dict[str, Any]]:
    if before_seq is None:
        return db.all("SELECT * FROM webhook_deliveries WHERE user_id = ? ORDER BY seq DESC LIMIT ?", (user_id, limit))
    return db.all(
        "SELECT * FROM webhook_deliveries WHERE user_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
        (user_id, before_seq, limit),
    )


def attempts_for(db: Database, delivery_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    if not delivery_ids:
        return {}
    marks = ",".join("?" * len(delivery_ids))
    rows = db.all(
        f"SELECT * FROM webhook_attempts WHERE delivery_id IN ({marks}) ORDER BY delivery_id, attempt",
        tuple(delivery_ids),
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row["delivery_id"], []).append(row)
    return out


def view(row: dict[str, Any], attempts: list[dict[str, Any]]) -> dict[str, Any]:
    """A delivery on the wire, with every attempt made at it."""
    return {
        "id": row["id"],
        "webhookId": row["webhook_id"],
        "jobId": row["job_id"],
        "event": row["event"],
        "url": row["url"],
        "status": row["status"],
        "attemptCount": row["attempts"],
        "maxAttempts": row["max_attempts"],
        "nextAttemptAt": iso(row["next_attempt_at"]) if row["status"] == "pending" else None,
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
        "attempts": [
            {
                "attempt": a["attempt"],
                "startedAt": a["started_at"],
                "statusCode": a["status_code"],
                "durationMs": a["duration_ms"],
                "error": a["error"],
            }
            for a in attempts
        ],
    }
