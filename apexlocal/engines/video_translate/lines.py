"""The lines of a video's speech: what is translated, spoken and subtitled as one piece.

Whisper's segments can hold several sentences (up to 30 s), so a segment is cut into lines by its
word timings: after a word that ends a sentence, and at a pause longer than MAX_PAUSE_S. A line
runs from its first word's start to its last word's end (a segment's own bounds include the
silence around it), so a translated line can be placed where the original voice begins.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

SENTENCE_END = (".", "!", "?", "…", "。", "！", "？")
MAX_PAUSE_S = 0.7
# Languages written without spaces between words: their words are joined as they are.
UNSPACED = {"zh", "ja", "th", "lo", "km", "my"}

TimedWord = tuple[str, float, float]  # (text, start s, end s)


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


def split_lines(segments: Sequence[SpokenSegment], language: str = "") -> list[Line]:
    """Lines in time order; segments with no text are dropped."""
    lines: list[Line] = []
    for segment in segments:
        words = [(w.strip(), s, e) for w, s, e in segment.words if w.strip()]
        if not words:
            if segment.text.strip():
                lines.append(Line(segment.text.strip(), segment.start, max(segment.end, segment.start)))
            continue
        lines += [Line(_join(g, language), g[0][1], max(g[-1][2], g[0][1])) for g in _groups(words)]
    return sorted(lines, key=lambda line: line.start)


def _groups(words: list[TimedWord]) -> list[list[TimedWord]]:
    groups: list[list[TimedWord]] = [[words[0]]]
    for previous, word in itertools.pairwise(words):
        if previous[0].endswith(SENTENCE_END) or word[1] - previous[2] > MAX_PAUSE_S:
            groups.append([])
        groups[-1].append(word)
    return groups


def _join(words: list[TimedWord], language: str) -> str:
    separator = "" if language.split("-", 1)[0] in UNSPACED else " "
    return separator.join(w for w, _, _ in words)
