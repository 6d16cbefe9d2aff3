"""Importing Chatterbox next to this project's torch: the few torchaudio objects it uses, on torch.

`chatterbox-tts` 0.1.7 is installed with `--no-deps`: it pins torch 2.6 and torchaudio 2.6, and
PyPI's torchaudio wheels cannot load next to torch 2.13 (their `_torchaudio.so` is built for
another torch and links `libc10_cuda.so`). Chatterbox and the two packages it pulls in use only a
few torchaudio objects, all of them plain tensor code; `import_chatterbox()` supplies those from
torch while it imports them, and only when a working torchaudio is not installed:

  chatterbox/models/s3gen/s3gen.py     `torchaudio.transforms.Resample(orig, new)`  (reference clip
                                        24 -> 16 kHz for the S3 tokenizer and the x-vector)
  chatterbox/models/s3gen/xvector.py   `torchaudio.compliance.kaldi.fbank(wav, num_mel_bins=80)`
                                        (features of the CAM++ speaker encoder)
  perth (resemble-perth 1.0.1, the     `torchaudio.transforms.Spectrogram`, `InverseSpectrogram`
  watermark Chatterbox applies)        (STFT/iSTFT of the watermark net) and `TimeStretch` (built
                                        by it, called only by its training attacks); the buffers
                                        its checkpoint holds (`window`, `phase_advance`) are kept
  s3tokenizer (0.3.0)                  `import torchaudio` only; its `load_audio` helper, which
                                        Chatterbox does not call, is not provided
  perth/perth_net/__init__.py          `pkg_resources.resource_filename` (setuptools 81+ dropped
                                        `pkg_resources`), for the folder of its packaged weights

The substitutes compute what torchaudio 2.x computes (the same windowed-sinc kernel, the same
Kaldi window, pre-emphasis and mel banks); tests/engines/voice_clone/test_torchaudio_compat.py
checks each against a reference. They are placed in `sys.modules` for the duration of the imports
and removed afterwards, so the rest of the process still sees no torchaudio.

This module sits in `models` rather than beside the engine because both the engine
(`engines/voice_clone`) and the tiny stand-in's builder (`models/tiny_clone.py`) import Chatterbox,
and `models` may not import `engines`.
"""

from __future__ import annotations

import functools
import importlib
import importlib.machinery
import importlib.util
import math
import os
import sys
import threading
import types
from collections.abc import Callable
from typing import Any

from apexlocal.errors import ModelError

# One import of Chatterbox at a time: the substitutes are visible process-wide while it runs.
_IMPORT_LOCK = threading.Lock()
# Kaldi's pre-emphasis coefficient and Povey window exponent (torchaudio's fbank defaults).
PREEMPHASIS = 0.97
POVEY_EXPONENT = 0.85


def import_chatterbox() -> types.ModuleType:
    """`chatterbox.tts`, imported with the torchaudio / pkg_resources substitutes where needed, and
    `chatterbox.mtl_tts` (the multilingual model) with it. Raises ModelError naming what is missing
    when the package or one of its dependencies is."""
    with _IMPORT_LOCK:
        if "chatterbox.tts" in sys.modules and "chatterbox.mtl_tts" in sys.modules:
            return sys.modules["chatterbox.tts"]
        added = _install_substitutes()
        try:
            # perth and s3tokenizer bind the substitutes at import, before they are removed again.
            for name in ("perth", "s3tokenizer", "chatterbox.tts", "chatterbox.mtl_tts"):
                importlib.import_module(name)
        except ImportError as exc:
            raise ModelError(
                f"the voice-clone engine needs chatterbox-tts 0.1.7 (installed with --no-deps) "
                f"and librosa, s3tokenizer, conformer, resemble-perth, omegaconf, einops, onnx: "
                f"{exc}"
            ) from exc
        finally:
            for name in added:
                sys.modules.pop(name, None)
        if getattr(sys.modules["perth"], "PerthImplicitWatermarker", None) is None:
            raise ModelError("resemble-perth's watermarker did not import; Chatterbox needs it")
        return sys.modules["chatterbox.tts"]


