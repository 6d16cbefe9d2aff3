"""Chatterbox (Resemble AI, MIT), the zero-shot voice-cloning model, next to this project's torch,
and its random-weight stand-in for the `tiny` set.

Importing Chatterbox
--------------------
`chatterbox-tts` 0.1.7 is installed with `--no-deps`: it pins torch 2.6 and torchaudio 2.6, and
PyPI's torchaudio wheels cannot load next to torch 2.13 (their `_torchaudio.so` is built for
another torch and links `libc10_cuda.so`). Chatterbox and the two packages it pulls in use only a
few torchaudio objects, all of them plain tensor code; `import_chatterbox()` supplies those from
torch while it imports them, and only when a working torchaudio is not installed:

  chatterbox/models/s3gen/s3gen.py     `torchaudio.transforms.Resample(orig, new)`  (reference clip
                                        to 16 and 24 kHz)
  chatterbox/models/s3gen/xvector.py   `torchaudio.compliance.kaldi.fbank(wav, num_mel_bins=80)`
                                        (speaker-encoder features)
  perth (resemble-perth 1.0.1, the     `torchaudio.transforms.Spectrogram`, `InverseSpectrogram`
  watermark Chatterbox applies)        (STFT/iSTFT of the watermark net) and `TimeStretch` (built
                                        by it, called only by its training attacks); the buffers
                                        its checkpoint holds (`window`, `phase_advance`) are kept
  s3tokenizer (0.3.0)                  `import torchaudio` only; its `load_audio` helper, which
                                        Chatterbox does not call, is not provided
  perth/perth_net/__init__.py          `pkg_resources.resource_filename` (setuptools 81+ dropped
                                        `pkg_resources`), for the folder of its packaged weights

The substitutes compute what torchaudio 2.x computes (the same windowed-sinc kernel, the same
Kaldi window, pre-emphasis and mel banks); they are placed in `sys.modules` for the duration of the
imports and removed afterwards, so the rest of the process still sees no torchaudio.

The tiny stand-in
-----------------
`ChatterboxTTS.from_local` builds `T3()`, `S3Gen()` and `VoiceEncoder()` at their fixed, full sizes
(0.5 B + 0.26 B parameters) and loads `ve.safetensors`, `t3_cfg.safetensors`, `s3gen.safetensors`,
`tokenizer.json` and, if present, `conds.pt`. The stand-in is the same classes with random weights
at small widths: `sized_components(sizes)` makes the constructors that `from_local` and
`S3Gen.__init__` call take the widths in `tiny_sizes.json` (a file only a stand-in has), so the
stand-in is saved in the real file layout and loaded by `from_local` itself. What stays at full
size: the voice encoder and the CAM++ speaker encoder (small already), the vocabularies (704 text,
8194 speech, 6561 S3 tokens), the flow encoder's 512 channels (fixed inside its class), mel
settings and the 24 kHz vocoder's upsampling. Outputs are noise.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.machinery
import importlib.util
import json
import math
import os
import sys
import threading
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from apexlocal.errors import ModelError
from apexlocal.models.staging import build_atomically, seed_option

TINY_SIZES_FILE = "tiny_sizes.json"
WEIGHT_FILES = ("ve.safetensors", "t3_cfg.safetensors", "s3gen.safetensors")
TOKENIZER_FILE = "tokenizer.json"
TINY_LLAMA_NAME = "apexlocal_tiny"

# Widths of the stand-in, keyword arguments by the constructor they go to.
TINY_SIZES: dict[str, Any] = {
    "llama": {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
              "num_attention_heads": 4, "num_key_value_heads": 4, "head_dim": 16},
    "perceiver": {"pre_attention_query_size": 64, "embedding_dim": 64, "num_attn_heads": 4},
    "s3_tokenizer": {"n_audio_state": 64, "n_audio_head": 1, "n_audio_layer": 1},  # 64 per head: fixed rotary size
    "flow_encoder": {"attention_heads": 2, "linear_units": 64, "num_blocks": 1},
    "flow_decoder": {"channels": [32], "attention_head_dim": 16, "n_blocks": 1, "num_mid_blocks": 1,
                     "num_heads": 2},
    "vocoder": {"base_channels": 32, "resblock_kernel_sizes": [3], "resblock_dilation_sizes": [[1, 3, 5]]},
    "f0_predictor": {"cond_channels": 32},
}

# Constructors looked up by name at build time: (module, name) for each key of TINY_SIZES.
_SIZED_CONSTRUCTORS = {
    "perceiver": ("chatterbox.models.t3.modules.cond_enc", "Perceiver"),
    "flow_encoder": ("chatterbox.models.s3gen.s3gen", "UpsampleConformerEncoder"),
    "flow_decoder": ("chatterbox.models.s3gen.s3gen", "ConditionalDecoder"),
    "vocoder": ("chatterbox.models.s3gen.s3gen", "HiFTGenerator"),
    "f0_predictor": ("chatterbox.models.s3gen.s3gen", "ConvRNNF0Predictor"),
}

# One import of Chatterbox, and one Chatterbox construction, at a time: the sizing below swaps
# module attributes, so no other construction may run while it does.
_IMPORT_LOCK = threading.Lock()
CONSTRUCTION_LOCK = threading.RLock()


# Importing Chatterbox -------------------------------------------------------------------------

def import_chatterbox() -> types.ModuleType:
    """`chatterbox.tts`, imported with the torchaudio / pkg_resources substitutes where needed.
    Raises ModelError naming what is missing when the package or one of its dependencies is."""
    with _IMPORT_LOCK:
        if "chatterbox.tts" in sys.modules:
            return sys.modules["chatterbox.tts"]
        added = _install_substitutes()
        try:
            # perth and s3tokenizer bind the substitutes at import, before they are removed again.
            for name in ("perth", "s3tokenizer", "chatterbox.tts"):
                module = importlib.import_module(name)
        except ImportError as exc:
            raise ModelError(f"the voice-clone engine needs chatterbox-tts 0.1.7 (installed with --no-deps) "
                             f"and librosa, s3tokenizer, conformer, resemble-perth, omegaconf, einops, onnx: "
                             f"{exc}") from exc
        finally:
            for name in added:
                sys.modules.pop(name, None)
        if getattr(sys.modules["perth"], "PerthImplicitWatermarker", None) is None:
            raise ModelError("resemble-perth's watermarker did not import; Chatterbox needs it")
        return module


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
        torchaudio, transforms = new("torchaudio"), new("torchaudio.transforms")
        compliance, kaldi = new("torchaudio.compliance"), new("torchaudio.compliance.kaldi")
        torchaudio.__version__ = "0+apexlocal-substitute"
        torchaudio.transforms, torchaudio.compliance, compliance.kaldi = transforms, compliance, kaldi
        for name, cls in _torchaudio_transforms().items():
            setattr(transforms, name, cls)
        kaldi.fbank = kaldi_fbank
    if not _working("pkg_resources"):
        new("pkg_resources").resource_filename = resource_filename
    return added


def resource_filename(package: str, name: str) -> str:
    """pkg_resources.resource_filename for a package installed as plain files."""
    module = importlib.import_module(package)
    return os.path.join(os.path.dirname(module.__file__ or ""), name)


def _torchaudio_transforms() -> dict[str, type]:
    import torch

    class Resample(torch.nn.Module):
        """torchaudio.transforms.Resample with its defaults: windowed-sinc (Hann) interpolation,
        6 zero crossings, rolloff 0.99; the kernel is computed once, in float64, stored as float32."""

        def __init__(self, orig_freq: int = 16000, new_freq: int = 16000,
                     resampling_method: str = "sinc_interp_hann", lowpass_filter_width: int = 6,
                     rolloff: float = 0.99, beta: float | None = None, *, dtype: Any = None) -> None:
            super().__init__()
            if resampling_method != "sinc_interp_hann" or beta is not None:
                raise NotImplementedError("only sinc_interp_hann resampling is provided")
            self.orig_freq, self.new_freq = int(orig_freq), int(new_freq)
            gcd = math.gcd(self.orig_freq, self.new_freq)
            self.orig, self.new = self.orig_freq // gcd, self.new_freq // gcd
            if self.orig_freq != self.new_freq:
                kernel, self.width = _sinc_kernel(self.orig, self.new, lowpass_filter_width, rolloff)
                self.register_buffer("kernel", kernel.to(dtype or torch.float32))

        def forward(self, waveform: torch.Tensor) -> torch.Tensor:
            if self.orig_freq == self.new_freq:
                return waveform
            shape = waveform.shape
            flat = waveform.reshape(-1, shape[-1])
            padded = torch.nn.functional.pad(flat, (self.width, self.width + self.orig))
            out = torch.nn.functional.conv1d(padded[:, None], self.kernel, stride=self.orig)
            out = out.transpose(1, 2).reshape(flat.shape[0], -1)
            out = out[:, :math.ceil(self.new * shape[-1] / self.orig)]
            return out.reshape(*shape[:-1], out.shape[-1])

    class Spectrogram(torch.nn.Module):
        """torchaudio.transforms.Spectrogram: a centred, reflect-padded STFT (complex when
        power is None); `window` is a buffer, as in torchaudio's state dicts."""

        def __init__(self, n_fft: int = 400, win_length: int | None = None, hop_length: int | None = None,
                     pad: int = 0, window_fn: Callable[..., Any] = torch.hann_window,
                     power: float | None = 2.0, normalized: bool = False, wkwargs: dict | None = None,
                     center: bool = True, pad_mode: str = "reflect", onesided: bool = True) -> None:
            super().__init__()
            if normalized or pad:
                raise NotImplementedError("normalized or padded spectrograms are not provided")
            self.n_fft, self.power, self.center, self.pad_mode, self.onesided = n_fft, power, center, pad_mode, onesided
            self.win_length = win_length or n_fft
            self.hop_length = hop_length or self.win_length // 2
            self.register_buffer("window", window_fn(self.win_length, **(wkwargs or {})))

        def forward(self, waveform: torch.Tensor) -> torch.Tensor:
            shape = waveform.shape
            spec = torch.stft(waveform.reshape(-1, shape[-1]), self.n_fft, self.hop_length, self.win_length,
                              self.window, self.center, self.pad_mode, False, self.onesided, return_complex=True)
            spec = spec.reshape(*shape[:-1], *spec.shape[-2:])
            if self.power is None:
                return spec
            return spec.abs() if self.power == 1.0 else spec.abs().pow(self.power)

    class InverseSpectrogram(torch.nn.Module):
        """torchaudio.transforms.InverseSpectrogram: the iSTFT matching `Spectrogram`."""

        def __init__(self, n_fft: int = 400, win_length: int | None = None, hop_length: int | None = None,
                     pad: int = 0, window_fn: Callable[..., Any] = torch.hann_window,
                     normalized: bool = False, wkwargs: dict | None = None, center: bool = True,
                     pad_mode: str = "reflect", onesided: bool = True) -> None:
            super().__init__()
            if normalized or pad:
                raise NotImplementedError("normalized or padded spectrograms are not provided")
            self.n_fft, self.center, self.onesided = n_fft, center, onesided
            self.win_length = win_length or n_fft
            self.hop_length = hop_length or self.win_length // 2
            self.register_buffer("window", window_fn(self.win_length, **(wkwargs or {})))

        def forward(self, spectrogram: torch.Tensor, length: int | None = None) -> torch.Tensor:
            shape = spectrogram.shape
            wave = torch.istft(spectrogram.reshape(-1, shape[-2], shape[-1]), self.n_fft, self.hop_length,
                               self.win_length, self.window, self.center, False, self.onesided, length,
                               return_complex=False)
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

    return {"Resample": Resample, "Spectrogram": Spectrogram, "InverseSpectrogram": InverseSpectrogram,
            "TimeStretch": TimeStretch}


