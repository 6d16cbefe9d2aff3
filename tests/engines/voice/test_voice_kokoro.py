"""Kokoro's tiny stand-in: the real KModel class with random weights, built, saved and reloaded."""

from __future__ import annotations

import pytest

from apexlocal.engines.registry import get_engine
from apexlocal.errors import JobError


@pytest.fixture(scope="module")
def kokoro(voice_manifest):
    model = voice_manifest.resolve("kokoro", "voice")
    assert model is not None and model.id == "kokoro-82m"
    return get_engine(model.engine), model


def test_tiny_kokoro_builds_reloads_and_speaks_noise_of_plausible_length(kokoro, voice_ctx):
    engine, model = kokoro
    text = "Hello world. This is a short test of the voice."
    meta = engine.run({"text": text}, model, voice_ctx()).metadata
    assert meta["sampleRate"] == 24000 and meta["voiceId"] == "af_heart" and meta["language"] == "en-us"
    # Real speech runs at about 12-15 characters a second; random durations land near it.
    assert 0.5 < meta["durationSeconds"] < 10


def test_words_are_timed_by_the_predicted_durations(kokoro, voice_ctx):
    import numpy as np

    engine, model = kokoro
    text = "Hello there, world."
    stream = engine.stream({"text": text}, model, voice_ctx())
    stream.timed = True
    samples = np.concatenate(list(stream))
    assert stream.words is not None and [w for w, _, _ in stream.words] == text.split()
    assert all(a <= b for _, a, b in stream.words)
    assert stream.words[-1][2] <= samples.size / stream.sample_rate + 1e-3


def test_hosted_names_pick_their_voice_and_languages_pick_theirs(kokoro, voice_ctx):
    engine, model = kokoro
    meta = engine.run({"text": "Hi.", "model": "elevenlabs-v3"}, model, voice_ctx()).metadata
    assert meta["model"] == "elevenlabs-v3" and meta["voiceId"] == "af_bella"
    meta = engine.run({"text": "Hola.", "language": "es"}, model, voice_ctx()).metadata
    assert meta["voiceId"] == "ef_dora" and meta["language"] == "es"


def test_unsupported_language_names_kokoros_languages(kokoro, voice_ctx):
    engine, model = kokoro
    with pytest.raises(JobError, match="en-us, en-gb, es, fr, hi, it, ja, pt-br, zh"):
        engine.run({"text": "Hallo.", "language": "de"}, model, voice_ctx())
    with pytest.raises(JobError, match="voiceId"):
        engine.run({"text": "Hi.", "voiceId": "../../etc/passwd"}, model, voice_ctx())
