"""Forms that know the server: the pickers of ui/pickers.js on the Generate page. The model picker
lists the task's models and the hosted names they stand in for, the voice picker lists stock voices
and plays a preview, and every input-URL field takes an upload beside it."""

from __future__ import annotations

import pytest

from tests import loopback
from tests.api.webhook_helpers import png_bytes
from tests.webui.conftest import DESKTOP, PHONE, open_tab, shoot, sign_in, wait_for

pytestmark = pytest.mark.e2e

OPTGROUPS = """sel => [...document.querySelectorAll(sel + ' optgroup')].map(g => ({
  label: g.label, model: g.dataset.modelId || g.dataset.model || '',
  options: [...g.querySelectorAll('option')].map(o => o.value) }))"""


def fmt_size(gb: float) -> str:
    return f"{gb:g} GB" if gb >= 1 else f"{max(1, round(gb * 1000))} MB"


def test_the_model_picker_lists_the_models_and_hosted_names_and_submits_the_choice(studio, signed_in):
    with studio.api() as client:
        models = [m for m in client.get("/api/models").json()["data"] if "image" in m["tasks"]]
    page = signed_in.page
    page.goto(f"{studio.url}/generate?type=image")
    page.wait_for_selector("#form-image select[name=model]")
    groups = page.evaluate(OPTGROUPS, "#form-image select[name=model]")
    assert [g["model"] for g in groups] == [m["id"] for m in models]
    for group, model in zip(groups, models, strict=True):
        label = group["label"]
        assert label.startswith(model["name"])
        assert ("not installed" in label) == (not model["installed"]), label
        assert f"{fmt_size(model['sizeGb'])} download" in label and model["license"] in label, label
        assert ("non-commercial" in label) == (not model["commercialUse"]), label
        assert group["options"] == [model["id"], *model["aliases"]]
    assert any(not m["commercialUse"] for m in models)  # the catalogue has one to flag
    # The blank choice is the server's default, and says which model that is.
    default = next(m for m in models if "image" in m["defaultFor"])
    assert page.inner_text("#form-image select[name=model] option[value='']") == f"Server default ({default['name']})"
    assert default["name"] in page.inner_text("#form-image [data-field=model] .picker-details")

    non_commercial = next(m for m in models if not m["commercialUse"])
    page.select_option("#form-image select[name=model]", non_commercial["id"])
    details = "#form-image [data-field=model] .picker-details"
    assert page.is_visible(f"{details} .badge.noncommercial")
    assert "Non-commercial license" in page.inner_text(details)

    alias = default["aliases"][0]
    page.select_option("#form-image select[name=model]", alias)
    assert f"Hosted name {alias}: this server runs {default['name']} for it." in page.inner_text(details)
    page.fill("#form-image [name=prompt]", "a paper boat")
    page.fill("#form-image [name=width]", "256")
    page.fill("#form-image [name=height]", "256")
    page.fill("#form-image [name=steps]", "1")
    page.click("#form-image button[type=submit]")
    card = page.wait_for_selector("#generate-results .job-card")
    with studio.api() as client:
        job = client.get(f"/api/jobs/{card.get_attribute('data-job-id')}").json()["data"]
    assert job["model"] == alias
    assert studio.wait_job(job["jobId"])["status"] == "completed"
    assert signed_in.console.unexpected() == []


PREVIEW = "/api/voices/{voice_id}/preview"
PIPER_VOICE = "en_US-joe-medium"
AUDIO_LOADED = (
    "() => { const a = document.querySelector('#form-voice .voice-preview audio');"
    " return a && a.src && a.readyState >= 2 && a.duration > 0.5 && !a.hidden; }"
)


