"""Per-user sliding-window rate limits, one window per bucket.

A window keeps the times of the requests it let through; a request is allowed when fewer than
`limit` of them are younger than the window. The check and the record happen under one lock, so a
burst of concurrent requests can never get more than `limit` through. Limits live in memory: one
server process is the one place requests arrive.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from apexlocal.settings import Settings


@dataclass(frozen=True)
class Decision:
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
    if method == "POST" and (path.startswith("/api/generate/") or path.startswith("/v1/audio/")):
        return "generation"
    return "read"


class RateLimiter:
    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self._limits = {name: settings.rate_limit(name) for name in settings.rate_limits}
        self._windows: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def hit(self, user_id: str, bucket: str) -> Decision:
        limit, seconds = self._limits[bucket]
        now = self._clock()
        with self._lock:
            window = self._windows.setdefault((user_id, bucket), deque())
            while window and window[0] <= now - seconds:
                window.popleft()
            allowed = len(window) < limit
            if allowed:
                window.append(now)
            oldest = window[0] if window else now
        reset_at = oldest + seconds
        return Decision(
            allowed=allowed,
            limit=limit,
            remaining=max(0, limit - len(window)),
            reset=math.ceil(reset_at),
            retry_after=max(1, math.ceil(reset_at - now)),
        )
