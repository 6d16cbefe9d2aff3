"""POST /api/voice-agent/calls/outbound refusals, each before anything is charged or dialled, and
the call records: list with filters and cursor, one call, hang-up, the startup reconciliation."""

from __future__ import annotations

import json

import pytest

from apexlocal.accounts import credits
from apexlocal.db import calls as calls_db
from apexlocal.products.voice_agent import billing
from apexlocal.products.voice_agent.calls import reconcile
from tests.conftest import add_account, make_settings
from tests.products.voice_agent.test_agents import AGENT

OUTBOUND = "/api/voice-agent/calls/outbound"


@pytest.fixture
def agent(app_client, account):
    return app_client.post("/api/voice-agent/agents", json=AGENT, headers=account.headers).json()["data"]


def _nothing_charged(app_client, account, before):
    assert credits.balance(app_client.services.db, account.id) == before
    assert app_client.get("/api/voice-agent/calls", headers=account.headers).json()["data"] == []


def test_malformed_numbers_are_400_naming_the_field(app_client, account, agent):
    for number in ["4155550123", "+0155550123", "+1 415 555 0123", "+1415555012345678", "tel:+14155550123"]:
        r = app_client.post(OUTBOUND, json={"agentId": agent["id"], "phoneNumber": number}, headers=account.headers)
        assert r.status_code == 400, number
        assert r.json()["code"] == "BAD_REQUEST" and r.json()["error"].startswith("phoneNumber"), r.json()
    _nothing_charged(app_client, account, 1000)


def test_a_plan_without_calls_is_403(app_client, settings):
    pro = add_account(app_client.services.db, settings, "pro@example.com", plan="pro")
    mine = app_client.post("/api/voice-agent/agents", json=AGENT, headers=pro.headers).json()["data"]
    r = app_client.post(OUTBOUND, json={"agentId": mine["id"], "phoneNumber": "+14155550123"}, headers=pro.headers)
    assert r.status_code == 403 and "enterprise" in r.json()["error"]
    _nothing_charged(app_client, pro, 1000)


def test_another_users_agent_is_404(app_client, account, settings, agent):
    bob = add_account(app_client.services.db, settings, "bob@example.com")
    r = app_client.post(OUTBOUND, json={"agentId": agent["id"], "phoneNumber": "+14155550123"}, headers=bob.headers)
    assert r.status_code == 404 and r.json()["error"].startswith("agentId")
    _nothing_charged(app_client, bob, 1000)


def test_no_trunk_is_503_naming_the_setting(app_client, account, agent):
    r = app_client.post(OUTBOUND, json={"agentId": agent["id"], "phoneNumber": "+14155550123"}, headers=account.headers)
    assert r.status_code == 503 and "sip_registrar_uri" in r.json()["error"]
    _nothing_charged(app_client, account, 1000)


