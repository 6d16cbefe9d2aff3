"""faster-whisper with the packaged tiny.en: word timestamps of Piper's speech, and PyAV decoding."""

from __future__ import annotations

import json

import pytest

from apexlocal.engines.registry import get_engine


@pytest.fixture(scope="module")
def piper_clip(voice_manifest, tmp_path_factory, voice_runtime):
    from apexlocal.engines.base import EngineContext
    from apexlocal.models.packaged import check_package

    model = voice_manifest.default_for("voice")
    scratch = tmp_path_factory.mktemp("clip")
    ctx = EngineContext(
        "clip",
        "cpu",
        scratch,
        "tiny",
        lambda f, s: None,
        lambda: False,
        check_package,
        voice_runtime,
        manifest=voice_manifest,
    )
    text = "Good morning. The meeting starts at nine and ends before lunch."
    return get_engine(model.engine).run({"text": text}, model, ctx).files[0].path


def test_words_have_increasing_timestamps(piper_clip):
    from tests.api.voice_helpers import transcribe

    transcript = transcribe(piper_clip)
    assert transcript.language == "en" and "meeting" in transcript.text.lower()
    starts = [start for _, start, _, _ in transcript.words]
    assert len(starts) >= 8 and starts == sorted(starts)
    assert all(end >= start for _, start, end, _ in transcript.words)
    assert transcript.words[-1][2] <= transcript.duration + 0.1


def test_engine_writes_a_transcript_json(voice_manifest, voice_ctx, piper_clip):
    import shutil

    model = voice_manifest.default_for("speech-to-text")
    ctx = voice_ctx()
    clip = shutil.copy(piper_clip, ctx.scratch_dir / "in.wav")
    out = get_engine(model.engine).run({"audio": str(clip)}, model, ctx)
    data = json.loads(out.files[0].path.read_text())
    assert data["words"] and out.metadata["language"] == "en"


def test_a_path_outside_the_scratch_dir_is_not_read(voice_manifest, voice_ctx, piper_clip):
    from apexlocal.errors import JobError

    model = voice_manifest.default_for("speech-to-text")
    with pytest.raises(JobError, match="audio"):
        get_engine(model.engine).run({"audio": str(piper_clip)}, model, voice_ctx())


@pytest.mark.parametrize(
    ("suffix", "codec", "rate"),
    [
        ("mp3", "libmp3lame", 22050),
        ("ogg", "libopus", 48000),
        ("m4a", "aac", 44100),
    ],
)
def test_pyav_decodes_what_it_wrote(tmp_path, suffix, codec, rate):
    import numpy as np

    from apexlocal.engines.speech_to_text.decode import decode_audio, encode_audio

    t = np.arange(rate * 2) / rate
    path = tmp_path / f"tone.{suffix}"
    encode_audio(path, (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), rate, codec)
    audio = decode_audio(path)
    assert audio.dtype == np.float32 and abs(audio.size / 16000 - 2.0) < 0.1
    spectrum = np.abs(np.fft.rfft(audio[4000:20000]))
    assert abs(np.argmax(spectrum) * 16000 / 16000 - 440) < 5  # still a 440 Hz tone
