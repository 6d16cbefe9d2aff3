"""The narration of a narrated video: each scene spoken sentence by sentence with a voice engine,
laid out on the video's timeline with pauses, fitted into its maximum duration, with word timings
for the captions.

Speaking sentence by sentence gives each sentence's exact place on the timeline. Within a
sentence, words are timed from the speech itself (`word_timing`): by the voice model's own phoneme
durations where it reports them, else by aligning the script to Whisper's words. A narration
longer than the duration first gives up some of its pauses, then is sped up (pitch kept) by at
most MAX_SPEEDUP, its word times with it; past that the job fails.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from apexlocal.engines.base import EngineContext
from apexlocal.engines.registry import get_engine
from apexlocal.engines.scripted_video import progress
from apexlocal.engines.scripted_video.scenes import (
    LEAD_IN_S,
    SCENE_PAUSE_S,
    SENTENCE_PAUSE_S,
    TAIL_S,
    Scene,
    pauses_seconds,
)
from apexlocal.engines.scripted_video.word_timing import MODES, Sentence, time_captions
from apexlocal.engines.speech_to_text.align import Timed
from apexlocal.engines.voice.timing import shifted
from apexlocal.errors import JobError
from apexlocal.models.manifest import ModelEntry

if TYPE_CHECKING:
    import numpy as np

MIN_PAUSE_SCALE = 0.4
MAX_SPEEDUP = 1.3
SILENCE_RATIO = 0.1  # a 10 ms frame quieter than this share of the loudest one is silence

Word = tuple[str, float, float]


@dataclass
class Spoken:
    """One sentence as the voice spoke it."""

    text: str
    samples: np.ndarray
    words: list[Timed] | None  # from the voice model's durations, in seconds into `samples`


@dataclass
class Narration:
    sample_rate: int
    samples: np.ndarray  # float32 mono, the whole video's length
    scene_spans: list[tuple[float, float]]  # each scene's voice, first word to last, in seconds
    words: list[Word] = field(default_factory=list)
    speed: float = 1.0  # how much the speech was sped up to fit
    voice_id: str = ""
    timing: str = ""  # what timed the words (see word_timing.Timing.source); "" without words
    sentences: list[Sentence] = field(default_factory=list)  # where each sentence lies

    @property
    def duration(self) -> float:
        return self.samples.shape[0] / self.sample_rate


def narrate(
    scenes: list[Scene],
    voice: ModelEntry,
    voice_spec: dict[str, Any],
    max_s: float,
    ctx: EngineContext,
    timing: str = "speech",
) -> Narration:
    """`timing` (one of word_timing.MODES) decides how caption words are timed; "none" leaves
    `words` empty."""
    if timing not in MODES:
        raise ValueError(f"timing must be one of {MODES}")
    spoken, rate, voice_id, language = _speak(scenes, voice, voice_spec, ctx, timed=timing == "speech")
    spoken, pause_scale, speed = _fit(scenes, spoken, rate, max_s)
    narration = _lay_out(spoken, rate, pause_scale, max_s)
    narration.speed, narration.voice_id = speed, voice_id
    if timing != "none":
        timed = time_captions(narration.sentences, narration.samples, rate, language, ctx)
        narration.words, narration.timing = timed.words, timed.source
    return narration


def _speak(
    scenes: list[Scene], voice: ModelEntry, voice_spec: dict[str, Any], ctx: EngineContext, timed: bool
) -> tuple[list[list[Spoken]], int, str, str]:
    import numpy as np

    engine: Any = get_engine(voice.engine)
    spoken: list[list[Spoken]] = []
    rate, voice_id, language = 0, "", ""
    for scene in scenes:
        parts = []
        for j, sentence in enumerate(scene.sentences):
            ctx.check_cancelled()
            sub = progress.narrating(ctx, scene.index, len(scenes), j, len(scene.sentences))
            stream = engine.stream({**voice_spec, "text": sentence}, voice, sub)
            stream.timed = timed
            samples = np.concatenate([np.zeros(0, np.float32), *stream])
            words = stream.words if timed else None
            # The voice's words must be the sentence's: a word cut in two by chunking is not.
            if words is not None and len(words) != len(sentence.split()):
                words = None
            parts.append(Spoken(sentence, samples, words))
            rate, voice_id, language = stream.sample_rate, stream.voice_id, stream.language
        spoken.append(parts)
    return spoken, rate, voice_id, language


def _fit(
    scenes: list[Scene], spoken: list[list[Spoken]], rate: int, max_s: float
) -> tuple[list[list[Spoken]], float, float]:
    """(speech, pause scale, speed) that fit `max_s`; raises JobError when nothing does."""
    speech = sum(part.samples.shape[0] for parts in spoken for part in parts) / rate
    pauses = pauses_seconds(scenes)
    if speech + pauses <= max_s:
        return spoken, 1.0, 1.0
    if speech + pauses * MIN_PAUSE_SCALE <= max_s:
        return spoken, (max_s - speech) / pauses, 1.0
    room = max_s - pauses * MIN_PAUSE_SCALE
    speed = speech / room if room > 0 else math.inf
    if speed > MAX_SPEEDUP:
        raise JobError(
            f"script: the narration runs {math.ceil(speech + pauses)} s, more than duration "
            f"{max_s:g}; shorten the script or raise duration"
        )
    # A hair faster than needed: stretched lengths are rounded down, never up.
    return [[_stretch(part, speed * 1.001, rate) for part in parts] for parts in spoken], MIN_PAUSE_SCALE, speed


def _stretch(part: Spoken, factor: float, rate: int) -> Spoken:
    from apexlocal.engines.voice.audio import time_stretch

    samples = time_stretch(part.samples, factor, rate)
    scale = samples.shape[0] / max(part.samples.shape[0], 1)
    return Spoken(part.text, samples, shifted(part.words, 0.0, scale) if part.words is not None else None)


def _lay_out(spoken: list[list[Spoken]], rate: int, pause_scale: float, max_s: float) -> Narration:
    import numpy as np

    placed: list[tuple[int, np.ndarray]] = []
    sentences: list[Sentence] = []
    spans: list[tuple[float, float]] = []
    t = LEAD_IN_S * pause_scale
    for i, parts in enumerate(spoken):
        t += SCENE_PAUSE_S * pause_scale if i else 0.0
        first = len(sentences)
        for j, part in enumerate(parts):
            t += SENTENCE_PAUSE_S * pause_scale if j else 0.0
            offset = round(t * rate)
            placed.append((offset, part.samples))
            start, end = speech_span(part.samples, rate)
            at = offset / rate
            words = shifted(part.words, at) if part.words is not None else None
            sentences.append(Sentence(part.text, (round(at + start, 3), round(at + end, 3)), words))
            t = (offset + part.samples.shape[0]) / rate
        spans.append((sentences[first].span[0], sentences[-1].span[1]) if len(sentences) > first else (t, t))
    total = max(t, min(t + TAIL_S * pause_scale, max_s))
    track = np.zeros(round(total * rate), np.float32)
    for offset, samples in placed:
        track[offset : offset + samples.shape[0]] = samples[: max(0, track.shape[0] - offset)]
    return Narration(rate, track, spans, sentences=sentences)


def speech_span(samples: np.ndarray, rate: int) -> tuple[float, float]:
    """(start, end) in seconds of where the voice is heard in `samples`."""
    import numpy as np

    frame = max(1, rate // 100)
    count = samples.shape[0] // frame
    if count == 0:
        return 0.0, samples.shape[0] / rate
    rms = np.sqrt(np.mean(samples[: count * frame].reshape(count, frame) ** 2, axis=1))
    loud = np.flatnonzero(rms > max(float(rms.max()) * SILENCE_RATIO, 1e-4))
    if loud.size == 0:
        return 0.0, samples.shape[0] / rate
    return int(loud[0]) * frame / rate, (int(loud[-1]) + 1) * frame / rate
