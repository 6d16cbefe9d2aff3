"""Rows of `brand_profiles`: a user's saved brands (name, colours, font, logo, tone, tagline, banned
words), read by the ad products at submit time. Every read and write is scoped to the owner: a
profile of another user is never found."""

from __future__ import annotations

import json
from typing import Any

from apexlocal.db.database import Database
from apexlocal.timestamps import utcnow

# The columns a PATCH may change, by their wire names' snake_case.
FIELDS = ("name", "colors", "font", "logo_key", "tone", "tagline", "banned_words")
_JSON = frozenset({"colors", "banned_words"})


def _encode(column: str, value: Any) -> Any:
    return json.dumps(value) if column in _JSON else value


def _decode(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {**row, "colors": json.loads(row["colors"]), "banned_words": json.loads(row["banned_words"])}


def insert(db: Database, profile_id: str, user_id: str, values: dict[str, Any]) -> dict[str, Any]:
    now = utcnow()
    columns = ", ".join(FIELDS)
    db.conn.execute(
        f"INSERT INTO brand_profiles (id, user_id, {columns}, created_at, updated_at) "
        f"VALUES (?, ?, {', '.join('?' * len(FIELDS))}, ?, ?)",
        (profile_id, user_id, *(_encode(c, values.get(c)) for c in FIELDS), now, now),
    )
    row = get_owned(db, profile_id, user_id)
    assert row is not None  # inserted just above, in this transaction
    return row


def update(db: Database, profile_id: str, user_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    """Applies `changes` (columns of FIELDS) to the owner's profile; None when it is not theirs."""
    sets = [c for c in FIELDS if c in changes]
    if sets:
        db.conn.execute(
            f"UPDATE brand_profiles SET {', '.join(f'{c} = ?' for c in sets)}, updated_at = ? "
            "WHERE id = ? AND user_id = ?",
            (*(_encode(c, changes[c]) for c in sets), utcnow(), profile_id, user_id),
        )
    return get_owned(db, profile_id, user_id)


def delete(db: Database, profile_id: str, user_id: str) -> bool:
    return bool(
        db.conn.execute("DELETE FROM brand_profiles WHERE id = ? AND user_id = ?", (profile_id, user_id)).rowcount
    )


def get_owned(db: Database, profile_id: str, user_id: str) -> dict[str, Any] | None:
    return _decode(db.one("SELECT * FROM brand_profiles WHERE id = ? AND user_id = ?", (profile_id, user_id)))


def list_owned(db: Database, user_id: str) -> list[dict[str, Any]]:
    rows = db.all("SELECT * FROM brand_profiles WHERE user_id = ? ORDER BY seq DESC", (user_id,))
    return [r for r in (_decode(row) for row in rows) if r is not None]


def count_owned(db: Database, user_id: str) -> int:
    return int(db.value("SELECT COUNT(*) FROM brand_profiles WHERE user_id = ?", (user_id,)) or 0)
