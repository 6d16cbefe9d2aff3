"""Per-user sliding-window rate limits, one window per bucket.

A window keeps the times of the requests it let through; a request is allowed when fewer than
`limit` of them are younger than the window. The check, the record and the count left happen under
one lock, so a burst of concurrent requests can never get more than `limit` through. Limits live in
memory: one server process is the one place requests arrive. Windows with nothing left in them are
dropped at least every `SWEEP_EVERY_S`, so memory follows the users active lately, not every user
and key ever seen.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import NamedTuple

from apexlocal.settings import Settings

SWEEP_EVERY_S = 10.0


class Decision(NamedTuple):  # a tuple: made on every request
    allowed: bool
    limit: int
    remaining: int
    reset: int  # unix seconds when the oldest counted request leaves the window
    retry_after: int  # seconds, meaningful when not allowed


def bucket_for(method: str, path: str) -> str:
    if path.startswith("/api/upload"):
        return "upload"
    if method == "DELETE":
        return "delete"
    if method == "POST" and path.startswith("/api/voice-agent/calls/outbound"):
        return "calls"
    if method == "POST" and path.startswith(("/api/generate/", "/v1/audio/")):
        return "generation"
    return "read"


class RateLimiter:
    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self._limits = {name: settings.rate_limit(name) for name in settings.rate_limits}
        self._windows: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()
        self._clock = clock
        self._next_sweep = clock() + SWEEP_EVERY_S

    def hit(self, user_id: str, bucket: str) -> Decision:
        limit, seconds = self._limits[bucket]
        now = self._clock()
        with self._lock:
            if now >= self._next_sweep:
                self._sweep(now)
            window = self._windows.setdefault((user_id, bucket), deque())
            _expire(window, now - seconds)
            allowed = len(window) < limit
            if allowed:
                window.append(now)
            oldest = window[0] if window else now
            remaining = max(0, limit - len(window))
        reset_at = oldest + seconds
        return Decision(
            allowed=allowed,
            limit=limit,
            remaining=remaining,
            reset=math.ceil(reset_at),
            retry_after=max(1, math.ceil(reset_at - now)),
        )

    def _sweep(self, now: float) -> None:
        """Drops the windows whose requests have all left them (call with the lock held)."""
        for (user_id, bucket), window in list(self._windows.items()):
            _expire(window, now - self._limits[bucket][1])
            if not window:
                del self._windows[(user_id, bucket)]
        self._next_sweep = now + SWEEP_EVERY_S

    def __len__(self) -> int:
        """How many windows are kept."""
        with self._lock:
            return len(self._windows)


def _expire(window: deque[float], before: float) -> None:
    while window and window[0] <= before:
        window.popleft()