def _sinc_kernel(orig: int, new: int, zeros: int, rolloff: float) -> tuple[Any, int]:
    """Polyphase windowed-sinc kernels [new, 1, taps] for resampling orig -> new (both divided by
    their gcd): low-pass at rolloff x the lower Nyquist, Hann (cos^2) window over `zeros` crossings."""
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


def kaldi_fbank(waveform: Any, num_mel_bins: int = 23, sample_frequency: float = 16000.0,
                frame_length: float = 25.0, frame_shift: float = 10.0, low_freq: float = 20.0,
                high_freq: float = 0.0, dither: float = 0.0, **options: Any) -> Any:
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
    frames = frames - 0.97 * previous
    frames = frames * torch.hann_window(size, periodic=False, dtype=dtype, device=device).pow(0.85)
    frames = torch.nn.functional.pad(frames, (0, fft - size))
    power = torch.fft.rfft(frames).abs().pow(2.0)
    banks = _kaldi_mel_banks(num_mel_bins, fft, sample_frequency, low_freq, high_freq).to(device, dtype)
    banks = torch.nn.functional.pad(banks, (0, 1))
    return torch.max(power @ banks.T, eps).log()


def _kaldi_mel_banks(bins: int, fft: int, rate: float, low: float, high: float) -> Any:
    """Kaldi's triangular mel filters [bins, fft // 2] (mel = 1127 ln(1 + f / 700))."""
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


