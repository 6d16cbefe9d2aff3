"""`api_keys.last_used_at`, written at most once a minute per key and never on a request's path.

A request only notes that its key was used; one background thread writes the noted times, many keys
in one transaction. So a request never waits for the database's write lock (which a job may hold)
just to say when its key was last seen.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from apexlocal.db import api_keys as rows
from apexlocal.db.database import Database
from apexlocal.timestamps import utcnow

EVERY_S = 60.0
log = logging.getLogger(__name__)


class LastUsed:
    def __init__(self, db: Database, every_s: float = EVERY_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.db = db
        self.every_s = every_s
        self._clock = clock
        self._noted: dict[str, float] = {}  # key id -> when its last write was due (clock time)
        self._pending: dict[str, str] = {}  # key id -> the time to write
        self._lock = threading.Lock()
        self._writer: ThreadPoolExecutor | None = None
        self._scheduled: Future[None] | None = None

    def note(self, key_id: str) -> None:
        """Records a use of the key; schedules a write when the key's last one is a minute old."""
        now = self._clock()
        with self._lock:
            if now - self._noted.get(key_id, -self.every_s) < self.every_s:
                return
            self._noted[key_id] = now
            self._pending[key_id] = utcnow()
            if self._scheduled is None:
                if self._writer is None:
                    self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="apexlocal-last-used")
                self._scheduled = self._writer.submit(self._flush_logged)

    def flush(self) -> None:
        """Writes whatever was noted (on the writer thread, or directly at shutdown and in tests)."""
        with self._lock:
            batch, self._pending, self._scheduled = self._pending, {}, None
            cutoff = self._clock() - self.every_s
            self._noted = {k: t for k, t in self._noted.items() if t > cutoff}  # bounded by recent keys
        if batch:
            with self.db.write():
                rows.touch(self.db, batch)

    def _flush_logged(self) -> None:
        try:
            self.flush()
        except Exception:  # a lost last-used time is not worth failing anything for
            log.exception("writing api_keys.last_used_at failed")

    def wait(self) -> None:
        """Blocks until every write scheduled so far is done (the writer runs them in order)."""
        with self._lock:
            writer = self._writer
        if writer is not None:
            writer.submit(lambda: None).result()

    def close(self) -> None:
        self.flush()
        if self._writer is not None:
            self._writer.shutdown(wait=True)
