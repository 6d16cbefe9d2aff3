"""Rows of `sessions`: web UI sessions, of which only the cookie value's hash is kept.

A session started by signing in with an API key names that key (`key_id`): it lives only while the
key does, so revoking the key, or the end of its rotation grace period, ends the session too.
"""

from __future__ import annotations

from typing import Any

from apexlocal.db.database import Database

# A session is live when it is neither revoked nor expired and, if a key started it, that key is
# neither revoked nor past its expiry.
_LIVE = (
    "s.revoked_at IS NULL AND s.expires_at > :now AND (s.key_id IS NULL OR (k.id IS NOT NULL "
    "AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > :now)))"
)


def insert(
    db: Database, *, id_hash: str, user_id: str, csrf_token: str, created_at: str, expires_at: str, key_id: str | None
) -> None:
    db.conn.execute(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at, key_id) VALUES (?,?,?,?,?,?)",
        (id_hash, user_id, csrf_token, created_at, expires_at, key_id),
    )


def live(db: Database, id_hash: str, now: str) -> dict[str, Any] | None:
    """The live session with this hash and its user's row (the session's columns, and its key's
    expiry, prefixed `session_`)."""
    return db.one(
        "SELECT s.id_hash AS session_id_hash, s.csrf_token AS session_csrf_token, "
        "s.expires_at AS session_expires_at, s.key_id AS session_key_id, k.expires_at AS session_key_expires_at, "
        "u.* "
        "FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN api_keys k ON k.id = s.key_id "
        f"WHERE s.id_hash = :id_hash AND {_LIVE}",
        {"id_hash": id_hash, "now": now},
    )


def revoke(db: Database, id_hash: str, at: str) -> bool:
    return (
        db.conn.execute(
            "UPDATE sessions SET revoked_at = ? WHERE id_hash = ? AND revoked_at IS NULL", (at, id_hash)
        ).rowcount
        > 0
    )


def revoke_for_user(db: Database, user_id: str, at: str, keep: str | None = None) -> int:
    """Ends every session of the user but `keep` (a session's hash); returns how many it ended."""
    return db.conn.execute(
        "UPDATE sessions SET revoked_at = :at WHERE user_id = :user_id AND revoked_at IS NULL "
        "AND expires_at > :at AND id_hash IS NOT coalesce(:keep, '')",
        {"at": at, "user_id": user_id, "keep": keep},
    ).rowcount


def revoke_for_key(db: Database, key_id: str, at: str) -> int:
    return db.conn.execute(
        "UPDATE sessions SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL", (at, key_id)
    ).rowcount


def purge(db: Database, now: str) -> int:
    """Drops sessions that can no longer be used (kept until then as a sign-in record)."""
    return db.conn.execute(
        "DELETE FROM sessions WHERE id_hash IN (SELECT s.id_hash FROM sessions s "
        f"LEFT JOIN api_keys k ON k.id = s.key_id WHERE NOT ({_LIVE}))",
        {"now": now},
    ).rowcount
