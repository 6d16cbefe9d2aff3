"""Audio: resampling to 48 kHz, ducking, loudness measured and normalised, true-peak limiting,
crossfades of the clips' sound."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from apexlocal.engines.compose import (
    AudioArray,
    AudioFile,
    AudioSettings,
    AudioTrack,
    Ducking,
    Mix,
    Segment,
    compose,
    crossfade,
    integrated_loudness,
    layout,
    solid,
)
from apexlocal.engines.compose.limiter import TruePeakLimiter
from apexlocal.engines.compose.master import master
from apexlocal.engines.compose.mixer import place_tracks

SR = 48_000


def tone(hz: float, seconds: float, amplitude: float, rate: int = SR) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def rms_db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.square(x, dtype=np.float64)) + 1e-20))


def render(
    tracks: list[AudioTrack], seconds: float, ducking: Ducking | None = Ducking(), segments: list[Segment] | None = None
) -> np.ndarray:
    total = round(seconds * SR)
    placements = layout(segments)[0] if segments else []
    mix = Mix(place_tracks(placements, tracks, total), total, ducking)
    return np.concatenate(list(mix.blocks()))[:total]


def test_sources_are_resampled_to_48k_stereo() -> None:
    source = AudioArray(tone(1000, 1.0, 0.5, rate=22_050), 22_050)
    out = np.concatenate(list(source.chunks()))
    assert out.shape[1] == 2 and abs(out.shape[0] - SR) <= 64
    np.testing.assert_array_equal(out[:, 0], out[:, 1])  # mono copied to both channels at full level
    crossings = np.count_nonzero(np.diff(np.signbit(out[1000:-1000, 0])))
    assert abs(crossings / ((out.shape[0] - 2000) / SR) - 2000) < 10  # still 1 kHz
    assert abs(rms_db(out[1000:-1000, 0]) - rms_db(tone(1000, 1.0, 0.5))) < 0.2


def test_audio_files_decode_from_a_point_in_time(write_video: Callable[..., Path]) -> None:
    path = write_video(seconds=3.0, tone_hz=500)
    source = AudioFile(path)
    assert source.duration == pytest.approx(3.0, abs=0.05)
    whole = np.concatenate(list(source.chunks()))
    late = np.concatenate(list(source.chunks(1.5)))
    assert abs(whole.shape[0] - 3 * SR) < 2048
    assert abs(late.shape[0] - 1.5 * SR) < 2048
    # the second read starts where the first was 1.5 s in (same phase of the tone)
    offset = whole.shape[0] - late.shape[0]
    assert np.abs(whole[offset + 4800 : offset + 9600] - late[4800:9600]).max() < 0.02


def test_ducking_lowers_the_bed_under_narration_smoothly() -> None:
    music = AudioTrack(AudioArray(tone(220, 6.0, 0.3), SR), role="music")
    voice = np.zeros(6 * SR, np.float32)
    voice[2 * SR : 4 * SR] = tone(1500, 2.0, 0.3)
    narration = AudioTrack(AudioArray(voice, SR), role="narration")
    out = render([music, narration], 6.0, Ducking(depth_db=-12.0))
    bed = out[:, 0] - voice  # narration itself is never ducked
    before = rms_db(bed[int(0.5 * SR) : int(1.9 * SR)])
    during = rms_db(bed[int(2.6 * SR) : int(3.9 * SR)])
    after = rms_db(bed[int(5.3 * SR) : int(6.0 * SR)])
    assert before == pytest.approx(rms_db(tone(220, 1, 0.3)), abs=0.1)
    assert during - before == pytest.approx(-12.0, abs=0.5)
    assert after - before > -1.0  # released again
    # smooth: the gain never jumps (one 10 ms window changes it by well under 2 dB)
    envelope = np.sqrt(np.mean(np.square(bed[: 6 * SR].reshape(-1, 480)), axis=1))
    steps = np.abs(np.diff(20 * np.log10(envelope + 1e-9)))
    assert steps.max() < 2.0
    # no ducking without narration
    alone = render([music], 6.0)
    assert rms_db(alone[int(2.6 * SR) : int(3.9 * SR), 0]) == pytest.approx(before, abs=0.1)


def test_the_meter_agrees_with_ffmpeg(tmp_path: Path, ebur128: Callable[[Path], dict[str, float]]) -> None:
    import av

    rng = np.random.default_rng(1)
    noise = np.cumsum(rng.standard_normal((5 * SR, 2)), axis=0)  # brown-ish noise: lots of low end
    noise -= np.convolve(noise[:, 0], np.ones(4800) / 4800, mode="same")[:, None]
    signal = (0.05 * noise / np.abs(noise).max()).astype(np.float32)
    signal[2 * SR : 3 * SR] *= 4  # a louder second, so the gates have something to do
    path = tmp_path / "noise.wav"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_f32le", rate=SR, layout="stereo")
        frame = av.AudioFrame.from_ndarray(signal.reshape(1, -1), format="flt", layout="stereo")
        frame.sample_rate = SR
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    assert integrated_loudness(signal) == pytest.approx(ebur128(path)["I"], abs=0.15)


def test_loudness_is_normalised_to_the_target_on_a_tone(
    tmp_path: Path, ebur128: Callable[[Path], dict[str, float]], helpers: Any
) -> None:
    quiet = AudioTrack(AudioArray(tone(1000, 4.0, 0.02), SR), role="narration")
    result = compose(
        [Segment(solid((0, 0, 0), (64, 36), 4.0))],
        tmp_path / "tone.mp4",
        (64, 36),
        10,
        audio_tracks=[quiet],
        audio=AudioSettings(loudness_lufs=-16.0),
    )
    assert result.measured_lufs == pytest.approx(-34.0, abs=1.0)
    measured = ebur128(result.path)
    assert measured["I"] == pytest.approx(-16.0, abs=1.0)
    assert integrated_loudness(helpers.decode_audio(result.path)) == pytest.approx(-16.0, abs=1.0)


def test_true_peaks_are_limited_to_about_minus_one_dbtp(
    tmp_path: Path, ebur128: Callable[[Path], dict[str, float]]
) -> None:
    # A quiet tone with short loud bursts: raised to the target, the bursts would peak near +6 dBFS.
    bursts = tone(440, 4.0, 0.02) + tone(3000, 4.0, 0.5) * ((np.arange(4 * SR) % (SR // 2)) < 96)
    track = AudioTrack(AudioArray(bursts, SR), role="effects")
    total = 4 * SR
    mix = Mix(place_tracks([], [track], total), total, None)
    mastered = master(mix, AudioSettings(loudness_lufs=-16.0, true_peak_db=-1.0))
    assert 20 * np.log10(0.52) + mastered.gain_db > 4.0  # what the peaks would be without the limiter
    out = np.concatenate(list(mastered.blocks))[:total]
    assert 20 * np.log10(np.abs(_upsample4(out[:, 0])).max()) < -0.9
    assert 20 * np.log10(np.abs(out[:, 0]).max()) > -1.5  # limited, not attenuated as a whole
    result = compose(
        [Segment(solid((0, 0, 0), (64, 36), 4.0))],
        tmp_path / "loud.mp4",
        (64, 36),
        10,
        audio_tracks=[track],
        audio=AudioSettings(loudness_lufs=-16.0),
    )
    assert ebur128(result.path)["peak"] < -0.3  # after AAC, which adds a little overshoot


def _upsample4(x: np.ndarray) -> np.ndarray:
    spectrum = np.fft.rfft(x)
    padded = np.zeros(x.size * 2 + 1, complex)
    padded[: spectrum.size] = spectrum
    return np.fft.irfft(padded, x.size * 4) * 4


def test_the_limiter_passes_quiet_audio_untouched() -> None:
    limiter = TruePeakLimiter(-1.0)
    x = np.stack([tone(440, 1.0, 0.3)] * 2, axis=1)
    out = np.concatenate([limiter.push(x[i : i + 4800]) for i in range(0, SR, 4800)] + [limiter.flush()])
    np.testing.assert_allclose(out, x, atol=1e-6)


def test_clip_sound_crossfades_in_step_with_equal_power() -> None:
    a = solid((0, 0, 0), (8, 8), 2.0, audio=AudioArray(tone(300, 2.0, 0.3), SR))
    b = solid((0, 0, 0), (8, 8), 2.0, audio=AudioArray(tone(700, 2.0, 0.3), SR))
    segments = [Segment(a), Segment(b, transition=crossfade(1.0))]
    out = render([], 3.0, segments=segments)[:, 0]
    level = rms_db(tone(300, 1, 0.3))
    assert rms_db(out[int(0.2 * SR) : int(0.9 * SR)]) == pytest.approx(level, abs=0.1)
    # mid-crossfade both tones are there at -3 dB each: the power stays level
    middle = out[int(1.45 * SR) : int(1.55 * SR)]
    spectrum = np.abs(np.fft.rfft(middle * np.hanning(middle.size)))
    freqs = np.fft.rfftfreq(middle.size, 1 / SR)
    p300, p700 = (spectrum[np.argmin(np.abs(freqs - f))] for f in (300, 700))
    assert p300 == pytest.approx(p700, rel=0.1)
    assert rms_db(middle) == pytest.approx(level, abs=0.5)
    assert rms_db(out[int(2.1 * SR) : int(2.9 * SR)]) == pytest.approx(level, abs=0.1)


def test_music_loops_and_fades_out_at_the_end() -> None:
    bed = AudioTrack(AudioArray(tone(440, 1.0, 0.3), SR), role="music", loop=True, fade_out=1.0)
    out = render([bed], 4.0)[:, 0]
    level = rms_db(tone(440, 1, 0.3))
    assert rms_db(out[int(2.0 * SR) : int(2.9 * SR)]) == pytest.approx(level, abs=0.2)  # looped
    assert rms_db(out[int(3.9 * SR) :]) < level - 12  # faded out by the timeline's end


def test_a_short_music_file_loops_seamlessly_under_a_long_video(tmp_path: Path) -> None:
    import wave

    path = tmp_path / "loop.wav"
    with wave.open(str(path), "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(SR)
        file.writeframes((tone(480, 1.0, 0.3) * 32767).astype("<i2").tobytes())  # 480 whole cycles
    out = render([AudioTrack(AudioFile(path), role="music", loop=True)], 3.5)[:, 0]
    level = rms_db(tone(480, 1, 0.3))
    for second in range(3):
        assert rms_db(out[second * SR : (second + 1) * SR]) == pytest.approx(level, abs=0.1)
    assert np.abs(np.diff(out[SR - 100 : SR + 100])).max() < 0.1  # no click at the seam
