"""Loading the video pipelines and running one clip.

A text-to-video model names its image-to-video companion in the manifest (`companion`): either
itself, when the same weights also continue from a still frame (Wan2.2 TI2V, LTX-2: the
image-to-video class of its family is built on the loaded components with `from_pipe`, sharing
their memory), or another entry with its own files (Wan2.1 T2V 1.3B -> Wan2.1 I2V 14B).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from apexlocal.engines.diffusers_loading import diffusers_class, step_end
from apexlocal.engines.video.plan import ClipPlan, NativeGeometry
from apexlocal.engines.video.request import VideoRequest
from apexlocal.errors import ModelError
from apexlocal.models.manifest import ModelEntry

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

StepCallback = Callable[[int, int], None]  # (steps done, total steps)

# The image-to-video class that runs a text-to-video class's weights.
IMAGE_TO_VIDEO = {
    "WanPipeline": "WanImageToVideoPipeline",
    "LTX2Pipeline": "LTX2ImageToVideoPipeline",
    "LTXPipeline": "LTXImageToVideoPipeline",
}
# Keys of the manifest's defaults that describe geometry or loading, not pipeline arguments.
NOT_CALL_OPTIONS = {"width", "height", "fps", "frames", "steps", "tiny_native", "float32_components"}


@dataclass
class Clip:
    frames: np.ndarray  # uint8, (frames, height, width, 3), native size
    audio: np.ndarray | None  # float32, (channels, samples), for models that make sound
    sample_rate: int


# Loading --------------------------------------------------------------------------------------


def companion_of(model: ModelEntry, entries: dict[str, ModelEntry]) -> ModelEntry:
    """The manifest entry that continues this model's clips; raises ModelError when none."""
    if not model.companion:
        raise ModelError(
            f"{model.id}: models_manifest.toml names no image-to-video companion, "
            "so it cannot make videos longer than one clip"
        )
    entry = entries.get(model.companion)
    if entry is None:
        raise ModelError(f"{model.id}: its companion {model.companion!r} is not in models_manifest.toml")
    return entry


def same_weights_image_to_video(pipe: Any, model: ModelEntry) -> Any:
    """The image-to-video pipeline of the model's family on the loaded components (no copy)."""
    name = IMAGE_TO_VIDEO.get(model.pipeline)
    if name is None:
        raise ModelError(f"{model.id}: no image-to-video class is known for {model.pipeline}")
    cls = diffusers_class(name, model.id)
    # Not `from_pipe`: it casts every shared module to one dtype (float32 unless told), which
    # would change the loaded pipeline's own weights under it.
    accepted = inspect.signature(cls.__init__).parameters
    parts = {k: v for k, v in pipe.components.items() if k in accepted}
    parts.update({k: v for k, v in pipe.config.items() if k in accepted and k not in parts})
    i2v = cls(**parts)
    i2v.set_progress_bar_config(disable=True)
    return i2v


def is_image_to_video(model: ModelEntry) -> bool:
    return model.pipeline in IMAGE_TO_VIDEO.values()


# Geometry the pipeline takes ------------------------------------------------------------------


def size_multiple(pipe: Any) -> int:
    """Sizes must be whole latents of whole transformer patches."""
    spatial = (
        getattr(pipe, "vae_scale_factor_spatial", None) or getattr(pipe, "vae_spatial_compression_ratio", None) or 8
    )
    config = getattr(getattr(pipe, "transformer", None), "config", None)
    patch = getattr(config, "patch_size", 1) if config is not None else 1
    if isinstance(patch, (list, tuple)):
        patch = patch[-1]
    return int(spatial) * int(patch or 1)


def frame_step(pipe: Any) -> int:
    """Frames per latent after the first: clips have step*k + 1 frames."""
    return int(
        getattr(pipe, "vae_scale_factor_temporal", None) or getattr(pipe, "vae_temporal_compression_ratio", None) or 4
    )


def fit(value: int, multiple: int) -> int:
    return max(multiple, round(value / multiple) * multiple)


def made_size(pipe: Any, native: NativeGeometry) -> tuple[int, int]:
    """The frame size the pipeline makes: the native one, in whole latents and patches."""
    multiple = size_multiple(pipe)
    return fit(native.width, multiple), fit(native.height, multiple)


# One clip -------------------------------------------------------------------------------------


def run_clip(
    pipe: Any,
    request: VideoRequest,
    native: NativeGeometry,
    clip: ClipPlan,
    model: ModelEntry,
    device: str,
    image: Image.Image | None = None,
    callback: StepCallback | None = None,
) -> Clip:
    """Denoise and decode one clip; `image` makes it continue from that frame. `callback(done,
    total)` runs after every denoising step and may raise to stop the run there."""
    import numpy as np
    import torch

    kwargs = _call_kwargs(pipe, model, request, native, clip)
    kwargs["generator"] = torch.Generator(device=device).manual_seed(request.seed + clip.index - 1)
    kwargs["callback_on_step_end"] = step_end(native.steps, callback)
    if image is not None:
        kwargs["image"] = image
    result = pipe(**kwargs)
    frames = np.asarray(result.frames[0], dtype=np.float32)
    frames = (np.clip(frames, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return Clip(frames, _audio(result), sample_rate(pipe))


def _call_kwargs(
    pipe: Any, model: ModelEntry, request: VideoRequest, native: NativeGeometry, clip: ClipPlan
) -> dict[str, Any]:
    accepted = inspect.signature(pipe.__call__).parameters
    options = {k: v for k, v in model.defaults.items() if k not in NOT_CALL_OPTIONS}
    kwargs = {k: v for k, v in options.items() if k in accepted}
    width, height = made_size(pipe, native)
    kwargs.update(
        prompt=request.prompt,
        negative_prompt=request.negative_prompt,
        width=width,
        height=height,
        num_frames=clip.generate,
        num_inference_steps=native.steps,
        output_type="np",
    )
    if "frame_rate" in accepted:  # LTX conditions on the frame rate and sizes its sound by it
        kwargs["frame_rate"] = float(native.fps)
    return kwargs


def _audio(result: Any) -> np.ndarray | None:
    audio = getattr(result, "audio", None)
    if audio is None:
        return None
    import numpy as np

    if hasattr(audio, "detach"):
        audio = audio.detach().float().cpu().numpy()
    audio = np.asarray(audio, dtype=np.float32)
    return audio[0] if audio.ndim == 3 else audio  # (channels, samples) of the first video


def sample_rate(pipe: Any) -> int:
    vocoder = getattr(pipe, "vocoder", None)
    rate = getattr(getattr(vocoder, "config", None), "output_sampling_rate", None)
    return int(rate or getattr(pipe, "audio_sampling_rate", 0) or 0)
