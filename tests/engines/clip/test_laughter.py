"""Laughter: written by Whisper in the words, or heard as a 3-8 Hz burst of peaks where nobody
speaks; a window with a laugh at its end scores higher and says when."""

from __future__ import annotations

import numpy as np

from apexlocal.engines.clip.features import measure
from apexlocal.engines.clip.laughter import (
    ENVELOPE_S,
    Laugh,
    find_laughs,
    is_laugh_word,
    sound_laughs,
    transcript_laughs,
)
from apexlocal.engines.clip.moments import Window, speech_windows
from apexlocal.engines.clip.scan import _block_db
from apexlocal.engines.clip.signals import BLOCK_S, Signals
from apexlocal.engines.speech_to_text.decode import SAMPLE_RATE

JOKE = "So I asked the waiter for the bill. He brought me a duck."


def test_the_marks_whisper_writes_for_laughter_are_collected_with_their_times() -> None:
    words = [
        ("Well,", 1.0, 1.2),
        ("(laughs)", 2.0, 2.5),
        ("[Laughter]", 4.0, 4.6),
        ("*laughing*", 6.0, 6.4),
        ("Hahaha!", 8.0, 8.5),
        ("ha-ha,", 9.0, 9.3),
        ("(chuckles)", 11.0, 11.4),
        ("Ha", 12.0, 12.2),
        ("hat", 13.0, 13.2),
        ("laughter", 14.0, 14.3),  # the word said, not the sound
        ("(music)", 15.0, 15.5),
    ]
    found = transcript_laughs(words)
    assert [x.time for x in found] == [2.0, 4.0, 6.0, 8.0, 9.0, 11.0]
    assert {x.source for x in found} == {"transcript"}
    assert not is_laugh_word("happy") and is_laugh_word("HAHA.")


def burst_envelope(seconds: float, bursts: list[tuple[float, int, float]]) -> np.ndarray:
    """-60 dB with bursts (start s, peak count, spacing s) of 2-block peaks at -20 dB."""
    env = np.full(int(seconds / ENVELOPE_S), -60.0, np.float32)
    for start, count, spacing in bursts:
        for k in range(count):
            i = int(round((start + k * spacing) / ENVELOPE_S))
            env[i : i + 2] = (-20.0, -24.0)
    return env


def test_a_burst_of_peaks_at_three_to_eight_hertz_without_words_is_laughter() -> None:
    env = burst_envelope(
        30.0,
        [
            (2.0, 5, 0.2),  # 5 Hz, nobody speaking: a laugh
            (8.0, 4, 0.15),  # 6.7 Hz: a laugh
            (14.0, 2, 0.2),  # two peaks are not enough
            (18.0, 5, 0.7),  # 1.4 Hz: too slow
            (24.0, 5, 0.2),  # under a word: speech
        ],
    )
    words = [("Yes", 23.9, 25.0)]
    assert sound_laughs(env, words) == [Laugh(2.0, "sound"), Laugh(8.0, "sound")]


def test_a_steady_loud_sound_is_not_laughter() -> None:
    env = np.full(400, -60.0, np.float32)
    env[100:300] = -15.0
    assert sound_laughs(env, []) == []


def test_laughter_is_found_from_the_sound_samples_through_the_fine_envelope() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(int(6 * SAMPLE_RATE)) / SAMPLE_RATE
    audio = rng.normal(0, 0.001, t.size).astype(np.float32)
    burst = (t >= 3.0) & (t < 4.0)
    gate = (np.sin(2 * np.pi * 5 * (t - 3.0)) > 0.3) & burst  # "ha" five times a second
    audio[gate] += rng.normal(0, 0.2, int(gate.sum())).astype(np.float32)
    env = np.asarray(_block_db(audio, int(ENVELOPE_S * SAMPLE_RATE)), np.float32)
    found = sound_laughs(env, [("Okay.", 0.5, 1.0)])
    assert len(found) == 1 and 3.0 <= found[0].time < 3.2


def test_a_written_laugh_and_the_burst_heard_with_it_are_one_laugh() -> None:
    env = burst_envelope(20.0, [(5.2, 4, 0.2), (12.0, 4, 0.2)])
    found = find_laughs([("(laughs)", 5.0, 6.0)], env)
    assert found == [Laugh(5.0, "transcript"), Laugh(12.0, "sound")]


def joke_signals(laughs: list[Laugh]) -> tuple[Window, Signals]:
    words = [(w, 0.3 + i * 0.35, 0.3 + i * 0.35 + 0.3) for i, w in enumerate(JOKE.split())]
    duration = words[-1][2] + 3.0
    loudness = np.full(int(duration / BLOCK_S) + 1, -20.0, np.float32)
    faces = [(float(t), (0.5, 0.5, 0.2)) for t in np.arange(0, duration, 1.0)]
    sig = Signals(duration, 320, 180, 8.0, "en", words, loudness, [], faces, laughs=laughs)
    window = max(speech_windows(words, [], 1.0, 60.0, duration), key=lambda w: w.duration)
    return window, sig


def test_a_laugh_at_the_end_of_a_window_raises_its_score_and_says_when() -> None:
    window, plain = joke_signals([])
    payoff_at = window.end + 0.4  # just after the punchline
    _, laughed = joke_signals([Laugh(payoff_at, "sound")])
    before, after = measure(window, plain, -20.0), measure(window, laughed, -20.0)
    assert before.scores["laughter"] == 0.0 and not any("Laughter" in r for r in before.reasons)
    assert after.scores["laughter"] == 1.0 and after.score > before.score
    assert "Laughter at 0:05 near the end: the payoff (in the sound, approximate)" in after.reasons


def test_a_laugh_early_in_a_window_counts_less_than_one_at_its_end() -> None:
    window, _ = joke_signals([])
    _, early = joke_signals([Laugh(window.start + 0.5, "transcript")])
    _, late = joke_signals([Laugh(window.end - 0.5, "transcript")])
    _, outside = joke_signals([Laugh(window.end + 2.5, "transcript")])
    e, la, o = (measure(window, s, -20.0) for s in (early, late, outside))
    assert e.scores["laughter"] == 0.5 and la.scores["laughter"] == 1.0 and o.scores["laughter"] == 0.0
    assert o.score < e.score < la.score
    assert "Laughter at 0:00 (in the words)" in e.reasons
