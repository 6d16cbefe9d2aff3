"""Where models run at a lower scheduling priority than the rest of the server (Linux: priorities
are per thread). A `gpu` queue worker keeps the server's priority, so that its pickup of a job and
the job's ending (storing, bookkeeping, the event) wait for the CPU no longer than the API does;
the engine's run goes to the worker's own model thread, `model_worker_nice` lower, as are the
compute threads torch starts from it. Under other load a worker niced whole started jobs and
ended them late: each of its wake-ups (after a queue read, an fsync, a lock) queued behind every
busier program."""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

log = logging.getLogger("apexlocal.queue")

T = TypeVar("T")

_worker = threading.local()  # per queue worker: its `nice`, and its model thread once started


def lower_thread_priority(nice: int) -> None:
    """Raises the calling thread's nice value by `nice` (Linux: priorities are per thread). Threads it
    starts afterwards inherit it: torch's compute threads, started by the first job, then yield the
    CPU to the event loop and the request threads whenever both want it."""
    if not sys.platform.startswith("linux"):
        return
    tid = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + nice))
    except OSError:
        log.warning("could not lower the priority of a model worker thread")


def set_model_nice(nice: int) -> None:
    """Called by a queue worker: what `at_model_priority` runs from this thread runs `nice` lower."""
    _worker.nice = nice


def at_model_priority(fn: Callable[[], T]) -> T:
    """`fn()` in the calling worker's model thread (one per worker, started on first use, so torch's
    thread pool keeps its priority); in the calling thread itself where no lower priority is set."""
    nice = getattr(_worker, "nice", 0)
    if nice == 0 or not sys.platform.startswith("linux"):
        return fn()
    executor = getattr(_worker, "executor", None)
    if executor is None:
        executor = _worker.executor = ThreadPoolExecutor(
            1, thread_name_prefix="model", initializer=lower_thread_priority, initargs=(nice,)
        )
    return executor.submit(fn).result()
