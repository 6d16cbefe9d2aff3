"""Web UI sessions: an opaque cookie value of which only the SHA-256 is stored, a CSRF token per
session, an absolute expiry, and revocation at sign-out, by the user (their other sessions, or all),
by an admin, or with the API key that started the session.

A stolen database therefore holds no usable cookie. The CSRF token is not a credential on its own
(it is useless without the cookie), so it is stored as is and handed to the page by `/auth/me`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apexlocal.accounts import generation
from apexlocal.accounts.users import User
from apexlocal.db import sessions as rows
from apexlocal.db.database import Database
from apexlocal.timestamps import utcnow

SESSION_TTL = timedelta(days=14)
COOKIE_NAME = "apexlocal_session"
_TOKEN_BYTES = 32


@dataclass(frozen=True)
class Session:
    id_hash: str
    user: User
    csrf_token: str
    expires_at: str
    key_id: str | None = None  # the API key it was started with, if any
    valid_until: str | None = None  # the session's expiry, or its key's if that comes first


@dataclass(frozen=True)
class NewSession:
    token: str  # the cookie's value: shown to the browser once, never stored
    csrf_token: str
    expires_at: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def create_session(db: Database, user_id: str, ttl: timedelta = SESSION_TTL, key_id: str | None = None) -> NewSession:
    """A new session; one started with an API key (`key_id`) ends when that key stops working."""
    token, csrf = secrets.token_urlsafe(_TOKEN_BYTES), secrets.token_urlsafe(_TOKEN_BYTES)
    now = datetime.now(UTC)
    expires = stamp(now + ttl)
    with db.write():
        rows.insert(
            db,
            id_hash=token_hash(token),
            user_id=user_id,
            csrf_token=csrf,
            created_at=stamp(now),
            expires_at=expires,
            key_id=key_id,
        )
    return NewSession(token=token, csrf_token=csrf, expires_at=expires)


def plausible(token: str | None) -> bool:
    return bool(token) and len(token or "") <= 200


def lookup(db: Database, token: str | None) -> Session | None:
    """The live session a cookie value names, with its user; None when unknown, expired, revoked,
    or started with a key that no longer works."""
    if not plausible(token):
        return None
    row = rows.live(db, token_hash(token or ""), utcnow())
    if row is None:
        return None
    ends = [t for t in (row["session_expires_at"], row["session_key_expires_at"]) if t]
    return Session(
        id_hash=row["session_id_hash"],
        user=User.from_row(row),
        csrf_token=row["session_csrf_token"],
        expires_at=row["session_expires_at"],
        key_id=row["session_key_id"],
        valid_until=min(ends),
    )


def revoke(db: Database, token: str | None) -> bool:
    """Ends a session server-side; True when a live one was ended."""
    if not token:
        return False
    with db.write():
        ended = rows.revoke(db, token_hash(token), utcnow())
    generation.access_changed(db)
    return ended


def revoke_all(db: Database, user_id: str, keep: str | None = None) -> int:
    """Ends every session of the user, but the one whose hash is `keep`; returns how many."""
    with db.write():
        ended = rows.revoke_for_user(db, user_id, utcnow(), keep)
    generation.access_changed(db)
    return ended


def revoke_for_key(db: Database, key_id: str) -> int:
    """Ends the sessions started with this key. Call inside the transaction that revokes it (whose
    caller then calls `generation.access_changed`)."""
    return rows.revoke_for_key(db, key_id, utcnow())


def csrf_matches(session: Session, offered: str | None) -> bool:
    return bool(offered) and secrets.compare_digest(session.csrf_token.encode(), (offered or "").encode())


def purge_expired(db: Database) -> int:
    """Drops sessions that can no longer be used; they are kept until then as a sign-in record."""
    with db.write():
        return rows.purge(db, utcnow())
