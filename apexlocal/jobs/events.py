"""In-process notifications that a job changed, for Server-Sent Events.

Workers publish from their threads; each subscriber is an asyncio queue on the server's loop. A
notification carries only the job id: subscribers re-read the job, so they never see stale state.
`sequence` counts the notifications, so that readers can tell whether a read began after one.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import defaultdict


class JobEvents:
    def __init__(self) -> None:
        self._subs: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[str]]]] = defaultdict(set)
        self._lock = threading.Lock()
        self._sequence = 0

    def sequence(self) -> int:
        """How many notifications have been published: a read begun after this was this high saw
        every change notified so far (each is published after its write is committed)."""
        with self._lock:
            return self._sequence

    def subscribe(self, job_id: str) -> asyncio.Queue[str]:
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=1)
        with self._lock:
            self._subs[job_id].add((asyncio.get_running_loop(), queue))
        return queue

    def unsubscribe(self, job_id: str, queue: asyncio.Queue[str]) -> None:
        with self._lock:
            subs = self._subs.get(job_id, set())
            for item in [s for s in subs if s[1] is queue]:
                subs.discard(item)
            if not subs:
                self._subs.pop(job_id, None)

    def publish(self, job_id: str) -> None:
        with self._lock:
            self._sequence += 1
            subs = list(self._subs.get(job_id, ()))
        for loop, queue in subs:
            with contextlib.suppress(RuntimeError):  # the loop has closed
                loop.call_soon_threadsafe(_offer, queue, job_id)


def _offer(queue: asyncio.Queue[str], job_id: str) -> None:
    # One pending notification is enough: the subscriber reads the latest state anyway.
    if queue.empty():
        queue.put_nowait(job_id)