# Sizing ---------------------------------------------------------------------------------------

def read_tiny_sizes(model_dir: Path) -> dict[str, Any] | None:
    """The stand-in's widths, or None for a real model folder (which has no such file)."""
    path = Path(model_dir) / TINY_SIZES_FILE
    if not path.is_file():
        return None
    try:
        sizes = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"unreadable {path}: {exc}") from exc
    if not isinstance(sizes, dict) or set(sizes) - set(TINY_SIZES):
        raise ModelError(f"{path}: expected an object with parts among {', '.join(TINY_SIZES)}")
    return sizes


@contextlib.contextmanager
def sized_components(sizes: dict[str, Any] | None) -> Iterator[None]:
    """Within it, Chatterbox's constructors build the widths in `sizes` (None: the real ones).
    Holds CONSTRUCTION_LOCK throughout, since the swaps are visible process-wide."""
    with CONSTRUCTION_LOCK:
        if not sizes:
            yield
            return
        import_chatterbox()
        from chatterbox.models.t3 import llama_configs
        from chatterbox.models.t3.modules.t3_config import T3Config
        from s3tokenizer.model_v2 import ModelConfig, S3TokenizerV2

        llama_configs.LLAMA_CONFIGS[TINY_LLAMA_NAME] = {**llama_configs.LLAMA_CONFIGS["Llama_520M"],
                                                        **sizes.get("llama", {})}
        restore: list[tuple[Any, str, Any]] = []

        def swap(owner: Any, name: str, value: Any) -> None:
            restore.append((owner, name, getattr(owner, name)))
            setattr(owner, name, value)

        try:
            tts = sys.modules["chatterbox.tts"]
            real_t3 = tts.T3

            def tiny_t3() -> Any:
                hp = T3Config.english_only()
                hp.llama_config_name = TINY_LLAMA_NAME
                return real_t3(hp)

            swap(tts, "T3", tiny_t3)
            for part, (module_name, name) in _SIZED_CONSTRUCTORS.items():
                if part in sizes:
                    module = importlib.import_module(module_name)
                    swap(module, name, _with_overrides(getattr(module, name), sizes[part]))
            if "s3_tokenizer" in sizes:
                # Chatterbox's S3Tokenizer calls S3TokenizerV2.__init__(name) without a config,
                # so the encoder's width is that function's default ModelConfig.
                config = ModelConfig(**sizes["s3_tokenizer"])
                swap(S3TokenizerV2.__init__, "__defaults__", (config,))
            yield
        finally:
            for owner, name, value in reversed(restore):
                setattr(owner, name, value)


