"""Keys: shown once, hashed at rest, checksummed, revocable, rotatable with a grace period."""

from __future__ import annotations

from apexlocal.accounts import keys
from tests.conftest import add_account


def test_key_format_and_checksum():
    key = keys.new_key()
    assert key.startswith("sk_live_") and len(key) == keys.KEY_LEN
    assert keys.well_formed(key)
    typo = key[:20] + ("A" if key[20] != "A" else "B") + key[21:]
    assert not keys.well_formed(typo)
    assert not keys.well_formed(key[:-1])


def test_mistyped_key_is_refused_without_a_database_read(app_client, account, monkeypatch):
    typo = account.key[:-1] + ("x" if account.key[-1] != "x" else "y")
    calls = []
    real_one = app_client.services.db.one
    monkeypatch.setattr(app_client.services.db, "one", lambda *a, **k: calls.append(a) or real_one(*a, **k))
    r = app_client.get("/api/usage", headers={"Authorization": f"Bearer {typo}"})
    assert r.status_code == 401 and r.json()["code"] == "UNAUTHORIZED"
    assert calls == []


def test_no_key_in_plaintext_in_the_database(app_client, account, settings):
    created = app_client.post("/api/keys", json={"name": "ci"}, headers=account.headers).json()["data"]
    app_client.services.db.conn.execute("PRAGMA wal_checkpoint(FULL)")
    raw = b"".join(p.read_bytes() for p in settings.data_dir.glob("app.db*"))
    assert account.key.encode() not in raw
    assert created["key"].encode() not in raw
    assert created["key"][8:40].encode() not in raw


def test_keys_routes_create_list_revoke(app_client, account):
    created = app_client.post("/api/keys", json={"name": "deploy"}, headers=account.headers)
    assert created.status_code == 201
    data = created.json()["data"]
    assert set(data) >= {"id", "key", "name"} and data["key"].startswith("sk_live_")
    listed = app_client.get("/api/keys", headers=account.headers).json()["data"]
    mine = next(k for k in listed if k["id"] == data["id"])
    assert "key" not in mine and mine["last4"] == data["key"][-4:]
    assert mine["display"].startswith("sk_live_") and mine["createdAt"]
    new_headers = {"Authorization": f"Bearer {data['key']}"}
    assert app_client.get("/api/usage", headers=new_headers).status_code == 200
    assert app_client.delete(f"/api/keys/{data['id']}", headers=account.headers).status_code == 200
    r = app_client.get("/api/usage", headers=new_headers)
    assert r.status_code == 401 and r.json()["code"] == "UNAUTHORIZED"
    used = next(k for k in app_client.get("/api/keys", headers=account.headers).json()["data"]
                if k["display"].endswith(account.key[-4:]))
    assert used["lastUsedAt"] is not None


def test_rotate_keeps_old_key_for_the_grace_period(app_client, account):
    created = app_client.post("/api/keys", json={"name": "rot"}, headers=account.headers).json()["data"]
    rotated = app_client.post(f"/api/keys/{created['id']}/rotate", headers=account.headers)
    assert rotated.status_code == 201, rotated.text
    new = rotated.json()["data"]
    assert new["key"] != created["key"] and new["previousKeyExpiresAt"]
    for key in (created["key"], new["key"]):
        assert app_client.get("/api/usage", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    db = app_client.services.db
    with db.write():
        db.conn.execute("UPDATE api_keys SET expires_at = '2000-01-01T00:00:00Z' WHERE id = ?", (created["id"],))
    assert app_client.get("/api/usage", headers={"Authorization": f"Bearer {created['key']}"}).status_code == 401
    assert app_client.get("/api/usage", headers={"Authorization": f"Bearer {new['key']}"}).status_code == 200


def test_another_users_key_cannot_be_revoked(app_client, account, settings):
    bob = add_account(app_client.services.db, settings, "bob@example.com")
    bobs = app_client.get("/api/keys", headers=bob.headers).json()["data"][0]
    r = app_client.delete(f"/api/keys/{bobs['id']}", headers=account.headers)
    assert r.status_code == 404
    assert app_client.get("/api/usage", headers=bob.headers).status_code == 200


def test_usage_shape(app_client, account):
    r = app_client.get("/api/usage", headers=account.headers)
    data = r.json()["data"]
    assert data["credits"] == 1000 and data["plan"] == "enterprise"
    assert data["used"]["images"] == 0 and "videos" in data["used"]
    assert data["cycleStart"] < data["cycleEnd"]
    for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
        assert name in r.headers
