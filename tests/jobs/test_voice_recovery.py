"""A restart fails and refunds what could not survive it: a streamed speech job (its client is
gone) and a voice clone that was charged but not finished."""

from __future__ import annotations

import pytest

from apexlocal.accounts import credits
from apexlocal.app import build_services, recover
from apexlocal.db import jobs as records
from apexlocal.db import voices as voices_db
from apexlocal.jobs.recovery import INTERRUPTED
from tests.conftest import add_account, make_settings


@pytest.fixture
def services_and_queue(tmp_path):
    services = build_services(make_settings(tmp_path / "d", tmp_path / "m"))
    enqueued: list[str] = []
    services.tasks["run_job"] = enqueued.append
    yield services, enqueued
    services.db.close()


def test_interrupted_streams_and_clones_are_refunded(services_and_queue):
    services, enqueued = services_and_queue
    user = add_account(services.db, services.settings, "r@example.com", credits=200)
    db = services.db
    with db.write():
        credits.debit_for_job(db, user.id, "job-1", 80, "voice")
        records.insert(
            db,
            job_id="job-1",
            user_id=user.id,
            job_type="voice",
            queue="stream",
            params={"text": "x"},
            model="tts-1",
            model_id="piper-joe-medium",
            cost=80,
        )
        records.claim(db, "job-1")
        credits.debit_for_job(db, user.id, "vc_1", 80, "voice-clone")
        voices_db.insert_pending(db, "vc_1", user.id, "Mine", 80)
    assert credits.balance(db, user.id) == 40
    recover(services)
    job = records.get(db, "job-1")
    assert job is not None and job["status"] == "failed" and job["error"] == INTERRUPTED and enqueued == []
    assert voices_db.get(db, "vc_1") is None
    assert credits.balance(db, user.id) == 200 == credits.ledger_sum(db, user.id)
    recover(services)  # a second start refunds nothing more
    assert credits.balance(db, user.id) == 200
