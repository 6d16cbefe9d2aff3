"""Candidate windows and their choice, on word timings written by hand: whole sentences, edges in
the silence (or on a scene cut there), lengths within [min, max], little overlap; scenes when
nothing is said."""

from __future__ import annotations

from apexlocal.engines.clip.moments import EDGE_PAD_S, MAX_OVERLAP_S, pick, scene_windows, speech_windows
from apexlocal.engines.clip.sentences import split_sentences

# Three sentences of four words (0.4 s each, 0.1 s apart), 1 s of silence between sentences.
WORDS = []
for s, text in enumerate(["One two three four.", "Five six seven eight.", "Nine ten eleven twelve?"]):
    for k, word in enumerate(text.split()):
        start = s * 3.0 + k * 0.5
        WORDS.append((word, start, start + 0.4))


def test_sentences_end_on_punctuation_or_a_long_pause() -> None:
    assert [s.text for s in split_sentences(WORDS)] == [
        "One two three four.",
        "Five six seven eight.",
        "Nine ten eleven twelve?",
    ]
    unpunctuated = [("so", 0.0, 0.3), ("then", 0.4, 0.7), ("later", 2.5, 2.8)]
    assert [s.text for s in split_sentences(unpunctuated)] == ["so then", "later"]


def test_windows_are_whole_sentences_within_the_bounds_with_edges_in_silence() -> None:
    windows = speech_windows(WORDS, [], 4.0, 6.0, 10.0)
    assert windows, "two sentences (4.9 s with their pads) fit"
    for w in windows:
        assert 4.0 <= w.duration <= 6.0
        first, last = w.words[0], w.words[-1]
        assert first[1] - EDGE_PAD_S - 1e-9 <= w.start <= first[1]
        assert last[2] <= w.end <= last[2] + EDGE_PAD_S + 1e-9
        assert all(not (a < w.start < b or a < w.end < b) for _, a, b in WORDS), "an edge inside a word"
    assert {w.text for w in windows} == {
        "One two three four. Five six seven eight.",
        "Five six seven eight. Nine ten eleven twelve?",
    }


def test_an_edge_moves_onto_a_scene_cut_in_the_silence() -> None:
    cut_before, cut_after = 2.8, 8.6  # in the silence before "Five" and after "twelve?"
    [w] = [w for w in speech_windows(WORDS, [cut_before, cut_after], 4.0, 7.0, 10.0) if w.words[0][0] == "Five"]
    assert w.start == cut_before and w.end == cut_after


def test_a_sentence_longer_than_the_maximum_is_never_cut() -> None:
    assert speech_windows(WORDS, [], 1.0, 1.5, 10.0) == []


def test_scene_windows_join_whole_scenes_and_split_long_ones() -> None:
    windows = scene_windows([5.0, 12.0, 40.0], 6.0, 20.0, 50.0)
    spans = {(w.start, w.end) for w in windows}
    assert (0.0, 12.0) in spans and (5.0, 12.0) in spans and (40.0, 50.0) in spans
    assert (12.0, 32.0) in spans, "a 28 s scene gives a 20 s piece from its start"
    assert all(6.0 <= w.duration <= 20.0 for w in windows)


def test_pick_takes_the_best_that_do_not_overlap() -> None:
    windows = scene_windows([5.0, 10.0, 15.0, 20.0], 5.0, 10.0, 25.0)
    best = pick(windows, lambda w: w.duration - w.start / 100, 3)
    assert len(best) == 3
    for i, a in enumerate(best):
        for b in best[i + 1 :]:
            assert min(a.end, b.end) - max(a.start, b.start) <= MAX_OVERLAP_S
    assert [b.duration for b in best] == [10.0, 10.0, 5.0]
