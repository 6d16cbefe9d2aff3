"""Startup rebuilds the webhook schedule from the deliveries table: due attempts are queued, later
ones scheduled, an attempt cut short by a crash is logged and counted, none is made twice."""

from __future__ import annotations

import time

import pytest

from apexlocal.app import build_services
from apexlocal.db import deliveries
from apexlocal.delivery import webhooks
from tests.conftest import add_account, make_settings


@pytest.fixture
def services(tmp_path):
    services = build_services(make_settings(tmp_path / "d", tmp_path / "m", webhook_retry_delays="10,60"))
    yield services
    services.db.close()


def _delivery(services, user_id: str, first_at: float) -> str:
    return deliveries.create(
        services.db,
        webhook_id="msg_test",
        user_id=user_id,
        job_id="job-1",
        event="job.completed",
        payload=b"{}",
        url="https://hooks.example.com/",
        max_attempts=3,
        first_at=first_at,
    )


def _queued(huey) -> list[tuple]:
    return sorted(task.args for task in huey.pending() + huey.scheduled())


def test_resume_queues_due_schedules_later_and_closes_interrupted_attempts(services):
    user = add_account(services.db, services.settings, "r@example.com")
    now = time.time()
    due = _delivery(services, user.id, now - 5)
    later = _delivery(services, user.id, now + 30)
    cut_short = _delivery(services, user.id, now)
    assert deliveries.claim(services.db, cut_short, 1) is not None  # then the process died
    last = _delivery(services, user.id, now)
    with services.db.write():
        services.db.conn.execute("UPDATE webhook_deliveries SET attempts = 2 WHERE id = ?", (last,))
    assert deliveries.claim(services.db, last, 3) is not None  # the final attempt, cut short

    services.queues.io.enqueue(services.tasks[webhooks.TASK].s("stale", 1))
    counts = webhooks.resume_deliveries(services)

    assert counts == {"scheduled": 3, "interrupted": 2, "failed": 1}
    assert _queued(services.queues.io) == sorted([(due, 1), (later, 1), (cut_short, 2)])
    # Only the due one runs at once; huey holds the others until their time.
    assert sorted(t.args for t in services.queues.io.pending() if t.eta is None) == [(due, 1)]
    row = deliveries.get(services.db, cut_short)
    assert row is not None and row["status"] == "pending" and row["attempts"] == 1
    assert row["next_attempt_at"] == pytest.approx(now + 10, abs=2)
    interrupted = deliveries.last_attempt(services.db, cut_short)
    assert interrupted is not None and interrupted["error"] == deliveries.INTERRUPTED
    ended = deliveries.get(services.db, last)
    assert ended is not None and ended["status"] == "failed" and ended["next_attempt_at"] is None

    # A stale or duplicate task finds nothing to do; nothing is sent twice.
    assert webhooks.attempt(services, cut_short, 1) is None
    assert webhooks.attempt(services, last, 3) is None
    assert webhooks.attempt(services, later, 1) is None  # early: put back on the schedule, not sent
    early = deliveries.get(services.db, later)
    assert early is not None and early["attempts"] == 0


def test_claim_takes_each_attempt_once(services):
    user = add_account(services.db, services.settings, "c@example.com")
    delivery = _delivery(services, user.id, time.time())
    assert deliveries.claim(services.db, delivery, 2) is None  # not its turn
    assert deliveries.claim(services.db, delivery, 1) is not None
    assert deliveries.claim(services.db, delivery, 1) is None
    rows = services.db.all("SELECT * FROM webhook_attempts WHERE delivery_id = ?", (delivery,))
    assert [r["attempt"] for r in rows] == [1]
