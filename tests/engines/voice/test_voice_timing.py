"""Word times from a voice model's own phoneme durations: Piper's alignments (real speech) through
one chunk and through a stream, and Kokoro's `pred_dur` read as phoneme durations (its stand-in
speaking is in test_voice_kokoro)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from apexlocal.engines.registry import get_engine
from apexlocal.engines.voice.synth import VoiceEngineBase
from apexlocal.engines.voice.timing import phoneme_words, time_text
from apexlocal.models.manifest import ModelEntry

TEXT = "The quick brown fox jumps over the lazy dog. Please call me back before noon tomorrow."


def test_phoneme_words_split_at_spaces_and_leave_pauses_out() -> None:
    phones = [
        ("^", 0.1),
        ("ð", 0.1),
        ("ə", 0.1),
        (" ", 0.2),
        ("k", 0.1),
        ("ˈ", 0.1),
        ("æ", 0.1),
        ("t", 0.1),
        (",", 0.3),
        (" ", 0.2),
        ("s", 0.2),
        (".", 0.2),
        ("$", 0.1),
    ]
    words = phoneme_words(phones)
    assert [w for w, _, _ in words] == ["ðə", "kˈæt", "s"]
    assert words[0][1:] == pytest.approx((0.1, 0.4))  # to the middle of the space after it
    assert words[1][1:] == pytest.approx((0.4, 0.9))  # ends where the comma's pause starts
    assert words[2][1:] == pytest.approx((1.3, 1.6))


def test_merged_and_split_phoneme_words_still_time_every_word() -> None:
    lexicon = {"out": "ˈaʊt", "of": "ʌv", "the": "ðə", "fog.": "fˈɑːɡ.", "1990": "nˈaɪntiːn nˈaɪnti"}
    # espeak speaks "of the" as one phoneme word and "1990" as two.
    phones = [
        ("aʊt", 0.3),
        (" ", 0.1),
        ("ʌvðə", 0.4),
        (" ", 0.1),
        ("fɑːɡ", 0.4),
        (" ", 0.1),
        ("naɪntiːn", 0.4),
        (" ", 0.1),
        ("naɪnti", 0.3),
    ]
    timed = time_text("out of the fog. 1990", phones, lexicon.__getitem__)
    assert timed is not None and [w for w, _, _ in timed] == ["out", "of", "the", "fog.", "1990"]
    assert timed[0][1:] == pytest.approx((0.0, 0.35))
    # "of the": one phoneme word, shared by length
    assert timed[1][1] == pytest.approx(0.35) and timed[1][2] <= timed[2][1] < timed[2][2] <= 0.85
    assert timed[3][1:] == pytest.approx((0.85, 1.35))
    assert timed[4][1] == pytest.approx(1.35) and 2.0 < timed[4][2] <= 2.2  # both phoneme words of "1990"
    assert time_text("", phones, lexicon.__getitem__) is None


def _voice_engine(model: ModelEntry) -> VoiceEngineBase:
    engine = get_engine(model.engine)
    assert isinstance(engine, VoiceEngineBase)
    return engine


def _stream(voice_manifest: Any, voice_ctx: Any, model_name: str, text: str, **spec: Any) -> tuple[Any, Any]:
    import numpy as np

    model = voice_manifest.resolve(model_name, "voice")
    stream = _voice_engine(model).stream({"text": text, **spec}, model, voice_ctx())
    stream.timed = True
    samples = np.concatenate(list(stream))
    return stream, samples


def test_piper_times_every_word_of_a_multi_chunk_stream(voice_manifest: Any, voice_ctx: Any) -> None:
    from apexlocal.engines.scripted_video.narration import speech_span

    stream, samples = _stream(voice_manifest, voice_ctx, "piper-joe-medium", TEXT)
    assert len(stream.chunks) == 2  # the first chunk is kept short: two chunks to join
    words = stream.words
    assert words is not None and [w for w, _, _ in words] == TEXT.split()
    assert all(a < b for _, a, b in words) and all(p[2] <= n[1] for p, n in itertools.pairwise(words))
    start, end = speech_span(samples, stream.sample_rate)
    assert words[0][1] == pytest.approx(start, abs=0.06) and words[-1][2] <= end + 0.2
    second = next(i for i, (w, _, _) in enumerate(words) if w == "Please")
    assert words[second][1] > words[second - 1][2] + 0.1  # the sentence pause, between the chunks


def test_piper_word_times_follow_the_speed(voice_manifest: Any, voice_ctx: Any) -> None:
    normal, _ = _stream(voice_manifest, voice_ctx, "piper-joe-medium", "Please call me back.")
    fast, samples = _stream(voice_manifest, voice_ctx, "piper-joe-medium", "Please call me back.", speed=2.0)
    assert fast.words[-1][2] <= samples.size / fast.sample_rate
    assert fast.words[-1][2] / normal.words[-1][2] == pytest.approx(0.5, rel=0.15)


def test_kokoro_durations_are_its_vocabulary_phonemes_in_frames() -> None:
    import torch

    from apexlocal.engines.voice.kokoro_voice import FRAME_SAMPLES, SAMPLE_RATE, duration_phones

    vocab = {"h": 1, "i": 2, " ": 3}
    frames = torch.tensor([2, 1, 3, 1, 4, 2])  # ^ h i (space) i $ ; "?" is not in the vocabulary
    phones = duration_phones("hi? i", frames, vocab, 13 * FRAME_SAMPLES + 100)
    assert [p for p, _ in phones] == ["^", "h", "i", " ", "i", "$"]
    assert phones[1][1] == FRAME_SAMPLES / SAMPLE_RATE
    assert sum(s for _, s in phones) == pytest.approx((13 * FRAME_SAMPLES + 100) / SAMPLE_RATE)
    assert duration_phones("hi", frames, vocab, 0) == []  # durations of other phonemes: none


def test_a_stream_not_asked_for_times_has_none(voice_manifest: Any, voice_ctx: Any) -> None:
    model = voice_manifest.resolve("piper-joe-medium", "voice")
    stream = _voice_engine(model).stream({"text": "Hello."}, model, voice_ctx())
    list(stream)
    assert stream.words is None
