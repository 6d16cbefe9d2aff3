"""The avatar form of the Generate page, built from the OpenAPI document like every form: a model
picker of the avatar models and their hosted names, the voice picker on voiceId, an upload beside
`image` and `audio` (and beside the video form's `avatarImage`); a photo uploaded there and text
spoken by Piper make an avatar job whose card plays the MP4, on the Generate page and in the
gallery."""

from __future__ import annotations

import io

import pytest

from tests.webui.conftest import shoot, wait_for

pytestmark = pytest.mark.e2e

PIPER_VOICE = "en_US-joe-medium"
OPTIONS = "sel => [...document.querySelectorAll(sel + ' option')].map(o => o.value).filter(Boolean)"
VIDEO_PLAYS = (
    "sel => { const v = document.querySelector(sel + ' video');"
    " return v && v.readyState >= 1 && v.duration > 0.5 && v.videoWidth === 854; }"
)


def astronaut_png() -> bytes:
    from PIL import Image
    from skimage import data

    out = io.BytesIO()
    Image.fromarray(data.astronaut()).save(out, format="PNG")
    return out.getvalue()


def test_the_avatar_form_uploads_a_photo_speaks_text_and_plays_the_video(studio, signed_in, tmp_path):
    with studio.api() as client:
        models = [m for m in client.get("/api/models").json()["data"] if "avatar" in m["tasks"]]
    assert models, "the catalogue has no avatar model (models_manifest.toml, task avatar)"
    page = signed_in.page
    page.goto(f"{studio.url}/generate?type=video")
    page.wait_for_selector("#form-video [data-picker]")
    assert page.is_visible("#form-video [data-drop-for=avatarImage] button")

    page.goto(f"{studio.url}/generate?type=avatar")
    page.wait_for_selector("#form-avatar select[name=model]")
    assert page.evaluate(OPTIONS, "#form-avatar select[name=model]") == [
        name for m in models for name in (m["id"], *m["aliases"])
    ]
    assert PIPER_VOICE in page.evaluate(OPTIONS, "#form-avatar select[name=voiceId]")
    for field in ("image", "audio"):
        assert page.is_visible(f"#form-avatar [data-drop-for={field}] button"), field

    photo = tmp_path / "astronaut.png"
    photo.write_bytes(astronaut_png())
    page.set_input_files("#form-avatar [data-drop-for=image] input[type=file]", str(photo))
    wait_for(page, "() => document.querySelector('#form-avatar [name=image]').value.includes('/files/')")
    page.select_option("#form-avatar select[name=model]", "veed-fabric")
    page.select_option("#form-avatar select[name=resolution]", "480p")
    page.select_option("#form-avatar select[name=voiceId]", PIPER_VOICE)
    page.fill("#form-avatar [name=text]", "Hello from the studio.")
    shoot(page, "avatar-form")
    page.click("#form-avatar button[type=submit]")
    card = page.wait_for_selector("#generate-results .job-card")
    job = studio.wait_job(card.get_attribute("data-job-id"))
    assert job["status"] == "completed", job
    assert (job["outputType"], job["model"]) == ("video/mp4", "veed-fabric")
    wait_for(page, VIDEO_PLAYS, "#generate-results .job-card", timeout=60)
    page.goto(f"{studio.url}/jobs?type=avatar")  # the gallery plays it too
    in_gallery = f"#gallery .job-card[data-job-id='{job['jobId']}']"
    page.wait_for_selector(in_gallery)
    wait_for(page, VIDEO_PLAYS, in_gallery, timeout=60)
    assert signed_in.console.unexpected() == []
