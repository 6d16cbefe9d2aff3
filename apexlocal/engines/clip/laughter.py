"""Laughter heard in the source, found two ways, each with its time.

transcript  Whisper sometimes writes non-speech sounds as text: "(laughs)", "[laughter]",
            "*laughing*", "haha", "hahaha". Those words are collected as they are; how often
            Whisper writes them depends on the model and on its suppression of symbols (the
            faster-whisper default suppresses most brackets, so "haha" is the usual form).
sound       an approximate acoustic detector on the fine loudness envelope (ENVELOPE_S blocks):
            a run of at least MIN_PEAKS short peaks, each PEAK_RISE_DB above the dips around it,
            spaced 1/8 to 1/3 s apart (the 3-8 Hz rhythm of "ha-ha-ha"), where no word was heard.
            It is a rhythm test, not a classifier: rhythmic non-speech sounds (clapping, a
            bouncing ball, some music) can pass it, and laughter over speech is not found.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from apexlocal.engines.clip.sentences import Timed

ENVELOPE_S = 0.025  # the fine loudness envelope's block (40 a second)
MIN_PEAKS = 3
PEAK_SPACING_S = (0.125, 1 / 3)  # 8 Hz .. 3 Hz
PEAK_RISE_DB = 6.0
PEAK_FLOOR_DB = -45.0  # a peak quieter than this is not heard as a laugh
WORD_MARGIN_S = 0.1  # a burst this close to a heard word is taken as speech
MERGE_S = 1.0  # events closer than this are one laugh
_MARKER = re.compile(r"^[\(\[\*]+\s*(laugh(s|ing|ter)?|chuckles?|chuckling|giggles?|giggling)\s*[\)\]\*]+$")
_HAHA = re.compile(r"^(ha){2,}h?$|^(he){3,}$")
_PUNCT = re.compile(r"[.,!?;:\"'…]+")


@dataclass(frozen=True)
class Laugh:
    time: float  # seconds in the source, where the laugh starts
    source: str  # "transcript" or "sound"


def is_laugh_word(word: str) -> bool:
    text = _PUNCT.sub("", word.strip().lower())
    return bool(_MARKER.match(text) or _HAHA.match(text.replace("-", "")))


def transcript_laughs(words: Sequence[Timed]) -> list[Laugh]:
    return [Laugh(round(start, 3), "transcript") for text, start, _ in words if is_laugh_word(text)]


def sound_laughs(envelope: Any, words: Sequence[Timed]) -> list[Laugh]:
    """Bursts of MIN_PEAKS+ peaks at 3-8 Hz in `envelope` (dB per ENVELOPE_S) away from every word."""
    if envelope is None or len(envelope) < 3:
        return []
    peaks = _peaks(envelope)
    spoken = [(s - WORD_MARGIN_S, e + WORD_MARGIN_S) for text, s, e in words if not is_laugh_word(text)]
    starts = [s for s, _ in spoken]
    out: list[Laugh] = []
    run: list[float] = []
    for t in [*peaks, float("inf")]:
        if run and PEAK_SPACING_S[0] <= t - run[-1] <= PEAK_SPACING_S[1]:
            run.append(t)
            continue
        if len(run) >= MIN_PEAKS and not _overlaps_speech(run[0], run[-1], spoken, starts):
            out.append(Laugh(round(run[0], 3), "sound"))
        run = [t]
    return out


def find_laughs(words: Sequence[Timed], envelope: Any) -> list[Laugh]:
    """Both kinds, by time; a sound burst within MERGE_S of a written laugh is the same laugh."""
    found = sorted(transcript_laughs(words) + sound_laughs(envelope, words), key=lambda x: (x.time, x.source))
    merged: list[Laugh] = []
    for laugh in found:
        if merged and laugh.time - merged[-1].time < MERGE_S:
            continue
        merged.append(laugh)
    return merged


def _peaks(envelope: Any) -> list[float]:
    """Times of blocks louder than both neighbours and PEAK_RISE_DB above the lowest block within
    half the longest spacing on each side (a syllable-like bump, not a steady sound)."""
    import numpy as np

    env = np.asarray(envelope, np.float32)
    reach = max(1, int(PEAK_SPACING_S[1] / 2 / ENVELOPE_S))
    padded = np.pad(env, reach, constant_values=np.inf)
    lows = np.lib.stride_tricks.sliding_window_view(padded, reach)  # lows[j]: min of padded[j : j+reach]
    low = lows.min(axis=1)
    index = np.arange(1, env.size - 1)
    v = env[index]
    left, right = low[index], low[index + reach + 1]  # env[i-reach : i] and env[i+1 : i+1+reach]
    keep = (v >= PEAK_FLOOR_DB) & (v > env[index - 1]) & (v >= env[index + 1])
    keep &= (v - left >= PEAK_RISE_DB) & (v - right >= PEAK_RISE_DB)
    return [float(i * ENVELOPE_S) for i in index[keep]]


def _overlaps_speech(start: float, end: float, spoken: list[tuple[float, float]], starts: list[float]) -> bool:
    k = bisect.bisect_right(starts, end)
    return any(s <= end and e >= start for s, e in spoken[max(0, k - 50) : k])


def clock(seconds: float) -> str:
    """0:42, 12:05, 1:02:09."""
    total = int(seconds)
    h, m, s = total // 3600, total % 3600 // 60, total % 60
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
