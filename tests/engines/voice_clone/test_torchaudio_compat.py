"""The torchaudio substitutes Chatterbox is imported with, each checked against a reference:
STFT/iSTFT against torch.stft / torch.istft and a numpy STFT; resampling against the windowed-sinc
formula written out directly, against librosa (soxr and scipy's polyphase filter) and against
values torchaudio computes; Kaldi fbank against Kaldi's formulas written out in numpy and against
values torchaudio computes. Last, the watermark Chatterbox applies, made and read back through the
substitutes by Perth's real packaged network."""

from __future__ import annotations

import math

import pytest

# The watermark network's STFT (resemble-perth's packaged hparams.yaml), and a window shorter than
# the FFT, which torchaudio centres in it.
PERTH_STFT = {"n_fft": 2048, "win_length": 2048, "hop_length": 320}
SHORT_WINDOW_STFT = {"n_fft": 400, "win_length": 300, "hop_length": 100}


def tones(rate: int, seconds: float = 0.5):
    """440 Hz and 1234 Hz, as float32 [1, n]: the signal torchaudio's reference values were made from."""
    import torch

    t = torch.arange(int(rate * seconds), dtype=torch.float64) / rate
    return (0.5 * torch.sin(2 * math.pi * 440 * t) + 0.25 * torch.sin(2 * math.pi * 1234 * t)).float()[None]


def noisy_tones(rate: int, seconds: float = 0.5):
    import numpy as np

    rng = np.random.default_rng(7)
    return tones(rate, seconds)[0].double().numpy() + 0.01 * rng.standard_normal(int(rate * seconds))


def substitute(name: str):
    from apexlocal.models.torchaudio_compat import transforms

    return transforms()[name]


# STFT / iSTFT ----------------------------------------------------------------------------------


def numpy_stft(x, n_fft: int, win_length: int, hop_length: int):
    """Centred STFT: reflect-padded by n_fft / 2, a periodic Hann window centred in the FFT frame."""
    import numpy as np

    padded = np.pad(x, n_fft // 2, mode="reflect")
    window = np.zeros(n_fft)
    left = (n_fft - win_length) // 2
    window[left : left + win_length] = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(win_length) / win_length)
    count = 1 + (padded.size - n_fft) // hop_length
    frames = [padded[i * hop_length : i * hop_length + n_fft] * window for i in range(count)]
    return np.fft.rfft(np.stack(frames), axis=1).T  # [freq, frames], as torch.stft


@pytest.mark.parametrize("settings", [PERTH_STFT, SHORT_WINDOW_STFT])
def test_spectrogram_is_torch_stft_and_matches_a_numpy_stft(settings):
    import numpy as np
    import torch

    x = torch.from_numpy(noisy_tones(16_000)).float()
    batch = torch.stack([x, 0.5 * x])[None]  # [1, 2, n]: leading dimensions are kept
    spec = substitute("Spectrogram")(**settings, power=None)(batch)
    window = torch.hann_window(settings["win_length"])
    expected = torch.stft(
        batch.reshape(2, -1),
        settings["n_fft"],
        settings["hop_length"],
        settings["win_length"],
        window,
        center=True,
        pad_mode="reflect",
        return_complex=True,
    )
    assert spec.shape == (1, 2, *expected.shape[1:]) and spec.is_complex()
    assert torch.equal(spec[0], expected)
    reference = numpy_stft(x.double().numpy(), **settings)
    assert np.abs(spec[0, 0].numpy() - reference).max() < 1e-4 * np.abs(reference).max()
    power = substitute("Spectrogram")(**settings)(x)  # power 2 by default, as torchaudio's
    assert torch.allclose(power, expected[0].abs() ** 2, rtol=1e-5, atol=1e-6)
    assert torch.allclose(substitute("Spectrogram")(**settings, power=1.0)(x), expected[0].abs())


