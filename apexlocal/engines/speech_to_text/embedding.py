"""A speaker embedding for stored voices: log-mel statistics, computed with numpy alone.

This is NOT a trained speaker encoder: it is the mean and standard deviation of each of 40 log-mel
bands over the voiced frames, L2-normalised (80 numbers). It tells voices apart coarsely (spectral
shape and its spread, below 5 kHz) and is stable across codecs, which is what comparing a clip with
stored voices needs here; a neural encoder (the cloning model's own, where one is installed) should
replace it for anything finer. The name `logmel_stats_embedding` says what it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from apexlocal.engines.speech_to_text.decode import SAMPLE_RATE, decode_audio

if TYPE_CHECKING:
    import numpy as np

EMBEDDING_KIND = "logmel-stats-v1"
N_MELS, N_FFT, HOP = 40, 400, 160  # 25 ms windows every 10 ms at 16 kHz
# Bands above 5 kHz are left out: lossy codecs at speech bitrates cut them, and a voice stored
# from an MP3 must still match the same voice from a WAV.
F_MIN, F_MAX = 60.0, 5000.0


def speaker_embedding(path: Path) -> np.ndarray:
    """The embedding of the speech in `path` (any container PyAV decodes)."""
    return logmel_stats_embedding(decode_audio(path), SAMPLE_RATE)


def logmel_stats_embedding(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    import numpy as np

    mel = _log_mel(np.asarray(audio, np.float32), sample_rate)
    if mel.shape[0] == 0:
        return np.zeros(2 * N_MELS, np.float32)
    energy = mel.mean(axis=1)
    mel = mel - energy[:, None]  # spectral shape per frame, not loudness
    voiced = mel[energy > np.percentile(energy, 30)]  # drop pauses: they carry no voice
    voiced = voiced if voiced.shape[0] else mel
    vector = np.concatenate([voiced.mean(axis=0), voiced.std(axis=0)])
    norm = np.linalg.norm(vector)
    return (vector / norm if norm else vector).astype(np.float32)


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> float:
    import numpy as np

    denom = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(np.dot(a, b) / denom) if denom else 0.0


def _log_mel(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    import numpy as np

    if audio.size < N_FFT:
        return np.zeros((0, N_MELS), np.float32)
    frames = np.lib.stride_tricks.sliding_window_view(audio, N_FFT)[::HOP] * np.hanning(N_FFT)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    return np.log(power @ _mel_filters(sample_rate).T + 1e-10)


def _mel_filters(sample_rate: int) -> np.ndarray:
    import numpy as np

    def hz_to_mel(hz: np.ndarray) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + hz / 700.0)

    top = min(F_MAX, sample_rate / 2)
    mels = np.linspace(hz_to_mel(np.array(F_MIN)), hz_to_mel(np.array(top)), N_MELS + 2)
    hz = 700.0 * (10 ** (mels / 2595.0) - 1.0)
    bins = np.fft.rfftfreq(N_FFT, 1.0 / sample_rate)
    filters = np.zeros((N_MELS, bins.size))
    for i in range(N_MELS):
        low, mid, high = hz[i], hz[i + 1], hz[i + 2]
        rising = (bins - low) / (mid - low)
        falling = (high - bins) / (high - mid)
        filters[i] = np.clip(np.minimum(rising, falling), 0.0, None)
    return filters
