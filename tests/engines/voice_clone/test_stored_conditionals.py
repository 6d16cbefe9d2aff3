"""A cloned voice's conditionals, computed by Chatterbox when the voice is cloned, stored with it,
and read back by the engine at synthesis instead of conditioning on the clip again; refused, and
computed from the clip instead, when made by other weights or unreadable."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from apexlocal.engines.registry import get_engine
from apexlocal.errors import JobError

TEXT = "Hello there. This is a stored voice."


@pytest.fixture(scope="module")
def clone(clone_manifest):
    model = clone_manifest.default_for("voice-clone")
    return get_engine(model.engine), model


def spec(clip: Path, stored: Path | None = None, **extra):
    voice = {"clipPath": str(clip), "transcript": ""}
    if stored is not None:
        voice["conditionalsPath"] = str(stored)
    return {"text": TEXT, "clonedVoice": voice, "seed": 0, **extra}


@pytest.fixture
def stored(clone, clone_ctx, piper_reference, tmp_path) -> Path:
    """The Piper clip's conditionals, saved the way a clone saves them."""
    from apexlocal.engines.voice_clone import conditionals

    engine, model = clone
    dest = tmp_path / conditionals.FILE_NAME
    assert engine.save_conditionals(model, clone_ctx(), piper_reference, dest) == conditionals.KIND
    return dest


def chirp(path: Path, seconds: float = 4.0, rate: int = 16_000) -> Path:
    import numpy as np

    from apexlocal.engines.voice.audio import write_wav

    t = np.arange(int(seconds * rate)) / rate
    write_wav(path, (0.4 * np.sin(2 * np.pi * (120 * t + 40 * t**2))).astype(np.float32), rate)
    return path


def speak(engine, model, ctx, voice_spec):
    from apexlocal.engines.voice.audio import read_wav

    out = engine.run(voice_spec, model, ctx)
    return read_wav(out.files[0].path)[0], out.metadata


def test_the_saved_file_holds_chatterboxs_own_conditionals(clone, clone_ctx, piper_reference, stored):
    import torch

    from apexlocal.engines.voice_clone import conditionals
    from apexlocal.engines.voice_clone.chatterbox_clone import _file_digest, _model_key

    engine, model = clone
    ctx = clone_ctx()
    payload = torch.load(stored, weights_only=True)
    assert payload["format"] == conditionals.FORMAT
    assert payload["model"] == conditionals.model_fingerprint(ctx.model_dir(model))
    # The engine is shared: other modules' models may have conditioned on the same clip.
    wanted = (_model_key(ctx.model_dir(model), ctx), _file_digest(piper_reference))
    computed = next(c for key, c in engine._conds.items() if key[:2] == wanted)
    # The voice encoder's speaker embedding (T3) and the CAM++ x-vector (S3Gen), among the rest.
    assert payload["t3"]["speaker_emb"].shape == (1, 256)
    assert torch.equal(payload["t3"]["speaker_emb"], computed.t3.speaker_emb.cpu())
    assert payload["gen"]["embedding"].shape == (1, 192)
    assert torch.equal(payload["gen"]["prompt_feat"], computed.gen["prompt_feat"].cpu())


def test_stored_conditionals_are_what_the_voice_is_spoken_with(clone, clone_ctx, piper_reference, stored, tmp_path):
    import numpy as np

    engine, model = clone
    from_clip, meta = speak(engine, model, clone_ctx(), spec(piper_reference))
    assert meta["voiceConditionals"] == "computed"
    events: list[tuple[str, float]] = []
    from_store, meta = speak(engine, model, clone_ctx(events=events), spec(piper_reference, stored))
    assert meta["voiceConditionals"] == "stored" and meta["model"] == "chatterbox"
    assert not [s for s, _ in events if s == "conditioning"]  # nothing computed from the clip
    assert np.array_equal(from_store, from_clip)
    # Beside another clip, the stored conditionals still decide the voice: the clip is not read.
    other_clip = chirp(tmp_path / "chirp.wav")
    beside_other, meta = speak(engine, model, clone_ctx(), spec(other_clip, stored))
    assert meta["voiceConditionals"] == "stored" and np.array_equal(beside_other, from_clip)


def test_conditionals_of_other_weights_or_damaged_are_computed_from_the_clip(
    clone, clone_ctx, piper_reference, stored, tmp_path, caplog
):
    import numpy as np
    import torch

    engine, model = clone
    from_clip, _ = speak(engine, model, clone_ctx(), spec(piper_reference))
    payload = torch.load(stored, weights_only=True)
    foreign = tmp_path / "foreign.pt"
    torch.save({**payload, "model": "another model's fingerprint"}, foreign)
    damaged = tmp_path / "damaged.pt"
    damaged.write_bytes(stored.read_bytes()[:100])
    incomplete = tmp_path / "incomplete.pt"
    torch.save({**payload, "gen": {"embedding": payload["gen"]["embedding"]}}, incomplete)
    for bad, reason in [
        (foreign, "other Chatterbox weights"),
        (damaged, "unreadable"),
        (incomplete, "incomplete"),
        (tmp_path / "missing.pt", "missing"),
    ]:
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            audio, meta = speak(engine, model, clone_ctx(), spec(piper_reference, bad))
        assert meta["voiceConditionals"] == "computed" and np.array_equal(audio, from_clip)
        assert reason in caplog.text
    with pytest.raises(JobError, match=r"clonedVoice\.conditionalsPath"):
        engine.run(
            {**spec(piper_reference), "clonedVoice": {"clipPath": str(piper_reference), "conditionalsPath": 3}},
            model,
            clone_ctx(),
        )


def test_the_fingerprint_follows_the_voice_encoder_and_s3gen_weights(tmp_path):
    import os

    from apexlocal.engines.voice_clone import conditionals

    for name in ("ve.safetensors", "s3gen.safetensors", "t3_cfg.safetensors"):
        (tmp_path / name).write_bytes(name.encode() * 100)
    first = conditionals.model_fingerprint(tmp_path)
    (tmp_path / "t3_cfg.safetensors").write_bytes(b"T3 takes no part in the conditionals")
    assert conditionals.model_fingerprint(tmp_path) == first
    for name in ("ve.safetensors", "s3gen.safetensors"):
        path = tmp_path / name
        before = path.read_bytes()
        path.write_bytes(b"other weights" + before[13:])  # same size
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
        assert conditionals.model_fingerprint(tmp_path) != first, name
        path.write_bytes(before)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000))
        assert conditionals.model_fingerprint(tmp_path) == first


def test_saving_needs_a_clip_long_enough_to_clone(clone, clone_ctx, tmp_path):
    import numpy as np

    from apexlocal.engines.voice.audio import write_wav

    engine, model = clone
    short = tmp_path / "short.wav"
    write_wav(short, np.zeros(16_000, np.float32), 16_000)
    with pytest.raises(JobError, match=r"holds 1\.0 s"):
        engine.save_conditionals(model, clone_ctx(), short, tmp_path / "conditionals.pt")
    assert not list(tmp_path.glob("conditionals.pt*"))
