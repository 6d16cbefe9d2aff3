"""The photoshoot form of the Generate page, built from the OpenAPI document like every form: an
upload beside `productImage`, a model picker of the models that make photoshoots; a product photo
uploaded there makes a photoshoot whose card shows its shots as a grid after the photo it started
from (before/after). The image form takes pictures to edit the same way (`imageUrl`,
`referenceImages`)."""

from __future__ import annotations

import pytest

from tests.engines.cutout.product_photo import product_photo
from tests.webui.conftest import shoot, wait_for

pytestmark = pytest.mark.e2e

OPTIONS = "sel => [...document.querySelectorAll(sel + ' option')].map(o => o.value).filter(Boolean)"
GRID_SHOWN = (
    "sel => { const imgs = [...document.querySelectorAll(sel + ' .shot-grid img')];"
    " return imgs.length === 3 && imgs.every(i => i.complete && i.naturalWidth > 0)"
    " && imgs.map(i => i.closest('figure').dataset.role).join() === 'before,after,after'"
    " && imgs.map(i => i.naturalWidth); }"
)


def test_the_photoshoot_form_uploads_a_product_and_shows_before_and_after(studio, signed_in, tmp_path):
    with studio.api() as client:
        models = [m for m in client.get("/api/models").json()["data"] if "photoshoot" in m["tasks"]]
    assert models, "the catalogue has no photoshoot model (models_manifest.toml, task photoshoot)"
    page = signed_in.page
    page.goto(f"{studio.url}/generate?type=image")
    page.wait_for_selector("#form-image [data-picker]")
    for field in ("imageUrl", "referenceImages"):
        assert page.is_visible(f"#form-image [data-drop-for={field}] button"), field

    page.goto(f"{studio.url}/generate?type=photoshoot")
    page.wait_for_selector("#form-photoshoot select[name=model]")
    assert page.evaluate(OPTIONS, "#form-photoshoot select[name=model]") == [
        name for m in models for name in (m["id"], *m["aliases"])
    ]
    photo = tmp_path / "bottle.png"
    photo.write_bytes(product_photo().png())
    page.set_input_files("#form-photoshoot [data-drop-for=productImage] input[type=file]", str(photo))
    wait_for(page, "() => document.querySelector('#form-photoshoot [name=productImage]').value.includes('/files/')")
    page.select_option("#form-photoshoot select[name=background]", "studio-white")
    page.select_option("#form-photoshoot select[name=angle]", "front")
    page.select_option("#form-photoshoot select[name=lighting]", "soft")
    page.fill("#form-photoshoot [name=count]", "2")
    page.select_option("#form-photoshoot select[name=model]", "flux-2-pro")
    shoot(page, "photoshoot-form")
    page.click("#form-photoshoot button[type=submit]")
    card = page.wait_for_selector("#generate-results .job-card")
    job = studio.wait_job(card.get_attribute("data-job-id"))
    assert job["status"] == "completed", job
    assert (job["outputType"], len(job["outputs"]), job["metadata"]["lighting"]) == ("image/png", 2, "soft")
    sizes = wait_for(page, GRID_SHOWN, "#generate-results .job-card", timeout=60)
    assert sizes == [512, 512, 512] or sizes[1:] == [512, 512], sizes
    shoot(page, "photoshoot-results")
    assert signed_in.console.unexpected() == []
