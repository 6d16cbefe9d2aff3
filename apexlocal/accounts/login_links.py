"""One-time login links for the web UI: short-lived, usable once, only their hash stored.

`apexlocal users login-link EMAIL` and the first `serve` print one; opening it signs the browser in.
Consuming a link is one conditional UPDATE, so two clicks racing each other cannot both win.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from apexlocal.accounts.sessions import stamp, token_hash
from apexlocal.db.database import Database
from apexlocal.timestamps import utcnow

LINK_TTL = timedelta(minutes=15)
LOGIN_PATH = "/auth/login"


def create_link(db: Database, user_id: str, ttl: timedelta = LINK_TTL) -> str:
    """A new link token for the user (the token itself; see `login_url`)."""
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with db.write():
        db.conn.execute(
            "INSERT INTO login_links (token_hash, user_id, created_at, expires_at) VALUES (?,?,?,?)",
            (token_hash(token), user_id, stamp(now), stamp(now + ttl)))
    return token


def login_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{LOGIN_PATH}?{urlencode({'token': token})}"


def consume(db: Database, token: str | None) -> str | None:
    """Marks the link used and returns its user id; None when unknown, expired or used already."""
    if not token or len(token) > 200:
        return None
    digest, now = token_hash(token), utcnow()
    with db.write():
        cursor = db.conn.execute(
            "UPDATE login_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
            (now, digest, now))
        if cursor.rowcount != 1:
            return None
        return db.value("SELECT user_id FROM login_links WHERE token_hash = ?", (digest,))


def purge_spent(db: Database) -> int:
    """Drops links that can no longer be used."""
    with db.write():
        cursor = db.conn.execute("DELETE FROM login_links WHERE used_at IS NOT NULL OR expires_at <= ?",
                                 (utcnow(),))
    return cursor.rowcount
