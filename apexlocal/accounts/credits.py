"""The credit ledger: append-only, and the balance always equals its sum.

`users.credits` is a running balance kept in the same transaction as every ledger entry (so a
balance check is one row read); a CHECK constraint keeps it from going below zero, and a unique
index keeps a job from being debited or refunded twice.
"""

from __future__ import annotations

import sqlite3

from apexlocal.db.database import Database
from apexlocal.timestamps import utcnow
from apexlocal.errors import BadRequest, PaymentRequired


def _append(db: Database, user_id: str, kind: str, amount: int, job_id: str | None, note: str) -> None:
    db.conn.execute(
        "INSERT INTO ledger (user_id, kind, amount, job_id, note, created_at) VALUES (?,?,?,?,?,?)",
        (user_id, kind, amount, job_id, note, utcnow()))
    db.conn.execute("UPDATE users SET credits = credits + ? WHERE id = ?", (amount, user_id))


def grant(db: Database, user_id: str, amount: int, note: str = "grant") -> int:
    """Adds credits (a negative amount is an adjustment down, never below zero)."""
    if amount == 0:
        raise BadRequest("amount: must not be 0")
    with db.write():
        balance = db.value("SELECT credits FROM users WHERE id = ?", (user_id,))
        if balance + amount < 0:
            raise BadRequest(f"amount: would take the balance below 0 (balance {balance})")
        _append(db, user_id, "grant" if amount > 0 else "adjustment", amount, None, note)
        return balance + amount


def debit_for_job(db: Database, user_id: str, job_id: str, cost: int, job_type: str) -> None:
    """Charges a job. Call inside the transaction that creates the job. The note keeps the job
    type, so usage stays countable after a job is deleted."""
    balance = db.value("SELECT credits FROM users WHERE id = ?", (user_id,))
    if balance < cost:
        raise PaymentRequired(f"Insufficient credits: this costs {cost}, the balance is {balance}")
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
    return db.value("SELECT credits FROM users WHERE id = ?", (user_id,))


def ledger_sum(db: Database, user_id: str) -> int:
    return db.value("SELECT coalesce(sum(amount), 0) FROM ledger WHERE user_id = ?", (user_id,))


def used_in_period(db: Database, user_id: str, start: str, end: str) -> dict[str, int]:
    """Jobs charged and not refunded in [start, end), by job type."""
    rows = db.all(
        "SELECT d.note AS job_type, count(*) AS n FROM ledger d WHERE d.user_id = ? AND d.kind = 'debit' "
        "AND d.created_at >= ? AND d.created_at < ? AND NOT EXISTS (SELECT 1 FROM ledger r "
        "WHERE r.job_id = d.job_id AND r.kind = 'refund') GROUP BY d.note", (user_id, start, end))
    return {r["job_type"]: r["n"] for r in rows}


def spent_in_period(db: Database, user_id: str, start: str, end: str) -> int:
    return -db.value(
        "SELECT coalesce(sum(amount), 0) FROM ledger WHERE user_id = ? AND kind IN ('debit', 'refund') "
        "AND created_at >= ? AND created_at < ?", (user_id, start, end))
