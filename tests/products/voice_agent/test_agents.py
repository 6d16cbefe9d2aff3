"""/api/voice-agent/agents: every seed field and ours, read back, changed, deleted; owned per user."""

from __future__ import annotations

from tests.conftest import add_account

AGENT = {
    "name": "Front desk",
    "systemPrompt": "You answer calls for a bakery. Keep answers short.",
    "greeting": "Hello, thanks for calling the bakery.",
    "ttsModel": "kokoro",
    "llmModel": "smollm2-135m",
}


def test_create_read_list_update_delete(app_client, account):
    body = {**AGENT, "endCallPhrase": "Goodbye now"}
    r = app_client.post("/api/voice-agent/agents", json=body, headers=account.headers)
    assert r.status_code == 201, r.text
    agent = r.json()["data"]
    assert {k: agent[k] for k in AGENT} == AGENT
    assert agent["language"] == "en" and agent["maxCallSeconds"] == 600 and agent["voiceId"] is None
    assert agent["endCallPhrase"] == "Goodbye now"
    assert app_client.get(f"/api/voice-agent/agents/{agent['id']}", headers=account.headers).json()["data"] == agent
    assert [a["id"] for a in app_client.get("/api/voice-agent/agents", headers=account.headers).json()["data"]] == [
        agent["id"]
    ]

    changed = app_client.patch(
        f"/api/voice-agent/agents/{agent['id']}",
        json={"greeting": "Hi there.", "maxCallSeconds": 120, "endCallPhrase": None, "voiceId": "en_US-joe-medium"},
        headers=account.headers,
    )
    assert changed.status_code == 200, changed.text
    data = changed.json()["data"]
    assert data["greeting"] == "Hi there." and data["maxCallSeconds"] == 120
    assert data["endCallPhrase"] is None and data["voiceId"] == "en_US-joe-medium"
    assert data["name"] == AGENT["name"] and data["createdAt"] == agent["createdAt"]

    gone = app_client.delete(f"/api/voice-agent/agents/{agent['id']}", headers=account.headers)
    assert gone.json() == {"data": {"id": agent["id"], "deleted": True}}
    assert app_client.get(f"/api/voice-agent/agents/{agent['id']}", headers=account.headers).status_code == 404


def test_another_users_agent_is_not_found(app_client, account, settings):
    agent = app_client.post("/api/voice-agent/agents", json=AGENT, headers=account.headers).json()["data"]
    bob = add_account(app_client.services.db, settings, "bob@example.com")
    path = f"/api/voice-agent/agents/{agent['id']}"
    assert app_client.get(path, headers=bob.headers).status_code == 404
    assert app_client.patch(path, json={"name": "mine"}, headers=bob.headers).status_code == 404
    assert app_client.delete(path, headers=bob.headers).status_code == 404
    assert app_client.get("/api/voice-agent/agents", headers=bob.headers).json()["data"] == []
    assert app_client.get(path, headers=account.headers).json()["data"]["name"] == AGENT["name"]


def test_bad_fields_name_the_field_and_the_rule(app_client, account):
    cases = [
        ({**AGENT, "ttsModel": "espeak"}, "ttsModel"),
        ({k: v for k, v in AGENT.items() if k != "greeting"}, "greeting"),
        ({**AGENT, "maxCallSeconds": 5}, "maxCallSeconds"),
        ({**AGENT, "name": ""}, "name"),
        ({**AGENT, "language": "english"}, "language"),
        ({**AGENT, "color": "red"}, "color"),
    ]
    for body, field in cases:
        r = app_client.post("/api/voice-agent/agents", json=body, headers=account.headers)
        assert r.status_code == 400, body
        assert r.json()["code"] == "BAD_REQUEST" and r.json()["error"].startswith(field), r.json()
    agent = app_client.post("/api/voice-agent/agents", json=AGENT, headers=account.headers).json()["data"]
    r = app_client.patch(f"/api/voice-agent/agents/{agent['id']}", json={"name": None}, headers=account.headers)
    assert r.status_code == 400 and r.json()["error"].startswith("name")


def test_voice_ids_are_stock_voices_of_this_server(app_client, account):
    ok = app_client.post(
        "/api/voice-agent/agents", json={**AGENT, "voiceId": "en_US-joe-medium"}, headers=account.headers
    )
    assert ok.status_code == 201, ok.text
    r = app_client.post("/api/voice-agent/agents", json={**AGENT, "voiceId": "nobody"}, headers=account.headers)
    assert r.status_code == 400 and r.json()["error"].startswith("voiceId: 'nobody' is not a stock voice")
