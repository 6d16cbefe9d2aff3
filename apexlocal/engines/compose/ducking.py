"""Ducking: the music bed drops while the narration speaks and comes back after, like a sidechain
compressor keyed by the voice.

The narration's level is read every 10 ms (RMS over both channels). While it is above
`threshold_db`, and for `hold` seconds after it falls below, the bed's target gain is `depth_db`,
otherwise 0 dB. The gain moves towards its target in dB with a one-pole smoother, `attack` seconds
(time constant) going down and `release` going up, and is interpolated linearly between the 10 ms
points, so the bed never steps. The hold bridges the gaps between words, so the bed does not pump.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from apexlocal.engines.compose.audio_sources import SAMPLE_RATE
from apexlocal.errors import JobError

if TYPE_CHECKING:
    import numpy as np

WINDOW = SAMPLE_RATE // 100  # 10 ms


@dataclass(frozen=True)
class Ducking:
    depth_db: float = -12.0
    threshold_db: float = -40.0
    attack: float = 0.06
    release: float = 0.5
    hold: float = 0.3

    def __post_init__(self) -> None:
        if not -60.0 <= self.depth_db <= 0.0:
            raise JobError("ducking: depth_db must be from -60 to 0")
        if self.attack <= 0 or self.release <= 0 or self.hold < 0:
            raise JobError("ducking: attack and release must be > 0, hold >= 0")


class Ducker:
    """gains(key) -> the bed's per-sample linear gain for a block of the narration (the key).
    Blocks must be whole 10 ms windows; state carries across blocks."""

    def __init__(self, settings: Ducking) -> None:
        self.settings = settings
        self._down = 1 - math.exp(-WINDOW / (settings.attack * SAMPLE_RATE))
        self._up = 1 - math.exp(-WINDOW / (settings.release * SAMPLE_RATE))
        self._hold_windows = round(settings.hold * SAMPLE_RATE / WINDOW)
        self._gain_db = 0.0
        self._holding = 0

    def gains(self, key: np.ndarray) -> np.ndarray:
        import numpy as np

        n = key.shape[0]
        if n % WINDOW:
            raise ValueError(f"ducking blocks must be a multiple of {WINDOW} samples")
        power = np.square(key, dtype=np.float64).reshape(n // WINDOW, -1).mean(axis=1)
        present = 10 * np.log10(np.maximum(power, 1e-20)) > self.settings.threshold_db
        knots = [self._gain_db]
        for speaking in present.tolist():
            if speaking:
                self._holding = self._hold_windows
            elif self._holding:
                self._holding -= 1
            target = self.settings.depth_db if speaking or self._holding else 0.0
            rate = self._down if target < self._gain_db else self._up
            self._gain_db += (target - self._gain_db) * rate
            knots.append(self._gain_db)
        curve_db = np.interp(np.arange(1, n + 1), np.arange(len(knots)) * WINDOW, knots)
        return np.power(10.0, curve_db / 20).astype(np.float32)
