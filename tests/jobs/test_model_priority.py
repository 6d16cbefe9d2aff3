"""The threads that run models yield the CPU to the API: a gpu queue worker runs its job's model work
in a model thread of lower priority (Linux), whose own threads inherit it, while the worker itself,
which picks jobs up and ends them, keeps the server's priority."""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

import pytest

from apexlocal.jobs import priority
from apexlocal.jobs.priority import at_model_priority, lower_thread_priority, set_model_nice


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


def _priority() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="thread priorities are per thread on Linux")
def test_a_worker_runs_model_work_in_its_own_lower_priority_thread_and_keeps_its_priority() -> None:
    seen: dict[str, Any] = {}

    def worker() -> None:
        seen["worker"] = _priority()
        set_model_nice(3)
        seen["model"] = [at_model_priority(lambda: (threading.get_ident(), _priority())) for _ in range(2)]
        seen["worker after"] = _priority()
        seen["worker id"] = threading.get_ident()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    (first_id, first), (second_id, second) = seen["model"]
    assert first == second == min(19, seen["worker"] + 3) and seen["worker after"] == seen["worker"]
    assert first_id == second_id != seen["worker id"]  # one model thread per worker, kept


def test_without_a_lower_priority_model_work_runs_in_the_calling_thread() -> None:
    seen: dict[str, int] = {}

    def worker() -> None:
        set_model_nice(0)
        seen["model"] = at_model_priority(threading.get_ident)
        seen["worker"] = threading.get_ident()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen["model"] == seen["worker"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="thread priorities are per thread on Linux")
def test_model_work_raises_in_its_worker_and_the_model_thread_ends_with_the_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(priority, "OWNER_CHECK_S", 0.05)
    seen: dict[str, Any] = {}

    def fail() -> None:
        seen["model thread"] = threading.current_thread()
        raise ValueError("prompt: must be a non-empty string")

    def worker() -> None:
        set_model_nice(2)
        with pytest.raises(ValueError, match="non-empty") as raised:
            at_model_priority(fail)
        seen["raised"] = raised.value

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert isinstance(seen["raised"], ValueError)
    seen["model thread"].join(timeout=5)
    assert not seen["model thread"].is_alive()
