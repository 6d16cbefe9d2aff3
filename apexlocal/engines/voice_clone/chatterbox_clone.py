"""Chatterbox on torch: the `voice-clone` engine. Speech in the voice of a reference clip.

A job's spec is a voice job's (`text`, `speed`, `language`, `voiceId`, `model`) plus
`clonedVoice: {"clipPath": <local file>, "transcript": str, "conditionalsPath": <local file>?}`,
the stored clip of a cloned voice and, where the clone stored them, Chatterbox's conditionals of
that clip (`conditionals.py`, written by `save_conditionals` when the voice was cloned).

Conditionals are what Chatterbox is conditioned on: a speaker embedding (voice encoder), the
clip's first 6 s as S3 speech tokens (T3's prompt) and its first 10 s as mel frames, tokens and an
x-vector (the S3Gen decoder's prompt). Stored ones made by the same weights are read as they are;
otherwise the clip is decoded with PyAV (any container), written as 24 kHz WAV and turned into
conditionals by the model's own `prepare_conditionals`, kept per clip (by content hash) for reuse.
The job's metadata says which (`voiceConditionals`: `stored` or `computed`). Chatterbox conditions
on the audio alone, so the transcript is not used.

Per chunk of text, T3 (a Llama over text and speech tokens, with classifier-free guidance)
samples 25 Hz speech tokens until its stop token, S3Gen (flow matching, then a HiFT vocoder)
makes 24 kHz audio, and Resemble's Perth watermark is applied, as `ChatterboxTTS.generate` does.
What differs from `generate`: the conditionals are passed in rather than held on the model (so
jobs with different voices never see each other's), and the token budget follows the text's
length (`token_budget`) instead of a flat 1000 tokens (40 s), which bounds a chunk whose stop
token never comes. Chatterbox has no speed input: other speeds are a pitch-keeping WSOLA stretch.

The manifest's `pipeline` names the checkpoint (`checkpoints.py`): `ChatterboxTTS` speaks English
only; `ChatterboxMultilingualTTS` speaks the 23 languages its entry lists, and the job's language
(the spec's `language`, else the first listed) is handed to its tokenizer as `language_id` for
every chunk. Conditionals are made, stored and used the same way by both.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexlocal.engines.base import EngineContext
from apexlocal.engines.runtime import GIB
from apexlocal.engines.voice.synth import VoiceEngineBase, VoiceStream, loaded
from apexlocal.engines.voice.text import parse_request, pick_language
from apexlocal.engines.voice_clone import checkpoints, conditionals
from apexlocal.engines.voice_clone.checkpoints import ENGLISH, Checkpoint, checkpoint_of
from apexlocal.errors import JobError
from apexlocal.models.manifest import ModelEntry

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

SAMPLE_RATE = 24_000
LANGUAGES = ["en"]
# A sentence or two per call: one call of ChatterboxTTS.generate makes at most 1000 tokens (40 s).
MAX_CHUNK_CHARS = 250
TOKENS_PER_SECOND = 25  # S3 speech tokens
MAX_NEW_TOKENS = 1000  # ChatterboxTTS.generate's own limit
# English speech runs at about 14 characters a second; the budget allows for 8 (slow, expressive
# speech) plus a second, so a chunk is cut only when its stop token is long overdue. Languages
# written with fewer characters per second of speech get the same margin over their own pace:
# Chinese about 4-5 characters a second, Japanese 7-8 (kana and kanji), Korean 6-7 syllables.
BUDGET_CHARS_PER_SECOND = 8.0
BUDGET_CHARS_PER_SECOND_BY_LANGUAGE = {"zh": 2.5, "ja": 4.0, "ko": 3.5}
MIN_REFERENCE_SECONDS = 3.0
CONDITIONALS_CACHE = 16
REQUIRED_FILES = ENGLISH.required
# ChatterboxTTS.generate's defaults; the manifest's `defaults` may override them per model.
GENERATION_DEFAULTS = {
    "exaggeration": 0.5,
    "cfg_weight": 0.5,
    "temperature": 0.8,
    "repetition_penalty": 1.2,
    "min_p": 0.05,
    "top_p": 1.0,
}


def budget_chars_per_second(language: str = "en") -> float:
    return BUDGET_CHARS_PER_SECOND_BY_LANGUAGE.get(language.split("-", 1)[0], BUDGET_CHARS_PER_SECOND)


def token_budget(text: str, language: str = "en") -> int:
    seconds = len(text) / budget_chars_per_second(language) + 1.0
    return min(MAX_NEW_TOKENS, math.ceil(TOKENS_PER_SECOND * seconds))


def max_chunk_chars(language: str = "en") -> int:
    """The longest chunk whose token budget stays within one call's MAX_NEW_TOKENS."""
    fits = int((MAX_NEW_TOKENS / TOKENS_PER_SECOND - 1.0) * budget_chars_per_second(language))
    return min(MAX_CHUNK_CHARS, fits)


