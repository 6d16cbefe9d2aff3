"""The `commercial` engine: a product, a platform, a duration and a tone in; one finished ad out.

Steps, each a stage the job reports: the spokesperson's photo and the product images are fetched
and checked first (a bad input fails before any model runs); the writer writes the script under
its schema ("writing script", script.py); the voice narrates it part by part ("scene 2/4:
narrating"), word times taken from the speech for the captions ("timing captions"); the narration
is laid on a timeline of exactly `duration` seconds and every part's picture placed around its
voice (scripted_video.plan); the spokesperson is lip-synced ("spokesperson: lip-sync"); the music
bed is chosen or generated ("music: ..."); the video model is loaded and the composition engine
makes each video scene's frames as it reaches them ("scene 1/4: denoising"), crossfades the
parts, draws the on-screen text and the captions, mixes narration over the ducked bed
(loudness-normalised) and encodes H.264 + AAC at the platform's frame ("encoding").

Outputs: the MP4, and in the job's metadata the script as JSON (`script`), the parts as placed
(`sceneClips`), `platform`, `duration`, the music, and each stage's wall time (`stageSeconds`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from apexlocal.engines import compose as c
from apexlocal.engines.base import EngineContext, EngineOutput, OutputFile
from apexlocal.engines.commercial import spokesperson
from apexlocal.engines.commercial.onscreen import Card, OnScreenText
from apexlocal.engines.commercial.request import CommercialRequest, parse_request
from apexlocal.engines.commercial.script import Script, fit, mentions, shorten, write_script
from apexlocal.engines.commercial.styles import scene_prompt
from apexlocal.engines.commercial.timing import Stopwatch
from apexlocal.engines.commercial.visuals import Visual, assign, read_photo, zooming_photo
from apexlocal.engines.music import MusicBed, music_bed
from apexlocal.engines.scripted_video import progress
from apexlocal.engines.scripted_video.narration import Narration, narrate
from apexlocal.engines.scripted_video.plan import Shot, plan_shots
from apexlocal.engines.scripted_video.scenes import Scene, words_per_minute
from apexlocal.engines.spec_checks import MAX_SEED
from apexlocal.engines.video.engine import FrameMaker, open_maker
from apexlocal.engines.video.request import VideoRequest
from apexlocal.engines.voice.text import split_sentences
from apexlocal.errors import ModelError
from apexlocal.models.manifest import ModelEntry

OUTPUT_NAME = "output.mp4"
STILL_FPS = 25.0  # the frame rate when no video scene sets one
MUSIC_GAIN_DB = -6.0  # the bed under the voice, before ducking
MUSIC_FADE_OUT_S = 1.0
SCENE_SEED_STEP = 1000
HOOK_ENDS_BY_S = 3.0  # the hook is heard within the first 3 s
HOOK_MIN_WORDS = 1  # a slow voice's hook may end up one word (later than 3 s only if that word is)


class CommercialEngine:
    """The `commercial` engine. The job's model is the video model (`videoModel`); the voice is the
    spec's `voiceModel`, the music the spec's `musicModel` (defaults: the manifest's)."""

    name = "commercial"

    def run(self, spec: dict[str, Any], model: ModelEntry, ctx: EngineContext) -> EngineOutput:
        return make_commercial(spec, model, ctx)


def make_commercial(spec: dict[str, Any], model: ModelEntry, ctx: EngineContext, writer: Any = None) -> EngineOutput:
    """`writer`: an engines.writer Writer (default: open_writer(ctx))."""
    started, watch = time.monotonic(), Stopwatch()
    request = parse_request(spec, model)
    photo = spokesperson.fetch_photo(request.spokesperson_image, ctx)
    images = _product_images(request, ctx)
    voice = _voice_model(request, ctx)
    with watch.stage("writer"):
        script, writer_model = _script(request, ctx, writer, words_per_minute(voice))
    with watch.stage("voice"):
        narration = _narrate(request, script, voice, ctx)
    samples = _padded(narration, request.duration)
    shots, fade = plan_shots(narration.scene_spans, float(request.duration))
    visuals = assign([line.role for line in script.lines], len(images), photo is not None)
    talking: dict[int, Path] = {}
    if photo is not None:
        windows = {
            i: (_spokesperson_start(i, shot, fade), shot.length)
            for i, (shot, visual) in enumerate(zip(shots, visuals, strict=True))
            if visual.source == "spokesperson"
        }
        with watch.stage("spokesperson"):
            talking = spokesperson.render_parts(
                photo, spec, samples, narration.sample_rate, request.frame, windows, ctx
            )
    with watch.stage("music"):
        bed = music_bed(
            ctx, request.music_mood, float(request.duration), seed=request.seed, model_id=request.music_model
        )
    maker = None
    if any(v.source == "video" for v in visuals):
        with watch.stage("scenes"):
            longest = max(s.length for s, v in zip(shots, visuals, strict=True) if v.source == "video")
            maker = open_maker(model, progress.renamed(ctx, "loading video model"), longest)
    fps = maker.native.fps if maker is not None else STILL_FPS
    tracker = progress.ComposeProgress(ctx, sum(v.source == "video" for v in visuals))
    parts = _Parts(request, script, images, talking, maker, fps, fade, ctx, tracker, watch)
    timeline = [parts.segment(i, shot, visual) for i, (shot, visual) in enumerate(zip(shots, visuals, strict=True))]
    tracks = [
        c.AudioTrack(c.AudioArray(samples, narration.sample_rate), role="narration"),
        c.AudioTrack(c.AudioFile(bed.path), role="music", loop=True, gain_db=MUSIC_GAIN_DB, fade_out=MUSIC_FADE_OUT_S),
    ]
    overlay = OnScreenText(
        [Card(line.on_screen, s.start, s.end) for line, s in zip(script.lines, shots, strict=True)],
        request.frame,
        _box_color(request),
    )
    compose_started = time.perf_counter()
    result = _compose(timeline, tracks, narration, overlay, request, fps, tracker, ctx, maker)
    watch.add("composition", time.perf_counter() - compose_started - watch.seconds.get("scenes frames", 0.0))
    metadata = _metadata(request, model, voice, script, writer_model, narration, shots, visuals, bed, result, watch)
    metadata["durationMs"] = round((time.monotonic() - started) * 1000)
    return EngineOutput(files=[OutputFile(result.path, "video/mp4", OUTPUT_NAME)], metadata=metadata)


def _script(request: CommercialRequest, ctx: EngineContext, writer: Any, wpm: float) -> tuple[Script, str]:
    stage = "writing script"
    ctx.progress(0.0, stage)
    if writer is None:
        from apexlocal.engines.writer import open_writer

        writer = open_writer(ctx)
    ctx.check_cancelled()
    script, model_id = write_script(request, writer, ctx.cancelled)
    ctx.progress(1.0, stage)
    return fit(script, wpm, float(request.duration)), model_id


def _scenes(script: Script) -> list[Scene]:
    return [
        Scene(i + 1, tuple(split_sentences(line.voiceover) or [line.voiceover])) for i, line in enumerate(script.lines)
    ]


def _narrate(request: CommercialRequest, script: Script, voice: ModelEntry, ctx: EngineContext) -> Narration:
    """The voice-over, its hook ending by HOOK_ENDS_BY_S: HOOK_WORDS words at the voice's pace fit,
    but long words can run over, and then the hook loses its last word and is spoken again."""
    while True:
        narration = narrate(_scenes(script), voice, request.voice_spec, float(request.duration), ctx, timing="speech")
        hook = script.lines[0]
        words = len(hook.voiceover.split())
        if narration.scene_spans[0][1] <= HOOK_ENDS_BY_S or words <= HOOK_MIN_WORDS:
            return narration
        hook.voiceover = shorten(hook.voiceover, words - 1)
        script.fallbacks.append(f"hook: ended at {narration.scene_spans[0][1]:.2f} s, shortened to {words - 1} words")
        if not mentions(script.text, script.name):  # the product's name was in the words cut
            script.lines[-1].voiceover = f"Get the {script.name} today."
            script.fallbacks.append("callToAction: replaced to name the product")


def _product_images(request: CommercialRequest, ctx: EngineContext) -> list[Any]:
    if not request.product_images:
        return []
    if ctx.fetch_input is None:
        raise ModelError("product images need an input fetcher")
    images = []
    for i, url in enumerate(request.product_images):
        field = f"productImages[{i}]"
        images.append(read_photo(ctx.fetch_input(url, field), field))
    return images


def _voice_model(request: CommercialRequest, ctx: EngineContext) -> ModelEntry:
    if request.voice_model is None:
        return ctx.manifest.default_for("voice")
    entry = ctx.manifest.by_id().get(request.voice_model)
    if entry is None:
        raise ModelError(f"voiceModel: {request.voice_model!r} is not in models_manifest.toml")
    return entry


def _spokesperson_start(index: int, shot: Shot, fade: float) -> float:
    """Where a spokesperson part's picture starts: half a crossfade early, so that the face is
    in sync while it fades in."""
    return max(0.0, shot.start - (fade / 2 if index else 0.0))


def _padded(narration: Narration, duration: int) -> Any:
    """The narration track exactly `duration` seconds long (silence after the tail)."""
    import numpy as np

    total = round(duration * narration.sample_rate)
    out = np.zeros(total, np.float32)
    out[: min(total, narration.samples.shape[0])] = narration.samples[:total]
    return out


def _box_color(request: CommercialRequest) -> tuple[int, int, int]:
    """The brand's first colour behind the on-screen text, else black."""
    colors = (request.brand or {}).get("colors") or []
    value = str(colors[0]) if colors else ""
    if len(value) == 7 and value.startswith("#"):
        try:
            return (int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16))
        except ValueError:
            pass
    return (0, 0, 0)