def import_chatterbox_multilingual() -> types.ModuleType:
    """`chatterbox.mtl_tts` (ChatterboxMultilingualTTS), imported as `import_chatterbox` does."""
    import_chatterbox()
    return sys.modules["chatterbox.mtl_tts"]


def _working(module: str) -> bool:
    if importlib.util.find_spec(module) is None:
        return False
    try:
        importlib.import_module(module)
    except (ImportError, OSError):  # e.g. torchaudio built for another torch: its .so fails to load
        for name in [n for n in sys.modules if n == module or n.startswith(module + ".")]:
            del sys.modules[name]
        return False
    return True


def _install_substitutes() -> list[str]:
    added: list[str] = []

    def new(name: str) -> types.ModuleType:
        module = types.ModuleType(name)
        module.__spec__ = importlib.machinery.ModuleSpec(name, None)
        sys.modules[name] = module
        added.append(name)
        return module

    if not _working("torchaudio"):
        torchaudio, transforms_module = new("torchaudio"), new("torchaudio.transforms")
        compliance, kaldi = new("torchaudio.compliance"), new("torchaudio.compliance.kaldi")
        torchaudio.__dict__.update(
            __version__="0+apexlocal-substitute", transforms=transforms_module, compliance=compliance
        )
        compliance.__dict__.update(kaldi=kaldi)
        transforms_module.__dict__.update(transforms())
        kaldi.__dict__.update(fbank=kaldi_fbank)
    if not _working("pkg_resources"):
        new("pkg_resources").__dict__.update(resource_filename=resource_filename)
    return added


def resource_filename(package: str, name: str) -> str:
    """pkg_resources.resource_filename for a package installed as plain files."""
    module = importlib.import_module(package)
    return os.path.join(os.path.dirname(module.__file__ or ""), name)


# torchaudio.transforms --------------------------------------------------------------------------


