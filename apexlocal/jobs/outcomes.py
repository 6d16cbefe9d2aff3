"""Answers that a request waits for while a queue worker makes them (a voice clone's 201).

The request registers its key and awaits a future on its own event loop; the worker thread posts a
value or an exception. The waiting request holds no thread, so slow work queued behind a bounded
number of workers never takes the request pool with it.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any


class Outcomes:
    def __init__(self) -> None:
        self._waiting: dict[str, tuple[asyncio.AbstractEventLoop, asyncio.Future[Any]]] = {}
        self._lock = threading.Lock()

    def expect(self, key: str) -> asyncio.Future[Any]:
        """A future for `key`'s outcome; call on the event loop, before the work is queued."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        with self._lock:
            self._waiting[key] = (loop, future)
        return future

    def forget(self, key: str) -> None:
        """The waiter went away (its client disconnected): a later outcome is dropped."""
        with self._lock:
            self._waiting.pop(key, None)

    def post(self, key: str, value: Any = None, error: BaseException | None = None) -> bool:
        """Hands the outcome to its waiter, from any thread; False when nobody waits for it."""
        with self._lock:
            waiting = self._waiting.pop(key, None)
        if waiting is None:
            return False
        loop, future = waiting
        try:
            loop.call_soon_threadsafe(_settle, future, value, error)
        except RuntimeError:  # the loop has closed
            return False
        return True


def _settle(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)
