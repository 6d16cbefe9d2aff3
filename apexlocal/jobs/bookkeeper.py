"""The bookkeeper: the one writer of a job's state after it was created.

Every ending moves a job out of `queued`/`processing` in the same transaction that refunds it, and
only if it was still unfinished, so no ending happens twice and no refund is paid twice (the ledger's
unique index is the second lock on that door).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from apexlocal.accounts import credits
from apexlocal.db import jobs as records
from apexlocal.db.database import Database
from apexlocal.jobs.events import JobEvents
from apexlocal.jobs.finished import FinishedJobs

log = logging.getLogger("apexlocal.jobs")

# Called with the job id after it completed or failed; what it returns is ignored.
TerminalHook = Callable[[str], object]
# Called with the job id when a running job is asked to stop (a worker on another machine learns it).
CancelHook = Callable[[str], object]


class Bookkeeper:
    def __init__(self, db: Database, events: JobEvents) -> None:
        self.db = db
        self.events = events
        self.finished = FinishedJobs()  # finished jobs' rows, read again without the database
        self.terminal_hooks: list[TerminalHook] = []
        self.cancel_hooks: list[CancelHook] = []

    def progress(self, job_id: str, fraction: float, stage: str) -> None:
        records.set_progress(self.db, job_id, max(0.0, min(1.0, fraction)), stage)
        self.events.publish(job_id)

    def complete(
        self, job: dict[str, Any], outputs: list[dict[str, Any]], metadata: dict[str, Any], refund: int = 0
    ) -> bool:
        """`refund`: credits of the charge given back with the completion (a chat completion is
        charged for its whole max_tokens and pays back what the answer did not use)."""
        with self.db.write():
            done = records.mark_completed(self.db, job["id"], metadata)
            if done:
                records.insert_outputs(self.db, job["id"], outputs)
                if refund > 0:
                    returned = credits.refund_job(self.db, job["user_id"], job["id"], refund, "unused part")
                    records.set_refunded(self.db, job["id"], returned)
        self._ended(job["id"], done, notify=True)
        return done

    def fail(self, job: dict[str, Any], error: str) -> bool:
        return self._end_with_refund(job, "failed", error, notify=True)

    def finish_canceled(self, job: dict[str, Any]) -> bool:
        return self._end_with_refund(job, "canceled", "Job was canceled", notify=False)

    def request_cancel(self, job_id: str) -> str:
        """Cancels a queued job now (refunded); asks a running one to stop. Returns the new status."""
        with self.db.write():
            job = records.get(self.db, job_id)
            if job is None or job["status"] in records.TERMINAL:
                return job["status"] if job else "missing"
            if job["status"] == "queued":
                self._end_tx(job, "canceled", "Job was canceled")
                status = "canceled"
            else:
                records.mark_cancel_requested(self.db, job_id)
                status = "processing"
        if status == "processing":
            for hook in self.cancel_hooks:
                try:
                    hook(job_id)
                except Exception:  # the flag is recorded; a worker that missed it runs to the end
                    log.exception("cancel hook failed for job %s", job_id)
        self.events.publish(job_id)
        return status

    def requeue(self, job: dict[str, Any]) -> None:
        with self.db.write():
            records.requeue(self.db, job["id"])
        self.events.publish(job["id"])

    def delete_finished(self, job: dict[str, Any]) -> bool:
        """Removes a finished job's row and outputs (its files are the caller's to delete first)."""
        self.finished.forget(job["id"])
        with self.db.write():
            return records.delete_finished(self.db, job["id"])

    def _end_with_refund(self, job: dict[str, Any], status: str, error: str, notify: bool) -> bool:
        with self.db.write():
            ended = self._end_tx(job, status, error)
        self._ended(job["id"], ended, notify)
        return ended

    def _end_tx(self, job: dict[str, Any], status: str, error: str) -> bool:
        ended = records.mark_ended(self.db, job["id"], status, error, job["credits_charged"])
        if ended:
            credits.refund_job(self.db, job["user_id"], job["id"], job["credits_charged"], f"job {status}")
        return bool(ended)

    def _ended(self, job_id: str, changed: bool, notify: bool) -> None:
        if not changed:
            return
        self.events.publish(job_id)
        if notify:
            for hook in self.terminal_hooks:
                try:
                    hook(job_id)
                except Exception:  # a hook (a webhook enqueue) must never undo the ending
                    log.exception("terminal hook failed for job %s", job_id)
