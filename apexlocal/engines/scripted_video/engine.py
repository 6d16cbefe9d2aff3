"""The `scripted-video` engine: a script in, one narrated, captioned MP4 out.

Steps: validate the spec; split the script into scenes; narrate every scene (cheap, and it fixes
each scene's length before any denoising); place each scene's picture around its narration;
load the video model once; then compose. The scenes' frames are made while they are composed,
scene after scene, as the playhead reaches them, so memory holds a clip or two of frames however
long the video, and no intermediate video file is written. Each scene's picture is a video of its
own from the scene's words (and the style's wording), at the model's native size and frame rate,
fitted (cropped and scaled) to 16:9 at the requested resolution. A model's own sound (LTX-2) is
not used: the narration is the sound track.

Progress names the scene and its step ("scene 2/4: narrating", "scene 2/4: denoising"); a cancel
is seen at every denoising step, between sentences and every few encoded frames, and leaves no
file behind.

With `avatarImage` the video has a presenter (presenter.py): the face in that photo, checked
before anything is narrated, speaks the whole narration in a square picture-in-picture in the
top-right corner (36% of the frame's height, inset 4%, a 2 px white frame), over every scene;
it is lip-synced once the narration is laid out ("presenter: lip-sync"), before the scenes.

With `musicMood` (beyond the hosted API) a music bed of that mood (engines.music) lies under the
narration, 6 dB down, ducked while the voice speaks, looped to the video's length and faded out
over its last second; the mix is loudness-normalised as a whole.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from apexlocal.engines import compose as c
from apexlocal.engines.base import EngineContext, EngineOutput, OutputFile
from apexlocal.engines.music import music_bed
from apexlocal.engines.scripted_video import progress
from apexlocal.engines.scripted_video.narration import Narration, narrate
from apexlocal.engines.scripted_video.plan import Shot, plan_shots
from apexlocal.engines.scripted_video.presenter import (
    POSITION,
    Presenter,
    PresenterOverlay,
    pip_side,
    prepare_presenter,
    render_presenter,
)
from apexlocal.engines.scripted_video.request import ScriptRequest, parse_request
from apexlocal.engines.scripted_video.scenes import Scene, split_scenes, words_per_minute
from apexlocal.engines.scripted_video.styles import scene_prompt
from apexlocal.engines.spec_checks import MAX_SEED
from apexlocal.engines.video.engine import FrameMaker, open_maker
from apexlocal.engines.video.request import VideoRequest
from apexlocal.errors import ModelError
from apexlocal.models.manifest import ModelEntry

OUTPUT_NAME = "output.mp4"
ASPECT = "16:9"
SCENE_SEED_STEP = 1000  # scene n's clips are seeded from seed + 1000 (n - 1) on
MUSIC_GAIN_DB = -6.0  # a musicMood bed under the narration, before ducking


class ScriptedVideoEngine:
    """The `scripted-video` engine. The job's model is the video model; the voice model is the
    spec's `voiceModel` (the manifest's default voice without one)."""

    name = "scripted-video"

    def run(self, spec: dict[str, Any], model: ModelEntry, ctx: EngineContext) -> EngineOutput:
        return scripted_video(spec, model, ctx)


def scripted_video(spec: dict[str, Any], model: ModelEntry, ctx: EngineContext) -> EngineOutput:
    started = time.monotonic()
    request = parse_request(spec, model)
    presenter = prepare_presenter(spec, ctx)
    voice = _voice_model(request, ctx)
    scenes = split_scenes(request.script, words_per_minute(voice))
    narration = narrate(
        scenes, voice, request.voice_spec, request.max_duration_s, ctx, timing="speech" if request.captions else "none"
    )
    shots, fade = plan_shots(narration.scene_spans, narration.duration)
    size = c.resolve_size(request.resolution, ASPECT)
    overlay = None
    if presenter is not None:
        pip = render_presenter(presenter, narration.samples, narration.sample_rate, size, ctx)
        overlay = PresenterOverlay(pip, size)
    maker = open_maker(model, progress.renamed(ctx, "loading video model"), max(s.length for s in shots))
    tracker = progress.ComposeProgress(ctx, len(shots))
    timeline = [
        _segment(maker, request, scene, shot, fade, ctx, tracker, len(shots))
        for scene, shot in zip(scenes, shots, strict=True)
    ]
    narration_track = c.AudioTrack(c.AudioArray(narration.samples, narration.sample_rate), role="narration")
    tracks = [narration_track, *_music(request, narration.duration, ctx)]
    with maker.locked():
        try:
            result = c.compose(
                timeline,
                ctx.scratch_dir / OUTPUT_NAME,
                size,
                fps=maker.native.fps,
                audio_tracks=tracks,
                captions=c.Captions(narration.words) if request.captions else None,
                progress=tracker,
                cancelled=ctx.cancelled,
                overlay=overlay,
            )
        finally:
            if overlay is not None:
                overlay.close()
    metadata = _metadata(request, model, voice, maker, scenes, shots, narration, result, started)
    if request.music_mood is not None:
        metadata["musicMood"] = request.music_mood
    if presenter is not None:
        metadata["presenter"] = _presenter_metadata(presenter, size)
    return EngineOutput(files=[OutputFile(result.path, "video/mp4", OUTPUT_NAME)], metadata=metadata)


def _music(request: ScriptRequest, duration: float, ctx: EngineContext) -> list[c.AudioTrack]:
    """The music bed of `musicMood`, looped under the narration and ducked while it speaks."""
    if request.music_mood is None:
        return []
    bed = music_bed(ctx, request.music_mood, duration, seed=request.seed, model_id=request.music_model)
    return [c.AudioTrack(c.AudioFile(bed.path), role="music", loop=True, gain_db=MUSIC_GAIN_DB, fade_out=1.0)]


def _voice_model(request: ScriptRequest, ctx: EngineContext) -> ModelEntry:
    manifest = ctx.manifest
    if request.voice_model is None:
        return manifest.default_for("voice")
    entry = manifest.by_id().get(request.voice_model)
    if entry is None:
        raise ModelError(f"voiceModel: {request.voice_model!r} is not in models_manifest.toml")
    return entry


def _presenter_metadata(presenter: Presenter, size: tuple[int, int]) -> dict[str, Any]:
    side = pip_side(size)
    return {
        "model": presenter.model.id,
        "facesFound": presenter.faces_found,
        "layout": "picture-in-picture",
        "position": POSITION,
        "size": [side, side],
    }


def _segment(
    maker: FrameMaker,
    request: ScriptRequest,
    scene: Scene,
    shot: Shot,
    fade: float,
    ctx: EngineContext,
    tracker: progress.ComposeProgress,
    count: int,
) -> c.Segment:
    """The scene's picture as a clip whose frames the video engine makes when it is read."""
    prompt, negative = scene_prompt(scene.text, request.style)
    video = VideoRequest(
        prompt=prompt,
        negative_prompt=negative,
        duration_s=shot.length,
        resolution=request.resolution,
        model_name=request.model_name,
        seed=(request.seed + SCENE_SEED_STEP * (scene.index - 1)) % (MAX_SEED + 1),
    )
    scene_ctx = progress.picturing(ctx, scene.index, count)
    fps = maker.native.fps

    def frames() -> Iterator[Any]:
        try:
            yield from maker.frames(video, scene_ctx)
        finally:
            tracker.scene_done()

    clip = c.from_frames(
        frames, fps, duration=video.frame_count(fps) / fps, size=maker.size, name=f"scene {scene.index}"
    )
    transition = c.crossfade(fade) if scene.index > 1 and fade > 0 else c.CUT
    return c.Segment(clip, duration=shot.length, transition=transition, fit="crop")


