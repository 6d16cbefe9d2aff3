"""One clip written out: the source's stretch, reframed, with its own sound, captions burned in
(a few words at a time, the spoken word highlighted, inside the aspect's safe margins) and a
WebVTT file of the same words.

Frames are decoded from the keyframe before the clip's start, cropped by the `CropPath` at their
own time and handed to the compositor, which scales them to the output size (OUTPUT_SIZES), draws
the captions and encodes H.264 + AAC with the index at the front (faststart). The sound is the
source's, loudness-normalised by the compositor. Nothing is held but the frame in hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apexlocal.engines import compose as c
from apexlocal.engines.clip.reframe import OUTPUT_SIZES, CropPath
from apexlocal.engines.clip.sentences import Timed
from apexlocal.engines.video_translate.subtitles import render_vtt

CAPTION_CHARS = 18  # a few words on screen at a time, read at a glance
VTT_CHARS = 32
MAX_FPS = 30.0


@dataclass(frozen=True)
class Cut:
    start: float
    end: float
    words: tuple[Timed, ...]  # in source time

    @property
    def duration(self) -> float:
        return self.end - self.start

    def local_words(self) -> list[Timed]:
        """The words in the clip's own time, clipped to its length."""
        out = []
        for text, a, b in self.words:
            a, b = max(0.0, a - self.start), min(self.duration, b - self.start)
            if b >= a:  # Whisper may time a short word with no length: it is still said
                out.append((text, round(a, 3), round(b, 3)))
        return out


def reframed(source: Path, path: CropPath, cut: Cut) -> c.Clip:
    """The cut's frames, cropped along `path`, as a compositor clip."""
    video = c.open_video(source, audio=False)
    width, height = path.size

    def opener(start: float) -> Iterator[tuple[float, Any]]:
        import numpy as np

        from apexlocal.engines.compose.geometry import as_rgb

        first = cut.start + start
        for t, frame in video.timed_frames(first):
            if t < first - 0.5 / video.fps:
                continue
            if t >= cut.end:
                break
            x0, y0, x1, y1 = path.box_at(t)
            yield t - cut.start, np.ascontiguousarray(as_rgb(frame)[y0:y1, x0:x1])

    return c.Clip(width, height, video.fps, cut.duration, opener, None, source.name)


def render_clip(
    source: Path,
    path: CropPath,
    cut: Cut,
    aspect: str,
    captions: bool,
    out: Path,
    progress: Callable[[float, str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    has_audio: bool = True,
) -> c.ComposeResult:
    clip = reframed(source, path, cut)
    words = cut.local_words()
    sound = (
        [c.AudioTrack(c.AudioFile(source), offset=cut.start, duration=cut.duration, role="effects")]
        if has_audio
        else []
    )
    return c.compose(
        [c.Segment(clip, audio=False)],
        out,
        OUTPUT_SIZES[aspect],
        fps=min(MAX_FPS, clip.fps),
        audio_tracks=sound,
        captions=c.Captions(words, max_chars=CAPTION_CHARS) if captions and words else None,
        progress=progress,
        cancelled=cancelled,
    )


def clip_vtt(words: Sequence[Timed], language: str = "") -> str:
    """WebVTT cues of the words heard, a short line each, timed as spoken."""
    lines = c.group_words(words, max_chars=VTT_CHARS) if words else []
    return render_vtt([(line.text, line.start, line.end) for line in lines], language)
