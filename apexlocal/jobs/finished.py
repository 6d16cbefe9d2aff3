"""Finished jobs kept in memory. A job that completed, failed or was canceled changes no more until it
is deleted (through the bookkeeper, which forgets it here), so reading one again, as clients do to
fetch a result, needs neither a database read nor a worker thread."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from apexlocal.db.jobs import TERMINAL

Finished = tuple[dict[str, Any], list[dict[str, Any]]]  # the job's row and its output rows


class FinishedJobs:
    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._jobs: OrderedDict[str, Finished] = OrderedDict()
        # Ids of deleted jobs: a read that began before a delete must not keep the job after it.
        self._gone: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, job_id: str) -> Finished | None:
        with self._lock:
            found = self._jobs.get(job_id)
            if found is not None:
                self._jobs.move_to_end(job_id)
            return found

    def keep(self, row: dict[str, Any], outputs: list[dict[str, Any]]) -> None:
        """Keeps a job read from the database, if it has finished."""
        if row["status"] not in TERMINAL:
            return
        with self._lock:
            if row["id"] in self._gone:
                return
            self._jobs[row["id"]] = (row, outputs)
            self._jobs.move_to_end(row["id"])
            while len(self._jobs) > self._size:
                self._jobs.popitem(last=False)

    def forget(self, job_id: str) -> None:
        """The job is being deleted: dropped, and never kept again (job ids are not reused)."""
        with self._lock:
            self._jobs.pop(job_id, None)
            self._gone[job_id] = None
            while len(self._gone) > self._size:
                self._gone.popitem(last=False)
