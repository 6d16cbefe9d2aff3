"""Mastering: the mix measured, brought to a loudness target with one constant gain, and
true-peak limited.

Two passes over the same mix, so nothing of it is kept: the first measures its integrated loudness
(see loudness.py), the second applies `target - measured` dB and the limiter while the encoder
consumes it. A constant gain keeps the mix's dynamics (no automatic gain riding). Where the limiter
has much to do (a quiet, peaky mix pushed up a long way), the result can land below the target;
`max_gain_db` stops silence-with-hiss from being raised to speech level.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from apexlocal.engines.compose.ducking import Ducking
from apexlocal.engines.compose.limiter import TruePeakLimiter
from apexlocal.engines.compose.loudness import LoudnessMeter
from apexlocal.engines.compose.mixer import Mix
from apexlocal.errors import JobCancelled, JobError

if TYPE_CHECKING:
    import numpy as np

ProgressFn = Callable[[float, str], None]
CHECK_EVERY_BLOCKS = 20  # 2 s of audio


@dataclass(frozen=True)
class AudioSettings:
    """How the sound is finished. `loudness_lufs=None` leaves the level as mixed; `true_peak_db=None`
    leaves peaks alone (samples are still clipped to full scale)."""

    loudness_lufs: float | None = -16.0
    true_peak_db: float | None = -1.0
    ducking: Ducking | None = field(default_factory=Ducking)
    max_gain_db: float = 30.0
    bitrate: int = 160_000
    always: bool = False  # write an AAC track (silent) even when there is no sound

    def __post_init__(self) -> None:
        if self.loudness_lufs is not None and not -40.0 <= self.loudness_lufs <= -5.0:
            raise JobError("loudness: target must be from -40 to -5 LUFS")
        if self.true_peak_db is not None and not -12.0 <= self.true_peak_db <= 0.0:
            raise JobError("true peak: ceiling must be from -12 to 0 dBTP")


@dataclass(frozen=True)
class Mastered:
    blocks: Iterator[np.ndarray]
    measured_lufs: float | None  # the mix before the gain; None when not measured
    gain_db: float


def master(
    mix: Mix, settings: AudioSettings, progress: ProgressFn | None = None, cancelled: Callable[[], bool] | None = None
) -> Mastered:
    """Measure (a pass of its own, reported as the stage "audio") and return the finished blocks."""
    measured = None
    gain_db = 0.0
    if settings.loudness_lufs is not None:
        measured = measure(mix, progress, cancelled)
        if math.isfinite(measured):
            gain_db = min(settings.loudness_lufs - measured, settings.max_gain_db)
    return Mastered(_finished(mix, gain_db, settings.true_peak_db), measured, gain_db)


def measure(mix: Mix, progress: ProgressFn | None = None, cancelled: Callable[[], bool] | None = None) -> float:
    meter = LoudnessMeter()
    total = mix.block_count
    for i, block in enumerate(mix.blocks()):
        if i % CHECK_EVERY_BLOCKS == 0:
            if cancelled is not None and cancelled():
                raise JobCancelled()
            if progress is not None:
                progress(i / total, "audio")
        meter.add(block)
    if progress is not None:
        progress(1.0, "audio")
    return meter.integrated()


def _finished(mix: Mix, gain_db: float, ceiling_db: float | None) -> Iterator[np.ndarray]:
    import numpy as np

    gain = 10 ** (gain_db / 20)
    if ceiling_db is None:
        for block in mix.blocks():
            yield np.clip(block * gain, -1.0, 1.0)
        return
    limiter = TruePeakLimiter(ceiling_db)
    for block in mix.blocks():
        out = limiter.push(block * gain)
        if out.shape[0]:
            yield out
    yield limiter.flush()
