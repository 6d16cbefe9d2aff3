"""The studio's instant ads and brand profiles: the instant-ad form of the Generate page (the seed's
choices, the brand-profile picker listing the user's profiles, a loopback page's 400 shown beside
websiteUrl with nothing charged), the Brands page (create, edit, delete through its form), and an
instant ad's job card showing each variation's image, video and copy."""

from __future__ import annotations

import pytest

from tests.webui.conftest import wait_for

pytestmark = pytest.mark.e2e

FORM = "#form-instant-ad"
BRAND_FORM = "#form-brand-profile"
OPTIONS = "sel => [...document.querySelectorAll(sel + ' option')].map(o => o.value).filter(Boolean)"
JOB = {
    "jobId": "00000000-0000-0000-0000-0000000000ad",
    "type": "instant-ad",
    "status": "completed",
    "outputType": "image/png",
    "outputs": [
        {"url": "/favicon.svg", "type": "image/png", "size": 1, "variation": 1},
        {"url": "/favicon.svg", "type": "image/png", "size": 1, "variation": 2},
        {"url": "/missing.mp4", "type": "video/mp4", "size": 1, "variation": 1},
    ],
    "metadata": {
        "variations": [
            {"headline": "Aurora Bottle: cold all day", "body": "Steel.", "callToAction": "Shop now", "angle": "x"},
            {"headline": "Aurora Bottle", "body": "Light.", "callToAction": "Buy", "angle": "value"},
        ]
    },
}
RENDER = """async (job) => {
  const { jobCard } = await import('/assets/js/ui/jobcard.js');
  const card = jobCard(job);
  document.body.append(card.element);
  return [...card.element.querySelectorAll('.ad-grid figure')].map((f) => ({
    text: f.querySelector('figcaption').textContent, images: f.querySelectorAll('img').length,
    videos: f.querySelectorAll('video').length }));
}"""


def test_the_instant_ad_form_and_its_brand_picker(studio, signed_in):
    with studio.api() as client:
        r = client.post("/api/brand-profiles", json={"name": "Picker Brand", "colors": ["#ff0000"], "tagline": "Hi"})
        assert r.status_code == 201, r.text
        profile_id = r.json()["data"]["id"]
        before = client.get("/api/usage").json()["data"]["credits"]
    page = signed_in.page
    page.goto(f"{studio.url}/generate?type=instant-ad")
    page.wait_for_selector(f"{FORM} select[name=platform]")
    assert page.evaluate(OPTIONS, f"{FORM} select[name=platform]") == [
        "tiktok",
        "youtube",
        "instagram",
        "facebook",
        "linkedin",
    ]
    assert page.evaluate(OPTIONS, f"{FORM} select[name=style]") == ["modern", "bold", "minimal", "luxury", "playful"]
    assert page.evaluate(OPTIONS, f"{FORM} select[name=outputFormat]") == ["image", "video", "both"]
    assert profile_id in page.evaluate(OPTIONS, f"{FORM} select[name=brandProfileId]")
    page.select_option(f"{FORM} select[name=brandProfileId]", profile_id)
    assert "“Hi”" in page.inner_text(f"{FORM} [data-field=brandProfileId]")

    page.fill(f"{FORM} [name=websiteUrl]", "http://127.0.0.1:9/product")
    page.select_option(f"{FORM} select[name=platform]", "tiktok")
    page.fill(f"{FORM} [name=count]", "2")
    page.select_option(f"{FORM} select[name=style]", "bold")
    page.click(f"{FORM} button[type=submit]")
    wait_for(page, f"() => document.querySelector('{FORM} [data-field=websiteUrl] .field-error')?.textContent")
    error = page.inner_text(f"{FORM} [data-field=websiteUrl] .field-error")
    assert error == "websiteUrl: must resolve to a public address (127.0.0.1 is loopback)", error
    with studio.api() as client:
        assert client.get("/api/usage").json()["data"]["credits"] == before
    assert signed_in.console.unexpected("400") == []


def test_the_brands_page_creates_edits_and_deletes(studio, signed_in):
    page = signed_in.page
    page.goto(f"{studio.url}/brands")
    page.wait_for_selector(f"{BRAND_FORM} [name=name]")
    assert page.is_visible(f"{BRAND_FORM} [data-drop-for=logoUrl] button")  # an upload beside the logo
    page.fill(f"{BRAND_FORM} [name=name]", "Studio Brand")
    page.fill(f"{BRAND_FORM} [name=colors]", "#123456\n#ABCDEF")
    page.select_option(f"{BRAND_FORM} select[name=font]", "liberation-serif")
    page.fill(f"{BRAND_FORM} [name=bannedWords]", "cheap")
    page.click(f"{BRAND_FORM} button[type=submit]")
    card = "#brand-profiles li:has-text('Studio Brand')"
    page.wait_for_selector(card)
    assert "liberation-serif" in page.inner_text(card) and "cheap" in page.inner_text(card)

    page.click(f"{card} [data-action=edit]")
    assert page.input_value(f"{BRAND_FORM} [name=colors]") == "#123456\n#abcdef"
    page.fill(f"{BRAND_FORM} [name=tagline]", "Made to last")
    page.click(f"{BRAND_FORM} button[type=submit]")
    page.wait_for_selector("#brand-profiles li:has-text('Made to last')")
    with studio.api() as client:
        saved = [p for p in client.get("/api/brand-profiles").json()["data"] if p["name"] == "Studio Brand"]
    assert len(saved) == 1 and saved[0]["tagline"] == "Made to last" and saved[0]["bannedWords"] == ["cheap"]

    page.click(f"{card} [data-action=edit]")  # edit again, with a bad colour: the 400 beside it
    page.fill(f"{BRAND_FORM} [name=colors]", "red")
    page.click(f"{BRAND_FORM} button[type=submit]")
    wait_for(page, f"() => document.querySelector('{BRAND_FORM} [data-field=colors] .field-error')?.textContent")
    assert page.inner_text(f"{BRAND_FORM} [data-field=colors] .field-error").startswith("colors[0]: must be a hex")

    page.click(f"{card} [data-action=delete]")
    page.click("#confirm-ok")
    page.wait_for_selector(card, state="detached")
    assert signed_in.console.unexpected("400", "missing.mp4") == []


def test_an_instant_ad_card_shows_each_variation(studio, signed_in):
    page = signed_in.page
    page.goto(f"{studio.url}/jobs")
    figures = page.evaluate(RENDER, JOB)
    assert [(f["images"], f["videos"]) for f in figures] == [(1, 1), (1, 0)]
    assert "Aurora Bottle: cold all day" in figures[0]["text"] and "Shop now" in figures[0]["text"]
