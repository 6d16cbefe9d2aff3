"""Everything a running server holds, built once from the settings and passed explicitly.

`Services` is frozen: what changes while the server runs lives in objects made for it (the model
runtime made on first use, the task table filled while the app is built, the stopping flag)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from apexlocal.accounts.api_keys import Authenticator
from apexlocal.db.database import Database
from apexlocal.db.migrations import migrate
from apexlocal.jobs.bookkeeper import Bookkeeper
from apexlocal.jobs.events import JobEvents
from apexlocal.jobs.leases import Leases
from apexlocal.jobs.outcomes import Outcomes
from apexlocal.jobs.queue import Queues
from apexlocal.jobs.redis_queue import connect, redis_url
from apexlocal.jobs.remote_protocol import Keys
from apexlocal.jobs.types import JobType
from apexlocal.models.manifest import Manifest, load_manifest
from apexlocal.models.pulls import PullTracker
from apexlocal.models.store import ModelStore
from apexlocal.settings import Settings
from apexlocal.storage import make_storage
from apexlocal.storage.base import Storage
from apexlocal.storage.signing import load_or_create_secret


class LazyRuntime:
    """The warm model runtime, made on the first job: making it imports torch, which the API
    process and the CLI never need otherwise."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._runtime: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        with self._lock:
            if self._runtime is None:
                from apexlocal.engines.runtime import ModelRuntime

                self._runtime = ModelRuntime.from_settings(self._settings)
            return self._runtime

    @property
    def loaded(self) -> Any:
        """The runtime if a job made it already, else None (nothing is imported)."""
        return self._runtime


class Tasks:
    """The queue tasks of this server by name (`run_job`, `deliver_webhook`, ...), each a huey task
    wrapper: calling it enqueues. Registered while the app is built, read afterwards."""

    def __init__(self) -> None:
        self._tasks: dict[str, Callable[..., Any]] = {}

    def __setitem__(self, name: str, task: Callable[..., Any]) -> None:
        self._tasks[name] = task

    def __getitem__(self, name: str) -> Any:
        return self._tasks[name]


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: Database
    manifest: Manifest
    models: ModelStore
    storage: Storage
    file_secret: bytes
    events: JobEvents
    bookkeeper: Bookkeeper
    queues: Queues
    authenticator: Authenticator
    job_types: Mapping[str, JobType]
    runtime: LazyRuntime
    pulls: PullTracker = field(default_factory=PullTracker)
    tasks: Tasks = field(default_factory=Tasks)
    outcomes: Outcomes = field(default_factory=Outcomes)  # answers requests wait for (voice clones)
    stopping: threading.Event = field(default_factory=threading.Event)  # new jobs are refused with 503
    # With the redis queue backend: the leases of jobs that `apexlocal worker` processes run (and,
    # through it, the Redis client); None with the sqlite backend.
    leases: Leases | None = None

    @property
    def draining(self) -> bool:
        return self.stopping.is_set()

    def close(self) -> None:
        self.stopping.set()
        self.queues.stop()
        self.authenticator.close()  # writes the last-used times still pending
        self.db.close()
        if self.leases is not None:
            self.leases.redis.close()


def build_services(settings: Settings, job_types: Mapping[str, JobType]) -> Services:
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    db = Database(settings.db_path)
    migrate(db)
    manifest = load_manifest(settings.models_manifest)
    file_secret = load_or_create_secret(settings.data_dir / "file-signing.key")
    events = JobEvents()
    url = redis_url(settings) if settings.queue_backend == "redis" else None
    return Services(
        settings=settings,
        db=db,
        manifest=manifest,
        models=ModelStore(settings, manifest),
        storage=make_storage(settings, file_secret),
        file_secret=file_secret,
        events=events,
        bookkeeper=Bookkeeper(db, events),
        queues=Queues(settings.queue_dir, url),
        authenticator=Authenticator(db),
        job_types=job_types,
        runtime=LazyRuntime(settings),
        leases=Leases(connect(url), Keys(), settings.worker_lease_seconds) if url else None,
    )