@functools.cache
def transforms() -> dict[str, type]:
    """The substitute classes of torchaudio.transforms, by name (made once: they subclass
    torch.nn.Module, which is imported only here)."""
    import torch

    class Resample(torch.nn.Module):
        """torchaudio.transforms.Resample with its defaults: windowed-sinc (Hann) interpolation,
        6 zero crossings, rolloff 0.99; the kernel is computed once, in float64, stored as float32."""

        kernel: torch.Tensor  # a buffer

        def __init__(
            self,
            orig_freq: int = 16000,
            new_freq: int = 16000,
            resampling_method: str = "sinc_interp_hann",
            lowpass_filter_width: int = 6,
            rolloff: float = 0.99,
            beta: float | None = None,
            *,
            dtype: Any = None,
        ) -> None:
            super().__init__()
            if resampling_method != "sinc_interp_hann" or beta is not None:
                raise NotImplementedError("only sinc_interp_hann resampling is provided")
            self.orig_freq, self.new_freq = int(orig_freq), int(new_freq)
            gcd = math.gcd(self.orig_freq, self.new_freq)
            self.orig, self.new = self.orig_freq // gcd, self.new_freq // gcd
            if self.orig_freq != self.new_freq:
                kernel, self.width = sinc_kernel(self.orig, self.new, lowpass_filter_width, rolloff)
                self.register_buffer("kernel", kernel.to(dtype or torch.float32))

        def forward(self, waveform: torch.Tensor) -> torch.Tensor:
            if self.orig_freq == self.new_freq:
                return waveform
            shape = waveform.shape
            flat = waveform.reshape(-1, shape[-1])
            padded = torch.nn.functional.pad(flat, (self.width, self.width + self.orig))
            out = torch.nn.functional.conv1d(padded[:, None], self.kernel, stride=self.orig)
            out = out.transpose(1, 2).reshape(flat.shape[0], -1)
            out = out[:, : math.ceil(self.new * shape[-1] / self.orig)]
            return out.reshape(*shape[:-1], out.shape[-1])

    class Spectrogram(torch.nn.Module):
        """torchaudio.transforms.Spectrogram: a centred, reflect-padded STFT (complex when
        power is None); `window` is a buffer, as in torchaudio's state dicts."""

        window: torch.Tensor

        def __init__(
            self,
            n_fft: int = 400,
            win_length: int | None = None,
            hop_length: int | None = None,
            pad: int = 0,
            window_fn: Callable[..., Any] = torch.hann_window,
            power: float | None = 2.0,
            normalized: bool = False,
            wkwargs: dict | None = None,
            center: bool = True,
            pad_mode: str = "reflect",
            onesided: bool = True,
        ) -> None:
            super().__init__()
            if normalized or pad:
                raise NotImplementedError("normalized or padded spectrograms are not provided")
            self.n_fft, self.power, self.center, self.pad_mode, self.onesided = n_fft, power, center, pad_mode, onesided
            self.win_length = win_length or n_fft
            self.hop_length = hop_length or self.win_length // 2
            self.register_buffer("window", window_fn(self.win_length, **(wkwargs or {})))

        def forward(self, waveform: torch.Tensor) -> torch.Tensor:
            shape = waveform.shape
            spec = torch.stft(
                waveform.reshape(-1, shape[-1]),
                self.n_fft,
                self.hop_length,
                self.win_length,
                self.window,
                self.center,
                self.pad_mode,
                False,
                self.onesided,
                return_complex=True,
            )
            spec = spec.reshape(*shape[:-1], *spec.shape[-2:])
            if self.power is None:
                return spec
            return spec.abs() if self.power == 1.0 else spec.abs().pow(self.power)

    class InverseSpectrogram(torch.nn.Module):
        """torchaudio.transforms.InverseSpectrogram: the iSTFT matching `Spectrogram`."""

        window: torch.Tensor  # a buffer

        def __init__(
            self,
            n_fft: int = 400,
            win_length: int | None = None,
            hop_length: int | None = None,
            pad: int = 0,
            window_fn: Callable[..., Any] = torch.hann_window,
            normalized: bool = False,
            wkwargs: dict | None = None,
            center: bool = True,
            pad_mode: str = "reflect",
            onesided: bool = True,
        ) -> None:
            super().__init__()
            if normalized or pad:
                raise NotImplementedError("normalized or padded spectrograms are not provided")
            self.n_fft, self.center, self.onesided = n_fft, center, onesided
            self.win_length = win_length or n_fft
            self.hop_length = hop_length or self.win_length // 2
            self.register_buffer("window", window_fn(self.win_length, **(wkwargs or {})))

        def forward(self, spectrogram: torch.Tensor, length: int | None = None) -> torch.Tensor:
            shape = spectrogram.shape
            wave = torch.istft(
                spectrogram.reshape(-1, shape[-2], shape[-1]),
                self.n_fft,
                self.hop_length,
                self.win_length,
                self.window,
                self.center,
                False,
                self.onesided,
                length,
                return_complex=False,
            )
            return wave.reshape(*shape[:-2], wave.shape[-1])

    class TimeStretch(torch.nn.Module):
        """torchaudio.transforms.TimeStretch's constructor and buffer; the phase vocoder itself is
        not provided (perth calls it only in training-time attacks)."""

        def __init__(self, hop_length: int | None = None, n_freq: int = 201, fixed_rate: float | None = None) -> None:
            super().__init__()
            self.fixed_rate = fixed_rate
            hop = hop_length if hop_length is not None else (n_freq - 1)
            self.register_buffer("phase_advance", torch.linspace(0, math.pi * hop, n_freq)[..., None])

        def forward(self, *args: Any, **kwargs: Any) -> Any:
            raise NotImplementedError("TimeStretch is not provided without torchaudio")

    return {
        "Resample": Resample,
        "Spectrogram": Spectrogram,
        "InverseSpectrogram": InverseSpectrogram,
        "TimeStretch": TimeStretch,
    }


