"""Chatterbox's tiny stand-in: the real classes with random weights, built, saved, reloaded by
`ChatterboxTTS.from_local` and run, conditioned on a reference clip spoken by the Piper voice."""

from __future__ import annotations

from pathlib import Path

import pytest

from apexlocal.engines.registry import get_engine
from apexlocal.errors import JobCancelled, JobError

TEXT = "Hello there. This is a short test of a cloned voice."


@pytest.fixture(scope="module")
def clone(clone_manifest):
    model = clone_manifest.default_for("voice-clone")
    assert model.id == "chatterbox" and model.engine == "voice-clone"
    assert model.commercial and model.license == "mit" and model.source.repo == "ResembleAI/chatterbox"
    return get_engine(model.engine), model


def spec(text: str, clip: Path, **extra):
    # Chatterbox conditions on the audio alone; the stored transcript travels along unused.
    return {"text": text, "clonedVoice": {"clipPath": str(clip), "transcript": "The quick brown fox."}, **extra}


def chirp_clip(path: Path, seconds: float = 4.0, rate: int = 16_000) -> Path:
    """A clip that is not Piper's voice: a gliding, pulsed tone."""
    import numpy as np

    from apexlocal.engines.voice.audio import write_wav

    t = np.arange(int(seconds * rate)) / rate
    tone = np.sin(2 * np.pi * (120 * t + 40 * t**2)) * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t))
    write_wav(path, (0.4 * tone).astype(np.float32), rate)
    return path


def test_tiny_is_saved_in_the_real_layout_and_reloaded_by_from_local(clone, clone_ctx):
    import importlib.util
    import sys

    import torch
    from safetensors.torch import load_file

    from apexlocal.engines.voice_clone.chatterbox_clone import REQUIRED_FILES, load_chatterbox
    from apexlocal.models.tiny_clone import TINY_SIZES_FILE

    _engine, model = clone
    model_dir = clone_ctx().model_dir(model)
    assert {*REQUIRED_FILES, TINY_SIZES_FILE} <= {p.name for p in model_dir.iterdir()}
    tts = load_chatterbox(model_dir, "cpu")
    from chatterbox.models.s3gen import S3Gen
    from chatterbox.models.t3 import T3
    from chatterbox.models.voice_encoder import VoiceEncoder
    from chatterbox.tts import ChatterboxTTS

    assert type(tts) is ChatterboxTTS and type(tts.t3) is T3 and type(tts.s3gen) is S3Gen
    assert type(tts.ve) is VoiceEncoder and tts.sr == 24_000
    assert tts.t3.cfg.hidden_size == 64  # the stand-in's width, not the real 1024
    saved = load_file(str(model_dir / "t3_cfg.safetensors"))
    assert all(torch.equal(value, saved[key]) for key, value in tts.t3.state_dict().items())
    if importlib.util.find_spec("torchaudio") is None:  # the substitutes were only there for the import
        assert "torchaudio" not in sys.modules


