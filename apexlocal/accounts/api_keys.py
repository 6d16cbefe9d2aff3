"""API keys: create (shown once), list, revoke, rotate with a grace period, authenticate."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apexlocal.accounts import keys
from apexlocal.accounts.users import User
from apexlocal.db.database import Database
from apexlocal.timestamps import utcnow
from apexlocal.errors import BadRequest, NotFound, Unauthorized

LAST_USED_EVERY_S = 60.0


@dataclass(frozen=True)
class CreatedKey:
    id: str
    key: str
    name: str
    created_at: str


def _check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise BadRequest("name: must be 1-100 characters")
    return name


def create_key(db: Database, user_id: str, name: str) -> CreatedKey:
    name = _check_name(name)
    key, key_id, now = keys.new_key(), str(uuid.uuid4()), utcnow()
    with db.write():
        db.conn.execute(
            "INSERT INTO api_keys (id, user_id, name, key_hash, prefix, last4, created_at) "
            "VALUES (?,?,?,?,?,?,?)",
            (key_id, user_id, name, keys.key_hash(key), keys.display_prefix(key), keys.last4(key), now))
    return CreatedKey(id=key_id, key=key, name=name, created_at=now)


def public_view(row: dict[str, Any]) -> dict[str, Any]:
    """What a key listing shows: never the key, never its hash."""
    return {
        "id": row["id"],
        "name": row["name"],
        "prefix": row["prefix"],
        "last4": row["last4"],
        "display": f"{row['prefix']}...{row['last4']}",
        "createdAt": row["created_at"],
        "lastUsedAt": row["last_used_at"],
        "revokedAt": row["revoked_at"],
        "expiresAt": row["expires_at"],
        "status": _status(row),
    }


def _status(row: dict[str, Any]) -> str:
    if row["revoked_at"]:
        return "revoked"
    if row["expires_at"]:
        return "expired" if row["expires_at"] <= utcnow() else "rotating"
    return "active"


def list_keys(db: Database, user_id: str | None = None) -> list[dict[str, Any]]:
    where, params = ("WHERE user_id = ?", (user_id,)) if user_id else ("", ())
    return db.all(f"SELECT * FROM api_keys {where} ORDER BY created_at DESC, id", params)


def _own_key(db: Database, key_id: str, user_id: str | None) -> dict[str, Any]:
    row = db.one("SELECT * FROM api_keys WHERE id = ?", (key_id,))
    if row is None or (user_id is not None and row["user_id"] != user_id):
        raise NotFound("API key not found")
    return row


def revoke_key(db: Database, key_id: str, user_id: str | None = None) -> dict[str, Any]:
    _own_key(db, key_id, user_id)
    with db.write():
        db.conn.execute("UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?",
                        (utcnow(), key_id))
    return _own_key(db, key_id, user_id)


def rotate_key(db: Database, key_id: str, user_id: str, grace_hours: float) -> CreatedKey:
    """A new key with the old one's name; the old one keeps working for `grace_hours`."""
    old = _own_key(db, key_id, user_id)
    if old["revoked_at"] or (old["expires_at"] and old["expires_at"] <= utcnow()):
        raise BadRequest("id: a revoked or expired key cannot be rotated")
    expires = (datetime.now(UTC) + timedelta(hours=grace_hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with db.write():
        new = create_key(db, user_id, old["name"])
        db.conn.execute("UPDATE api_keys SET expires_at = ?, rotated_to = ? WHERE id = ?",
                        (expires, new.id, key_id))
    return new


class Authenticator:
    """Bearer key -> user. Malformed keys never reach the database; `last_used_at` is written at
    most once a minute per key."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._last_write: dict[str, float] = {}
        self._lock = threading.Lock()

    def authenticate(self, authorization: str | None) -> tuple[User, str]:
        if not authorization:
            raise Unauthorized("Missing API key: send Authorization: Bearer sk_live_...")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not keys.well_formed(token):
            raise Unauthorized("Invalid API key")
        row = self.db.one(
            "SELECT k.id AS key_id, k.revoked_at, k.expires_at, u.* FROM api_keys k "
            "JOIN users u ON u.id = k.user_id WHERE k.key_hash = ?", (keys.key_hash(token),))
        if row is None or row["revoked_at"] or (row["expires_at"] and row["expires_at"] <= utcnow()):
            raise Unauthorized("Invalid API key")
        self._touch(row["key_id"])
        return User.from_row(row), row["key_id"]

    def _touch(self, key_id: str) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last_write.get(key_id, -LAST_USED_EVERY_S) < LAST_USED_EVERY_S:
                return
            self._last_write[key_id] = now
        with self.db.write():
            self.db.conn.execute("UPDATE api_keys SET last_used_at = ? WHERE id = ?", (utcnow(), key_id))
