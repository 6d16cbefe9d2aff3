"""The huey queues, `gpu`, `io` and `clone`, each in its own SQLite file, consumed by threads of the
server process; with `queue_backend = "redis"` the `gpu` queue lives in Redis instead
(`redis_queue.py`), where `apexlocal worker` processes take jobs from it too.

Huey's stock worker polls with an exponential back-off of up to 10 s, so an idle server would pick
a new job up seconds late. Here a worker sleeps on an event that `enqueue` sets, so a job submitted
by this process starts at once; the timeout (`queue_max_idle_wait`) still finds work put in the queue
by another process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from huey import SqliteHuey
from huey.consumer import Consumer, Worker
from huey.storage import SqliteStorage

from apexlocal.db.database import private_database_file, private_dir
from apexlocal.jobs.priority import set_model_nice

log = logging.getLogger("apexlocal.queue")


class QueueStorage(SqliteStorage):
    """Huey's SQLite storage with `synchronous=NORMAL`, as app.db: huey leaves SQLite's default
    (FULL), an fsync of the WAL at every enqueue and every dequeue, on a job's way from the POST
    to its start (about 3 ms each on this machine's disk). In WAL mode NORMAL still never corrupts
    the file; a power loss may forget the last messages, which the tables of app.db, the record of
    truth, queue again at startup: unfinished jobs (recovery.py), pending webhook deliveries
    (delivery/webhooks.py). A clone's message is only ever waited for by a request that is open."""

    def _create_connection(self) -> Any:
        conn = super()._create_connection()
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn


class WakeableHuey(SqliteHuey):
    """SqliteHuey whose enqueue wakes this process's idle workers."""

    storage_class = QueueStorage

    def __init__(self, name: str, filename: Path) -> None:
        super().__init__(
            name=name, filename=str(filename), results=False, store_none=False, utc=True, journal_mode="wal", timeout=10
        )
        self.wake = threading.Event()

    def enqueue(self, task: Any) -> Any:
        result = super().enqueue(task)
        self.wake.set()
        return result


class WakeableWorker(Worker):
    """`nice`: how much lower its tasks' model work runs (`priority.at_model_priority`); the worker
    itself keeps the server's priority."""

    def __init__(self, *args: Any, wake: threading.Event, nice: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.wake = wake
        self.nice = nice

    def loop(self, now: Any = None) -> None:
        set_model_nice(self.nice)
        # Clear before looking: an enqueue after this point leaves the event set, so the sleep
        # below returns at once instead of missing it.
        self.wake.clear()
        super().loop(now)

    def sleep(self) -> None:
        if not self.stop_flag.is_set():
            self.wake.wait(self.max_delay)


class InProcessConsumer(Consumer):
    """A huey consumer run by threads of the server: no signal handlers (only the main thread may
    install them; the server owns them), stopped by the app's shutdown hook. It runs no periodic
    tasks: none is registered, and with Redis only one process may run them."""

    def __init__(self, huey: Any, workers: int, idle_wait: float, nice: int = 0) -> None:
        self.nice = nice
        super().__init__(
            huey,
            workers=workers,
            periodic=False,
            initial_delay=idle_wait,
            backoff=1.0,
            max_delay=idle_wait,
            worker_type="thread",
            check_worker_health=False,
            scheduler_interval=1,
        )

    def _create_worker(self) -> Worker:
        return WakeableWorker(
            huey=self.huey,
            stop_flag=self.stop_flag,
            default_delay=self.default_delay,
            max_delay=self.max_delay,
            backoff=self.backoff,
            max_tasks=self.max_tasks,
            wake=self.huey.wake,
            nice=self.nice,
        )

    def _set_signal_handlers(self) -> None:
        pass

    def shutdown(self, timeout: float = 30.0) -> None:
        self.shutdown_timeout = timeout
        self.stop_flag.set()
        self.huey.wake.set()
        self.stop(graceful=True)


QUEUES = ("gpu", "io", "clone")


def register_task(huey: Any, queue: str, name: str, fn: Callable[..., Any]) -> Any:
    """Registers `fn` as the task `name` of `huey`. Huey finds a message's task by the function's
    module and the name; the module is fixed here, so that a worker process, which registers a
    function of its own, runs the messages the server enqueues."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    call.__module__ = f"apexlocal.queues.{queue}"
    return huey.task(name=name, retries=0)(call)


class Queues:
    """The huey instances of one data dir, and their consumers: `gpu` (jobs that run models), `io`
    (webhooks, model downloads) and `clone` (voice clones, answered while the client waits). With a
    `redis_url`, the `gpu` queue is the one in that Redis."""

    def __init__(self, queue_dir: Path, redis_url: str | None = None) -> None:
        # The queue files are the data dir's like app.db: private to the server's user.
        private_dir(queue_dir)
        self.by_name: dict[str, Any] = {
            name: WakeableHuey(name, private_database_file(queue_dir / f"{name}.db"))
            for name in QUEUES
            if not (redis_url and name == "gpu")
        }
        if redis_url:
            from apexlocal.jobs.redis_queue import RedisQueueHuey

            self.by_name["gpu"] = RedisQueueHuey("gpu", redis_url)
        self.gpu, self.io, self.clone = (self.by_name[name] for name in QUEUES)
        self._consumers: list[InProcessConsumer] = []

    def task(self, queue: str, name: str, fn: Callable[..., Any]) -> Any:
        """Registers `fn` as a task of `queue`; returns the huey task wrapper (call it to enqueue)."""
        return register_task(self.by_name[queue], queue, name, fn)

    def start(self, workers: dict[str, int], idle_wait: float, gpu_nice: int = 0) -> None:
        """Starts a consumer for each queue given a positive number of worker threads; the models
        that the `gpu` queue's tasks run get `gpu_nice` more niceness (jobs/priority.py)."""
        for name, count in workers.items():
            huey = self.by_name[name]
            if count > 0:
                consumer = InProcessConsumer(huey, count, idle_wait, gpu_nice if name == "gpu" else 0)
                consumer.start()
                self._consumers.append(consumer)

    def running(self) -> bool:
        return bool(self._consumers) and not any(c.stop_flag.is_set() for c in self._consumers)

    def stop(self, timeout: float = 30.0) -> None:
        for consumer in self._consumers:
            consumer.shutdown(timeout)
        self._consumers.clear()
