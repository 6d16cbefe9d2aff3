"""Ending web UI sessions: a session started with an API key ends with that key; a user ends their
other sessions (or all); an admin, or the CLI, ends all of a user's sessions."""

from __future__ import annotations

import pytest

from apexlocal.accounts import sessions
from apexlocal.accounts.api_keys import revoke_key
from apexlocal.accounts.generation import access_changed
from apexlocal.accounts.users import create_user
from tests.conftest import add_account
from tests.e2e.helpers import cli

COOKIE = sessions.COOKIE_NAME


def _cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"{COOKIE}={token}"}


def _works(client, token: str) -> bool:
    client.cookies.clear()
    status = client.get("/api/usage", headers=_cookie(token)).status_code
    assert status in (200, 401)
    return status == 200


def _key_session(client, key: str) -> str:
    """Signs in with an API key; returns the session's cookie value."""
    client.cookies.clear()
    r = client.post("/auth/login", json={"apiKey": key})
    assert r.status_code == 200, r.text
    token = client.cookies[COOKIE]
    client.cookies.clear()
    return token


def _key_id(client, account) -> str:
    return next(k["id"] for k in client.get("/api/keys", headers=account.headers).json()["data"])


@pytest.fixture
def admin(app_client, settings):
    from apexlocal.accounts.api_keys import create_key

    user = create_user(app_client.services.db, "root@example.com", "enterprise", settings.plans, 0, is_admin=True)
    return {"Authorization": f"Bearer {create_key(app_client.services.db, user.id, 'admin').key}"}


def test_a_session_started_with_a_key_ends_when_the_key_is_revoked(app_client, account, settings):
    other = add_account(app_client.services.db, settings, "keeper@example.com")
    token = _key_session(app_client, account.key)
    link_session = sessions.create_session(app_client.services.db, account.id).token
    unrelated = _key_session(app_client, other.key)
    assert _works(app_client, token)
    revoked = app_client.delete(f"/api/keys/{_key_id(app_client, account)}", headers=other.headers)
    assert revoked.status_code == 404  # not theirs: nothing happens
    assert _works(app_client, token)
    key_id = _key_id(app_client, account)
    assert app_client.delete(f"/api/keys/{key_id}", headers=account.headers).status_code == 200
    assert not _works(app_client, token)
    assert app_client.get("/auth/me", headers=_cookie(token)).json()["data"] == {"signedIn": False}
    assert _works(app_client, link_session) and _works(app_client, unrelated)  # only that key's sessions


def test_revoking_the_key_outside_the_server_ends_its_sessions_too(app_client, account):
    token = _key_session(app_client, account.key)
    revoke_key(app_client.services.db, _key_id(app_client, account))  # what `apexlocal keys revoke` does
    assert not _works(app_client, token)


def test_a_session_from_a_rotated_key_ends_with_the_grace_period(app_client, account):
    created = app_client.post("/api/keys", json={"name": "rot"}, headers=account.headers).json()["data"]
    token = _key_session(app_client, created["key"])
    rotated = app_client.post(f"/api/keys/{created['id']}/rotate", headers=account.headers)
    assert rotated.status_code == 201
    assert _works(app_client, token)  # the old key works for its grace period, and so does its session
    db = app_client.services.db
    with db.write():
        db.conn.execute("UPDATE api_keys SET expires_at = '2000-01-01T00:00:00Z' WHERE id = ?", (created["id"],))
    access_changed(db)  # raw SQL goes around accounts/: say so, or the cached session lives on for its TTL
    assert not _works(app_client, token)
    assert sessions.purge_expired(db) >= 1


def test_the_caller_ends_their_other_sessions_or_all(app_client, account):
    db = app_client.services.db
    mine, laptop, phone = (sessions.create_session(db, account.id) for _ in range(3))
    headers = {**_cookie(mine.token), "X-CSRF-Token": mine.csrf_token}
    app_client.cookies.clear()
    r = app_client.delete("/api/sessions", headers=headers)
    assert r.status_code == 200 and r.json() == {"data": {"ended": 2, "currentEnded": False}}
    assert "set-cookie" not in r.headers
    assert _works(app_client, mine.token) and not _works(app_client, laptop.token)
    assert not _works(app_client, phone.token)
    assert app_client.delete("/api/sessions", headers=_cookie(mine.token)).status_code == 403  # CSRF still applies
    everything = app_client.delete("/api/sessions?all=true", headers=headers)
    assert everything.json() == {"data": {"ended": 1, "currentEnded": True}}
    assert "Max-Age=0" in everything.headers["set-cookie"]
    assert not _works(app_client, mine.token)


def test_with_an_api_key_every_session_of_the_user_ends(app_client, account, settings):
    db = app_client.services.db
    other = add_account(db, settings, "bystander@example.com")
    a, b = (sessions.create_session(db, account.id) for _ in range(2))
    theirs = sessions.create_session(db, other.id)
    r = app_client.delete("/api/sessions", headers=account.headers)
    assert r.json() == {"data": {"ended": 2, "currentEnded": False}}
    assert not _works(app_client, a.token) and not _works(app_client, b.token)
    assert _works(app_client, theirs.token)


def test_an_admin_ends_a_users_sessions(app_client, account, admin):
    db = app_client.services.db
    a, b = (sessions.create_session(db, account.id) for _ in range(2))
    refused = app_client.delete(f"/api/admin/users/{account.id}/sessions", headers=account.headers)
    assert refused.status_code == 403 and _works(app_client, a.token)
    r = app_client.delete(f"/api/admin/users/{account.id}/sessions", headers=admin)
    assert r.status_code == 200 and r.json() == {"data": {"userId": account.id, "ended": 2}}
    assert not _works(app_client, a.token) and not _works(app_client, b.token)
    assert app_client.get("/api/usage", headers=account.headers).status_code == 200  # keys keep working
    missing = app_client.delete("/api/admin/users/nobody/sessions", headers=admin)
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"


def test_the_cli_signs_a_user_out_beside_a_running_server(app_client, account, settings):
    db = app_client.services.db
    a, b = (sessions.create_session(db, account.id) for _ in range(2))
    assert _works(app_client, a.token) and _works(app_client, b.token)  # and the server remembers them
    out = cli("users", "sign-out", account.email, data_dir=settings.data_dir)
    assert out.strip() == f"{account.email}: 2 sessions ended"
    assert not _works(app_client, a.token) and not _works(app_client, b.token)
