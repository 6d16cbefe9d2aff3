"""How a video is cut into clips: the model's native geometry and the frames of each clip.

A video model makes clips of a few seconds. A longer video is several clips, each made by the
image-to-video companion from the LAST frame of the clip before: that frame comes back as the first
frame of the next clip and is dropped there, so the joins show no repeated frame. Clips are of
equal length (a short last clip moves differently from the rest); only the last one is trimmed,
so every continuation starts from a frame that is really in the video.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from apexlocal.errors import ModelError
from apexlocal.models.manifest import ModelEntry

GEOMETRY_KEYS = ("width", "height", "fps", "frames", "steps")


@dataclass(frozen=True)
class NativeGeometry:
    """What the model makes best: frame size, frame rate, frames per clip, denoising steps."""

    width: int
    height: int
    fps: int
    frames: int  # the longest clip
    steps: int


@dataclass(frozen=True)
class ClipPlan:
    index: int  # 1-based
    count: int  # clips in the video
    generate: int  # frames asked of the pipeline
    keep_from: int  # first frame kept (1 for a continuation: frame 0 repeats the previous clip)
    keep: int  # frames kept

    @property
    def continues(self) -> bool:
        return self.index > 1


def native_geometry(model: ModelEntry, model_set: str) -> NativeGeometry:
    """From the manifest's defaults; the tiny set's stand-ins have a small native size of their
    own (`defaults.tiny_native`), which they are built for."""
    source: dict[str, Any] = dict(model.defaults)
    if model_set == "tiny" and isinstance(source.get("tiny_native"), dict):
        source = {**source, **source["tiny_native"]}
    values = {}
    for key in GEOMETRY_KEYS:
        value = source.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ModelError(f"{model.id}: models_manifest.toml must give defaults.{key} as a positive integer")
        values[key] = value
    return NativeGeometry(**values)


def valid_frames(at_least: int, step: int) -> int:
    """The smallest frame count of the form step*k + 1 not below `at_least`: what video VAEs,
    compressing `step` frames into one latent after the first, accept."""
    return step * max(1, math.ceil((at_least - 1) / step)) + 1


def plan_clips(total: int, clip_frames: int, step: int) -> list[ClipPlan]:
    """Clips that together give exactly `total` frames, none longer than `clip_frames`."""
    longest = valid_frames(clip_frames, step)
    if longest > clip_frames:  # the manifest's clip length is not of the VAE's form: round down
        longest = max(step + 1, longest - step)
    if total <= longest:
        return [ClipPlan(1, 1, valid_frames(total, step), 0, total)]
    # Every clip after the first adds (its frames - 1) new frames.
    count = 1 + math.ceil((total - longest) / (longest - 1))
    frames = valid_frames(math.ceil((total - 1) / count) + 1, step)
    plans, made = [ClipPlan(1, count, frames, 0, frames)], frames
    for index in range(2, count + 1):
        keep = min(frames - 1, total - made)
        plans.append(ClipPlan(index, count, valid_frames(keep + 1, step), 1, keep))
        made += keep
    return plans
