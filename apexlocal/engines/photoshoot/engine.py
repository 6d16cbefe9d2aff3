"""The `photoshoot` engine: a product photo in, `count` PNG shots out, each with its seed and
parameters. Steps and their stages: `cut-out`, then per shot `generating` (the image model) and
`compositing` (placement, shadows, relighting); their wall times are in the metadata (`timings`)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from apexlocal.engines.base import EngineContext, EngineOutput, OutputFile
from apexlocal.engines.cutout import Cutout, cut_out
from apexlocal.engines.diffusers_loading import warm_pipeline
from apexlocal.engines.image.diffusers_image import run_lock, write_png
from apexlocal.engines.image.inputs import fetch_image
from apexlocal.engines.photoshoot import background, composite, layout, relight
from apexlocal.engines.photoshoot.request import PhotoshootRequest, parse_request
from apexlocal.engines.photoshoot.scenes import ANGLE, BACKGROUND, LIGHTING, NEGATIVE, scene_prompt
from apexlocal.models.manifest import ModelEntry

if TYPE_CHECKING:
    import numpy as np

SIZE_FULL, SIZE_TINY = 1024, 512  # square PNGs; the tiny stand-ins (tests) make smaller ones
MAX_PHOTO_SIDE = 2048  # a larger product photo is scaled down first: no shot needs more


@dataclass
class Timings:
    cutout_s: float = 0.0
    generation_s: float = 0.0
    compositing_s: float = 0.0

    def as_metadata(self) -> dict[str, int]:
        return {
            "cutoutMs": round(self.cutout_s * 1000),
            "generationMs": round(self.generation_s * 1000),
            "compositingMs": round(self.compositing_s * 1000),
        }


@dataclass(frozen=True)
class Shot:
    image: np.ndarray  # uint8 RGB
    metadata: dict[str, Any]


def canvas_size(ctx: EngineContext) -> int:
    return SIZE_FULL if ctx.model_set == "full" else SIZE_TINY


def product_photo(ctx: EngineContext, url: str) -> np.ndarray:
    import numpy as np
    from PIL import Image

    picture = fetch_image(ctx, url, "productImage")
    if max(picture.size) > MAX_PHOTO_SIDE:
        picture.thumbnail((MAX_PHOTO_SIDE, MAX_PHOTO_SIDE), Image.Resampling.LANCZOS)
    return np.asarray(picture)


def make_shots(
    pipe: Any,
    model: ModelEntry,
    cut: Cutout,
    request: PhotoshootRequest,
    size: int,
    ctx: EngineContext,
    timings: Timings,
) -> list[Shot]:
    """Every shot: the scenes from the model (one batch on a CPU, one run each on a GPU), then (for
    a view the photo shows) the product's own pixels, relit, over each with its shadows."""
    angle = ANGLE[request.angle]
    placed = layout.place(cut, (size, size), angle)
    prompt = scene_prompt(request.background, request.custom, request.angle, request.lighting)
    seeds = [request.seed + i for i in range(request.count)]
    shown = layout.on_backdrop(placed)
    # On a GPU one scene per run keeps peak memory at one image's (a 20B model at 1024x1024 has
    # little to spare); on a CPU memory is plentiful and one batch encodes the prompt once.
    per_run = 1 if ctx.device.startswith(("cuda", "mps")) else len(seeds)
    mode = background.mode_of(pipe, angle.new_view)
    started = time.monotonic()
    scenes = []
    for first in range(0, len(seeds), per_run):
        batch = seeds[first : first + per_run]
        scenes += background.generate(
            pipe, model, prompt, NEGATIVE, shown, placed.alpha, batch, ctx.device, _on_step(ctx), mode
        )
    timings.generation_s += time.monotonic() - started
    ctx.progress(0.0, "compositing")
    shots = []
    for i, (seed, scene) in enumerate(zip(seeds, scenes, strict=True)):
        started = time.monotonic()
        shots.append(finish_shot(scene, placed, cut, request, seed, mode))
        timings.compositing_s += time.monotonic() - started
        ctx.progress((i + 1) / len(seeds), "compositing")
        ctx.check_cancelled()
    return shots


def finish_shot(
    scene: np.ndarray, placed: layout.Placed, cut: Cutout, request: PhotoshootRequest, seed: int, generation: str
) -> Shot:
    size = scene.shape[1]
    meta: dict[str, Any] = {
        "seed": seed,
        "background": request.background,
        "angle": request.angle,
        "lighting": request.lighting,
        "width": size,
        "height": scene.shape[0],
        "generation": generation,
    }
    if request.custom:
        meta["customBackground"] = request.custom
    if ANGLE[request.angle].new_view:
        # The photo does not show the product from here: the editing model's rendering stands.
        meta.update(newView=True, productPixels="generated")
        return Shot(image=scene, metadata=meta)
    light = relight.measure(scene, placed)
    lighting, style = LIGHTING[request.lighting], BACKGROUND[request.background].shadow
    seated = composite.seat(scene, placed, lighting, style, light.light_from_left)
    meta.update(
        newView=False,
        productPixels="original",
        productBox=list(placed.box),
        productSourceBox=list(layout.padded(cut)),
        relight=light.as_metadata(),
    )
    return Shot(image=composite.over(seated, relight.apply(placed, light), placed.alpha), metadata=meta)


def _on_step(ctx: EngineContext) -> Any:
    def on_step(done: int, total: int) -> None:
        ctx.progress(min(done / total, 1.0), "generating")
        ctx.check_cancelled()

    return on_step


class PhotoshootEngine:
    name = "photoshoot"

    def run(self, spec: dict[str, Any], model: ModelEntry, ctx: EngineContext) -> EngineOutput:
        started = time.monotonic()
        request = parse_request(spec, model)
        rgb = product_photo(ctx, request.product_url)
        timings = Timings()
        ctx.progress(0.0, "cut-out")
        cutting = time.monotonic()
        cut = cut_out(ctx, rgb)
        timings.cutout_s = time.monotonic() - cutting
        ctx.progress(1.0, "cut-out")
        ctx.check_cancelled()
        pipe, key = warm_pipeline(model, ctx)
        size = canvas_size(ctx)
        with run_lock(key):
            shots = make_shots(pipe, model, cut, request, size, ctx, timings)
        files: list[OutputFile] = []
        for i, shot in enumerate(shots):
            name = f"photo-{i + 1}.png"
            write_png_array(shot.image, ctx.scratch_dir / name)
            files.append(OutputFile(ctx.scratch_dir / name, "image/png", name, shot.metadata))
        metadata = {
            "model": request.model_name,
            "modelId": model.id,
            "photoCount": len(files),
            "background": request.background,
            "lighting": request.lighting,
            "angle": request.angle,
            "width": size,
            "height": size,
            "seeds": [f.metadata["seed"] for f in files],
            "cutoutModel": cut.model,
            "newView": ANGLE[request.angle].new_view,
            "timings": timings.as_metadata(),
            "durationMs": round((time.monotonic() - started) * 1000),
        }
        return EngineOutput(files=files, metadata=metadata)


def write_png_array(image: np.ndarray, path: Any) -> None:
    from PIL import Image

    write_png(Image.fromarray(image), path)
