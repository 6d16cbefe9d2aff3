"""A job run by an `apexlocal worker` process: what the runner does, without the database.

The worker claims the job from the keeper (remote_protocol.py) and gets its ticket; renews its lease
from a thread of its own while the engine runs; sends progress; asks the keeper about each input
URL (whose file it is) and reads it from the shared storage or through the SSRF-safe fetcher; stores
the outputs in the shared storage under the run's own folder; and reports the ending, renewing the
lease until the keeper has recorded it. A cancel, or a lease lost to the reaper, stops the engine
at its next check.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apexlocal.engines.base import EngineOutput
from apexlocal.engines.registry import get_engine
from apexlocal.errors import BadRequest, JobCancelled, JobError, ModelError
from apexlocal.jobs import inputs
from apexlocal.jobs.leases import Leases
from apexlocal.jobs.queue import register_task
from apexlocal.jobs.redis_queue import RedisQueueHuey, connect, redis_url
from apexlocal.jobs.remote_protocol import (
    Ack,
    Claim,
    ClaimReply,
    Ended,
    InputReply,
    Keys,
    Progress,
    ResolveInput,
    StoredFile,
    Ticket,
    ask,
    new_reply_id,
    send,
)
from apexlocal.jobs.runner import GENERIC_ERROR, PROGRESS_EVERY_S, engine_context, run_output_prefix
from apexlocal.jobs.scratch import clear_folder
from apexlocal.jobs.services import LazyRuntime
from apexlocal.jobs.staging import unstage
from apexlocal.models.manifest import Manifest, load_manifest
from apexlocal.models.store import ModelStore
from apexlocal.settings import Settings
from apexlocal.storage import make_storage
from apexlocal.storage.base import Storage
from apexlocal.storage.signing import load_or_create_secret

log = logging.getLogger("apexlocal.worker")

CLAIM_WAIT_S = 30.0  # the keeper answers a claim within this, or the job is left to the queue
INPUT_WAIT_S = 60.0
ENDING_WAIT_S = 300.0  # the lease is renewed this long at most while the keeper records the ending
CANCEL_CHECK_S = 0.1


@dataclass(frozen=True)
class WorkerServices:
    """What a worker process holds: no database, no API."""

    settings: Settings
    name: str
    manifest: Manifest
    models: ModelStore
    storage: Storage
    runtime: LazyRuntime
    leases: Leases
    scratch_root: Path

    @property
    def redis(self) -> Any:
        return self.leases.redis


def build_worker(settings: Settings, name: str) -> WorkerServices:
    """A worker's dependencies. Its scratch folder is its own (`DATA_DIR/worker-scratch/<name>`, so
    an API process or another worker may share the data dir) and is emptied first: nothing of this
    worker runs yet."""
    url = redis_url(settings)
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    manifest = load_manifest(settings.models_manifest)
    scratch_root = settings.data_dir / "worker-scratch" / name
    clear_folder(scratch_root)
    return WorkerServices(
        settings=settings,
        name=name,
        manifest=manifest,
        models=ModelStore(settings, manifest),
        # The local backend signs no URL here; it wants a key all the same.
        storage=make_storage(settings, load_or_create_secret(settings.data_dir / "file-signing.key")),
        runtime=LazyRuntime(settings),
        leases=Leases(connect(url), Keys(), settings.worker_lease_seconds),  # renewed as the ticket says
        scratch_root=scratch_root,
    )


def worker_queue(worker: WorkerServices) -> RedisQueueHuey:
    """The `gpu` queue in Redis, its `run_job` task running jobs here."""
    huey = RedisQueueHuey("gpu", redis_url(worker.settings))
    register_task(huey, "gpu", "run_job", lambda job_id: run_remote_job(worker, job_id))
    return huey


def run_remote_job(worker: WorkerServices, job_id: str) -> None:
    """The `run_job` task of a worker process."""
    keys = worker.leases.keys
    got = ask(worker.redis, keys, Claim(job_id, worker.name, new_reply_id()), ClaimReply, CLAIM_WAIT_S)
    if got is None:
        log.warning("the keeper did not answer the claim of job %s; it stays with the queue", job_id)
        return
    if got.ticket is None:
        return  # canceled while queued, ended, or another worker's
    ticket = got.ticket
    log.info("job %s (attempt %d) runs here", job_id, ticket.attempt)
    lease = LeaseRenewal(worker.leases, ticket)
    lease.start()
    try:
        scratch = worker.scratch_root / job_id
        scratch.mkdir(parents=True, exist_ok=True)
        try:
            ending = _execute(worker, ticket, scratch, lease)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        ack = ask(worker.redis, keys, ending, Ack, ENDING_WAIT_S)
        if ack is None:
            log.warning("the keeper did not record the ending of job %s in time", job_id)
        elif not ack.accepted:
            log.info("job %s had gone to another run; this run's ending was not recorded", job_id)
    finally:
        lease.stop()


def _execute(worker: WorkerServices, ticket: Ticket, scratch: Path, lease: LeaseRenewal) -> Ended:
    def ended(status: Any, **fields: Any) -> Ended:
        return Ended(ticket.job_id, ticket.token, worker.name, status, new_reply_id(), **fields)

    try:
        entry = worker.manifest.by_id().get(ticket.model_id)
        if entry is None:
            raise ModelError(f"Model {ticket.model_id} is not in the catalogue of worker {worker.name}")
        unstage(worker.storage, ticket.prepared, ticket.spec, scratch)
        progress = RemoteProgress(worker, ticket, lease)
        ctx = engine_context(
            worker,
            ticket.job_id,
            scratch,
            progress=progress,
            cancelled=progress.cancelled,
            fetch_input=lambda url, field: fetch_input(worker, ticket, url, field, scratch / "inputs"),
        )
        output = get_engine(ticket.engine).run(ticket.spec, entry, ctx)
        ctx.check_cancelled()
        stored = _store(worker, ticket, output)
    except JobCancelled:
        return ended("canceled")
    except (JobError, ModelError) as exc:
        log.warning("job %s failed: %s", ticket.job_id, exc)
        return ended("failed", error=str(exc))
    except Exception:
        log.exception("job %s failed", ticket.job_id)
        return ended("failed", error=GENERIC_ERROR)
    return ended("completed", outputs=stored, metadata=output.metadata)


def _store(worker: WorkerServices, ticket: Ticket, output: EngineOutput) -> list[StoredFile]:
    prefix = run_output_prefix({"user_id": ticket.user_id, "id": ticket.job_id}, ticket.attempt)
    stored = []
    for f in output.files:
        size = worker.storage.put_file(prefix + f.name, f.path, f.content_type)
        stored.append(StoredFile(key=prefix + f.name, content_type=f.content_type, size=size, metadata=f.metadata))
    return stored


def fetch_input(worker: WorkerServices, ticket: Ticket, url: str, field: str, dest_dir: Path) -> Path:
    """An input as a local file: the keeper says whether the URL is one of the user's stored files
    (and may be used), then it is read from storage, or fetched through the SSRF-safe fetcher."""
    request = ResolveInput(ticket.job_id, ticket.token, url, field, new_reply_id())
    reply: InputReply | None = ask(worker.redis, worker.leases.keys, request, InputReply, INPUT_WAIT_S)
    if reply is None:
        raise JobError(f"{field}: the server did not answer whether this input may be used")
    if reply.error:
        raise JobError(reply.error)
    try:
        if reply.key is not None:
            return inputs.copy_stored(worker.storage, reply.key, reply.content_type, field, dest_dir)
        return inputs.fetch_remote(worker.settings, url, field, inputs.expected_types(field), dest_dir)
    except BadRequest as exc:
        raise JobError(exc.message) from None


class LeaseRenewal:
    """Renews the run's lease every third of its length, from a thread of its own; `lost` is set
    when the lease is no longer this run's (the reaper gave the job to another run)."""

    def __init__(self, leases: Leases, ticket: Ticket) -> None:
        self.leases, self.ticket = leases, ticket
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{ticket.job_id[:8]}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        every = self.ticket.lease_ms / 3000
        while not self._stop.wait(every):
            try:
                if not self.leases.renew(self.ticket.job_id, self.ticket.token, self.ticket.lease_ms):
                    self.lost.set()
                    return
            except Exception:  # Redis away for a moment: the lease lasts a while yet
                log.warning("could not renew the lease of job %s", self.ticket.job_id, exc_info=True)


