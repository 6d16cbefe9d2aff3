"""Rows of the jobs and job_outputs tables. The submit path inserts a job and the runner claims it;
every later change of a job row goes through the bookkeeper (apexlocal/jobs/bookkeeper.py)."""

from __future__ import annotations

import json
from typing import Any

from apexlocal.db.database import Database
from apexlocal.timestamps import utcnow

TERMINAL = ("completed", "failed", "canceled")


def insert(
    db: Database,
    *,
    job_id: str,
    user_id: str,
    job_type: str,
    queue: str,
    params: dict[str, Any],
    model: str | None,
    model_id: str | None,
    cost: int,
) -> None:
    db.conn.execute(
        "INSERT INTO jobs (id, user_id, type, status, queue, params, model, model_id, credits_charged, "
        "created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (job_id, user_id, job_type, "queued", queue, json.dumps(params), model, model_id, cost, utcnow()),
    )


def get(db: Database, job_id: str) -> dict[str, Any] | None:
    return db.one("SELECT * FROM jobs WHERE id = ?", (job_id,))


def get_owned(db: Database, job_id: str, user_id: str) -> dict[str, Any] | None:
    return db.one("SELECT * FROM jobs WHERE id = ? AND user_id = ?", (job_id, user_id))


def outputs(db: Database, job_id: str) -> list[dict[str, Any]]:
    return db.all("SELECT * FROM job_outputs WHERE job_id = ? ORDER BY idx", (job_id,))


def queue_position(db: Database, job: dict[str, Any]) -> int:
    """1 for the next job to start on its queue."""
    ahead = db.value(
        "SELECT count(*) FROM jobs WHERE status = 'queued' AND queue = ? AND seq < ?", (job["queue"], job["seq"])
    )
    return ahead + 1


def claim(db: Database, job_id: str) -> dict[str, Any] | None:
    """queued -> processing, once: a duplicate task for the same job finds nothing to claim."""
    with db.write():
        row = db.conn.execute(
            "UPDATE jobs SET status = 'processing', started_at = ?, attempts = attempts + 1, "
            "progress = 0, stage = 'starting' WHERE id = ? AND status = 'queued' AND cancel_requested = 0 "
            "RETURNING *",
            (utcnow(), job_id),
        ).fetchone()
    return dict(row) if row else None


def set_progress(db: Database, job_id: str, progress: float, stage: str) -> None:
    with db.write():
        db.conn.execute(
            "UPDATE jobs SET progress = ?, stage = ? WHERE id = ? AND status = 'processing'",
            (round(progress, 4), stage, job_id),
        )


def cancel_requested(db: Database, job_id: str) -> bool:
    return bool(db.value("SELECT cancel_requested FROM jobs WHERE id = ?", (job_id,)))


def list_for_user(
    db: Database, user_id: str, *, limit: int, before_seq: int | None, job_type: str | None, status: str | None
) -> list[dict[str, Any]]:
    where = ["user_id = ?"]
    params: list[str | int] = [user_id]
    if before_seq is not None:
        where.append("seq < ?")
        params.append(before_seq)
    if job_type:
        where.append("type = ?")
        params.append(job_type)
    if status:
        where.append("status = ?")
        params.append(status)
    sql = f"SELECT * FROM jobs WHERE {' AND '.join(where)} ORDER BY seq DESC LIMIT ?"
    return db.all(sql, (*params, limit))


def outputs_for(db: Database, job_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    if not job_ids:
        return {}
    marks = ",".join("?" * len(job_ids))
    rows = db.all(f"SELECT * FROM job_outputs WHERE job_id IN ({marks}) ORDER BY job_id, idx", tuple(job_ids))
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row["job_id"], []).append(row)
    return out


def unfinished(db: Database) -> list[dict[str, Any]]:
    return db.all("SELECT * FROM jobs WHERE status IN ('queued', 'processing') ORDER BY seq")


def output_by_key(db: Database, storage_key: str, user_id: str) -> dict[str, Any] | None:
    """An output of one of the user's jobs, by its storage key."""
    return db.one(
        "SELECT o.* FROM job_outputs o JOIN jobs j ON j.id = o.job_id WHERE o.storage_key = ? AND j.user_id = ?",
        (storage_key, user_id),
    )


def recent_completed(db: Database, job_type: str, model_id: str, limit: int) -> list[dict[str, Any]]:
    """Params and metadata of the latest queued jobs of a type and model that completed."""
    return db.all(
        "SELECT params, metadata FROM jobs WHERE type = ? AND model_id = ? AND status = 'completed' "
        "AND queue = 'gpu' ORDER BY seq DESC LIMIT ?",
        (job_type, model_id, limit),
    )


# Writes of the bookkeeper (apexlocal/jobs/bookkeeper.py), each inside its write transaction ------------


def mark_completed(db: Database, job_id: str, metadata: dict[str, Any]) -> bool:
    return bool(
        db.conn.execute(
            "UPDATE jobs SET status = 'completed', progress = 1, stage = 'done', metadata = ?, "
            "completed_at = ? WHERE id = ? AND status = 'processing'",
            (json.dumps(metadata), utcnow(), job_id),
        ).rowcount
    )


def insert_outputs(db: Database, job_id: str, outputs: list[dict[str, Any]]) -> None:
    db.conn.executemany(
        "INSERT INTO job_outputs (job_id, idx, storage_key, content_type, size, metadata) VALUES (?,?,?,?,?,?)",
        [
            (job_id, idx, out["key"], out["content_type"], out["size"], json.dumps(out.get("metadata", {})))
            for idx, out in enumerate(outputs)
        ],
    )


def set_refunded(db: Database, job_id: str, amount: int) -> None:
    db.conn.execute("UPDATE jobs SET credits_refunded = ? WHERE id = ?", (amount, job_id))


def mark_ended(db: Database, job_id: str, status: str, error: str, refunded: int) -> bool:
    """Fails or cancels an unfinished job; False when it had ended already."""
    stamp_column = {"failed": "failed_at", "canceled": "canceled_at"}[status]
    return bool(
        db.conn.execute(
            f"UPDATE jobs SET status = ?, error = ?, {stamp_column} = ?, credits_refunded = ? "
            "WHERE id = ? AND status IN ('queued', 'processing')",
            (status, error, utcnow(), refunded, job_id),
        ).rowcount
    )


def mark_cancel_requested(db: Database, job_id: str) -> None:
    db.conn.execute("UPDATE jobs SET cancel_requested = 1 WHERE id = ?", (job_id,))


def requeue(db: Database, job_id: str) -> None:
    db.conn.execute(
        "UPDATE jobs SET status = 'queued', progress = NULL, stage = NULL, started_at = NULL "
        "WHERE id = ? AND status = 'processing'",
        (job_id,),
    )


def delete_finished(db: Database, job_id: str) -> bool:
    placeholders = ", ".join("?" * len(TERMINAL))
    return bool(
        db.conn.execute(f"DELETE FROM jobs WHERE id = ? AND status IN ({placeholders})", (job_id, *TERMINAL)).rowcount
    )
