"""The Piper engine with the packaged joe voice: real speech on a CPU, checked by Whisper."""

from __future__ import annotations

import pytest

from apexlocal.engines.registry import get_engine
from apexlocal.engines.voice.audio import read_wav
from apexlocal.errors import JobCancelled, JobError
from tests.api.voice_helpers import word_error_rate

TEXT = "The quick brown fox jumps over the lazy dog. Please call me back before noon tomorrow."


def test_word_error_rate_counts_edits():
    assert word_error_rate("a b c d", "a b c d") == 0
    assert word_error_rate("a b c d", "a x c") == 0.5


@pytest.fixture(scope="module")
def piper(voice_manifest):
    default = voice_manifest.default_for("voice")
    assert default.id == "piper-joe-medium"
    return get_engine(default.engine), default


def test_default_voice_speaks_text_whisper_reads_back(piper, voice_ctx):
    from tests.api.voice_helpers import transcribe

    engine, model = piper
    events: list[tuple[str, float]] = []
    out = engine.run({"text": TEXT}, model, voice_ctx(events=events))
    meta = out.metadata
    assert out.files[0].content_type == "audio/wav"
    assert meta["model"] == model.id and meta["language"] == "en-us" and meta["sampleRate"] == 22050
    samples, rate = read_wav(out.files[0].path)
    assert rate == 22050 and abs(samples.size / rate - meta["durationSeconds"]) < 0.01
    assert word_error_rate(TEXT, transcribe(out.files[0].path).text) <= 0.2
    assert [f for s, f in events if s == "synthesizing"][-1] == 1.0


def test_speed_two_halves_the_duration(piper, voice_ctx):
    engine, model = piper
    normal = engine.run({"text": TEXT, "speed": 1.0}, model, voice_ctx()).metadata["durationSeconds"]
    fast = engine.run({"text": TEXT, "speed": 2.0}, model, voice_ctx()).metadata["durationSeconds"]
    assert fast / normal == pytest.approx(0.5, rel=0.15)


def test_cancel_between_chunks(piper, voice_ctx):
    engine, model = piper
    events: list[tuple[str, float]] = []
    ctx = voice_ctx(cancelled=lambda: sum(s == "synthesizing" for s, _ in events) >= 3, events=events)
    with pytest.raises(JobCancelled):
        engine.run({"text": (TEXT + " ") * 30}, model, ctx)
    assert not (ctx.scratch_dir / "output.wav").exists()


def test_unsupported_language_names_the_languages(piper, voice_ctx):
    engine, model = piper
    with pytest.raises(JobError, match="en-us"):
        engine.run({"text": TEXT, "language": "de"}, model, voice_ctx())
    assert engine.languages(model) == ["en-us"]
    assert engine.run({"text": "Hello.", "language": "en"}, model, voice_ctx()).metadata["language"] == "en-us"


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "x" * 10_001}, "text"),
        ({"text": "Hi.", "speed": 2.5}, "speed"),
        ({"text": "Hi.", "voiceId": "nobody"}, "voiceId"),
    ],
)
def test_invalid_requests_name_the_field(piper, voice_ctx, spec, field):
    engine, model = piper
    with pytest.raises(JobError, match=field):
        engine.run(spec, model, voice_ctx())


def test_stream_yields_joined_chunks_as_they_are_made(piper, voice_ctx):
    import numpy as np

    engine, model = piper
    events: list[tuple[str, float]] = []
    stream = engine.stream({"text": TEXT + " " + TEXT}, model, voice_ctx(events=events))
    assert stream.sample_rate == 22050 and len(stream.chunks) >= 1
    first = next(iter(stream))
    # The first audio comes out before the last chunk is made (2 chunks at 400 characters max).
    assert first.size > 0 and first.dtype == np.float32
    text = " ".join(["Sentence one is here."] * 40)
    stream = engine.stream({"text": text}, model, voice_ctx(events=events))
    assert len(stream.chunks) >= 2
    iterator = iter(stream)
    next(iterator)
    made = [f for s, f in events if s == "synthesizing"]
    assert made[-1] < 1.0
