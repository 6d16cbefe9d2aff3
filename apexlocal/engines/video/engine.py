"""Text to video with diffusers pipelines: Wan2.1, Wan2.2 TI2V, LTX-2 (with sound).

The request is validated before any model is touched. The video is made at the model's native
size and frame rate, in clips of a few seconds: the first from text, each later one by the
image-to-video companion from the last frame of the clip before. Frames flow clip by clip into
the encoder, so memory holds one clip, not the whole video. Each denoising step reports progress
("clip i/n: denoising") and gives a cancel a chance to stop the run; a cancelled or failed run
leaves no output file. Frames are scaled to the requested resolution when the native size
differs, and the metadata says so.

`text_to_video(spec, model, ctx)` serves the text2video and b-roll endpoints alike (the API sets
their own limits on duration and resolution); `DiffusersVideoEngine` is the registry's
`diffusers-video`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from apexlocal.engines.base import EngineContext, EngineOutput, OutputFile
from apexlocal.engines.diffusers_loading import warm_pipeline
from apexlocal.engines.video import pipelines
from apexlocal.engines.video.frames import AudioTrack, join_audio, scaled
from apexlocal.engines.video.mp4 import write_mp4
from apexlocal.engines.video.plan import ClipPlan, NativeGeometry, native_geometry, plan_clips
from apexlocal.engines.video.request import VideoRequest, parse_request
from apexlocal.errors import ModelError
from apexlocal.models.manifest import Manifest, ModelEntry

if TYPE_CHECKING:
    import numpy as np

OUTPUT_NAME = "output.mp4"

# A pipeline keeps per-call state on itself, so two jobs must not run the same one at once.
_run_locks: dict[str, threading.Lock] = {}
_run_locks_guard = threading.Lock()


def _run_lock(key: str) -> threading.Lock:
    with _run_locks_guard:
        return _run_locks.setdefault(key, threading.Lock())


@dataclass
class Loaded:
    """The pipelines of one job: text to video, and the companion when there is more than one
    clip, with the entry whose defaults (guidance, steps) its calls take."""

    t2v: Any
    lock_keys: list[str]
    i2v: Any | None = None
    i2v_model: ModelEntry | None = None


@dataclass
class _Sound:
    """Each clip's sound, sliced to the frames kept, joined when the last clip is done."""

    sample_rate: int
    channels: int
    parts: list[tuple[np.ndarray, float, float]] = field(default_factory=list)


def text_to_video(spec: dict[str, Any], model: ModelEntry, ctx: EngineContext) -> EngineOutput:
    """Validate, load (or reuse) the pipelines, make the clips, write `output.mp4`."""
    started = time.monotonic()
    request = parse_request(spec, model)
    maker = open_maker(model, ctx, request.duration_s)
    native, plan = maker.native, maker.plan(request)
    sound = _sound_of(maker.loaded.t2v)
    path = ctx.scratch_dir / OUTPUT_NAME
    with maker.locked():
        frames = _frames(maker.loaded, model, request, native, plan, ctx, sound)
        audio = _audio_track(sound, request.frame_count(native.fps) / native.fps)
        count = write_mp4(scaled(frames, request.size), native.fps, request.size, audio, path)
    ctx.progress(1.0, "encoding")
    metadata = _metadata(request, model, native, maker.size, plan, count, audio is not None, started)
    return EngineOutput(files=[OutputFile(path, "video/mp4", OUTPUT_NAME)], metadata=metadata)


