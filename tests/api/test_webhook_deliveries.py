"""Webhook deliveries end to end in one process: a real receiver on loopback verifies every delivery
with the `standardwebhooks` package; retries follow the configured delays; redeliver; ownership."""

from __future__ import annotations

import itertools
import json
import re
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from apexlocal.engines import registry
from apexlocal.webhooks import sign
from tests.api.webhook_helpers import FakeEngine, deliveries, ended, submit_image, wait_until
from tests.conftest import add_account, free_port, make_settings, wait_for_job
from tests.webhooks.servers import Respond, Server, status

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
DELAYS = (1.0, 2.0, 3.0)


@pytest.fixture
def hook_client(tmp_path, models_dir, monkeypatch):
    from litestar.testing import TestClient

    from apexlocal.app import create_app

    settings = make_settings(
        tmp_path / "data",
        models_dir,
        webhooks_allow_private=True,
        webhook_retry_delays=",".join(f"{d:g}" for d in DELAYS),
    )
    app = create_app(settings)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        client.services = app.state.services
        client.settings = settings
        yield client


@pytest.fixture
def engine(monkeypatch):
    def install(fake: FakeEngine) -> FakeEngine:
        monkeypatch.setitem(registry._instances, "diffusers-image", fake)
        return fake

    return install


@pytest.fixture
def receivers():
    started: list[Server] = []

    def start(respond: Respond | None = None, port: int = 0) -> Server:
        server = Server(respond or status(200), port=port)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


def _hook(client, account, url: str) -> str:
    r = client.patch("/api/settings", json={"webhookUrl": url}, headers=account.headers)
    assert r.status_code == 200 and r.json() == {"data": {"webhookUrl": url}}, r.text
    return client.get("/api/settings", headers=account.headers).json()["data"]["webhookSecret"]


def _headers(seen) -> dict[str, str]:
    return {k: v for k, v in seen.headers.items() if k.startswith("webhook-")}


