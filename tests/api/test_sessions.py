"""Web UI sessions without a browser: login links, API-key sign-in, the cookie's attributes, CSRF and
cross-site refusals, sign-out, rate limits for cookie users, and the CLI and first-start links."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from apexlocal.accounts import login_links, sessions
from apexlocal.db.migrations import MIGRATIONS
from tests import loopback
from tests.conftest import Account, add_account, make_settings
from tests.e2e.helpers import cli

COOKIE = sessions.COOKIE_NAME
# What a browser sends when the user opens a link themselves (pasted, typed, from another application).
OPENED = {"Sec-Fetch-Site": "none"}


def link_for(client, account: Account, ttl: timedelta = login_links.LINK_TTL) -> str:
    return login_links.create_link(client.services.db, account.id, ttl)


def sign_in(client, account: Account) -> str:
    """Signs the client in with a login link; returns the session's CSRF token."""
    r = client.get(f"/auth/login?token={link_for(client, account)}", headers=OPENED, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/", r.text
    me = client.get("/auth/me").json()["data"]
    assert me["signedIn"] is True
    return me["csrfToken"]


def set_cookie_header(response: httpx.Response) -> str:
    return next(v for k, v in response.headers.multi_items() if k.lower() == "set-cookie")


def test_migrations_3_and_5_add_sessions_and_login_links(app_client):
    db = app_client.services.db
    assert db.value("PRAGMA user_version") == len(MIGRATIONS) >= 5
    columns = {r["name"] for r in db.all("PRAGMA table_info(sessions)")}
    assert columns == {"id_hash", "user_id", "csrf_token", "created_at", "expires_at", "revoked_at", "key_id"}
    columns = {r["name"] for r in db.all("PRAGMA table_info(login_links)")}
    assert columns == {"token_hash", "user_id", "created_at", "expires_at", "used_at"}


def test_login_link_sets_a_strict_httponly_cookie_and_works_once(app_client, account):
    token = link_for(app_client, account)
    r = app_client.get(f"/auth/login?token={token}", headers=OPENED, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = set_cookie_header(r)
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert cookie.startswith(f"{COOKIE}=") and {"httponly", "path", "samesite"} <= attributes
    assert "samesite=strict" in cookie.lower() and "Path=/" in cookie and "secure" not in attributes
    assert r.headers["cache-control"] == "no-store"
    assert app_client.get("/api/usage").json()["data"]["plan"] == "enterprise"
    app_client.cookies.clear()
    for headers in (OPENED, {}):
        again = app_client.get(f"/auth/login?token={token}", headers=headers, follow_redirects=False)
        assert again.status_code == 303 and again.headers["location"] == "/signin?error=link"
        assert "set-cookie" not in again.headers


def test_expired_and_unknown_links_are_refused(app_client, account):
    expired = link_for(app_client, account, ttl=timedelta(seconds=-1))
    for token in (expired, "nonsense", ""):
        for headers in (OPENED, {}):
            r = app_client.get(f"/auth/login?token={token}", headers=headers, follow_redirects=False)
            assert r.headers["location"] == "/signin?error=link"
        r = app_client.post(
            "/auth/login/link", data={"token": token}, headers={"Sec-Fetch-Site": "same-origin"}, follow_redirects=False
        )
        assert r.headers["location"] == "/signin?error=link"
    assert app_client.get("/auth/me").json()["data"] == {"signedIn": False}


def test_cookie_is_secure_over_https(settings):
    from litestar.testing import TestClient

    from apexlocal.app import create_app

    app = create_app(settings, start_workers=False)
    with TestClient(app, base_url="https://studio.example") as client:
        account = add_account(app.state.services.db, settings, "tls@example.com")
        token = login_links.create_link(app.state.services.db, account.id)
        r = client.get(f"/auth/login?token={token}", headers=OPENED, follow_redirects=False)
        assert "; secure" in set_cookie_header(r).lower()


def test_only_hashes_of_cookies_and_links_are_stored(app_client, account, settings):
    token = link_for(app_client, account)
    app_client.get(f"/auth/login?token={token}", headers=OPENED, follow_redirects=False)
    cookie = app_client.cookies[COOKIE]
    app_client.services.db.conn.execute("PRAGMA wal_checkpoint(FULL)")
    raw = b"".join(p.read_bytes() for p in settings.data_dir.glob("app.db*"))
    assert cookie.encode() not in raw and token.encode() not in raw
    assert sessions.token_hash(cookie).encode() in raw


def test_me_hands_over_the_user_and_csrf_token(app_client, account):
    assert app_client.get("/auth/me").json() == {"data": {"signedIn": False}}
    csrf = sign_in(app_client, account)
    me = app_client.get("/auth/me").json()["data"]
    assert me["user"]["email"] == account.email and me["user"]["credits"] == 1000
    assert me["csrfToken"] == csrf and len(csrf) >= 32
    assert me["permissions"] == {"admin": False, "apiKeys": True}


def test_sign_in_with_an_api_key(app_client, account):
    r = app_client.post("/auth/login", json={"apiKey": account.key})
    assert r.status_code == 200 and r.json()["data"]["user"]["email"] == account.email
    assert "samesite=strict" in set_cookie_header(r).lower()
    assert app_client.get("/api/usage").status_code == 200
    bad = app_client.post("/auth/login", json={"apiKey": "sk_live_nope"})
    assert bad.status_code == 401 and bad.json() == {"error": "Invalid API key", "code": "UNAUTHORIZED"}
    forged = app_client.post("/auth/login", json={"apiKey": account.key}, headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403 and forged.json()["code"] == "FORBIDDEN"
    plain = app_client.post(
        "/auth/login", content=f'{{"apiKey": "{account.key}"}}', headers={"Content-Type": "text/plain"}
    )
    assert plain.status_code == 415


def test_state_changes_with_the_cookie_need_the_csrf_token(app_client, account):
    csrf = sign_in(app_client, account)
    assert app_client.get("/api/keys").status_code == 200  # reads need no token
    missing = app_client.post("/api/keys", json={"name": "x"})
    assert missing.status_code == 403 and "CSRF" in missing.json()["error"]
    altered = csrf[:-1] + ("A" if csrf[-1] != "A" else "B")  # never the token itself
    wrong = app_client.post("/api/keys", json={"name": "x"}, headers={"X-CSRF-Token": altered})
    assert wrong.status_code == 403
    for method in ("patch", "delete"):
        path = "/api/settings" if method == "patch" else "/api/keys/any"
        kwargs = {"json": {"webhookUrl": None}} if method == "patch" else {}
        assert getattr(app_client, method)(path, **kwargs).status_code == 403
    ok = app_client.post("/api/keys", json={"name": "from the studio"}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201 and ok.json()["data"]["key"].startswith("sk_live_")
    assert len(app_client.get("/api/keys").json()["data"]) == 2


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://127.0.0.1:9999"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
def test_cross_site_requests_with_the_cookie_are_refused_even_with_the_token(app_client, account, headers):
    csrf = sign_in(app_client, account)
    r = app_client.post("/api/keys", json={"name": "x"}, headers={"X-CSRF-Token": csrf, **headers})
    assert r.status_code == 403 and r.json() == {"error": "Cross-site request refused", "code": "FORBIDDEN"}
    same = app_client.post(
        "/api/keys",
        json={"name": "x"},
        headers={"X-CSRF-Token": csrf, "Origin": "http://127.0.0.1:8000", "Sec-Fetch-Site": "same-origin"},
    )
    assert same.status_code == 201


def test_bearer_requests_need_no_csrf_and_win_over_the_cookie(app_client, account, settings):
    sign_in(app_client, account)
    other = add_account(app_client.services.db, settings, "bob@example.com")
    r = app_client.post(
        "/api/keys", json={"name": "b"}, headers={**other.headers, "Origin": "https://elsewhere.example"}
    )
    assert r.status_code == 201
    assert app_client.get("/auth/me").json()["data"]["user"]["email"] == account.email
    keys_of_bob = app_client.get("/api/keys", headers=other.headers).json()["data"]
    assert {k["name"] for k in keys_of_bob} == {"test", "b"}
    bad = app_client.get("/api/usage", headers={"Authorization": "Bearer sk_live_bad"})
    assert bad.status_code == 401  # a bad key is not rescued by a good cookie


def test_sign_out_revokes_the_session_server_side(app_client, account):
    csrf = sign_in(app_client, account)
    cookie = app_client.cookies[COOKIE]
    refused = app_client.post("/auth/logout")
    assert refused.status_code == 403
    assert app_client.get("/api/usage").status_code == 200
    out = app_client.post("/auth/logout", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 200 and "Max-Age=0" in set_cookie_header(out)
    app_client.cookies.clear()
    stale = app_client.get("/api/usage", headers={"Cookie": f"{COOKIE}={cookie}"})
    assert stale.status_code == 401 and stale.json()["code"] == "UNAUTHORIZED"
    assert app_client.get("/auth/me", headers={"Cookie": f"{COOKIE}={cookie}"}).json()["data"]["signedIn"] is False
    assert app_client.post("/auth/logout").status_code == 200  # signing out twice is harmless


def test_expired_sessions_are_refused(app_client, account):
    new = sessions.create_session(app_client.services.db, account.id, ttl=timedelta(seconds=-1))
    r = app_client.get("/api/usage", headers={"Cookie": f"{COOKIE}={new.token}"})
    assert r.status_code == 401
    assert sessions.purge_expired(app_client.services.db) >= 1


def test_rate_limits_count_cookie_users_like_key_users(tmp_path, models_dir):
    from litestar.testing import TestClient

    from apexlocal.app import create_app

    settings = make_settings(tmp_path / "d", models_dir, rate_limits="read=3/60")
    app = create_app(settings, start_workers=False)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        client.services = app.state.services
        account = add_account(app.state.services.db, settings, "limited@example.com")
        sign_in(client, account)
        first = client.get("/api/usage")
        assert first.headers["X-RateLimit-Limit"] == "3" and first.headers["X-RateLimit-Remaining"] == "2"
        assert client.get("/api/usage", headers=account.headers).status_code == 200  # same user, same bucket
        assert client.get("/api/jobs").status_code == 200
        limited = client.get("/api/usage")
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
        assert limited.json() == {"error": "Too many requests", "code": "RATE_LIMITED"}


def test_cli_prints_a_login_link_on_the_last_line(tmp_path):
    from litestar.testing import TestClient

    from apexlocal.app import create_app

    data = tmp_path / "data"
    cli("users", "create", "ana@example.com", "--plan", "creator", data_dir=data)
    out = cli("users", "login-link", "ana@example.com", "--base-url", "https://studio.example/", data_dir=data)
    url = out.strip().splitlines()[-1]
    assert url.startswith("https://studio.example/auth/login?token=")
    default = cli("users", "login-link", "ana@example.com", data_dir=data).strip().splitlines()[-1]
    assert default.startswith("http://127.0.0.1:8000/auth/login?token=")
    settings = make_settings(data, tmp_path / "models")
    with TestClient(create_app(settings, start_workers=False)) as client:
        r = client.get(url.removeprefix("https://studio.example"), headers=OPENED, follow_redirects=False)
        assert r.headers["location"] == "/"
        assert client.get("/auth/me").json()["data"]["user"]["email"] == "ana@example.com"


@pytest.mark.e2e
def test_first_start_prints_a_login_link_for_the_owner(server_factory):
    server = server_factory().start()
    server.read_owner_key()
    link = server.wait_for_line(lambda line: line.startswith("http"))
    assert link.startswith(f"{server.url}/auth/login?token=")
    with loopback.client(base_url=server.url, headers=OPENED) as client:
        r = client.get(link, follow_redirects=False)
        assert r.status_code == 303 and COOKIE in r.cookies
        me = client.get("/auth/me").json()["data"]
        assert me["user"]["email"] == "owner@localhost" and me["permissions"]["admin"] is True
        assert client.get(link, follow_redirects=False).headers["location"] == "/signin?error=link"


def test_signing_in_again_ends_the_browsers_earlier_session(app_client, account):
    sign_in(app_client, account)
    first = app_client.cookies[COOKIE]
    sign_in(app_client, account)
    second = app_client.cookies[COOKIE]
    assert first != second
    app_client.cookies.clear()
    assert app_client.get("/api/usage", headers={"Cookie": f"{COOKIE}={first}"}).status_code == 401
    assert app_client.get("/api/usage", headers={"Cookie": f"{COOKIE}={second}"}).status_code == 200
