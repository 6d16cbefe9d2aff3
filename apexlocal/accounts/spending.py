"""Credits spent per day, from the ledger: debits less refunds, by UTC calendar day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from apexlocal.db import ledger
from apexlocal.db.database import Database


def daily_spent(db: Database, user_id: str, days: int = 30, today: date | None = None) -> list[dict[str, object]]:
    """One entry per day, oldest first, ending today; days without spending are 0. A refund is
    counted on the day it happened, so a day can show less than was charged on it."""
    today = today or datetime.now(UTC).date()
    first = today - timedelta(days=days - 1)
    spent = ledger.spent_by_day(db, user_id, first.isoformat())
    return [
        {
            "date": (first + timedelta(days=i)).isoformat(),
            "credits": spent.get((first + timedelta(days=i)).isoformat(), 0),
        }
        for i in range(days)
    ]
