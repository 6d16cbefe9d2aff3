"""Rows of `ledger`, the append-only credit ledger, and the running balance `users.credits` kept
beside it (a trigger refuses updates and deletes of entries; a CHECK keeps the balance >= 0)."""

from __future__ import annotations

from apexlocal.db.database import Database


def append(
    db: Database, *, user_id: str, kind: str, amount: int, job_id: str | None, note: str, created_at: str
) -> None:
    """One entry and the balance it moves. Call inside a write transaction: the two go together."""
    db.conn.execute(
        "INSERT INTO ledger (user_id, kind, amount, job_id, note, created_at) VALUES (?,?,?,?,?,?)",
        (user_id, kind, amount, job_id, note, created_at),
    )
    db.conn.execute("UPDATE users SET credits = credits + ? WHERE id = ?", (amount, user_id))


def balance(db: Database, user_id: str) -> int | None:
    """The running balance; None for an unknown user."""
    return db.value("SELECT credits FROM users WHERE id = ?", (user_id,))


def total(db: Database, user_id: str) -> int:
    return db.value("SELECT coalesce(sum(amount), 0) FROM ledger WHERE user_id = ?", (user_id,))


def charged_by_note(db: Database, user_id: str, start: str, end: str) -> dict[str, int]:
    """Debits in [start, end) without a refund, counted by their note (the job type)."""
    rows = db.all(
        "SELECT d.note AS note, count(*) AS n FROM ledger d WHERE d.user_id = ? AND d.kind = 'debit' "
        "AND d.created_at >= ? AND d.created_at < ? AND NOT EXISTS (SELECT 1 FROM ledger r "
        "WHERE r.job_id = d.job_id AND r.kind = 'refund') GROUP BY d.note",
        (user_id, start, end),
    )
    return {r["note"]: r["n"] for r in rows}


def spent_between(db: Database, user_id: str, start: str, end: str) -> int:
    """Debits less refunds entered in [start, end)."""
    return -db.value(
        "SELECT coalesce(sum(amount), 0) FROM ledger WHERE user_id = ? AND kind IN ('debit', 'refund') "
        "AND created_at >= ? AND created_at < ?",
        (user_id, start, end),
    )


def spent_by_day(db: Database, user_id: str, since: str) -> dict[str, int]:
    """Debits less refunds per UTC day (`YYYY-MM-DD`) from `since` on; days without entries are absent."""
    rows = db.all(
        "SELECT substr(created_at, 1, 10) AS day, -sum(amount) AS spent FROM ledger "
        "WHERE user_id = ? AND kind IN ('debit', 'refund') AND created_at >= ? GROUP BY day",
        (user_id, since),
    )
    return {r["day"]: r["spent"] for r in rows}
