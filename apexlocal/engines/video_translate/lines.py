"""The lines of a video's speech: what is translated, spoken and subtitled as one piece.

Whisper's segments can hold several sentences (up to 30 s), so a segment is cut into lines by its
word timings: after a word that ends a sentence, at a pause longer than MAX_PAUSE_S between two
words, and where a voice detector heard a silence of at least MIN_HEARD_PAUSE_S between two
words (Whisper often stretches a word over the pause after it, and leaves out a full stop). A
line runs from its first word's start to its last word's end (a segment's own bounds include the
silence around it), so a translated line can be placed where the original voice begins.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace

SENTENCE_END = (".", "!", "?", "…", "。", "！", "？")
MAX_PAUSE_S = 0.7
MIN_HEARD_PAUSE_S = 0.4
# Languages written without spaces between words: their words are joined as they are.
UNSPACED = {"zh", "ja", "th", "lo", "km", "my"}

TimedWord = tuple[str, float, float]  # (text, start s, end s)
Pause = tuple[float, float]  # (start s, end s) of a silence


@dataclass(frozen=True)
class Line:
    text: str
    start: float  # seconds into the video
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class SpokenSegment:
    """A transcript segment as the lines are made from it (any speech-to-text's segments map here)."""

    text: str
    start: float
    end: float
    words: Sequence[TimedWord] = ()


def split_lines(segments: Sequence[SpokenSegment], language: str = "", silences: Sequence[Pause] = ()) -> list[Line]:
    """Lines in time order; segments with no text are dropped. `silences`: (start, end) of the
    pauses a voice detector heard. Where such a pause separates two lines, the first ends where
    the pause begins and the second starts where it ends."""
    pauses = [p for p in silences if p[1] - p[0] >= MIN_HEARD_PAUSE_S]
    lines: list[Line] = []
    for segment in segments:
        words = [(w.strip(), s, e) for w, s, e in segment.words if w.strip()]
        if words:
            lines += _segment_lines(words, pauses, language)
        elif segment.text.strip():
            lines.append(Line(segment.text.strip(), segment.start, max(segment.end, segment.start)))
    return sorted(lines, key=lambda line: line.start)


def _segment_lines(words: list[TimedWord], pauses: list[Pause], language: str) -> list[Line]:
    groups: list[list[TimedWord]] = [[words[0]]]
    heard: list[Pause | None] = []  # the pause heard after each group but the last
    for previous, word in itertools.pairwise(words):
        pause = next((p for p in pauses if _middle(previous) < (p[0] + p[1]) / 2 < _middle(word)), None)
        if pause is not None or previous[0].endswith(SENTENCE_END) or word[1] - previous[2] > MAX_PAUSE_S:
            groups.append([])
            heard.append(pause)
        groups[-1].append(word)
    lines = [Line(_join(g, language), g[0][1], max(g[-1][2], g[0][1])) for g in groups]
    for i, pause in enumerate(heard):
        if pause is not None:
            before, after = lines[i], lines[i + 1]
            if before.start < pause[0] < before.end:
                lines[i] = replace(before, end=pause[0])
            if after.start < pause[1] < after.end:
                lines[i + 1] = replace(after, start=pause[1])
    return lines


def _middle(word: TimedWord) -> float:
    return (word[1] + word[2]) / 2


def _join(words: list[TimedWord], language: str) -> str:
    separator = "" if language.split("-", 1)[0] in UNSPACED else " "
    return separator.join(w for w, _, _ in words)
