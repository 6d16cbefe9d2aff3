"""Fitting spoken lines into the original lines' time, and the mix of the new speech over the
original sound with the original speech lowered."""

from __future__ import annotations

import wave

import numpy as np

from apexlocal.engines.compose.audio_sources import AudioFile
from apexlocal.engines.compose.ducking import Ducking
from apexlocal.engines.video_translate.fit import GAP_S, MAX_SPEEDUP, fit_speech, trim_silence
from apexlocal.engines.video_translate.lines import Line
from apexlocal.engines.video_translate.soundtrack import ORIGINAL_SPEECH_DB, write_soundtrack
from apexlocal.engines.voice.audio import write_wav

RATE = 16_000


def tone(freq: float, seconds: float, rate: int = RATE, level: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def onset(track: np.ndarray, rate: int, after: float) -> float:
    """Seconds of the first sample above a small level at or after `after`."""
    first = int(after * rate)
    loud = np.flatnonzero(np.abs(track[first:]) > 0.01)
    return (first + int(loud[0])) / rate


def test_each_line_starts_at_its_original_start_and_fits_its_slot():
    lines = [Line("a", 0.5, 1.5), Line("b", 2.0, 2.8), Line("c", 3.0, 3.5)]
    silence = np.zeros(int(0.3 * RATE), np.float32)
    spoken = [
        np.concatenate([silence, tone(300, 0.8), silence]),  # fits: left at its pace
        tone(300, 1.2),  # 0.95 s of room: sped up 1.26x
        tone(300, 3.0),  # 1.0 s of room: sped up 1.5x and cut
    ]
    fitted = fit_speech(lines, ["A", "B", "C"], spoken, RATE, duration=4.0)
    assert fitted.samples.shape[0] == 4 * RATE
    first, second, third = fitted.lines
    for line, placed in zip(lines, fitted.lines, strict=True):
        assert placed.start == line.start
        assert abs(onset(fitted.samples, RATE, line.start) - line.start) < 0.01  # silence before speech cut
        assert placed.end <= placed.slot_end + 1e-3
    assert (first.speedup, first.trimmed) == (1.0, False) and abs(first.end - 1.3) < 0.02
    assert second.slot_end == 3.0 - GAP_S and not second.trimmed
    assert abs(second.speedup - 1.2 / 0.95) < 0.01
    assert (third.speedup, third.trimmed, third.end) == (MAX_SPEEDUP, True, 4.0)
    # Nothing is heard between one line's end and the next line's start.
    assert np.abs(fitted.samples[int(1.31 * RATE) : int(1.99 * RATE)]).max() == 0


def test_silence_alone_trims_to_nothing():
    assert trim_silence(np.zeros(RATE, np.float32), RATE).size == 0


def band_level_db(samples: np.ndarray, rate: int, freq: float, start: float, end: float) -> float:
    piece = samples[int(start * rate) : int(end * rate)]
    spectrum = np.abs(np.fft.rfft(piece * np.hanning(piece.size)))
    bins = np.fft.rfftfreq(piece.size, 1 / rate)
    band = spectrum[(bins > freq - 20) & (bins < freq + 20)]
    return 20 * np.log10(band.max() + 1e-12)


def read_stereo(path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as w:
        rate, frames = w.getframerate(), w.readframes(w.getnframes())
        assert w.getnchannels() == 2
    return np.frombuffer(frames, "<i2").reshape(-1, 2).mean(axis=1) / 32768.0, rate


def test_the_original_speech_is_lowered_and_the_new_speech_heard(tmp_path):
    original = tmp_path / "original.wav"
    write_wav(original, tone(440, 6.0), RATE)  # the "original sound": one steady tone
    speech = np.zeros(6 * RATE, np.float32)
    speech[int(2.0 * RATE) : int(3.5 * RATE)] = tone(880, 1.5)
    events: list[tuple[str, float]] = []
    result = write_soundtrack(
        tmp_path / "mix.wav",
        speech,
        RATE,
        AudioFile(original),
        [(2.0, 3.5)],  # where the original voice spoke
        6.0,
        progress=lambda f, stage: events.append((stage, f)),
    )
    mixed, rate = read_stereo(result.path)
    assert rate == 48_000 and abs(mixed.size / rate - 6.0) < 0.01
    lowered = band_level_db(mixed, rate, 440, 2.3, 3.2) - band_level_db(mixed, rate, 440, 4.2, 5.5)
    expected = ORIGINAL_SPEECH_DB + Ducking().depth_db  # lowered, and ducked under the new voice too
    assert abs(lowered - expected) < 3
    assert band_level_db(mixed, rate, 880, 2.3, 3.2) > band_level_db(mixed, rate, 440, 2.3, 3.2) + 25
    assert band_level_db(mixed, rate, 880, 4.2, 5.5) < band_level_db(mixed, rate, 880, 2.3, 3.2) - 40
    assert {stage for stage, _ in events} == {"mix"} and max(f for _, f in events) <= 1.0
