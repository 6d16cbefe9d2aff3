"""The features a person can read, each scored 0..1, and the score 1-10 they make together.

    hook      the first HOOK_S seconds: a question, the listener addressed ("you"), a number or a
              strong word; speech starting at once. Without speech: a cut or a loud start.
    complete  whole sentences, ending on sentence punctuation (a pause-only ending counts less).
    words     emotional and concrete words (small English lists, numbers, names) per word spoken.
    pace      words per minute: PACE_BEST is best, falling off towards PACE_ZERO.
    energy    the window's voiced loudness against the whole video's median.
    face      the share of sampled frames with a face.
    cuts      (scene-only windows) shot changes per minute: something happens.
    laughter  laughter heard (laughter.py): 1 when a laugh starts in the window's last PAYOFF_SHARE
              or within PAYOFF_AFTER_S after its end (the payoff), 0.5 when earlier inside it.

Weights are in WEIGHTS (speech) and SCENE_WEIGHTS (nothing said); laughter is a bonus on top
(LAUGH_BONUS x its score added to the weighted mean, capped at 1), so a window without laughter
scores as it would without the detector. The word lists are English; in
another language only numbers and capitalised names count as concrete words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from apexlocal.engines.clip.laughter import clock
from apexlocal.engines.clip.moments import Window
from apexlocal.engines.clip.signals import Signals

HOOK_S = 3.0
PACE_BEST = (140.0, 200.0)  # words per minute
PACE_ZERO = (60.0, 280.0)
WEIGHTS = {"hook": 0.25, "complete": 0.2, "words": 0.15, "pace": 0.15, "energy": 0.15, "face": 0.1}
SCENE_WEIGHTS = {"hook": 0.3, "complete": 0.2, "energy": 0.2, "face": 0.15, "cuts": 0.15}
LAUGH_BONUS = 0.1
PAYOFF_SHARE = 1 / 3
PAYOFF_AFTER_S = 1.0  # a laugh just after the last word is the payoff the clip leads to
HOOK_WORDS = frozenset(
    "secret never why how imagine stop truth mistake best worst nobody everyone biggest surprising crazy".split()
)
EMOTIONAL_WORDS = frozenset(
    "love hate amazing incredible terrible awful beautiful fear afraid scared angry happy sad "
    "shocked shocking wow crazy insane wonderful horrible excited exciting painful proud "
    "dangerous brilliant disaster huge powerful beautiful laugh cry heart dream".split()
)
_WORD = re.compile(r"[^\w']+")


@dataclass(frozen=True)
class Features:
    scores: dict[str, float]  # feature -> 0..1
    reasons: list[str]
    score: float  # 1..10, one decimal


def _clean(word: str) -> str:
    return _WORD.sub("", word.lower())


def measure(window: Window, signals: Signals, median_db: float | None) -> Features:
    scores: dict[str, float] = {}
    good: list[str] = []
    weak: list[str] = []
    speech = bool(window.sentences)
    if speech:
        _hook(window, scores, good, weak)
        _complete(window, scores, good, weak)
        _words(window, scores, good)
        _pace(window, scores, good, weak)
    else:
        _scene_hook(window, signals, scores, good, weak)
        scores["complete"] = 1.0
        good.append("Whole shots: starts and ends on a scene change")
        cuts = len(signals.cuts_in(window.start, window.end)) / max(window.duration / 60, 1e-6)
        scores["cuts"] = min(1.0, cuts / 12)
        (good if cuts >= 6 else weak).append(f"{cuts:.0f} shot changes per minute")
    _energy(window, signals, median_db, scores, good, weak)
    _face(window, signals, scores, good, weak)
    _laughter(window, signals, scores, good)
    weights = WEIGHTS if speech else SCENE_WEIGHTS
    total = sum(weights.values())
    value = sum(weights[k] * scores.get(k, 0.0) for k in weights) / total
    value = min(1.0, value + LAUGH_BONUS * scores["laughter"])
    return Features(scores, good + weak, round(1 + 9 * value, 1))


def _hook(window: Window, scores: dict[str, float], good: list[str], weak: list[str]) -> None:
    opening = [w for w in window.words if w[1] < window.start + HOOK_S]
    words = [_clean(w[0]) for w in opening]
    first = window.sentences[0]
    quoted = " ".join(w[0] for w in opening)
    if first.text.rstrip().endswith("?") and first.end - window.start <= 2 * HOOK_S:
        scores["hook"] = 1.0
        good.append(f"Hook: opens with a question in the first seconds (“{first.text}”)")
    elif any(w in ("you", "your", "you're") for w in words):
        scores["hook"] = 0.85
        good.append(f"Hook: speaks to the viewer in the first {HOOK_S:g} s (“{quoted}”)")
    elif any(w in HOOK_WORDS or w.isdigit() for w in words):
        scores["hook"] = 0.8
        good.append(f"Hook: a strong opening word in the first {HOOK_S:g} s (“{quoted}”)")
    elif opening and opening[0][1] - window.start <= 1.0:
        scores["hook"] = 0.5
    else:
        scores["hook"] = 0.2
        weak.append(f"Weak hook: little is said in the first {HOOK_S:g} s")


def _complete(window: Window, scores: dict[str, float], good: list[str], weak: list[str]) -> None:
    count = len(window.sentences)
    if window.sentences[-1].closed:
        scores["complete"] = 1.0
        good.append(f"A complete thought: {count} whole sentence{'s' if count > 1 else ''}")
    else:
        scores["complete"] = 0.6
        weak.append("Ends on a pause rather than the end of a sentence")


def _words(window: Window, scores: dict[str, float], good: list[str]) -> None:
    words = window.words
    hits: list[str] = []
    for i, (text, _, _) in enumerate(words):
        clean = _clean(text)
        named = i > 0 and text[:1].isupper() and not words[i - 1][0].rstrip().endswith((".", "!", "?"))
        if clean in EMOTIONAL_WORDS or any(ch.isdigit() for ch in clean) or (named and len(clean) > 2):
            hits.append(text.strip(".,!?;:\"'"))
    scores["words"] = min(1.0, 8 * len(hits) / max(len(words), 1))
    if hits:
        unique = list(dict.fromkeys(hits))[:3]
        shown = ", ".join(f"“{h}”" for h in unique)
        good.append(f"Emotional or concrete words: {shown}")


def _pace(window: Window, scores: dict[str, float], good: list[str], weak: list[str]) -> None:
    spoken = window.words
    minutes = max(window.duration, 1e-6) / 60
    wpm = len(spoken) / minutes
    low, high = PACE_BEST
    if low <= wpm <= high:
        scores["pace"] = 1.0
        good.append(f"Lively pace: {wpm:.0f} words per minute")
    elif wpm < low:
        scores["pace"] = max(0.0, (wpm - PACE_ZERO[0]) / (low - PACE_ZERO[0]))
        weak.append(f"Slow pace: {wpm:.0f} words per minute")
    else:
        scores["pace"] = max(0.0, (PACE_ZERO[1] - wpm) / (PACE_ZERO[1] - high))
        weak.append(f"Very fast pace: {wpm:.0f} words per minute")


def _scene_hook(window: Window, signals: Signals, scores: dict[str, float], good: list[str], weak: list[str]) -> None:
    if signals.cuts_in(window.start, window.start + HOOK_S):
        scores["hook"] = 0.7
        good.append(f"Hook: a shot change in the first {HOOK_S:g} s")
    else:
        scores["hook"] = 0.3
        weak.append("Nothing is said: the clip is chosen by its scenes")


def _energy(
    window: Window,
    signals: Signals,
    median_db: float | None,
    scores: dict[str, float],
    good: list[str],
    weak: list[str],
) -> None:
    level = signals.loudness_db(window.start, window.end)
    if level is None or median_db is None:
        scores["energy"] = 0.0
        return
    diff = level - median_db
    scores["energy"] = min(1.0, max(0.0, 0.5 + diff / 12))
    if diff >= 2:
        good.append(f"High energy: {diff:+.0f} dB against the video's usual level")
    elif diff <= -3:
        weak.append(f"Quiet delivery: {diff:+.0f} dB against the video's usual level")


def _face(window: Window, signals: Signals, scores: dict[str, float], good: list[str], weak: list[str]) -> None:
    share = signals.face_share(window.start, window.end)
    if share is None:
        scores["face"] = 0.0
        return
    scores["face"] = share
    if share >= 0.6:
        good.append(f"A face on screen {share:.0%} of the time")
    elif share <= 0.2:
        weak.append("No face on screen")


def _laughter(window: Window, signals: Signals, scores: dict[str, float], good: list[str]) -> None:
    laughs = signals.laughs_in(window.start, window.end + PAYOFF_AFTER_S)
    if not laughs:
        scores["laughter"] = 0.0
        return
    payoff_from = window.end - PAYOFF_SHARE * window.duration
    payoff = [x for x in laughs if x.time >= payoff_from]
    shown = payoff[-1] if payoff else laughs[0]
    how = "in the words" if shown.source == "transcript" else "in the sound, approximate"
    if payoff:
        scores["laughter"] = 1.0
        good.append(f"Laughter at {clock(shown.time)} near the end: the payoff ({how})")
    else:
        scores["laughter"] = 0.5
        good.append(f"Laughter at {clock(shown.time)} ({how})")
