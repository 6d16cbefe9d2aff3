"""Caption word times of a real narration (the packaged Piper voice, four sentences), checked
against Whisper's word timestamps of the same narration track.

One narration serves every test: its words as the voice's durations timed them, and the same
sentences timed again by forced alignment with Whisper, as a voice without durations would be.
Whisper tiny.en's word timestamps are themselves rough: it starts the first word of the track at
0.0 s, inside the lead-in silence, and tends to place boundaries late; where it can be checked
against the waveform (a sentence's first sound) the voice's durations are the closer.
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import replace
from typing import Any

import pytest

from apexlocal.engines.scripted_video.narration import Narration, narrate
from apexlocal.engines.scripted_video.scenes import split_scenes, words_per_minute
from apexlocal.engines.scripted_video.word_timing import Timing, by_length, time_captions
from apexlocal.engines.speech_to_text.align import Timed, match, word_key

SCRIPT = (
    "The harbor wakes before the town. Fishing boats slide out past the lighthouse into the fog. "
    "By noon the market is full of voices and the smell of salt. In the evening the lights come "
    "on one by one, and the water turns gold."
)
BOUND_S = 0.15


@pytest.fixture(scope="module")
def narrated(voice_manifest: Any, voice_runtime: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The narration, the same sentences timed by Whisper, and Whisper's own words of the track."""
    from apexlocal.engines.base import EngineContext
    from apexlocal.engines.speech_to_text.whisper import FasterWhisperEngine, transcribe_samples
    from apexlocal.models.packaged import check_package

    events: list[tuple[str, float]] = []
    ctx = EngineContext(
        "captions",
        "cpu",
        tmp_path_factory.mktemp("captions"),
        "tiny",
        lambda f, s: events.append((s, f)),
        lambda: False,
        check_package,
        voice_runtime,
        manifest=voice_manifest,
    )
    voice = voice_manifest.default_for("voice")
    narration = narrate(split_scenes(SCRIPT, words_per_minute(voice)), voice, {"voiceId": None}, 60, ctx)
    untimed = [replace(s, words=None) for s in narration.sentences]
    aligned = time_captions(untimed, narration.samples, narration.sample_rate, "en-us", ctx)
    whisper = FasterWhisperEngine.load(voice_manifest.default_for("speech-to-text"), ctx)
    heard = transcribe_samples(whisper, narration.samples, narration.sample_rate, "en").words
    return {"narration": narration, "aligned": aligned, "events": events, "heard": [(w, a, b) for w, a, b, _ in heard]}


def deviations(words: list[Timed], heard: list[Timed]) -> list[float]:
    """|start - Whisper's start| and |end - Whisper's end| of every word paired with a heard one."""
    pairs = match([word_key(w) for w, _, _ in words], [word_key(h[0]) for h in heard])
    return [
        abs(x - y)
        for (_, a, b), p in zip(words, pairs, strict=True)
        if p is not None
        for x, y in ((a, heard[p][1]), (b, heard[p][2]))
    ]


def by_length_words(narration: Narration) -> list[Timed]:
    """What captions were before: each sentence's words spread by length over its voiced stretch."""
    return [w for s in narration.sentences for w in by_length(s.text, *s.span)]


def test_every_script_word_is_timed_in_order_inside_its_sentence(narrated: dict[str, Any]) -> None:
    narration: Narration = narrated["narration"]
    assert narration.timing == "voice"
    assert [w for w, _, _ in narration.words] == SCRIPT.split()
    assert all(a < b for _, a, b in narration.words)
    assert all(p[2] <= n[1] + 1e-3 for p, n in itertools.pairwise(narration.words))
    for sentence in narration.sentences:
        assert sentence.words is not None
        start, end = sentence.span
        assert start - 0.1 <= sentence.words[0][1] and sentence.words[-1][2] <= end + 0.2


def test_whisper_aligned_words_are_within_the_bound_and_the_old_timing_is_not(narrated: dict[str, Any]) -> None:
    aligned: Timing = narrated["aligned"]
    heard = narrated["heard"]
    assert aligned.source == "whisper" and [w for w, _, _ in aligned.words] == SCRIPT.split()
    new = deviations(aligned.words, heard)
    old = deviations(by_length_words(narrated["narration"]), heard)
    assert len(new) >= 2 * 0.75 * len(SCRIPT.split())  # most words were heard and paired
    assert max(new) <= BOUND_S
    assert max(old) > BOUND_S and statistics.mean(new) < statistics.mean(old)
    assert any(stage == "timing captions" for stage, _ in narrated["events"])


def test_voice_durations_agree_with_whisper_better_than_the_old_timing(narrated: dict[str, Any]) -> None:
    """Not every word is within the bound of Whisper's times: Whisper's own are off by more at
    the first word, at some sentence ends and for short words (see the module docstring)."""
    narration: Narration = narrated["narration"]
    new = deviations(narration.words, narrated["heard"])
    old = deviations(by_length_words(narration), narrated["heard"])

    def within(deviations: list[float]) -> float:
        return sum(d <= BOUND_S for d in deviations) / len(deviations)

    assert statistics.median(new) <= 0.1
    assert within(new) >= 0.75 and within(new) > within(old) + 0.05


def test_voice_durations_start_each_sentence_where_its_sound_starts(narrated: dict[str, Any]) -> None:
    """A sentence's span starts at its first loud 10 ms: a check of word times that needs no
    recogniser. The voice's first words sit on it; Whisper's are further off."""
    narration: Narration = narrated["narration"]
    heard = narrated["heard"]
    pairs = match([word_key(w) for w, _, _ in narration.words], [word_key(h[0]) for h in heard])
    first = 0
    voice_off, whisper_off = [], []
    for sentence in narration.sentences:
        assert sentence.words is not None
        onset = sentence.span[0]
        assert sentence.words[0][1] == pytest.approx(onset, abs=0.06)
        if pairs[first] is not None:
            voice_off.append(abs(sentence.words[0][1] - onset))
            whisper_off.append(abs(heard[pairs[first]][1] - onset))
        first += len(sentence.words)
    assert whisper_off and statistics.mean(voice_off) < statistics.mean(whisper_off)
