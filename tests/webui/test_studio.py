"""Working in the studio: generate and watch a job live, validation messages beside their field,
uploads by drag and drop, the gallery's filters, API keys shown once, webhook settings."""

from __future__ import annotations

import pytest

from tests import loopback
from tests.api.webhook_helpers import png_bytes
from tests.webui.conftest import open_tab, shoot, wait_for

pytestmark = pytest.mark.e2e

# Records every status the first job card shows, from the moment it appears.
WATCH_STATUSES = """() => {
  window.__statuses = [];
  const record = () => document.querySelectorAll('#generate-results [data-role=status]').forEach((el) => {
    if (window.__statuses[window.__statuses.length - 1] !== el.textContent) window.__statuses.push(el.textContent);
  });
  new MutationObserver(record).observe(document.getElementById('main'),
    {subtree: true, childList: true, characterData: true});
}"""


def test_generate_an_image_and_watch_it_finish_without_a_reload(studio, signed_in):
    page = signed_in.page
    page.goto(f"{studio.url}/generate")
    page.wait_for_selector("#form-image")
    page.evaluate(WATCH_STATUSES)
    page.evaluate("window.__sameDocument = true")
    page.fill("#form-image [name=prompt]", "a lighthouse at dusk")
    page.fill("#form-image [name=width]", "256")
    page.fill("#form-image [name=height]", "256")
    page.fill("#form-image [name=steps]", "2")
    page.click("#form-image button[type=submit]")
    card = page.wait_for_selector("#generate-results .job-card")
    page.wait_for_selector("#generate-results .job-card[data-status=completed] .job-preview img", timeout=240_000)
    wait_for(page, "() => document.querySelector('#generate-results img').naturalWidth > 0")
    statuses = page.evaluate("window.__statuses")
    assert statuses[0] == "queued" and statuses[-1] == "completed", statuses
    assert page.evaluate("window.__sameDocument") is True  # no reload happened
    job_id = card.get_attribute("data-job-id")
    src = page.get_attribute("#generate-results img", "src")
    assert src.startswith(f"{studio.url}/files/")
    assert page.get_attribute("#generate-results [data-action=download]", "href") == src
    with studio.api() as client:
        assert client.get(f"/api/jobs/{job_id}").json()["data"]["status"] == "completed"
    page.click("#generate-results .job-details summary")
    wait_for(
        page, "() => document.querySelector('#generate-results .job-details pre')?.textContent.includes('lighthouse')"
    )
    assert '"width": 256' in page.inner_text("#generate-results .job-metadata")
    studio.extra["image_job"] = job_id
    assert signed_in.console.unexpected() == []


def test_a_validation_error_appears_beside_its_field(studio, signed_in):
    page = signed_in.page
    page.goto(f"{studio.url}/generate?type=image")
    page.wait_for_selector("#form-image")
    page.fill("#form-image [name=prompt]", "a cat")
    page.fill("#form-image [name=width]", "100")
    page.click("#form-image button[type=submit]")
    error = page.wait_for_selector("#form-image [data-field=width] .field-error:not(:empty)")
    assert error.inner_text() == "width: must be an integer between 256 and 2048"
    width = page.locator("#form-image [name=width]")
    assert width.get_attribute("aria-invalid") == "true"
    assert error.get_attribute("id") in width.get_attribute("aria-describedby").split()
    assert page.evaluate("document.activeElement.name") == "width"
    assert page.inner_text("#form-image [data-field=height] .field-error") == ""
    assert page.locator("#generate-results .job-card").count() == 0
    # The message is the server's: the request went out and came back 400.
    assert signed_in.console.unexpected("400 (Bad Request)") == []


SCHEMA = {
    "type": "object",
    "required": ["avatarImage"],
    "properties": {
        "avatarImage": {"type": "string", "description": "Image URL"},
        "sampleAudioUrl": {"oneOf": [{"type": "string"}, {"type": "null"}]},
        "productImages": {"type": "array", "items": {"type": "string"}},
        "websiteUrl": {"type": "string"},
    },
}

MOUNT_FORM = """async (schema) => {
  const { schemaForm } = await import('/assets/js/ui/schemaform.js');
  const built = schemaForm({}, schema, { id: 'probe-form' });
  document.getElementById('main').append(built.form);
}"""

