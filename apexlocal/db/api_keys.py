"""Rows of `api_keys`: only a key's SHA-256 is stored, beside a display prefix and its last four
characters. A revoked key has `revoked_at`; a rotated one has `expires_at` (the end of its grace
period) and `rotated_to`, its replacement."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apexlocal.db.database import Database


def insert(
    db: Database, *, key_id: str, user_id: str, name: str, key_hash: str, prefix: str, last4: str, created_at: str
) -> None:
    db.conn.execute(
        "INSERT INTO api_keys (id, user_id, name, key_hash, prefix, last4, created_at) VALUES (?,?,?,?,?,?,?)",
        (key_id, user_id, name, key_hash, prefix, last4, created_at),
    )


def get(db: Database, key_id: str) -> dict[str, Any] | None:
    return db.one("SELECT * FROM api_keys WHERE id = ?", (key_id,))


def list_for(db: Database, user_id: str | None = None) -> list[dict[str, Any]]:
    """A user's keys (every key without `user_id`), newest first."""
    if user_id is None:
        return db.all("SELECT * FROM api_keys ORDER BY created_at DESC, id")
    return db.all("SELECT * FROM api_keys WHERE user_id = ? ORDER BY created_at DESC, id", (user_id,))


def revoke(db: Database, key_id: str, at: str) -> None:
    db.conn.execute("UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?", (at, key_id))


def start_rotation(db: Database, key_id: str, expires_at: str, rotated_to: str) -> bool:
    """Sets the grace period's end on a key that has none yet and is not revoked; False otherwise
    (so a key already being rotated keeps its first expiry, whoever races)."""
    return (
        db.conn.execute(
            "UPDATE api_keys SET expires_at = ?, rotated_to = ? "
            "WHERE id = ? AND revoked_at IS NULL AND expires_at IS NULL",
            (expires_at, rotated_to, key_id),
        ).rowcount
        == 1
    )


def owner_by_hash(db: Database, key_hash: str) -> dict[str, Any] | None:
    """The key's id, revocation and expiry, with its owner's user row."""
    return db.one(
        "SELECT k.id AS key_id, k.revoked_at AS key_revoked_at, k.expires_at AS key_expires_at, u.* "
        "FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = ?",
        (key_hash,),
    )


def touch(db: Database, used_at: Mapping[str, str]) -> None:
    """Records when keys were last used (key id -> time); never moves a time backwards."""
    db.conn.executemany(
        "UPDATE api_keys SET last_used_at = max(coalesce(last_used_at, ''), ?) WHERE id = ?",
        [(at, key_id) for key_id, at in used_at.items()],
    )
