"""`Idempotency-Key` records: the first response to a (user, key) is replayed for every retry.

The record is written in the same transaction as whatever the request created, so a crash can
never leave one without the other, and concurrent retries are serialised by the write lock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import msgspec

from apexlocal.db.database import Database
from apexlocal.errors import BadRequest, Conflict
from apexlocal.timestamps import utcnow

MAX_KEY_LEN = 255


def request_hash(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def check_key(key: str) -> None:
    if not 1 <= len(key) <= MAX_KEY_LEN or not key.isprintable():
        raise BadRequest(f"Idempotency-Key: must be 1-{MAX_KEY_LEN} printable characters")


def lookup(db: Database, user_id: str, key: str | None, req_hash: str) -> tuple[int, Any] | None:
    """The first answer to this key, for a request that is answered before it is recorded (a
    synchronous one); None when the key is new. 409 for the same key with another request."""
    if key is None:
        return None
    check_key(key)
    row = db.one("SELECT * FROM idempotency WHERE user_id = ? AND key = ?", (user_id, key))
    if row is None:
        return None
    if row["request_hash"] != req_hash:
        raise Conflict("Idempotency-Key: was already used with a different request")
    return row["status"], msgspec.json.decode(row["body"])


def run_once(
    db: Database, user_id: str, key: str | None, req_hash: str, create: Callable[[], tuple[int, Any]]
) -> tuple[int, Any, bool]:
    """Runs `create` (inside a write transaction) unless this key was seen; returns
    (status, body, replayed)."""
    with db.write():
        if key is not None:
            check_key(key)
            row = db.one("SELECT * FROM idempotency WHERE user_id = ? AND key = ?", (user_id, key))
            if row is not None:
                if row["request_hash"] != req_hash:
                    raise Conflict("Idempotency-Key: was already used with a different request")
                return row["status"], msgspec.json.decode(row["body"]), True
        status, body = create()
        if key is not None:
            db.conn.execute(
                "INSERT INTO idempotency (user_id, key, request_hash, status, body, created_at) VALUES (?,?,?,?,?,?)",
                (user_id, key, req_hash, status, msgspec.json.encode(body), utcnow()),
            )
    return status, body, False
