"""Startup reconciliation: queued jobs run again, interrupted ones resume while they have attempts
left and are failed and refunded after that; no debit is left without an ending."""

from __future__ import annotations

import pytest

from apexlocal.accounts import credits
from apexlocal.app import build_services
from apexlocal.jobs.recovery import INTERRUPTED, reconcile
from apexlocal.jobs.submit import Submission, submit
from apexlocal.timestamps import utcnow
from tests.conftest import add_account, make_settings


@pytest.fixture
def services_and_queue(tmp_path):
    settings = make_settings(tmp_path / "d", tmp_path / "m", job_max_attempts=2)
    services = build_services(settings)
    enqueued: list[str] = []
    services.tasks["run_job"] = enqueued.append
    yield services, enqueued
    services.db.close()


def _job(services, user, status, attempts=0, cancel=False):
    from apexlocal.accounts.users import get_user

    sub = Submission("image", {"prompt": "p"}, None, None, "h")
    job_id = submit(services, get_user(services.db, user.id), sub)[1]["data"]["jobId"]
    with services.db.write():
        services.db.conn.execute(
            "UPDATE jobs SET status = ?, attempts = ?, cancel_requested = ?, started_at = ? WHERE id = ?",
            (status, attempts, int(cancel), utcnow(), job_id),
        )
    return job_id


def test_reconcile(services_and_queue):
    services, enqueued = services_and_queue
    user = add_account(services.db, services.settings, "r@example.com", credits=100)
    queued = _job(services, user, "queued")
    resumable = _job(services, user, "processing", attempts=1)
    exhausted = _job(services, user, "processing", attempts=2)
    canceling = _job(services, user, "processing", attempts=1, cancel=True)
    enqueued.clear()
    counts = reconcile(services)
    assert counts == {"requeued": 1, "resumed": 1, "failed": 1, "canceled": 1}
    assert enqueued == [queued, resumable]
    status = {r["id"]: r for r in services.db.all("SELECT * FROM jobs")}
    assert status[queued]["status"] == status[resumable]["status"] == "queued"
    assert status[exhausted]["status"] == "failed" and status[exhausted]["error"] == INTERRUPTED
    assert status[canceling]["status"] == "canceled"
    assert credits.balance(services.db, user.id) == 80 == credits.ledger_sum(services.db, user.id)
    assert reconcile(services)["failed"] == 0  # a second start changes nothing more
    assert credits.balance(services.db, user.id) == 80