def test_clone_speaks_with_plausible_length_and_uses_the_reference(clone, clone_ctx, piper_reference, tmp_path):
    import numpy as np

    from apexlocal.engines.voice.audio import read_wav
    from apexlocal.engines.voice_clone.chatterbox_clone import TOKENS_PER_SECOND, _file_digest, token_budget

    engine, model = clone
    engine._conds.clear()  # the engine is shared: other tests may have conditioned on this clip
    events: list[tuple[str, float]] = []
    out = engine.run(spec(TEXT, piper_reference, seed=0, voiceId="voice_abc"), model, clone_ctx(events=events))
    meta = out.metadata
    samples, rate = read_wav(out.files[0].path)
    assert out.files[0].content_type == "audio/wav" and rate == meta["sampleRate"] == 24_000
    assert meta["model"] == "chatterbox" and meta["language"] == "en" and meta["voiceId"] == "voice_abc"
    assert meta["voiceConditionals"] == "computed"  # no stored conditionals were handed over
    assert abs(samples.size / rate - meta["durationSeconds"]) < 0.01
    # Real speech runs at about 14 characters a second; random weights fill most of the budget.
    assert len(TEXT) / 30 < meta["durationSeconds"] <= token_budget(TEXT) / TOKENS_PER_SECOND
    assert float(np.abs(samples).max()) > 0.0
    assert [f for s, f in events if s == "conditioning"] == [0.0, 1.0]
    assert [f for s, f in events if s == "synthesizing"][-1] == 1.0

    # The same seed and clip give the same audio (the clip's conditionals now come from the cache);
    # another clip changes the speaker embedding and so the audio.
    again_events: list[tuple[str, float]] = []
    again = engine.run(spec(TEXT, piper_reference, seed=0), model, clone_ctx(events=again_events))
    assert np.array_equal(read_wav(again.files[0].path)[0], samples)
    assert not [s for s, _ in again_events if s == "conditioning"]
    chirp = chirp_clip(tmp_path / "chirp.wav")
    other = engine.run(spec(TEXT, chirp, seed=0), model, clone_ctx())
    other_samples = read_wav(other.files[0].path)[0]
    assert other_samples.size != samples.size or not np.array_equal(other_samples, samples)
    by_clip = {key[1]: conds for key, conds in engine._conds.items()}
    piper_conds, chirp_conds = by_clip[_file_digest(piper_reference)], by_clip[_file_digest(chirp)]
    assert not piper_conds.t3.speaker_emb.equal(chirp_conds.t3.speaker_emb)


def test_speed_two_halves_the_duration(clone, clone_ctx, piper_reference):
    engine, model = clone
    normal = engine.run(spec(TEXT, piper_reference, seed=3), model, clone_ctx()).metadata["durationSeconds"]
    fast = engine.run(spec(TEXT, piper_reference, seed=3, speed=2.0), model, clone_ctx()).metadata["durationSeconds"]
    assert 0.45 < fast / normal < 0.55


def test_cancel_between_chunks(clone, clone_ctx, piper_reference):
    engine, model = clone
    events: list[tuple[str, float]] = []
    ctx = clone_ctx(cancelled=lambda: sum(s == "synthesizing" for s, _ in events) >= 2, events=events)
    text = " ".join([TEXT] * 12)  # four chunks
    with pytest.raises(JobCancelled):
        engine.run(spec(text, piper_reference, seed=1), model, ctx)
    assert sum(s == "synthesizing" for s, _ in events) == 2  # started, then one chunk made
    assert not (ctx.scratch_dir / "output.wav").exists()


def test_synthesize_streams_float_pcm_in_the_clip_voice(clone, clone_ctx, piper_reference):
    import numpy as np

    engine, _model = clone
    assert engine.sample_rate == 24_000
    chunks = list(engine.synthesize("Good morning. Here is the news.", piper_reference, 1.0, "en", clone_ctx(), seed=2))
    assert chunks and all(c.dtype == np.float32 and c.ndim == 1 for c in chunks)
    assert sum(c.size for c in chunks) > 0.5 * 24_000


def test_invalid_requests_name_the_field(clone, clone_ctx, piper_reference, tmp_path):
    import numpy as np

    from apexlocal.engines.voice.audio import write_wav

    engine, model = clone
    with pytest.raises(JobError, match="clonedVoice"):
        engine.run({"text": TEXT}, model, clone_ctx())
    with pytest.raises(JobError, match=r"clonedVoice\.clipPath"):
        engine.run(spec(TEXT, tmp_path / "missing.wav"), model, clone_ctx())
    with pytest.raises(JobError, match="it speaks en"):
        engine.run(spec(TEXT, piper_reference, language="de"), model, clone_ctx())
    with pytest.raises(JobError, match="speed"):
        engine.run(spec(TEXT, piper_reference, speed=3.0), model, clone_ctx())
    with pytest.raises(JobError, match="seed"):
        engine.run(spec(TEXT, piper_reference, seed=-1), model, clone_ctx())
    short = tmp_path / "short.wav"
    write_wav(short, np.zeros(16_000, np.float32), 16_000)
    with pytest.raises(JobError, match=r"holds 1\.0 s"):
        engine.run(spec(TEXT, short), model, clone_ctx())
