"""Kokoro-82M on torch: `kokoro-voice`. Also the stand-in for the hosted `elevenlabs-v3` and
`fish-audio-s1` names, each with its own default voice (the manifest's `defaults.alias_voices`).

Text becomes phonemes through misaki, then `KModel(phonemes, style, speed)` makes 24 kHz audio;
speed is native (it divides the predicted durations), and those durations (`pred_dur`, per phoneme)
time the words (`timing`). A voice is a `[510, 1, 256]` tensor of style
vectors indexed by phoneme count, in `voices/<name>.pt`; its first letter names its language.

G2P: misaki's English G2P needs a spaCy model (`en_core_web_sm`), which misaki would download on
first use; it is used when installed, and in the `full` set only. Otherwise, and for es, fr, hi,
it and pt-br always, misaki's `EspeakG2P` runs espeak-ng from the `espeakng-loader` wheel, offline.
Japanese and Chinese use misaki[ja] / misaki[zh] where installed, espeak-ng otherwise.

`KPipeline` is not used: it builds misaki's English G2P (a spaCy download) on creation and loads
voices through the hub; its `infer` step (`model(ps, pack[len(ps) - 1], speed)`) is reproduced here.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexlocal.engines.base import EngineContext
from apexlocal.engines.runtime import GIB
from apexlocal.engines.speech_to_text.align import Timed
from apexlocal.engines.voice.synth import VoiceEngineBase, VoiceStream, loaded
from apexlocal.engines.voice.text import normalise_language, parse_request, pick_language
from apexlocal.engines.voice.timing import Phone, time_text
from apexlocal.errors import JobError, ModelError
from apexlocal.models.manifest import ModelEntry

if TYPE_CHECKING:
    import numpy as np

SAMPLE_RATE = 24_000
MAX_CHUNK_CHARS = 200  # text; phonemes are capped again at the model's 510
MAX_PHONEMES = 510
FRAME_SAMPLES = 600  # audio samples per `pred_dur` frame (KPipeline.join_timestamps' 24000 / 40)
WEIGHTS_NAME = "kokoro-v1_0.pth"
# Kokoro's languages, the letter its voices start with, and the espeak-ng voice for each.
LANGUAGES: dict[str, tuple[str, str]] = {
    "en-us": ("a", "en-us"),
    "en-gb": ("b", "en-gb"),
    "es": ("e", "es"),
    "fr": ("f", "fr-fr"),
    "hi": ("h", "hi"),
    "it": ("i", "it"),
    "ja": ("j", "ja"),
    "pt-br": ("p", "pt-br"),
    "zh": ("z", "cmn"),
}
DEFAULT_VOICES = {
    "en-us": "af_heart",
    "en-gb": "bf_emma",
    "es": "ef_dora",
    "fr": "ff_siwis",
    "hi": "hf_alpha",
    "it": "if_sara",
    "ja": "jf_alpha",
    "pt-br": "pf_dora",
    "zh": "zf_xiaobei",
}


def voice_language(voice: str) -> str | None:
    return next((code for code, (letter, _) in LANGUAGES.items() if voice.startswith(letter)), None)


def load_kmodel(model_dir: Path, device: str) -> Any:
    from kokoro import KModel

    config, weights = Path(model_dir) / "config.json", Path(model_dir) / WEIGHTS_NAME
    if not config.is_file() or not weights.is_file():
        raise ModelError(f"Kokoro needs config.json and {WEIGHTS_NAME} in {model_dir}")
    try:
        model = KModel(repo_id="hexgrad/Kokoro-82M", config=str(config), model=str(weights))
    except Exception as exc:  # torch.load and load_state_dict fail in many ways on bad files
        raise ModelError(f"cannot load Kokoro from {model_dir} ({type(exc).__name__}: {exc})") from exc
    return model.to(device).eval()


def make_g2p(language: str, model_set: str) -> Any:
    """A callable text -> phoneme string, offline unless a misaki model is installed."""
    from misaki import espeak

    if language in ("en-us", "en-gb") and model_set == "full" and _installed("en_core_web_sm"):
        from misaki import en

        british = language == "en-gb"
        g2p = en.G2P(trf=False, british=british, fallback=espeak.EspeakFallback(british=british), unk="")
    elif language == "ja" and _installed("pyopenjtalk"):
        from misaki import ja

        g2p = ja.JAG2P()
    elif language == "zh" and _installed("jieba"):
        from misaki import zh

        g2p = zh.ZHG2P()
    else:
        g2p = espeak.EspeakG2P(language=LANGUAGES[language][1])
    return lambda text: g2p(text)[0]


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def split_phonemes(phonemes: str, limit: int = MAX_PHONEMES) -> list[str]:
    """Cut at spaces so each piece fits the model's context."""
    pieces: list[str] = []
    while len(phonemes) > limit:
        cut = phonemes.rfind(" ", 0, limit)
        cut = cut if cut > 0 else limit
        pieces.append(phonemes[:cut])
        phonemes = phonemes[cut:].lstrip()
    return [*pieces, phonemes] if phonemes.strip() else pieces


