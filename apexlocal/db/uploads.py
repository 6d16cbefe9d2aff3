"""Rows of `uploads`: files a user sent to be used as inputs, owned by that user."""

from __future__ import annotations

from typing import Any

from apexlocal.db.database import Database


def insert(
    db: Database,
    *,
    upload_id: str,
    user_id: str,
    kind: str,
    storage_key: str,
    content_type: str,
    size: int,
    original_name: str | None,
    created_at: str,
) -> None:
    db.conn.execute(
        "INSERT INTO uploads (id, user_id, kind, storage_key, content_type, size, original_name, created_at) "
        "VALUES (?,?,?,?,?,?,?,?)",
        (upload_id, user_id, kind, storage_key, content_type, size, original_name, created_at),
    )


def get_owned(db: Database, upload_id: str, user_id: str) -> dict[str, Any] | None:
    return db.one("SELECT * FROM uploads WHERE id = ? AND user_id = ?", (upload_id, user_id))


def by_key(db: Database, storage_key: str) -> dict[str, Any] | None:
    return db.one("SELECT * FROM uploads WHERE storage_key = ?", (storage_key,))