class _Parts:
    """Each part's picture as a timeline segment."""

    def __init__(
        self,
        request: CommercialRequest,
        script: Script,
        images: list[Any],
        talking: dict[int, Path],
        maker: FrameMaker | None,
        fps: float,
        fade: float,
        ctx: EngineContext,
        tracker: progress.ComposeProgress,
        watch: Stopwatch,
    ) -> None:
        self.request, self.script, self.images, self.talking = request, script, images, talking
        self.maker, self.fps, self.fade, self.ctx, self.tracker, self.watch = maker, fps, fade, ctx, tracker, watch
        self.video_count = 0  # video scenes numbered as they are placed

    def segment(self, index: int, shot: Shot, visual: Visual) -> c.Segment:
        transition = c.crossfade(self.fade) if index and self.fade > 0 else c.CUT
        if visual.source == "spokesperson":
            clip = c.open_video(self.talking[index], audio=False)
            return c.Segment(clip, duration=shot.length, transition=transition, audio=False)
        if visual.source == "product-image":
            assert visual.image is not None
            clip = zooming_photo(
                self.images[visual.image],
                self.request.frame,
                self.fps,
                shot.length,
                index % 2 == 0,
                f"part {index + 1}",
            )
            return c.Segment(clip, duration=shot.length, transition=transition)
        return c.Segment(self._video(index, shot), duration=shot.length, transition=transition, fit="crop")

    def _video(self, index: int, shot: Shot) -> c.Clip:
        maker = self.maker
        assert maker is not None
        self.video_count += 1
        line = self.script.lines[index]
        prompt, negative = scene_prompt(line.visual, self.script.name, self.request.tone)
        video = VideoRequest(
            prompt=prompt,
            negative_prompt=negative,
            duration_s=shot.length,
            resolution="720p",
            model_name=self.request.model_name,
            seed=(self.request.seed + SCENE_SEED_STEP * index) % (MAX_SEED + 1),
        )
        scene_ctx = progress.picturing(self.ctx, self.video_count, self.tracker.scenes)
        tracker, ctx = self.tracker, scene_ctx

        def frames() -> Iterator[Any]:
            try:
                yield from maker.frames(video, ctx)
            finally:
                tracker.scene_done()

        timed = self.watch.timed("scenes frames", frames)
        fps = maker.native.fps
        return c.from_frames(
            timed, fps, duration=video.frame_count(fps) / fps, size=maker.size, name=f"part {index + 1}"
        )


