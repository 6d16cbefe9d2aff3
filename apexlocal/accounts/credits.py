"""The credit rules: grants that never take a balance below zero, one debit per job charged in the
transaction that creates it, at most one refund per job.

`users.credits` is a running balance kept in the same transaction as every ledger entry (so a
balance check is one row read); a CHECK constraint keeps it from going below zero, and a unique
index keeps a job from being debited or refunded twice (db/ledger.py).
"""

from __future__ import annotations

import sqlite3

from apexlocal.db import ledger
from apexlocal.db.database import Database
from apexlocal.errors import BadRequest, PaymentRequired
from apexlocal.timestamps import utcnow


def _append(db: Database, user_id: str, kind: str, amount: int, job_id: str | None, note: str) -> None:
    ledger.append(db, user_id=user_id, kind=kind, amount=amount, job_id=job_id, note=note, created_at=utcnow())


def grant(db: Database, user_id: str, amount: int, note: str = "grant") -> int:
    """Adds credits (a negative amount is an adjustment down, never below zero)."""
    if amount == 0:
        raise BadRequest("amount: must not be 0")
    with db.write():
        current = balance(db, user_id)
        if current + amount < 0:
            raise BadRequest(f"amount: would take the balance below 0 (balance {current})")
        _append(db, user_id, "grant" if amount > 0 else "adjustment", amount, None, note)
        return current + amount


def debit_for_job(db: Database, user_id: str, job_id: str, cost: int, job_type: str) -> None:
    """Charges a job. Call inside the transaction that creates the job. The note keeps the job
    type, so usage stays countable after a job is deleted."""
    current = balance(db, user_id)
    if current < cost:
        raise PaymentRequired(f"Insufficient credits: this costs {cost}, the balance is {current}")
    _append(db, user_id, "debit", -cost, job_id, job_type)


def refund_job(db: Database, user_id: str, job_id: str, amount: int, note: str) -> int:
    """Refunds a job once; a second call refunds nothing and returns 0."""
    if amount <= 0:
        return 0
    with db.write():
        try:
            _append(db, user_id, "refund", amount, job_id, note)
        except sqlite3.IntegrityError:
            return 0
    return amount


def balance(db: Database, user_id: str) -> int:
    return ledger.balance(db, user_id)  # type: ignore[return-value]


def ledger_sum(db: Database, user_id: str) -> int:
    return ledger.total(db, user_id)


def used_in_period(db: Database, user_id: str, start: str, end: str) -> dict[str, int]:
    """Jobs charged and not refunded in [start, end), by job type."""
    return ledger.charged_by_note(db, user_id, start, end)


def spent_in_period(db: Database, user_id: str, start: str, end: str) -> int:
    return ledger.spent_between(db, user_id, start, end)
