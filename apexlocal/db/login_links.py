"""Rows of `login_links`: one-time web UI sign-in links, of which only the token's hash is kept."""

from __future__ import annotations

from typing import Any

from apexlocal.db.database import Database


def insert(db: Database, *, token_hash: str, user_id: str, created_at: str, expires_at: str) -> None:
    db.conn.execute(
        "INSERT INTO login_links (token_hash, user_id, created_at, expires_at) VALUES (?,?,?,?)",
        (token_hash, user_id, created_at, expires_at),
    )


def usable(db: Database, token_hash: str, now: str) -> dict[str, Any] | None:
    """The link and its user's email while it can still be used; None otherwise. Spends nothing."""
    return db.one(
        "SELECT l.user_id, u.email FROM login_links l JOIN users u ON u.id = l.user_id "
        "WHERE l.token_hash = ? AND l.used_at IS NULL AND l.expires_at > ?",
        (token_hash, now),
    )


def spend(db: Database, token_hash: str, now: str) -> str | None:
    """Marks a usable link used and returns its user id; None when it was not usable. One
    conditional UPDATE, so two uses racing each other cannot both win."""
    rows = db.conn.execute(
        "UPDATE login_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? "
        "RETURNING user_id",
        (now, token_hash, now),
    ).fetchall()
    return rows[0][0] if rows else None


def purge(db: Database, now: str) -> int:
    """Drops links that can no longer be used."""
    return db.conn.execute("DELETE FROM login_links WHERE used_at IS NOT NULL OR expires_at <= ?", (now,)).rowcount
