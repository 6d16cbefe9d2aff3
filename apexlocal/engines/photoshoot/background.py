"""The scene around the product, made by the job's image model in one of three ways, the first
that the model's pipelines allow:

- `reference-inpaint`: an inpainting twin that also takes reference pictures
  (`Flux2KleinInpaintPipeline` for FLUX.2 [klein]) paints everything but the product, at full
  strength, while seeing the product itself as a reference: the scene fits the product and the
  product's place is kept by the mask, not by the model's goodwill;
- `reference`: a pipeline that takes input pictures (FLUX.2's `image`) is shown the product placed
  on a plain grey canvas and asked for the scene around it, keeping its place and size; and, for an
  angle the photo does not show, always this way, the model rendering the product from that view;
- `inpaint`: a text-only model's inpainting twin (`ZImageInpaintPipeline` for `ZImagePipeline`)
  paints everything but the product.

Twins are built from the loaded pipeline's own modules (`from_pipe`): no second copy of the weights.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from apexlocal.engines.diffusers_loading import step_end
from apexlocal.errors import JobError
from apexlocal.models.manifest import ModelEntry

if TYPE_CHECKING:
    import numpy as np

StepCallback = Callable[[int, int], None]
GROW = 0.01  # of the canvas: the inpainting mask leaves this much room around the product's edge

_inpainters: dict[int, tuple[Any, Any]] = {}  # id(pipeline) -> (pipeline, its inpainting twin)
_guard = threading.Lock()


def _takes(target: Any, name: str) -> bool:
    return name in inspect.signature(target.__call__).parameters


def _twin_class(pipe: Any) -> Any:
    import diffusers

    return getattr(diffusers, type(pipe).__name__.replace("Pipeline", "InpaintPipeline"), None)


def mode_of(pipe: Any, new_view: bool = False) -> str:
    """How this pipeline makes a scene (the module's docstring); a new view needs `reference`."""
    if new_view:
        return "reference"
    twin = _twin_class(pipe)
    if twin is not None and _takes(twin, "image_reference"):
        return "reference-inpaint"
    return "reference" if _takes(pipe, "image") else "inpaint"


def inpainter(pipe: Any, model: ModelEntry) -> Any:
    """The loaded pipeline's inpainting twin, sharing its modules; JobError when diffusers has none."""
    with _guard:
        found = _inpainters.get(id(pipe))
        if found is not None and found[0] is pipe:
            return found[1]
        cls = _twin_class(pipe)
        if cls is None:
            raise JobError(f"model: {model.id} neither takes reference images nor has an inpainting pipeline")
        twin = cls.from_pipe(pipe)
        twin.set_progress_bar_config(disable=True)
        _inpainters[id(pipe)] = (pipe, twin)
        return twin


def call_options(pipe: Any, model: ModelEntry) -> dict[str, Any]:
    accepted = inspect.signature(pipe.__call__).parameters
    return {k: v for k, v in model.defaults.items() if k in accepted and k != "steps"}


def generate(
    pipe: Any,
    model: ModelEntry,
    prompt: str,
    negative: str,
    shown: np.ndarray,
    keep: np.ndarray,
    seeds: list[int],
    device: str,
    callback: StepCallback | None = None,
    mode: str | None = None,
) -> list[np.ndarray]:
    """One scene per seed, as canvas-sized uint8 RGB, in one batched run (the prompt is encoded
    once; each image's noise comes from its own seed, as a run of that seed alone would draw it).
    `shown`: the product placed on a grey canvas; `keep`: its 0..1 mask (what inpainting leaves);
    `mode`: as `mode_of` answers, by default for a view the photo shows."""
    import numpy as np
    import torch
    from PIL import Image, ImageFilter

    height, width = keep.shape
    steps = int(model.defaults.get("steps", 4))
    mode = mode or mode_of(pipe)
    if mode == "reference" and not _takes(pipe, "image"):
        raise JobError(f"model: {model.id} takes no reference image")
    runner = pipe if mode == "reference" else inpainter(pipe, model)
    kwargs = call_options(runner, model)
    accepted = inspect.signature(runner.__call__).parameters
    kwargs.update(
        prompt=prompt,
        height=height,
        width=width,
        num_inference_steps=steps,
        num_images_per_prompt=len(seeds),
        generator=[torch.Generator(device=device).manual_seed(seed) for seed in seeds],
        output_type="pil",
        callback_on_step_end=step_end(steps, callback),
    )
    if "negative_prompt" in accepted:
        kwargs["negative_prompt"] = negative
    picture = Image.fromarray(shown)
    if mode == "reference":
        kwargs["image"] = [picture]
    else:
        grown = Image.fromarray((keep > 0.02).astype(np.uint8) * 255).filter(
            ImageFilter.MaxFilter(_odd(GROW * max(width, height)))
        )
        kwargs.update(image=picture, mask_image=Image.fromarray(255 - np.asarray(grown)), strength=1.0)
        if mode == "reference-inpaint":
            kwargs["image_reference"] = [picture]
    scenes = []
    for image in runner(**kwargs).images:
        image = image.convert("RGB")
        if image.size != (width, height):
            image = image.resize((width, height), Image.Resampling.LANCZOS)
        scenes.append(np.asarray(image))
    return scenes


def _odd(value: float) -> int:
    n = max(3, round(value))
    return n if n % 2 else n + 1
