"""Piper voices on onnxruntime: the CPU voice engine (`piper-voice`).

A Piper voice is one `.onnx` file and its `.onnx.json` config, which names the language, the sample
rate and the speakers. Piper phonemises with the espeak-ng data it ships itself, so nothing else is
installed for it. Speed is native: Piper's `length_scale` stretches phoneme durations. The voice is
loaded with its phoneme durations exposed (`include_alignments`), which time words (`timing`).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexlocal.engines.base import EngineContext
from apexlocal.engines.speech_to_text.align import Timed
from apexlocal.engines.voice.synth import VoiceEngineBase, VoiceStream, loaded
from apexlocal.engines.voice.text import normalise_language, parse_request, pick_language
from apexlocal.engines.voice.timing import Phone, time_text
from apexlocal.errors import JobError, ModelError
from apexlocal.models.manifest import ModelEntry

if TYPE_CHECKING:
    import numpy as np

# Piper splits its input into sentences itself; this keeps one call's work, and the gap between
# progress reports, small.
MAX_CHUNK_CHARS = 400


def voice_files(model_dir: Path) -> tuple[Path, Path]:
    """The voice's .onnx and its .onnx.json in the model folder."""
    onnx = sorted(Path(model_dir).glob("*.onnx"))
    if not onnx:
        raise ModelError(f"no Piper voice (.onnx) in {model_dir}")
    config = onnx[0].with_name(onnx[0].name + ".json")
    if not config.is_file():
        raise ModelError(f"the Piper voice {onnx[0].name} has no config {config.name}")
    return onnx[0], config


@lru_cache(maxsize=32)
def _config(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def config_languages(config: dict[str, Any]) -> list[str]:
    """ "en_US" in the config speaks "en-us"; "en" is accepted for it by `pick_language`."""
    code = (config.get("language") or {}).get("code") or (config.get("espeak") or {}).get("voice")
    return [normalise_language(code)] if code else []


def config_voices(config: dict[str, Any], stem: str) -> list[str]:
    """The voice ids of a file: its name, or name:speaker for each speaker of a multi-speaker one."""
    speakers = sorted(config.get("speaker_id_map") or {})
    return [f"{stem}:{s}" for s in speakers] if speakers else [stem]


class PiperSynthesizer:
    def __init__(self, voice: Any, speaker_id: int | None) -> None:
        self.voice = voice
        self.speaker_id = speaker_id
        self.sample_rate = int(voice.config.sample_rate)
        self.max_chunk_chars = MAX_CHUNK_CHARS
        # Alignments come from an extra output `load_voice` adds to the model, in piper-tts
        # versions that can; older ones time no words.
        self.aligned = _takes(voice.synthesize, "include_alignments")
        self._phoneme_cache: dict[str, str] = {}

    def synthesize(self, text: str, speed: float) -> np.ndarray:
        return self.synthesize_timed(text, speed, timed=False)[0]

    def synthesize_timed(self, text: str, speed: float, timed: bool = True) -> tuple[np.ndarray, list[Timed] | None]:
        """The audio and, when `timed` and the voice reports alignments, each word's time in it.

        Piper's own speed first (its prosody at that pace), then a pitch-keeping stretch by what
        is left: its `length_scale` shortens phonemes less than it says (1/2 gives about 0.62 of
        the length), so the duration at speed 1 is made too and the result fitted to it / speed;
        the phonemes' times are stretched with it."""
        from apexlocal.engines.voice.audio import time_stretch

        audio, phones = self._run(text, 1.0 / speed)
        if abs(speed - 1.0) >= 1e-3 and audio.size:
            stretched = time_stretch(audio, audio.size / (self._run(text, 1.0)[0].size / speed), self.sample_rate)
            phones = [(p, s * stretched.size / audio.size) for p, s in phones] if phones else None
            audio = stretched
        if not timed or not phones:
            return audio, None
        return audio, time_text(text, phones, self._phonemes)

    def _run(self, text: str, length_scale: float) -> tuple[np.ndarray, list[Phone] | None]:
        """The audio, and each phoneme with how long it lasts (None when the voice has no
        alignment output)."""
        import numpy as np
        from piper import SynthesisConfig

        # Fixed noise scales (the voice's own) and no randomness in phoneme lengths between the
        # two passes: their durations must be comparable.
        config = SynthesisConfig(speaker_id=self.speaker_id, length_scale=length_scale, noise_w_scale=0.0)
        parts: list[np.ndarray] = []
        phones: list[Phone] | None = []
        extra: dict[str, Any] = {"include_alignments": True} if self.aligned else {}
        for chunk in self.voice.synthesize(text, syn_config=config, **extra):
            parts.append(chunk.audio_float_array)
            alignments = getattr(chunk, "phoneme_alignments", None)
            if alignments is None or phones is None:
                phones = None
            else:
                phones += [(a.phoneme, a.num_samples / self.sample_rate) for a in alignments]
        audio = np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)
        return audio, phones

    def _phonemes(self, word: str) -> str:
        if word not in self._phoneme_cache:
            self._phoneme_cache[word] = " ".join("".join(s) for s in self.voice.phonemize(word))
        return self._phoneme_cache[word]


