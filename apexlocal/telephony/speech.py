"""What a call hears and says with: Whisper (speech to text), a voice model's synthesizer and the
Silero VAD session, loaded warm through the engine context (shared with jobs' runtime)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from apexlocal.engines.base import EngineContext
from apexlocal.errors import ModelError
from apexlocal.models.manifest import ModelEntry

if TYPE_CHECKING:
    import numpy as np


@dataclass
class Voice:
    synthesizer: Any  # engines.voice.synth.Synthesizer

    @property
    def rate(self) -> int:
        return int(self.synthesizer.sample_rate)

    def speak(self, text: str) -> np.ndarray:
        return self.synthesizer.synthesize(text, 1.0)


@dataclass
class Ears:
    whisper: Any
    language: str | None

    def transcribe(self, samples: np.ndarray) -> str:
        """16 kHz mono speech as text ("" when Whisper hears none)."""
        # Greedy and without timestamps: a turn waits on this, and the detector has already cut
        # the speech out, so Whisper's own VAD filter would only repeat the work.
        segments, _info = self.whisper.transcribe(
            samples,
            language=self.language.split("-", 1)[0] if self.language else None,
            beam_size=1,
            without_timestamps=True,
            vad_filter=False,
            condition_on_previous_text=False,
        )
        return " ".join(s.text.strip() for s in segments).strip()


def load_voice(ctx: EngineContext, entry: ModelEntry, spec: dict[str, Any]) -> Voice:
    """The synthesizer of a voice engine's spec (`voiceId`, `language`, `model` as asked for, and
    `clonedVoice` for the cloning model), to speak sentence by sentence."""
    from apexlocal.engines.registry import get_engine
    from apexlocal.engines.voice.synth import VoiceEngineBase

    engine = get_engine(entry.engine)
    if not isinstance(engine, VoiceEngineBase):
        raise ModelError(f"{entry.id} is not a voice model that speaks sentence by sentence")
    return Voice(engine.prepare({**spec, "text": "."}, entry, ctx).synthesizer)


def load_ears(ctx: EngineContext, entry: ModelEntry, language: str | None) -> Ears:
    from apexlocal.engines.speech_to_text.whisper import FasterWhisperEngine, speaks

    whisper = FasterWhisperEngine.load(entry, ctx)
    return Ears(whisper, language if language and speaks(whisper, language) else None)


def load_vad(ctx: EngineContext) -> Any:
    from apexlocal.telephony.vad import load_silero

    return ctx.runtime.get("silero-vad-v6", load_silero, 2_500_000)
