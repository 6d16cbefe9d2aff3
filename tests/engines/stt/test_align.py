"""Forced alignment by sequence alignment: script words paired with heard words by their keys,
the unpaired ones spread between their paired neighbours inside their sentence."""

from __future__ import annotations

import pytest

from apexlocal.engines.speech_to_text.align import align, match, spread, word_key


def test_keys_ignore_case_punctuation_and_accents() -> None:
    assert word_key("Town,") == word_key("town") == "town"
    assert word_key("Don't!") == word_key("dont")
    assert word_key("Café") == "cafe"
    assert word_key("—") == ""


def test_match_pairs_a_longest_common_subsequence() -> None:
    script = ["the", "cat", "sat", "on", "the", "mat"]
    heard = ["the", "cat", "sad", "on", "a", "the", "mat"]
    assert match(script, heard) == [0, 1, None, 3, 5, 6]
    assert match(["", "a"], ["", "a"]) == [None, 1]  # an empty key pairs with nothing
    assert match([], ["a"]) == [] and match(["a"], []) == [None]


def test_paired_words_take_heard_times_and_missed_ones_share_the_gap() -> None:
    words = ["The", "harbor", "wakes", "before", "the", "town."]
    heard = [("the", 0.4, 0.5), ("harbour", 0.5, 0.9), ("wakes", 0.9, 1.2), ("the", 1.5, 1.6), ("town", 1.6, 2.0)]
    timed = align(words, heard, [(0.4, 2.0)] * len(words))
    assert [w for w, _, _ in timed] == words
    assert timed[0] == ("The", 0.4, 0.5) and timed[2] == ("wakes", 0.9, 1.2) and timed[5] == ("town.", 1.6, 2.0)
    assert timed[1][1:] == pytest.approx((0.5, 0.9), abs=0.06)  # misheard: the gap between its neighbours
    assert timed[3][1] == pytest.approx(1.2) and timed[3][2] <= 1.5  # missed: between wakes and the


def test_missed_words_stay_inside_their_sentence() -> None:
    words = ["Hello", "there.", "Good", "morning."]
    heard = [("hello", 0.3, 0.6), ("morning", 2.4, 2.9)]
    bounds = [(0.3, 1.0)] * 2 + [(2.0, 2.9)] * 2
    timed = align(words, heard, bounds)
    assert timed[1][1] == pytest.approx(0.6) and timed[1][2] <= 1.0  # not into the pause
    assert timed[2][1] >= 2.0 and timed[2][2] <= 2.4


def test_a_heard_word_outside_the_sentence_is_not_paired_into_it() -> None:
    words = ["Look", "over", "there.", "Big", "dog."]
    # Whisper missed "there" and heard a "there" in the next sentence, where none was said.
    heard = [("look", 0.2, 0.4), ("over", 0.4, 0.7), ("there", 3.0, 3.1), ("big", 3.1, 3.4), ("dog", 3.4, 3.8)]
    bounds = [(0.2, 1.0)] * 3 + [(3.0, 4.0)] * 2
    timed = align(words, heard, bounds)
    assert timed[2][1] == pytest.approx(0.7) and timed[2][2] <= 1.0
    assert timed[3] == ("Big", 3.1, 3.4)


def test_spread_times_words_by_length() -> None:
    out = spread(["a", "bbb"], 0.0, 6.0)
    assert out[0][1] == 0.0 and out[1][2] == pytest.approx(6.0 * 5 / 6)
    assert out[1][1] == pytest.approx(2.0)
