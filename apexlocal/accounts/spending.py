"""Credits spent per day, from the ledger: debits less refunds, by UTC calendar day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from apexlocal.db.database import Database


def daily_spent(db: Database, user_id: str, days: int = 30, today: date | None = None) -> list[dict[str, object]]:
    """One entry per day, oldest first, ending today; days without spending are 0. A refund is
    counted on the day it happened, so a day can show less than was charged on it."""
    today = today or datetime.now(UTC).date()
    first = today - timedelta(days=days - 1)
    rows = db.all(
        "SELECT substr(created_at, 1, 10) AS day, -sum(amount) AS spent FROM ledger "
        "WHERE user_id = ? AND kind IN ('debit', 'refund') AND created_at >= ? GROUP BY day",
        (user_id, first.isoformat()))
    spent = {r["day"]: r["spent"] for r in rows}
    return [{"date": (first + timedelta(days=i)).isoformat(),
             "credits": spent.get((first + timedelta(days=i)).isoformat(), 0)} for i in range(days)]