@pytest.mark.parametrize("settings", [PERTH_STFT, SHORT_WINDOW_STFT])
def test_inverse_spectrogram_is_torch_istft_and_inverts_the_spectrogram(settings):
    import torch

    x = torch.from_numpy(noisy_tones(16_000)).float()[None]
    spec = substitute("Spectrogram")(**settings, power=None)(x)
    inverse = substitute("InverseSpectrogram")(**settings)
    expected = torch.istft(
        spec,
        settings["n_fft"],
        settings["hop_length"],
        settings["win_length"],
        torch.hann_window(settings["win_length"]),
        center=True,
        length=x.shape[-1],
    )
    back = inverse(spec, length=x.shape[-1])
    assert torch.equal(back, expected)
    assert (back - x).abs().max() < 1e-5  # a Hann window at these hops overlap-adds to a constant
    # Without a length, the last frame's end (perth calls it so) lies within one hop of the input's.
    assert abs(inverse(spec).shape[-1] - x.shape[-1]) < settings["hop_length"]


def test_spectrogram_keeps_torchaudios_window_buffer_and_refuses_what_it_lacks():
    import torch

    spectrogram = substitute("Spectrogram")(**PERTH_STFT, power=None)
    assert list(spectrogram.state_dict()) == ["window"]  # the key Perth's checkpoint holds
    assert torch.equal(spectrogram.window, torch.hann_window(2048))
    with pytest.raises(NotImplementedError):
        substitute("Spectrogram")(normalized=True)
    with pytest.raises(NotImplementedError):
        substitute("InverseSpectrogram")(pad=4)


# Resampling -----------------------------------------------------------------------------------


def sinc_resample(x, orig_freq: int, new_freq: int, zeros: int = 6, rolloff: float = 0.99):
    """torchaudio's sinc_interp_hann resampling written out sample by sample (float64): output m
    sits at input time m * orig / new; each input sample at distance d (in units of the cutoff
    period) weighs sinc(d) * cos^2(pi d / 2 zeros) within `zeros` crossings, times the cutoff ratio."""
    import numpy as np

    gcd = math.gcd(orig_freq, new_freq)
    orig, new = orig_freq // gcd, new_freq // gcd
    cutoff = min(orig, new) * rolloff
    reach = math.ceil(zeros * orig / cutoff) + 1
    times = np.arange(math.ceil(new * x.size / orig)) * orig / new
    index = np.floor(times)[:, None].astype(int) + np.arange(-reach, reach + 1)[None]
    d = (index - times[:, None]) * cutoff / orig
    weights = np.where(np.abs(d) <= zeros, np.sinc(d) * np.cos(np.pi * d / zeros / 2) ** 2, 0.0) * cutoff / orig
    inside = (index >= 0) & (index < x.size)  # zeros beyond the ends, as torchaudio pads
    return (np.where(inside, x[np.clip(index, 0, x.size - 1)], 0.0) * weights).sum(axis=1)


