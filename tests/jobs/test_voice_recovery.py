"""A restart fails and refunds what could not survive it: a streamed speech job (its client is
gone) and a voice clone that was charged but not finished."""

from __future__ import annotations

import pytest

from apexlocal.accounts import credits
from apexlocal.db import voices as voices_db
from apexlocal.jobs import records
from apexlocal.jobs.recovery import INTERRUPTED, reconcile
from apexlocal.jobs.services import build_services
from tests.conftest import add_account, make_settings


@pytest.fixture
def services(tmp_path):
    services = build_services(make_settings(tmp_path / "d", tmp_path / "m"))
    enqueued: list[str] = []
    services.tasks["run_job"] = enqueued.append
    services.enqueued = enqueued
    yield services
    services.db.close()


def test_interrupted_streams_and_clones_are_refunded(services):
    user = add_account(services.db, services.settings, "r@example.com", credits=200)
    db = services.db
    with db.write():
        credits.debit_for_job(db, user.id, "job-1", 80, "voice")
        records.insert(db, job_id="job-1", user_id=user.id, job_type="voice", queue="stream", params={"text": "x"},
                       model="tts-1", model_id="piper-joe-medium", cost=80)
        records.claim(db, "job-1")
        credits.debit_for_job(db, user.id, "vc_1", 80, "voice-clone")
        voices_db.insert_pending(db, "vc_1", user.id, "Mine", 80)
    assert credits.balance(db, user.id) == 40
    reconcile(services)
    job = records.get(db, "job-1")
    assert job["status"] == "failed" and job["error"] == INTERRUPTED and services.enqueued == []
    assert voices_db.get(db, "vc_1") is None
    assert credits.balance(db, user.id) == 200 == credits.ledger_sum(db, user.id)
    reconcile(services)  # a second start refunds nothing more
    assert credits.balance(db, user.id) == 200