def load_chatterbox(model_dir: Path, device: str, checkpoint: Checkpoint = ENGLISH) -> Any:
    """The checkpoint's `from_local` (ChatterboxTTS or ChatterboxMultilingualTTS), for the real
    weights and for the tiny stand-in alike."""
    return checkpoints.load(checkpoint, model_dir, device)


def generate(
    model: Any,
    conds: Any,
    text: str,
    *,
    language: str = "en",
    max_new_tokens: int,
    exaggeration: float,
    cfg_weight: float,
    temperature: float,
    repetition_penalty: float,
    min_p: float,
    top_p: float,
) -> np.ndarray:
    """One chunk: the model's own `generate` steps with explicit conditionals, token budget and
    language (used by the multilingual model only)."""
    import torch
    import torch.nn.functional as F
    from chatterbox.models.s3tokenizer import SPEECH_VOCAB_SIZE, drop_invalid_tokens
    from chatterbox.models.t3.modules.cond_enc import T3Cond

    t3_cond = conds.t3
    if not math.isclose(float(t3_cond.emotion_adv[0, 0, 0]), exaggeration, abs_tol=1e-6):
        t3_cond = T3Cond(
            speaker_emb=t3_cond.speaker_emb,
            cond_prompt_speech_tokens=t3_cond.cond_prompt_speech_tokens,
            emotion_adv=exaggeration * torch.ones(1, 1, 1),
        ).to(device=model.device)
    tokens = checkpoints.text_tokens(model, text, language).to(model.device)
    tokens = torch.cat([tokens, tokens], dim=0)  # the second row is the unconditioned one (CFG)
    tokens = F.pad(F.pad(tokens, (1, 0), value=model.t3.hp.start_text_token), (0, 1), value=model.t3.hp.stop_text_token)
    with torch.inference_mode():
        with checkpoints.hooks_removed_after(model.t3):
            speech = model.t3.inference(
                t3_cond=t3_cond,
                text_tokens=tokens,
                max_new_tokens=max_new_tokens,
                temperature=temperature,
                cfg_weight=cfg_weight,
                repetition_penalty=repetition_penalty,
                min_p=min_p,
                top_p=top_p,
            )
        speech = drop_invalid_tokens(speech[0])
        speech = speech[speech < SPEECH_VOCAB_SIZE].to(model.device)
        if speech.numel() == 0:
            return _silence()
        wav, _ = model.s3gen.inference(speech_tokens=speech, ref_dict=conds.gen)
        wav = wav.squeeze(0).detach().float().cpu().numpy()
    return model.watermarker.apply_watermark(wav, sample_rate=model.sr).astype("float32")


def _silence() -> np.ndarray:
    import numpy as np

    return np.zeros(0, np.float32)


class ChatterboxSynthesizer:
    """One loaded Chatterbox with one voice's conditionals, speaking one language. `seed` makes
    sampling repeatable: chunk i samples from seed + i, with the process's random state restored
    afterwards."""

    def __init__(
        self,
        model: Any,
        conds: Any,
        lock: threading.Lock,
        options: dict[str, float],
        seed: int | None,
        language: str = "en",
    ) -> None:
        self.model, self.conds, self.lock, self.options, self.seed = model, conds, lock, options, seed
        self.language = language
        self.sample_rate = SAMPLE_RATE
        self.max_chunk_chars = max_chunk_chars(language)
        self._chunks = 0

    def synthesize(self, text: str, speed: float) -> np.ndarray:
        import torch

        from apexlocal.engines.voice.audio import time_stretch

        device = torch.device(self.model.device)
        forked = [device.index or 0] if device.type == "cuda" else []
        with self.lock, torch.random.fork_rng(devices=forked, enabled=self.seed is not None):
            if self.seed is not None:
                torch.manual_seed(self.seed + self._chunks)
            self._chunks += 1
            budget = token_budget(text, self.language)
            audio = generate(
                self.model, self.conds, text, language=self.language, max_new_tokens=budget, **self.options
            )
        if abs(speed - 1.0) < 1e-3 or audio.size == 0:
            return audio
        return time_stretch(audio, speed, self.sample_rate)


