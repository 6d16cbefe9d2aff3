"""Signing in and out in the browser, and what a cross-site page can (not) do with the cookie."""

from __future__ import annotations

import re

import pytest

from apexlocal.accounts.sessions import COOKIE_NAME
from tests import loopback
from tests.webui.conftest import open_tab, sign_in

pytestmark = pytest.mark.e2e


def test_the_login_link_from_the_first_start_signs_in_and_shows_the_credits(studio, tab, browser):
    page = tab.page
    page.goto(studio.first_link)
    page.wait_for_selector("#stat-credits")
    assert page.url == f"{studio.url}/dashboard"
    with studio.api() as client:
        credits = client.get("/api/usage").json()["data"]["credits"]
    assert re.sub(r"\D", "", page.inner_text("#stat-credits")) == str(credits)
    assert page.inner_text("#stat-plan").lower() == "enterprise"
    assert "owner@localhost" in page.inner_text("#topbar")
    cookie = next(c for c in tab.context.cookies() if c["name"] == COOKIE_NAME)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert page.evaluate("document.cookie") == ""  # HttpOnly: no script can read it
    assert tab.console.unexpected() == []
    # The link worked once: another browser opening it lands on the sign-in page, told why.
    other = open_tab(browser)
    other.page.goto(studio.first_link)
    other.page.wait_for_selector(".signin-card")
    assert "not valid any more" in other.page.inner_text("main")
    assert other.console.unexpected() == []
    other.context.close()


def test_signing_in_with_an_api_key(studio, tab):
    page = tab.page
    page.goto(f"{studio.url}/")
    page.wait_for_selector("input[name=apiKey]")
    page.fill("input[name=apiKey]", "sk_live_wrong")
    page.click("button[type=submit]")
    page.wait_for_selector("#main .field-error:not(:empty)")
    assert page.get_attribute("input[name=apiKey]", "aria-invalid") == "true"
    page.fill("input[name=apiKey]", studio.owner_key)
    page.click("button[type=submit]")
    page.wait_for_selector("#stat-credits")
    assert page.url.endswith("/dashboard")
    assert tab.console.unexpected("401 (Unauthorized)") == []


def test_sign_out_and_the_old_cookie_no_longer_works(studio, signed_in):
    page, context = signed_in.page, signed_in.context
    cookie = next(c["value"] for c in context.cookies() if c["name"] == COOKIE_NAME)
    with loopback.client(base_url=studio.url) as client:
        assert client.get("/api/usage", headers={"Cookie": f"{COOKIE_NAME}={cookie}"}).status_code == 200
    page.click("#sign-out")
    page.wait_for_selector(".signin-card")
    assert page.url.endswith("/signin")
    assert not [c for c in context.cookies() if c["name"] == COOKIE_NAME]
    with loopback.client(base_url=studio.url) as client:
        stale = client.get("/api/usage", headers={"Cookie": f"{COOKIE_NAME}={cookie}"})
        assert stale.status_code == 401 and stale.json()["code"] == "UNAUTHORIZED"
        me = client.get("/auth/me", headers={"Cookie": f"{COOKIE_NAME}={cookie}"}).json()["data"]
        assert me == {"signedIn": False}
    page.goto(f"{studio.url}/keys")
    page.wait_for_selector(".signin-card")
    assert signed_in.console.unexpected() == []


EVIL_PAGE = """<!doctype html><title>Win a prize</title>
<form id="f" method="post" action="{target}/api/keys" enctype="text/plain">
<input name='{{"name": "evil", "x": "' value='"}}'></form>
<script>
fetch("{target}/api/settings/webhook-secret/rotate", {{method: "POST", credentials: "include", mode: "no-cors"}})
  .finally(() => document.getElementById("f").submit());
</script>"""


def test_a_cross_site_post_with_the_cookie_is_refused(studio, browser):
    tab = sign_in(studio, open_tab(browser))
    page, context = tab.page, tab.context
    csrf = page.evaluate("fetch('/auth/me').then(r => r.json()).then(b => b.data.csrfToken)")
    with studio.api() as client:
        keys_before = len(client.get("/api/keys").json()["data"])
        secret_before = client.get("/api/settings").json()["data"]["webhookSecret"]
    # A page on another site posts to the studio: a form (which a browser sends with cookies it may
    # attach) and a no-cors fetch.
    context.route(
        "http://evil.test/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body=EVIL_PAGE.format(target=studio.url)),
    )
    with page.expect_response(lambda r: r.url == f"{studio.url}/api/keys" and r.request.method == "POST") as answer:
        page.goto("http://evil.test/prize")
    assert answer.value.status in (401, 403)
    # With the cookie and even the CSRF token, a request that says it comes from elsewhere is refused.
    forged = context.request.post(
        f"{studio.url}/api/keys", data={"name": "evil"}, headers={"X-CSRF-Token": csrf, "Origin": "http://evil.test"}
    )
    assert forged.status == 403 and forged.json()["error"] == "Cross-site request refused"
    no_token = context.request.post(f"{studio.url}/api/keys", data={"name": "evil"})
    assert no_token.status == 403
    with studio.api() as client:
        assert len(client.get("/api/keys").json()["data"]) == keys_before
        assert client.get("/api/settings").json()["data"]["webhookSecret"] == secret_before
    context.close()


LINK_PAGE = """<!doctype html><title>Win a prize</title>
<a id="go" href="{link}">Claim</a>
<form id="f" method="post" action="{target}/auth/login/link"><input name="token" value="{token}"></form>
<script>document.getElementById("{how}").{action}();</script>"""


def test_a_login_link_opened_from_another_site_does_not_sign_in(studio, browser):
    """Login CSRF: another site sends the browser to a link of the attacker's account."""
    tab = open_tab(browser)
    page, context = tab.page, tab.context
    link = studio.new_link()
    token = link.split("token=", 1)[1]
    evil = {"page": ""}
    context.route(
        "http://evil.test/**", lambda route: route.fulfill(status=200, content_type="text/html", body=evil["page"])
    )
    # The attacker's page posts the link's form itself: refused.
    evil["page"] = LINK_PAGE.format(link=link, target=studio.url, token=token, how="f", action="submit")
    with page.expect_response(lambda r: r.url == f"{studio.url}/auth/login/link") as answer:
        page.goto("http://evil.test/prize")
    assert answer.value.status == 403
    # The attacker's page sends the browser to the link: a page asks first, nobody is signed in.
    evil["page"] = LINK_PAGE.format(link=link, target=studio.url, token=token, how="go", action="click")
    page.goto("http://evil.test/prize")
    page.wait_for_selector("#confirm-signin")
    assert page.url == link and "owner@localhost" in page.inner_text("main")
    assert not [c for c in context.cookies() if c["name"] == COOKIE_NAME]
    # Whoever the link was made for signs in with a click on that page.
    page.click("#confirm-signin")
    page.wait_for_selector("#stat-credits")
    assert page.url == f"{studio.url}/dashboard"
    assert tab.console.unexpected("403 (Forbidden)") == []
    context.close()
