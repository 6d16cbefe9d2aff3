"""Per-user sliding-window rate limits, one window per bucket.

A window keeps the times of the requests it let through; a request is allowed when fewer than
`limit` of them are younger than the window. The check, the record and the count left happen under
one lock, so a burst of concurrent requests can never get more than `limit` through. Limits live in
memory when one server process is the one place requests arrive (`RateLimiter`). Windows with nothing
left in them are dropped at least every `SWEEP_EVERY_S`, so memory follows the users active lately,
not every user and key ever seen.

With a `redis_url`, the windows live in Redis instead (`RedisRateLimiter`), shared by every API
process that uses it: a window is a sorted set of request times, and the check, the record and the
count left are one Lua script on Redis's own clock, so concurrent requests to several processes
(or machines) still never get more than `limit` through.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

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
    if method == "POST" and path.startswith(("/api/generate/", "/v1/audio/", "/v1/chat/")):
        return "generation"
    return "read"


class Limiter(Protocol):
    blocking: bool  # hit() waits on the network: call it from a worker thread, not the event loop

    def hit(self, user_id: str, bucket: str) -> Decision: ...


def make_rate_limiter(settings: Settings) -> Limiter:
    """Windows in Redis when a redis_url is set, else in this process's memory."""
    if settings.redis_url:
        return RedisRateLimiter(settings)
    return RateLimiter(settings)


class RateLimiter:
    blocking = False

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


# KEYS[1] the window; ARGV: the window in microseconds, the limit, a member unique to this request.
# Returns {allowed 0/1, requests in the window, time of the oldest, now}, times in microseconds of
# Redis's clock (one clock for every API process).
_HIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  count = count + 1
  allowed = 1
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]
redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
return {allowed, count, tonumber(oldest or now), now}
"""


class RedisRateLimiter:
    """The same windows in Redis; each expires with its last request, so nothing needs sweeping."""

    blocking = True

    def __init__(self, settings: Settings, client: Any = None, prefix: str = "apexlocal:ratelimit") -> None:
        if client is None:
            import redis

            client = redis.Redis.from_url(settings.redis_url, health_check_interval=30)
        self._limits = {name: settings.rate_limit(name) for name in settings.rate_limits}
        self._script = client.register_script(_HIT)
        self._prefix = prefix

    def hit(self, user_id: str, bucket: str) -> Decision:
        limit, seconds = self._limits[bucket]
        window_us = int(seconds * 1_000_000)
        allowed, count, oldest, now = self._script(
            keys=[f"{self._prefix}:{bucket}:{user_id}"], args=[window_us, limit, secrets.token_hex(8)]
        )
        reset_at = (oldest + window_us) / 1_000_000
        return Decision(
            allowed=bool(allowed),
            limit=limit,
            remaining=max(0, limit - count),
            reset=math.ceil(reset_at),
            retry_after=max(1, math.ceil(reset_at - now / 1_000_000)),
        )
