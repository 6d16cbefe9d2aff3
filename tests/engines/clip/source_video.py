"""Long source videos for the clip tests and the benchmark, made in the test: real English speech
(the packaged Piper voice) on distinct topics, each topic its own shot (a background colour of its
own, so each topic change is a scene cut), and a face (skimage's astronaut) that moves across the
frame and back within each shot. Small frames and a low frame rate keep them quick to make."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from tests.speech import fixed_voice

TOPICS = [
    [
        "Have you ever wondered why the ocean is salty?",
        "Rivers carry tiny amounts of minerals from rocks into the sea.",
        "The water evaporates, but the salt stays behind.",
        "Over millions of years, the salt builds up.",
    ],
    [
        "Bread is one of the oldest foods people make.",
        "You only need flour, water, salt and yeast.",
        "The yeast eats sugar and makes bubbles of gas.",
        "Those bubbles are what make the loaf light and soft.",
    ],
    [
        "Mountain climbing is dangerous and beautiful.",
        "At the top of Everest, the air holds a third of the oxygen we breathe at sea level.",
        "Most climbers carry bottles of oxygen for the last part.",
        "Even so, the cold and the wind can be terrible.",
    ],
    [
        "Here is the secret to keeping houseplants alive.",
        "Most plants die because people give them too much water.",
        "Let the soil dry out before you water again.",
        "Put them near a window, but out of the hot afternoon sun.",
    ],
    [
        "The first computers filled whole rooms.",
        "They used thousands of glass tubes that often burned out.",
        "Today a phone in your pocket is millions of times faster.",
        "That change took only about seventy years.",
    ],
    [
        "Why do cats purr?",
        "Cats purr when they are happy, but also when they are hurt.",
        "The sound may help their bones and muscles heal.",
        "It is an amazing little engine of comfort.",
    ],
]
SIZE = (320, 180)
FPS = 8
RATE = 22_050
SENTENCE_GAP_S = 0.5
TOPIC_GAP_S = 1.4
LEAD_S = 0.6
FACE_PX = 88
COLORS = [(40, 70, 120), (150, 90, 40), (60, 120, 60), (120, 50, 110), (90, 90, 90), (30, 110, 120)]


@dataclass(frozen=True)
class SourceVideo:
    path: Path
    duration: float
    sentences: list[tuple[str, float, float]]  # text, where its voice is first and last heard (s)
    cuts: list[float]  # where each new topic's shot begins


@lru_cache(maxsize=64)
def speak(text: str) -> np.ndarray:
    return np.asarray(fixed_voice().synthesize(text, 1.0), np.float32)


def voiced(audio: np.ndarray, share: float = 0.05) -> tuple[float, float]:
    """Where the voice in `audio` begins and ends (10 ms frames louder than `share` of its loudest), s."""
    frame = RATE // 100
    count = audio.size // frame
    rms = np.sqrt(np.mean(audio[: count * frame].reshape(count, frame) ** 2, axis=1))
    loud = np.flatnonzero(rms > float(rms.max()) * share)
    return int(loud[0]) * frame / RATE, (int(loud[-1]) + 1) * frame / RATE


@lru_cache(maxsize=1)
def face_patch() -> np.ndarray:
    from PIL import Image
    from skimage import data

    face = data.astronaut()[0:300, 100:400]  # the head and shoulders
    return np.asarray(Image.fromarray(face).resize((FACE_PX, FACE_PX), Image.Resampling.LANCZOS))


def face_x(t: float, shot_start: float, shot_end: float) -> float:
    """The face's centre x (pixels) at `t`: across the frame and back once per shot."""
    span = max(shot_end - shot_start, 1e-6)
    phase = (t - shot_start) / span
    low, high = FACE_PX / 2 + 20, SIZE[0] - FACE_PX / 2 - 20
    return low + (high - low) * (1 - math.cos(2 * math.pi * phase)) / 2


def make_source(dest: Path, topics: int = len(TOPICS), rounds: int = 1, speech: bool = True) -> SourceVideo:
    """An H.264 + AAC MP4 of `topics` topics (cycled `rounds` times), one shot each. Without
    `speech` the sound is faint noise and the shots keep the lengths they would have had."""
    from apexlocal.engines import compose as c

    order = [TOPICS[i % len(TOPICS)] for i in range(topics * rounds)]
    pieces: list[tuple[float, np.ndarray]] = []
    sentences, cuts, t = [], [], LEAD_S
    shots: list[tuple[float, int]] = [(0.0, 0)]
    for k, topic in enumerate(order):
        if k:
            cut = t + TOPIC_GAP_S / 2
            cuts.append(round(cut, 3))
            shots.append((cut, k))
            t += TOPIC_GAP_S
        for text in topic:
            audio = speak(text)
            pieces.append((t, audio))
            begin, end = voiced(audio)
            sentences.append((text, round(t + begin, 3), round(t + end, 3)))
            t += audio.size / RATE + SENTENCE_GAP_S
    duration = t + LEAD_S
    track = np.random.default_rng(3).normal(0, 0.0005, int(duration * RATE)).astype(np.float32)
    if speech:
        for at, audio in pieces:
            track[int(at * RATE) : int(at * RATE) + audio.size] += audio
    bounds = [s for s, _ in shots] + [duration]

    def frames() -> Iterator[np.ndarray]:
        patch, frame = face_patch(), np.empty((SIZE[1], SIZE[0], 3), np.uint8)
        shot = 0
        for n in range(int(duration * FPS)):
            now = n / FPS
            while shot + 1 < len(shots) and now >= shots[shot + 1][0]:
                shot += 1
            frame[:] = COLORS[shots[shot][1] % len(COLORS)]
            x = round(face_x(now, bounds[shot], bounds[shot + 1]) - FACE_PX / 2)
            y = (SIZE[1] - FACE_PX) // 2
            frame[y : y + FACE_PX, x : x + FACE_PX] = patch
            yield frame

    clip = c.from_frames(frames, FPS, duration=int(duration * FPS) / FPS, size=SIZE)
    c.compose(
        [c.Segment(clip)],
        dest,
        SIZE,
        fps=FPS,
        audio_tracks=[c.AudioTrack(c.AudioArray(track, RATE), role="effects")],
        audio=c.AudioSettings(loudness_lufs=None, true_peak_db=None, ducking=None),
        encoding=c.EncodeSettings(preset="ultrafast", crf=28),
    )
    return SourceVideo(dest, int(duration * FPS) / FPS, sentences if speech else [], cuts)
