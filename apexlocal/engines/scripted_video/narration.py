"""The narration of a narrated video: each scene spoken sentence by sentence with a voice engine,
laid out on the video's timeline with pauses, fitted into its maximum duration, with word timings
for the captions.

Speaking sentence by sentence gives each sentence's exact place on the timeline; within a
sentence, words are timed by their length across the stretch where the voice is heard (silence
trimmed by energy), which keeps a caption's highlighted word within a word or two of the voice
for any voice engine and language. A narration longer than the duration first gives up some of
its pauses, then is sped up (pitch kept) by at most MAX_SPEEDUP; past that the job fails.
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
from apexlocal.errors import JobError
from apexlocal.models.manifest import ModelEntry

if TYPE_CHECKING:
    import numpy as np

MIN_PAUSE_SCALE = 0.4
MAX_SPEEDUP = 1.3
SILENCE_RATIO = 0.1  # a 10 ms frame quieter than this share of the loudest one is silence

Word = tuple[str, float, float]


@dataclass
class Narration:
    sample_rate: int
    samples: np.ndarray  # float32 mono, the whole video's length
    scene_spans: list[tuple[float, float]]  # each scene's voice, first word to last, in seconds
    words: list[Word] = field(default_factory=list)
    speed: float = 1.0  # how much the speech was sped up to fit
    voice_id: str = ""

    @property
    def duration(self) -> float:
        return self.samples.shape[0] / self.sample_rate


def narrate(scenes: list[Scene], voice: ModelEntry, voice_spec: dict[str, Any], max_s: float,
            ctx: EngineContext) -> Narration:
    spoken, rate, voice_id = _speak(scenes, voice, voice_spec, ctx)
    spoken, pause_scale, speed = _fit(scenes, spoken, rate, max_s)
    narration = _lay_out(scenes, spoken, rate, pause_scale, max_s)
    narration.speed, narration.voice_id = speed, voice_id
    return narration


def _speak(scenes: list[Scene], voice: ModelEntry, voice_spec: dict[str, Any],
           ctx: EngineContext) -> tuple[list[list[np.ndarray]], int, str]:
    import numpy as np

    engine: Any = get_engine(voice.engine)
    spoken: list[list[np.ndarray]] = []
    rate, voice_id = 0, ""
    for scene in scenes:
        parts = []
        for j, sentence in enumerate(scene.sentences):
            ctx.check_cancelled()
            sub = progress.narrating(ctx, scene.index, len(scenes), j, len(scene.sentences))
            stream = engine.stream({**voice_spec, "text": sentence}, voice, sub)
            parts.append(np.concatenate([np.zeros(0, np.float32), *stream]))
            rate, voice_id = stream.sample_rate, stream.voice_id
        spoken.append(parts)
    return spoken, rate, voice_id


def _fit(scenes: list[Scene], spoken: list[list[np.ndarray]], rate: int,
         max_s: float) -> tuple[list[list[np.ndarray]], float, float]:
    """(speech, pause scale, speed) that fit `max_s`; raises JobError when nothing does."""
    from apexlocal.engines.voice.audio import time_stretch

    speech = sum(part.shape[0] for parts in spoken for part in parts) / rate
    pauses = pauses_seconds(scenes)
    if speech + pauses <= max_s:
        return spoken, 1.0, 1.0
    if speech + pauses * MIN_PAUSE_SCALE <= max_s:
        return spoken, (max_s - speech) / pauses, 1.0
    room = max_s - pauses * MIN_PAUSE_SCALE
    speed = speech / room if room > 0 else math.inf
    if speed > MAX_SPEEDUP:
        raise JobError(f"script: the narration runs {math.ceil(speech + pauses)} s, more than duration "
                       f"{max_s:g}; shorten the script or raise duration")
    # A hair faster than needed: stretched lengths are rounded down, never up.
    stretched = [[time_stretch(part, speed * 1.001, rate) for part in parts] for parts in spoken]
    return stretched, MIN_PAUSE_SCALE, speed


def _lay_out(scenes: list[Scene], spoken: list[list[np.ndarray]], rate: int, pause_scale: float,
             max_s: float) -> Narration:
    import numpy as np

    placed: list[tuple[int, np.ndarray]] = []
    words: list[Word] = []
    spans: list[tuple[float, float]] = []
    t = LEAD_IN_S * pause_scale
    for i, (scene, parts) in enumerate(zip(scenes, spoken)):
        t += SCENE_PAUSE_S * pause_scale if i else 0.0
        first = len(words)
        for j, (sentence, samples) in enumerate(zip(scene.sentences, parts)):
            t += SENTENCE_PAUSE_S * pause_scale if j else 0.0
            offset = round(t * rate)
            placed.append((offset, samples))
            start, end = speech_span(samples, rate)
            words += time_words(sentence, offset / rate + start, offset / rate + end)
            t = (offset + samples.shape[0]) / rate
        spans.append((words[first][1], words[-1][2]) if len(words) > first else (t, t))
    total = max(t, min(t + TAIL_S * pause_scale, max_s))
    track = np.zeros(round(total * rate), np.float32)
    for offset, samples in placed:
        track[offset:offset + samples.shape[0]] = samples[:max(0, track.shape[0] - offset)]
    return Narration(rate, track, spans, words)


def speech_span(samples: np.ndarray, rate: int) -> tuple[float, float]:
    """(start, end) in seconds of where the voice is heard in `samples`."""
    import numpy as np

    frame = max(1, rate // 100)
    count = samples.shape[0] // frame
    if count == 0:
        return 0.0, samples.shape[0] / rate
    rms = np.sqrt(np.mean(samples[:count * frame].reshape(count, frame) ** 2, axis=1))
    loud = np.flatnonzero(rms > max(float(rms.max()) * SILENCE_RATIO, 1e-4))
    if loud.size == 0:
        return 0.0, samples.shape[0] / rate
    return int(loud[0]) * frame / rate, (int(loud[-1]) + 1) * frame / rate


def time_words(sentence: str, start: float, end: float) -> list[Word]:
    """The sentence's words across [start, end], each given time by its length (a word's gap to
    the next counts as one character)."""
    tokens = sentence.split()
    weights = [len(token) + 1 for token in tokens]
    total = sum(weights) or 1
    out, elapsed = [], 0
    for token, weight in zip(tokens, weights):
        a = start + (end - start) * elapsed / total
        elapsed += weight
        b = start + (end - start) * (elapsed - 1) / total
        out.append((token, round(a, 3), round(max(b, a + 0.01), 3)))
    return out