@pytest.mark.parametrize("rates", [(24_000, 16_000), (22_050, 24_000), (16_000, 24_000), (44_100, 16_000)])
def test_resample_matches_the_windowed_sinc_formula_and_librosa(rates):
    import librosa
    import numpy as np
    import torch

    orig, new = rates
    x = noisy_tones(orig)
    got = substitute("Resample")(orig, new)(torch.from_numpy(x).float()[None])[0].double().numpy()
    assert got.size == math.ceil(new * x.size / orig)
    assert np.abs(got - sinc_resample(x, orig, new)).max() < 2e-6  # float32 arithmetic
    # Independent resamplers agree away from the ends (where each pads differently) on the clean
    # tones, far below either Nyquist frequency: only the filters' passband ripple differs there.
    clean = tones(orig)
    got = substitute("Resample")(orig, new)(clean)[0].double().numpy()
    inner = slice(new // 100, -new // 100)
    for res_type in ("soxr_vhq", "polyphase"):
        other = librosa.resample(clean[0].double().numpy(), orig_sr=orig, target_sr=new, res_type=res_type)
        assert np.abs(got[inner] - other[: got.size][inner]).max() < 1e-3, res_type


def test_resample_matches_values_torchaudio_computes():
    """Values computed with torchaudio 2.11.1's own code for the same signals."""
    resample = substitute("Resample")
    down = resample(24_000, 16_000)(tones(24_000))
    assert tuple(down.shape) == (1, 8000)
    got = [float(v) for v in (down[0, 100], down[0, -1], down.abs().mean())]
    assert got == pytest.approx([-0.743072, -0.199866, 0.338573], abs=1e-5)
    up = resample(22_050, 24_000)(tones(22_050))
    assert tuple(up.shape) == (1, 12000)
    got = [float(v) for v in (up[0, 100], up[0, 5000], up[0, -1], up.abs().mean())]
    assert got == pytest.approx([-0.238825, -0.308173, -0.134203, 0.338616], abs=1e-5)


def test_resample_keeps_shape_and_passes_equal_rates_through():
    import torch

    x = torch.randn(2, 3, 2400)
    assert substitute("Resample")(24_000, 24_000)(x) is x
    assert substitute("Resample")(24_000, 16_000)(x).shape == (2, 3, 1600)
    with pytest.raises(NotImplementedError):
        substitute("Resample")(24_000, 16_000, resampling_method="sinc_interp_kaiser")


# Kaldi fbank -----------------------------------------------------------------------------------


def kaldi_mel(hz):
    import numpy as np

    return 1127.0 * np.log(1.0 + hz / 700.0)


def numpy_mel_banks(bins: int, fft: int, rate: float, low: float, high: float):
    """Kaldi's MelBanks (mel-computations.cc): triangles evenly spaced in mel from `low` to `high`,
    each bin's weight by its centre frequency's mel, the Nyquist bin left out."""
    import numpy as np

    high = rate / 2 + high if high <= 0 else high
    step = (kaldi_mel(high) - kaldi_mel(low)) / (bins + 1)
    banks = np.zeros((bins, fft // 2))
    for b in range(bins):
        left, centre, right = (kaldi_mel(low) + (b + k) * step for k in (0, 1, 2))
        for i in range(fft // 2):
            mel = kaldi_mel(rate / fft * i)
            if left < mel < right:
                banks[b, i] = (mel - left) / (centre - left) if mel <= centre else (right - mel) / (right - centre)
    return banks


def numpy_fbank(wave, bins: int, rate: int = 16_000):
    """Kaldi's fbank with its defaults (feature-window.cc, feature-fbank.cc), frame by frame in
    float64: 25 ms frames every 10 ms (snip_edges), DC removed, pre-emphasis 0.97 (the first
    sample against itself), the Povey window, zero-padded to a power of two, power spectrum, mel
    energies, natural log floored at float32's epsilon."""
    import numpy as np

    size, shift = rate * 25 // 1000, rate * 10 // 1000
    fft = 1 << (size - 1).bit_length()
    banks = numpy_mel_banks(bins, fft, rate, 20.0, 0.0)
    povey = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(size) / (size - 1))) ** 0.85
    rows = []
    for start in range(0, wave.size - size + 1, shift):
        frame = wave[start : start + size].astype(np.float64)
        frame = frame - frame.mean()
        frame = frame - 0.97 * np.concatenate([frame[:1], frame[:-1]])
        power = np.abs(np.fft.rfft(frame * povey, fft)) ** 2
        rows.append(np.log(np.maximum(banks @ power[: fft // 2], np.finfo(np.float32).eps)))
    return np.array(rows)


def test_kaldi_mel_banks_match_kaldis_formula():
    import numpy as np

    from apexlocal.models.torchaudio_compat import kaldi_mel_banks

    for bins, fft, rate, low, high in [
        (80, 512, 16_000, 20.0, 0.0),
        (23, 512, 16_000, 20.0, -400.0),
        (40, 1024, 24_000, 60.0, 7600.0),
    ]:
        got = kaldi_mel_banks(bins, fft, rate, low, high).double().numpy()
        # torchaudio (and so the substitute) places the bins' mels in float32.
        assert np.abs(got - numpy_mel_banks(bins, fft, rate, low, high)).max() < 5e-5


def test_kaldi_fbank_matches_kaldis_formulas():
    import numpy as np
    import torch

    from apexlocal.models.torchaudio_compat import kaldi_fbank

    wave = noisy_tones(16_000)
    reference = numpy_fbank(wave, 80)
    got64 = kaldi_fbank(torch.from_numpy(wave)[None], num_mel_bins=80).numpy()
    assert got64.shape == reference.shape == (48, 80)
    assert np.abs(got64 - reference).max() < 1e-4  # float32 mel banks, as torchaudio's
    got32 = kaldi_fbank(torch.from_numpy(wave).float(), num_mel_bins=80).numpy()  # 1-D input too
    assert np.abs(got32 - reference).max() < 1e-3


def test_kaldi_fbank_matches_values_torchaudio_computes():
    """Values computed with torchaudio 2.11.1's own code for the same signal."""
    from apexlocal.models.torchaudio_compat import kaldi_fbank

    fbank = kaldi_fbank(tones(16_000), num_mel_bins=80)
    assert tuple(fbank.shape) == (48, 80)
    got = [float(v) for v in (fbank[0, 0], fbank[10, 20], fbank[-1, -1], fbank.mean())]
    assert got == pytest.approx([-12.0024, -7.2688, -15.9424, -10.6083], abs=1e-3)


def test_kaldi_fbank_refuses_options_it_lacks_and_returns_no_frames_for_a_short_clip():
    import torch

    from apexlocal.models.torchaudio_compat import kaldi_fbank

    assert kaldi_fbank(torch.zeros(1, 399), num_mel_bins=80).shape == (0, 80)
    with pytest.raises(NotImplementedError, match="dither"):
        kaldi_fbank(torch.zeros(1, 16_000), dither=1.0)
    with pytest.raises(NotImplementedError, match="use_energy"):
        kaldi_fbank(torch.zeros(1, 16_000), use_energy=True)


# TimeStretch, pkg_resources --------------------------------------------------------------------


def test_time_stretch_keeps_torchaudios_buffer_and_refuses_to_run():
    import torch

    stretch = substitute("TimeStretch")(hop_length=320, n_freq=1025)
    # torchaudio: phase_advance = linspace(0, pi * hop_length, n_freq)[..., None]
    assert torch.equal(stretch.phase_advance, torch.linspace(0, math.pi * 320, 1025)[..., None])
    with pytest.raises(NotImplementedError):
        stretch(torch.zeros(1, 1025, 4, dtype=torch.complex64))


def test_resource_filename_is_the_file_beside_the_package():
    from pathlib import Path

    import apexlocal.models
    from apexlocal.models.torchaudio_compat import resource_filename

    path = Path(resource_filename("apexlocal.models", "torchaudio_compat.py"))
    assert path.is_file() and path.parent == Path(apexlocal.models.__file__).parent


# In use ------------------------------------------------------------------------------------------


def test_perth_finds_the_watermark_it_made_through_the_substitutes(piper_reference):
    """Perth's packaged, trained network writes its watermark into the magnitude of the
    substitute Spectrogram and back through the substitute InverseSpectrogram, then reads it from
    the audio: a wrong STFT or iSTFT would lose it."""
    import importlib.util
    import sys

    import numpy as np

    from apexlocal.engines.speech_to_text.decode import decode_audio
    from apexlocal.models.torchaudio_compat import import_chatterbox

    import_chatterbox()
    if importlib.util.find_spec("torchaudio") is None:
        assert "torchaudio" not in sys.modules  # the substitutes were there for the import only
        processor = sys.modules["perth.perth_net.perth_net_implicit.audio_processor"]
        assert processor.Spectrogram is substitute("Spectrogram")
    import perth

    speech = decode_audio(piper_reference, 24_000)
    watermarker = perth.PerthImplicitWatermarker()
    marked = watermarker.apply_watermark(speech, sample_rate=24_000)
    n = min(speech.size, marked.size)
    change = np.sqrt(np.mean((marked[:n] - speech[:n]) ** 2) / np.mean(speech**2))
    assert 0.0 < change < 0.5  # changed, and still the same speech
    assert watermarker.get_watermark(marked, 24_000).mean() > 0.9
    assert watermarker.get_watermark(speech, 24_000).mean() < 0.1