DROP_FILE = """([selector, bytes, name, type]) => {
  const transfer = new DataTransfer();
  transfer.items.add(new File([new Uint8Array(bytes)], name, { type }));
  const drop = new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true });
  document.querySelector(selector).dispatchEvent(drop);
}"""


def test_every_input_url_field_takes_a_dropped_or_chosen_upload(studio, signed_in, tmp_path):
    page = signed_in.page
    page.goto(f"{studio.url}/generate")
    page.wait_for_selector("#form-image")
    page.evaluate(MOUNT_FORM, SCHEMA)
    zones = page.eval_on_selector_all("#probe-form [data-drop-for]", "els => els.map(e => e.dataset.dropFor)")
    assert zones == ["avatarImage", "sampleAudioUrl", "productImages"]  # websiteUrl is a page, not a file
    page.evaluate(DROP_FILE, ["[data-drop-for=avatarImage]", list(png_bytes(8, 8)), "face.png", "image/png"])
    wait_for(page, "() => document.querySelector('#probe-form [name=avatarImage]').value.includes('/files/')")
    url = page.input_value("#probe-form [name=avatarImage]")
    assert loopback.get(url).status_code == 200
    picture = tmp_path / "product.png"
    picture.write_bytes(png_bytes(4, 4))
    for _ in range(2):  # a list field collects one URL per line
        page.set_input_files("[data-drop-for=productImages] input[type=file]", str(picture))
        wait_for(
            page,
            "n => document.querySelector('#probe-form [name=productImages]').value"
            ".split('\\n').filter(Boolean).length === n",
            _ + 1,
        )
    page.evaluate(DROP_FILE, ["[data-drop-for=sampleAudioUrl]", list(b"not audio at all"), "x.wav", "audio/wav"])
    error = page.wait_for_selector("#probe-form [data-field=sampleAudioUrl] .field-error:not(:empty)")
    assert error.inner_text() and page.input_value("#probe-form [name=sampleAudioUrl]") == ""
    assert signed_in.console.unexpected("415 (Unsupported Media Type)", "400 (Bad Request)") == []


def test_the_gallery_filters_by_type_and_status(studio, signed_in):
    with studio.api() as client:
        job = client.post(
            "/api/generate/image", json={"prompt": "a red kite", "width": 256, "height": 256, "steps": 1}
        ).json()["data"]
    studio.wait_job(job["jobId"])
    page = signed_in.page
    page.goto(f"{studio.url}/jobs")
    page.wait_for_selector(f"#gallery [data-job-id='{job['jobId']}'] img")
    first = page.get_attribute("#gallery .job-card", "data-job-id")
    assert first == job["jobId"]  # newest first
    page.select_option("#filter-status", "failed")
    page.wait_for_selector("#jobs-empty")
    assert page.url.endswith("/jobs?status=failed")
    page.select_option("#filter-status", "completed")
    page.select_option("#filter-type", "image")
    page.wait_for_selector(f"#gallery [data-job-id='{job['jobId']}']")
    statuses = page.eval_on_selector_all("#gallery .job-card", "els => els.map(e => e.dataset.status)")
    assert set(statuses) == {"completed"}
    assert signed_in.console.unexpected() == []


