"""Splitting text into chunks, and joining audio chunks without clicks."""

from __future__ import annotations

from apexlocal.engines.voice.text import chunk_text, pick_language, split_sentences


def test_sentences_split_at_their_ends():
    assert split_sentences('He said "stop." Then left! Why? Done') == ['He said "stop."', "Then left!", "Why?", "Done"]


def test_chunks_keep_whole_sentences_and_the_limit():
    text = " ".join(f"Sentence number {i} is here." for i in range(200))
    chunks = chunk_text(text, 100)
    assert all(len(c) <= 100 for c in chunks)
    assert all(c.endswith(".") for c in chunks)
    assert " ".join(chunks) == text


def test_a_sentence_longer_than_the_limit_is_cut_at_clauses_then_spaces():
    text = "word, " * 60 + "end" + " x" * 200
    chunks = chunk_text(text, 50)
    assert all(0 < len(c) <= 50 for c in chunks)
    assert " ".join(chunks).split() == text.split()


def test_language_matching():
    assert pick_language("en", ["en-us"], "en-us") == "en-us"
    assert pick_language(None, ["en-us"], "en-us") == "en-us"


def test_joins_have_no_click():
    import numpy as np

    from apexlocal.engines.voice.audio import Joiner

    rate = 22050
    t = np.arange(rate // 2) / rate
    # Chunks that start and end mid-waveform and at different levels: plain concatenation clicks.
    chunks = [
        0.6 * np.sin(2 * np.pi * 220 * t + phase).astype(np.float32) + offset
        for phase, offset in [(0.3, 0.0), (2.0, 0.1), (4.0, -0.1)]
    ]
    natural = max(float(np.abs(np.diff(c)).max()) for c in chunks)
    naive = np.concatenate(chunks)
    joiner = Joiner(rate)
    joined = np.concatenate([*(joiner.push(c) for c in chunks), joiner.finish()])
    assert float(np.abs(np.diff(naive)).max()) > 3 * natural  # the test signal would click
    assert float(np.abs(np.diff(joined)).max()) < 1.5 * natural
    assert abs(joined.size - naive.size) < 0.05 * naive.size
    assert abs(joined[0]) < 0.05 and abs(joined[-1]) < 0.05  # no step at the very ends either
