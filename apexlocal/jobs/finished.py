"""Finished jobs kept in memory. A job that completed, failed or was canceled changes no more until it
is deleted (through the bookkeeper, which forgets it here), so reading one again, as clients do to
fetch a result, needs neither a database read nor a worker thread: only its URLs are signed again."""

from __future__ import annotations

import threading
from collections import OrderedDict

from apexlocal.db.jobs import TERMINAL
from apexlocal.jobs.views import Unsigned


class FinishedJobs:
    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._jobs: OrderedDict[str, Unsigned] = OrderedDict()
        # Ids of deleted jobs: a read that began before a delete must not keep the job after it.
        self._gone: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, job_id: str) -> Unsigned | None:
        with self._lock:
            found = self._jobs.get(job_id)
            if found is not None:
                self._jobs.move_to_end(job_id)
            return found

    def keep(self, unsigned: Unsigned) -> None:
        """Keeps a job read from the database (its wire object without URLs), if it has finished."""
        job_id = unsigned.view["jobId"]
        if unsigned.view["status"] not in TERMINAL:
            return
        with self._lock:
            if job_id in self._gone:
                return
            self._jobs[job_id] = unsigned
            self._jobs.move_to_end(job_id)
            while len(self._jobs) > self._size:
                self._jobs.popitem(last=False)

    def forget(self, job_id: str) -> None:
        """The job is being deleted: dropped, and never kept again (job ids are not reused)."""
        with self._lock:
            self._jobs.pop(job_id, None)
            self._gone[job_id] = None
            while len(self._gone) > self._size:
                self._gone.popitem(last=False)
