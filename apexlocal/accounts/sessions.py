"""Web UI sessions: an opaque cookie value of which only the SHA-256 is stored, a CSRF token per
session, an absolute expiry, and revocation at sign-out.

A stolen database therefore holds no usable cookie. The CSRF token is not a credential on its own
(it is useless without the cookie), so it is stored as is and handed to the page by `/auth/me`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apexlocal.accounts.users import User
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


@dataclass(frozen=True)
class NewSession:
    token: str  # the cookie's value: shown to the browser once, never stored
    csrf_token: str
    expires_at: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def create_session(db: Database, user_id: str, ttl: timedelta = SESSION_TTL) -> NewSession:
    token, csrf = secrets.token_urlsafe(_TOKEN_BYTES), secrets.token_urlsafe(_TOKEN_BYTES)
    now = datetime.now(UTC)
    expires = stamp(now + ttl)
    with db.write():
        db.conn.execute(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES (?,?,?,?,?)",
            (token_hash(token), user_id, csrf, stamp(now), expires))
    return NewSession(token=token, csrf_token=csrf, expires_at=expires)


def lookup(db: Database, token: str | None) -> Session | None:
    """The live session a cookie value names, with its user; None when unknown, expired or revoked."""
    if not token or len(token) > 200:
        return None
    row = db.one(
        "SELECT s.id_hash, s.csrf_token, s.expires_at AS session_expires, s.revoked_at AS session_revoked, u.* "
        "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?", (token_hash(token),))
    if row is None or row["session_revoked"] or row["session_expires"] <= utcnow():
        return None
    return Session(id_hash=row["id_hash"], user=User.from_row(row), csrf_token=row["csrf_token"],
                   expires_at=row["session_expires"])


def revoke(db: Database, token: str | None) -> bool:
    """Ends a session server-side; True when a live one was ended."""
    if not token:
        return False
    with db.write():
        cursor = db.conn.execute(
            "UPDATE sessions SET revoked_at = ? WHERE id_hash = ? AND revoked_at IS NULL",
            (utcnow(), token_hash(token)))
    return cursor.rowcount > 0


def revoke_all(db: Database, user_id: str) -> int:
    with db.write():
        cursor = db.conn.execute("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                                 (utcnow(), user_id))
    return cursor.rowcount


def csrf_matches(session: Session, offered: str | None) -> bool:
    return bool(offered) and secrets.compare_digest(session.csrf_token.encode(), (offered or "").encode())


def purge_expired(db: Database) -> int:
    """Drops sessions that can no longer be used; they are kept until then as a sign-in record."""
    with db.write():
        cursor = db.conn.execute("DELETE FROM sessions WHERE expires_at <= ? OR revoked_at IS NOT NULL",
                                 (utcnow(),))
    return cursor.rowcount
