"""A real server process, SIGKILLed between two attempts of a webhook delivery and started again:
the remaining attempts still happen, on schedule, under the same webhook-id, and no attempt runs
twice."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook

from tests import loopback
from tests.conftest import free_port
from tests.webhooks.servers import Server, status

pytestmark = pytest.mark.e2e

DELAYS = (1.0, 3.0, 3.0)


def _deliveries(server, headers) -> list[dict]:
    return loopback.get(f"{server.url}/api/webhooks/deliveries", headers=headers, timeout=10).json()["data"]


def _wait(check, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout}s")


def _started(attempt: dict) -> float:
    return datetime.strptime(attempt["startedAt"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()


def test_pending_retries_survive_a_sigkill(server_factory):
    hook_port = free_port()
    server = server_factory(
        APEXLOCAL_WEBHOOK_RETRY_DELAYS=",".join(f"{d:g}" for d in DELAYS), APEXLOCAL_WEBHOOKS_ALLOW_PRIVATE="1"
    ).start()
    headers = {"Authorization": f"Bearer {server.read_owner_key()}"}
    hook = f"http://127.0.0.1:{hook_port}/hook"
    r = loopback.patch(f"{server.url}/api/settings", json={"webhookUrl": hook}, headers=headers)
    assert r.status_code == 200, r.text
    secret = loopback.get(f"{server.url}/api/settings", headers=headers).json()["data"]["webhookSecret"]
    r = loopback.post(
        f"{server.url}/api/generate/image",
        headers=headers,
        timeout=30,
        json={"prompt": "a lighthouse", "width": 256, "height": 256, "steps": 1},
    )
    assert r.status_code == 202, r.text

    # Nothing listens on the hook port yet: attempts 1 and 2 fail to connect.
    def two_attempts_logged():
        rows = _deliveries(server, headers)
        attempts = rows[0]["attempts"] if rows else []
        return rows if len(attempts) == 2 and attempts[1]["error"] else None

    [before] = _wait(two_attempts_logged, timeout=240)
    server.kill()
    assert before["status"] == "pending" and before["event"] == "job.completed"

    receiver = Server(status(500), port=hook_port)
    try:
        server.start()
        [after] = _wait(lambda: [d for d in _deliveries(server, headers) if d["status"] != "pending"], timeout=60)
    finally:
        receiver.close()

    assert after["id"] == before["id"] and after["status"] == "failed"
    assert [a["attempt"] for a in after["attempts"]] == [1, 2, 3, 4]
    assert [a["statusCode"] for a in after["attempts"]] == [None, None, 500, 500]
    starts = [_started(a) for a in after["attempts"]]
    for gap, delay in zip([b - a for a, b in itertools.pairwise(starts)], DELAYS, strict=True):
        assert gap >= delay - 0.05, starts
    # Exactly the two remaining attempts reached the receiver, as the same signed message.
    assert len(receiver.requests) == 2
    assert {seen.headers["webhook-id"] for seen in receiver.requests} == {before["webhookId"]}
    assert receiver.requests[0].body == receiver.requests[1].body
    for seen in receiver.requests:
        payload = Webhook(secret).verify(seen.body, {k: v for k, v in seen.headers.items() if k.startswith("webhook-")})
        assert payload["event"] == "job.completed" and payload["data"]["jobId"] == after["jobId"]
