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
import queue
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

log = logging.getLogger("apexlocal.queue")

T = TypeVar("T")

_worker = threading.local()  # per queue worker: its `nice`, and its model thread once started
OWNER_CHECK_S = 5.0  # how often an idle model thread looks whether its worker has ended


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
    thread = getattr(_worker, "model_thread", None)
    if thread is None:
        thread = _worker.model_thread = ModelThread(nice, threading.current_thread())
    return thread.call(fn)


class ModelThread:
    """A thread at `nice` lower priority that runs the calls its worker hands it, one at a time; it
    ends soon after its worker thread does (a server stopped in a test process leaves none behind)."""

    def __init__(self, nice: int, owner: threading.Thread) -> None:
        self._calls: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        self._nice, self._owner = nice, owner
        threading.Thread(target=self._serve, name=f"model-{owner.name}", daemon=True).start()

    def call(self, fn: Callable[[], T]) -> T:
        done: Future[T] = Future()
        self._calls.put((fn, done))
        return done.result()

    def _serve(self) -> None:
        lower_thread_priority(self._nice)
        while True:
            try:
                fn, done = self._calls.get(timeout=OWNER_CHECK_S)
            except queue.Empty:
                if not self._owner.is_alive():
                    return
                continue
            try:
                done.set_result(fn())
            except BaseException as exc:  # the worker re-raises it, whatever it is
                done.set_exception(exc)