def _with_overrides(cls: Any, overrides: dict[str, Any]) -> Callable[..., Any]:
    def build(*args: Any, **kwargs: Any) -> Any:
        return cls(*args, **{**kwargs, **overrides})

    return build


# The stand-in ---------------------------------------------------------------------------------

# [STOP] is text token 0 and [START] 255 (T3Config's stop/start_text_token); the rest are
# characters, as in the real grapheme tokenizer.
_TEXT_SYMBOLS = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                 ".,!?;:'\"-()&%$#@/+=*<>[]_~àáâäçèéêëìíîïñòóôöùúûüœæ")


def tiny_tokenizer_json() -> str:
    from tokenizers import Tokenizer, models

    specials = ["[STOP]", "[UNK]", "[SPACE]", "[PAD]", "[SEP]", "[CLS]", "[MASK]"]
    vocab = {token: i for i, token in enumerate(specials)}
    for symbol in _TEXT_SYMBOLS:
        vocab.setdefault(symbol, len(vocab))
    if len(vocab) >= 255:
        raise ModelError("tiny Chatterbox tokenizer: too many symbols")
    vocab["[START]"] = 255
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="[UNK]"))
    tokenizer.add_special_tokens([*specials, "[START]"])
    return tokenizer.to_str()


def _chatterbox_tiny(staging: Path, seed: int) -> None:
    import torch
    from safetensors.torch import save_file

    import_chatterbox()
    from chatterbox.models.s3gen import S3Gen
    from chatterbox.models.voice_encoder import VoiceEncoder

    torch.manual_seed(seed)
    with sized_components(TINY_SIZES):
        t3 = sys.modules["chatterbox.tts"].T3()
        s3gen = S3Gen()
    ve = VoiceEncoder()
    for name, module in zip(WEIGHT_FILES, (ve, t3, s3gen), strict=True):
        state = {k: v.detach().clone().contiguous() for k, v in module.state_dict().items()}
        save_file(state, str(staging / name))
    (staging / TOKENIZER_FILE).write_text(tiny_tokenizer_json(), encoding="utf-8")
    (staging / TINY_SIZES_FILE).write_text(json.dumps(TINY_SIZES, indent=1), encoding="utf-8")


BUILDERS = {"chatterbox_tiny": _chatterbox_tiny}


def build(builder: str, out_dir: Path, options: dict[str, Any] | None = None) -> None:
    """Build the cloning stand-in `builder` into `out_dir`, atomically (a staging folder renamed)."""
    make = BUILDERS.get(builder)
    if make is None:
        raise ModelError(f"no tiny voice-clone builder named {builder!r}; known: {', '.join(sorted(BUILDERS))}")
    seed = seed_option(builder, options)
    build_atomically(out_dir, lambda staging: make(staging, seed))
