"""Keys: shown once, hashed at rest, checksummed, revocable, rotatable with a grace period."""

from __future__ import annotations

from apexlocal.accounts import keys
from apexlocal.accounts.generation import access_changed
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
    used = next(
        k
        for k in app_client.get("/api/keys", headers=account.headers).json()["data"]
        if k["display"].endswith(account.key[-4:])
    )
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
    access_changed(db)  # raw SQL goes around accounts/: say so, or the cached key lives on for its TTL
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


def _on_the_event_loop() -> bool:
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def test_keys_and_sessions_are_read_off_the_event_loop(app_client, account, monkeypatch):
    from apexlocal.accounts import sessions

    db, seen = app_client.services.db, []
    real_one = db.one

    def one(sql, *args, **kwargs):
        if "FROM api_keys" in sql or "FROM sessions" in sql:
            seen.append(_on_the_event_loop())
        return real_one(sql, *args, **kwargs)

    monkeypatch.setattr(db, "one", one)
    assert app_client.get("/api/usage", headers=account.headers).status_code == 200
    new = sessions.create_session(db, account.id)
    cookie = {"Cookie": f"{sessions.COOKIE_NAME}={new.token}"}
    assert app_client.get("/api/usage", headers=cookie).status_code == 200
    assert app_client.get("/auth/me", headers=cookie).json()["data"]["signedIn"] is True
    assert seen == [False, False, False]


def test_the_last_used_write_never_holds_up_a_request(app_client, account):
    """A job holding the write lock (here: a test thread) must not stall authentication."""
    import threading

    db, authenticator = app_client.services.db, app_client.services.authenticator
    holding, release = threading.Event(), threading.Event()

    def hold_the_write_lock():
        with db.write():
            holding.set()
            release.wait(20)

    holder = threading.Thread(target=hold_the_write_lock)
    holder.start()
    holding.wait(5)
    answered = []
    request = threading.Thread(
        target=lambda: answered.append(app_client.get("/api/jobs", headers=account.headers).status_code)
    )  # the key's first use: a write is due
    request.start()
    request.join(5)
    answered_while_held = list(answered)
    release.set()
    holder.join(5)
    request.join(5)
    assert answered_while_held == [200]
    authenticator.last_used.wait()
    listed = app_client.get("/api/keys", headers=account.headers).json()["data"]
    assert listed[0]["lastUsedAt"] is not None


def test_last_used_is_written_once_a_minute_per_key(app_client, account, monkeypatch):
    from apexlocal.accounts import last_used

    batches = []
    real = last_used.rows.touch
    monkeypatch.setattr(last_used.rows, "touch", lambda db, used: batches.append(sorted(used)) or real(db, used))
    now = [1000.0]
    recorder = last_used.LastUsed(app_client.services.db, clock=lambda: now[0])
    for key_id in ("a", "b", "a"):
        recorder.note(key_id)
    recorder.wait()
    now[0] += 59
    recorder.note("a")
    recorder.wait()
    now[0] += 2
    recorder.note("a")
    recorder.close()
    assert [k for batch in batches for k in batch].count("a") == 2 and sum(map(len, batches)) == 3


def _raw_database(app_client, settings) -> bytes:
    app_client.services.db.conn.execute("PRAGMA wal_checkpoint(FULL)")
    return b"".join(p.read_bytes() for p in settings.data_dir.glob("app.db*"))


def test_a_retried_key_creation_gets_the_same_key_and_makes_one(app_client, account, settings):
    headers = {**account.headers, "Idempotency-Key": "make-ci-key"}
    first = app_client.post("/api/keys", json={"name": "ci"}, headers=headers)
    again = app_client.post("/api/keys", json={"name": "ci"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and first.json()["data"]["key"].startswith("sk_live_")
    names = [k["name"] for k in app_client.get("/api/keys", headers=account.headers).json()["data"]]
    assert names.count("ci") == 1
    assert first.json()["data"]["key"].encode() not in _raw_database(app_client, settings)  # stored sealed
    other = app_client.post("/api/keys", json={"name": "cd"}, headers=headers)
    assert other.status_code == 409 and other.json()["error"].startswith("Idempotency-Key:")


def test_a_replay_shows_the_key_only_to_the_credential_that_created_it(app_client, account):
    second = app_client.post("/api/keys", json={"name": "second"}, headers=account.headers).json()["data"]["key"]
    headers = {"Idempotency-Key": "k-1"}
    first = app_client.post("/api/keys", json={"name": "ci"}, headers={**account.headers, **headers})
    assert first.status_code == 201
    elsewhere = app_client.post(
        "/api/keys", json={"name": "ci"}, headers={"Authorization": f"Bearer {second}", **headers}
    )
    assert elsewhere.status_code == 409 and elsewhere.json()["code"] == "CONFLICT"
    assert "only to the API key or session that created it" in elsewhere.json()["error"]
    assert first.json()["data"]["key"] not in elsewhere.text
    names = [k["name"] for k in app_client.get("/api/keys", headers=account.headers).json()["data"]]
    assert names.count("ci") == 1


def test_a_key_in_its_grace_period_cannot_be_rotated_again(app_client, account):
    created = app_client.post("/api/keys", json={"name": "rot"}, headers=account.headers).json()["data"]
    first = app_client.post(f"/api/keys/{created['id']}/rotate", headers=account.headers).json()["data"]
    again = app_client.post(f"/api/keys/{created['id']}/rotate", headers=account.headers)
    assert again.status_code == 409 and again.json()["code"] == "CONFLICT"
    assert again.json()["error"].startswith("id: this key was rotated already")
    old = next(
        k for k in app_client.get("/api/keys", headers=account.headers).json()["data"] if k["id"] == created["id"]
    )
    assert old["expiresAt"] == first["previousKeyExpiresAt"] and old["status"] == "rotating"
    names = [k["name"] for k in app_client.get("/api/keys", headers=account.headers).json()["data"]]
    assert names.count("rot") == 2  # the old key and one replacement
    # The replacement can be rotated in its turn.
    assert app_client.post(f"/api/keys/{first['id']}/rotate", headers=account.headers).status_code == 201


def test_a_retried_rotation_gets_its_first_answer(app_client, account):
    created = app_client.post("/api/keys", json={"name": "rot"}, headers=account.headers).json()["data"]
    headers = {**account.headers, "Idempotency-Key": "rotate-1"}
    first = app_client.post(f"/api/keys/{created['id']}/rotate", headers=headers)
    again = app_client.post(f"/api/keys/{created['id']}/rotate", headers=headers)
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
