"""The translate form of the Generate page, built from the OpenAPI document like every form: the
languages this server can translate into as a picker (GET /api/translate/languages), an upload
beside `videoUrl`; a clip uploaded there (Piper speech over skimage's astronaut) makes a
translate job whose card plays the MP4 with its subtitles and links the WebVTT file."""

from __future__ import annotations

import pytest

from tests import loopback
from tests.engines.video_translate.translate_clip import make_clip
from tests.webui.conftest import shoot, wait_for

pytestmark = pytest.mark.e2e

FORM = "#form-translate"
OPTIONS = "sel => [...document.querySelectorAll(sel + ' option')].map(o => o.value).filter(Boolean)"
VIDEO_PLAYS = (
    "sel => { const v = document.querySelector(sel + ' video');"
    " return v && v.readyState >= 1 && v.duration > 0.5 && v.videoWidth === 256; }"
)


def test_the_translate_form_lists_the_languages_uploads_a_video_and_links_the_subtitles(studio, signed_in, tmp_path):
    with studio.api() as client:
        languages = client.get("/api/translate/languages").json()["data"]
    assert "es" in [lang["code"] for lang in languages]
    page = signed_in.page
    page.goto(f"{studio.url}/generate?type=translate")
    page.wait_for_selector(f"{FORM} select[name=outputLanguage]")
    assert page.evaluate(OPTIONS, f"{FORM} select[name=outputLanguage]") == [lang["code"] for lang in languages]
    assert page.is_visible(f"{FORM} [data-drop-for=videoUrl] button")
    page.select_option(f"{FORM} select[name=outputLanguage]", "es")
    details = page.inner_text(f"{FORM} [data-field=outputLanguage] .picker-details")
    spanish = next(lang for lang in languages if lang["code"] == "es")
    kept = "The original voice can be kept" if spanish["originalVoice"] else "The original voice cannot be kept"
    assert "Video speech in en" in details and kept in details, details

    clip = make_clip(tmp_path / "welcome.mp4", lines=[("Welcome to our city.", 0.5)])
    page.set_input_files(f"{FORM} [data-drop-for=videoUrl] input[type=file]", str(clip.path))
    wait_for(page, f"() => document.querySelector('{FORM} [name=videoUrl]').value.includes('/files/')")
    shoot(page, "translate-form")
    page.click(f"{FORM} button[type=submit]")
    card = page.wait_for_selector("#generate-results .job-card")
    job = studio.wait_job(card.get_attribute("data-job-id"), timeout=600)
    assert job["status"] == "completed", job
    assert [o["type"] for o in job["outputs"]] == ["video/mp4", "text/vtt"]
    selector = f"#generate-results .job-card[data-job-id='{job['jobId']}']"
    wait_for(page, VIDEO_PLAYS, selector, timeout=60)
    track = page.get_attribute(f"{selector} video track", "src")
    link = page.get_attribute(f"{selector} a[data-action=subtitles]", "href")
    assert link and track == link and page.inner_text(f"{selector} a[data-action=subtitles]") == "Subtitles (WebVTT)"
    subtitles = loopback.get(link if link.startswith("http") else studio.url + link, timeout=30)
    assert subtitles.status_code == 200 and subtitles.text.startswith("WEBVTT")
    assert page.locator(f"{selector} a[data-action=download]").count() == 1
    shoot(page, "translate-job")
    assert signed_in.console.unexpected() == []
