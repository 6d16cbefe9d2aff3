"""Billing cycles: monthly from the day the user was created."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime


def _anniversary(created: datetime, year: int, month: int) -> datetime:
    day = min(created.day, calendar.monthrange(year, month)[1])  # Jan 31 -> Feb 28
    return created.replace(year=year, month=month, day=day)


def _shift(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + by
    return index // 12, index % 12 + 1


def current_cycle(created: datetime, now: datetime | None = None) -> tuple[datetime, datetime]:
    now = now or datetime.now(UTC)
    year, month = now.year, now.month
    start = _anniversary(created, year, month)
    if start > now:
        start = _anniversary(created, *_shift(year, month, -1))
    end = _anniversary(created, *_shift(start.year, start.month, 1))
    return max(start, created), end
