"""Joining synthesised chunks without clicks, and writing WAV files.

Each chunk is cut at a zero crossing near its edges and the two sides overlap in a short
equal-power crossfade (cos/sin gains, whose squares sum to one), so neither a step in the waveform
nor a dip in loudness marks the join. `Joiner` works incrementally: it holds back only the tail it
still has to fade, so a stream and a whole file carry exactly the same samples.
"""

from __future__ import annotations

import os
import tempfile
import wave
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

CROSSFADE_SECONDS = 0.01
# How far from a chunk's edge a zero crossing is looked for.
ZERO_SEARCH_SECONDS = 0.005


class Joiner:
    """push(chunk) -> samples ready to emit; finish() -> the rest. Float32 mono in and out."""

    def __init__(self, sample_rate: int, crossfade_seconds: float = CROSSFADE_SECONDS) -> None:
        self.fade = max(1, int(sample_rate * crossfade_seconds))
        self.search = max(1, int(sample_rate * ZERO_SEARCH_SECONDS))
        self._tail: np.ndarray | None = None

    def push(self, chunk: np.ndarray) -> np.ndarray:
        import numpy as np

        chunk = _trim_to_zero_crossings(np.asarray(chunk, dtype=np.float32).reshape(-1), self.search)
        if self._tail is not None:
            chunk = _crossfade(self._tail, chunk)
        elif chunk.size:
            chunk = _fade_in(chunk, self.fade)
        keep = min(self.fade, chunk.size)
        self._tail = chunk[chunk.size - keep :]
        return chunk[: chunk.size - keep]

    def finish(self) -> np.ndarray:
        import numpy as np

        tail, self._tail = self._tail, None
        if tail is None:
            return np.zeros(0, dtype=np.float32)
        return _fade_out(tail, tail.size)


def _trim_to_zero_crossings(x: np.ndarray, search: int) -> np.ndarray:
    import numpy as np

    if x.size < 4 * search:
        return x
    signs = np.signbit(x)
    head = np.nonzero(signs[:search] != signs[1 : search + 1])[0]
    tail = np.nonzero(signs[-search - 1 : -1] != signs[-search:])[0]
    start = int(head[0]) + 1 if head.size else 0
    end = x.size - search + int(tail[-1]) if tail.size else x.size
    return x[start:end]


def _gains(n: int) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    t = (np.arange(n, dtype=np.float32) + 0.5) / n * (np.pi / 2)
    return np.cos(t).astype(np.float32), np.sin(t).astype(np.float32)


def _crossfade(tail: np.ndarray, head: np.ndarray) -> np.ndarray:
    import numpy as np

    n = min(tail.size, head.size)
    if n == 0:
        return np.concatenate([tail, head])
    out_gain, in_gain = _gains(n)
    mixed = tail[tail.size - n :] * out_gain + head[:n] * in_gain
    return np.concatenate([tail[: tail.size - n], mixed, head[n:]])


def _fade_in(x: np.ndarray, n: int) -> np.ndarray:
    n = min(n, x.size)
    x = x.copy()
    x[:n] *= _gains(n)[1]
    return x


def _fade_out(x: np.ndarray, n: int) -> np.ndarray:
    n = min(n, x.size)
    x = x.copy()
    if n:
        x[x.size - n :] *= _gains(n)[0]
    return x


def to_pcm16(x: np.ndarray) -> bytes:
    import numpy as np

    return (np.clip(x, -1.0, 1.0) * 32767.0).round().astype("<i2").tobytes()


def write_wav(path: Path, samples: np.ndarray, sample_rate: int) -> None:
    """16-bit PCM mono, written to a temporary sibling and renamed: no reader sees half a file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as raw, wave.open(raw, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(sample_rate)
            out.writeframes(to_pcm16(samples))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """A 16-bit PCM WAV as float32 mono samples and its rate."""
    import numpy as np

    with wave.open(str(path), "rb") as src:
        rate, channels = src.getframerate(), src.getnchannels()
        data = np.frombuffer(src.readframes(src.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
    return data.reshape(-1, channels).mean(axis=1), rate


def time_stretch(x: np.ndarray, factor: float, sample_rate: int) -> np.ndarray:
    """Speed up (factor > 1) or slow down speech without changing its pitch: WSOLA, i.e. windowed
    overlap-add where each next input frame is shifted (within 10 ms) to the place whose waveform
    best continues the previous one, so no phase jumps are heard. Output length ~ len(x) / factor."""
    import numpy as np

    x = np.asarray(x, np.float32)
    if abs(factor - 1.0) < 1e-3 or x.size < sample_rate // 10:
        return x
    frame = int(0.03 * sample_rate) // 2 * 2
    hop, tol, step = frame // 2, int(0.01 * sample_rate), 4  # correlations on every 4th sample
    window = np.hanning(frame).astype(np.float32)
    count = max(1, int((x.size / factor - frame) // hop) + 1)
    padded = np.concatenate([np.zeros(tol, np.float32), x, np.zeros(frame + 2 * tol + hop, np.float32)])
    out = np.zeros(count * hop + frame, np.float32)
    norm = np.zeros_like(out)
    previous = 0
    for k in range(count):
        nominal = int(k * hop * factor) + tol
        start = nominal if k == 0 else _best_offset(padded, previous + hop, nominal, frame, tol, step)
        out[k * hop : k * hop + frame] += padded[start : start + frame] * window
        norm[k * hop : k * hop + frame] += window
        previous = start
    return out[: int(x.size / factor)] / np.maximum(norm[: int(x.size / factor)], 1e-3)


def _best_offset(x: np.ndarray, natural: int, nominal: int, frame: int, tol: int, step: int) -> int:
    import numpy as np

    template = x[natural : natural + frame : step]
    region = x[nominal - tol : nominal + tol + frame : step]
    scores = np.correlate(region, template, mode="valid")
    return nominal - tol + int(np.argmax(scores)) * step
