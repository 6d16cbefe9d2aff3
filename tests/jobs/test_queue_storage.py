"""The queue files commit without an fsync each (SQLite's NORMAL in WAL mode, as app.db), in every
thread that touches them, and a message put in one is still taken out in order."""

from __future__ import annotations

import threading
from pathlib import Path

from apexlocal.jobs.queue import Queues

NORMAL = 1  # PRAGMA synchronous: 0 OFF, 1 NORMAL, 2 FULL (huey's default leaves FULL)


def _synchronous(huey: object) -> int:
    return int(huey.storage.sql("PRAGMA synchronous", results=True)[0][0])  # type: ignore[attr-defined]


def test_every_queue_file_commits_in_wal_mode_without_an_fsync_each(tmp_path: Path) -> None:
    queues = Queues(tmp_path / "queues")
    seen: dict[str, int] = {}

    def other_thread() -> None:  # huey opens a connection per thread
        seen["gpu"] = _synchronous(queues.gpu)

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert seen["gpu"] == NORMAL
    for name, huey in queues.by_name.items():
        assert _synchronous(huey) == NORMAL, name
        assert huey.storage.sql("PRAGMA journal_mode", results=True)[0][0] == "wal", name


def test_messages_come_out_in_the_order_they_went_in(tmp_path: Path) -> None:
    queues = Queues(tmp_path / "queues")
    ran: list[str] = []
    task = queues.task("gpu", "probe", ran.append)
    for job_id in ("a", "b", "c"):
        task(job_id)
    while (message := queues.gpu.dequeue()) is not None:
        queues.gpu.execute(message)
    assert ran == ["a", "b", "c"]
