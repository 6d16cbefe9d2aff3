"""A voice-clone sample: decoded from any container with PyAV, measured, trimmed of the silence
before and after the speech, loudness-normalised, and written as 24 kHz 16-bit mono WAV (the rate
the cloning models work at).

Silence is judged per 20 ms frame against the loudest frame (40 dB below it, and never above
-60 dBFS), so a quiet recording is trimmed as well as a loud one. Loudness is set on the speech
alone: its RMS to -20 dBFS, then lowered if needed to keep peaks at -1 dBFS.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from apexlocal.engines.voice.audio import write_wav
from apexlocal.errors import JobError

if TYPE_CHECKING:
    import numpy as np

CLIP_RATE = 24_000
DECODE_CAP_SECONDS = 120.0  # longer files are measured by their container, not decoded to the end
FRAME_SECONDS = 0.02
SILENCE_BELOW_PEAK_DB = 40.0
SILENCE_FLOOR_DBFS = -60.0
KEEP_SECONDS = 0.15  # kept around the speech, so no word onset or decay is cut
TARGET_RMS_DBFS = -20.0
PEAK_DBFS = -1.0


@dataclass(frozen=True)
class Sample:
    path: Path  # the prepared clip (WAV, CLIP_RATE, mono, 16-bit)
    sample_rate: int
    seconds: float  # of speech, after trimming
    raw_seconds: float  # of the file as given


def prepare_sample(source: Path, dest: Path, cap_seconds: float = DECODE_CAP_SECONDS) -> Sample:
    """Decode `source`, trim and normalise it, write it to `dest`. Raises JobError when the file
    holds no decodable audio."""
    audio, raw_seconds = decode_capped(source, CLIP_RATE, cap_seconds)
    speech = normalise(trim_silence(audio, CLIP_RATE), CLIP_RATE)
    write_wav(dest, speech, CLIP_RATE)
    return Sample(dest, CLIP_RATE, round(speech.size / CLIP_RATE, 2), round(raw_seconds, 2))


def decode_capped(path: Path, sample_rate: int, cap_seconds: float) -> tuple[np.ndarray, float]:
    """The first audio stream as mono float32 at `sample_rate`, at most `cap_seconds` of it, and
    the file's length in seconds (its container's word for the part past the cap)."""
    import av
    import numpy as np

    cap = int(cap_seconds * sample_rate)
    pieces: list[np.ndarray] = []
    decoded = 0
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise JobError("the file holds no audio stream")
            declared = (container.duration or 0) / 1_000_000
            resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
            for frame in container.decode(container.streams.audio[0]):
                for out in resampler.resample(frame):
                    pieces.append(out.to_ndarray().reshape(-1))
                    decoded += pieces[-1].size
                if decoded > cap:
                    return np.concatenate(pieces)[:cap], max(declared, decoded / sample_rate)
            pieces += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    except av.FFmpegError as exc:
        raise JobError(f"cannot decode the audio ({type(exc).__name__})") from exc
    audio = np.concatenate(pieces).astype(np.float32) if pieces else np.zeros(0, np.float32)
    return audio, audio.size / sample_rate


def _frame_db(x: np.ndarray, frame: int) -> np.ndarray:
    import numpy as np

    count = x.size // frame
    if count == 0:
        return np.zeros(0, np.float32)
    frames = x[: count * frame].reshape(count, frame).astype(np.float64)
    return 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)


def _voiced(x: np.ndarray, sample_rate: int) -> tuple[np.ndarray, int]:
    """Which frames hold sound (not silence), and the frame length."""
    import numpy as np

    frame = max(1, int(FRAME_SECONDS * sample_rate))
    levels = _frame_db(x, frame)
    if levels.size == 0:
        return np.zeros(0, bool), frame
    threshold = max(levels.max() - SILENCE_BELOW_PEAK_DB, SILENCE_FLOOR_DBFS)
    return levels > threshold, frame


def trim_silence(x: np.ndarray, sample_rate: int) -> np.ndarray:
    """`x` without the silence before the first and after the last sound (a little kept)."""
    import numpy as np

    voiced, frame = _voiced(x, sample_rate)
    where = np.nonzero(voiced)[0]
    if where.size == 0:
        return x[:0]
    keep = int(KEEP_SECONDS * sample_rate)
    start = max(0, int(where[0]) * frame - keep)
    end = min(x.size, (int(where[-1]) + 1) * frame + keep)
    return x[start:end]


def normalise(x: np.ndarray, sample_rate: int) -> np.ndarray:
    """Speech RMS to TARGET_RMS_DBFS, peaks kept at or below PEAK_DBFS."""
    import numpy as np

    voiced, frame = _voiced(x, sample_rate)
    if not voiced.any():
        return x.astype(np.float32)
    frames = x[: voiced.size * frame].reshape(voiced.size, frame)[voiced]
    rms = float(np.sqrt(np.mean(frames.astype(np.float64) ** 2)))
    gain = 10 ** (TARGET_RMS_DBFS / 20) / max(rms, 1e-9)
    peak = float(np.max(np.abs(x))) * gain
    ceiling = 10 ** (PEAK_DBFS / 20)
    if peak > ceiling:
        gain *= ceiling / peak
    return (x * gain).astype(np.float32)