def _compose(
    timeline: list[c.Segment],
    tracks: list[c.AudioTrack],
    narration: Narration,
    overlay: OnScreenText,
    request: CommercialRequest,
    fps: float,
    tracker: progress.ComposeProgress,
    ctx: EngineContext,
    maker: FrameMaker | None,
) -> c.ComposeResult:
    def run() -> c.ComposeResult:
        return c.compose(
            timeline,
            ctx.scratch_dir / OUTPUT_NAME,
            request.frame,
            fps=fps,
            audio_tracks=tracks,
            captions=c.Captions(narration.words),
            progress=tracker,
            cancelled=ctx.cancelled,
            overlay=overlay,
        )

    if maker is None:
        return run()
    with maker.locked():
        return run()


def _metadata(
    request: CommercialRequest,
    model: ModelEntry,
    voice: ModelEntry,
    script: Script,
    writer_model: str,
    narration: Narration,
    shots: list[Shot],
    visuals: list[Visual],
    bed: MusicBed,
    result: c.ComposeResult,
    watch: Stopwatch,
) -> dict[str, Any]:
    clips = []
    for i, (line, shot, visual) in enumerate(zip(script.lines, shots, visuals, strict=True)):
        span = narration.scene_spans[i]
        clips.append(
            {
                "index": i + 1,
                "part": line.role,
                "source": visual.source,
                **({"productImage": visual.image} if visual.image is not None else {}),
                "start": round(shot.start, 3),
                "end": round(shot.end, 3),
                "voiceStart": round(span[0], 3),
                "voiceEnd": round(span[1], 3),
                "voiceover": line.voiceover,
                "onScreenText": line.on_screen,
            }
        )
    stages = watch.report()
    stages["scenes"] = round(stages.pop("scenes frames", 0.0) + stages.get("scenes", 0.0), 3)
    return {
        "platform": request.platform,
        "duration": request.duration,
        "durationSeconds": round(result.duration, 3),
        "width": result.width,
        "height": result.height,
        "fps": result.fps,
        "frames": result.frames,
        "tone": request.tone,
        "product": request.product,
        "script": script.as_json(),
        "sceneClips": clips,
        "hookEndsAt": clips[0]["voiceEnd"],
        "captions": True,
        "captionTiming": narration.timing,
        "music": {
            "mood": bed.mood,
            "source": bed.source,
            "title": bed.title,
            "license": bed.license,
            "model": bed.model,
            **({"bpm": bed.bpm} if bed.bpm else {}),
            **({"key": bed.key} if bed.key else {}),
        },
        "musicMood": bed.mood,
        "writerModel": writer_model,
        "voiceModel": voice.id,
        "voiceId": narration.voice_id,
        "narrationSpeed": round(narration.speed, 3),
        "videoModel": request.model_name,
        "modelId": model.id,
        "mixLoudnessLufs": round(result.measured_lufs, 2) if result.measured_lufs is not None else None,
        "seed": request.seed,
        "stageSeconds": stages,
    }
