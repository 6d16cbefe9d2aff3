"""The photoshoot engine on the tiny set: shots that keep the product's own pixels, the scene made
by the model around it, shadows, bounded relighting, new views and failures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from apexlocal.engines.photoshoot.engine import PhotoshootEngine
from apexlocal.engines.photoshoot.relight import MAX_CHANGE
from apexlocal.errors import JobError
from apexlocal.models.manifest import Manifest
from tests.engines.cutout.product_photo import BACKDROP, product_photo

SPEC = {"productImage": "u://product", "background": "studio-white", "angle": "front", "lighting": "studio"}
# Inside the product, before relighting, a shot differs from the photo's own pixels (resized to the
# shot) only by 8-bit rounding (<= 0.5 level) and the mask's last percent of softness blending in
# the scene (<= 2.55 levels where alpha >= 0.99): a mean of 2 levels bounds both.
BEFORE_RELIGHT_BOUND = 2.0


def shoot(make_ctx: Any, manifest: Manifest, tmp_path: Path, model_id: str = "flux2-klein-4b", **spec: Any) -> Any:
    photo = product_photo()
    path = tmp_path / "product.png"
    path.write_bytes(photo.png())
    ctx, rec = make_ctx()
    ctx.fetch_input = lambda url, field: path
    out = PhotoshootEngine().run({**SPEC, "count": 1, "seed": 11, **spec}, manifest.by_id()[model_id], ctx)
    return photo, out, rec


def expected_product(photo: Any, meta: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """The photo's own pixels where the shot shows the product, and where its inside is (the known
    shape, mapped onto the shot and shrunk by 3 pixels, away from the soft edge)."""
    sx0, sy0, sx1, sy1 = meta["productSourceBox"]
    x0, y0, x1, y1 = meta["productBox"]
    size = (x1 - x0, y1 - y0)
    crop = Image.fromarray(photo.rgb[sy0:sy1, sx0:sx1]).resize(size, Image.Resampling.LANCZOS)
    shape = Image.fromarray(photo.shape[sy0:sy1, sx0:sx1].astype(np.uint8) * 255).resize(size)
    inside = np.asarray(shape) > 127
    for _ in range(3):
        inside = (
            inside & np.roll(inside, 1, 0) & np.roll(inside, -1, 0) & np.roll(inside, 1, 1) & np.roll(inside, -1, 1)
        )
    return np.asarray(crop, np.float64), inside


def relight_of(meta: dict[str, Any], size: tuple[int, int]) -> np.ndarray:
    w, h = size
    ax, ay = meta["relight"]["ramp"]
    ramp = 1 + ax * np.linspace(-1, 1, w)[None, :] + ay * np.linspace(-1, 1, h)[:, None]
    return ramp[..., None] * np.array(meta["relight"]["gains"])


def test_shots_keep_the_products_own_pixels(make_ctx: Any, manifest: Manifest, tmp_path: Path) -> None:
    # Four shots are made end to end (tests/products/photoshoot); two show the same here.
    photo, out, rec = shoot(make_ctx, manifest, tmp_path, count=2)
    assert [f.name for f in out.files] == ["photo-1.png", "photo-2.png"]
    meta = out.metadata
    assert (meta["photoCount"], meta["background"], meta["lighting"]) == (2, "studio-white", "studio")
    assert meta["seeds"] == [11, 12] and meta["cutoutModel"] == "u2netp"
    assert set(meta["timings"]) == {"cutoutMs", "generationMs", "compositingMs"}
    assert {s for s, _ in rec.events} >= {"cut-out", "loading", "generating"}
    shots = []
    for f in out.files:
        with Image.open(f.path) as image:
            assert (image.format, image.mode, image.size) == ("PNG", "RGB", (512, 512))
            shot = np.asarray(image, np.float64)
        shots.append(shot)
        m = f.metadata
        assert m["newView"] is False and m["productPixels"] == "original" and m["generation"] == "reference-inpaint"
        x0, y0, x1, y1 = m["productBox"]
        expected, inside = expected_product(photo, m)
        got = shot[y0:y1, x0:x1]
        unlit = got / relight_of(m, (x1 - x0, y1 - y0))
        assert np.abs(unlit - expected)[inside].mean() < BEFORE_RELIGHT_BOUND
        change = np.abs(got - expected)[inside]
        assert change.mean() <= MAX_CHANGE * expected[inside].mean() + BEFORE_RELIGHT_BOUND
        # Outside the product the scene is the model's, not the photo's plain backdrop.
        outside = np.ones(shot.shape[:2], bool)
        outside[max(0, y0 - 10) : y1 + 80, max(0, x0 - 10) : x1 + 10] = False
        assert np.abs(shot - np.array(BACKDROP))[outside].mean() > 20
    # Each shot has its own scene (its own seed); the product stays the same.
    assert np.abs(shots[0] - shots[1]).mean() > 5


def test_relighting_follows_the_scene_within_its_bound() -> None:
    from apexlocal.engines.photoshoot import relight
    from apexlocal.engines.photoshoot.layout import Placed

    size = 128
    alpha = np.zeros((size, size), np.float32)
    alpha[40:100, 50:80] = 1
    product = np.full((size, size, 3), 150, np.float32)
    placed = Placed(rgb=product, alpha=alpha, box=(50, 40, 80, 100))
    # A warm scene lit from the right.
    scene = np.zeros((size, size, 3), np.float32)
    scene[:] = np.linspace(60, 230, size)[None, :, None] * np.array([1.0, 0.8, 0.55])
    light = relight.measure(scene, placed)
    assert light.gains[0] > 1 > light.gains[2]
    assert light.ramp[0] > 0 and not light.light_from_left
    lit = relight.apply(placed, light)
    ratio = lit[alpha > 0] / product[alpha > 0]
    assert np.abs(ratio - 1).max() <= MAX_CHANGE + 1e-6
    assert lit[70, 79, 0] > lit[70, 50, 0]  # brighter on the lit side
    neutral = relight.measure(np.full((size, size, 3), 128, np.float32), placed)
    assert neutral.gains == pytest.approx((1, 1, 1)) and neutral.ramp == (0, 0)


def test_a_text_only_model_inpaints_around_the_product(make_ctx: Any, manifest: Manifest, tmp_path: Path) -> None:
    photo, out, _ = shoot(make_ctx, manifest, tmp_path, model_id="z-image-turbo", background="outdoor")
    [f] = out.files
    assert f.metadata["generation"] == "inpaint"
    x0, y0, x1, y1 = f.metadata["productBox"]
    with Image.open(f.path) as image:
        shot = np.asarray(image, np.float64)
    expected, inside = expected_product(photo, f.metadata)
    unlit = shot[y0:y1, x0:x1] / relight_of(f.metadata, (x1 - x0, y1 - y0))
    assert np.abs(unlit - expected)[inside].mean() < BEFORE_RELIGHT_BOUND


def test_a_new_view_is_the_editing_models_and_is_marked(make_ctx: Any, manifest: Manifest, tmp_path: Path) -> None:
    _, out, _ = shoot(make_ctx, manifest, tmp_path, angle="top-down", background="flat-lay")
    [f] = out.files
    assert f.metadata["newView"] is True and f.metadata["productPixels"] == "generated"
    assert f.metadata["generation"] == "reference"
    assert "productBox" not in f.metadata and out.metadata["newView"] is True


def test_a_new_view_needs_a_model_that_takes_references(make_ctx: Any, manifest: Manifest, tmp_path: Path) -> None:
    with pytest.raises(JobError, match=r"^angle: 45-degree needs a new view"):
        shoot(make_ctx, manifest, tmp_path, model_id="z-image-turbo", angle="45-degree")


def test_custom_background_is_required_and_used(make_ctx: Any, manifest: Manifest, tmp_path: Path) -> None:
    with pytest.raises(JobError, match=r"^customBackground: required when background is custom"):
        shoot(make_ctx, manifest, tmp_path, background="custom")
    _, out, _ = shoot(make_ctx, manifest, tmp_path, background="custom", customBackground="a marble kitchen counter")
    assert out.files[0].metadata["customBackground"] == "a marble kitchen counter"


def test_a_photo_without_a_product_fails(make_ctx: Any, manifest: Manifest, tmp_path: Path) -> None:
    path = tmp_path / "blank.png"
    Image.new("RGB", (300, 200), BACKDROP).save(path)
    ctx, _ = make_ctx()
    ctx.fetch_input = lambda url, field: path
    with pytest.raises(JobError, match=r"^productImage: no object found"):
        PhotoshootEngine().run({**SPEC, "count": 1}, manifest.by_id()["flux2-klein-4b"], ctx)


def test_a_shots_scene_depends_on_its_own_seed_not_its_batch(make_ctx: Any, manifest: Manifest) -> None:
    from apexlocal.engines.diffusers_loading import warm_pipeline
    from apexlocal.engines.photoshoot import background

    model = manifest.by_id()["flux2-klein-4b"]
    ctx, _ = make_ctx()
    pipe, _ = warm_pipeline(model, ctx)
    keep = np.zeros((256, 256), np.float32)
    keep[64:192, 96:160] = 1
    shown = np.full((256, 256, 3), 128, np.uint8)
    args = (pipe, model, "a product on a table", "blurry", shown, keep)
    [alone] = background.generate(*args, [21], "cpu")
    batched = background.generate(*args, [21, 22], "cpu")
    # A GPU runs one shot at a time, a CPU all in one batch: the same seed gives the same scene.
    assert np.abs(alone.astype(float) - batched[0]).mean() < 1.0
    assert np.abs(batched[0].astype(float) - batched[1]).mean() > 5


def test_each_pipeline_makes_scenes_the_best_way_it_can() -> None:
    from apexlocal.engines.photoshoot.background import mode_of

    def pipeline(name: str, takes_image: bool) -> Any:
        def call(self: Any, prompt: str, image: Any = None) -> None: ...

        def text_only(self: Any, prompt: str) -> None: ...

        return type(name, (), {"__call__": call if takes_image else text_only})()

    klein = pipeline("Flux2KleinPipeline", True)  # its inpainting twin takes reference pictures
    assert (mode_of(klein), mode_of(klein, new_view=True)) == ("reference-inpaint", "reference")
    assert mode_of(pipeline("Flux2Pipeline", True)) == "reference"  # FLUX.2 [dev]: no inpainting twin
    assert mode_of(pipeline("ZImagePipeline", False)) == "inpaint"
    assert mode_of(pipeline("QwenImagePipeline", False)) == "inpaint"
