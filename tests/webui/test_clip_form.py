"""The auto-clip form of the Generate page, built from the OpenAPI document like every form: every
seed field (aspectRatio as a choice, an upload beside sourceVideoUrl), the speech models to pick
from, the server's 400 for a minDuration above maxDuration shown beside that field, nothing
charged. And the job card of a clip job: its clips as a gallery with score, title, place in the
source and reasons, best first; a job that made no clip says why."""

from __future__ import annotations

import pytest

from tests.webui.conftest import wait_for

pytestmark = pytest.mark.e2e

FORM = "#form-clip"
OPTIONS = "sel => [...document.querySelectorAll(sel + ' option')].map(o => o.value).filter(Boolean)"
CLIPS = [
    {
        "rank": 1,
        "start": 74.2,
        "end": 85.3,
        "score": 8.5,
        "title": "Why do cats purr?",
        "hook": "Why do cats purr?",
        "reasons": ["Hook: opens with a question in the first seconds", "A face on screen 100% of the time"],
    },
    {
        "rank": 2,
        "start": 25.1,
        "end": 37.6,
        "score": 7.2,
        "title": "Bread bubbles",
        "hook": "Those bubbles",
        "reasons": ["Lively pace: 164 words per minute"],
    },
]
JOB = {
    "jobId": "00000000-0000-0000-0000-000000000002",
    "type": "clip",
    "status": "completed",
    "outputType": "video/mp4",
    "outputUrl": "/clip-01.mp4",
    "outputs": [
        {"url": "/clip-01.mp4", "type": "video/mp4", "rank": 1, "score": 8.5},
        {"url": "/clip-01.vtt", "type": "text/vtt", "rank": 1},
        {"url": "/clip-02.mp4", "type": "video/mp4", "rank": 2, "score": 7.2},
        {"url": "/clip-02.vtt", "type": "text/vtt", "rank": 2},
        {"url": "/clips.json", "type": "application/json"},
    ],
    "metadata": {"clipCount": 2, "viralScores": [8.5, 7.2], "clips": CLIPS},
}
NONE = {
    **JOB,
    "outputs": [{"url": "/clips.json", "type": "application/json"}],
    "metadata": {"clipCount": 0, "viralScores": [], "clips": [], "message": "No clip scored at least 9"},
}
RENDER = """async (job) => {
  const { jobCard } = await import('/assets/js/ui/jobcard.js');
  const card = jobCard(job);
  document.body.append(card.element);
  const figures = [...card.element.querySelectorAll('.clip-grid figure')];
  return {
    clips: figures.map((f) => ({ text: f.querySelector('figcaption').textContent,
      video: f.querySelector('video')?.getAttribute('src'), track: f.querySelector('track')?.getAttribute('src') })),
    none: card.element.querySelector('[data-role=no-clips]')?.textContent || null,
  };
}"""


def test_the_clip_form_offers_every_seed_field_and_shows_the_duration_400(studio, signed_in):
    page = signed_in.page
    page.goto(f"{studio.url}/generate?type=clip")
    page.wait_for_selector(f"{FORM} select[name=aspectRatio]")
    assert page.evaluate(OPTIONS, f"{FORM} select[name=aspectRatio]") == ["9:16", "1:1", "16:9"]
    assert page.is_visible(f"{FORM} [data-drop-for=sourceVideoUrl] button")
    models = page.evaluate(OPTIONS, f"{FORM} select[name=model]")  # the speech models hear the video
    assert "whisper-tiny-en" in models and "whisper-base" in models
    for field in ("maxClips", "minDuration", "maxDuration", "addCaptions", "viralScoreThreshold"):
        assert page.is_visible(f"{FORM} [name={field}]"), field
    with studio.api() as client:
        before = client.get("/api/usage").json()["data"]["credits"]
    page.fill(f"{FORM} [name=sourceVideoUrl]", "https://videos.example.com/talk.mp4")
    page.fill(f"{FORM} [name=minDuration]", "50")
    page.fill(f"{FORM} [name=maxDuration]", "20")
    page.click(f"{FORM} button[type=submit]")
    wait_for(page, f"() => document.querySelector('{FORM} [data-field=minDuration] .field-error')?.textContent")
    error = page.inner_text(f"{FORM} [data-field=minDuration] .field-error")
    assert error.startswith("minDuration: must be at most maxDuration (50 s > 20 s"), error
    with studio.api() as client:
        assert client.get("/api/usage").json()["data"]["credits"] == before
    assert signed_in.console.unexpected("400") == []


def test_a_clip_job_card_shows_its_clips_with_scores_and_reasons(studio, signed_in):
    page = signed_in.page
    page.goto(f"{studio.url}/jobs")
    shown = page.evaluate(RENDER, JOB)
    assert [c["video"] for c in shown["clips"]] == ["/clip-01.mp4", "/clip-02.mp4"]
    assert [c["track"] for c in shown["clips"]] == ["/clip-01.vtt", "/clip-02.vtt"]
    first = shown["clips"][0]["text"]
    assert first.startswith("#1 · 8.5/10 Why do cats purr?") and "1:14 to 1:25 of the source" in first
    assert "Hook: opens with a question" in first and "A face on screen" in first
    assert shown["clips"][1]["text"].startswith("#2 · 7.2/10 Bread bubbles")
    empty = page.evaluate(RENDER, NONE)
    assert empty["clips"] == [] and empty["none"] == "No clip scored at least 9"