class RemoteProgress:
    """An engine's progress sent to the keeper (throttled like the runner's), and its cancel check:
    a cancel flag the keeper set, or a lost lease."""

    def __init__(self, worker: WorkerServices, ticket: Ticket, lease: LeaseRenewal) -> None:
        self.worker, self.ticket, self.lease = worker, ticket, lease
        self.last_at, self.last_stage = 0.0, ""
        self.checked_at, self.cancel_seen = 0.0, False

    def __call__(self, fraction: float, stage: str) -> None:
        now = time.monotonic()
        if stage != self.last_stage or now - self.last_at >= PROGRESS_EVERY_S:
            self.last_at, self.last_stage = now, stage
            report = Progress(self.ticket.job_id, self.ticket.token, fraction, stage)
            try:
                send(self.worker.redis, self.worker.leases.keys, report)
            except Exception:  # progress is a courtesy; the ending is what counts
                log.warning("could not send the progress of job %s", self.ticket.job_id, exc_info=True)

    def cancelled(self) -> bool:
        if self.lease.lost.is_set():
            return True
        now = time.monotonic()
        if not self.cancel_seen and now - self.checked_at >= CANCEL_CHECK_S:
            self.checked_at = now
            key = self.worker.leases.keys.cancel(self.ticket.job_id)
            try:
                self.cancel_seen = bool(self.worker.redis.exists(key))
            except Exception:
                log.warning("could not check whether job %s was canceled", self.ticket.job_id, exc_info=True)
        return self.cancel_seen
