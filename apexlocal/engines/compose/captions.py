"""Caption lines from word timings: words grouped into short lines that read in one glance.

A line ends before a word that would take it past `max_chars`, after a pause longer than `max_gap`
between words, once it has run `max_duration` seconds, or after a word ending a sentence. A line
shows from its first word's start until its last word's end plus `linger` seconds, but never into
the next line's time, so at most one line is on screen.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeGuard

from apexlocal.errors import JobError

Word = tuple[str, float, float]  # (text, start seconds, end seconds)
SENTENCE_END = (".", "!", "?", "…")
Color = tuple[int, int, int]


@dataclass(frozen=True)
class CaptionStyle:
    """How captions look. Sizes scale with the frame, so one style fits every resolution."""

    font_path: str | None = None  # None: a bold sans font found on the system, else Pillow's own
    font_scale: float | None = None  # font size / the frame's short side; None: by orientation
    text_color: Color = (255, 255, 255)
    highlight_color: Color | None = (255, 214, 10)  # the word being spoken; None: no highlight
    outline_color: Color = (0, 0, 0)
    outline: float = 0.08  # outline width / font size
    box_color: Color = (0, 0, 0)
    box_opacity: float = 0.55  # 0: no box, outline only
    position: str = "bottom"  # bottom | center | top, inside the safe area


@dataclass
class Captions:
    """Word timings to draw over the video; `max_chars=None` fits lines to the frame's width."""

    words: Sequence[Sequence[object]]
    style: CaptionStyle = field(default_factory=CaptionStyle)
    max_chars: int | None = None
    max_gap: float = 0.6


@dataclass(frozen=True)
class CaptionLine:
    words: tuple[Word, ...]
    start: float
    end: float

    @property
    def text(self) -> str:
        return " ".join(word for word, _, _ in self.words)

    def active_word(self, t: float) -> int | None:
        """The index of the word being spoken at `t` (the last one started), or None before the first."""
        active = None
        for i, (_, start, _) in enumerate(self.words):
            if start <= t:
                active = i
        return active


def check_words(words: Iterable[Sequence[object]]) -> list[Word]:
    """Word timings validated and sorted by start; raises JobError naming the bad entry."""
    out: list[Word] = []
    for i, item in enumerate(words):
        try:
            text, start, end = item
        except (TypeError, ValueError):
            raise JobError(f"captions[{i}]: must be (word, start, end)") from None
        if not isinstance(text, str):
            raise JobError(f"captions[{i}]: the word must be a string")
        if not (_is_seconds(start) and _is_seconds(end)):
            raise JobError(f"captions[{i}]: start and end must be seconds >= 0")
        if end < start:
            raise JobError(f"captions[{i}]: ends before it starts")
        if text.strip():
            out.append((text.strip(), float(start), float(end)))
    return sorted(out, key=lambda w: w[1])


def _is_seconds(value: object) -> TypeGuard[numbers.Real]:
    return not isinstance(value, bool) and isinstance(value, numbers.Real) and not value < 0


def group_words(
    words: Iterable[Sequence[object]],
    max_chars: int = 32,
    max_gap: float = 0.6,
    max_duration: float = 3.5,
    linger: float = 0.4,
) -> list[CaptionLine]:
    """Caption lines from [(word, start, end), ...] (see the module docstring)."""
    checked = check_words(words)
    groups: list[list[Word]] = []
    current: list[Word] = []
    for word in checked:
        if current and _breaks_before(current, word, max_chars, max_gap, max_duration):
            groups.append(current)
            current = []
        current.append(word)
    if current:
        groups.append(current)
    lines = []
    for i, group in enumerate(groups):
        end = group[-1][2] + linger
        if i + 1 < len(groups):
            end = min(end, groups[i + 1][0][1])
        lines.append(CaptionLine(tuple(group), group[0][1], max(end, group[0][1] + 0.01)))
    return lines


def _breaks_before(current: list[Word], word: Word, max_chars: int, max_gap: float, max_duration: float) -> bool:
    text_length = sum(len(w[0]) for w in current) + len(current) - 1
    if text_length + 1 + len(word[0]) > max_chars:
        return True
    if word[1] - current[-1][2] > max_gap:
        return True
    if word[2] - current[0][1] > max_duration:
        return True
    return current[-1][0].endswith(SENTENCE_END)


def line_at(lines: Sequence[CaptionLine], t: float) -> CaptionLine | None:
    """The line on screen at `t`, if any (lines are sorted and do not overlap)."""
    import bisect

    i = bisect.bisect_right([line.start for line in lines], t) - 1
    if i >= 0 and lines[i].start <= t < lines[i].end:
        return lines[i]
    return None
