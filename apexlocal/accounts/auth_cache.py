"""Who a key or session cookie belongs to, remembered for a moment so that most authenticated
requests need no database read (and, in the server, no trip to a worker thread).

An entry is used only while the access generation (accounts/generation.py) is the one read before
the entry's database read, and for at most `TTL_S`: revoking, rotating, signing out or changing a
plan, from the server or the CLI, takes effect on the next request; a change made some other way
(raw SQL) within `TTL_S`. Nothing is cached for an unknown or refused credential, and no entry
outlives the expiry of what it was read from. Keyed by the credential's SHA-256, never the secret.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Generic, TypeVar

from apexlocal.accounts.generation import Generation
from apexlocal.timestamps import parse_time

TTL_S = 2.0
MAX_ENTRIES = 10_000

T = TypeVar("T")


class AuthCache(Generic[T]):
    def __init__(
        self,
        generation: Generation,
        ttl_s: float = TTL_S,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.generation = generation
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[str, tuple[bytes, float, T]] = {}  # digest -> (generation, deadline, value)
        self._lock = threading.Lock()

    def get(self, digest: str) -> T | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        generation, deadline, value = entry
        if generation != self.generation.current() or self._clock() >= deadline:
            with self._lock:
                self._entries.pop(digest, None)
            return None
        return value

    def put(self, digest: str, generation: bytes, value: T, expires_at: str | None = None) -> None:
        """Remembers `value`, read from the database under `generation` (read before that read),
        until `expires_at` (UTC, as stored) at the latest."""
        deadline = self._clock() + self.ttl_s
        if expires_at is not None:
            left = (parse_time(expires_at) - datetime.now(UTC)).total_seconds()
            deadline = min(deadline, self._clock() + left)
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()  # only live credentials get here; starting over is cheap
            self._entries[digest] = (generation, deadline, value)

    def __len__(self) -> int:
        return len(self._entries)
