"""Runs one job: claim it, give its engine a context, store what it made, and hand the ending to
the bookkeeper. Runs in a `gpu` queue worker thread."""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from apexlocal.db import jobs as records
from apexlocal.engines.base import EngineContext, EngineOutput
from apexlocal.engines.registry import get_engine
from apexlocal.engines.writer.endpoint import WriterEndpoint
from apexlocal.errors import JobCancelled, JobError, ModelError
from apexlocal.jobs import inputs
from apexlocal.jobs.priority import at_model_priority
from apexlocal.jobs.services import LazyRuntime, Services
from apexlocal.models.manifest import Manifest, ModelEntry
from apexlocal.models.store import ModelStore
from apexlocal.settings import Settings

log = logging.getLogger("apexlocal.jobs")

PROGRESS_EVERY_S = 0.2  # progress rows and events at most this often, plus every stage change
GENERIC_ERROR = "Generation failed"
ENDED_SCRATCH = ".ended"  # scratch folders of jobs that ended, until they are deleted


def output_key(job: dict[str, Any], name: str) -> str:
    return f"outputs/{job['user_id']}/{job['id']}/{name}"


def run_output_prefix(job: dict[str, Any], attempt: int) -> str:
    """Where a run of the job on an `apexlocal worker` stores its files: a folder per attempt, so
    a run that lost its lease can never overwrite (or delete) the files of the run that replaced it."""
    return output_key(job, f"{attempt}/")


class EngineHost(Protocol):
    """What an engine's context is made from: the server's `Services`, or a worker's."""

    @property
    def settings(self) -> Settings: ...
    @property
    def manifest(self) -> Manifest: ...
    @property
    def models(self) -> ModelStore: ...
    @property
    def runtime(self) -> LazyRuntime: ...


class ProgressReporter(Protocol):
    """A job's progress(fraction, stage) and cancelled(), throttled by whoever reports them."""

    def __call__(self, fraction: float, stage: str) -> None: ...
    def cancelled(self) -> bool: ...


def run_job(services: Services, job_id: str) -> None:
    job = records.claim(services.db, job_id)
    if job is None:
        return  # canceled while queued, or a duplicate task
    services.events.publish(job_id)
    scratch = services.settings.data_dir / "scratch" / job_id
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        end = _execute(services, job, scratch)
    finally:
        # Out of its place before the ending is recorded (whoever sees the job end finds no scratch
        # folder of it), deleted after: freeing a folder's blocks took 3.5 ms here even when empty
        # (a disk mounted with `discard`), time the job's caller need not wait.
        ended = _set_aside(scratch)
    try:
        end()
    finally:
        shutil.rmtree(ended, ignore_errors=True)


def _set_aside(scratch: Path) -> Path:
    """Moves a job's scratch folder into `scratch/.ended/` (removed at startup like the rest of
    `scratch/` if a crash comes first); where it cannot move, it is deleted in place."""
    ended = scratch.parent / ENDED_SCRATCH / scratch.name
    try:
        ended.parent.mkdir(exist_ok=True)
        os.replace(scratch, ended)
    except OSError:
        shutil.rmtree(scratch, ignore_errors=True)
    return ended


def _execute(services: Services, job: dict[str, Any], scratch: Path) -> Callable[[], Any]:
    """Runs the engine and stores its files; returns the bookkeeping call that ends the job."""
    keeper = services.bookkeeper
    try:
        output = at_model_priority(lambda: _make(services, job, scratch))
        stored = _store(services, job, output, scratch)
    except JobCancelled:
        return lambda: keeper.finish_canceled(job)
    except (JobError, ModelError) as exc:
        log.warning("job %s failed: %s", job["id"], exc)
        message = str(exc)  # `exc` is unbound once the except block ends
        return lambda: keeper.fail(job, message)
    except Exception:
        log.exception("job %s failed", job["id"])
        return lambda: keeper.fail(job, GENERIC_ERROR)
    return lambda: _complete(services, job, stored, output)


def _make(services: Services, job: dict[str, Any], scratch: Path) -> EngineOutput:
    """The job's own work, its `prepare` and its engine's run: what runs at the models' priority."""
    entry = services.manifest.by_id()[job["model_id"]]
    ctx = _context(services, job, scratch)
    spec = json.loads(job["params"])
    job_type = services.job_types[job["type"]]
    if job_type.prepare is not None:
        job_type.prepare(services, job, spec, scratch)
    output = get_engine(job_type.engine or entry.engine).run(spec, entry, ctx)
    ctx.check_cancelled()
    return output


