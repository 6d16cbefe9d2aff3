"""The keeper: the API process's side of `apexlocal worker` (see remote_protocol.py).

One thread of the API process reads what workers report and turns it into the bookkeeper's calls,
so the bookkeeper stays the only writer of a job's state however many workers run jobs. The same
thread reaps leases: a job whose worker stopped renewing its lease runs again while it has attempts
left, and is failed and refunded after that. An ending counts only while its run's token holds the
lease, and releasing the lease is atomic: a job ends once, by its worker or by the reaper. Periodic
work, this reaping, happens here only: workers run none, however many there are.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
import time
from collections import OrderedDict
from typing import Any

from apexlocal.db import jobs as records
from apexlocal.errors import BadRequest, JobError, ModelError
from apexlocal.jobs import inputs
from apexlocal.jobs.leases import Leases
from apexlocal.jobs.remote_protocol import (
    Ack,
    Claim,
    ClaimReply,
    Ended,
    InputReply,
    Progress,
    Report,
    ResolveInput,
    Ticket,
    answer,
    decode_report,
    new_token,
    token_attempt,
)
from apexlocal.jobs.runner import GENERIC_ERROR, run_output_prefix
from apexlocal.jobs.services import Services
from apexlocal.jobs.staging import stage, staging_prefix
from apexlocal.jobs.submit import enqueue

log = logging.getLogger("apexlocal.keeper")

WORKER_LOST = "Job was interrupted: the worker running it stopped answering"
REAP_EVERY_S = 0.5
POP_WAIT_S = 0.5
CANCEL_FLAG_TTL_S = 86_400
_REMEMBERED_ENDINGS = 1000


class Keeper:
    def __init__(self, services: Services) -> None:
        assert services.leases is not None, "the keeper needs the redis queue backend"
        self.services = services
        self.leases: Leases = services.leases
        self.redis, self.keys = self.leases.redis, self.leases.keys
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._endings: OrderedDict[str, bool] = OrderedDict()  # token -> accepted, for a repeated ending
        self._next_reap = 0.0
        services.bookkeeper.cancel_hooks.append(self._flag_cancel)

    # The thread ------------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="apexlocal-keeper", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.step(POP_WAIT_S)
            except Exception:  # Redis away for a moment: try again, do not die
                log.exception("keeper step failed")
                self._stop.wait(1.0)

    def step(self, wait: float) -> int:
        """Handles what is waiting (waiting up to `wait` s for a first report), then reaps if due.
        Returns how many reports were handled."""
        handled = 0
        data = self.redis.blmove(self.keys.reports, self.keys.taken, wait, "RIGHT", "LEFT")
        while data is not None:
            self._handle_taken(data)
            handled += 1
            data = self.redis.lmove(self.keys.reports, self.keys.taken, "RIGHT", "LEFT")
        if time.monotonic() >= self._next_reap:
            self.reap()
            self._next_reap = time.monotonic() + REAP_EVERY_S
        return handled

    def drain(self) -> int:
        """At startup, before reconciling: what the previous process was handling when it stopped,
        then everything waiting. Returns how many reports were handled."""
        handled = 0
        for data in reversed(self.redis.lrange(self.keys.taken, 0, -1)):
            self._handle_taken(data)
            handled += 1
        return handled + self.step(0.001)

    def _handle_taken(self, data: bytes) -> None:
        try:
            self.handle(decode_report(data))
        except Exception:
            log.exception("a worker's report could not be handled: %r", data[:200])
        finally:
            self.redis.lrem(self.keys.taken, 1, data)

    def handle(self, report: Report) -> None:
        if isinstance(report, Claim):
            self._claim(report)
        elif isinstance(report, Progress):
            self._progress(report)
        elif isinstance(report, ResolveInput):
            self._resolve_input(report)
        else:
            self._ended(report)

    # Claims ----------------------------------------------------------------------------------------

    def _claim(self, claim: Claim) -> None:
        if not self.redis.exists(self.keys.waiting(claim.reply)):
            return  # the worker gave up waiting: claiming now would leave the job to the reaper
        job = records.claim(self.services.db, claim.job_id)
        if job is None:
            answer(self.redis, self.keys, claim.reply, ClaimReply(ticket=None))
            return
        self.services.events.publish(job["id"])
        token = new_token(job["attempts"])
        self.leases.grant(job["id"], token)
        try:
            ticket = self._ticket(job, token)
        except (JobError, ModelError) as exc:
            self._end_unrun(job, token, str(exc))
            ticket = None
        except Exception:
            log.exception("job %s could not be prepared", job["id"])
            self._end_unrun(job, token, GENERIC_ERROR)
            ticket = None
        log.info("job %s (attempt %d) goes to worker %s", job["id"], job["attempts"], claim.worker)
        answer(self.redis, self.keys, claim.reply, ClaimReply(ticket=ticket))

    def _ticket(self, job: dict[str, Any], token: str) -> Ticket:
        services = self.services
        entry = services.manifest.by_id().get(job["model_id"])
        if entry is None:
            raise ModelError(f"Model {job['model_id']} is not in this server's catalogue")
        job_type = services.job_types[job["type"]]
        spec = json.loads(job["params"])
        prepared = []
        if job_type.prepare is not None:
            folder = (services.settings.data_dir / "scratch" / f"stage-{job['id']}").resolve()
            folder.mkdir(parents=True, exist_ok=True)
            try:
                job_type.prepare(services, job, spec, folder)
                prepared = stage(services.storage, folder, spec, job["id"], job["attempts"])
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        return Ticket(
            job_id=job["id"],
            user_id=job["user_id"],
            job_type=job["type"],
            model_id=job["model_id"],
            engine=job_type.engine or entry.engine,
            spec=spec,
            attempt=job["attempts"],
            token=token,
            lease_ms=self.leases.ms,
            prepared=prepared,
        )

    def _end_unrun(self, job: dict[str, Any], token: str, error: str) -> None:
        if self.leases.release(job["id"], token):
            self.services.bookkeeper.fail(job, error)
            self._cleanup(job["id"])

    # While a job runs ------------------------------------------------------------------------------

    def _progress(self, report: Progress) -> None:
        if self.leases.holder(report.job_id) == report.token:
            self.services.bookkeeper.progress(report.job_id, report.fraction, report.stage)

    def _resolve_input(self, request: ResolveInput) -> None:
        job = records.get(self.services.db, request.job_id)
        if job is None or self.leases.holder(request.job_id) != request.token:
            reply = InputReply(error="the job is no longer this worker's")
        else:
            try:
                expect = inputs.expected_types(request.field)
                stored = inputs.stored_input(self.services, job["user_id"], request.url, request.field, expect)
                reply = InputReply() if stored is None else InputReply(key=stored[0], content_type=stored[1])
            except BadRequest as exc:
                reply = InputReply(error=exc.message)
        answer(self.redis, self.keys, request.reply, reply)

    def _flag_cancel(self, job_id: str) -> None:
        if self.leases.held(job_id):
            self.redis.set(self.keys.cancel(job_id), b"1", ex=CANCEL_FLAG_TTL_S)

    # Endings ---------------------------------------------------------------------------------------

    def _ended(self, ended: Ended) -> None:
        accepted = self._endings.get(ended.token)
        if accepted is None:
            accepted = self._accept(ended)
            self._endings[ended.token] = accepted
            while len(self._endings) > _REMEMBERED_ENDINGS:
                self._endings.popitem(last=False)
        answer(self.redis, self.keys, ended.reply, Ack(accepted=accepted))

    def _accept(self, ended: Ended) -> bool:
        services = self.services
        job = records.get(services.db, ended.job_id)
        if job is None or not self.leases.release(ended.job_id, ended.token):
            log.info("ignored the ending of job %s by %s: its lease was lost", ended.job_id, ended.worker)
            self._delete_outputs(ended)
            return False
        keeper = services.bookkeeper
        own = run_output_prefix(job, token_attempt(ended.token))
        if ended.status == "completed" and any(not f.key.startswith(own) for f in ended.outputs):
            log.error("job %s: worker %s reported files outside %s; failed", ended.job_id, ended.worker, own)
            keeper.fail(job, GENERIC_ERROR)
        elif ended.status == "completed":
            outputs = [
                {"key": f.key, "content_type": f.content_type, "size": f.size, "metadata": f.metadata}
                for f in ended.outputs
            ]
            if not keeper.complete(job, outputs, {**ended.metadata, "worker": ended.worker}):
                self._delete_outputs(ended)  # ended meanwhile (canceled at the last moment)
        elif ended.status == "failed":
            keeper.fail(job, ended.error or GENERIC_ERROR)
        else:
            keeper.finish_canceled(job)
        self._cleanup(ended.job_id)
        return True

    def _delete_outputs(self, ended: Ended) -> None:
        """Deletes the files a refused run stored: only keys in that run's own folder."""
        attempt = str(token_attempt(ended.token))
        for stored in ended.outputs:
            parts = stored.key.split("/")
            if len(parts) == 5 and parts[0] == "outputs" and parts[2:4] == [ended.job_id, attempt]:
                self.services.storage.delete_prefix(stored.key)

    def _cleanup(self, job_id: str) -> None:
        self.services.storage.delete_prefix(staging_prefix(job_id))
        self.redis.delete(self.keys.cancel(job_id))

    # Reaping ---------------------------------------------------------------------------------------

    def reap(self) -> int:
        """Settles the jobs whose worker stopped renewing its lease; returns how many."""
        reaped = 0
        for job_id, token in self.leases.expired():
            if not self.leases.release(job_id, token):
                continue  # ended between the two looks
            reaped += 1
            self._lost(job_id, token)
        return reaped

    def _lost(self, job_id: str, token: str) -> None:
        services = self.services
        self._cleanup(job_id)
        job = records.get(services.db, job_id)
        if job is None or job["status"] != "processing":
            return
        # Whatever the lost run stored before it stopped.
        services.storage.delete_prefix(run_output_prefix(job, token_attempt(token)))
        if job["cancel_requested"]:
            services.bookkeeper.finish_canceled(job)
        elif job["attempts"] < services.settings.job_max_attempts:
            log.warning("job %s lost its worker; it runs again", job_id)
            services.bookkeeper.requeue(job)
            enqueue(services, job_id)
        else:
            log.warning("job %s lost its worker and has no attempts left; failed and refunded", job_id)
            services.bookkeeper.fail(job, WORKER_LOST)
