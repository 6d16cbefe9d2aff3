"""GET /api/usage/daily: credits spent per day over the last 30 days (the dashboard's chart)."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from litestar import Request, Response, get
from msgspec import Struct

from apexlocal.accounts.spending import daily_spent
from apexlocal.api.guards import current_user

DAYS = 30


class DaySpent(Struct):
    date: str
    credits: int


class DailyUsageOut(Struct):
    data: list[DaySpent]


@get("/usage/daily", summary="Credits Spent per Day", tags=["account"],
     description="The last 30 UTC days, oldest first, each with the credits spent that day "
                 "(debits less refunds); days without spending are 0.")
async def usage_daily(request: Request[Any, Any, Any]) -> Response[DailyUsageOut]:
    rows = await to_thread.run_sync(daily_spent, request.app.state.services.db, current_user(request).id, DAYS)
    return Response({"data": rows})


routes = [usage_daily]
