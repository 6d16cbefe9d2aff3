"""Fitting each spoken line into the time of the line it replaces.

A line's slot runs from the original line's start to the next line's start (less GAP_S), or to
the video's end. The new speech, its leading and trailing silence cut, starts exactly at the
original start, so the lips and the subtitles follow the original timing. Speech longer than its
slot is sped up without a change of pitch (WSOLA, `voice.audio.time_stretch`) by at most
MAX_SPEEDUP; what is still too long after that is cut at the slot's end with a short fade, and the
line is reported as trimmed. Shorter speech is left at its pace and followed by silence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from apexlocal.engines.video_translate.lines import Line

if TYPE_CHECKING:
    import numpy as np

GAP_S = 0.05  # silence kept between one line's end and the next line's start
MAX_SPEEDUP = 1.5  # faster than this, speech is hard to follow
FADE_S = 0.03  # the fade where a line is cut
SILENCE_RATIO = 0.05  # a 10 ms frame quieter than this share of the loudest one is silence


@dataclass(frozen=True)
class Fitted:
    """One translated line as placed on the video's timeline."""

    text: str
    start: float  # seconds: where its speech begins (the original line's start)
    end: float  # where its speech ends
    slot_end: float  # the end of the time it could take
    speedup: float  # 1.0: spoken at the voice's own pace
    trimmed: bool  # cut at the slot's end after the largest speed-up


@dataclass
class FittedSpeech:
    samples: np.ndarray  # float32 mono, the video's whole length
    sample_rate: int
    lines: list[Fitted]


def slots(lines: list[Line], duration: float) -> list[tuple[float, float]]:
    """(start, end) of the time each line may take."""
    out = []
    for i, line in enumerate(lines):
        limit = lines[i + 1].start - GAP_S if i + 1 < len(lines) else duration
        start = min(max(line.start, 0.0), duration)
        out.append((start, max(start, min(limit, duration))))
    return out


def fit_speech(
    lines: list[Line], texts: list[str], spoken: list[np.ndarray], sample_rate: int, duration: float
) -> FittedSpeech:
    """`spoken[i]` (float32 mono at `sample_rate`) is `texts[i]`, the translation of `lines[i]`."""
    import numpy as np

    total = int(round(duration * sample_rate))
    track = np.zeros(total, np.float32)
    fitted = []
    for (start, end), text, audio in zip(slots(lines, duration), texts, spoken, strict=True):
        voice, speedup, trimmed = fit_line(trim_silence(audio, sample_rate), end - start, sample_rate)
        offset = int(round(start * sample_rate))
        voice = voice[: max(0, total - offset)]
        track[offset : offset + voice.shape[0]] += voice
        fitted.append(
            Fitted(text, round(start, 3), round((offset + voice.shape[0]) / sample_rate, 3), end, speedup, trimmed)
        )
    return FittedSpeech(track, sample_rate, fitted)


def fit_line(audio: np.ndarray, room: float, sample_rate: int) -> tuple[np.ndarray, float, bool]:
    """(speech that lasts at most `room` seconds, the speed-up applied, whether it was cut)."""
    from apexlocal.engines.voice.audio import time_stretch

    limit = int(room * sample_rate)
    if audio.shape[0] <= limit:
        return audio, 1.0, False
    if limit <= 0:
        return audio[:0], 1.0, True
    speedup = min(audio.shape[0] / limit, MAX_SPEEDUP)
    stretched = time_stretch(audio, speedup * 1.001, sample_rate)  # a hair more: lengths round down
    if stretched.shape[0] <= limit:
        return stretched, round(speedup, 3), False
    return _fade_out(stretched[:limit], int(FADE_S * sample_rate)), round(speedup, 3), True


def _fade_out(audio: np.ndarray, n: int) -> np.ndarray:
    import numpy as np

    n = min(n, audio.shape[0])
    if n:
        audio = audio.copy()
        audio[-n:] *= np.linspace(1.0, 0.0, n, dtype=np.float32)
    return audio


def trim_silence(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """`audio` without the silence before its first and after its last audible 10 ms."""
    import numpy as np

    audio = np.asarray(audio, np.float32).reshape(-1)
    frame = max(1, sample_rate // 100)
    count = audio.shape[0] // frame
    if count == 0:
        return audio
    rms = np.sqrt(np.mean(audio[: count * frame].reshape(count, frame) ** 2, axis=1))
    loud = np.flatnonzero(rms > max(float(rms.max()) * SILENCE_RATIO, 1e-4))
    if loud.size == 0:
        return audio[:0]
    return audio[int(loud[0]) * frame : min(audio.shape[0], (int(loud[-1]) + 1) * frame)]