def test_create_a_key_see_it_once_then_revoke_it(studio, signed_in):
    page = signed_in.page
    page.goto(f"{studio.url}/keys")
    page.wait_for_selector("#create-key")
    page.fill("#create-key [name=name]", "browser key")
    page.click("#create-key button[type=submit]")
    key = page.wait_for_selector("#new-key-value").input_value()
    assert key.startswith("sk_live_") and page.is_visible("#new-key [data-action=copy]")
    with loopback.client(base_url=studio.url) as client:
        assert client.get("/api/usage", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    row = page.locator("#keys-table tr", has_text="browser key")
    assert row.locator(".badge").inner_text() == "active"
    page.reload()
    page.wait_for_selector("#keys-table")
    assert key not in page.content()  # shown once: gone after a reload
    row = page.locator("#keys-table tr", has_text="browser key")
    row.get_by_role("button", name="Revoke").click()
    page.wait_for_selector("#confirm-dialog[open]")
    page.click("#confirm-ok")
    wait_for(
        page,
        "() => [...document.querySelectorAll('#keys-table tr')].some(r => "
        "r.textContent.includes('browser key') && r.dataset.status === 'revoked')",
    )
    with loopback.client(base_url=studio.url) as client:
        assert client.get("/api/usage", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    assert signed_in.console.unexpected() == []


def test_set_a_webhook_url_and_reveal_the_secret(studio, signed_in, receiver):
    page = signed_in.page
    page.goto(f"{studio.url}/settings")
    page.wait_for_selector("#webhook-form")
    page.fill("#webhook-form [name=webhookUrl]", "ftp://nope")
    page.click("#webhook-form button[type=submit]")
    error = page.wait_for_selector("#webhook-form .field-error:not(:empty)")
    assert error.inner_text().startswith("webhookUrl:")
    page.fill("#webhook-form [name=webhookUrl]", receiver.url)
    page.click("#webhook-form button[type=submit]")
    page.wait_for_selector("#toasts .toast:has-text('Webhook URL saved')")
    with studio.api() as client:
        assert client.get("/api/settings").json()["data"]["webhookUrl"] == receiver.url
    assert page.get_attribute("#webhook-secret", "type") == "password"
    page.get_by_role("button", name="Reveal").click()
    assert page.get_attribute("#webhook-secret", "type") == "text"
    assert page.input_value("#webhook-secret").startswith("whsec_")
    page.reload()
    page.wait_for_selector("#webhook-form")
    assert page.input_value("#webhook-form [name=webhookUrl]") == receiver.url
    assert signed_in.console.unexpected("400 (Bad Request)") == []


def test_an_audio_job_plays_with_a_waveform_drawn_from_its_audio(studio, signed_in):
    with studio.api() as client:
        paths = client.get("/schema/openapi.json").json()["paths"]
    if "/api/generate/voice" not in paths:
        pytest.skip("this server has no voice endpoint")
    page = signed_in.page
    page.goto(f"{studio.url}/generate?type=voice")
    page.wait_for_selector("#form-voice")
    page.fill("#form-voice [name=text]", "Hello from the studio.")
    page.click("#form-voice button[type=submit]")
    page.wait_for_selector("#generate-results .job-card[data-status=completed] audio", timeout=240_000)
    wait_for(page, "() => document.querySelector('#generate-results canvas.waveform')?.dataset.drawn === 'true'")
    painted = wait_for(
        page,
        """() => {
      const canvas = document.querySelector('#generate-results canvas.waveform');
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let inked = 0;
      for (let i = 3; i < pixels.length; i += 4) inked += pixels[i] > 0 ? 1 : 0;
      return inked;
    }""",
    )
    assert painted > 100
    duration = wait_for(page, "() => document.querySelector('#generate-results audio').duration")
    assert duration > 0.5
    shoot(page, "generate-voice-desktop")
    assert signed_in.console.unexpected() == []


def test_rotate_a_key_and_see_the_new_one_once(studio, signed_in):
    page = signed_in.page
    page.goto(f"{studio.url}/keys")
    page.wait_for_selector("#create-key")
    page.fill("#create-key [name=name]", "to rotate")
    page.click("#create-key button[type=submit]")
    old = page.wait_for_selector("#new-key-value").input_value()
    page.click("#new-key button:has-text('Done')")
    page.locator("#keys-table tr", has_text="to rotate").first.get_by_role("button", name="Rotate").click()
    page.click("#confirm-ok")
    wait_for(page, "old => { const v = document.querySelector('#new-key-value'); return v && v.value !== old; }", old)
    new = page.input_value("#new-key-value")
    assert new.startswith("sk_live_") and "The old key works until" in page.inner_text("#new-key")
    wait_for(page, "() => [...document.querySelectorAll('#keys-table tr')].some(r => r.dataset.status === 'rotating')")
    with loopback.client(base_url=studio.url) as client:
        for key in (old, new):  # both work during the grace period
            assert client.get("/api/usage", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert signed_in.console.unexpected() == []


def test_redeliver_a_webhook_and_rotate_its_secret(studio, signed_in, receiver):
    with studio.api() as client:
        client.patch("/api/settings", json={"webhookUrl": receiver.url}).raise_for_status()
        job = client.post(
            "/api/generate/image", json={"prompt": "a kite", "width": 256, "height": 256, "steps": 1}
        ).json()["data"]
    studio.wait_job(job["jobId"])
    page = signed_in.page
    page.goto(f"{studio.url}/settings")
    row = page.wait_for_selector(f"#deliveries-table tr:has-text('{job['jobId'][:8]}')")
    before = len(receiver.received)
    row.query_selector("button:has-text('Redeliver')").click()
    page.wait_for_selector("#toasts .toast:has-text('Redeliver')")
    # The log is read again once the attempt has run: two attempts now, the last one a success.
    page.wait_for_selector(f"#deliveries-table tr:has-text('{job['jobId'][:8]}') summary:has-text('2 of')")
    assert page.inner_text(f"#deliveries-table tr:has-text('{job['jobId'][:8]}') .badge") == "succeeded"
    assert len(receiver.received) == before + 1 and receiver.received[-1]["data"]["jobId"] == job["jobId"]
    secret = page.input_value("#webhook-secret")
    page.click("button:has-text('Rotate secret')")
    page.click("#confirm-ok")
    wait_for(page, "old => document.querySelector('#webhook-secret').value !== old", secret)
    with studio.api() as client:
        assert client.get("/api/settings").json()["data"]["webhookSecret"] == page.input_value("#webhook-secret")
    assert signed_in.console.unexpected() == []


def test_admin_creates_a_user_grants_credits_and_makes_a_login_link(studio, signed_in, browser):
    page = signed_in.page
    page.goto(f"{studio.url}/users")
    page.wait_for_selector("#create-user")
    page.fill("#create-user [name=email]", "newcomer@example.com")
    page.select_option("#create-user [name=plan]", "creator")
    page.fill("#create-user [name=credits]", "100")
    page.click("#create-user button[type=submit]")
    row = page.wait_for_selector("#users-table tr[data-email='newcomer@example.com']")
    row.query_selector("[name=amount]").fill("250")
    row.query_selector("button:has-text('Grant')").click()
    wait_for(
        page,
        "() => document.querySelector(\"tr[data-email='newcomer@example.com'] [data-role=credits]\")"
        "?.textContent.replace(/\\D/g, '') === '350'",
    )
    page.select_option("tr[data-email='newcomer@example.com'] [name=plan]", "pro")
    page.wait_for_selector("#toasts .toast:has-text('is now on pro')")
    page.click("tr[data-email='newcomer@example.com'] button:has-text('Login link')")
    link = page.wait_for_selector("#login-link input").input_value()
    newcomer = open_tab(browser)
    newcomer.page.goto(link)
    newcomer.page.wait_for_selector("#stat-credits")
    assert newcomer.page.inner_text("#stat-credits") == "350" and newcomer.page.inner_text("#stat-plan") == "Pro"
    assert not newcomer.page.is_visible("#site-nav a[href='/users']")  # not an admin
    newcomer.context.close()
    assert signed_in.console.unexpected() == []


def test_pull_a_model_with_a_progress_bar_then_remove_it(studio, signed_in):
    page = signed_in.page
    page.goto(f"{studio.url}/models")
    card = "#models [data-model-id='z-image-turbo']"
    page.wait_for_selector(card)
    if page.is_visible(f"{card} [data-action=remove]"):
        page.click(f"{card} [data-action=remove]")
        page.click("#confirm-ok")
    page.click(f"{card} [data-action=pull]", timeout=60_000)
    page.wait_for_selector(f"{card} progress")
    page.wait_for_selector(f"{card} .badge.installed", timeout=240_000)
    with studio.api() as client:
        assert client.get("/api/models/z-image-turbo").json()["data"]["installed"] is True
    page.click(f"{card} [data-action=remove]")
    page.click("#confirm-ok")
    page.wait_for_selector(f"{card} [data-action=pull]")
    with studio.api() as client:
        assert client.get("/api/models/z-image-turbo").json()["data"]["installed"] is False
    assert signed_in.console.unexpected() == []
