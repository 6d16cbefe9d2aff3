"""The translated video's sound: the new speech over the original sound, with the original speech
lowered.

No model separates the voice from the rest here, so the original voice is not removed: the
original sound is lowered by ORIGINAL_SPEECH_DB wherever the original lines are spoken (with
short ramps around them), and the background between lines keeps its level. Under the new speech
the original sound is ducked as a music bed is under narration (`compose.Ducking`). The mix is
brought to the composer's loudness target (-16 LUFS, -1 dBTP true peak) by the composition
engine's own mixer, meter and limiter, and written as 48 kHz stereo 16-bit WAV.
"""

from __future__ import annotations

import os
import tempfile
import wave
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from apexlocal.engines.compose.audio_sources import CHANNELS, SAMPLE_RATE, AudioArray, AudioSource
from apexlocal.engines.compose.ducking import Ducking
from apexlocal.engines.compose.master import AudioSettings, master
from apexlocal.engines.compose.mixer import AudioTrack, Mix, place_tracks

if TYPE_CHECKING:
    import numpy as np

ORIGINAL_SPEECH_DB = -30.0
SPAN_LEAD_S = 0.1  # lowered from this long before a line's first word
SPAN_TAIL_S = 0.15  # to this long after its last
RAMP_S = 0.08

ProgressFn = Callable[[float, str], None]
Span = tuple[float, float]


class Lowered:
    """An audio source lowered by `depth_db` within `spans` (seconds), with linear ramps (in dB)
    of `ramp` seconds on each side."""

    def __init__(self, source: AudioSource, spans: Sequence[Span], depth_db: float, ramp: float = RAMP_S) -> None:
        self.source, self.spans, self.depth_db, self.ramp = source, sorted(spans), depth_db, ramp

    @property
    def duration(self) -> float | None:
        return self.source.duration

    def chunks(self, start: float = 0.0, loop: bool = False) -> Iterator[np.ndarray]:
        position = start
        for chunk in self.source.chunks(start, loop):
            yield chunk * self.gains(position, chunk.shape[0])[:, None]
            position += chunk.shape[0] / SAMPLE_RATE
            if loop and self.duration:
                position %= self.duration

    def gains(self, at: float, n: int) -> np.ndarray:
        """Linear gain of the n samples from `at` seconds."""
        import numpy as np

        times = at + np.arange(n, dtype=np.float64) / SAMPLE_RATE
        amount = np.zeros(n)
        last = at + n / SAMPLE_RATE
        for a, b in self.spans:
            if b + self.ramp < at or a - self.ramp > last:
                continue
            rise = (times - (a - self.ramp)) / self.ramp
            fall = ((b + self.ramp) - times) / self.ramp
            amount = np.maximum(amount, np.clip(np.minimum(rise, fall), 0.0, 1.0))
        return np.power(10.0, self.depth_db * amount / 20).astype(np.float32)


def speech_spans(lines: Sequence[Span]) -> list[Span]:
    """Where the original voice is lowered: each line, a little longer on both sides."""
    return [(max(0.0, start - SPAN_LEAD_S), end + SPAN_TAIL_S) for start, end in lines]


@dataclass(frozen=True)
class Soundtrack:
    path: Path
    measured_lufs: float | None  # the mix before its loudness gain
    gain_db: float


def write_soundtrack(
    out: Path,
    speech: np.ndarray,
    speech_rate: int,
    original: AudioSource | None,
    original_lines: Sequence[Span],
    duration: float,
    progress: ProgressFn | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Soundtrack:
    """Mixes, masters and writes the sound of the whole video (`duration` seconds) to `out`.
    `progress` gets the fraction of the loudness pass, then of the writing pass."""
    tracks = [AudioTrack(AudioArray(speech, speech_rate), role="narration")]
    if original is not None:
        lowered = Lowered(original, speech_spans(original_lines), ORIGINAL_SPEECH_DB)
        tracks.append(AudioTrack(lowered, role="music"))
    total = int(round(duration * SAMPLE_RATE))
    mix = Mix(place_tracks([], tracks, total), total, Ducking())
    measuring = (lambda f, _stage: progress(f / 2, "mix")) if progress is not None else None
    mastered = master(mix, AudioSettings(), measuring, cancelled)
    _write_wav(out, mastered.blocks, total, progress, cancelled)
    return Soundtrack(out, mastered.measured_lufs, mastered.gain_db)


def _write_wav(
    out: Path,
    blocks: Iterator[np.ndarray],
    total: int,
    progress: ProgressFn | None,
    cancelled: Callable[[], bool] | None,
) -> None:
    from apexlocal.engines.voice.audio import to_pcm16
    from apexlocal.errors import JobCancelled

    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as raw, wave.open(raw, "wb") as wav:
            wav.setnchannels(CHANNELS)
            wav.setsampwidth(2)
            wav.setframerate(SAMPLE_RATE)
            written = 0
            for i, block in enumerate(blocks):
                if i % 20 == 0:
                    if cancelled is not None and cancelled():
                        raise JobCancelled()
                    if progress is not None:
                        progress(0.5 + 0.5 * min(written / max(total, 1), 1.0), "mix")
                block = block[: max(0, total - written)]
                wav.writeframes(to_pcm16(block))
                written += block.shape[0]
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
