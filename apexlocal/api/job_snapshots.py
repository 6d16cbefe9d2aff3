"""One read of a job for all the event streams that watch it.

Every SSE stream of a job wakes on the same notification, and each read the job on a worker thread
and encoded it: with 50 streams open on a running job, 50 reads in one burst at every step, which
every other request then queued behind. Streams of one job (and one origin, which its signed URLs
carry) now share a read: a stream takes the answer of a read in flight when that read began after
the last notification the stream was woken by, and starts one otherwise.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import Generic, TypeVar

from anyio import to_thread

T = TypeVar("T")
Key = tuple[str, str]  # job id, base URL


class SharedReads(Generic[T]):
    """`read(job_id, base_url)` on a worker thread, shared by concurrent callers that may share it.
    `sequence()` counts the notifications published so far (jobs/events.py)."""

    def __init__(self, read: Callable[[str, str], T], sequence: Callable[[], int]) -> None:
        self._read = read
        self._sequence = sequence
        self._pending: dict[Key, tuple[int, asyncio.Future[T]]] = {}

    async def get(self, job_id: str, base_url: str, fresh_from: int) -> T:
        """The job's state as read after notification number `fresh_from` was published."""
        key = (job_id, base_url)
        pending = self._pending.get(key)
        if pending is None or pending[0] < fresh_from:
            started = self._sequence()  # before the read begins, so the read sees at least this
            future = asyncio.ensure_future(to_thread.run_sync(self._read, job_id, base_url))
            pending = (started, future)
            self._pending[key] = pending
            future.add_done_callback(partial(self._forget, key, pending))
        # A stream that goes away must not cancel the read the others wait on.
        return await asyncio.shield(pending[1])

    def _forget(self, key: Key, pending: tuple[int, asyncio.Future[T]], _: object) -> None:
        if self._pending.get(key) is pending:
            del self._pending[key]
