"""The bookkeeper: the one writer of a job's state after it was created.

Every ending moves a job out of `queued`/`processing` in the same transaction that refunds it, and
only if it was still unfinished, so no ending happens twice and no refund is paid twice (the ledger's
unique index is the second lock on that door).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from apexlocal.accounts import credits
from apexlocal.db import jobs as records
from apexlocal.db.database import Database
from apexlocal.jobs.events import JobEvents
from apexlocal.timestamps import utcnow

log = logging.getLogger("apexlocal.jobs")

# Called with the job id after it completed or failed; what it returns is ignored.
TerminalHook = Callable[[str], object]


class Bookkeeper:
    def __init__(self, db: Database, events: JobEvents) -> None:
        self.db = db
        self.events = events
        self.terminal_hooks: list[TerminalHook] = []

    def progress(self, job_id: str, fraction: float, stage: str) -> None:
        records.set_progress(self.db, job_id, max(0.0, min(1.0, fraction)), stage)
        self.events.publish(job_id)

    def complete(self, job: dict[str, Any], outputs: list[dict[str, Any]], metadata: dict[str, Any]) -> bool:
        with self.db.write():
            done = self.db.conn.execute(
                "UPDATE jobs SET status = 'completed', progress = 1, stage = 'done', metadata = ?, "
                "completed_at = ? WHERE id = ? AND status = 'processing'",
                (json.dumps(metadata), utcnow(), job["id"]),
            ).rowcount
            for idx, out in enumerate(outputs if done else ()):
                self.db.conn.execute(
                    "INSERT INTO job_outputs (job_id, idx, storage_key, content_type, size, metadata) "
                    "VALUES (?,?,?,?,?,?)",
                    (job["id"], idx, out["key"], out["content_type"], out["size"], json.dumps(out.get("metadata", {}))),
                )
        self._ended(job["id"], bool(done), notify=True)
        return bool(done)

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
                self.db.conn.execute("UPDATE jobs SET cancel_requested = 1 WHERE id = ?", (job_id,))
                status = "processing"
        self.events.publish(job_id)
        return status

    def requeue(self, job: dict[str, Any]) -> None:
        with self.db.write():
            self.db.conn.execute(
                "UPDATE jobs SET status = 'queued', progress = NULL, stage = NULL, started_at = NULL "
                "WHERE id = ? AND status = 'processing'",
                (job["id"],),
            )
        self.events.publish(job["id"])

    def _end_with_refund(self, job: dict[str, Any], status: str, error: str, notify: bool) -> bool:
        with self.db.write():
            ended = self._end_tx(job, status, error)
        self._ended(job["id"], ended, notify)
        return ended

    def _end_tx(self, job: dict[str, Any], status: str, error: str) -> bool:
        stamp_column = "failed_at" if status == "failed" else "canceled_at"
        ended = self.db.conn.execute(
            f"UPDATE jobs SET status = ?, error = ?, {stamp_column} = ?, credits_refunded = ? "
            "WHERE id = ? AND status IN ('queued', 'processing')",
            (status, error, utcnow(), job["credits_charged"], job["id"]),
        ).rowcount
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
