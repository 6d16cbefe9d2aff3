"""GET /api/usage/daily: credits spent per day over the last 30 days (the dashboard's chart)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, get
from msgspec import Struct

from apexlocal.accounts.spending import daily_spent
from apexlocal.api.guards import current_user

DAYS = 30


class DaySpent(Struct):
    date: str
    credits: int


class DailyUsageOut(Struct):
    data: list[DaySpent]


@get(
    "/usage/daily",
    summary="Credits Spent per Day",
    tags=["account"],
    sync_to_thread=True,
    description="The last 30 UTC days, oldest first, each with the credits spent that day "
    "(debits less refunds); days without spending are 0.",
)
def usage_daily(request: Request[Any, Any, Any]) -> DailyUsageOut:
    rows = daily_spent(request.app.state.services.db, current_user(request).id, DAYS)
    return DailyUsageOut(msgspec.convert(rows, list[DaySpent]))


routes = [usage_daily]