def _complete(services: Services, job: dict[str, Any], stored: list[dict[str, Any]], output: EngineOutput) -> None:
    if not services.bookkeeper.complete(job, stored, output.metadata):
        # Ended meanwhile (canceled at the last moment): leave no files behind.
        services.storage.delete_prefix(output_key(job, ""))


def _store(services: Services, job: dict[str, Any], output: EngineOutput, scratch: Path) -> list[dict[str, Any]]:
    """Files the engine made in the job's scratch folder are moved into storage (it is removed
    next); others (a cached file an engine hands back as it is) are copied."""
    stored = []
    for f in output.files:
        key = output_key(job, f.name)
        own = f.path.resolve().is_relative_to(scratch.resolve())
        put = services.storage.move_file if own else services.storage.put_file
        size = put(key, f.path, f.content_type)
        stored.append({"key": key, "content_type": f.content_type, "size": size, "metadata": f.metadata})
    return stored


class JobProgress:
    """Throttles an engine's per-step progress into bookkeeper writes: a new stage at once, then
    at most every PROGRESS_EVERY_S. A stage's end (1.0) is written only when due like any other
    report, not forced: the next stage or the job's ending follows it (a warm model's "loading" at
    0 and 1, a millisecond apart, were two writes and two events; a warm image job made six
    progress writes, three of them within milliseconds of the next)."""

    def __init__(self, services: Services, job_id: str) -> None:
        self.services, self.job_id = services, job_id
        self.last_at, self.last_stage = 0.0, ""
        self.cancel_checked_at, self.cancel_seen = 0.0, False

    def __call__(self, fraction: float, stage: str) -> None:
        now = time.monotonic()
        if stage != self.last_stage or now - self.last_at >= PROGRESS_EVERY_S:
            self.last_at, self.last_stage = now, stage
            self.services.bookkeeper.progress(self.job_id, fraction, stage)

    def cancelled(self) -> bool:
        now = time.monotonic()
        if not self.cancel_seen and now - self.cancel_checked_at >= 0.05:
            self.cancel_checked_at = now
            self.cancel_seen = records.cancel_requested(self.services.db, self.job_id)
        return self.cancel_seen


def _context(services: Services, job: dict[str, Any], scratch: Path) -> EngineContext:
    progress = JobProgress(services, job["id"])
    return engine_context(
        services,
        job["id"],
        scratch,
        progress=progress,
        cancelled=progress.cancelled,
        fetch_input=lambda url, field: inputs.fetch_input(
            services, job["user_id"], url, field, inputs.expected_types(field), scratch / "inputs"
        ),
    )


def engine_context(
    services: EngineHost,
    name: str,
    scratch: Path,
    *,
    progress: ProgressReporter | None = None,
    cancelled: Callable[[], bool] = lambda: False,
    fetch_input: Callable[[str, str], Path] | None = None,
) -> EngineContext:
    """An engine's context on this server's warm runtime and catalogue: for a job (`progress`
    reports into its row), or for work that is no job (a clone's transcript, a voice preview)."""
    runtime = services.runtime.get()
    return EngineContext(
        job_id=name,
        device=runtime.device,
        scratch_dir=scratch,
        model_set=services.settings.model_set,
        progress=progress if progress is not None else lambda fraction, stage: None,
        cancelled=cancelled,
        model_dir=lambda entry: ensure_model(services, entry, progress),
        runtime=runtime,
        fetch_input=fetch_input,
        manifest=services.manifest,
        writer=WriterEndpoint.from_settings(services.settings),
        cache_dir=services.settings.resolved_models_dir / "converted",
    )


def ensure_model(services: EngineHost, entry: ModelEntry, progress: ProgressReporter | None = None) -> Path:
    """The model's files, pulled first (as the job's first stage) when allowed."""
    store = services.models
    if store.is_installed(entry):
        return store.path(entry)
    if not store.may_auto_pull(entry):
        raise ModelError(f"Model {entry.id} is not installed; install it with: apexlocal models pull {entry.id}")

    def report(done: int, total: int, _name: str) -> None:
        if progress is not None:
            progress(done / total if total else 0.0, "pulling model")
            if progress.cancelled():
                raise JobCancelled()

    if progress is not None:
        progress(0.0, "pulling model")
    try:
        return store.pull(entry, report)
    except (JobCancelled, ModelError):
        raise
    except Exception as exc:
        raise ModelError(
            f"Model {entry.id} could not be downloaded ({type(exc).__name__}); "
            f"install it with: apexlocal models pull {entry.id}"
        ) from exc
