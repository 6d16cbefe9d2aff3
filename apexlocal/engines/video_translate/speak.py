"""Speaking the translated lines, one voice-engine stream per line, through the same voice path as
voice jobs and narrated videos: a stock voice of the target language, or (preserveOriginalVoice)
the voice-cloning engine conditioned on a clip of the video's own speech (`reference`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexlocal.engines.base import EngineContext
from apexlocal.engines.registry import get_engine
from apexlocal.models.manifest import ModelEntry

if TYPE_CHECKING:
    import numpy as np

STAGE = "voice"


@dataclass
class SpokenLines:
    audio: list[np.ndarray]  # float32 mono per line, at sample_rate
    sample_rate: int
    voice_id: str
    model: ModelEntry


def speak_lines(
    ctx: EngineContext,
    texts: list[str],
    language: str,
    model: ModelEntry,
    *,
    voice_id: str | None = None,
    reference: Path | None = None,
    reference_text: str = "",
) -> SpokenLines:
    """Each of `texts` spoken by `model`: its stock `voice_id`, or the voice of the `reference`
    clip (a voice-cloning model). Empty lines give no samples; cancel is checked between lines."""
    import numpy as np

    engine: Any = get_engine(model.engine)
    base: dict[str, Any] = {"language": language, "speed": 1.0}
    if reference is not None:
        base["clonedVoice"] = {"clipPath": str(reference), "transcript": reference_text}
    elif voice_id is not None:
        base["voiceId"] = voice_id
    audio: list[np.ndarray] = []
    rate, spoken_as = 0, voice_id or "cloned"
    for i, text in enumerate(texts):
        ctx.check_cancelled()
        ctx.progress(i / max(len(texts), 1), STAGE)
        if not text.strip():
            audio.append(np.zeros(0, np.float32))
            continue
        stream = engine.stream({**base, "text": text}, model, _line_ctx(ctx, i, len(texts)))
        audio.append(np.concatenate([np.zeros(0, np.float32), *stream]).astype(np.float32))
        rate, spoken_as = stream.sample_rate, stream.voice_id
    ctx.progress(1.0, STAGE)
    if rate == 0:  # every line was empty: the rate of a line never spoken does not matter
        rate = 24_000
    return SpokenLines(audio, rate, spoken_as, model)


def _line_ctx(ctx: EngineContext, index: int, count: int) -> EngineContext:
    def progress(fraction: float, _inner: str) -> None:
        ctx.progress((index + min(max(fraction, 0.0), 1.0)) / count, STAGE)

    return replace(ctx, progress=progress)
