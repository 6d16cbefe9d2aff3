"""Text to image with a diffusers pipeline: FLUX.2 [klein] and [dev], Z-Image, Qwen-Image; and image
editing with the pipelines that take input pictures (FLUX.2's `image`: the picture to edit first,
then references), as many as the model's `reference_images` in the catalogue.

One code path for every pipeline class: the request is validated up front (no model is touched for
a bad one), options a pipeline does not take are left out by reading its `__call__` signature, and
each denoising step reports progress and gives a cancel a chance to stop the run.

`parse_request` and `generate` (with `diffusers_loading.load_pipeline`) are the engine's own steps,
public so a benchmark runs exactly the code a job runs.
"""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexlocal.engines.base import EngineContext, EngineOutput, OutputFile
from apexlocal.engines.diffusers_loading import step_end, warm_pipeline
from apexlocal.engines.image import editing
from apexlocal.engines.image.inputs import fetch_image
from apexlocal.engines.image.styles import STYLES, apply_style
from apexlocal.engines.spec_checks import seed_of
from apexlocal.errors import JobError
from apexlocal.models.manifest import ModelEntry

if TYPE_CHECKING:
    from PIL import Image

MIN_SIZE, MAX_SIZE, DEFAULT_SIZE = 256, 2048, 1024
MIN_STEPS, MAX_STEPS, FALLBACK_STEPS = 1, 50, 4
OUTPUT_NAME = "output.png"

StepCallback = Callable[[int, int], None]  # (steps done, total steps)


@dataclass(frozen=True)
class ImageRequest:
    """A validated image job: the style is already folded into the prompts, the seed chosen."""

    prompt: str
    negative_prompt: str | None
    width: int
    height: int
    steps: int
    seed: int
    model_name: str
    call_options: dict[str, Any] = field(default_factory=dict)  # model defaults, e.g. guidance
    inputs: tuple[tuple[str, str], ...] = ()  # (field, url) of the input pictures, imageUrl first


# Validation -----------------------------------------------------------------------------------


def parse_request(spec: dict[str, Any], model: ModelEntry, manifest: Any = None) -> ImageRequest:
    """Check a job spec (the API's camelCase keys) and resolve its defaults; raises JobError.
    `manifest` names the models that take input pictures when this one does not."""
    prompt = spec.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise JobError("prompt: must be a non-empty string")
    negative = spec.get("negativePrompt")
    if negative is not None and not isinstance(negative, str):
        raise JobError("negativePrompt: must be a string")
    style = spec.get("style")
    if style is not None and style not in STYLES:
        raise JobError(f"style: must be one of {', '.join(STYLES)}")
    defaults = dict(model.defaults)
    steps = _int_in_range(spec, "steps", MIN_STEPS, MAX_STEPS, defaults.pop("steps", FALLBACK_STEPS))
    prompt, negative = apply_style(prompt.strip(), (negative or "").strip() or None, style)
    inputs = editing.input_urls(spec)
    if inputs:
        editing.check_inputs(model, manifest or _only(model), len(inputs), [f for f, _ in inputs])
    return ImageRequest(
        prompt=prompt,
        negative_prompt=negative,
        width=_int_in_range(spec, "width", MIN_SIZE, MAX_SIZE, DEFAULT_SIZE),
        height=_int_in_range(spec, "height", MIN_SIZE, MAX_SIZE, DEFAULT_SIZE),
        steps=steps,
        seed=seed_of(spec.get("seed")),
        model_name=str(spec.get("model") or model.id),
        call_options=defaults,
        inputs=tuple(inputs),
    )


def _only(model: ModelEntry) -> Any:
    from apexlocal.models.manifest import Manifest

    return Manifest(model=(model,))


def _int_in_range(spec: dict[str, Any], name: str, low: int, high: int, default: int) -> int:
    value = spec.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise JobError(f"{name}: must be an integer from {low} to {high}")
    return value


# Generation -----------------------------------------------------------------------------------


def size_multiple(pipe: Any) -> int:
    """Latents are 1/vae_scale_factor of the image and then packed in 2x2 patches."""
    return int(getattr(pipe, "vae_scale_factor", 8)) * 2


