"""compose(): a timeline, sound and captions in, one finished MP4 out. See the package docstring."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apexlocal.engines.compose.audio_sources import SAMPLE_RATE, Reader
from apexlocal.engines.compose.caption_render import CaptionRenderer, default_max_chars
from apexlocal.engines.compose.captions import Captions, group_words
from apexlocal.engines.compose.encode import EncodeSettings, Mp4Writer, frame_rate
from apexlocal.engines.compose.join import frame_count, timeline_frames
from apexlocal.engines.compose.master import AudioSettings, master
from apexlocal.engines.compose.mixer import AudioTrack, Mix, place_tracks
from apexlocal.engines.compose.sizes import check_size
from apexlocal.engines.compose.timeline import Segment, layout
from apexlocal.errors import JobCancelled, JobError

ProgressFn = Callable[[float, str], None]
# Drawn over each output frame (after fitting, before captions): (frame, seconds) -> frame.
Overlay = Callable[[Any, float], Any]
MAX_FPS = 120


@dataclass(frozen=True)
class ComposeResult:
    path: Path
    width: int
    height: int
    fps: float
    frames: int
    duration: float  # seconds: frames / fps
    has_audio: bool
    measured_lufs: float | None  # the mix before loudness normalisation
    gain_db: float  # what normalisation applied


def compose(
    timeline: Sequence[Segment],
    output_path: Path | str,
    size: tuple[int, int],
    fps: float = 30.0,
    audio_tracks: Sequence[AudioTrack] = (),
    captions: Captions | Sequence[Sequence[object]] | None = None,
    progress: ProgressFn | None = None,
    cancelled: Callable[[], bool] | None = None,
    *,
    encoding: EncodeSettings = EncodeSettings(),
    audio: AudioSettings = AudioSettings(),
    check_every: int = 10,
    overlay: Overlay | None = None,
) -> ComposeResult:
    """Join `timeline`, mix its sound with `audio_tracks`, draw `captions`, encode to `output_path`.

    Every input is checked before any work (JobError). `progress(fraction, stage)` reports the
    stages "audio" (measuring loudness) and "encoding"; `cancelled()` is asked every
    `check_every` frames (and every 2 s of audio while measuring) and, when true, the partial
    file is removed and JobCancelled raised. `overlay(frame, t)`, when given, draws over every
    frame before the captions (a picture-in-picture, say).
    """
    width, height = check_size(*size)
    if isinstance(check_every, bool) or not isinstance(check_every, int) or check_every < 1:
        raise ValueError("check_every: must be a positive integer")
    if isinstance(fps, bool) or not isinstance(fps, numbers.Real) or not 1 <= fps <= MAX_FPS:
        raise JobError(f"fps: must be a number from 1 to {MAX_FPS}")
    rate = frame_rate(fps)
    placements, total = layout(list(timeline))
    count = frame_count(total, float(rate))
    total_samples = round(count / rate * SAMPLE_RATE)
    tracks = place_tracks(placements, list(audio_tracks), total_samples)
    renderer = _captions(captions, (width, height))
    with_audio = bool(tracks) or audio.always
    checker = _Checker(progress, cancelled)

    mastered = None
    if with_audio:
        mix = Mix(tracks, total_samples, audio.ducking)
        mastered = master(mix, audio, progress, cancelled)
    reader = Reader(iter(mastered.blocks)) if mastered else None
    try:
        frames = timeline_frames(placements, (width, height), float(rate), count)
        with (
            Mp4Writer(output_path, (width, height), rate, with_audio, encoding, audio.bitrate) as writer,
            closing(frames),
        ):  # sources are closed at once, also on an error
            written = 0
            for n, frame in enumerate(frames):
                if n % check_every == 0:
                    checker.check(n / count)
                t = float(n / rate)
                if overlay is not None:
                    frame = overlay(frame, t)
                if renderer is not None:
                    frame = renderer.draw(frame, t)
                writer.add_frame(frame)
                if reader is not None:
                    due = round((n + 1) / rate * SAMPLE_RATE)
                    writer.add_audio(reader.read(due - written))
                    written = due
            checker.check(1.0, report=False)
            path = writer.finish()
    finally:
        if reader is not None:
            reader.close()
    if progress is not None:
        progress(1.0, "encoding")
    return ComposeResult(
        path,
        width,
        height,
        float(rate),
        count,
        float(count / rate),
        with_audio,
        mastered.measured_lufs if mastered else None,
        mastered.gain_db if mastered else 0.0,
    )


def _captions(captions: Captions | Sequence[Sequence[object]] | None, size: tuple[int, int]) -> CaptionRenderer | None:
    if captions is None:
        return None
    if not isinstance(captions, Captions):
        captions = Captions(list(captions))
    max_chars = captions.max_chars or default_max_chars(size, captions.style)
    lines = group_words(captions.words, max_chars=max_chars, max_gap=captions.max_gap)
    return CaptionRenderer(lines, size, captions.style) if lines else None


class _Checker:
    def __init__(self, progress: ProgressFn | None, cancelled: Callable[[], bool] | None) -> None:
        self.progress, self.cancelled = progress, cancelled

    def check(self, fraction: float, report: bool = True) -> None:
        if self.cancelled is not None and self.cancelled():
            raise JobCancelled()
        if report and self.progress is not None:
            self.progress(min(fraction, 1.0), "encoding")
