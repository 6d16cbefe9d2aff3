"""Music beds: the packaged library's tracks by mood, aliases, the seed's pick, and a bed mixed
under speech by the composition engine (heard where the speech pauses, ducked under it)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from apexlocal.engines.base import EngineContext
from apexlocal.engines.music import MOODS, canonical_mood, mood_error, music_bed
from apexlocal.engines.music.library import moods_of, tracks
from apexlocal.errors import JobError
from apexlocal.models.packaged import check_package


def library_dir(ctx: EngineContext) -> Path:
    return check_package(ctx.manifest.default_for("music"))


def test_the_library_has_tracks_of_every_mood_with_their_tempo_and_key(voice_ctx: Callable[..., EngineContext]) -> None:
    folder = library_dir(voice_ctx())
    assert moods_of(folder) == list(MOODS)
    found = tracks(folder)
    assert len(found) == 28
    energetic = [t for t in found if t.mood == "energetic"]
    assert energetic and all(t.bpm is not None and t.bpm >= 130 for t in energetic)
    assert all(t.key for t in found)


def test_aliases_map_to_library_moods_and_unknown_moods_are_named() -> None:
    assert canonical_mood("Upbeat") == "energetic"
    assert canonical_mood("corporate") == "calm"
    assert canonical_mood("dramatic") == "energetic"
    assert canonical_mood(" tender ") == "tender"
    assert canonical_mood("polka") is None
    message = mood_error("musicMood", "polka")
    assert message is not None and message.startswith("musicMood: 'polka'")
    assert all(m in message for m in MOODS)
    assert mood_error("musicMood", "happy") is None


def test_a_bed_is_a_track_of_the_mood_picked_by_the_seed(voice_ctx: Callable[..., EngineContext]) -> None:
    ctx = voice_ctx()
    first = music_bed(ctx, "upbeat", 15.0, seed=1)
    assert first.mood == "energetic" and first.source == "library" and first.license == "mit"
    assert first.path.parent.name == "energetic" and first.path.is_file()
    assert 20.0 < first.duration_s < 40.0
    assert music_bed(ctx, "upbeat", 15.0, seed=1).path == first.path
    assert music_bed(ctx, "energetic", 15.0, seed=2).path != first.path
    with pytest.raises(JobError, match="musicMood: 'polka'"):
        music_bed(ctx, "polka", 15.0)


def test_the_bed_is_heard_where_the_speech_pauses_and_ducked_under_it(
    voice_ctx: Callable[..., EngineContext], tmp_path: Path
) -> None:
    from apexlocal.engines import compose as c

    ctx = voice_ctx()
    bed = music_bed(ctx, "happy", 6.0, seed=0)
    rate = 22_050
    t = np.arange(3 * rate) / rate
    speech = np.concatenate([0.5 * np.sin(2 * np.pi * 220 * t), np.zeros(3 * rate)]).astype(np.float32)
    result = c.compose(
        [c.Segment(c.solid((40, 40, 40), (320, 180), 6.0))],
        tmp_path / "mix.mp4",
        (320, 180),
        fps=10,
        audio_tracks=[
            c.AudioTrack(c.AudioArray(speech, rate), role="narration"),
            c.AudioTrack(c.AudioFile(bed.path), role="music", loop=True),
        ],
    )
    mix = decoded_mono(result.path)
    speaking, pause = rms(mix[int(0.5 * 48_000) : int(2.5 * 48_000)]), rms(mix[int(4.0 * 48_000) : int(5.8 * 48_000)])
    assert pause > 0.01  # the bed alone, where the speech pauses
    tone = tone_level(mix[int(0.5 * 48_000) : int(2.5 * 48_000)], 220)
    assert tone > 0.5 * speaking  # the speech dominates while it is spoken
    bed_under_speech = (max(speaking**2 - tone**2, 0.0)) ** 0.5
    assert bed_under_speech < 0.6 * pause  # ducked (-12 dB by default) under the speech


def decoded_mono(path: Path) -> np.ndarray:
    import av

    with av.open(str(path)) as container:
        chunks = [f.to_ndarray() for f in container.decode(audio=0)]
    data = np.concatenate(chunks, axis=1) if chunks[0].ndim == 2 else np.concatenate(chunks)
    return data.reshape(-1) if data.shape[0] != 2 else data.mean(axis=0)


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x))))


def tone_level(x: np.ndarray, hz: float) -> float:
    """The RMS of the part of `x` at `hz` (48 kHz samples), by projection on a sine and cosine."""
    t = np.arange(x.shape[0]) / 48_000
    s, c = np.sin(2 * np.pi * hz * t), np.cos(2 * np.pi * hz * t)
    amplitude = 2 * np.hypot(np.dot(x, s), np.dot(x, c)) / x.shape[0]
    return float(amplitude / np.sqrt(2))


def test_ace_step_makes_a_bed_of_the_video_length_from_its_tiny_stand_in(
    voice_ctx: Callable[..., EngineContext],
) -> None:
    """The generative path runs AceStepPipeline: here the same classes with small random weights
    (the tiny set's stand-in), so the bed is noise of the right length, rate and channels."""
    from apexlocal.engines.compose import AudioFile

    events: list[tuple[str, float]] = []
    bed = music_bed(voice_ctx(events=events), "dramatic", 11.0, seed=4, model_id="ace-step-1.5")
    assert (bed.source, bed.mood, bed.model, bed.license, bed.bpm) == (
        "generated",
        "energetic",
        "ace-step-1.5",
        "mit",
        140,
    )
    assert bed.path.suffix == ".wav" and abs(bed.duration_s - 11.0) < 0.1
    import wave

    with wave.open(str(bed.path)) as wav:
        assert (wav.getframerate(), wav.getnchannels()) == (48_000, 2)
    assert AudioFile(bed.path).duration == pytest.approx(bed.duration_s)
    stages = [s for s, _ in events]
    assert "music: generating" in stages and ("music: generating", 1.0) in events