@dataclass
class FrameMaker:
    """A model's pipelines loaded for one job that makes one or more videos' frames (the scenes
    of a narrated video each are one), without encoding them: `frames(request, ctx)` inside
    `locked()`."""

    model: ModelEntry
    native: NativeGeometry
    loaded: Loaded

    @property
    def size(self) -> tuple[int, int]:
        """The frame size the pipeline makes (the native size in whole latents and patches)."""
        return pipelines.made_size(self.loaded.t2v, self.native)

    def plan(self, request: VideoRequest) -> list[ClipPlan]:
        plan = plan_clips(
            request.frame_count(self.native.fps), self.native.frames, pipelines.frame_step(self.loaded.t2v)
        )
        if len(plan) > 1 and self.loaded.i2v is None:
            raise ModelError(
                f"{self.model.id}: the image-to-video companion was not loaded for a video of {request.duration_s:g} s"
            )
        return plan

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Holds the pipelines for this job: no other job runs them meanwhile."""
        with ExitStack() as stack:
            for lock_key in self.loaded.lock_keys:
                stack.enter_context(_run_lock(lock_key))
            yield

    def frames(self, request: VideoRequest, ctx: EngineContext) -> Iterator[np.ndarray]:
        """Exactly `request.frame_count(fps)` RGB frames at the native size, made clip by clip as
        they are read; progress and cancel through `ctx` at every denoising step. The model's own
        sound, if any, is not kept."""
        return _frames(self.loaded, self.model, request, self.native, self.plan(request), ctx, None)


def open_maker(model: ModelEntry, ctx: EngineContext, longest_s: float) -> FrameMaker:
    """Loads (or reuses) the model's pipelines, and its image-to-video companion when a video of
    `longest_s` seconds needs more than one clip; raises ModelError for a model that cannot
    start a video from text."""
    if pipelines.is_image_to_video(model):
        raise ModelError(f"{model.id} continues clips from a frame; it cannot start a video from text")
    native = native_geometry(model, ctx.model_set)
    ctx.check_cancelled()
    t2v, key = warm_pipeline(model, ctx)
    longest = plan_clips(max(1, round(longest_s * native.fps)), native.frames, pipelines.frame_step(t2v))
    return FrameMaker(model, native, _with_companion(Loaded(t2v, [key]), model, ctx, longest))


class DiffusersVideoEngine:
    """The `diffusers-video` engine: a script or prompt in, one MP4 out."""

    name = "diffusers-video"

    def run(self, spec: dict[str, Any], model: ModelEntry, ctx: EngineContext) -> EngineOutput:
        return text_to_video(spec, model, ctx)


# Loading --------------------------------------------------------------------------------------


def _with_companion(loaded: Loaded, model: ModelEntry, ctx: EngineContext, plan: list[ClipPlan]) -> Loaded:
    """Adds the companion when the video needs more than one clip; loaded before any denoising,
    so a missing companion fails the job at once."""
    if len(plan) == 1:
        return loaded
    companion = pipelines.companion_of(model, _manifest(ctx).by_id())
    loaded.i2v_model = companion
    if companion.id == model.id:
        loaded.i2v = pipelines.same_weights_image_to_video(loaded.t2v, model)
    else:
        loaded.i2v, companion_key = warm_pipeline(companion, ctx)
        loaded.lock_keys.append(companion_key)
    return loaded


def _manifest(ctx: EngineContext) -> Manifest:
    return ctx.manifest


# Generation -----------------------------------------------------------------------------------


def _frames(
    loaded: Loaded,
    model: ModelEntry,
    request: VideoRequest,
    native: NativeGeometry,
    plan: list[ClipPlan],
    ctx: EngineContext,
    sound: _Sound | None,
) -> Iterator[np.ndarray]:
    """Native-size frames of the whole video, clip by clip; each clip after the first continues
    from the last frame of the one before."""
    from PIL import Image

    last: Image.Image | None = None
    for clip in plan:
        ctx.check_cancelled()
        pipe, entry, geometry = loaded.t2v, model, native
        if clip.continues and loaded.i2v_model is not None:
            # Same size, rate and clip length as the first clip; the companion's own steps.
            pipe, entry = loaded.i2v, loaded.i2v_model
            geometry = replace(native, steps=native_geometry(entry, ctx.model_set).steps)
        made = pipelines.run_clip(
            pipe, request, geometry, clip, entry, ctx.device, image=last, callback=_on_step(ctx, clip)
        )
        kept = _fit(made.frames, clip)
        if sound is not None and made.audio is not None:
            sound.parts.append((made.audio, clip.keep_from / native.fps, clip.keep / native.fps))
        last = Image.fromarray(kept[-1])
        yield from kept


def _fit(frames: np.ndarray, clip: ClipPlan) -> np.ndarray:
    """The clip's kept frames; should a pipeline give fewer than asked, its last frame is held."""
    import numpy as np

    kept = frames[clip.keep_from : clip.keep_from + clip.keep]
    if len(kept) < clip.keep:
        missing = clip.keep - len(kept)
        kept = np.concatenate([kept, np.repeat(frames[-1:], missing, axis=0)])
    return kept


def _on_step(ctx: EngineContext, clip: ClipPlan) -> pipelines.StepCallback:
    stage = f"clip {clip.index}/{clip.count}: denoising"

    def on_step(done: int, total: int) -> None:
        ctx.progress(min(done / total, 1.0), stage)
        ctx.check_cancelled()

    return on_step


def _sound_of(pipe: Any) -> _Sound | None:
    """Models with a vocoder (LTX-2) make sound alongside the picture."""
    vocoder = getattr(pipe, "vocoder", None)
    if vocoder is None:
        return None
    channels = int(getattr(vocoder.config, "out_channels", 2) or 2)
    return _Sound(pipelines.sample_rate(pipe), min(channels, 2))


def _audio_track(sound: _Sound | None, duration_s: float) -> AudioTrack | None:
    if sound is None or not sound.sample_rate:
        return None
    return AudioTrack(
        sound.sample_rate,
        sound.channels,
        lambda: join_audio(sound.parts, sound.sample_rate, sound.channels, duration_s),
    )


def _metadata(
    request: VideoRequest,
    model: ModelEntry,
    native: NativeGeometry,
    native_size: tuple[int, int],
    plan: list[ClipPlan],
    frames: int,
    has_audio: bool,
    started: float,
) -> dict[str, Any]:
    width, height = request.size
    return {
        "model": request.model_name,
        "modelId": model.id,
        "durationSeconds": round(frames / native.fps, 3),
        "resolution": request.resolution,
        "width": width,
        "height": height,
        "fps": native.fps,
        "frames": frames,
        "clips": len(plan),
        "nativeResolution": f"{native_size[0]}x{native_size[1]}",
        "upscaled": width > native_size[0] or height > native_size[1],
        "audio": has_audio,
        "seed": request.seed,
        "steps": native.steps,
        "durationMs": round((time.monotonic() - started) * 1000),
    }
