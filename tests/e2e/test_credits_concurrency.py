"""50 concurrent requests from a user with credits for 3 give exactly 3 jobs, against a real server."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests import loopback
from tests.e2e.helpers import ledger_balanced, new_user

pytestmark = pytest.mark.e2e


def test_fifty_concurrent_requests_with_credits_for_three(server_factory):
    server = server_factory(APEXLOCAL_RATE_LIMITS="generation=1000/10,read=1000/10", APEXLOCAL_GPU_WORKERS="0").start()
    key = new_user(server.data_dir, "burst@example.com", credits=30, env=server.env)
    headers = {"Authorization": f"Bearer {key}"}

    def post(i: int) -> int:
        with loopback.client(timeout=60) as client:
            return client.post(
                f"{server.url}/api/generate/image",
                headers=headers,
                json={"prompt": f"burst {i}", "width": 256, "height": 256},
            ).status_code

    with ThreadPoolExecutor(50) as pool:
        codes = list(pool.map(post, range(50)))
    assert sorted(codes) == [202] * 3 + [402] * 47
    usage = loopback.get(f"{server.url}/api/usage", headers=headers).json()["data"]
    assert usage["credits"] == 0 and usage["used"]["images"] == 3
    jobs = loopback.get(f"{server.url}/api/jobs", headers=headers).json()["data"]
    assert len(jobs) == 3
    ledger_balanced(server.data_dir / "app.db")
    conn = sqlite3.connect(server.data_dir / "app.db")
    total = conn.execute(
        "SELECT sum(amount) FROM ledger l JOIN users u ON u.id = l.user_id WHERE u.email = 'burst@example.com'"
    ).fetchone()[0]
    assert total == 0