def fit_size(value: int, multiple: int) -> int:
    """The nearest size the pipeline takes exactly, kept inside the accepted range."""
    rounded = (value + multiple // 2) // multiple * multiple
    low = -(-MIN_SIZE // multiple) * multiple
    high = MAX_SIZE // multiple * multiple
    return min(max(rounded, low), high)


def generate(
    pipe: Any,
    request: ImageRequest,
    device: str,
    callback: StepCallback | None = None,
    images: list[Image.Image] | None = None,
) -> Image.Image:
    """Run the pipeline once; `callback(done, total)` after every denoising step may raise to
    stop the run there. `images`: the input pictures of an edit, given to the pipeline's `image`.
    The image's size is the size actually made."""
    import torch

    multiple = size_multiple(pipe)
    kwargs = _call_kwargs(pipe, request)
    if images:
        if "image" not in inspect.signature(pipe.__call__).parameters:
            raise JobError(f"{request.model_name}: its pipeline {type(pipe).__name__} takes no input image")
        kwargs["image"] = list(images)
    kwargs.update(
        height=fit_size(request.height, multiple),
        width=fit_size(request.width, multiple),
        num_inference_steps=request.steps,
        generator=torch.Generator(device=device).manual_seed(request.seed),
        output_type="pil",
        callback_on_step_end=step_end(request.steps, callback),
    )
    return pipe(**kwargs).images[0]


def _call_kwargs(pipe: Any, request: ImageRequest) -> dict[str, Any]:
    accepted = inspect.signature(pipe.__call__).parameters
    kwargs = {k: v for k, v in request.call_options.items() if k in accepted}
    kwargs["prompt"] = request.prompt
    negative = request.negative_prompt
    # Qwen-Image's true CFG runs only with a negative prompt; its reference usage passes a blank
    # one, without which the manifest's true_cfg_scale would be silently ignored.
    if negative is None and "true_cfg_scale" in accepted:
        negative = " "
    if negative is not None and "negative_prompt" in accepted:
        kwargs["negative_prompt"] = negative
    return kwargs


def write_png(image: Image.Image, path: Path) -> None:
    """PNG without metadata chunks (no time, no text), so equal pixels give equal bytes."""
    image.convert("RGB").save(path, format="PNG", compress_level=6)


# The engine -----------------------------------------------------------------------------------

# A pipeline keeps per-call state on itself, so two jobs must not run the same one at once.
_run_locks: dict[str, threading.Lock] = {}
_run_locks_guard = threading.Lock()


def run_lock(key: str) -> threading.Lock:
    with _run_locks_guard:
        return _run_locks.setdefault(key, threading.Lock())


class DiffusersImageEngine:
    """The `diffusers-image` engine: a prompt in, one PNG out."""

    name = "diffusers-image"

    def run(self, spec: dict[str, Any], model: ModelEntry, ctx: EngineContext) -> EngineOutput:
        """Validate, load (or reuse) the pipeline, denoise, write `output.png`. `durationMs` is
        the whole run, loading included: the time the user waited on this engine."""
        started = time.monotonic()
        request = parse_request(spec, model, ctx.manifest)
        pictures = [fetch_image(ctx, url, name) for name, url in request.inputs]  # before any model loads
        ctx.check_cancelled()
        pipe, key = warm_pipeline(model, ctx)
        ctx.check_cancelled()
        with run_lock(key):
            image = generate(pipe, request, ctx.device, self._on_step(ctx), pictures)
        ctx.progress(0.0, "encoding")
        path = ctx.scratch_dir / OUTPUT_NAME
        write_png(image, path)
        ctx.progress(1.0, "encoding")
        metadata = {
            "model": request.model_name,
            "modelId": model.id,
            "width": image.width,
            "height": image.height,
            "durationMs": round((time.monotonic() - started) * 1000),
            "seed": request.seed,
            "steps": request.steps,
        }
        if pictures:
            metadata.update(inputImages=len(pictures), pipeline=type(pipe).__name__)
        return EngineOutput(files=[OutputFile(path, "image/png", OUTPUT_NAME)], metadata=metadata)

    @staticmethod
    def _on_step(ctx: EngineContext) -> StepCallback:
        def on_step(done: int, total: int) -> None:
            ctx.progress(min(done / total, 1.0), "denoising")
            ctx.check_cancelled()

        return on_step