def test_open_calls_end_failed_at_startup_with_their_minutes_charged(tmp_path, models_dir):
    from litestar.testing import TestClient

    from apexlocal.app import create_app

    settings = make_settings(tmp_path / "data", models_dir, call_minute_seconds=60.0)
    app = create_app(settings)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        services = app.state.services
        alice = add_account(services.db, settings, "alice@example.com", credits=25)
        calls_db.insert(services.db, "c-ringing", alice.id, "a1", "sip", "+14155550123")
        calls_db.insert(services.db, "c-active", alice.id, "a1", "sip", "+14155550124")
        calls_db.set_status(services.db, "c-active", "active")
        assert billing.charge_minute(services, alice.id, "c-active", 1)
        with services.db.write():  # the call was last seen alive 150 s after its answer: 3 started minutes
            services.db.conn.execute(
                "UPDATE calls SET answered_at = '2026-01-01T00:00:00Z', alive_at = '2026-01-01T00:02:30Z' "
                "WHERE id = 'c-active'"
            )
        from apexlocal.db import deliveries, user_settings
        from apexlocal.webhooks import sign

        # A loopback URL: the sender refuses it (no private webhooks here), so nothing leaves the machine.
        user_settings.set_webhook_url(services.db, alice.id, "https://127.0.0.1:9/calls", sign.new_secret)
        assert reconcile(services) == 2
        sent = {d["job_id"]: d for d in deliveries.list_for_user(services.db, alice.id, limit=10, before_seq=None)}
        assert sent["c-active"]["event"] == "call.failed" == sent["c-ringing"]["event"]
        body = json.loads(
            bytes(services.db.one("SELECT payload FROM webhook_deliveries WHERE job_id = 'c-active'")["payload"])
        )
        assert body["event"] == "call.failed" and body["data"]["id"] == "c-active"
        assert body["data"]["minutesCharged"] == 2 and body["data"]["endedBy"] == "server"
        active = client.get("/api/voice-agent/calls/c-active", headers=alice.headers).json()["data"]
        # 25 credits paid minutes 1 and 2 only: the third is not charged, the balance never below 0.
        assert active["status"] == "failed" and active["endedBy"] == "server"
        assert active["minutesCharged"] == 2 and active["creditsCharged"] == 20
        assert credits.balance(services.db, alice.id) == 5 == credits.ledger_sum(services.db, alice.id)
        ringing = client.get("/api/voice-agent/calls/c-ringing", headers=alice.headers).json()["data"]
        assert ringing["status"] == "failed" and ringing["creditsCharged"] == 0
        assert reconcile(services) == 0  # nothing is ended or charged twice
        assert credits.balance(services.db, alice.id) == 5


def test_calls_list_filters_cursor_and_ownership(app_client, account, settings):
    db = app_client.services.db
    for i in range(5):
        calls_db.insert(db, f"c{i}", account.id, "a1" if i % 2 else "a2", "sip", "+14155550123")
    calls_db.finish(db, "c0", "busy", error="the trunk answered 486 Busy Here", ended_by=None, duration=None)
    first = app_client.get("/api/voice-agent/calls?limit=2", headers=account.headers).json()
    assert [c["id"] for c in first["data"]] == ["c4", "c3"] and first["nextCursor"]
    second = app_client.get(f"/api/voice-agent/calls?limit=2&cursor={first['nextCursor']}", headers=account.headers)
    assert [c["id"] for c in second.json()["data"]] == ["c2", "c1"]
    busy = app_client.get("/api/voice-agent/calls?status=busy", headers=account.headers).json()["data"]
    assert [c["id"] for c in busy] == ["c0"] and busy[0]["error"].startswith("the trunk answered 486")
    by_agent = app_client.get("/api/voice-agent/calls?agentId=a1", headers=account.headers).json()["data"]
    assert [c["id"] for c in by_agent] == ["c3", "c1"]
    bob = add_account(db, settings, "bob@example.com")
    assert app_client.get("/api/voice-agent/calls", headers=bob.headers).json()["data"] == []
    assert app_client.get("/api/voice-agent/calls/c1", headers=bob.headers).status_code == 404
    assert app_client.post("/api/voice-agent/calls/c1/hangup", headers=bob.headers).status_code == 404
    ended = app_client.post("/api/voice-agent/calls/c0/hangup", headers=account.headers)
    assert ended.status_code == 200 and ended.json()["data"]["status"] == "busy"


def test_outbound_calls_count_in_the_calls_bucket(tmp_path, models_dir):
    from litestar.testing import TestClient

    from apexlocal.app import create_app

    settings = make_settings(tmp_path / "data", models_dir, rate_limits="read=100000/10,calls=2/3600")
    app = create_app(settings)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        alice = add_account(app.state.services.db, settings, "alice@example.com")
        agent = client.post("/api/voice-agent/agents", json=AGENT, headers=alice.headers).json()["data"]
        body = {"agentId": agent["id"], "phoneNumber": "+14155550123"}
        answers = [client.post(OUTBOUND, json=body, headers=alice.headers) for _ in range(3)]
        assert [r.status_code for r in answers] == [503, 503, 429]  # no trunk here: refused, yet counted
        assert answers[2].headers["Retry-After"] and answers[2].json()["code"] == "RATE_LIMITED"
        assert client.get("/api/voice-agent/calls", headers=alice.headers).status_code == 200  # reads apart
