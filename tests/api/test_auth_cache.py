"""The authenticator's short-lived memory: most requests skip the database, and nothing that takes
access away waits for an entry to expire, whether the server or the CLI (another process) does it."""

from __future__ import annotations

from apexlocal.accounts import sessions
from apexlocal.accounts.auth_cache import AuthCache
from apexlocal.accounts.generation import Generation
from tests.e2e.helpers import cli


def _key_reads(db, monkeypatch) -> list[str]:
    reads: list[str] = []
    real_one = db.one
    monkeypatch.setattr(
        db,
        "one",
        lambda sql, *a, **k: (
            (reads.append(sql) if "FROM api_keys" in sql or "FROM sessions" in sql else None) or real_one(sql, *a, **k)
        ),
    )
    return reads


def test_a_credential_checked_a_moment_ago_needs_no_database_read(app_client, account, monkeypatch):
    reads = _key_reads(app_client.services.db, monkeypatch)
    new = sessions.create_session(app_client.services.db, account.id)
    cookie = {"Cookie": f"{sessions.COOKIE_NAME}={new.token}"}
    for _ in range(5):
        assert app_client.get("/api/usage", headers=account.headers).status_code == 200
        assert app_client.get("/api/usage", headers=cookie).status_code == 200
    assert len(reads) == 2  # one for the key, one for the session


def test_revoking_a_cached_key_from_the_cli_ends_it_at_once(app_client, account, settings):
    assert app_client.get("/api/usage", headers=account.headers).status_code == 200  # now remembered
    key_id = app_client.get("/api/keys", headers=account.headers).json()["data"][0]["id"]
    cli("keys", "revoke", key_id, data_dir=settings.data_dir)
    assert app_client.get("/api/usage", headers=account.headers).status_code == 401


def test_a_plan_change_from_the_cli_shows_at_once(app_client, account, settings):
    assert app_client.get("/api/usage", headers=account.headers).json()["data"]["plan"] == "enterprise"
    cli("users", "set-plan", account.email, "creator", data_dir=settings.data_dir)
    assert app_client.get("/api/usage", headers=account.headers).json()["data"]["plan"] == "creator"
    assert app_client.get("/api/keys", headers=account.headers).status_code == 403  # keys are enterprise-only


def test_entries_end_with_the_generation_the_ttl_or_their_expiry(tmp_path):
    now = [100.0]
    generation = Generation(tmp_path / "gen")
    cache: AuthCache[str] = AuthCache(generation, ttl_s=2.0, clock=lambda: now[0])
    seen = generation.current()
    cache.put("a", seen, "alice")
    cache.put("old", seen, "gone", expires_at="2000-01-01T00:00:00Z")
    assert cache.get("a") == "alice" and cache.get("old") is None
    now[0] += 2.0
    assert cache.get("a") is None  # TTL: a change made around accounts/ (raw SQL) shows this late at most
    cache.put("a", seen, "alice")
    Generation(tmp_path / "gen").bump()  # another process's mapping of the same file
    assert cache.get("a") is None
    cache.put("b", seen, "read before the bump")  # filled from a read that raced the change
    assert cache.get("b") is None


def test_the_cache_is_bounded(tmp_path):
    generation = Generation(tmp_path / "gen")
    cache: AuthCache[int] = AuthCache(generation, max_entries=100)
    for i in range(1000):
        cache.put(str(i), generation.current(), i)
    assert len(cache) <= 100
