"""The narrated video's arithmetic, without models: scenes from sentences, the estimate a request
is refused with, where each scene's picture sits around its narration, and the by-length word
timing kept for speech nothing else can time."""

from __future__ import annotations

import itertools

import pytest

from apexlocal.engines.scripted_video.narration import speech_span
from apexlocal.engines.scripted_video.plan import plan_shots
from apexlocal.engines.scripted_video.scenes import (
    MAX_SCENES,
    SCENE_TARGET_S,
    estimate_message,
    estimate_seconds,
    split_scenes,
    words_per_minute,
)
from apexlocal.engines.scripted_video.word_timing import by_length
from apexlocal.errors import JobError
from apexlocal.models.manifest import load_manifest

SENTENCE = "The boats slide out past the lighthouse into the fog."  # 10 words


def test_sentences_are_grouped_into_scenes_of_about_one_clip() -> None:
    scenes = split_scenes(" ".join([SENTENCE] * 12), wpm=150)  # 48 s of speech
    assert len(scenes) == round(48 / SCENE_TARGET_S)
    assert [s.index for s in scenes] == list(range(1, len(scenes) + 1))
    assert sum(len(s.sentences) for s in scenes) == 12 and all(s.sentences for s in scenes)
    assert split_scenes("Hello.", 150)[0].text == "Hello."
    assert len(split_scenes("word " * 900, 150)) == 1  # one sentence is one scene, however long
    assert len(split_scenes(" ".join([SENTENCE] * 200), 150)) == MAX_SCENES


def test_the_estimate_counts_words_at_the_voices_pace_and_the_pauses() -> None:
    piper = load_manifest().by_id()["piper-joe-medium"]
    assert words_per_minute(piper) == 205
    script = " ".join([SENTENCE] * 6)  # 60 words: 24 s at 150 words a minute
    assert 24 < estimate_seconds(script, 150) < 24 + 6
    assert estimate_message(script, 150, 60) is None
    assert (
        estimate_message(script, 150, 20)
        == f"script: needs about {-(-estimate_seconds(script, 150) // 1):.0f} s of narration, more than duration 20"
    )


def test_shots_cover_the_narration_and_overlap_by_their_crossfades() -> None:
    spans = [(0.3, 4.0), (4.6, 9.2), (9.8, 12.0)]
    shots, fade = plan_shots(spans, 12.6)
    assert fade == 0.5
    assert [round(s.start, 3) for s in shots] == [0.0, 4.3, 9.5] and shots[-1].end == 12.6
    assert sum(s.length for s in shots) - fade * (len(shots) - 1) == pytest.approx(12.6)
    for shot, (a, b) in zip(shots, spans, strict=True):  # every scene's picture is on screen while it is spoken
        assert shot.start <= a and b <= shot.end
    one, no_fade = plan_shots([(0.3, 2.0)], 2.6)
    assert no_fade == 0.0 and one[0].length == 2.6
    _short, fade = plan_shots([(0.1, 0.2), (0.3, 0.5)], 0.6)
    assert fade == pytest.approx(0.125)  # half the shortest shot
    with pytest.raises(JobError):
        plan_shots([], 1.0)


def test_words_nothing_times_are_spread_across_the_voiced_stretch() -> None:
    import numpy as np

    rate = 16_000
    samples = np.zeros(rate, np.float32)
    samples[4000:12000] = 0.5 * np.sin(np.arange(8000) / 5)
    start, end = speech_span(samples, rate)
    assert start == pytest.approx(0.25, abs=0.011) and end == pytest.approx(0.75, abs=0.011)
    words = by_length("Hello there, big world.", start, end)
    assert [w for w, _, _ in words] == ["Hello", "there,", "big", "world."]
    assert words[0][1] == pytest.approx(start, abs=1e-3) and words[-1][2] <= end + 1e-3
    assert all(a < b for _, a, b in words)
    assert all(prev[2] <= nxt[1] for prev, nxt in itertools.pairwise(words))


def test_a_narration_sped_up_to_fit_moves_its_word_times_with_it() -> None:
    import numpy as np

    from apexlocal.engines.scripted_video.narration import Spoken, _fit
    from apexlocal.engines.scripted_video.scenes import Scene, pauses_seconds

    rate = 16_000
    scenes = [Scene(1, ("One two.",))]
    speech = (0.5 * np.sin(np.arange(rate * 4) / 5)).astype(np.float32)  # 4 s
    spoken = [[Spoken("One two.", speech, [("One", 0.5, 1.5), ("two.", 2.0, 3.5)])]]
    max_s = 4 / 1.2 + pauses_seconds(scenes) * 0.4
    fitted, _, speed = _fit(scenes, spoken, rate, max_s)
    part = fitted[0][0]
    scale = part.samples.size / speech.size
    assert speed == pytest.approx(1.2, rel=0.01) and scale == pytest.approx(1 / 1.2, rel=0.01)
    assert part.words == [
        ("One", round(0.5 * scale, 3), round(1.5 * scale, 3)),
        ("two.", round(2.0 * scale, 3), round(3.5 * scale, 3)),
    ]