def sinc_kernel(orig: int, new: int, zeros: int, rolloff: float) -> tuple[Any, int]:
    """Polyphase windowed-sinc kernels [new, 1, taps] for resampling orig -> new (both divided by
    their gcd), and the padding `width` on each side: low-pass at rolloff x the lower Nyquist, Hann
    (cos^2) window over `zeros` crossings."""
    import torch

    cutoff = min(orig, new) * rolloff
    width = math.ceil(zeros * orig / cutoff)
    taps = torch.arange(-width, width + orig, dtype=torch.float64)[None, None] / orig
    # The phase term in float32, the tap positions in float64, as torchaudio computes them.
    t = (torch.arange(0, -new, -1)[:, None, None] / new + taps) * cutoff
    t = t.clamp(-zeros, zeros)
    window = torch.cos(t * math.pi / zeros / 2) ** 2
    t = t * math.pi
    sinc = torch.where(t == 0, torch.ones_like(t), torch.sin(t) / torch.where(t == 0, torch.ones_like(t), t))
    return (sinc * window * (cutoff / orig)).to(torch.float32), width


# torchaudio.compliance.kaldi --------------------------------------------------------------------


def kaldi_fbank(
    waveform: Any,
    num_mel_bins: int = 23,
    sample_frequency: float = 16000.0,
    frame_length: float = 25.0,
    frame_shift: float = 10.0,
    low_freq: float = 20.0,
    high_freq: float = 0.0,
    dither: float = 0.0,
    **options: Any,
) -> Any:
    """torchaudio.compliance.kaldi.fbank with Kaldi's defaults (Povey window, pre-emphasis 0.97,
    DC offset removed, power spectrum over a 2^k FFT, log mel energies, snip_edges); input (1, n)
    or (n,), output (frames, num_mel_bins). Other options and dithering are not provided."""
    import torch

    if options or dither:
        raise NotImplementedError(f"fbank options not provided: {sorted(options) or ['dither']}")
    wave = waveform[0] if waveform.dim() == 2 else waveform
    device, dtype = wave.device, wave.dtype
    size = int(sample_frequency * frame_length * 0.001)
    shift = int(sample_frequency * frame_shift * 0.001)
    fft = 1 if size == 0 else 2 ** (size - 1).bit_length()
    eps = torch.tensor(torch.finfo(torch.float).eps, dtype=dtype, device=device)
    if wave.numel() < size:
        return torch.empty(0, num_mel_bins, dtype=dtype, device=device)
    frames = wave.unfold(0, size, shift)
    frames = frames - frames.mean(dim=1, keepdim=True)
    previous = torch.cat([frames[:, :1], frames[:, :-1]], dim=1)
    frames = frames - PREEMPHASIS * previous
    frames = frames * torch.hann_window(size, periodic=False, dtype=dtype, device=device).pow(POVEY_EXPONENT)
    frames = torch.nn.functional.pad(frames, (0, fft - size))
    power = torch.fft.rfft(frames).abs().pow(2.0)
    banks = kaldi_mel_banks(num_mel_bins, fft, sample_frequency, low_freq, high_freq).to(device, dtype)
    banks = torch.nn.functional.pad(banks, (0, 1))  # the Nyquist bin has no weight, as in Kaldi
    return torch.max(power @ banks.T, eps).log()


def kaldi_mel_banks(bins: int, fft: int, rate: float, low: float, high: float) -> Any:
    """Kaldi's triangular mel filters [bins, fft // 2] (mel = 1127 ln(1 + f / 700)); `high` <= 0
    counts back from the Nyquist frequency."""
    import torch

    nyquist = 0.5 * rate
    high = high + nyquist if high <= 0.0 else high
    mel_low, mel_high = 1127.0 * math.log(1.0 + low / 700.0), 1127.0 * math.log(1.0 + high / 700.0)
    delta = (mel_high - mel_low) / (bins + 1)
    index = torch.arange(bins).unsqueeze(1)
    left, center, right = (mel_low + (index + k) * delta for k in (0.0, 1.0, 2.0))
    mel = 1127.0 * (1.0 + (rate / fft) * torch.arange(fft // 2) / 700.0).log()
    mel = mel.unsqueeze(0)
    up, down = (mel - left) / (center - left), (right - mel) / (right - center)
    return torch.max(torch.zeros(1), torch.min(up, down))
