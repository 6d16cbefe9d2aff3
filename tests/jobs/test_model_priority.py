"""The threads that run models yield the CPU to the API: the gpu queue's worker lowers its own
priority (Linux), and threads it starts inherit it."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from apexlocal.jobs.queue import lower_thread_priority


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="thread priorities are per thread on Linux")
def test_a_model_thread_and_the_threads_it_starts_run_at_a_lower_priority():
    seen: dict[str, int] = {}

    def child() -> None:
        seen["child"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    def worker() -> None:
        seen["before"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        lower_thread_priority(5)
        seen["after"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        started = threading.Thread(target=child)
        started.start()
        started.join()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen["after"] == min(19, seen["before"] + 5) == seen["child"]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == seen["before"]  # this thread untouched
