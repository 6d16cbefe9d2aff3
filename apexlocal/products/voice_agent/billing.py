"""Call minutes: `call-minute` credits per started minute, each debited when its minute starts.

A minute is a ledger debit keyed `CALL_ID:N` (the ledger's one-debit-per-key index makes charging
minute N twice impossible, so the startup reconciliation can charge what a crash left unpaid
without ever charging it again). A minute the balance cannot pay is not debited: the call says
goodbye and ends instead."""

from __future__ import annotations

import math
import sqlite3

from apexlocal.db import calls as calls_db
from apexlocal.db import ledger
from apexlocal.jobs.services import Services
from apexlocal.timestamps import utcnow

NOTE = "call-minute"


def minute_cost(services: Services) -> int:
    return int(services.settings.credit_costs[NOTE])


def charge_minute(services: Services, user_id: str, call_id: str, minute: int) -> bool:
    """Debits minute `minute` (from 1) of the call; False when the balance cannot pay it."""
    db, cost = services.db, minute_cost(services)
    with db.write():
        if (ledger.balance(db, user_id) or 0) < cost:
            return False
        try:
            ledger.append(
                db,
                user_id=user_id,
                kind="debit",
                amount=-cost,
                job_id=f"{call_id}:{minute}",
                note=NOTE,
                created_at=utcnow(),
            )
        except sqlite3.IntegrityError:
            return True  # already charged (a reconciliation after a crash)
        calls_db.add_minute(db, call_id, minute)
    return True


def started_minutes(services: Services, seconds: float) -> int:
    return max(0, math.ceil(round(seconds, 3) / services.settings.call_minute_seconds))
