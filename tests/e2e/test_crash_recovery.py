"""SIGKILL of the server mid-job, then a restart: the interrupted job is failed and refunded (its
attempts are used up), the queued one behind it runs, and the ledger balances."""

from __future__ import annotations

import time

import pytest

from tests import loopback
from tests.e2e.helpers import ledger_balanced, new_user, wait_job

pytestmark = pytest.mark.e2e


def _post(server, key, **fields):
    r = loopback.post(
        f"{server.url}/api/generate/image",
        headers={"Authorization": f"Bearer {key}"},
        json={"prompt": "slow", **fields},
        timeout=30,
    )
    assert r.status_code == 202, r.text
    return r.json()["data"]["jobId"]


def test_sigkill_mid_job_then_restart(server_factory):
    server = server_factory(APEXLOCAL_JOB_MAX_ATTEMPTS="1").start()
    key = new_user(server.data_dir, "crash@example.com", credits=100, env=server.env)
    headers = {"Authorization": f"Bearer {key}"}
    slow = _post(server, key, width=2048, height=2048, steps=50)
    queued = _post(server, key, width=256, height=256, steps=2)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = loopback.get(f"{server.url}/api/jobs/{slow}", headers=headers).json()["data"]
        if job["status"] == "processing" and job["stage"] == "denoising":
            break
        time.sleep(0.05)
    else:
        raise AssertionError(f"the slow job never started denoising: {job}")
    server.kill()

    server.start()
    failed = wait_job(server.url, key, slow)
    assert failed["status"] == "failed" and failed["creditsRefunded"] == 10
    assert failed["error"] == "Job was interrupted by a server restart"
    done = wait_job(server.url, key, queued)
    assert done["status"] == "completed" and done["outputUrl"]
    usage = loopback.get(f"{server.url}/api/usage", headers=headers).json()["data"]
    assert usage["credits"] == 90
    ledger_balanced(server.data_dir / "app.db")