def _package_dir(model: ModelEntry) -> Path | None:
    if model.source.kind != "pypi":
        return None
    from apexlocal.models.packaged import package_dir

    try:
        return package_dir(model)
    except ModelError:
        return None


def load_voice(model_dir: Path) -> Any:
    """The voice, with its phoneme durations as an extra model output where this piper-tts can
    add one (in memory; the file is not changed): they time the words of a narration's captions.

    What `PiperVoice.load` does, with apexlocal's onnxruntime options (`session_options`)."""
    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig
    from piper.voice import ESPEAK_DATA_DIR

    onnx, config = voice_files(model_dir)
    try:
        session = onnxruntime.InferenceSession(
            with_alignments(onnx), sess_options=session_options(), providers=["CPUExecutionProvider"]
        )
        return PiperVoice(
            session=session,
            config=PiperConfig.from_dict(_config(config)),
            espeak_data_dir=Path(ESPEAK_DATA_DIR),
            download_dir=Path.cwd(),
        )
    except Exception as exc:  # a damaged file surfaces as onnx's or onnxruntime's own exception types
        raise ModelError(f"cannot load the Piper voice {onnx} ({type(exc).__name__}: {exc})") from exc


def session_options() -> Any:
    """onnxruntime's options, less its spinning: by default its threads spin while they wait for
    work, which on a CPU shared with the API, another job or other programs takes that CPU from
    them and slows the voice itself (bench/bench_voice_shared_cpu.py: with spinning, 1.5x the time
    beside a busy core; without it, the same time on an idle machine)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def with_alignments(onnx: Path) -> bytes | str:
    """The model with its phoneme durations as an extra output, as bytes; the file's path where
    this piper-tts cannot add them or the file has them already."""
    try:
        import onnx as onnx_format
        from piper.patch_voice_with_alignment import add_alignment_output
    except ImportError:
        return str(onnx)
    model = onnx_format.load(str(onnx))
    try:
        add_alignment_output(model)
    except ValueError:  # patched already (or no tensor to expose): the file as it is, not a copy
        return str(onnx)
    return model.SerializeToString()


def _takes(function: Any, name: str) -> bool:
    import inspect

    return name in inspect.signature(function).parameters


class PiperVoiceEngine(VoiceEngineBase):
    """The `piper-voice` engine: text in, 16-bit mono WAV out, on onnxruntime."""

    name = "piper-voice"

    def languages(self, model: ModelEntry, model_dir: Path | None = None) -> list[str]:
        """What the voice's config says it speaks; read from the package when the files ship in one."""
        model_dir = model_dir or _package_dir(model)
        if model_dir is not None:
            return config_languages(_config(voice_files(model_dir)[1]))
        return list(model.defaults.get("languages", []))

    def voices(self, model: ModelEntry, ctx: EngineContext | None = None, model_dir: Path | None = None) -> list[str]:
        if model_dir is None:
            model_dir = ctx.model_dir(model) if ctx is not None else _package_dir(model)
        if model_dir is None:
            return list(model.defaults.get("voices", []))
        onnx, config = voice_files(model_dir)
        return config_voices(_config(config), onnx.name.removesuffix(".onnx"))

    def prepare(self, spec: dict[str, Any], model: ModelEntry, ctx: EngineContext) -> VoiceStream:
        request = parse_request(spec, model.id)
        model_dir = ctx.model_dir(model)
        onnx, config_path = voice_files(model_dir)
        config = _config(config_path)
        language = pick_language(request.language, config_languages(config), config_languages(config)[0])
        voice_id, speaker = self._speaker(request.voice_id, config, onnx.name.removesuffix(".onnx"))
        key = f"piper:{onnx.resolve()}:{ctx.device}"
        voice = loaded(ctx, key, lambda: load_voice(model_dir), onnx.stat().st_size)
        return VoiceStream(request, PiperSynthesizer(voice, speaker), language, voice_id, model.id, ctx)

    @staticmethod
    def _speaker(voice_id: str | None, config: dict[str, Any], stem: str) -> tuple[str, int | None]:
        """(voice id, speaker number); the file's name, its dataset name or 'default' pick speaker 0."""
        known = config_voices(config, stem)
        speakers: dict[str, int] = config.get("speaker_id_map") or {}
        if voice_id is None or voice_id in (stem, "default", config.get("dataset")):
            return known[0], (0 if speakers else None)
        name = voice_id.split(":", 1)[-1]
        if voice_id in known and name in speakers:
            return voice_id, speakers[name]
        raise JobError(f"voiceId: {voice_id!r} is not a voice of this model; it has {', '.join(known)}")