class KokoroSynthesizer:
    def __init__(self, model: Any, pack: Any, g2p: Any, lock: threading.Lock) -> None:
        self.model, self.pack, self.g2p, self.lock = model, pack, g2p, lock
        self.sample_rate = SAMPLE_RATE
        self.max_chunk_chars = MAX_CHUNK_CHARS
        self._phoneme_cache: dict[str, str] = {}

    def synthesize(self, text: str, speed: float) -> np.ndarray:
        return self.synthesize_timed(text, speed, timed=False)[0]

    def synthesize_timed(self, text: str, speed: float, timed: bool = True) -> tuple[np.ndarray, list[Timed] | None]:
        """The audio and, when `timed`, each word's time in it from the model's `pred_dur`."""
        import numpy as np

        parts: list[np.ndarray] = []
        phones: list[Phone] | None = []
        for phonemes in split_phonemes(self.g2p(text) or ""):
            with self.lock:
                output = self.model(phonemes, self.pack[len(phonemes) - 1], speed, return_output=True)
            parts.append(output.audio.float().cpu().numpy().reshape(-1))
            piece = duration_phones(phonemes, output.pred_dur, self.model.vocab, parts[-1].size)
            phones = phones + piece if phones is not None and piece else None
        audio = np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)
        if not timed or not phones:
            return audio, None
        return audio, time_text(text, phones, self._phonemes)

    def _phonemes(self, word: str) -> str:
        if word not in self._phoneme_cache:
            self._phoneme_cache[word] = self.g2p(word) or ""
        return self._phoneme_cache[word]


def duration_phones(phonemes: str, pred_dur: Any, vocab: dict[str, int], samples: int) -> list[Phone]:
    """Each phoneme the model read (those in its vocabulary, between its start and end marks)
    with its predicted duration: `pred_dur` counts frames of FRAME_SAMPLES. The last one takes
    up any difference to the audio's real length, so pieces add up exactly."""
    frames = [int(f) for f in pred_dur.reshape(-1).tolist()] if pred_dur is not None else []
    symbols = ["^", *(p for p in phonemes if p in vocab), "$"]
    if len(frames) != len(symbols):
        return []
    seconds = [f * FRAME_SAMPLES / SAMPLE_RATE for f in frames]
    seconds[-1] = max(0.0, seconds[-1] + samples / SAMPLE_RATE - sum(seconds))
    return list(zip(symbols, seconds, strict=True))


class KokoroVoiceEngine(VoiceEngineBase):
    """The `kokoro-voice` engine: text in, 24 kHz 16-bit mono WAV out."""

    name = "kokoro-voice"

    def __init__(self) -> None:
        self._lock = threading.Lock()  # one forward pass at a time per engine: KModel is not reentrant

    def languages(self, model: ModelEntry) -> list[str]:
        return list(LANGUAGES)

    def voices(self, model: ModelEntry, ctx: EngineContext | None = None, model_dir: Path | None = None) -> list[str]:
        if model_dir is None and ctx is not None:
            model_dir = ctx.model_dir(model)
        if model_dir is None:
            return sorted(DEFAULT_VOICES.values())
        return sorted(p.stem for p in (Path(model_dir) / "voices").glob("*.pt"))

    def stock_voice(self, model: ModelEntry, language: str) -> str | None:
        try:
            return DEFAULT_VOICES[pick_language(normalise_language(language), self.languages(model), "")]
        except JobError:
            return None

    def prepare(self, spec: dict[str, Any], model: ModelEntry, ctx: EngineContext) -> VoiceStream:
        request = parse_request(spec, model.id)
        preset = self._alias_voice(model, request.model_name)
        voice = request.voice_id
        default_language = voice_language(voice or preset or "") or "en-us"
        language = pick_language(request.language, self.languages(model), default_language)
        if voice is None:
            # The model's preset voice only where it speaks the language asked for.
            voice = preset if preset and voice_language(preset) == language else DEFAULT_VOICES[language]
        model_dir = ctx.model_dir(model)
        voice_path = Path(model_dir) / "voices" / f"{voice}.pt"
        if "/" in voice or not voice_path.is_file():
            raise JobError(
                f"voiceId: {voice!r} is not a voice of {model.id}; it has "
                f"{', '.join(self.voices(model, model_dir=model_dir))}"
            )
        size = int(model.memory_gb * GIB) if ctx.model_set == "full" and model.memory_gb else None
        kmodel = loaded(
            ctx, f"kokoro:{Path(model_dir).resolve()}:{ctx.device}", lambda: load_kmodel(model_dir, ctx.device), size
        )
        pack = _load_pack(voice_path)
        g2p = make_g2p(language, ctx.model_set)
        return VoiceStream(request, KokoroSynthesizer(kmodel, pack, g2p, self._lock), language, voice, model.id, ctx)

    @staticmethod
    def _alias_voice(model: ModelEntry, requested: str) -> str | None:
        by_alias = model.defaults.get("alias_voices", {})
        return by_alias.get(requested.lower()) or model.defaults.get("voice")


def _load_pack(path: Path) -> Any:
    import torch

    return torch.load(path, map_location="cpu", weights_only=True)
