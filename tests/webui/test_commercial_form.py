"""The commercial form of the Generate page, built from the OpenAPI document like every form: the
platform, duration and tone as choices, the voice picker on voiceId, uploads beside
`spokespersonImage` and `productImages`; the server's 400 for an unknown musicMood shown beside
that field, nothing charged. And the job card of a commercial (Generate page and gallery) showing
its script: each part's voice-over, on-screen text and picture source."""

from __future__ import annotations

import pytest

from tests.webui.conftest import wait_for

pytestmark = pytest.mark.e2e

FORM = "#form-commercial"
PIPER_VOICE = "en_US-joe-medium"
OPTIONS = "sel => [...document.querySelectorAll(sel + ' option')].map(o => o.value).filter(Boolean)"
JOB = {
    "jobId": "00000000-0000-0000-0000-000000000001",
    "type": "commercial",
    "status": "completed",
    "outputType": "video/mp4",
    "outputs": [],
    "metadata": {
        "script": {
            "hook": {"voiceover": "Thirsty?", "onScreenText": "Stay cold"},
            "scenes": [{"voiceover": "Ice cold all day.", "onScreenText": "24 hours"}],
            "callToAction": {"voiceover": "Get the bottle today.", "onScreenText": "Shop now"},
        },
        "sceneClips": [{"source": "video"}, {"source": "product-image"}, {"source": "spokesperson"}],
    },
}
RENDER = """async (job) => {
  const { jobCard } = await import('/assets/js/ui/jobcard.js');
  const card = jobCard(job);
  document.body.append(card.element);
  return [...card.element.querySelectorAll('.job-script li')].map((li) => li.textContent);
}"""


def test_the_commercial_form_offers_every_seed_field_and_shows_the_music_mood_400(studio, signed_in):
    page = signed_in.page
    page.goto(f"{studio.url}/generate?type=commercial")
    page.wait_for_selector(f"{FORM} select[name=platform]")
    assert page.evaluate(OPTIONS, f"{FORM} select[name=platform]") == ["tiktok", "youtube", "instagram", "tv"]
    assert page.evaluate(OPTIONS, f"{FORM} select[name=duration]") == ["15", "30", "60"]
    assert page.evaluate(OPTIONS, f"{FORM} select[name=tone]") == [
        "professional",
        "energetic",
        "casual",
        "luxury",
        "funny",
    ]
    assert PIPER_VOICE in page.evaluate(OPTIONS, f"{FORM} select[name=voiceId]")
    for field in ("spokespersonImage", "productImages"):
        assert page.is_visible(f"{FORM} [data-drop-for={field}] button"), field
    for field in ("targetAudience", "voiceModel", "musicMood", "videoModel"):
        assert page.is_visible(f"{FORM} [name={field}]"), field

    with studio.api() as client:
        before = client.get("/api/usage").json()["data"]["credits"]
    page.fill(f"{FORM} [name=product]", "a reusable steel water bottle")
    page.select_option(f"{FORM} select[name=platform]", "tiktok")
    page.select_option(f"{FORM} select[name=duration]", "15")
    page.select_option(f"{FORM} select[name=tone]", "energetic")
    page.fill(f"{FORM} [name=musicMood]", "polka")
    page.click(f"{FORM} button[type=submit]")
    wait_for(page, f"() => document.querySelector('{FORM} [data-field=musicMood] .field-error')?.textContent")
    error = page.inner_text(f"{FORM} [data-field=musicMood] .field-error")
    assert error.startswith("musicMood: 'polka' is not a known mood; use one of calm, energetic"), error
    with studio.api() as client:
        assert client.get("/api/usage").json()["data"]["credits"] == before
    assert signed_in.console.unexpected("400") == []


def test_a_commercial_job_card_shows_its_script(studio, signed_in):
    page = signed_in.page
    page.goto(f"{studio.url}/jobs")
    items = page.evaluate(RENDER, JOB)
    assert len(items) == 3
    assert items[0].startswith("Hook Thirsty?") and "“Stay cold”" in items[0] and "video" in items[0]
    assert items[1].startswith("Scene 1 Ice cold all day.") and "product-image" in items[1]
    assert items[2].startswith("Call to action Get the bottle today.") and "spokesperson" in items[2]
