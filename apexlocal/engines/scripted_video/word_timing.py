"""When each word of a narration is spoken, for its captions: taken from the speech itself.

A sentence whose voice model reports its phoneme durations (Piper, Kokoro) is timed by them
(`voice.timing`): that is where the model put each word. Every other sentence (a cloned voice, a
voice whose model has no duration output) is timed by forced alignment with Whisper: the whole
narration is transcribed once with word timestamps, the script's words are paired with the heard
words by sequence alignment, and a word Whisper missed shares, by length, the time between its
paired neighbours (`speech_to_text.align`). Only where Whisper cannot hear the language (the
English-only model and another language) are a sentence's words spread by their length across
its voiced stretch. `Timing.source` says which of these timed a narration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from apexlocal.engines.base import EngineContext
from apexlocal.engines.scripted_video import progress
from apexlocal.engines.speech_to_text.align import Timed, align, spread

if TYPE_CHECKING:
    import numpy as np

STAGE = "timing captions"
# Where the timings of a narration's words may come from: the voice's durations wherever it has
# them, else Whisper ("speech"); Whisper for every sentence ("whisper"); none: no captions.
MODES = ("speech", "whisper", "none")
SOURCES = ("voice", "whisper", "length")  # in the order `Timing.source` names them


@dataclass
class Sentence:
    """One spoken sentence where it lies on the narration's timeline."""

    text: str
    span: tuple[float, float]  # where its voice is heard, in seconds on the timeline
    words: list[Timed] | None  # from the voice's durations, on the timeline; None: not known


@dataclass
class Timing:
    words: list[Timed]
    source: str  # "voice", "whisper", "length", or several joined by "+"


def time_captions(sentences: list[Sentence], track: np.ndarray, rate: int, language: str, ctx: EngineContext) -> Timing:
    """Every sentence's words timed: by the voice where it reported them, else by Whisper."""
    untimed = [s for s in sentences if s.words is None]
    aligned = _whisper_times(untimed, track, rate, language, ctx) if untimed else None
    words: list[Timed] = []
    used: set[str] = set()
    pending = iter(aligned or [])
    for sentence in sentences:
        if sentence.words is not None:
            words += sentence.words
            used.add("voice")
        elif aligned is not None:
            words += [next(pending) for _ in sentence.text.split()]
            used.add("whisper")
        else:
            words += by_length(sentence.text, *sentence.span)
            used.add("length")
    return Timing(words, "+".join(s for s in SOURCES if s in used))


def _whisper_times(
    sentences: list[Sentence], track: np.ndarray, rate: int, language: str, ctx: EngineContext
) -> list[Timed] | None:
    """The sentences' words in order, aligned to Whisper's words in `track`; None when the
    speech-to-text model does not transcribe `language`."""
    from apexlocal.engines.speech_to_text.whisper import FasterWhisperEngine, speaks, transcribe_samples

    ctx.check_cancelled()
    stage = progress.renamed(ctx, STAGE)
    model = FasterWhisperEngine.load(ctx.manifest.default_for("speech-to-text"), stage)
    if not speaks(model, language):
        return None
    stage.progress(0.0, STAGE)
    heard = transcribe_samples(model, track, rate, language).words
    stage.progress(1.0, STAGE)
    words = [w for s in sentences for w in s.text.split()]
    bounds = [s.span for s in sentences for _ in s.text.split()]
    return align(words, [(w, a, b) for w, a, b, _ in heard], bounds)


def by_length(sentence: str, start: float, end: float) -> list[Timed]:
    """The sentence's words spread across [start, end] by their length: only for speech nothing
    can time."""
    return [(w, round(a, 3), round(max(b, a + 0.01), 3)) for w, a, b in spread(sentence.split(), start, end)]
