"""The chunk loop every voice engine shares: split, synthesise chunk by chunk, join, report.

An engine family supplies a `Synthesizer` (one loaded voice at one language) through
`VoiceEngineBase.prepare`; this module turns it into a stream of joined PCM chunks, and a stream
into a WAV job output. The stream is what an OpenAI-style streaming route sends; `run` writes the
very same samples to a file.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from apexlocal.engines.base import EngineContext, EngineOutput, OutputFile
from apexlocal.engines.speech_to_text.align import Timed
from apexlocal.engines.voice.audio import Joiner, write_wav
from apexlocal.engines.voice.text import VoiceRequest, chunk_text, normalise_language, pick_language
from apexlocal.engines.voice.timing import shifted
from apexlocal.errors import JobError
from apexlocal.models.manifest import ModelEntry

if TYPE_CHECKING:
    import numpy as np

OUTPUT_NAME = "output.wav"
# The first chunk is kept short: a stream's first audio waits for it alone.
FIRST_CHUNK_CHARS = 80


class Synthesizer(Protocol):
    """One voice of one model, ready to speak one language. A family whose model knows its
    phoneme durations also has `synthesize_timed(text, speed) -> (audio, words or None)`, the
    words of `text` with their (start, end) seconds in the audio (see `timing`)."""

    sample_rate: int
    max_chunk_chars: int  # the longest text one call takes well

    def synthesize(self, text: str, speed: float) -> np.ndarray: ...  # float32 mono


@dataclass
class VoiceStream:
    """A prepared voice job: its format and metadata are known before any audio is made."""

    request: VoiceRequest
    synthesizer: Synthesizer
    language: str
    voice_id: str
    model_id: str
    ctx: EngineContext
    chunks: list[str] = field(default_factory=list)
    # Set `timed` before iterating for `words`: every word of the text with its (start, end)
    # seconds in the joined audio, from the model's own durations; None after iterating when
    # the model has none for some chunk.
    timed: bool = False
    words: list[Timed] | None = None

    @property
    def sample_rate(self) -> int:
        return self.synthesizer.sample_rate

    def __iter__(self) -> Iterator[np.ndarray]:
        """Joined float32 PCM, chunk by chunk; progress per chunk, cancel checked between them."""
        joiner = Joiner(self.sample_rate)
        total = len(self.chunks)
        self.words = [] if self.timed else None
        emitted = 0
        self.ctx.progress(0.0, "synthesizing")
        for i, chunk in enumerate(self.chunks):
            self.ctx.check_cancelled()
            # A chunk starts where the samples emitted so far end: the joiner's held tail is
            # crossfaded with its head (less the few samples cut to a zero crossing).
            ready = joiner.push(self._speak(chunk, emitted / self.sample_rate))
            emitted += ready.size
            self.ctx.progress((i + 1) / total, "synthesizing")
            if ready.size:
                yield ready
        rest = joiner.finish()
        if rest.size:
            yield rest

    def _speak(self, chunk: str, offset: float) -> np.ndarray:
        timed = getattr(self.synthesizer, "synthesize_timed", None)
        if timed is None or self.words is None:
            self.words = None
            return self.synthesizer.synthesize(chunk, self.request.speed)
        audio, words = timed(chunk, self.request.speed)
        self.words = self.words + shifted(words, offset) if words is not None else None
        return audio

    def metadata(self, samples: int) -> dict[str, Any]:
        return {
            "model": self.request.model_name,
            "modelId": self.model_id,
            "durationSeconds": round(samples / self.sample_rate, 3),
            "language": self.language,
            "voiceId": self.voice_id,
            "sampleRate": self.sample_rate,
        }


class VoiceEngineBase:
    """What voice engines share; a family implements `languages`, `voices` and `prepare`."""

    def languages(self, model: ModelEntry) -> list[str]:
        raise NotImplementedError

    def voices(self, model: ModelEntry, ctx: EngineContext | None = None) -> list[str]:
        raise NotImplementedError

    def prepare(self, spec: dict[str, Any], model: ModelEntry, ctx: EngineContext) -> VoiceStream:
        raise NotImplementedError

    def stock_voice(self, model: ModelEntry, language: str) -> str | None:
        """The voice that speaks `language` when none is asked for (None: the model does not speak it)."""
        try:
            pick_language(normalise_language(language), self.languages(model), "")
        except JobError:
            return None
        voices = self.voices(model)
        return voices[0] if voices else None

    def stream(self, spec: dict[str, Any], model: ModelEntry, ctx: EngineContext) -> VoiceStream:
        """Validated and loaded; iterate it for PCM (its `sample_rate` says at what rate)."""
        prepared = self.prepare(spec, model, ctx)
        prepared.chunks = chunk_text(prepared.request.text, prepared.synthesizer.max_chunk_chars, FIRST_CHUNK_CHARS)
        return prepared

    def run(self, spec: dict[str, Any], model: ModelEntry, ctx: EngineContext) -> EngineOutput:
        import numpy as np

        started = time.monotonic()
        prepared = self.stream(spec, model, ctx)
        samples = np.concatenate([np.zeros(0, np.float32), *prepared])
        ctx.progress(0.0, "encoding")
        path = ctx.scratch_dir / OUTPUT_NAME
        write_wav(path, samples, prepared.sample_rate)
        ctx.progress(1.0, "encoding")
        metadata = prepared.metadata(samples.size)
        metadata["durationMs"] = round((time.monotonic() - started) * 1000)
        return EngineOutput(files=[OutputFile(path, "audio/wav", OUTPUT_NAME)], metadata=metadata)


def loaded(ctx: EngineContext, key: str, loader: Any, size: int | None = None) -> Any:
    """A model from the warm cache, loading it as a stage of its own on a miss."""
    ctx.check_cancelled()
    ctx.progress(0.0, "loading")
    value = ctx.runtime.get(key, loader, size)
    ctx.progress(1.0, "loading")
    return value