class VoiceCloneEngine(VoiceEngineBase):
    """The `voice-clone` engine: text and a reference clip in, 24 kHz 16-bit mono WAV out."""

    name = "voice-clone"
    sample_rate = SAMPLE_RATE

    def __init__(self) -> None:
        self._lock = threading.Lock()  # one forward pass at a time: the model is not reentrant
        self._conds: OrderedDict[tuple[str, str, float], Any] = OrderedDict()
        self._conds_lock = threading.Lock()

    def languages(self, model: ModelEntry) -> list[str]:
        return list(model.defaults.get("languages", LANGUAGES))

    def voices(self, model: ModelEntry, ctx: EngineContext | None = None) -> list[str]:
        return []  # every voice is a cloned one, kept by the voice store

    def synthesize(
        self,
        text: str,
        reference_wav: Path,
        speed: float,
        language: str | None,
        ctx: EngineContext,
        *,
        model: ModelEntry | None = None,
        transcript: str = "",
        seed: int | None = None,
    ) -> Iterator[np.ndarray]:
        """Joined float32 PCM at `sample_rate`, chunk by chunk, in the voice of `reference_wav`
        (any container PyAV decodes); validation and loading happen on the first `next()`,
        cancellation is checked between chunks. `model` defaults to the manifest's voice-clone model."""
        if model is None:
            model = ctx.manifest.default_for("voice-clone")
        spec: dict[str, Any] = {
            "text": text,
            "speed": speed,
            "language": language,
            "clonedVoice": {"clipPath": str(reference_wav), "transcript": transcript},
        }
        if seed is not None:
            spec["seed"] = seed
        yield from self.stream(spec, model, ctx)

    def prepare(self, spec: dict[str, Any], model: ModelEntry, ctx: EngineContext) -> VoiceStream:
        request = parse_request(spec, model.id)
        voice = _cloned_voice(spec.get("clonedVoice"))
        seed = spec.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
            raise JobError("seed: must be a non-negative integer")
        languages = self.languages(model)
        language = pick_language(request.language, languages, languages[0])
        options = _generation_options(model)
        tts, model_dir = self._load(model, ctx)
        fingerprint = _fingerprint(model, model_dir)
        conds, source = self._voice_conditionals(tts, model_dir, fingerprint, voice, options["exaggeration"], ctx)
        synthesizer = ChatterboxSynthesizer(tts, conds, self._lock, options, seed, language)
        return ClonedVoiceStream(
            request, synthesizer, language, request.voice_id or "cloned", model.id, ctx, conditionals_source=source
        )

    def save_conditionals(self, model: ModelEntry, ctx: EngineContext, clip: Path, dest: Path) -> str:
        """Computes the conditionals of `clip` (the cloned voice's stored clip) with `model` and writes
        them to `dest`, to be handed back to jobs as `clonedVoice.conditionalsPath`; returns the kind
        of what was written (`conditionals.KIND`). Raises JobError for a clip too short to clone and
        ModelError when the model cannot be loaded."""
        options = _generation_options(model)
        tts, model_dir = self._load(model, ctx)
        conds = self._conditionals(tts, Path(clip), options["exaggeration"], _model_key(model_dir, ctx), ctx)
        conditionals.save(conds, Path(dest), _fingerprint(model, model_dir))
        return conditionals.KIND

    def _load(self, model: ModelEntry, ctx: EngineContext) -> tuple[Any, Path]:
        checkpoint = checkpoint_of(model)
        model_dir = Path(ctx.model_dir(model))
        if ctx.model_set == "full" and model.memory_gb:
            size = int(model.memory_gb * GIB)
        else:  # float32 weights take in memory what they take on disk
            size = sum((model_dir / n).stat().st_size for n in checkpoint.required if (model_dir / n).is_file())
        tts = loaded(
            ctx,
            f"chatterbox:{_model_key(model_dir, ctx)}",
            lambda: load_chatterbox(model_dir, ctx.device, checkpoint),
            size or None,
        )
        return tts, model_dir

    def _voice_conditionals(
        self, tts: Any, model_dir: Path, fingerprint: str, voice: ClonedVoice, exaggeration: float, ctx: EngineContext
    ) -> tuple[Any, str]:
        """The voice's stored conditionals where they were made by these weights (`fingerprint`),
        else the clip's (computed or cached); with "stored" or "computed" saying which."""
        if voice.conditionals is not None:
            try:
                conds = conditionals.load(voice.conditionals, fingerprint, ctx.device)
                return conds, "stored"
            except conditionals.UnusableConditionals as exc:
                log.warning("stored conditionals of the cloned voice not used, computing them from its clip: %s", exc)
        return self._conditionals(tts, voice.clip, exaggeration, _model_key(model_dir, ctx), ctx), "computed"

    def _conditionals(self, tts: Any, clip: Path, exaggeration: float, model_key: str, ctx: EngineContext) -> Any:
        """The clip's conditionals, from the cache or made as a stage of their own."""
        from apexlocal.engines.speech_to_text.decode import decode_audio
        from apexlocal.engines.voice.audio import write_wav

        ctx.check_cancelled()
        key = (model_key, _file_digest(clip), exaggeration)
        with self._conds_lock:
            if key in self._conds:
                self._conds.move_to_end(key)
                return self._conds[key]
        ctx.progress(0.0, "conditioning")
        audio = decode_audio(clip, SAMPLE_RATE)
        if audio.size < MIN_REFERENCE_SECONDS * SAMPLE_RATE:
            raise JobError(
                f"clonedVoice.clipPath: the reference clip holds {audio.size / SAMPLE_RATE:.1f} s "
                f"of audio; at least {MIN_REFERENCE_SECONDS:.0f} s are needed"
            )
        wav = ctx.scratch_dir / "reference-24k.wav"
        write_wav(wav, audio, SAMPLE_RATE)
        with self._lock:
            tts.prepare_conditionals(str(wav), exaggeration=exaggeration)
            conds = tts.conds
        wav.unlink(missing_ok=True)
        ctx.progress(1.0, "conditioning")
        with self._conds_lock:
            self._conds[key] = conds
            while len(self._conds) > CONDITIONALS_CACHE:
                self._conds.popitem(last=False)
        return conds


