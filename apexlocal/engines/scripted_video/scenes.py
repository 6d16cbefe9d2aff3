"""Scenes of a narrated video: the script's sentences grouped into stretches of about one video
clip, and how long narrating them takes.

The estimate counts words at the voice's pace (`defaults.words_per_minute` of its manifest entry,
measured on the real voice) plus the pauses the narration puts between sentences and scenes. It
is what a request is checked against before it is charged; the engine measures the real
narration and fits it into the duration (see `narration`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from apexlocal.engines.voice.text import split_sentences
from apexlocal.models.manifest import ModelEntry

SCENE_TARGET_S = 4.0  # of speech: with its pauses and crossfades, about one clip of the video models (5 s)
MAX_SCENES = 12
# English narration, a little slower than most voices speak: an estimate errs towards refusing.
DEFAULT_WORDS_PER_MINUTE = 160.0
LEAD_IN_S = 0.3  # silence before the first word
SENTENCE_PAUSE_S = 0.15  # added between sentences of a scene
SCENE_PAUSE_S = 0.5  # between scenes: where the pictures crossfade
TAIL_S = 0.6  # after the last word


@dataclass(frozen=True)
class Scene:
    index: int  # 1-based
    sentences: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


def words_per_minute(voice: ModelEntry) -> float:
    value = voice.defaults.get("words_per_minute")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    return DEFAULT_WORDS_PER_MINUTE


def speech_seconds(text: str, wpm: float) -> float:
    return len(text.split()) * 60.0 / wpm


def split_scenes(script: str, wpm: float) -> list[Scene]:
    """Consecutive sentences grouped so that each scene runs about SCENE_TARGET_S: a sentence
    joins the scene its middle falls in. A long sentence is a scene of its own, however long."""
    sentences = split_sentences(script) or [" ".join(script.split())]
    lengths = [max(speech_seconds(s, wpm), 0.1) for s in sentences]
    total = sum(lengths)
    count = max(1, min(round(total / SCENE_TARGET_S), len(sentences), MAX_SCENES))
    share = total / count
    groups: dict[int, list[str]] = {}
    elapsed = 0.0
    for sentence, length in zip(sentences, lengths, strict=True):
        slot = min(count - 1, int((elapsed + length / 2) / share))
        groups.setdefault(slot, []).append(sentence)
        elapsed += length
    return [Scene(i, tuple(group)) for i, group in enumerate(groups.values(), start=1)]


def pauses_seconds(scenes: list[Scene]) -> float:
    sentences = sum(len(scene.sentences) for scene in scenes)
    return LEAD_IN_S + TAIL_S + (len(scenes) - 1) * SCENE_PAUSE_S + (sentences - len(scenes)) * SENTENCE_PAUSE_S


def estimate_seconds(script: str, wpm: float) -> float:
    """The narrated video's length: the words at `wpm`, and the pauses."""
    scenes = split_scenes(script, wpm)
    return sum(speech_seconds(s.text, wpm) for s in scenes) + pauses_seconds(scenes)


def estimate_message(script: str, wpm: float, duration: float) -> str | None:
    """The 400 message when the script needs more than `duration` seconds, else None."""
    needed = estimate_seconds(script, wpm)
    if needed <= duration:
        return None
    return f"script: needs about {math.ceil(needed)} s of narration, more than duration {duration:g}"