def _metadata(
    request: ScriptRequest,
    model: ModelEntry,
    voice: ModelEntry,
    maker: FrameMaker,
    scenes: list[Scene],
    shots: list[Shot],
    narration: Narration,
    result: c.ComposeResult,
    started: float,
) -> dict[str, Any]:
    native_w, native_h = maker.size
    return {
        "model": request.model_name,
        "modelId": model.id,
        "durationSeconds": round(result.duration, 3),
        "resolution": request.resolution,
        "width": result.width,
        "height": result.height,
        "fps": result.fps,
        "frames": result.frames,
        "scenes": len(scenes),
        "sceneTimings": [
            {"scene": shot.index, "start": round(shot.start, 3), "end": round(shot.end, 3), "text": scene.text}
            for scene, shot in zip(scenes, shots, strict=True)
        ],
        "style": request.style,
        "captions": request.captions,
        **({"captionTiming": narration.timing} if request.captions else {}),
        "voiceId": narration.voice_id,
        "voiceModel": voice.id,
        "narrationSpeed": round(narration.speed, 3),
        "nativeResolution": f"{native_w}x{native_h}",
        "upscaled": result.width > native_w or result.height > native_h,
        "audio": result.has_audio,
        "seed": request.seed,
        "durationMs": round((time.monotonic() - started) * 1000),
    }
