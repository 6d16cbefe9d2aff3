"""Known words timed by heard ones: a script aligned to a recogniser's words (forced alignment by
sequence alignment), or a voice's text to the phoneme words it spoke.

The script's words and the heard words are compared by a key (`word_key`: lower case, letters and
digits only, so "Town," matches "town"); the longest common subsequence of keys pairs them, and a
paired script word takes its heard word's times. Script words left unpaired (the recogniser missed
or misheard them) share, by length, the time between their paired neighbours, never reaching past
their sentence's bounds. Pure Python: no model, no heavy import.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence

Timed = tuple[str, float, float]  # (word, start s, end s)
BOUND_SLACK_S = 0.2  # how far outside its sentence's voiced stretch a heard word may be centred


def word_key(word: str) -> str:
    """What two spellings of one word share: "Don't," and "don't" both give "dont"."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if ch.isalnum())


def match(keys: Sequence[str], heard: Sequence[str]) -> list[int | None]:
    """For each of `keys`, the index in `heard` it is paired with (a longest common subsequence
    of equal, non-empty keys), or None."""
    n, m = len(keys), len(heard)
    # best[i][j]: pairs in keys[i:] and heard[j:]; filled backwards so the walk below goes forwards.
    best = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        row, below = best[i], best[i + 1]
        for j in range(m - 1, -1, -1):
            if keys[i] and keys[i] == heard[j]:
                row[j] = below[j + 1] + 1
            else:
                row[j] = max(below[j], row[j + 1])
    pairs: list[int | None] = [None] * n
    i = j = 0
    while i < n and j < m:
        if keys[i] and keys[i] == heard[j] and best[i][j] == best[i + 1][j + 1] + 1:
            pairs[i] = j
            i, j = i + 1, j + 1
        elif best[i + 1][j] >= best[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs


def align(
    words: Sequence[str],
    heard: Sequence[Timed],
    bounds: Sequence[tuple[float, float]],
    key: Callable[[str], str] = word_key,
    heard_key: Callable[[str], str] | None = None,
) -> list[Timed]:
    """`words` timed by `heard`. `bounds[i]` is where word i may be (its sentence's voiced
    stretch): unpaired words are spread by length between their paired neighbours within it."""
    heard_key = heard_key or key
    pairs = match([key(w) for w in words], [heard_key(h[0]) for h in heard])
    times: list[tuple[float, float] | None] = [
        (heard[p][1], heard[p][2]) if p is not None and _within(heard[p], bounds[i]) else None
        for i, p in enumerate(pairs)
    ]
    for first, last in _unpaired_runs(times, bounds):
        start = max(_end_before(times, first), bounds[first][0])
        end = min(_start_after(times, last), bounds[last][1])
        for i, (_, a, b) in enumerate(spread(words[first : last + 1], start, max(start, end)), start=first):
            times[i] = (a, b)
    return [(w, round(t[0], 3), round(t[1], 3)) for w, t in zip(words, times, strict=True) if t is not None]


def spread(words: Sequence[str], start: float, end: float) -> list[Timed]:
    """`words` across [start, end], each given time by its length (a word's gap to the next
    counts as one character): the timing of words nothing else times."""
    weights = [len(word) + 1 for word in words]
    total = sum(weights) or 1
    out, elapsed = [], 0
    for word, weight in zip(words, weights, strict=True):
        a = start + (end - start) * elapsed / total
        elapsed += weight
        b = start + (end - start) * (elapsed - 1) / total
        out.append((word, a, max(a, b)))
    return out


def _within(word: Timed, bound: tuple[float, float]) -> bool:
    """Whether a heard word lies in the sentence it was paired into: a common word ("the") may
    pair across a sentence boundary when the recogniser missed it in its own sentence."""
    middle = (word[1] + word[2]) / 2
    return bound[0] - BOUND_SLACK_S <= middle <= bound[1] + BOUND_SLACK_S


def _unpaired_runs(
    times: list[tuple[float, float] | None], bounds: Sequence[tuple[float, float]]
) -> list[tuple[int, int]]:
    """(first, last) of each run of untimed words within one bound (one sentence)."""
    runs: list[tuple[int, int]] = []
    for i, t in enumerate(times):
        if t is not None:
            continue
        if runs and runs[-1][1] == i - 1 and bounds[i] == bounds[i - 1]:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _end_before(times: list[tuple[float, float] | None], i: int) -> float:
    return next((t[1] for t in reversed(times[:i]) if t is not None), 0.0)


def _start_after(times: list[tuple[float, float] | None], i: int) -> float:
    return next((t[0] for t in times[i + 1 :] if t is not None), float("inf"))
