"""A look-ahead true-peak limiter: the last stage of the mix, keeping peaks under about -1 dBTP.

True peaks (the waveform between samples, which a DAC or a lossy encoder reconstructs) are
estimated by 4x oversampling with a 16-tap Hann-windowed sinc per phase, an approximation of
BS.1770-4 Annex 2's 48-tap filter. The gain is computed on a grid of 32-sample knots: the gain each
knot must not exceed, a minimum over the next 8 knots (look-ahead) and a moving average over the 8
before, which turns each reduction into a ~5 ms ramp that is complete before the peak arrives, and
an exponential release back to unity. The signal is read in fixed-size blocks, one block ahead of
what is returned: `push` returns the block before the one pushed, `flush` the last.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING

from apexlocal.engines.compose.audio_sources import SAMPLE_RATE

if TYPE_CHECKING:
    import numpy as np

KNOT = 32  # samples between gain knots
LOOKAHEAD_KNOTS = 8
MARGIN = (LOOKAHEAD_KNOTS + 2) * KNOT
HALF_TAPS = 8


@lru_cache(maxsize=1)
def _phase_filters() -> np.ndarray:
    """(3, 16) kernels giving the signal at +0.25, +0.5 and +0.75 samples."""
    import numpy as np

    offsets = np.arange(-HALF_TAPS + 1, HALF_TAPS + 1)  # the samples used around i: i-7 .. i+8
    kernels = []
    for phase in (0.25, 0.5, 0.75):
        distance = offsets - phase
        window = 0.5 + 0.5 * np.cos(np.pi * distance / HALF_TAPS)
        kernel = np.sinc(distance) * window
        kernels.append(kernel / kernel.sum())
    return np.asarray(kernels)


def sample_true_peaks(x: np.ndarray) -> np.ndarray:
    """Per sample of (n, channels) `x`: the largest absolute value of the oversampled waveform
    from the previous sample to the next, over all channels."""
    import numpy as np

    peaks = np.abs(x).max(axis=1)
    kernels = _phase_filters()
    padded = np.pad(x, ((HALF_TAPS - 1, HALF_TAPS), (0, 0)))
    between = np.zeros_like(peaks)
    for channel in range(x.shape[1]):
        # rows of 16 samples i-7 .. i+8; one product gives the value at i + 0.25, 0.5 and 0.75
        windows = np.lib.stride_tricks.sliding_window_view(padded[:, channel], 2 * HALF_TAPS)[: x.shape[0]]
        np.maximum(between, np.abs(windows @ kernels.T).max(axis=1), out=between)
    np.maximum(peaks, between, out=peaks)
    peaks[1:] = np.maximum(peaks[1:], between[:-1])  # the stretch before a sample counts too
    return peaks


@lru_cache(maxsize=1)
def _overshoot() -> float:
    """No interpolated value can exceed the largest sample by more than this factor."""
    return float(abs(_phase_filters()).sum(axis=1).max())


class TruePeakLimiter:
    """push(block) -> the previous block limited (empty for the first); flush() -> the last.
    Blocks are (n, 2) float32 with n a multiple of 32, all of the same n but possibly the last."""

    def __init__(self, ceiling_db: float = -1.0, release: float = 0.08) -> None:
        self.ceiling = 10 ** (ceiling_db / 20)
        self._release = 1 - math.exp(-KNOT / (release * SAMPLE_RATE))
        self._history: np.ndarray | None = None
        self._pending: np.ndarray | None = None
        self._gain: float | None = None  # the gain at the pending block's first knot

    def push(self, block: np.ndarray) -> np.ndarray:
        import numpy as np

        if block.shape[0] % KNOT:
            raise ValueError(f"limiter blocks must be a multiple of {KNOT} samples")
        out = self._process(block) if self._pending is not None else np.zeros((0, 2), np.float32)
        self._pending = block
        return out

    def flush(self) -> np.ndarray:
        import numpy as np

        if self._pending is None:
            return np.zeros((0, 2), np.float32)
        out = self._process(None)
        self._pending = None
        return out

    def _process(self, lookahead: np.ndarray | None) -> np.ndarray:
        import numpy as np

        pending = self._pending
        assert pending is not None
        n = pending.shape[0]
        before = _edge(self._history, MARGIN, tail=True)
        after = _edge(lookahead, MARGIN, tail=False)
        window = np.concatenate([before, pending, after]).astype(np.float64)
        if self._gain in (None, 1.0) and np.abs(window).max() * _overshoot() <= self.ceiling:
            self._gain, self._history = 1.0, pending  # nothing near the ceiling: pass through
            return np.clip(pending, -1.0, 1.0).astype(np.float32)
        allowed = np.minimum(1.0, self.ceiling / np.maximum(sample_true_peaks(window), 1e-12))
        per_knot = allowed.reshape(-1, KNOT).min(axis=1)
        bound = np.minimum(per_knot[1:], per_knot[:-1])  # bound[k - 1] limits knot k
        bound = np.concatenate([[1.0], bound])
        ahead = np.lib.stride_tricks.sliding_window_view(
            np.concatenate([bound, np.ones(LOOKAHEAD_KNOTS - 1)]), LOOKAHEAD_KNOTS
        ).min(axis=1)
        smooth = np.convolve(ahead, np.ones(LOOKAHEAD_KNOTS) / LOOKAHEAD_KNOTS, mode="full")[: ahead.size]
        first = MARGIN // KNOT
        targets = smooth[first : first + n // KNOT + 1]
        gains = np.empty_like(targets)
        gain = min(targets[0], 1.0) if self._gain is None else min(targets[0], self._gain)
        gains[0] = gain
        for j in range(1, targets.size):
            gain = min(targets[j], gain + (1.0 - gain) * self._release)
            gains[j] = gain
        self._gain = 1.0 if gains[-1] > 0.99999 else float(gains[-1])  # released: -0.0001 dB
        curve = np.interp(np.arange(n), np.arange(targets.size) * KNOT, gains)
        self._history = pending
        return np.clip(pending * curve[:, None], -1.0, 1.0).astype(np.float32)


def _edge(block: np.ndarray | None, size: int, tail: bool) -> np.ndarray:
    import numpy as np

    out = np.zeros((size, 2), dtype=np.float32)
    if block is not None and block.shape[0]:
        part = block[-size:] if tail else block[:size]
        if tail:
            out[size - part.shape[0] :] = part
        else:
            out[: part.shape[0]] = part
    return out
