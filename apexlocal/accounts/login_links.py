"""One-time login links for the web UI: short-lived, usable once, only their hash stored.

`apexlocal users login-link EMAIL`, the admin route and the first `serve` print one. Opening it is
not enough to sign in from just anywhere: see api/login_link.py for when it is spent.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from apexlocal.accounts.sessions import stamp, token_hash
from apexlocal.db import login_links as rows
from apexlocal.db.database import Database
from apexlocal.timestamps import utcnow

LINK_TTL = timedelta(minutes=15)
LOGIN_PATH = "/auth/login"
MAX_TOKEN_LEN = 200


def create_link(db: Database, user_id: str, ttl: timedelta = LINK_TTL) -> str:
    """A new link token for the user (the token itself; see `login_url`)."""
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with db.write():
        rows.insert(
            db, token_hash=token_hash(token), user_id=user_id, created_at=stamp(now), expires_at=stamp(now + ttl)
        )
    return token


def login_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{LOGIN_PATH}?{urlencode({'token': token})}"


def _plausible(token: str | None) -> bool:
    return bool(token) and len(token or "") <= MAX_TOKEN_LEN


def email_for(db: Database, token: str | None) -> str | None:
    """The email of the user a still-usable link signs in; None otherwise. Spends nothing."""
    if not _plausible(token):
        return None
    row = rows.usable(db, token_hash(token or ""), utcnow())
    return row["email"] if row else None


def consume(db: Database, token: str | None) -> str | None:
    """Marks the link used and returns its user id; None when unknown, expired or used already."""
    if not _plausible(token):
        return None
    with db.write():
        return rows.spend(db, token_hash(token or ""), utcnow())


def purge_spent(db: Database) -> int:
    """Drops links that can no longer be used."""
    with db.write():
        return rows.purge(db, utcnow())