def test_every_delivery_verifies_and_has_the_seed_shape(hook_client, engine, receivers):
    account = add_account(hook_client.services.db, hook_client.settings, "hooks@example.com")
    receiver = receivers()
    secret = _hook(hook_client, account, receiver.url("/hook"))
    engine(FakeEngine())
    done = wait_for_job(hook_client, submit_image(hook_client, account.headers), account.headers)
    engine(FakeEngine(fail=RuntimeError("CUDA out of memory at /secret/path")))
    failed = wait_for_job(hook_client, submit_image(hook_client, account.headers), account.headers)
    wait_until(lambda: len(receiver.requests) >= 2)

    verified = [Webhook(secret).verify(seen.body, _headers(seen)) for seen in receiver.requests]
    by_event = {p["event"]: p for p in verified}
    assert set(by_event) == {"job.completed", "job.failed"}

    ok = by_event["job.completed"]
    assert ISO.match(ok["timestamp"])
    data = ok["data"]
    assert data["jobId"] == done["jobId"] and data["type"] == "image" and data["status"] == "completed"
    assert data["outputType"] == "image/png" and ISO.match(data["createdAt"]) and ISO.match(data["completedAt"])
    assert ok["timestamp"] == data["completedAt"]
    assert data["metadata"]["model"] == "flux-2-pro" and data["metadata"]["width"] == 256
    assert data["outputUrl"].startswith("http://127.0.0.1:8000/files/outputs/")
    download = hook_client.get(data["outputUrl"].removeprefix("http://127.0.0.1:8000"))
    assert download.status_code == 200 and download.content.startswith(b"\x89PNG")

    bad = by_event["job.failed"]["data"]
    assert bad["jobId"] == failed["jobId"] and bad["status"] == "failed"
    assert bad["error"] == "Generation failed" and "secret" not in json.dumps(bad)
    assert bad["creditsRefunded"] == 10 and ISO.match(bad["failedAt"]) and bad["outputUrl"] is None

    seen = receiver.requests[0]
    assert seen.headers["content-type"] == "application/json"
    assert seen.headers["webhook-id"].startswith("msg_")
    changed = bytearray(seen.body)
    changed[len(changed) // 2] ^= 0x01
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(bytes(changed), _headers(seen))
    stale = sign.headers(secret, seen.headers["webhook-id"], int(time.time()) - 360, seen.body)
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(seen.body, stale)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(seen.body, {**_headers(seen), "webhook-timestamp": stale["webhook-timestamp"]})

    log = wait_until(lambda: ended(hook_client, account.headers, 2))
    assert [d["status"] for d in log] == ["succeeded", "succeeded"]
    assert [d["event"] for d in log] == ["job.failed", "job.completed"]  # newest first
    assert all(len(d["attempts"]) == 1 and d["attempts"][0]["statusCode"] == 200 for d in log)


def _starts(delivery) -> list[float]:
    return [
        datetime.strptime(a["startedAt"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()
        for a in delivery["attempts"]
    ]


def _assert_spaced(times: list[float]) -> None:
    gaps = [b - a for a, b in itertools.pairwise(times)]
    for gap, delay in zip(gaps, DELAYS, strict=True):
        # huey's scheduler looks once a second, so an attempt may come up to a second late.
        assert delay - 0.05 <= gap < delay + 2.5, gaps


def test_four_attempts_spaced_by_the_delays_when_the_receiver_is_down_or_failing(hook_client, engine, receivers):
    db, settings = hook_client.services.db, hook_client.settings
    down = add_account(db, settings, "down@example.com")
    failing = add_account(db, settings, "failing@example.com")
    receiver = receivers(status(500))
    _hook(hook_client, down, f"http://127.0.0.1:{free_port()}/hook")
    secret = _hook(hook_client, failing, receiver.url("/hook"))
    engine(FakeEngine())
    submit_image(hook_client, down.headers)
    submit_image(hook_client, failing.headers)

    for account in (down, failing):
        [delivery] = wait_until(lambda headers=account.headers: ended(hook_client, headers), timeout=30)
        assert delivery["status"] == "failed" and delivery["attemptCount"] == 4
        assert [a["attempt"] for a in delivery["attempts"]] == [1, 2, 3, 4]
        _assert_spaced(_starts(delivery))
    [gone] = deliveries(hook_client, down.headers)
    assert {(a["statusCode"], a["error"]) for a in gone["attempts"]} == {
        (None, "webhookUrl: could not connect to the server")
    }
    [refused] = deliveries(hook_client, failing.headers)
    assert {(a["statusCode"], a["error"]) for a in refused["attempts"]} == {(500, "HTTP 500")}
    assert all(a["durationMs"] is not None and a["durationMs"] >= 0 for a in refused["attempts"])

    assert len(receiver.requests) == 4
    assert {seen.headers["webhook-id"] for seen in receiver.requests} == {refused["webhookId"]}
    assert len({seen.body for seen in receiver.requests}) == 1
    assert len({seen.headers["webhook-timestamp"] for seen in receiver.requests}) >= 3  # signed per attempt
    for seen in receiver.requests:
        Webhook(secret).verify(seen.body, _headers(seen))
    io = hook_client.services.queues.io
    assert io.scheduled() == [] and io.pending() == []  # no fifth attempt waiting anywhere


def test_redeliver_with_a_rotated_secret_and_ownership(hook_client, engine, receivers):
    db = hook_client.services.db
    alice = add_account(db, hook_client.settings, "alice@example.com")
    bob = add_account(db, hook_client.settings, "bob@example.com")
    receiver = receivers()
    old_secret = _hook(hook_client, alice, receiver.url("/hook"))
    engine(FakeEngine())
    submit_image(hook_client, alice.headers)
    [first] = wait_until(lambda: ended(hook_client, alice.headers))
    assert first["status"] == "succeeded"

    r = hook_client.post("/api/settings/webhook-secret/rotate", headers=alice.headers)
    new_secret = r.json()["data"]["webhookSecret"]
    assert r.status_code == 200 and new_secret.startswith("whsec_") and new_secret != old_secret

    for path in (f"/api/webhooks/deliveries/{first['id']}/redeliver", "/api/webhooks/deliveries/whd_nope/redeliver"):
        r = hook_client.post(path, headers=bob.headers)
        assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND"
    assert deliveries(hook_client, bob.headers) == []

    r = hook_client.post(f"/api/webhooks/deliveries/{first['id']}/redeliver", headers=alice.headers)
    assert r.status_code == 202 and r.json()["data"]["status"] == "pending", r.text
    [again] = wait_until(lambda: ended(hook_client, alice.headers))
    assert again["status"] == "succeeded" and [a["attempt"] for a in again["attempts"]] == [1, 2]
    assert again["webhookId"] == first["webhookId"]

    one, two = receiver.requests
    assert one.body == two.body and one.headers["webhook-id"] == two.headers["webhook-id"]
    Webhook(new_secret).verify(two.body, _headers(two))
    with pytest.raises(WebhookVerificationError):
        Webhook(old_secret).verify(two.body, _headers(two))


def test_redeliver_while_pending_is_409_and_without_url_is_400(hook_client, engine):
    alice = add_account(hook_client.services.db, hook_client.settings, "pending@example.com")
    _hook(hook_client, alice, f"http://127.0.0.1:{free_port()}/hook")
    engine(FakeEngine())
    submit_image(hook_client, alice.headers)
    [delivery] = wait_until(lambda: deliveries(hook_client, alice.headers))
    r = hook_client.post(f"/api/webhooks/deliveries/{delivery['id']}/redeliver", headers=alice.headers)
    assert r.status_code == 409 and r.json()["code"] == "CONFLICT"
    with hook_client.services.db.write():
        hook_client.services.db.conn.execute("UPDATE webhook_deliveries SET status = 'failed'")
    hook_client.patch("/api/settings", json={"webhookUrl": None}, headers=alice.headers)
    r = hook_client.post(f"/api/webhooks/deliveries/{delivery['id']}/redeliver", headers=alice.headers)
    assert r.status_code == 400 and r.json()["error"].startswith("webhookUrl: ")


def test_no_webhook_url_means_no_delivery_and_the_list_pages(hook_client, engine, receivers):
    alice = add_account(hook_client.services.db, hook_client.settings, "pages@example.com")
    engine(FakeEngine())
    wait_for_job(hook_client, submit_image(hook_client, alice.headers), alice.headers)
    assert deliveries(hook_client, alice.headers) == []
    receiver = receivers()
    _hook(hook_client, alice, receiver.url("/hook"))
    for _ in range(3):
        wait_for_job(hook_client, submit_image(hook_client, alice.headers), alice.headers)
    wait_until(lambda: ended(hook_client, alice.headers, 3))
    page = hook_client.get("/api/webhooks/deliveries?limit=2", headers=alice.headers).json()
    assert len(page["data"]) == 2 and page["nextCursor"]
    rest = hook_client.get(
        f"/api/webhooks/deliveries?limit=2&cursor={page['nextCursor']}", headers=alice.headers
    ).json()
    assert len(rest["data"]) == 1 and rest["nextCursor"] is None
    ids = [d["id"] for d in page["data"] + rest["data"]]
    assert len(set(ids)) == 3
    r = hook_client.get("/api/webhooks/deliveries?cursor=abc", headers=alice.headers)
    assert r.status_code == 400 and r.json()["error"].startswith("cursor:")
