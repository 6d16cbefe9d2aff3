"""API keys: create (shown once), list, revoke, rotate with a grace period, authenticate."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apexlocal.accounts import generation, keys, sessions
from apexlocal.accounts.auth_cache import AuthCache
from apexlocal.accounts.last_used import LastUsed
from apexlocal.accounts.users import User
from apexlocal.db import api_keys as rows
from apexlocal.db.database import Database
from apexlocal.errors import BadRequest, Conflict, NotFound, Unauthorized
from apexlocal.timestamps import utcnow


@dataclass(frozen=True)
class CreatedKey:
    id: str
    key: str
    name: str
    created_at: str
    previous_expires_at: str | None = None  # rotation: when the key it replaces stops working


def _check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise BadRequest("name: must be 1-100 characters")
    return name


def create_key(db: Database, user_id: str, name: str) -> CreatedKey:
    name = _check_name(name)
    key, key_id, now = keys.new_key(), str(uuid.uuid4()), utcnow()
    with db.write():
        rows.insert(
            db,
            key_id=key_id,
            user_id=user_id,
            name=name,
            key_hash=keys.key_hash(key),
            prefix=keys.display_prefix(key),
            last4=keys.last4(key),
            created_at=now,
        )
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
    return rows.list_for(db, user_id)


def _own_key(db: Database, key_id: str, user_id: str | None) -> dict[str, Any]:
    row = rows.get(db, key_id)
    if row is None or (user_id is not None and row["user_id"] != user_id):
        raise NotFound("API key not found")
    return row


def revoke_key(db: Database, key_id: str, user_id: str | None = None) -> dict[str, Any]:
    """Revokes the key and ends the web UI sessions that were started with it."""
    with db.write():
        _own_key(db, key_id, user_id)
        rows.revoke(db, key_id, utcnow())
        sessions.revoke_for_key(db, key_id)
        row = _own_key(db, key_id, user_id)
    generation.access_changed(db)
    return row


def _grace_end(grace_hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=grace_hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def rotate_key(db: Database, key_id: str, user_id: str, grace_hours: float) -> CreatedKey:
    """A new key with the old one's name; the old one keeps working for `grace_hours`. A key can be
    rotated once: rotating it again would push its expiry out each time, so that is refused (409)."""
    with db.write():
        old = _own_key(db, key_id, user_id)
        if old["revoked_at"] or (old["expires_at"] and old["expires_at"] <= utcnow()):
            raise BadRequest("id: a revoked or expired key cannot be rotated")
        if old["expires_at"]:
            raise Conflict(
                f"id: this key was rotated already and stops working at {old['expires_at']}; "
                "rotate its replacement instead"
            )
        new = create_key(db, user_id, old["name"])
        expires = _grace_end(grace_hours)
        if not rows.start_rotation(db, key_id, expires, new.id):
            raise Conflict("id: this key was rotated already; rotate its replacement instead")
    generation.access_changed(db)  # the old key now expires: a cached copy of it must not outlive that
    return CreatedKey(id=new.id, key=new.key, name=new.name, created_at=new.created_at, previous_expires_at=expires)


class Authenticator:
    """Who a request's credential belongs to: a Bearer key or a web UI session cookie.

    `parse` checks a key's shape and checksum without the database. `cached_key`/`cached_session`
    answer from memory (no database: safe on the event loop) while nothing that could end the
    credential has happened (accounts/auth_cache.py); `lookup_key`/`lookup_session` read the
    database (call them off the event loop) and remember what they found. When each key was last
    used is written in the background, at most once a minute per key.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self.last_used = LastUsed(db)
        self.generation = generation.for_database(db)
        self.keys: AuthCache[tuple[User, str]] = AuthCache(self.generation)
        self.sessions: AuthCache[sessions.Session] = AuthCache(self.generation)

    @staticmethod
    def parse(authorization: str | None) -> str:
        """The key of an `Authorization: Bearer` header; 401 when missing or malformed."""
        if not authorization:
            raise Unauthorized("Missing API key: send Authorization: Bearer sk_live_...")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not keys.well_formed(token):
            raise Unauthorized("Invalid API key")
        return token

    def cached_key(self, authorization: str | None) -> tuple[User, str] | None:
        """The user and key id of an `Authorization: Bearer` header from memory, or None. Only
        well-formed keys are ever remembered, so a hit needs no shape or checksum check."""
        if not authorization or authorization[:7].lower() != "bearer ":
            return None
        found = self.keys.get(keys.key_hash(authorization[7:].strip()))
        if found is not None:
            self.last_used.note(found[1])
        return found

    def lookup_key(self, key: str) -> tuple[User, str]:
        """The user of a well-formed key and the key's id; 401 when unknown, revoked or expired."""
        digest, seen = keys.key_hash(key), self.generation.current()
        row = rows.owner_by_hash(self.db, digest)
        if row is None or row["key_revoked_at"] or (row["key_expires_at"] and row["key_expires_at"] <= utcnow()):
            raise Unauthorized("Invalid API key")
        found = (User.from_row(row), row["key_id"])
        self.keys.put(digest, seen, found, row["key_expires_at"])
        self.last_used.note(row["key_id"])
        return found

    def authenticate(self, authorization: str | None) -> tuple[User, str]:
        """`parse` then `lookup_key`, for callers already off the event loop."""
        return self.lookup_key(self.parse(authorization))

    def cached_session(self, token: str) -> sessions.Session | None:
        return self.sessions.get(sessions.token_hash(token)) if sessions.plausible(token) else None

    def lookup_session(self, token: str) -> sessions.Session | None:
        """The live session of a cookie value; None when there is none."""
        seen = self.generation.current()
        session = sessions.lookup(self.db, token)
        if session is not None:
            self.sessions.put(session.id_hash, seen, session, session.valid_until)
        return session

    def close(self) -> None:
        self.last_used.close()