@dataclass
class ClonedVoiceStream(VoiceStream):
    """A voice stream whose metadata also says where the voice's conditionals came from."""

    conditionals_source: str = "computed"

    def metadata(self, samples: int) -> dict[str, Any]:
        return {**super().metadata(samples), "voiceConditionals": self.conditionals_source}


@dataclass(frozen=True)
class ClonedVoice:
    clip: Path
    conditionals: Path | None  # stored conditionals, where the clone kept them


def _cloned_voice(value: Any) -> ClonedVoice:
    if not isinstance(value, dict):
        raise JobError("clonedVoice: must be an object with clipPath and transcript")
    clip, transcript = value.get("clipPath"), value.get("transcript", "")
    if not isinstance(clip, str) or not clip.strip():
        raise JobError("clonedVoice.clipPath: must be the path of the voice's reference clip")
    if not isinstance(transcript, str):
        raise JobError("clonedVoice.transcript: must be a string")
    path = Path(clip)
    if not path.is_file():
        raise JobError("clonedVoice.clipPath: the voice's reference clip is missing")
    return ClonedVoice(path, _stored_conditionals(value.get("conditionalsPath")))


def _stored_conditionals(value: Any) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise JobError("clonedVoice.conditionalsPath: must be the path of the voice's stored conditionals")
    path = Path(value)
    if not path.is_file():
        # The clip is what the voice is; its conditionals can always be computed again from it.
        log.warning("stored conditionals of the cloned voice are missing (%s); computing them from its clip", path)
        return None
    return path


def _generation_options(model: ModelEntry) -> dict[str, float]:
    return {**GENERATION_DEFAULTS, **{k: float(v) for k, v in model.defaults.items() if k in GENERATION_DEFAULTS}}


def _fingerprint(model: ModelEntry, model_dir: Path) -> str:
    return conditionals.model_fingerprint(model_dir, checkpoint_of(model).fingerprint)


def _model_key(model_dir: Path, ctx: EngineContext) -> str:
    return f"{Path(model_dir).resolve()}:{ctx.device}"


def _file_digest(path: Path) -> str:
    with open(path, "rb") as src:
        return hashlib.file_digest(src, "sha256").hexdigest()
