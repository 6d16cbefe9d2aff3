"""Candidate clips: windows of whole sentences (or whole scenes where nothing is said) whose
length is within [minDuration, maxDuration], and the choice of the best that do not overlap.

A speech window starts a little before its first word and ends a little after its last: EDGE_PAD_S
of the silence around them, never more than half the gap to the neighbouring word, so a clip never
starts or ends inside a word. Where a scene cut falls in that silence (within SCENE_SNAP_S of the
word), the edge moves onto the cut instead, so the clip opens or closes on a clean shot change.
A sentence longer than maxDuration is never cut; speech that has no usable sentence windows
(unpunctuated, no pauses) is split at its shorter pauses instead (`phrases`).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from apexlocal.engines.clip.sentences import Sentence, Timed, split_sentences

EDGE_PAD_S = 0.25
SCENE_SNAP_S = 1.0
MAX_OVERLAP_S = 1.0  # two chosen clips share at most this much of the source
PHRASE_PAUSE_S = 0.35


@dataclass(frozen=True)
class Window:
    start: float
    end: float
    sentences: tuple[Sentence, ...] = ()  # empty: a scene-only window (nothing said)

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def words(self) -> list[Timed]:
        return [w for s in self.sentences for w in s.words]

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.sentences)


def speech_windows(
    words: Sequence[Timed], cuts: Sequence[float], min_s: float, max_s: float, duration: float
) -> list[Window]:
    """Windows of whole sentences; phrases (split at pauses) when no sentence window fits."""
    found = _windows(split_sentences(words), cuts, min_s, max_s, duration)
    return found or _windows(phrases(words), cuts, min_s, max_s, duration)


def phrases(words: Sequence[Timed]) -> list[Sentence]:
    out: list[Sentence] = []
    current: list[Timed] = []
    for i, word in enumerate(words):
        current.append(word)
        if i + 1 == len(words) or words[i + 1][1] - word[2] >= PHRASE_PAUSE_S:
            out.append(Sentence(tuple(current)))
            current = []
    return out


def _windows(
    sentences: Sequence[Sentence], cuts: Sequence[float], min_s: float, max_s: float, duration: float
) -> list[Window]:
    out = []
    for i in range(len(sentences)):
        before = sentences[i - 1].end if i > 0 else 0.0
        start = _start_edge(sentences[i].start, before, cuts)
        for j in range(i, len(sentences)):
            after = sentences[j + 1].start if j + 1 < len(sentences) else duration
            end = _end_edge(sentences[j].end, after, cuts)
            if end - start > max_s:
                break
            if end - start >= min_s:
                out.append(Window(start, end, tuple(sentences[i : j + 1])))
    return out


def _start_edge(first: float, before: float, cuts: Sequence[float]) -> float:
    k = bisect.bisect_right(cuts, first) - 1
    if k >= 0 and cuts[k] > before and first - cuts[k] <= SCENE_SNAP_S:
        return cuts[k]
    return max(0.0, first - min(EDGE_PAD_S, max(0.0, first - before) / 2))


def _end_edge(last: float, after: float, cuts: Sequence[float]) -> float:
    k = bisect.bisect_left(cuts, last)
    if k < len(cuts) and cuts[k] < after and cuts[k] - last <= SCENE_SNAP_S:
        return cuts[k]
    return last + min(EDGE_PAD_S, max(0.0, after - last) / 2)


def scene_windows(cuts: Sequence[float], min_s: float, max_s: float, duration: float) -> list[Window]:
    """Runs of whole scenes within [min_s, max_s]; a scene longer than max_s gives pieces of max_s
    from its start (a long static shot has no better place to cut)."""
    bounds = [0.0, *[c for c in cuts if 0 < c < duration], duration]
    out = []
    for i in range(len(bounds) - 1):
        for j in range(i + 1, len(bounds)):
            length = bounds[j] - bounds[i]
            if length > max_s:
                if j == i + 1:
                    count = int(length // max_s)
                    out += [Window(bounds[i] + k * max_s, bounds[i] + (k + 1) * max_s) for k in range(count)]
                break
            if length >= min_s:
                out.append(Window(bounds[i], bounds[j]))
    return out


def pick(windows: Sequence[Window], score: Callable[[Window], float], limit: int) -> list[Window]:
    """The best-scoring windows, at most `limit`, no two overlapping by more than MAX_OVERLAP_S."""
    ranked = sorted(windows, key=lambda w: (-score(w), w.start))
    chosen: list[Window] = []
    for window in ranked:
        if len(chosen) >= limit:
            break
        if all(_overlap(window, c) <= MAX_OVERLAP_S for c in chosen):
            chosen.append(window)
    return chosen


def _overlap(a: Window, b: Window) -> float:
    return max(0.0, min(a.end, b.end) - max(a.start, b.start))
