"""Model pulls started from the API: a task on the `io` queue, and its progress kept in memory.

The pull itself is `ModelStore.pull`, the same code as `apexlocal models pull`: downloads resume,
files are verified, a lock keeps two pulls of one model apart. Progress lives in this process only
(the io workers are its threads); a restart forgets it, and pulling again resumes from the files
already on disk.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from apexlocal.errors import ModelError
from apexlocal.models.manifest import ModelEntry
from apexlocal.models.store import ModelStore
from apexlocal.timestamps import utcnow

log = logging.getLogger("apexlocal.models")

TASK = "pull_model"
ACTIVE = ("queued", "running")


@dataclass
class PullState:
    status: str = "queued"  # queued, running, completed, failed
    downloaded: int = 0  # bytes of every file seen so far
    total: int = 0  # expected bytes; 0 while unknown (a tiny stand-in is built, not downloaded)
    file: str = ""
    error: str | None = None
    queued_at: str = field(default_factory=utcnow)
    started_at: str | None = None
    finished_at: str | None = None
    version: int = 0  # bumped at every change, so a stream sends only what is new

    def view(self) -> dict[str, Any]:
        data = asdict(self)
        data["progress"] = min(1.0, self.downloaded / self.total) if self.total else None
        return {_camel(k): v for k, v in data.items()}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class PullTracker:
    """The state of each model's latest pull, shared by the io workers and the request handlers."""

    def __init__(self) -> None:
        self._states: dict[str, PullState] = {}
        self._lock = threading.Lock()

    def get(self, model_id: str) -> dict[str, Any] | None:
        with self._lock:
            state = self._states.get(model_id)
            return state.view() if state else None

    def active(self, model_id: str) -> bool:
        with self._lock:
            state = self._states.get(model_id)
            return state is not None and state.status in ACTIVE

    def begin(self, model_id: str) -> bool:
        """Records a queued pull; False when one is queued or running already."""
        with self._lock:
            state = self._states.get(model_id)
            if state is not None and state.status in ACTIVE:
                return False
            self._states[model_id] = PullState(version=(state.version + 1) if state else 1)
            return True

    def update(self, model_id: str, **changes: Any) -> None:
        with self._lock:
            state = self._states.setdefault(model_id, PullState())
            for name, value in changes.items():
                setattr(state, name, value)
            state.version += 1


class _Progress:
    """Turns the store's per-file callback into one running total."""

    def __init__(self, tracker: PullTracker, model_id: str, expected: int) -> None:
        self.tracker, self.model_id, self.expected = tracker, model_id, expected
        self.files: dict[str, tuple[int, int]] = {}
        self._last = 0.0

    def __call__(self, done: int, total: int, path: str) -> None:
        self.files[path] = (done, total)
        now = time.monotonic()
        if now - self._last < 0.2 and done < total:
            return  # a multi-gigabyte file calls back thousands of times; readers poll a few times a second
        self._last = now
        downloaded = sum(d for d, _ in self.files.values())
        seen_total = sum(t for _, t in self.files.values())
        self.tracker.update(self.model_id, downloaded=downloaded, total=max(self.expected, seen_total), file=path)


def run_pull(store: ModelStore, entry: ModelEntry | None, tracker: PullTracker, model_id: str) -> None:
    """Pulls one model, recording its progress and ending in the tracker. Runs as an `io` task."""
    if entry is None:
        tracker.update(model_id, status="failed", error="unknown model", finished_at=utcnow())
        return
    # The manifest's bytes of the files a pull selects (0 for a packaged model, which downloads nothing).
    expected = entry.source.download_bytes if store.settings.model_set == "full" else 0
    tracker.update(model_id, status="running", started_at=utcnow(), total=expected)
    try:
        store.pull(entry, progress=_Progress(tracker, model_id, expected))
    except ModelError as exc:
        tracker.update(model_id, status="failed", error=str(exc), finished_at=utcnow())
        return
    except Exception:
        log.exception("pulling %s failed", model_id)
        tracker.update(
            model_id, status="failed", error="The pull failed; the server log says why", finished_at=utcnow()
        )
        return
    size = store.status(entry)["size_bytes"]
    tracker.update(model_id, status="completed", finished_at=utcnow(), downloaded=size, total=size)


def start_pull(tracker: PullTracker, enqueue: Callable[[str], Any], model_id: str) -> bool:
    """Queues a pull unless one is queued or running; True when this call queued it."""
    if not tracker.begin(model_id):
        return False
    enqueue(model_id)
    return True
