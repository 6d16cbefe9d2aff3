"""A login link opened from another site must not sign that browser in (login CSRF): only the user
opening it themselves, or a click on the page it shows, spends it, and that click must come from
this origin."""

from __future__ import annotations

import pytest

from apexlocal.accounts import login_links, sessions
from tests.conftest import add_account

COOKIE = sessions.COOKIE_NAME
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin", "Origin": "http://127.0.0.1:8000"}


def _link(client, account) -> str:
    return login_links.create_link(client.services.db, account.id)


def _signed_in(client) -> bool:
    return client.get("/auth/me").json()["data"]["signedIn"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"},  # a link or redirect on another site
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "same-origin"},  # a link inside the studio: still asks first
        {},  # no Fetch Metadata: an old browser, or not a browser
        {"Sec-Fetch-Site": "none", "Sec-Purpose": "prefetch;prerender"},  # the browser guessing ahead
    ],
)
def test_a_link_not_opened_by_the_user_shows_a_page_and_signs_nobody_in(app_client, settings, headers):
    victim_browser_owner = add_account(app_client.services.db, settings, "mallory@example.com")
    token = _link(app_client, victim_browser_owner)
    r = app_client.get(f"/auth/login?token={token}", headers=headers, follow_redirects=False)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "set-cookie" not in r.headers and r.headers["cache-control"] == "no-store"
    assert "mallory@example.com" in r.text and 'action="/auth/login/link"' in r.text
    assert "<script" not in r.text  # nothing submits the form but the user
    assert not _signed_in(app_client)
    # The link is still good for its owner.
    opened = app_client.get(f"/auth/login?token={token}", headers={"Sec-Fetch-Site": "none"}, follow_redirects=False)
    assert opened.headers["location"] == "/" and _signed_in(app_client)


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},  # a form on another site
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://other.127.0.0.1:8000"},
        {"Sec-Fetch-Site": "none"},
        {},  # nothing says where it came from
    ],
)
def test_the_confirming_post_must_come_from_this_origin(app_client, account, headers):
    token = _link(app_client, account)
    r = app_client.post("/auth/login/link", data={"token": token}, headers=headers, follow_redirects=False)
    assert r.status_code == 403 and r.json() == {"error": "Cross-site request refused", "code": "FORBIDDEN"}
    assert "set-cookie" not in r.headers and not _signed_in(app_client)
    assert login_links.email_for(app_client.services.db, token) == account.email  # not spent


@pytest.mark.parametrize("headers", [SAME_ORIGIN, {"Origin": "http://127.0.0.1:8000"}])
def test_the_page_button_signs_in_once(app_client, account, headers):
    token = _link(app_client, account)
    page = app_client.get(f"/auth/login?token={token}", headers={"Sec-Fetch-Site": "cross-site"})
    assert f'value="{token}"' in page.text
    r = app_client.post("/auth/login/link", data={"token": token}, headers=headers, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert "samesite=strict" in r.headers["set-cookie"].lower()
    assert app_client.get("/auth/me").json()["data"]["user"]["email"] == account.email
    again = app_client.post("/auth/login/link", data={"token": token}, headers=headers, follow_redirects=False)
    assert again.headers["location"] == "/signin?error=link"


def test_the_page_escapes_what_it_shows(app_client, settings):
    odd = add_account(app_client.services.db, settings, "<b>odd</b>@example.com")
    page = app_client.get(f"/auth/login?token={_link(app_client, odd)}")
    assert "&lt;b&gt;odd&lt;/b&gt;@example.com" in page.text and "<b>odd" not in page.text
