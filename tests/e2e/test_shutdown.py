"""SIGTERM: the server stops taking jobs, lets the running one finish, and exits cleanly; whatever was
still queued runs after the next start."""

from __future__ import annotations

import signal

import pytest

from tests import loopback
from tests.e2e.helpers import ledger_balanced, new_user, wait_job

pytestmark = pytest.mark.e2e


def test_graceful_shutdown_and_resume(server_factory):
    server = server_factory().start()
    key = new_user(server.data_dir, "term@example.com", credits=100, env=server.env)
    headers = {"Authorization": f"Bearer {key}"}
    ids = [
        loopback.post(
            f"{server.url}/api/generate/image",
            headers=headers,
            timeout=30,
            json={"prompt": f"p{i}", "width": 512, "height": 512, "steps": 8},
        ).json()["data"]["jobId"]
        for i in range(3)
    ]
    server.proc.send_signal(signal.SIGTERM)
    # uvicorn shuts down gracefully, then re-raises the signal so the exit status reports it.
    assert server.proc.wait(60) in (0, -signal.SIGTERM)
    log = (server.data_dir.parent / f"server-{server.port}.log").read_text()
    assert "Finished server process" in log and "Traceback" not in log
    server.start()
    for job_id in ids:
        assert wait_job(server.url, key, job_id)["status"] == "completed"
    ledger_balanced(server.data_dir / "app.db")
