"""Every page at a desktop and a phone width, light and dark: it renders with no console error,
nothing overflows sideways on a phone, and a screenshot is saved under artifacts/screenshots/."""

from __future__ import annotations

import pytest

from tests.webui.conftest import DESKTOP, PHONE, open_tab, shoot, sign_in, wait_for

pytestmark = pytest.mark.e2e

# page -> a selector that is there once the page has loaded its data
PAGES = {
    "dashboard": "#credits-chart svg",
    "generate": "#form-image",
    "jobs": "#gallery .job-card img",
    "keys": "#keys-table",
    "settings": "#deliveries-table",
    "voices": "#voices[data-loaded=true]",
    "brands": "#brands[data-loaded=true]",
    "agents": "#agents[data-loaded=true]",
    "models": "#models .model-card",
    "users": "#users-table",
}


@pytest.fixture(scope="module")
def with_data(studio, receiver):
    """Something on every page: a finished image (so spending, a gallery, a delivery), a second
    key, a second user."""
    with studio.api() as client:
        client.patch("/api/settings", json={"webhookUrl": receiver.url}).raise_for_status()
        job = client.post(
            "/api/generate/image", json={"prompt": "a quiet harbour", "width": 256, "height": 256, "steps": 1}
        ).json()["data"]
        client.post("/api/keys", json={"name": "ci pipeline"}).raise_for_status()
        client.post("/api/admin/users", json={"email": "creator@example.com", "plan": "creator", "credits": 500})
    studio.wait_job(job["jobId"])
    with studio.api() as client:
        for _ in range(100):
            if client.get("/api/webhooks/deliveries").json()["data"]:
                break
            import time

            time.sleep(0.1)
    return studio


def visit_all(studio, browser, viewport, label, scheme="light"):
    tab = sign_in(studio, open_tab(browser, viewport, color_scheme=scheme))
    page = tab.page
    overflow = {}
    for name, ready in PAGES.items():
        page.goto(f"{studio.url}/{name}")
        page.wait_for_selector(ready)
        # What the screenshot shows has arrived: every image decoded, the fonts loaded. (Waiting
        # for the network to be idle instead costs its 500 ms of quiet on every page.)
        wait_for(page, "() => document.fonts.status === 'loaded' && [...document.images].every(i => i.complete)")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > viewport["width"] + 1:
            overflow[name] = width
        shoot(page, f"{name}-{label}")
    tab.context.close()
    return tab.console.errors, overflow


@pytest.mark.parametrize(("viewport", "label"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_every_page_renders_without_console_errors(with_data, browser, viewport, label):
    errors, overflow = visit_all(with_data, browser, viewport, label)
    assert errors == []
    assert overflow == {}, f"pages wider than the screen: {overflow}"


def test_dark_mode_renders_too(with_data, browser):
    errors, _ = visit_all(with_data, browser, PHONE, "phone-dark", scheme="dark")
    assert errors == []
    tab = open_tab(browser, DESKTOP, color_scheme="dark")
    sign_in(with_data, tab)
    background = tab.page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(15, 17, 23)"
    shoot(tab.page, "dashboard-desktop-dark")
    tab.context.close()


def test_the_sign_in_page(studio, browser):
    for viewport, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
        tab = open_tab(browser, viewport)
        tab.page.goto(f"{studio.url}/")
        tab.page.wait_for_selector(".signin-card")
        assert tab.page.url.endswith("/signin")
        shoot(tab.page, f"signin-{label}")
        assert tab.console.errors == []
        tab.context.close()


def test_the_studio_is_usable_with_the_keyboard_on_a_phone(studio, browser):
    tab = sign_in(studio, open_tab(browser, PHONE))
    page = tab.page
    assert not page.is_visible("#site-nav")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.focus(".menu-toggle")
    page.keyboard.press("Enter")
    assert page.get_attribute(".menu-toggle", "aria-expanded") == "true" and page.is_visible("#site-nav")
    shoot(page, "menu-phone")
    page.focus("#site-nav a[href='/jobs']")
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('Jobs')")
    assert page.url.endswith("/jobs") and not page.is_visible("#site-nav")
    # The page moves focus to its main region once it has rendered, which can land just after the heading.
    wait_for(page, "() => document.activeElement && document.activeElement.id === 'main'", timeout=5)
    assert page.evaluate("document.activeElement.id") == "main"
    assert page.get_attribute("#site-nav a[href='/jobs']", "aria-current") == "page"
    assert tab.console.errors == []
    tab.context.close()


def test_every_generation_endpoint_has_a_form_built_from_its_schema(studio, browser):
    with studio.api() as client:
        doc = client.get("/schema/openapi.json").json()
    endpoints = {
        path.removeprefix("/api/generate/"): op["post"]
        for path, op in doc["paths"].items()
        if path.startswith("/api/generate/") and "post" in op
    }
    assert "image" in endpoints
    tab = sign_in(studio, open_tab(browser, DESKTOP))
    page = tab.page
    for name, op in endpoints.items():
        ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
        properties = list(doc["components"]["schemas"][ref]["properties"])
        page.goto(f"{studio.url}/generate?type={name}")
        page.wait_for_selector(f"#form-{name}")
        names = page.eval_on_selector_all(f"#form-{name} [name]", "els => els.map(e => e.name)")
        assert [n for n in names if n in properties] == properties, name
        shoot(page, f"generate-{name}-desktop")
    assert tab.console.errors == []
    tab.context.close()
