"""Everything a running server holds, built once from the settings and passed explicitly."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from apexlocal.accounts.api_keys import Authenticator
from apexlocal.db.database import Database
from apexlocal.db.migrations import migrate
from apexlocal.jobs.bookkeeper import Bookkeeper
from apexlocal.jobs.events import JobEvents
from apexlocal.jobs.queue import Queues
from apexlocal.models.manifest import Manifest, load_manifest
from apexlocal.models.store import ModelStore
from apexlocal.settings import Settings
from apexlocal.storage import make_storage
from apexlocal.storage.base import Storage
from apexlocal.storage.signing import load_or_create_secret


@dataclass
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
    runtime: Any = None  # engines.runtime.ModelRuntime, made on first job (it may import torch)
    tasks: dict[str, Any] = field(default_factory=dict)  # huey task wrappers by name
    draining: bool = False  # set at shutdown: new jobs are refused with 503

    def close(self) -> None:
        self.draining = True
        self.queues.stop()
        self.db.close()


def build_services(settings: Settings) -> Services:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.db_path)
    migrate(db)
    manifest = load_manifest(settings.models_manifest)
    file_secret = load_or_create_secret(settings.data_dir / "file-signing.key")
    events = JobEvents()
    return Services(
        settings=settings,
        db=db,
        manifest=manifest,
        models=ModelStore(settings, manifest),
        storage=make_storage(settings, file_secret),
        file_secret=file_secret,
        events=events,
        bookkeeper=Bookkeeper(db, events),
        queues=Queues(settings.queue_dir),
        authenticator=Authenticator(db),
    )