def test_the_voice_picker_lists_stock_voices_and_plays_a_preview(studio, signed_in):
    with studio.api() as client:
        paths = client.get("/schema/openapi.json").json()["paths"]
        voices = client.get("/api/voices").json()["data"]
    if "/api/generate/voice" not in paths:
        pytest.skip("this server has no voice endpoint")
    page = signed_in.page
    page.goto(f"{studio.url}/generate?type=voice")
    select = "#form-voice select[name=voiceId]"
    page.wait_for_selector(select)
    groups = page.evaluate(OPTGROUPS, select)
    stock = [v for v in voices if v["type"] == "stock"]
    assert [o for g in groups for o in g["options"]] == [v["voiceId"] for v in stock]
    for group in groups:
        model = next(v for v in stock if v["model"] == group["model"])
        assert group["label"].startswith(model["model"])
        assert group["label"].endswith("not installed" if model["installed"] is False else "— installed")

    # A voice whose model is not installed says why it has no preview, and asks the server nothing.
    missing = next((v for v in stock if v["installed"] is False), None)
    if missing is not None:
        page.select_option(select, missing["voiceId"])
        page.click("#form-voice [data-action=preview]")
        wait_for(
            page,
            "() => document.querySelector('#form-voice .picker-status').textContent"
            ".includes('once the model is installed')",
        )
        assert page.is_hidden("#form-voice .voice-preview audio")

    if PREVIEW not in paths:
        pytest.skip(
            "the server does not register GET /api/voices/{voice_id}/preview yet (apexlocal.api.voice_preview.routes)"
        )
    page.select_option(select, PIPER_VOICE)
    page.click("#form-voice [data-action=preview]")
    wait_for(page, AUDIO_LOADED, timeout=120)
    src = page.evaluate("document.querySelector('#form-voice .voice-preview audio').src")
    assert src.startswith(f"{studio.url}/files/") and loopback.get(src).headers["content-type"] == "audio/wav"
    assert page.inner_text("#form-voice .picker-status") == f"Preview of {PIPER_VOICE}"

    # The chosen voice is what the form submits.
    page.fill("#form-voice [name=text]", "Hello there.")
    page.click("#form-voice button[type=submit]")
    card = page.wait_for_selector("#generate-results .job-card")
    job_id = card.get_attribute("data-job-id")
    with studio.api() as client:
        assert client.get(f"/api/jobs/{job_id}/params").json()["data"]["params"]["voiceId"] == PIPER_VOICE
    assert studio.wait_job(job_id)["status"] == "completed"
    assert signed_in.console.unexpected() == []


def test_every_input_url_field_has_an_upload_beside_it_that_fills_it(studio, signed_in, tmp_path):
    with studio.api() as client:
        doc = client.get("/schema/openapi.json").json()
    page = signed_in.page
    media = ("url", "urls", "image", "images", "audio", "video", "videos")
    seen = []
    for path, ops in doc["paths"].items():
        if not path.startswith("/api/generate/") or "post" not in ops:
            continue
        name = path.removeprefix("/api/generate/")
        ref = ops["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
        fields = [
            f
            for f in doc["components"]["schemas"][ref]["properties"]
            if f.lower().endswith(media) and any(k in f.lower() for k in ("image", "audio", "video"))
        ]
        if not fields:
            continue
        page.goto(f"{studio.url}/generate?type={name}")
        page.wait_for_selector(f"#form-{name}")
        for field in fields:
            assert page.is_visible(f"#form-{name} [data-field={field}] [data-drop-for={field}] button"), field
            seen.append((name, field))
    assert ("video", "avatarImage") in seen and ("voice-clone", "sampleAudioUrl") in seen

    picture = tmp_path / "face.png"
    picture.write_bytes(png_bytes(16, 16))
    page.goto(f"{studio.url}/generate?type=video")
    page.set_input_files("#form-video [data-drop-for=avatarImage] input[type=file]", str(picture))
    wait_for(page, "() => document.querySelector('#form-video [name=avatarImage]').value.includes('/files/')")
    url = page.input_value("#form-video [name=avatarImage]")
    assert loopback.get(url).headers["content-type"] == "image/png"
    assert "Uploaded face.png" in page.inner_text("#form-video [data-drop-for=avatarImage]")
    assert signed_in.console.unexpected() == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots_of_the_generate_page_with_its_pickers(studio, browser, scheme):
    with studio.api() as client:
        paths = client.get("/schema/openapi.json").json()["paths"]
    for viewport, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
        tab = sign_in(studio, open_tab(browser, viewport, color_scheme=scheme))
        page = tab.page
        for name in ("image", "voice", "video"):
            if f"/api/generate/{name}" not in paths:
                continue
            page.goto(f"{studio.url}/generate?type={name}")
            page.wait_for_selector(f"#form-{name} [data-picker]")
            if name == "image":
                page.select_option("#form-image select[name=model]", "flux-2-dev")
            if name == "voice" and PREVIEW in paths:
                page.select_option("#form-voice select[name=voiceId]", PIPER_VOICE)
                page.click("#form-voice [data-action=preview]")
                wait_for(page, AUDIO_LOADED, timeout=120)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"] + 1, f"{name} is {width}px wide on a {viewport['width']}px screen"
            shoot(page, f"pickers-{name}-{label}-{scheme}")
        assert tab.console.errors == []
        tab.context.close()
