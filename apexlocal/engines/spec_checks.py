"""Checks of job-spec values that several engines share, each raising JobError "field: rule".

Engines validate their spec again (the API did first) because a job may come from elsewhere: an old
row after an upgrade, or a worker on another machine."""

from __future__ import annotations

import math
import secrets
from typing import Any

from apexlocal.errors import JobError

MAX_SEED = 2**63 - 1


def seed_of(value: Any) -> int:
    """The job's seed; a random 32-bit one when none was given (reported back in metadata)."""
    if value is None:
        return secrets.randbelow(2**32)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
        raise JobError(f"seed: must be an integer from 0 to {MAX_SEED}")
    return value


def seconds_of(value: Any, low: float, high: float, default: float, name: str = "duration") -> float:
    if value is None:
        return float(default)
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        raise JobError(f"{name}: must be a number of seconds from {low} to {high}")
    return float(value)
