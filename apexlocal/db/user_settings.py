"""Rows of `user_settings`: a user's webhook URL and the `whsec_` secret that signs deliveries to it.

The secret is made by the caller (`make_secret`), so this module needs nothing above the database.
It is stored sealed (`sealed.py`) and every row read here carries it in plain text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from apexlocal.db import sealed
from apexlocal.db.database import Database
from apexlocal.timestamps import utcnow


def get(db: Database, user_id: str) -> dict[str, Any] | None:
    row = db.one("SELECT * FROM user_settings WHERE user_id = ?", (user_id,))
    if row is not None and row["webhook_secret"]:
        row["webhook_secret"] = sealed.unseal(db, row["webhook_secret"])
    return row


def ensure_secret(db: Database, user_id: str, make_secret: Callable[[], str]) -> dict[str, Any]:
    """The user's settings, with a secret created now if they had none."""
    row = get(db, user_id)
    if row is not None and row["webhook_secret"]:
        return row
    with db.write():
        # Inside the write lock: two first reads at once must agree on one secret.
        db.conn.execute(
            "INSERT INTO user_settings (user_id, webhook_secret, updated_at) VALUES (?,?,?) "
            "ON CONFLICT(user_id) DO UPDATE SET webhook_secret = coalesce(webhook_secret, excluded.webhook_secret)",
            (user_id, sealed.seal(db, make_secret()), utcnow()),
        )
    return get(db, user_id)  # type: ignore[return-value]


def set_webhook_url(db: Database, user_id: str, url: str | None, make_secret: Callable[[], str]) -> dict[str, Any]:
    ensure_secret(db, user_id, make_secret)
    with db.write():
        db.conn.execute(
            "UPDATE user_settings SET webhook_url = ?, updated_at = ? WHERE user_id = ?", (url, utcnow(), user_id)
        )
    return get(db, user_id)  # type: ignore[return-value]


def set_secret(db: Database, user_id: str, secret: str) -> dict[str, Any]:
    with db.write():
        db.conn.execute(
            "INSERT INTO user_settings (user_id, webhook_secret, updated_at) VALUES (?,?,?) "
            "ON CONFLICT(user_id) DO UPDATE SET webhook_secret = excluded.webhook_secret, "
            "updated_at = excluded.updated_at",
            (user_id, sealed.seal(db, secret), utcnow()),
        )
    return get(db, user_id)  # type: ignore[return-value]


def seal_stored_secrets(db: Database) -> int:
    """Seals the secrets stored in plain text before sealing existed; returns how many."""
    rows = db.all("SELECT user_id, webhook_secret FROM user_settings WHERE webhook_secret IS NOT NULL")
    plain = [row for row in rows if not sealed.is_sealed(row["webhook_secret"])]
    with db.write():
        for row in plain:
            db.conn.execute(
                "UPDATE user_settings SET webhook_secret = ? WHERE user_id = ?",
                (sealed.seal(db, row["webhook_secret"]), row["user_id"]),
            )
    return len(plain)
